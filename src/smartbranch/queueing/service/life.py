"""A called ticket's life: recall, start, finish, no-show, skip, transfer, cancel. Every
transition locks the ticket's row, checks where the ticket stands, and records an event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.orgs.models import Staff
from smartbranch.queueing.errors import (
    RecallLimitError,
    ServiceNotServedError,
    StaffNotAtOutletError,
    TicketAtOtherCounterError,
    TicketBeingServedError,
    TicketClosedError,
    TicketNotCalledError,
    TicketNotServingError,
    TransferTargetMissingError,
)
from smartbranch.queueing.handling import record_handling
from smartbranch.queueing.models import ACTIVE_STATUSES, Counter, Ticket, TicketStatus
from smartbranch.queueing.service import hooks
from smartbranch.queueing.service.common import (
    OutletRef,
    get_counter,
    get_service,
    get_ticket,
    load_policy,
    record_event,
    service_codes,
    start,
)


async def _at_your_counter(
    session: AsyncSession,
    outlet: OutletRef,
    ticket_id: int,
    staff_id: int,
    expected: TicketStatus,
) -> Ticket:
    """The ticket, provided it stands at the acting teller's counter in state ``expected``."""
    ticket = await get_ticket(session, outlet, ticket_id)
    if ticket.status != expected:
        if expected == TicketStatus.SERVING:
            raise TicketNotServingError(number=ticket.number)
        raise TicketNotCalledError(number=ticket.number)
    if ticket.called_by_staff_id != staff_id:
        counter_staff = await session.scalar(
            select(Counter.staff_id).where(Counter.id == ticket.counter_id)
        )
        if counter_staff != staff_id:
            raise TicketAtOtherCounterError(number=ticket.number)
    return ticket


async def recall(
    session: AsyncSession,
    *,
    outlet_code: str,
    ticket_id: int,
    staff_id: int,
    now: datetime | None = None,
) -> Ticket:
    """Call the same ticket again (the board announces it again); at most the outlet's
    recall limit, after which the teller marks a no-show. Renews the lease."""
    outlet, now = await start(session, outlet_code, now)
    ticket = await _at_your_counter(session, outlet, ticket_id, staff_id, TicketStatus.CALLED)
    config = await load_policy(session, outlet.id)
    if ticket.recall_count >= config.recall_limit:
        raise RecallLimitError(number=ticket.number, limit=config.recall_limit)
    ticket.recall_count += 1
    ticket.lease_expires_at = now + config.lease
    await session.flush()
    await record_event(
        session,
        ticket,
        "recalled",
        now,
        staff_id=staff_id,
        counter_id=ticket.counter_id,
        detail={"recall": ticket.recall_count},
    )
    assert ticket.counter_id is not None  # a called ticket stands at a counter
    await hooks.run_called(session, ticket.id, ticket.counter_id, staff_id)
    return ticket


async def start_service(
    session: AsyncSession,
    *,
    outlet_code: str,
    ticket_id: int,
    staff_id: int,
    now: datetime | None = None,
) -> Ticket:
    """The customer has come to the counter: service begins (the lease ends)."""
    outlet, now = await start(session, outlet_code, now)
    ticket = await _at_your_counter(session, outlet, ticket_id, staff_id, TicketStatus.CALLED)
    ticket.status, ticket.started_at, ticket.lease_expires_at = TicketStatus.SERVING, now, None
    await session.flush()
    await record_event(
        session, ticket, "started", now, staff_id=staff_id, counter_id=ticket.counter_id
    )
    return ticket


async def finish_service(
    session: AsyncSession,
    *,
    outlet_code: str,
    ticket_id: int,
    staff_id: int,
    now: datetime | None = None,
) -> Ticket:
    """Service done; its handling time feeds the outlet's learned averages."""
    outlet, now = await start(session, outlet_code, now)
    ticket = await _at_your_counter(session, outlet, ticket_id, staff_id, TicketStatus.SERVING)
    ticket.status, ticket.finished_at = TicketStatus.DONE, now
    await session.flush()
    assert ticket.started_at is not None
    await record_handling(
        session,
        service_id=ticket.service_id,
        started_at=ticket.started_at,
        finished_at=now,
        tz=outlet.tz,
    )
    await record_event(
        session,
        ticket,
        "finished",
        now,
        staff_id=staff_id,
        counter_id=ticket.counter_id,
        detail={"service_seconds": round((now - ticket.started_at).total_seconds())},
    )
    await hooks.run_finished(session, ticket.id, staff_id)
    return ticket


async def no_show(
    session: AsyncSession,
    *,
    outlet_code: str,
    ticket_id: int,
    staff_id: int,
    now: datetime | None = None,
) -> Ticket:
    """The called customer did not come: the ticket ends."""
    outlet, now = await start(session, outlet_code, now)
    ticket = await _at_your_counter(session, outlet, ticket_id, staff_id, TicketStatus.CALLED)
    ticket.status, ticket.finished_at, ticket.lease_expires_at = TicketStatus.NO_SHOW, now, None
    await session.flush()
    await record_event(
        session,
        ticket,
        "no_show",
        now,
        staff_id=staff_id,
        counter_id=ticket.counter_id,
        detail={"recalls": ticket.recall_count},
    )
    return ticket


async def skip(
    session: AsyncSession,
    *,
    outlet_code: str,
    ticket_id: int,
    staff_id: int,
    now: datetime | None = None,
) -> Ticket:
    """Pass over a called customer who is not here yet: the ticket goes back to the end of
    its queue (its place now counts from this moment) instead of ending."""
    outlet, now = await start(session, outlet_code, now)
    ticket = await _at_your_counter(session, outlet, ticket_id, staff_id, TicketStatus.CALLED)
    counter_id = ticket.counter_id
    _back_to_queue(ticket)
    ticket.queued_at = now
    await session.flush()
    await record_event(session, ticket, "skipped", now, staff_id=staff_id, counter_id=counter_id)
    return ticket


def _back_to_queue(ticket: Ticket) -> None:
    ticket.status = TicketStatus.WAITING
    ticket.counter_id = ticket.called_at = ticket.called_by_staff_id = None
    ticket.lease_expires_at = ticket.started_at = None
    ticket.recall_count = 0


async def transfer(
    session: AsyncSession,
    *,
    outlet_code: str,
    ticket_id: int,
    staff_id: int,
    to_service_code: str | None = None,
    to_counter_code: str | None = None,
    to_staff_id: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Send a customer on to another service, counter or named member of staff. The ticket
    keeps its number, tier and place (``queued_at``), so the customer does not queue again
    from the back; a service already begun counts as handled."""
    if to_service_code is None and to_counter_code is None and to_staff_id is None:
        raise TransferTargetMissingError()
    outlet, now = await start(session, outlet_code, now)
    ticket = await get_ticket(session, outlet, ticket_id)
    if ticket.status not in ACTIVE_STATUSES:
        raise TicketClosedError(number=ticket.number)
    service = await get_service(session, outlet, to_service_code) if to_service_code else None
    counter = await get_counter(session, outlet, to_counter_code) if to_counter_code else None
    if (
        counter is not None
        and service is not None
        and service.code not in (await service_codes(session, [counter.id]))[counter.id]
    ):
        raise ServiceNotServedError(counter=counter.code, service=service.code)
    if to_staff_id is not None:
        staff_outlet = await session.scalar(
            select(Staff.org_unit_id).where(Staff.id == to_staff_id)
        )
        if staff_outlet != outlet.id:
            raise StaffNotAtOutletError(staff=to_staff_id, outlet=outlet.code)
    from_counter, from_service = ticket.counter_id, ticket.service_id
    if ticket.status == TicketStatus.SERVING and ticket.started_at is not None:
        await record_handling(
            session,
            service_id=ticket.service_id,
            started_at=ticket.started_at,
            finished_at=now,
            tz=outlet.tz,
        )
    _back_to_queue(ticket)
    if service is not None:
        ticket.service_id = service.id
    ticket.target_counter_id = counter.id if counter is not None else None
    ticket.target_staff_id = to_staff_id
    await session.flush()
    await record_event(
        session,
        ticket,
        "transferred",
        now,
        staff_id=staff_id,
        counter_id=from_counter,
        detail={
            "from_service_id": from_service,
            "to_service": to_service_code,
            "to_counter": to_counter_code,
            "to_staff_id": to_staff_id,
        },
    )
    return ticket


async def cancel(
    session: AsyncSession,
    *,
    outlet_code: str,
    ticket_id: int,
    staff_id: int,
    now: datetime | None = None,
) -> Ticket:
    """Cancel a ticket that is waiting or called (the customer left, or took a wrong one)."""
    outlet, now = await start(session, outlet_code, now)
    ticket = await get_ticket(session, outlet, ticket_id)
    if ticket.status == TicketStatus.SERVING:
        raise TicketBeingServedError(number=ticket.number)
    if ticket.status not in ACTIVE_STATUSES:
        raise TicketClosedError(number=ticket.number)
    counter_id = ticket.counter_id
    ticket.status, ticket.finished_at, ticket.lease_expires_at = TicketStatus.CANCELLED, now, None
    await session.flush()
    await record_event(session, ticket, "cancelled", now, staff_id=staff_id, counter_id=counter_id)
    return ticket
