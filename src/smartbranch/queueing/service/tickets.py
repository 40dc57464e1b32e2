"""Taking a ticket (with its priority class, people ahead and estimated wait) and booking and
checking in appointments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.models import Identification
from smartbranch.auth.tokens import token_hash
from smartbranch.customers.models import CustomerProfile, Tier
from smartbranch.queueing.errors import (
    AppointmentClosedError,
    AppointmentNotFoundError,
    AppointmentNotTodayError,
    AppointmentOtherCustomerError,
    AppointmentSlotPastError,
    IdempotencyKeyReusedError,
    IdentificationExpiredError,
    IdentificationUnknownError,
)
from smartbranch.queueing.estimates import estimate_wait, naive_estimate
from smartbranch.queueing.models import (
    Appointment,
    AppointmentStatus,
    Ticket,
    TicketSequence,
    TicketStatus,
)
from smartbranch.queueing.policy import QueuedTicket
from smartbranch.queueing.service.common import (
    OutletRef,
    get_service,
    layout_of,
    load_floor,
    load_queue,
    minutes,
    record_event,
    start,
)
from smartbranch.queueing.service.layout import ServiceInfo

NEW_TICKET_ID = 2**62
"""Stands for the ticket being issued in its own estimate (it has no id yet, and sorts last
among exact equals, as it would)."""


@dataclass(frozen=True, slots=True)
class TicketIssued:
    """A ticket as issued: what to print on it, and whether this request made it."""

    ticket: Ticket
    people_ahead: int
    eta: timedelta
    naive_eta: timedelta
    created: bool


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def _next_seq(session: AsyncSession, prefix: str, outlet: OutletRef, now: datetime) -> int:
    # One atomic upsert: concurrent kiosks never draw the same number.
    table = cast(Table, TicketSequence.__table__)
    statement = _insert(session)(table).values(
        outlet_id=outlet.id, prefix=prefix, business_day=outlet.business_day(now), last_seq=1
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.outlet_id, table.c.prefix, table.c.business_day],
        set_={"last_seq": table.c.last_seq + 1},
    ).returning(table.c.last_seq)
    seq: int = (await session.execute(statement)).scalar_one()
    return seq


async def _customer_of(
    session: AsyncSession,
    outlet: OutletRef,
    identification_ref: str | None,
    customer_id: int | None,
    now: datetime,
) -> tuple[int | None, str, str | None]:
    """(customer id, tier, stored reference hash) of the customer taking the ticket."""
    if identification_ref:
        ref_hash = token_hash(identification_ref)
        row = (
            await session.execute(
                select(
                    Identification.customer_id,
                    Identification.outlet_id,
                    Identification.expires_at,
                    CustomerProfile.tier,
                )
                .outerjoin(
                    CustomerProfile, CustomerProfile.customer_id == Identification.customer_id
                )
                .where(Identification.reference_hash == ref_hash)
            )
        ).one_or_none()
        if row is None or row[1] != outlet.id:
            raise IdentificationUnknownError()
        if row[2] <= now:
            raise IdentificationExpiredError()
        return row[0], row[3] or Tier.STANDARD, ref_hash
    if customer_id is not None:
        tier = await session.scalar(
            select(CustomerProfile.tier).where(CustomerProfile.customer_id == customer_id)
        )
        return customer_id, tier or Tier.STANDARD, None
    return None, Tier.STANDARD, None


async def _replay(
    session: AsyncSession, outlet: OutletRef, key: str, service_id: int, ref_hash: str | None
) -> TicketIssued | None:
    ticket = await session.scalar(
        select(Ticket).where(Ticket.outlet_id == outlet.id, Ticket.idempotency_key == key)
    )
    if ticket is None:
        return None
    if ticket.service_id != service_id or ticket.identification_ref != ref_hash:
        raise IdempotencyKeyReusedError()
    return TicketIssued(
        ticket=ticket,
        people_ahead=ticket.people_ahead_at_issue,
        eta=timedelta(minutes=ticket.eta_minutes_at_issue),
        naive_eta=timedelta(minutes=ticket.naive_eta_minutes_at_issue),
        created=False,
    )


async def issue_ticket(
    session: AsyncSession,
    *,
    outlet_code: str,
    service_code: str,
    identification_ref: str | None = None,
    customer_id: int | None = None,
    idempotency_key: str | None = None,
    device_id: int | None = None,
    staff_id: int | None = None,
    now: datetime | None = None,
) -> TicketIssued:
    """Issue a ticket for a service, in the priority class of the identified customer
    (``standard`` when anonymous), with the people ahead and the estimated wait. The same
    ``idempotency_key`` again gives back the same ticket (``created=False``)."""
    outlet, now = await start(session, outlet_code, now)
    service = await get_service(session, outlet, service_code)
    if idempotency_key:
        ref_hash = token_hash(identification_ref) if identification_ref else None
        replayed = await _replay(session, outlet, idempotency_key, service.id, ref_hash)
        if replayed is not None:
            return replayed
    customer, tier, ref_hash = await _customer_of(
        session, outlet, identification_ref, customer_id, now
    )
    return await _issue(
        session,
        outlet,
        service,
        tier=tier,
        customer_id=customer,
        ref_hash=ref_hash,
        idempotency_key=idempotency_key,
        device_id=device_id,
        staff_id=staff_id,
        now=now,
    )


async def _issue(
    session: AsyncSession,
    outlet: OutletRef,
    service: ServiceInfo,
    *,
    tier: str,
    customer_id: int | None,
    ref_hash: str | None,
    idempotency_key: str | None,
    device_id: int | None,
    staff_id: int | None,
    now: datetime,
    appointment: Appointment | None = None,
) -> TicketIssued:
    state = await load_queue(session, outlet, now)
    floor = await load_floor(session, outlet, state, now)
    config = (await layout_of(session, outlet)).config
    slot = (
        appointment.slot_at
        if appointment is not None and appointment.status == AppointmentStatus.CHECKED_IN
        else None
    )
    new = QueuedTicket(
        id=NEW_TICKET_ID, service_code=service.code, tier=tier, queued_at=now, slot_at=slot
    )
    eta = estimate_wait(
        state.waiting, floor.counters, floor.busy_until, config, floor.handling, now, new
    )
    ahead = sum(1 for t in state.waiting if t.service_code == service.code)
    serving = sum(1 for c in floor.counters if service.code in c.service_codes)
    naive = naive_estimate(ahead, floor.handling.service_mean(service.code), serving)
    seq = await _next_seq(session, service.prefix, outlet, now)
    values = {
        "outlet_id": outlet.id,
        "service_id": service.id,
        "business_day": outlet.business_day(now),
        "seq": seq,
        "number": f"{service.prefix}{seq:03d}",
        "tier": tier,
        "customer_id": customer_id,
        "identification_ref": ref_hash,
        "status": TicketStatus.WAITING,
        "issued_at": now,
        "queued_at": now,
        "recall_count": 0,
        "appointment_id": appointment.id if appointment else None,
        "idempotency_key": idempotency_key,
        "device_id": device_id,
        "people_ahead_at_issue": ahead,
        "eta_minutes_at_issue": minutes(eta),
        "naive_eta_minutes_at_issue": minutes(naive),
    }
    # A retry racing its original: the unique key decides, the loser replays the winner.
    statement = (
        _insert(session)(Ticket)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["outlet_id", "idempotency_key"])
        .returning(Ticket)
    )
    ticket = (await session.scalars(statement)).one_or_none()
    if ticket is None:
        assert idempotency_key is not None
        replayed = await _replay(session, outlet, idempotency_key, service.id, ref_hash)
        assert replayed is not None
        return replayed
    await record_event(
        session,
        ticket,
        "issued",
        now,
        staff_id=staff_id,
        device_id=device_id,
        detail={
            "service": service.code,
            "tier": tier,
            "people_ahead": ahead,
            "eta_minutes": minutes(eta),
            "naive_eta_minutes": minutes(naive),
            **({"appointment": appointment.id} if appointment else {}),
        },
    )
    return TicketIssued(ticket=ticket, people_ahead=ahead, eta=eta, naive_eta=naive, created=True)


async def create_appointment(
    session: AsyncSession,
    *,
    outlet_code: str,
    service_code: str,
    customer_id: int,
    slot_at: datetime,
    now: datetime | None = None,
) -> Appointment:
    """Book a customer for a service at an outlet at ``slot_at``."""
    outlet, now = await start(session, outlet_code, now)
    service = await get_service(session, outlet, service_code)
    if slot_at <= now:
        raise AppointmentSlotPastError()
    appointment = Appointment(
        outlet_id=outlet.id,
        service_id=service.id,
        customer_id=customer_id,
        slot_at=slot_at,
        status=AppointmentStatus.BOOKED,
        created_at=now,
    )
    session.add(appointment)
    await session.flush()
    return appointment


async def check_in_appointment(
    session: AsyncSession,
    *,
    outlet_code: str,
    appointment_id: int,
    identification_ref: str | None = None,
    idempotency_key: str | None = None,
    device_id: int | None = None,
    staff_id: int | None = None,
    now: datetime | None = None,
) -> TicketIssued:
    """Check a booked customer in and issue their ticket, which the policy serves from a
    few minutes before the slot. Arriving after the grace period queues like a walk-in."""
    outlet, now = await start(session, outlet_code, now)
    appointment = await session.scalar(
        select(Appointment)
        .where(Appointment.id == appointment_id, Appointment.outlet_id == outlet.id)
        .with_for_update()
    )
    if appointment is None:
        raise AppointmentNotFoundError(outlet=outlet.code, appointment=appointment_id)
    if idempotency_key and appointment.checked_in_ticket_id is not None:
        replayed = await _replay(session, outlet, idempotency_key, appointment.service_id, None)
        if replayed is not None and replayed.ticket.id == appointment.checked_in_ticket_id:
            return replayed
    if appointment.status != AppointmentStatus.BOOKED:
        raise AppointmentClosedError(appointment=appointment_id)
    if outlet.business_day(appointment.slot_at) != outlet.business_day(now):
        raise AppointmentNotTodayError(appointment=appointment_id)
    customer, tier, _ref = await _customer_of(
        session, outlet, identification_ref, appointment.customer_id, now
    )
    if customer != appointment.customer_id:
        raise AppointmentOtherCustomerError()
    layout = await layout_of(session, outlet)
    late = now > appointment.slot_at + timedelta(minutes=layout.config.appointment_grace_minutes)
    appointment.status = AppointmentStatus.CHECKED_IN_LATE if late else AppointmentStatus.CHECKED_IN
    service = layout.service_by_id[appointment.service_id]
    issued = await _issue(
        session,
        outlet,
        service,
        tier=tier,
        customer_id=customer,
        ref_hash=None,
        idempotency_key=idempotency_key,
        device_id=device_id,
        staff_id=staff_id,
        now=now,
        appointment=appointment,
    )
    appointment.checked_in_ticket_id = issued.ticket.id
    await session.flush()
    return issued
