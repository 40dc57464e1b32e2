"""Reading the queue: a snapshot of an outlet's floor, and the event feed the display board
follows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from smartbranch.db import utcnow
from smartbranch.queueing.models import Counter, Ticket, TicketEvent, TicketStatus
from smartbranch.queueing.service.common import get_outlet, layout_of


@dataclass(frozen=True, slots=True)
class WaitingTicket:
    """A ticket waiting to be called."""

    id: int
    number: str
    service_code: str
    tier: str
    issued_at: datetime
    queued_at: datetime
    target_counter_code: str | None = None
    target_staff_id: int | None = None
    appointment_id: int | None = None
    eta_minutes_at_issue: float = 0.0


@dataclass(frozen=True, slots=True)
class CalledTicket:
    """A ticket called to, or being served at, a counter."""

    id: int
    number: str
    service_code: str
    tier: str
    status: str
    counter_code: str
    called_at: datetime
    started_at: datetime | None
    recall_count: int
    customer_id: int | None
    lease_expires_at: datetime | None


@dataclass
class ServiceQueue:
    """One service's waiting line, in arrival order."""

    code: str
    prefix: str
    name: str
    name_en: str
    waiting: list[WaitingTicket] = field(default_factory=list)

    @property
    def waiting_count(self) -> int:
        """How many wait for this service."""
        return len(self.waiting)


@dataclass
class CounterStatus:
    """A counter and what it is doing."""

    code: str
    name: str
    is_vip: bool
    state: str
    staff_id: int | None
    service_codes: tuple[str, ...]
    ticket: CalledTicket | None = None


@dataclass
class QueueSnapshot:
    """An outlet's floor at one moment."""

    outlet_code: str
    at: datetime
    services: list[ServiceQueue]
    counters: list[CounterStatus]
    called: list[CalledTicket]
    """At counters, latest call first."""

    @property
    def open_counters(self) -> list[CounterStatus]:
        """Counters signed in and calling (or paused)."""
        return [c for c in self.counters if c.state != "closed"]


_Target = aliased(Counter)


async def queue_snapshot(
    session: AsyncSession, *, outlet_code: str, now: datetime | None = None
) -> QueueSnapshot:
    """The outlet's waiting lines of today per service, its counters and the tickets now
    called or served."""
    outlet = await get_outlet(session, outlet_code)
    now = now or utcnow()
    layout = await layout_of(session, outlet)
    queues = {
        s.id: ServiceQueue(s.code, s.prefix, s.name, s.name_en) for s in layout.services.values()
    }
    code_of = {s.id: s.code for s in layout.services.values()}
    fixed = layout.counter_by_id
    # Who sits where and whether a counter is open is read now, never cached.
    statuses = {
        counter_id: CounterStatus(
            fixed[counter_id].code,
            fixed[counter_id].name,
            fixed[counter_id].is_vip,
            state,
            staff_id,
            fixed[counter_id].service_codes,
        )
        for counter_id, state, staff_id in await session.execute(
            select(Counter.id, Counter.state, Counter.staff_id)
            .where(Counter.outlet_id == outlet.id)
            .order_by(Counter.id)
        )
        if counter_id in fixed
    }
    rows = await session.execute(
        select(
            Ticket.id,
            Ticket.number,
            Ticket.service_id,
            Ticket.tier,
            Ticket.status,
            Ticket.issued_at,
            Ticket.queued_at,
            Ticket.target_staff_id,
            Ticket.appointment_id,
            Ticket.eta_minutes_at_issue,
            Ticket.counter_id,
            Ticket.called_at,
            Ticket.started_at,
            Ticket.recall_count,
            Ticket.customer_id,
            Ticket.lease_expires_at,
            _Target.code,
        )
        .outerjoin(_Target, _Target.id == Ticket.target_counter_id)
        .where(
            Ticket.outlet_id == outlet.id,
            (
                (Ticket.status == TicketStatus.WAITING)
                & (Ticket.business_day == outlet.business_day(now))
            )
            | Ticket.status.in_((TicketStatus.CALLED, TicketStatus.SERVING)),
        )
        .order_by(Ticket.queued_at, Ticket.id)
    )
    called: list[CalledTicket] = []
    for ticket in rows:
        if ticket.status == TicketStatus.WAITING:
            queues[ticket.service_id].waiting.append(
                WaitingTicket(
                    id=ticket.id,
                    number=ticket.number,
                    service_code=code_of[ticket.service_id],
                    tier=ticket.tier,
                    issued_at=ticket.issued_at,
                    queued_at=ticket.queued_at,
                    target_counter_code=ticket.code,
                    target_staff_id=ticket.target_staff_id,
                    appointment_id=ticket.appointment_id,
                    eta_minutes_at_issue=ticket.eta_minutes_at_issue,
                )
            )
        elif ticket.counter_id in statuses and ticket.called_at is not None:
            at = CalledTicket(
                id=ticket.id,
                number=ticket.number,
                service_code=code_of[ticket.service_id],
                tier=ticket.tier,
                status=ticket.status,
                counter_code=statuses[ticket.counter_id].code,
                called_at=ticket.called_at,
                started_at=ticket.started_at,
                recall_count=ticket.recall_count,
                customer_id=ticket.customer_id,
                lease_expires_at=ticket.lease_expires_at,
            )
            statuses[ticket.counter_id].ticket = at
            called.append(at)
    called.sort(key=lambda t: t.called_at, reverse=True)
    return QueueSnapshot(
        outlet_code=outlet.code,
        at=now,
        services=list(queues.values()),
        counters=list(statuses.values()),
        called=called,
    )


async def events_since(
    session: AsyncSession, *, outlet_code: str, after_id: int, limit: int = 100
) -> list[TicketEvent]:
    """The outlet's ticket events after the cursor ``after_id``, oldest first."""
    outlet = await get_outlet(session, outlet_code)
    return list(
        (
            await session.scalars(
                select(TicketEvent)
                .where(TicketEvent.outlet_id == outlet.id, TicketEvent.id > after_id)
                .order_by(TicketEvent.id)
                .limit(limit)
            )
        ).all()
    )
