"""What a teller's counter panel shows: the counter, the customer called to it (greeting and
tier), the waiting lines it serves, and where a ticket may be transferred.

Showing the called customer's greeting to a member of staff is a read of that customer's
record, so it writes an audit entry, in the same unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.service import Principal, record_audit
from smartbranch.customers.greeting import greeting
from smartbranch.customers.models import Customer, Tier
from smartbranch.customers.tiers import TIER_LABELS
from smartbranch.errors import NotAuthenticatedError
from smartbranch.i18n import translate
from smartbranch.orgs.models import OrgUnit, Role
from smartbranch.queueing import service as queue
from smartbranch.queueing.errors import (
    CounterNotFoundError,
    NotOutletStaffError,
    QueueRoleNotAllowedError,
)

#: Who works a counter (as the JSON API's counter actions allow).
COUNTER_ROLES = frozenset(
    {Role.TELLER, Role.WEALTH_MANAGER, Role.LOBBY_MANAGER, Role.OUTLET_MANAGER}
)


@dataclass(frozen=True, slots=True)
class PanelTicket:
    """The ticket at the counter, as the teller sees it."""

    id: int
    number: str
    service_code: str
    service_name: str
    tier: str
    tier_label: str
    status: str
    recall_count: int
    called_at: datetime
    greeting: str | None
    """王先生 / Mr Wang for an identified customer; None for an anonymous ticket."""
    customer_number: str | None = None
    """The identified customer's number (the counter's brief is read by it)."""


@dataclass(frozen=True, slots=True)
class Line:
    """One waiting line the counter serves."""

    code: str
    name: str
    waiting: int


@dataclass(frozen=True, slots=True)
class Option:
    """A transfer target: a service or another counter."""

    value: str
    label: str


@dataclass(frozen=True, slots=True)
class CounterPanel:
    """Everything on a teller's counter panel."""

    outlet_code: str
    outlet_name: str
    timezone: str
    counter_code: str
    counter_name: str
    is_vip: bool
    state: str
    mine: bool
    """The counter is open and signed in by the member of staff looking at it."""
    taken: bool
    """Another member of staff is signed in at it."""
    ticket: PanelTicket | None
    lines: list[Line]
    transfer_to: list[Option]
    recall_limit: int


async def check_counter_staff(
    session: AsyncSession, principal: Principal, outlet_code: str
) -> OrgUnit:
    """The outlet, if the signed-in member of staff works a counter there."""
    from smartbranch.orgs.service import get_outlet_by_code

    staff = principal.staff
    if staff is None:
        raise NotAuthenticatedError()
    outlet = await get_outlet_by_code(session, outlet_code)
    if staff.org_unit_id != outlet.id:
        raise NotOutletStaffError(outlet=outlet_code)
    if staff.role not in COUNTER_ROLES:
        raise QueueRoleNotAllowedError()
    return outlet


def _name(name: str, name_en: str, locale: str) -> str:
    return (name_en or name) if locale == "en" else name


async def counter_panel(
    session: AsyncSession,
    principal: Principal,
    *,
    outlet_code: str,
    counter_code: str,
    locale: str,
) -> CounterPanel:
    """The panel of one counter for the signed-in member of staff (audited when it shows
    an identified customer)."""
    outlet = await check_counter_staff(session, principal, outlet_code)
    assert principal.staff is not None
    snapshot = await queue.queue_snapshot(session, outlet_code=outlet.code)
    counter = next((c for c in snapshot.counters if c.code == counter_code), None)
    if counter is None:
        raise CounterNotFoundError(outlet=outlet_code, counter=counter_code)
    names = {s.code: _name(s.name, s.name_en, locale) for s in snapshot.services}
    ticket = None
    if counter.ticket is not None:
        called = counter.ticket
        honorific = number = None
        if called.customer_id is not None:
            row = (
                await session.execute(
                    select(Customer.name, Customer.gender, Customer.number).where(
                        Customer.id == called.customer_id
                    )
                )
            ).one()
            honorific = greeting(row[0], row[1], locale)
            number = row[2]
            await record_audit(
                session,
                principal,
                action="queue.counter_customer",
                customer_id=called.customer_id,
                purpose="service",
                detail={"outlet": outlet.code, "counter": counter.code, "ticket": called.number},
            )
        ticket = PanelTicket(
            id=called.id,
            number=called.number,
            service_code=called.service_code,
            service_name=names.get(called.service_code, called.service_code),
            tier=called.tier,
            tier_label=translate(TIER_LABELS[Tier(called.tier)], locale),
            status=called.status,
            recall_count=called.recall_count,
            called_at=called.called_at,
            greeting=honorific,
            customer_number=number,
        )
    policy = await queue.load_policy(session, outlet.id)
    transfer_to = [
        Option(f"service:{s.code}", names[s.code])
        for s in snapshot.services
        if ticket is None or s.code != ticket.service_code
    ] + [Option(f"counter:{c.code}", c.code) for c in snapshot.counters if c.code != counter.code]
    return CounterPanel(
        outlet_code=outlet.code,
        outlet_name=_name(outlet.name, outlet.name_en, locale),
        timezone=outlet.timezone,
        counter_code=counter.code,
        counter_name=counter.name,
        is_vip=counter.is_vip,
        state=counter.state,
        mine=counter.state != "closed" and counter.staff_id == principal.staff.id,
        taken=counter.state != "closed" and counter.staff_id not in (None, principal.staff.id),
        ticket=ticket,
        lines=[
            Line(code=s.code, name=names[s.code], waiting=s.waiting_count)
            for s in snapshot.services
            if s.code in counter.service_codes
        ],
        transfer_to=transfer_to,
        recall_limit=policy.recall_limit,
    )
