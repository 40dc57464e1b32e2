"""Counters: signing in, pausing, closing, and calling the next ticket — never the same
ticket at two counters.

How call-next stays atomic:

- the counter's row is locked first (PostgreSQL ``FOR UPDATE``; on SQLite the unit of work
  holds the write lock from its first statement, see ``db.begin_write``), so two clicks at
  one counter run one after the other; the same query says whether it already holds a
  ticket;
- the policy ranks the candidates in Python; on PostgreSQL one statement then locks the
  best-ranked ticket that is still waiting and not being taken by another counter
  (``ORDER BY array_position(...) LIMIT 1 FOR UPDATE SKIP LOCKED``) and calls it
  (``UPDATE … WHERE id = (that) AND status = 'waiting' RETURNING``), so counters never wait
  on each other; on SQLite writers are serialised anyway, and each claim is a conditional
  ``UPDATE … WHERE status = 'waiting'``, the next candidate tried if it changed nothing.

See docs/adr/0011-calling-policy-and-locking.md.
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
    CounterNotFoundError,
    CounterPausedError,
    CounterTakenError,
    ServiceNotServedError,
)
from smartbranch.queueing.models import Counter, CounterState, Ticket, TicketStatus
from smartbranch.queueing.policy import Choice, CounterView, explain, rank
from smartbranch.queueing.service import hooks
from smartbranch.queueing.service.common import (
    OutletRef,
    get_counter,
    get_outlet,
    layout_of,
    load_queue,
    record_event,
    requeue,
    start,
)
from smartbranch.queueing.service.layout import outlet_layout


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
_AT_COUNTER = (
    select(Ticket.number)
    .where(
        Ticket.counter_id == Counter.id,
        Ticket.status.in_((TicketStatus.CALLED, TicketStatus.SERVING)),
    )
    .limit(1)
    .correlate(Counter)
    .scalar_subquery()
)
_LOCK_COUNTER = (
    select(Counter.id, Counter.state, Counter.staff_id, _AT_COUNTER)
    .where(Counter.outlet_id == bindparam("outlet_id"), Counter.code == bindparam("code"))
    .with_for_update(of=Counter)
)
"""The counter under its row lock, with the number of the ticket it holds, in one query."""
_CLAIM_VALUES = {
    "status": TicketStatus.CALLED,
    "counter_id": bindparam("counter_id"),
    "called_at": bindparam("now"),
    "called_by_staff_id": bindparam("staff_id"),
    "lease_expires_at": bindparam("lease_expires_at"),
    "recall_count": 0,
}
_CLAIM_FIRST_WAITING = (
    update(Ticket)
    .where(
        Ticket.id
        == (
            select(Ticket.id)
            .where(Ticket.id == func.any(_IDS), Ticket.status == TicketStatus.WAITING)
            .order_by(func.array_position(_IDS, Ticket.id))
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        ),
        Ticket.status == TicketStatus.WAITING,
    )
    .values(_CLAIM_VALUES)
    .returning(Ticket)
)
"""PostgreSQL: lock the best-ranked ticket that is still waiting and that no other counter is
taking at this moment (``SKIP LOCKED``), and call it — one statement."""
_CLAIM_IF_WAITING = (
    update(Ticket)
    .where(Ticket.id == bindparam("ticket_id"), Ticket.status == TicketStatus.WAITING)
    .values(_CLAIM_VALUES)
    .returning(Ticket)
)
_ORM_DML = {"synchronize_session": False, "populate_existing": True}


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
    row = (
        await session.execute(_LOCK_COUNTER, {"outlet_id": outlet.id, "code": counter_code})
    ).one_or_none()
    if row is None:
        raise CounterNotFoundError(outlet=outlet.code, counter=counter_code)
    counter_id, state, counter_staff, current = row
    if state == CounterState.CLOSED:
        raise CounterClosedError(counter=counter_code)
    if counter_staff != staff_id:
        raise CounterTakenError(counter=counter_code)
    if state == CounterState.PAUSED:
        raise CounterPausedError(counter=counter_code)
    if current is not None:
        raise CounterBusyError(counter=counter_code, number=current)
    layout = await layout_of(session, outlet)
    fixed = layout.counters.get(counter_code)
    if fixed is None:  # a counter added after this layout was read: read it afresh
        layout = await outlet_layout(session, outlet.id, None)
        fixed = layout.counters[counter_code]
    view = CounterView(
        code=counter_code, service_codes=fixed.service_codes, is_vip=fixed.is_vip, staff_id=staff_id
    )
    if service_code is not None:
        if service_code not in view.service_codes:
            raise ServiceNotServedError(counter=counter_code, service=service_code)
        view = replace(view, service_codes=(service_code,))
    queue = await load_queue(session, outlet, now)
    if queue.leases_expired(now):
        await release_expired_leases(session, outlet_code=outlet_code, now=now)
        queue = await load_queue(session, outlet, now)
    config = layout.config
    ranked = rank(queue.waiting, view, config, now)
    claim = {
        "counter_id": counter_id,
        "now": now,
        "staff_id": staff_id,
        "lease_expires_at": now + config.lease,
    }
    ticket: Ticket | None = None
    position = 0
    if ranked and session.get_bind().dialect.name == "postgresql":
        ids = [t.id for t in ranked]
        ticket = (
            await session.scalars(
                _CLAIM_FIRST_WAITING, {**claim, "ids": ids}, execution_options=_ORM_DML
            )
        ).one_or_none()
        if ticket is not None:
            position = ids.index(ticket.id)
    else:
        # SQLite: the unit of work holds the database's write lock (BEGIN IMMEDIATE), so no
        # other counter claims meanwhile; the status check still guards each claim.
        for position, candidate in enumerate(ranked):  # noqa: B007 (position used below)
            ticket = (
                await session.scalars(
                    _CLAIM_IF_WAITING,
                    {**claim, "ticket_id": candidate.id},
                    execution_options=_ORM_DML,
                )
            ).one_or_none()
            if ticket is not None:
                break
    if ticket is None:
        return CallResult(ticket=None, choice=None)
    choice = explain(ranked[position], ranked[position:], view, config, now)
    await record_event(
        session,
        ticket,
        "called",
        now,
        staff_id=staff_id,
        counter_id=counter_id,
        detail={"counter": counter_code, "reason": choice.reason, **choice.explanation},
    )
    await hooks.run_called(session, ticket.id, counter_id, staff_id)
    return CallResult(ticket=ticket, choice=choice)
