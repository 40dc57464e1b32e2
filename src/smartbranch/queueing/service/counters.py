"""Counters: signing in, pausing, closing, and calling the next ticket — never the same
ticket at two counters.

How call-next stays atomic:

- the counter's row is locked first (PostgreSQL ``FOR UPDATE``; on SQLite the unit of work
  holds the write lock from its first statement, see ``db.begin_write``), so two clicks at
  one counter run one after the other;
- the policy ranks the candidates in Python; on PostgreSQL one statement then locks the
  best-ranked ticket that is still waiting and not being taken by another counter
  (``ORDER BY array_position(...) LIMIT 1 FOR UPDATE SKIP LOCKED``), so counters never wait
  on each other; on SQLite writers are serialised anyway;
- the claim itself is a conditional ``UPDATE … WHERE status = 'waiting'``; if it changed
  nothing, the next candidate is tried.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ARRAY, Integer, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.db import begin_write, utcnow
from smartbranch.queueing.errors import (
    CounterBusyError,
    CounterClosedError,
    CounterPausedError,
    CounterTakenError,
    ServiceNotServedError,
)
from smartbranch.queueing.models import Counter, CounterState, Ticket, TicketStatus
from smartbranch.queueing.policy import Choice, explain, rank
from smartbranch.queueing.service.common import (
    OutletRef,
    counter_view,
    get_counter,
    get_outlet,
    load_policy,
    load_queue,
    record_event,
    requeue,
    service_codes,
    start,
)


@dataclass(frozen=True, slots=True)
class CallResult:
    """The ticket a counter called (None when no one it may serve is waiting), and why."""

    ticket: Ticket | None
    choice: Choice | None


async def _open_counter(
    session: AsyncSession, outlet: OutletRef, code: str, staff_id: int, now: datetime
) -> Counter:
    counter = await get_counter(session, outlet, code, lock=True)
    if counter.state == CounterState.CLOSED:
        raise CounterClosedError(counter=code)
    if counter.staff_id != staff_id:
        raise CounterTakenError(counter=code)
    return counter


async def sign_in_counter(
    session: AsyncSession,
    *,
    outlet_code: str,
    counter_code: str,
    staff_id: int,
    device_id: int | None = None,
    now: datetime | None = None,
) -> Counter:
    """Open a counter for a member of staff (again, if they are already signed in there)."""
    outlet, now = await start(session, outlet_code, now)
    counter = await get_counter(session, outlet, counter_code, lock=True)
    if counter.state != CounterState.CLOSED and counter.staff_id not in (None, staff_id):
        raise CounterTakenError(counter=counter_code)
    if counter.state == CounterState.CLOSED:
        counter.state = CounterState.OPEN
    counter.staff_id, counter.device_id, counter.updated_at = staff_id, device_id, now
    await session.flush()
    return counter


async def pause_counter(
    session: AsyncSession,
    *,
    outlet_code: str,
    counter_code: str,
    staff_id: int,
    now: datetime | None = None,
) -> Counter:
    """Stop calling for a while (the teller steps away); the called ticket stays."""
    outlet, now = await start(session, outlet_code, now)
    counter = await _open_counter(session, outlet, counter_code, staff_id, now)
    counter.state, counter.updated_at = CounterState.PAUSED, now
    await session.flush()
    return counter


async def resume_counter(
    session: AsyncSession,
    *,
    outlet_code: str,
    counter_code: str,
    staff_id: int,
    now: datetime | None = None,
) -> Counter:
    """Call again after a pause."""
    outlet, now = await start(session, outlet_code, now)
    counter = await _open_counter(session, outlet, counter_code, staff_id, now)
    counter.state, counter.updated_at = CounterState.OPEN, now
    await session.flush()
    return counter


async def close_counter(
    session: AsyncSession,
    *,
    outlet_code: str,
    counter_code: str,
    staff_id: int,
    now: datetime | None = None,
) -> Counter:
    """Close a counter; a ticket called to it and not yet started goes back to the queue
    where it stood. A customer being served must be finished (or transferred) first."""
    outlet, now = await start(session, outlet_code, now)
    counter = await get_counter(session, outlet, counter_code, lock=True)
    at_counter = (
        await session.execute(
            select(Ticket.id, Ticket.status, Ticket.number).where(
                Ticket.counter_id == counter.id,
                Ticket.status.in_((TicketStatus.CALLED, TicketStatus.SERVING)),
            )
        )
    ).all()
    serving = [number for _id, status, number in at_counter if status == TicketStatus.SERVING]
    if serving:
        raise CounterBusyError(counter=counter_code, number=serving[0])
    await requeue(
        session,
        {ticket_id: counter.id for ticket_id, _s, _n in at_counter},
        at=now,
        reason="counter_closed",
        staff_id=staff_id,
    )
    counter.state, counter.staff_id, counter.device_id = CounterState.CLOSED, None, None
    counter.updated_at = now
    await session.flush()
    return counter


async def release_expired_leases(
    session: AsyncSession, *, outlet_code: str | None = None, now: datetime | None = None
) -> int:
    """Return called tickets whose counter went silent past the lease to the queue, where
    they stood; how many. Rows another transaction holds are left for the next round."""
    await begin_write(session)
    now = now or utcnow()
    statement = select(Ticket.id, Ticket.counter_id).where(
        Ticket.status == TicketStatus.CALLED, Ticket.lease_expires_at < now
    )
    if outlet_code is not None:
        outlet = await get_outlet(session, outlet_code)
        statement = statement.where(Ticket.outlet_id == outlet.id)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    expired = {ticket_id: counter_id for ticket_id, counter_id in await session.execute(statement)}
    released = await requeue(session, expired, at=now, reason="lease_expired")
    return len(released)


_IDS = bindparam("ids", type_=ARRAY(Integer))
_LOCK_FIRST_WAITING = (
    select(Ticket.id)
    .where(Ticket.id == func.any(_IDS), Ticket.status == TicketStatus.WAITING)
    .order_by(func.array_position(_IDS, Ticket.id))
    .limit(1)
    .with_for_update(skip_locked=True)
)


async def call_next(
    session: AsyncSession,
    *,
    outlet_code: str,
    counter_code: str,
    staff_id: int,
    service_code: str | None = None,
    now: datetime | None = None,
) -> CallResult:
    """Call the ticket the outlet's policy picks for this counter (optionally only of one of
    its services), atomically: no ticket is ever called by two counters."""
    outlet, now = await start(session, outlet_code, now)
    counter = await _open_counter(session, outlet, counter_code, staff_id, now)
    if counter.state == CounterState.PAUSED:
        raise CounterPausedError(counter=counter_code)
    current = await session.scalar(
        select(Ticket.number).where(
            Ticket.counter_id == counter.id,
            Ticket.status.in_((TicketStatus.CALLED, TicketStatus.SERVING)),
        )
    )
    if current is not None:
        raise CounterBusyError(counter=counter_code, number=current)
    view = counter_view(counter, (await service_codes(session, [counter.id]))[counter.id])
    if service_code is not None:
        if service_code not in view.service_codes:
            raise ServiceNotServedError(counter=counter_code, service=service_code)
        view = replace(view, service_codes=(service_code,))
    await release_expired_leases(session, outlet_code=outlet_code, now=now)
    config = await load_policy(session, outlet.id)
    ranked = rank((await load_queue(session, outlet, now)).waiting, view, config, now)
    postgres = session.get_bind().dialect.name == "postgresql"
    while ranked:
        position = 0
        if postgres:
            ids = [t.id for t in ranked]
            locked = await session.scalar(_LOCK_FIRST_WAITING, {"ids": ids})
            if locked is None:
                break
            position = ids.index(locked)
        chosen = ranked[position]
        ticket = (
            await session.scalars(
                update(Ticket)
                .where(Ticket.id == chosen.id, Ticket.status == TicketStatus.WAITING)
                .values(
                    status=TicketStatus.CALLED,
                    counter_id=counter.id,
                    called_at=now,
                    called_by_staff_id=staff_id,
                    lease_expires_at=now + config.lease,
                    recall_count=0,
                )
                .returning(Ticket),
                execution_options={"synchronize_session": False, "populate_existing": True},
            )
        ).one_or_none()
        if ticket is None:  # taken meanwhile: the next best one
            del ranked[: position + 1]
            continue
        choice = explain(chosen, ranked[position:], view, config, now)
        await record_event(
            session,
            ticket,
            "called",
            now,
            staff_id=staff_id,
            counter_id=counter.id,
            detail={"counter": counter.code, "reason": choice.reason, **choice.explanation},
        )
        return CallResult(ticket=ticket, choice=choice)
    return CallResult(ticket=None, choice=None)
