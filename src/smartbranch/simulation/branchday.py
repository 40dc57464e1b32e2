"""The branch-day simulator: a day at an outlet, customers arriving and tellers calling them,
through the real queue service on a real database.

SimPy keeps the simulated clock (minutes after opening). Every customer's arrival issues a
real ticket (:func:`~smartbranch.queueing.service.issue_ticket` with the simulated
``now``); every teller signs in, calls next, recalls, starts and finishes through the same
service functions the API calls, each in its own unit of work, as a request would. The
database is a scratch SQLite file holding one outlet of the synthetic bank: its org chain,
tellers and customers (with their tiers) copied from the serving database.

What it measures, per day and over all days:

- the queue KPIs (:mod:`smartbranch.queueing.kpis`), among them the share called within the
  outlet's target;
- the accuracy of the wait printed on the ticket: mean absolute error of our estimate
  (forward simulation of the calling policy) against the naive "people ahead × mean
  service time ÷ open counters", both against the wait that followed;
- double calls: a ticket handed by call-next to a counter while another counter holds it
  (must be zero);
- what-if planning: the fewest counters that call 85% of customers within the target.

:func:`smartbranch.simulation.live.run_live` keeps an outlet's queue moving in real time for
the demo, with the same arrivals and tellers.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import tempfile
from collections.abc import Callable, Coroutine, Generator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import numpy as np
import simpy
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartbranch.customers.models import TIER_ORDER, Customer, CustomerProfile
from smartbranch.db import create_engine, create_sessionmaker, unit_of_work
from smartbranch.errors import NotFoundError
from smartbranch.i18n import N_
from smartbranch.orgs.models import OrgKind, OrgUnit, Role, Staff
from smartbranch.queueing import kpis
from smartbranch.queueing import service as queue
from smartbranch.queueing.errors import RecallLimitError
from smartbranch.queueing.models import Counter, Ticket
from smartbranch.queueing.service.setup import CounterSpec, default_counters, setup_outlet
from smartbranch.settings import Settings
from smartbranch.simulation.arrivals import (
    DEFAULT_PROFILE,
    OPENS,
    Arrival,
    ArrivalProfile,
    Visitor,
    draw_day,
    profile_named,
)

T = TypeVar("T")

TARGET_SHARE = 0.85
"""The what-if question: how many counters call this share within the target."""
MAX_COUNTERS = 12
#: Customers of the outlet copied into the scratch database (a day sees a few hundred).
POPULATION_LIMIT = 3000
#: Seconds a called customer takes to walk up to the counter.
WALK_MINUTES = 0.5
#: Between a teller's recalls of an absent customer.
RECALL_INTERVAL_MINUTES = 1.0
#: An idle teller is woken by each arrival; in the live demo (where a kiosk may issue
#: tickets too) it also looks at the queue this often.
IDLE_POLL_MINUTES = 1.0
FIRST_DAY = date(2026, 3, 2)  # a Monday; days run over consecutive weekdays


class OutletEmptyError(NotFoundError):
    code = "simulation_no_outlet"
    message = N_("There is no outlet to simulate: run smartbranch generate and load first.")


@dataclass(frozen=True)
class Population:
    """One outlet of the synthetic bank, as the scratch database needs it."""

    outlet_code: str
    timezone: str
    org_rows: list[dict[str, Any]]
    """Head office, branch and outlet (parents first), all columns."""
    teller_rows: list[dict[str, Any]]
    customer_rows: list[dict[str, Any]]
    profile_rows: list[dict[str, Any]]
    visitors: list[Visitor]
    counters_configured: int = 0
    """Counters the outlet has in the serving database (0: not set up for queuing)."""


def _row(obj: Any) -> dict[str, Any]:
    return {c.key: getattr(obj, c.key) for c in obj.__mapper__.column_attrs}


async def load_population(
    session: AsyncSession, outlet_code: str | None = None, *, limit: int = POPULATION_LIMIT
) -> Population:
    """The outlet (the first by code when None), its org chain, tellers and up to ``limit``
    of its customers with their tiers, read from the serving database."""
    statement = select(OrgUnit).where(OrgUnit.kind == OrgKind.OUTLET)
    if outlet_code is not None:
        statement = statement.where(OrgUnit.code == outlet_code)
    outlet = await session.scalar(statement.order_by(OrgUnit.code).limit(1))
    if outlet is None:
        if outlet_code is not None:
            from smartbranch.orgs.service import OutletNotFoundError

            raise OutletNotFoundError(code=outlet_code)
        raise OutletEmptyError()
    codes = [c for c in outlet.path.strip("/").split("/") if c]
    chain = {
        o.code: o for o in await session.scalars(select(OrgUnit).where(OrgUnit.code.in_(codes)))
    }
    org_rows = [_row(chain[c]) for c in codes if c in chain]
    tellers = (
        await session.scalars(
            select(Staff)
            .where(Staff.org_unit_id == outlet.id, Staff.role == Role.TELLER)
            .order_by(Staff.id)
        )
    ).all()
    rows = (
        await session.execute(
            select(Customer, CustomerProfile)
            .outerjoin(CustomerProfile, CustomerProfile.customer_id == Customer.id)
            .where(Customer.home_outlet_id == outlet.id)
            .order_by(Customer.id)
            .limit(limit)
        )
    ).all()
    customers = []
    profiles = []
    visitors = []
    for customer, profile in rows:
        row = _row(customer)
        row["account_manager_id"] = None  # staff other than tellers are not copied
        customers.append(row)
        tier = profile.tier if profile is not None else "standard"
        if profile is not None:
            profiles.append(_row(profile))
        visitors.append(Visitor(customer_id=customer.id, tier=tier))
    configured = await session.scalar(
        select(func.count()).select_from(Counter).where(Counter.outlet_id == outlet.id)
    )
    teller_rows = []
    for teller in tellers:
        row = _row(teller)
        row["password_hash"] = None  # the scratch database needs no passwords
        teller_rows.append(row)
    return Population(
        outlet_code=outlet.code,
        timezone=outlet.timezone,
        org_rows=org_rows,
        teller_rows=teller_rows,
        customer_rows=customers,
        profile_rows=profiles,
        visitors=visitors,
        counters_configured=int(configured or 0),
    )


@dataclass(frozen=True)
class DaySpec:
    """How a simulated day runs."""

    counters: int = 4
    profile: str = DEFAULT_PROFILE
    visits_per_day: float | None = None
    """Overrides the profile's daily visits (small days for tests)."""
    seed: int = 1


@dataclass(frozen=True, slots=True)
class TicketOutcome:
    """What happened to one customer's ticket, and what the ticket had promised."""

    ticket_id: int
    tier: str
    service: str
    issued_minute: float
    first_called_minute: float | None
    people_ahead: int
    eta_minutes: float
    naive_eta_minutes: float

    @property
    def wait_minutes(self) -> float | None:
        """Minutes from issue to the first call (what the estimate predicts)."""
        if self.first_called_minute is None:
            return None
        return self.first_called_minute - self.issued_minute


@dataclass
class DayResult:
    """One simulated day."""

    day: date
    counters: int
    double_calls: int
    outcomes: list[TicketOutcome]
    facts: list[kpis.TicketFact]
    staffed: dict[tuple[int, date, int], float]

    @property
    def tickets(self) -> int:
        """Tickets issued."""
        return len(self.outcomes)

    def figures(self) -> kpis.QueueKpis:
        """The day's queue KPIs."""
        return kpis.summarise(self.facts, staffed=self.staffed)


@dataclass
class SimulationReport:
    """A run of one or more days at one outlet, and the what-if answer."""

    outlet_code: str
    spec: DaySpec
    days: list[DayResult]
    counters_needed: int | None = None
    what_if: dict[int, float] = field(default_factory=dict)
    """Share within target by number of counters, for the counters tried."""

    @property
    def outcomes(self) -> list[TicketOutcome]:
        """Every ticket of every day."""
        return [o for d in self.days for o in d.outcomes]

    def figures(self) -> kpis.QueueKpis:
        """The KPIs over all days."""
        staffed = {k: v for d in self.days for k, v in d.staffed.items()}
        return kpis.summarise([f for d in self.days for f in d.facts], staffed=staffed)

    def eta_errors(self) -> tuple[float | None, float | None]:
        """Mean absolute error, in minutes, of our estimate and of the naive one."""
        waited = [(o, w) for o in self.outcomes if (w := o.wait_minutes) is not None]
        if not waited:
            return None, None
        ours = sum(abs(o.eta_minutes - w) for o, w in waited) / len(waited)
        naive = sum(abs(o.naive_eta_minutes - w) for o, w in waited) / len(waited)
        return ours, naive

    def max_wait_by_tier(self) -> dict[str, float]:
        """The longest wait to the first call, per tier (tiers that came)."""
        longest: dict[str, float] = {}
        for o in self.outcomes:
            wait = o.wait_minutes
            if wait is not None:
                longest[o.tier] = max(longest.get(o.tier, 0.0), wait)
        order = {t.value: i for i, t in enumerate(TIER_ORDER)}
        return {t: round(longest[t], 2) for t in sorted(longest, key=lambda t: order.get(t, 9))}

    def as_json(self) -> dict[str, Any]:
        """The report as one JSON object (``smartbranch simulate day --json``)."""
        ours, naive = self.eta_errors()
        figures = self.figures()
        return {
            "outlet": self.outlet_code,
            "days": len(self.days),
            "counters": self.spec.counters,
            "profile": self.spec.profile,
            "seed": self.spec.seed,
            "tickets": sum(d.tickets for d in self.days),
            "double_calls": sum(d.double_calls for d in self.days),
            "eta_mae_minutes": _round(ours),
            "naive_eta_mae_minutes": _round(naive),
            "eta_error_reduction": _round(1 - ours / naive, 4)
            if ours is not None and naive
            else None,
            "share_within_target": _round(figures.share_within_target, 4),
            "max_wait_minutes_by_tier": self.max_wait_by_tier(),
            "kpis": figures.as_dict(),
            "per_day": [
                {"day": d.day.isoformat(), "tickets": d.tickets, **d.figures().as_dict()}
                for d in self.days
            ],
            "what_if": {
                "target_share": TARGET_SHARE,
                "counters_needed": self.counters_needed,
                "share_within_target_by_counters": {
                    str(n): round(s, 4) for n, s in sorted(self.what_if.items())
                },
            },
        }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def business_days(count: int, first: date = FIRST_DAY) -> list[date]:
    """``count`` consecutive weekdays from ``first``."""
    days: list[date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def counter_specs(count: int) -> tuple[CounterSpec, ...]:
    """The floor of a simulated outlet: the usual profiles, one VIP counter from two up."""
    return default_counters(count, vip=1 if count >= 2 else 0) if count >= 1 else ()


def served_services(specs: Sequence[CounterSpec]) -> set[str]:
    """The services some counter serves (customers come only for those)."""
    return {code for spec in specs for code in spec.services}


# --- the scratch database ----------------------------------------------------------------------


def scratch_settings(workdir: Path) -> Settings:
    """Settings of a scratch SQLite database under ``workdir``."""
    return Settings(
        env="test",
        var_dir=workdir,
        database_url=f"sqlite:///{workdir / 'branchday.db'}",
        # Keys of a throw-away database that holds no credential or session.
        credential_key=secrets.token_hex(32),
        secret_key=secrets.token_hex(16),
    )


async def _seed(sessionmaker: async_sessionmaker[AsyncSession], population: Population) -> None:
    async with unit_of_work(sessionmaker) as session:
        for row in population.org_rows:
            await session.execute(insert(OrgUnit), [row])
        if population.teller_rows:
            await session.execute(insert(Staff), population.teller_rows)
        if population.customer_rows:
            await session.execute(insert(Customer), population.customer_rows)
        if population.profile_rows:
            await session.execute(insert(CustomerProfile), population.profile_rows)


async def simulated_tellers(session: AsyncSession, population: Population, count: int) -> list[int]:
    """Staff ids of ``count`` tellers of the outlet, adding simulated ones if it has fewer."""
    outlet = await session.scalar(select(OrgUnit).where(OrgUnit.code == population.outlet_code))
    assert outlet is not None
    ids = list(
        await session.scalars(
            select(Staff.id)
            .where(Staff.org_unit_id == outlet.id, Staff.role == Role.TELLER)
            .order_by(Staff.id)
        )
    )
    n = len(ids)
    while len(ids) < count:
        n += 1
        staff = Staff(
            username=f"sim.{population.outlet_code.lower()}.teller{n}",
            display_name=f"Teller {n}",
            role=Role.TELLER,
            org_unit_id=outlet.id,
            password_hash=None,
            active=True,
        )
        session.add(staff)
        await session.flush()
        ids.append(staff.id)
    return ids[:count]


# --- one day ---------------------------------------------------------------------------------


async def run_unit(
    sessionmaker: async_sessionmaker[AsyncSession],
    action: Callable[..., Coroutine[Any, Any, T]],
    **params: Any,
) -> T:
    """``action(session, **params)`` in a unit of work of its own, as a request runs it."""
    async with unit_of_work(sessionmaker) as session:
        return await action(session, **params)


class _Day:
    """The SimPy processes of one day: arrivals and tellers, through the queue service."""

    def __init__(
        self,
        runner: asyncio.Runner,
        sessionmaker: async_sessionmaker[AsyncSession],
        population: Population,
        arrivals: list[Arrival],
        counters: list[tuple[str, int, int]],
        opening: datetime,
        rng: random.Random,
    ) -> None:
        self.runner = runner
        self.sessionmaker = sessionmaker
        self.population = population
        self.arrivals = arrivals
        self.counters = counters
        self.opening = opening
        self.rng = rng
        self.env = simpy.Environment()
        self.arrivals_done = False
        self.wake = self.env.event()
        self.held: dict[int, str] = {}
        self.double_calls = 0
        self.issued: dict[int, tuple[Arrival, Ticket]] = {}
        self.first_call: dict[int, float] = {}
        self.closed_at: dict[int, float] = {}

    def at(self, minute: float) -> datetime:
        """The simulated clock as a UTC timestamp."""
        return self.opening + timedelta(minutes=minute)

    def call(self, action: Callable[..., Coroutine[Any, Any, T]], **params: Any) -> T:
        """``action(session, **params)`` in one unit of work, as one request would run it,
        at the simulated time."""
        return self.runner.run(
            run_unit(self.sessionmaker, action, now=self.at(self.env.now), **params)
        )

    def _notify(self) -> None:
        wake, self.wake = self.wake, self.env.event()
        wake.succeed()

    def arrive(self) -> Generator[simpy.Event, Any, None]:
        """Customers take their tickets as they walk in."""
        outlet = self.population.outlet_code
        for arrival in self.arrivals:
            yield self.env.timeout(max(0.0, arrival.minute - self.env.now))
            customer_id = (
                self.population.visitors[arrival.customer_index].customer_id
                if arrival.customer_index >= 0
                else None
            )
            issued = self.call(
                queue.issue_ticket,
                outlet_code=outlet,
                service_code=arrival.service,
                customer_id=customer_id,
            )
            self.issued[issued.ticket.id] = (arrival, issued.ticket)
            self._notify()
        self.arrivals_done = True
        self._notify()

    def teller(
        self, code: str, staff_id: int, counter_id: int
    ) -> Generator[simpy.Event, Any, None]:
        """A teller at one counter: call, serve or give up on an absent customer, repeat."""
        outlet = self.population.outlet_code
        self.call(queue.sign_in_counter, outlet_code=outlet, counter_code=code, staff_id=staff_id)
        while True:
            result = self.call(
                queue.call_next, outlet_code=outlet, counter_code=code, staff_id=staff_id
            )
            ticket = result.ticket
            if ticket is None:
                if self.arrivals_done:
                    break  # everyone has come and nobody left is for this counter
                # Only an arrival can give an idle counter work in a simulated day.
                yield self.wake
                continue
            if ticket.id in self.held and self.held[ticket.id] != code:
                self.double_calls += 1
            self.held[ticket.id] = code
            self.first_call.setdefault(ticket.id, self.env.now)
            yield from self._serve(ticket.id, code, staff_id)
            self.held.pop(ticket.id, None)
            yield self.env.timeout(0.2)
        self.call(queue.close_counter, outlet_code=outlet, counter_code=code, staff_id=staff_id)
        self.closed_at[counter_id] = self.env.now

    def _serve(self, ticket_id: int, code: str, staff_id: int) -> Generator[simpy.Event, Any, None]:
        outlet = self.population.outlet_code
        arrival, _ticket = self.issued[ticket_id]
        present = self.env.now - arrival.minute <= arrival.patience_minutes

        def act(fn: Callable[..., Coroutine[Any, Any, Ticket]]) -> Ticket:
            return self.call(fn, outlet_code=outlet, ticket_id=ticket_id, staff_id=staff_id)

        if not present:
            # Nobody comes: recall up to the outlet's limit, then mark a no-show.
            while True:
                yield self.env.timeout(RECALL_INTERVAL_MINUTES)
                try:
                    act(queue.recall)
                except RecallLimitError:
                    break
            act(queue.no_show)
            return
        yield self.env.timeout(WALK_MINUTES * (0.5 + self.rng.random()))
        act(queue.start_service)
        yield self.env.timeout(arrival.service_minutes)
        act(queue.finish_service)

    def simulate(self) -> None:
        """Run the day until the last customer has been served and the counters close."""
        self.env.process(self.arrive())
        for code, staff_id, counter_id in self.counters:
            self.env.process(self.teller(code, staff_id, counter_id))
        self.env.run()


def _local_opening(day: date, timezone: str) -> datetime:
    local = datetime.combine(day, OPENS, tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)


def simulate_days(
    population: Population,
    spec: DaySpec,
    *,
    days: int = 1,
    workdir: Path | None = None,
) -> list[DayResult]:
    """Simulate ``days`` consecutive weekdays at the population's outlet with ``spec``,
    on a fresh scratch database (the days share it, so handling times learned on one day
    inform the next day's estimates, as they would at a real outlet).

    Synchronous: it runs its own event loop. Call it from a thread when a loop is running.
    """
    from smartbranch.migrations.runner import upgrade

    with tempfile.TemporaryDirectory(prefix="branchday-", dir=workdir) as tmp:
        settings = scratch_settings(Path(tmp))
        upgrade(settings)
        with asyncio.Runner() as runner:
            runner.run(_prepare(settings, population, spec))
            return _run_days(runner, settings, population, spec, days)


async def _prepare(settings: Settings, population: Population, spec: DaySpec) -> None:
    engine = create_engine(settings)
    try:
        sessionmaker = create_sessionmaker(engine)
        await _seed(sessionmaker, population)
        async with unit_of_work(sessionmaker) as session:
            await setup_outlet(
                session, outlet_code=population.outlet_code, counters=counter_specs(spec.counters)
            )
    finally:
        await engine.dispose()


def _run_days(
    runner: asyncio.Runner, settings: Settings, population: Population, spec: DaySpec, days: int
) -> list[DayResult]:
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    try:
        return [
            _run_day(runner, sessionmaker, population, spec, day, index)
            for index, day in enumerate(business_days(days))
        ]
    finally:
        runner.run(engine.dispose())


def _run_day(
    runner: asyncio.Runner,
    sessionmaker: async_sessionmaker[AsyncSession],
    population: Population,
    spec: DaySpec,
    day: date,
    index: int,
) -> DayResult:
    seed = spec.seed * 1000 + index
    rng = np.random.default_rng(seed)
    profile = profile_named(spec.profile)
    if spec.visits_per_day is not None:
        profile = ArrivalProfile(profile.name, spec.visits_per_day, profile.half_hour_shape)
    specs = counter_specs(spec.counters)
    offered = served_services(specs)
    arrivals = [
        a
        if a.service in offered
        else _replace_service(a, "non_cash" if "non_cash" in offered else "cash")
        for a in draw_day(profile, population.visitors, rng)
    ]

    async def _floor() -> tuple[list[tuple[str, int, int]], int]:
        async with unit_of_work(sessionmaker) as session:
            tellers = await simulated_tellers(session, population, len(specs))
            rows = (
                await session.execute(
                    select(Counter.code, Counter.id, OrgUnit.id)
                    .join(OrgUnit, OrgUnit.id == Counter.outlet_id)
                    .where(OrgUnit.code == population.outlet_code)
                )
            ).all()
            ids = {r[0]: r[1] for r in rows}
            outlet_id = rows[0][2]
            return [(s.code, tellers[i], ids[s.code]) for i, s in enumerate(specs)], outlet_id

    counters, outlet_id = runner.run(_floor())
    sim = _Day(
        runner,
        sessionmaker,
        population,
        arrivals,
        counters,
        _local_opening(day, population.timezone),
        random.Random(seed),
    )
    sim.simulate()

    async def _facts() -> list[kpis.TicketFact]:
        async with sessionmaker() as session:
            return await kpis.ticket_facts(session, path_prefix="/", date_from=day, date_to=day)

    facts = runner.run(_facts())
    outcomes = [
        TicketOutcome(
            ticket_id=ticket.id,
            tier=ticket.tier,
            service=arrival.service,
            issued_minute=arrival.minute,
            first_called_minute=sim.first_call.get(ticket.id),
            people_ahead=ticket.people_ahead_at_issue,
            eta_minutes=ticket.eta_minutes_at_issue,
            naive_eta_minutes=ticket.naive_eta_minutes_at_issue,
        )
        for ticket_id, (arrival, ticket) in sorted(sim.issued.items())
    ]
    staffed = {
        (outlet_id, day, cid): sim.closed_at.get(cid, sim.env.now) for _c, _s, cid in counters
    }
    return DayResult(
        day=day,
        counters=len(counters),
        double_calls=sim.double_calls,
        outcomes=outcomes,
        facts=facts,
        staffed=staffed,
    )


def _replace_service(arrival: Arrival, service: str) -> Arrival:
    from dataclasses import replace

    return replace(arrival, service=service)


def simulate(
    population: Population,
    spec: DaySpec,
    *,
    days: int = 1,
    what_if: bool = True,
    workdir: Path | None = None,
) -> SimulationReport:
    """Simulate the days and, with ``what_if``, find the fewest counters that call
    :data:`TARGET_SHARE` of customers within the target on the same days."""
    results = simulate_days(population, spec, days=days, workdir=workdir)
    report = SimulationReport(outlet_code=population.outlet_code, spec=spec, days=results)
    if not what_if:
        return report
    shares: dict[int, float] = {}

    def share(n: int) -> float:
        if n not in shares:
            if n == spec.counters:
                figures = report.figures()
            else:
                runs = simulate_days(
                    population, _with_counters(spec, n), days=days, workdir=workdir
                )
                figures = SimulationReport(population.outlet_code, spec, runs).figures()
            shares[n] = figures.share_within_target or 0.0
        return shares[n]

    n = spec.counters
    if share(n) >= TARGET_SHARE:
        while n > 1 and share(n - 1) >= TARGET_SHARE:
            n -= 1
        report.counters_needed = n
    else:
        while n < MAX_COUNTERS and share(n) < TARGET_SHARE:
            n += 1
        report.counters_needed = n if share(n) >= TARGET_SHARE else None
    report.what_if = shares
    return report


def _with_counters(spec: DaySpec, counters: int) -> DaySpec:
    from dataclasses import replace

    return replace(spec, counters=counters)
