"""The demo's living queue: customers arriving and simulated tellers serving them in real
time (sped up) against the serving database, so the display board, the kiosk and the teller
panels always have something to show.

Started by the demo in a daemon thread::

    stop = threading.Event()
    threading.Thread(target=run_live, args=(settings,), kwargs={"stop": stop}, daemon=True).start()
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Generator, Sequence
from typing import Any, TypeVar

import numpy as np
import simpy
import simpy.rt
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartbranch.customers.models import CustomerProfile
from smartbranch.db import create_engine, create_sessionmaker, unit_of_work
from smartbranch.errors import AppError
from smartbranch.orgs.models import OrgUnit
from smartbranch.queueing import service as queue
from smartbranch.queueing.models import Counter, Ticket
from smartbranch.queueing.service.setup import setup_outlet
from smartbranch.service.visits import record_arrival
from smartbranch.settings import Settings
from smartbranch.simulation.arrivals import DEFAULT_PROFILE, draw_day, open_minutes, profile_named
from smartbranch.simulation.branchday import (
    IDLE_POLL_MINUTES,
    RECALL_INTERVAL_MINUTES,
    WALK_MINUTES,
    Population,
    load_population,
    run_unit,
    simulated_tellers,
)

T = TypeVar("T")


def run_live(
    settings: Settings,
    *,
    outlet_code: str | None = None,
    speedup: float = 10.0,
    profile: str = DEFAULT_PROFILE,
    leave_free: Sequence[str] = ("1",),
    stop: threading.Event | None = None,
    seed: int | None = None,
) -> None:
    """Keep an outlet's queue alive against the serving database, for the demo.

    Customers arrive and simulated tellers serve them at every counter except
    ``leave_free`` (left for a person to try the teller panel), ``speedup`` times faster
    than real life. Timestamps are the real clock, so the board, the panels and the kiosk
    see one consistent queue; only the durations are compressed. Runs until ``stop`` is set
    (blocking: start it in a daemon thread). Sets the outlet up for queuing if it is not.
    """
    stop = stop or threading.Event()
    rng = np.random.default_rng(seed)
    with asyncio.Runner() as runner:
        engine = create_engine(settings)
        sessionmaker = create_sessionmaker(engine)
        try:
            population, counters = runner.run(_live_floor(sessionmaker, outlet_code, leave_free))
            _Live(runner, sessionmaker, population, counters, speedup, profile, rng, stop).go()
        finally:
            runner.run(engine.dispose())


async def _live_floor(
    sessionmaker: async_sessionmaker[AsyncSession],
    outlet_code: str | None,
    leave_free: Sequence[str],
) -> tuple[Population, list[tuple[str, int]]]:
    async with unit_of_work(sessionmaker) as session:
        population = await load_population(session, outlet_code)
        has_counters = await session.scalar(
            select(func.count())
            .select_from(Counter)
            .join(OrgUnit, OrgUnit.id == Counter.outlet_id)
            .where(OrgUnit.code == population.outlet_code)
        )
        if not has_counters:
            await setup_outlet(session, outlet_code=population.outlet_code)
        rows = (
            await session.execute(
                select(Counter.code, Counter.state)
                .join(OrgUnit, OrgUnit.id == Counter.outlet_id)
                .where(OrgUnit.code == population.outlet_code)
                .order_by(Counter.code)
            )
        ).all()
        free = [code for code, state in rows if code not in leave_free and state == "closed"]
        tellers = await simulated_tellers(session, population, len(free))
    return population, list(zip(free, tellers, strict=True))


async def _arrive_and_take_ticket(
    session: AsyncSession, *, outlet_code: str, service_code: str, customer_id: int | None
) -> queue.TicketIssued:
    """A simulated customer swipes their card at the kiosk: an identified one opens today's
    visit and the staff on duty are told (as a real swipe does), then takes a ticket."""
    if customer_id is not None:
        outlet = await session.scalar(select(OrgUnit).where(OrgUnit.code == outlet_code))
        tier = await session.scalar(
            select(CustomerProfile.tier).where(CustomerProfile.customer_id == customer_id)
        )
        assert outlet is not None
        await record_arrival(
            session,
            customer_id=customer_id,
            outlet_id=outlet.id,
            device_kind="kiosk",
            credential_kind="debit_card",
            tier=tier or "standard",
        )
    return await queue.issue_ticket(
        session, outlet_code=outlet_code, service_code=service_code, customer_id=customer_id
    )


class _Live:
    """Real-time arrivals and tellers on the serving database (see :func:`run_live`)."""

    def __init__(
        self,
        runner: asyncio.Runner,
        sessionmaker: async_sessionmaker[AsyncSession],
        population: Population,
        counters: list[tuple[str, int]],
        speedup: float,
        profile: str,
        rng: np.random.Generator,
        stop: threading.Event,
    ) -> None:
        self.runner = runner
        self.sessionmaker = sessionmaker
        self.population = population
        self.counters = counters
        self.profile = profile_named(profile)
        self.rng = rng
        self.stop = stop
        # One simulated minute lasts 60 / speedup real seconds.
        self.env = simpy.rt.RealtimeEnvironment(factor=60.0 / max(speedup, 0.1), strict=False)
        self.patience: dict[int, float] = {}
        self.service_minutes: dict[int, float] = {}
        self.issued_minute: dict[int, float] = {}

    def call(self, action: Callable[..., Coroutine[Any, Any, T]], **params: Any) -> T | None:
        """``action(session, **params)`` in one unit of work, on the real clock; a refusal
        (someone at the panel acted on the same ticket or counter) is skipped."""
        try:
            return self.runner.run(run_unit(self.sessionmaker, action, **params))
        except AppError:
            return None

    def arrive(self) -> Generator[simpy.Event, Any, None]:
        """Whole days of arrivals, one after another."""
        outlet = self.population.outlet_code
        while not self.stop.is_set():
            start = self.env.now
            for arrival in draw_day(self.profile, self.population.visitors, self.rng):
                yield self.env.timeout(max(0.0, start + arrival.minute - self.env.now))
                if self.stop.is_set():
                    return
                customer_id = (
                    self.population.visitors[arrival.customer_index].customer_id
                    if arrival.customer_index >= 0
                    else None
                )
                issued = self.call(
                    _arrive_and_take_ticket,
                    outlet_code=outlet,
                    service_code=arrival.service,
                    customer_id=customer_id,
                )
                if issued is not None:
                    self.patience[issued.ticket.id] = arrival.patience_minutes
                    self.service_minutes[issued.ticket.id] = arrival.service_minutes
                    self.issued_minute[issued.ticket.id] = self.env.now
            yield self.env.timeout(max(0.0, start + open_minutes() - self.env.now))

    def teller(self, code: str, staff_id: int) -> Generator[simpy.Event, Any, None]:
        """A simulated teller at one counter, until stopped."""
        outlet = self.population.outlet_code
        self.call(queue.sign_in_counter, outlet_code=outlet, counter_code=code, staff_id=staff_id)
        while not self.stop.is_set():
            result = self.call(
                queue.call_next, outlet_code=outlet, counter_code=code, staff_id=staff_id
            )
            ticket = result.ticket if result is not None else None
            if ticket is None:
                yield self.env.timeout(IDLE_POLL_MINUTES)
                continue
            tid = ticket.id

            def act(fn: Callable[..., Coroutine[Any, Any, Ticket]], tid: int = tid) -> None:
                self.call(fn, outlet_code=outlet, ticket_id=tid, staff_id=staff_id)

            waited = self.env.now - self.issued_minute.get(tid, self.env.now)
            if waited > self.patience.get(tid, float("inf")):
                for _ in range(3):
                    yield self.env.timeout(RECALL_INTERVAL_MINUTES)
                    act(queue.recall)
                act(queue.no_show)
                continue
            yield self.env.timeout(WALK_MINUTES)
            act(queue.start_service)
            yield self.env.timeout(self.service_minutes.get(tid, 5.0))
            act(queue.finish_service)

    def go(self) -> None:
        """Run until stopped."""
        self.env.process(self.arrive())
        for code, staff_id in self.counters:
            self.env.process(self.teller(code, staff_id))
        while not self.stop.is_set():
            self.env.run(until=self.env.now + 1.0)
        outlet = self.population.outlet_code
        for code, staff_id in self.counters:
            self.call(queue.close_counter, outlet_code=outlet, counter_code=code, staff_id=staff_id)
