"""Visits: a customer's day at an outlet, opened by their first identification, told to the
staff the outlet's routes name, followed through the queue, listed in the lobby overview.

Re-notification: a customer who swipes again (the kiosk after the tablet, a second ticket)
is the same visit. Everyone is told again only when the visit had been closed (the customer
came back) or when the last identification is more than :data:`RENOTIFY_AFTER` old — a
customer who left for lunch and returned is news, a second swipe five minutes later is not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.models import DeviceKind
from smartbranch.auth.service import Principal, record_audit
from smartbranch.credentials import mask_name
from smartbranch.customers.disclosure import RECORD_DISCLOSURE
from smartbranch.customers.greeting import greeting
from smartbranch.customers.models import Customer, Tier
from smartbranch.customers.tiers import TIER_LABELS
from smartbranch.db import utcnow
from smartbranch.i18n import LOCALES, N_, translate
from smartbranch.orgs.models import OrgUnit
from smartbranch.queueing.models import ACTIVE_STATUSES, Counter, Ticket, TicketStatus
from smartbranch.service import routing
from smartbranch.service.duty import is_signed_in, on_duty, visit_audience
from smartbranch.service.errors import VisitNotFoundError
from smartbranch.service.events import emit
from smartbranch.service.models import (
    Handoff,
    HandoffStatus,
    RouteTrigger,
    Visit,
    VisitStatus,
)
from smartbranch.service.schemas import VisitOut

#: A second identification the same day re-notifies only after this long (see module doc).
RENOTIFY_AFTER = timedelta(minutes=30)
#: Devices at which an identification means the customer is in the outlet (not a channel).
ARRIVAL_DEVICES = frozenset({DeviceKind.KIOSK, DeviceKind.TABLET, DeviceKind.COUNTER})
#: How a visit is marked when the queue met the customer before any identification did.
VIA_QUEUE = "queue"

ARRIVED = "customer.arrived"
CALLED = "customer.called"
VISIT_UPDATED = "visit.updated"

CARE_ALERTS = {
    "birthday_today": N_("Birthday today"),
    "birthday_week": N_("Birthday this week"),
    "out_of_town": N_("From out of town"),
}
TICKET_STATUS_LABELS = {
    TicketStatus.WAITING: N_("In the queue"),
    TicketStatus.CALLED: N_("Called"),
    TicketStatus.SERVING: N_("Being served"),
    TicketStatus.DONE: N_("Served"),
    TicketStatus.NO_SHOW: N_("No-show"),
    TicketStatus.CANCELLED: N_("Cancelled"),
}


@dataclass(frozen=True, slots=True)
class Arrival:
    """What :func:`record_arrival` did."""

    visit: Visit
    created: bool
    """A new visit (first identification today at this outlet)."""
    notified: bool
    """Staff were told (new visit, reopened, or back after :data:`RENOTIFY_AFTER`)."""
    recipients: dict[int, list[routing.Reason]]
    """Who was told ``customer.arrived``, and why (empty when not notified)."""
    event_id: int | None


# --- facts about the customer -------------------------------------------------------------


def _birthday_in(year: int, born: date) -> date:
    # A 29 February birthday is kept on 28 February in other years.
    if (born.month, born.day) == (2, 29):
        try:
            return date(year, 2, 29)
        except ValueError:
            return date(year, 2, 28)
    return born.replace(year=year)


def care_alerts(*, birth_date: date, home_city: str, outlet_city: str, today: date) -> list[str]:
    """The care prompts cheap enough for the arrival alert (keys of :data:`CARE_ALERTS`):
    birthday today or within the coming six days, and a customer from another city than
    the outlet's (外地客户)."""
    alerts = []
    next_birthday = _birthday_in(today.year, birth_date)
    if next_birthday < today:
        next_birthday = _birthday_in(today.year + 1, birth_date)
    days = (next_birthday - today).days
    if days == 0:
        alerts.append("birthday_today")
    elif days < 7:
        alerts.append("birthday_week")
    if home_city and outlet_city and home_city != outlet_city:
        alerts.append("out_of_town")
    return alerts


@dataclass(frozen=True, slots=True)
class _CustomerFacts:
    number: str
    name: str
    gender: str
    birth_date: date
    home_city: str
    account_manager_id: int | None


async def _customer_facts(session: AsyncSession, customer_id: int) -> _CustomerFacts:
    row = (
        await session.execute(
            select(
                Customer.number,
                Customer.name,
                Customer.gender,
                Customer.birth_date,
                Customer.home_city,
                Customer.account_manager_id,
            ).where(Customer.id == customer_id)
        )
    ).one()
    return _CustomerFacts(*row)


def _who(facts: _CustomerFacts, tier: Tier) -> dict[str, Any]:
    """How a notification names the customer: number, masked name, the greeting in every
    language (the device shows its own), tier. Never a card or ID number."""
    return {
        "customer_number": facts.number,
        "name": mask_name(facts.name),
        "greeting": {locale: greeting(facts.name, facts.gender, locale) for locale in LOCALES},
        "tier": tier.value,
        "tier_rank": routing.tier_rank(tier),
    }


def _reasons_json(recipients: Mapping[int, Sequence[routing.Reason]]) -> dict[str, Any]:
    # Keys are strings: the payload is JSON. The stream hands each device only its own.
    return {str(s): [r.as_json() for r in reasons] for s, reasons in recipients.items()}


async def _resolve(
    session: AsyncSession,
    outlet_id: int,
    trigger: RouteTrigger,
    tier: Tier,
    manager_id: int | None,
    counter_staff_id: int | None = None,
) -> dict[int, list[routing.Reason]]:
    """Read what the outlet's routes need (and only that), then resolve."""
    routes = await routing.load_routes(session, outlet_id, trigger)
    wants_duty, wants_manager = routing.needs(routes)
    duty = await on_duty(session, outlet_id) if wants_duty else []
    signed_in = bool(
        wants_manager and manager_id is not None and await is_signed_in(session, manager_id)
    )
    return routing.resolve_recipients(
        routes,
        trigger,
        tier=tier,
        account_manager_id=manager_id,
        account_manager_signed_in=signed_in,
        on_duty=duty,
        counter_staff_id=counter_staff_id,
    )


# --- the visit itself ---------------------------------------------------------------------


async def _find_visit(
    session: AsyncSession, customer_id: int, outlet_id: int, day: date
) -> Visit | None:
    return await session.scalar(
        select(Visit)
        .where(
            Visit.customer_id == customer_id,
            Visit.outlet_id == outlet_id,
            Visit.business_day == day,
        )
        # Two devices identifying the same customer at once update one row in turn.
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def _get_or_create_visit(
    session: AsyncSession,
    *,
    customer_id: int,
    outlet_id: int,
    day: date,
    now: datetime,
    arrived_via: str,
    credential_kind: str,
    tier: Tier,
) -> tuple[Visit, bool]:
    """Today's visit, created if need be; whether it was created. Safe against a concurrent
    creation (the unique key decides; the loser reads the winner's row)."""
    found = await _find_visit(session, customer_id, outlet_id, day)
    if found is not None:
        return found, False
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(Visit)
        .values(
            customer_id=customer_id,
            outlet_id=outlet_id,
            business_day=day,
            status=VisitStatus.OPEN.value,
            arrived_at=now,
            last_seen_at=now,
            arrived_via=arrived_via,
            credential_kind=credential_kind,
            tier=tier.value,
            leads_suggested=[],
        )
        .on_conflict_do_nothing(index_elements=["customer_id", "outlet_id", "business_day"])
        .returning(Visit)
    )
    created = (await session.scalars(statement)).one_or_none()
    if created is not None:
        return created, True
    found = await _find_visit(session, customer_id, outlet_id, day)
    assert found is not None  # the conflicting row exists: it made the insert do nothing
    return found, False


async def record_arrival(
    session: AsyncSession,
    *,
    customer_id: int,
    outlet_id: int,
    device_kind: str,
    credential_kind: str,
    tier: Tier | str,
    now: datetime | None = None,
) -> Arrival:
    """A customer was identified at an outlet: today's visit (outlet-local day; created, or
    reopened if closed, ``last_seen_at`` moved on), and — unless this is a repeat swipe
    within :data:`RENOTIFY_AFTER` — ``customer.arrived`` to the staff the outlet's routes
    name, and ``visit.updated`` to the others serving the visit (their lobby overview)."""
    now = now or utcnow()
    tier = Tier(tier)
    outlet = await session.get(OrgUnit, outlet_id)
    if outlet is None:
        raise ValueError(f"no org unit {outlet_id}")  # the caller resolved it: a bug
    day = now.astimezone(ZoneInfo(outlet.timezone)).date()
    visit, created = await _get_or_create_visit(
        session,
        customer_id=customer_id,
        outlet_id=outlet_id,
        day=day,
        now=now,
        arrived_via=str(device_kind),
        credential_kind=str(credential_kind),
        tier=tier,
    )
    notify = created
    if visit.status == VisitStatus.CLOSED:
        visit.status, visit.closed_at, notify = VisitStatus.OPEN.value, None, True
    elif now - visit.last_seen_at > RENOTIFY_AFTER:
        notify = True
    visit.last_seen_at = max(visit.last_seen_at, now)
    if notify:
        visit.tier = tier.value  # what the staff are told now
    await session.flush()
    if not notify:
        return Arrival(visit, created, False, {}, None)

    facts = await _customer_facts(session, customer_id)
    recipients = await _resolve(
        session, outlet_id, RouteTrigger.ARRIVED, tier, facts.account_manager_id
    )
    alerts = care_alerts(
        birth_date=facts.birth_date, home_city=facts.home_city, outlet_city=outlet.city, today=day
    )
    payload = {
        **_who(facts, tier),
        "outlet": outlet.code,
        "visit_id": visit.id,
        "arrived_via": str(device_kind),
        "credential_kind": str(credential_kind),
        "returning": not created,
        "alerts": alerts,
        "reasons": _reasons_json(recipients),
    }
    event = await emit(
        session,
        ARRIVED,
        recipients,
        outlet_id=outlet_id,
        customer_id=customer_id,
        visit_id=visit.id,
        payload=payload,
        at=now,
    )
    others = await visit_audience(session, visit) - set(recipients)
    await emit(
        session,
        VISIT_UPDATED,
        others,
        outlet_id=outlet_id,
        customer_id=customer_id,
        visit_id=visit.id,
        payload={**_who(facts, tier), "outlet": outlet.code, "change": "arrived"},
        at=now,
    )
    return Arrival(visit, created, True, recipients, event.id if event else None)


async def on_ticket_called(
    session: AsyncSession, ticket_id: int, counter_id: int, staff_id: int
) -> None:
    """Queue hook: a ticket was called (or recalled) to a counter. For an identified
    customer, ``customer.called`` goes to whom the outlet's *called* routes name (the
    counter's teller by default) and ``visit.updated`` to the others serving the visit."""
    ticket = await session.get(Ticket, ticket_id)  # in the identity map after the claim
    if ticket is None or ticket.customer_id is None:
        return
    customer_id, outlet_id, tier = ticket.customer_id, ticket.outlet_id, Tier(ticket.tier)
    # A call's time is the ticket's; a recall happens now (the hook gets no clock).
    now = (ticket.called_at if not ticket.recall_count else None) or utcnow()
    outlet = await session.get(OrgUnit, outlet_id)
    assert outlet is not None
    # Identified at the kiosk the visit exists; a ticket from before the visits (or an
    # appointment) opens one now, quietly: the customer is at the counter already.
    visit, _created = await _get_or_create_visit(
        session,
        customer_id=customer_id,
        outlet_id=outlet_id,
        day=ticket.business_day,
        now=now,
        arrived_via=VIA_QUEUE,
        credential_kind=VIA_QUEUE,
        tier=tier,
    )
    if visit.status == VisitStatus.CLOSED:
        visit.status, visit.closed_at = VisitStatus.OPEN.value, None
    visit.last_seen_at = max(visit.last_seen_at, now)
    await session.flush()
    facts = await _customer_facts(session, customer_id)
    recipients = await _resolve(
        session, outlet_id, RouteTrigger.CALLED, tier, facts.account_manager_id, staff_id
    )
    counter_code = await session.scalar(select(Counter.code).where(Counter.id == counter_id))
    who = {**_who(facts, tier), "outlet": outlet.code}
    await emit(
        session,
        CALLED,
        recipients,
        outlet_id=outlet_id,
        customer_id=customer_id,
        visit_id=visit.id,
        payload={
            **who,
            "visit_id": visit.id,
            "ticket_id": ticket.id,
            "ticket_number": ticket.number,
            "counter": counter_code,
            "recall_count": ticket.recall_count,
            "reasons": _reasons_json(recipients),
        },
        at=now,
    )
    others = await visit_audience(session, visit) - set(recipients)
    change = "ticket_recalled" if ticket.recall_count else "ticket_called"
    await emit(
        session,
        VISIT_UPDATED,
        others,
        outlet_id=outlet_id,
        customer_id=customer_id,
        visit_id=visit.id,
        payload={**who, "change": change, "ticket_number": ticket.number},
        at=now,
    )


async def _close(
    session: AsyncSession, visit: Visit, now: datetime, change: str, payload: dict[str, Any]
) -> None:
    visit.status, visit.closed_at = VisitStatus.CLOSED.value, now
    await session.flush()
    await emit(
        session,
        VISIT_UPDATED,
        await visit_audience(session, visit),
        outlet_id=visit.outlet_id,
        customer_id=visit.customer_id,
        visit_id=visit.id,
        payload={"change": change, **payload},
        at=now,
    )


async def close_visit(
    session: AsyncSession, visit_id: int, *, staff_id: int, now: datetime | None = None
) -> Visit:
    """Staff mark the customer as gone (idempotent); those serving the visit are told."""
    visit = await session.get(Visit, visit_id, with_for_update=True)
    if visit is None:
        raise VisitNotFoundError(visit_id=visit_id)
    if visit.status != VisitStatus.CLOSED:
        await _close(session, visit, now or utcnow(), "closed", {"by_staff_id": staff_id})
    return visit


async def on_ticket_finished(session: AsyncSession, ticket_id: int, staff_id: int) -> None:
    """Queue hook: a customer's service is finished. Their visit closes when nothing else
    keeps them (no other ticket waiting or at a counter, no open or accepted hand-off); a
    later identification reopens it."""
    ticket = await session.get(Ticket, ticket_id)
    if ticket is None or ticket.customer_id is None:
        return
    visit = await _find_visit(session, ticket.customer_id, ticket.outlet_id, ticket.business_day)
    if visit is None or visit.status == VisitStatus.CLOSED:
        return
    other_ticket = await session.scalar(
        select(Ticket.id)
        .where(
            Ticket.customer_id == ticket.customer_id,
            Ticket.outlet_id == ticket.outlet_id,
            Ticket.business_day == ticket.business_day,
            Ticket.status.in_([str(s) for s in ACTIVE_STATUSES]),
            Ticket.id != ticket.id,
        )
        .limit(1)
    )
    open_handoff = await session.scalar(
        select(Handoff.id)
        .where(
            Handoff.visit_id == visit.id,
            Handoff.status.in_([HandoffStatus.OPEN.value, HandoffStatus.ACCEPTED.value]),
        )
        .limit(1)
    )
    if other_ticket is None and open_handoff is None:
        now = ticket.finished_at or utcnow()
        await _close(session, visit, now, "served", {"ticket_number": ticket.number})


# --- the lobby overview -------------------------------------------------------------------


def _waiting_minutes(ticket: Ticket, now: datetime) -> int | None:
    if ticket.status == TicketStatus.WAITING:
        waited = now - ticket.queued_at
    elif ticket.called_at is not None:
        waited = ticket.called_at - ticket.queued_at
    else:
        return None
    return max(math.floor(waited.total_seconds() / 60), 0)


def _ticket_of_visit(tickets: Sequence[Ticket]) -> Ticket | None:
    """The ticket the overview shows: the active one, else the latest."""
    active = [t for t in tickets if t.status in ACTIVE_STATUSES]
    pool = active or list(tickets)
    return max(pool, key=lambda t: (t.issued_at, t.id)) if pool else None


async def current_visits(
    session: AsyncSession,
    principal: Principal,
    outlet_id: int,
    business_day: date,
    *,
    locale: str,
    now: datetime | None = None,
    include_closed: bool = False,
) -> list[VisitOut]:
    """The outlet's visits of ``business_day`` for the lobby overview — who is here (open
    visits; all with ``include_closed``), tier, ticket and wait, care alerts and open
    hand-offs — newest arrival first. A customer read: one audit row per listed customer.

    The caller checks that the principal may see the outlet.
    """
    now = now or utcnow()
    outlet = await session.get(OrgUnit, outlet_id)
    if outlet is None:
        return []
    query = (
        select(Visit, Customer)
        .join(Customer, Customer.id == Visit.customer_id)
        .where(Visit.outlet_id == outlet_id, Visit.business_day == business_day)
        .order_by(Visit.arrived_at.desc(), Visit.id.desc())
    )
    if not include_closed:
        query = query.where(Visit.status == VisitStatus.OPEN.value)
    rows = (await session.execute(query)).all()
    if not rows:
        return []
    customer_ids = [customer.id for _visit, customer in rows]
    tickets: dict[int, list[Ticket]] = {}
    for row in await session.scalars(
        select(Ticket).where(
            Ticket.outlet_id == outlet_id,
            Ticket.business_day == business_day,
            Ticket.customer_id.in_(customer_ids),
        )
    ):
        assert row.customer_id is not None
        tickets.setdefault(row.customer_id, []).append(row)
    visit_ids = [visit.id for visit, _customer in rows]
    handoffs: dict[int, int] = {
        visit_id: count
        for visit_id, count in await session.execute(
            select(Handoff.visit_id, func.count())
            .where(
                Handoff.visit_id.in_(visit_ids),
                Handoff.status.in_([HandoffStatus.OPEN.value, HandoffStatus.ACCEPTED.value]),
            )
            .group_by(Handoff.visit_id)
        )
    }
    staff = principal.staff
    disclosure = RECORD_DISCLOSURE.get(staff.role) if staff else None
    full_name = disclosure is not None and disclosure.full_name
    listed = []
    for visit, customer in rows:
        tier = Tier(visit.tier)
        ticket = _ticket_of_visit(tickets.get(customer.id, []))
        alerts = care_alerts(
            birth_date=customer.birth_date,
            home_city=customer.home_city,
            outlet_city=outlet.city,
            today=business_day,
        )
        listed.append(
            VisitOut(
                id=visit.id,
                outlet_code=outlet.code,
                customer_number=customer.number,
                customer_name=customer.name if full_name else mask_name(customer.name),
                tier=tier,
                tier_label=translate(TIER_LABELS[tier], locale),
                status=visit.status,
                arrived_at=visit.arrived_at,
                ticket_number=ticket.number if ticket else None,
                ticket_status=ticket.status if ticket else None,
                ticket_status_label=(
                    translate(TICKET_STATUS_LABELS[TicketStatus(ticket.status)], locale)
                    if ticket
                    else None
                ),
                waiting_minutes=_waiting_minutes(ticket, now) if ticket else None,
                alerts=[translate(CARE_ALERTS[a], locale) for a in alerts],
                open_handoffs=handoffs.get(visit.id, 0),
            )
        )
        await record_audit(
            session,
            principal,
            action="visit.list",
            customer_id=customer.id,
            purpose="service",
            detail={"visit_id": visit.id, "outlet": outlet.code},
            at=now,
        )
    return listed


def business_day_at(outlet: OrgUnit, at: datetime | None = None) -> date:
    """The outlet-local date of ``at`` (now by default)."""
    return (at or utcnow()).astimezone(ZoneInfo(outlet.timezone)).date()
