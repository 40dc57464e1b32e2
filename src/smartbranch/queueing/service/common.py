"""Lookups and bookkeeping shared by the queue's actions: the outlet, its policy, counters,
tickets, the recorded events, and the queue state the policy and the estimates read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from smartbranch.db import begin_write, utcnow
from smartbranch.orgs.models import OrgKind, OrgUnit
from smartbranch.orgs.service import OutletNotFoundError
from smartbranch.queueing.errors import (
    CounterNotFoundError,
    ServiceNotFoundError,
    TicketNotFoundError,
)
from smartbranch.queueing.handling import HandlingTimes
from smartbranch.queueing.models import (
    Appointment,
    AppointmentStatus,
    Counter,
    CounterService,
    QueueLayout,
    QueuePolicy,
    Service,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from smartbranch.queueing.policy import CounterView, PolicyConfig, QueuedTicket
from smartbranch.queueing.service.layout import (
    OUTLETS_KEY,
    Layout,
    ServiceInfo,
    config_from_row,
    handling_times,
    outlet_layout,
)


@dataclass(frozen=True, slots=True)
class OutletRef:
    """An outlet, as the queue needs it."""

    id: int
    code: str
    path: str
    tz: ZoneInfo
    layout_token: str | None = None
    """The token of its layout (services, counters, policy) as this unit of work read it."""

    def business_day(self, at: datetime) -> date:
        """The outlet-local day ``at`` falls on."""
        return at.astimezone(self.tz).date()


async def get_outlet(session: AsyncSession, code: str) -> OutletRef:
    """The outlet with ``code`` or :class:`OutletNotFoundError`; remembered for the rest of
    the unit of work (the API checks the outlet before the action looks it up again)."""
    cache: dict[str, OutletRef] = session.info.setdefault(OUTLETS_KEY, {})
    found = cache.get(code)
    if found is not None:
        return found
    row = (
        await session.execute(
            select(OrgUnit.id, OrgUnit.path, OrgUnit.timezone, QueueLayout.token)
            .outerjoin(QueueLayout, QueueLayout.outlet_id == OrgUnit.id)
            .where(OrgUnit.code == code, OrgUnit.kind == OrgKind.OUTLET)
        )
    ).one_or_none()
    if row is None:
        raise OutletNotFoundError(code=code)
    found = OutletRef(id=row[0], code=code, path=row[1], tz=ZoneInfo(row[2]), layout_token=row[3])
    cache[code] = found
    return found


async def layout_of(session: AsyncSession, outlet: OutletRef) -> Layout:
    """The outlet's services, counters and policy (cached per process, see ``layout``)."""
    return await outlet_layout(session, outlet.id, outlet.layout_token)


async def start(
    session: AsyncSession, outlet_code: str, now: datetime | None
) -> tuple[OutletRef, datetime]:
    """Begin a state change: the write transaction (see ``begin_write``), the clock, the outlet."""
    await begin_write(session)
    return await get_outlet(session, outlet_code), now or utcnow()


async def get_service(session: AsyncSession, outlet: OutletRef, code: str) -> ServiceInfo:
    """A service of the outlet or :class:`ServiceNotFoundError`."""
    service = (await layout_of(session, outlet)).services.get(code)
    if service is None:
        raise ServiceNotFoundError(outlet=outlet.code, service=code)
    return service


async def load_policy(session: AsyncSession, outlet_id: int) -> PolicyConfig:
    """The calling policy of an outlet."""
    return config_from_row(await session.get(QueuePolicy, outlet_id))


async def get_counter(
    session: AsyncSession, outlet: OutletRef, code: str, *, lock: bool = False
) -> Counter:
    """A counter of the outlet or :class:`CounterNotFoundError`; ``lock`` takes its row lock
    (PostgreSQL) so that actions on one counter run one after another."""
    statement = select(Counter).where(Counter.outlet_id == outlet.id, Counter.code == code)
    if lock:
        statement = statement.with_for_update()
    counter = await session.scalar(statement)
    if counter is None:
        raise CounterNotFoundError(outlet=outlet.code, counter=code)
    return counter


async def get_ticket(
    session: AsyncSession, outlet: OutletRef, ticket_id: int, *, lock: bool = True
) -> Ticket:
    """A ticket of the outlet (row-locked on PostgreSQL) or :class:`TicketNotFoundError`."""
    statement = select(Ticket).where(Ticket.id == ticket_id, Ticket.outlet_id == outlet.id)
    if lock:
        statement = statement.with_for_update()
    ticket = await session.scalar(statement.execution_options(populate_existing=True))
    if ticket is None:
        raise TicketNotFoundError(outlet=outlet.code, ticket=ticket_id)
    return ticket


async def service_codes(
    session: AsyncSession, counter_ids: list[int]
) -> dict[int, tuple[str, ...]]:
    """Each counter's work profile, in order."""
    rows = await session.execute(
        select(CounterService.counter_id, Service.code)
        .join(Service, Service.id == CounterService.service_id)
        .where(CounterService.counter_id.in_(counter_ids))
        .order_by(CounterService.counter_id, CounterService.position, Service.position)
    )
    profiles: dict[int, list[str]] = {i: [] for i in counter_ids}
    for counter_id, code in rows:
        profiles[counter_id].append(code)
    return {i: tuple(codes) for i, codes in profiles.items()}


def counter_view(counter: Counter, codes: tuple[str, ...]) -> CounterView:
    """A counter as the policy sees it."""
    return CounterView(
        code=counter.code, service_codes=codes, is_vip=counter.is_vip, staff_id=counter.staff_id
    )


_INSERT_EVENT = insert(cast(Table, TicketEvent.__table__))


async def record_event(
    session: AsyncSession,
    ticket: Ticket,
    kind: str,
    at: datetime,
    *,
    staff_id: int | None = None,
    device_id: int | None = None,
    counter_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record one transition of ``ticket`` (the board and the KPIs read these)."""
    await session.execute(
        _INSERT_EVENT,
        {
            "outlet_id": ticket.outlet_id,
            "ticket_id": ticket.id,
            "kind": kind,
            "at": at,
            "actor_staff_id": staff_id,
            "actor_device_id": device_id,
            "counter_id": counter_id,
            "detail": {"number": ticket.number, **(detail or {})},
        },
    )


_TargetCounter = aliased(Counter)


@dataclass(frozen=True, slots=True)
class AtCounter:
    """A ticket called to or being served at a counter."""

    ticket_id: int
    counter_id: int
    service_code: str
    status: str
    called_at: datetime
    started_at: datetime | None
    lease_expires_at: datetime | None


@dataclass
class QueueState:
    """What the policy and the estimate read: the waiting tickets of the day and the tickets
    now at counters."""

    waiting: list[QueuedTicket]
    at_counters: list[AtCounter]

    def leases_expired(self, now: datetime) -> bool:
        """Whether a called ticket's lease has run out (its counter went silent)."""
        return any(
            t.status == TicketStatus.CALLED
            and t.lease_expires_at is not None
            and t.lease_expires_at < now
            for t in self.at_counters
        )


async def load_queue(session: AsyncSession, outlet: OutletRef, now: datetime) -> QueueState:
    """The outlet's waiting tickets of today, and those at counters, in one query."""
    rows = await session.execute(
        select(
            Ticket.id,
            Service.code,
            Ticket.tier,
            Ticket.queued_at,
            _TargetCounter.code,
            Ticket.target_staff_id,
            Appointment.slot_at,
            Ticket.status,
            Ticket.counter_id,
            Ticket.called_at,
            Ticket.started_at,
            Ticket.lease_expires_at,
        )
        .join(Service, Service.id == Ticket.service_id)
        .outerjoin(_TargetCounter, _TargetCounter.id == Ticket.target_counter_id)
        .outerjoin(
            Appointment,
            (Appointment.id == Ticket.appointment_id)
            & (Appointment.status == AppointmentStatus.CHECKED_IN),
        )
        .where(
            Ticket.outlet_id == outlet.id,
            or_(
                (Ticket.status == TicketStatus.WAITING)
                & (Ticket.business_day == outlet.business_day(now)),
                Ticket.status.in_((TicketStatus.CALLED, TicketStatus.SERVING)),
            ),
        )
    )
    state = QueueState(waiting=[], at_counters=[])
    for (
        tid,
        code,
        tier,
        queued_at,
        target,
        target_staff,
        slot,
        status,
        counter_id,
        called_at,
        started_at,
        lease_expires_at,
    ) in rows:
        if status == TicketStatus.WAITING:
            state.waiting.append(
                QueuedTicket(
                    id=tid,
                    service_code=code,
                    tier=tier,
                    queued_at=queued_at,
                    target_counter_code=target,
                    target_staff_id=target_staff,
                    slot_at=slot,
                )
            )
        elif counter_id is not None and called_at is not None:
            state.at_counters.append(
                AtCounter(tid, counter_id, code, status, called_at, started_at, lease_expires_at)
            )
    return state


@dataclass
class Floor:
    """The outlet's open counters as the estimate sees them, and when each comes free."""

    counters: list[CounterView]
    busy_until: dict[str, datetime]
    handling: HandlingTimes


async def load_floor(
    session: AsyncSession, outlet: OutletRef, state: QueueState, now: datetime
) -> Floor:
    """Open counters (read now: never cached), their profiles and the expected end of what
    each is doing now."""
    layout = await layout_of(session, outlet)
    rows = (
        await session.execute(
            select(Counter.id, Counter.staff_id).where(
                Counter.outlet_id == outlet.id, Counter.state == "open"
            )
        )
    ).all()
    by_id = layout.counter_by_id
    handling = await handling_times(session, outlet.id, outlet.layout_token, outlet.tz, now)
    # A counter added since this layout was loaded is not open yet (a new counter starts
    # closed, and signing in is a later transaction), but never trust that blindly.
    open_now = [(counter_id, staff_id) for counter_id, staff_id in rows if counter_id in by_id]
    code_of = {counter_id: by_id[counter_id].code for counter_id, _staff in open_now}
    busy: dict[str, datetime] = {}
    for at in state.at_counters:
        if at.counter_id in code_of:
            begun = at.started_at or at.called_at
            busy[code_of[at.counter_id]] = max(
                now, begun + handling.for_service(at.service_code, begun)
            )
    return Floor(
        counters=[
            CounterView(
                code=by_id[counter_id].code,
                service_codes=by_id[counter_id].service_codes,
                is_vip=by_id[counter_id].is_vip,
                staff_id=staff_id,
            )
            for counter_id, staff_id in sorted(open_now)
        ],
        busy_until=busy,
        handling=handling,
    )


def minutes(delta: timedelta) -> float:
    """A duration in minutes, rounded for storage and display."""
    return round(delta.total_seconds() / 60.0, 2)


async def requeue(
    session: AsyncSession,
    counter_of: dict[int, int | None],
    *,
    at: datetime,
    reason: str,
    staff_id: int | None = None,
) -> list[Ticket]:
    """Put called tickets back in the queue where they stood (``queued_at`` kept) and record
    why; ``counter_of`` maps each ticket to the counter it was called to."""
    if not counter_of:
        return []
    tickets = (
        await session.scalars(
            update(Ticket)
            .where(Ticket.id.in_(list(counter_of)), Ticket.status == TicketStatus.CALLED)
            .values(
                status=TicketStatus.WAITING,
                counter_id=None,
                called_at=None,
                called_by_staff_id=None,
                lease_expires_at=None,
                recall_count=0,
            )
            .returning(Ticket),
            execution_options={"synchronize_session": False, "populate_existing": True},
        )
    ).all()
    for ticket in tickets:
        await record_event(
            session,
            ticket,
            "requeued",
            at,
            staff_id=staff_id,
            counter_id=counter_of.get(ticket.id),
            detail={"reason": reason},
        )
    return list(tickets)
