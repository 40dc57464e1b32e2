"""Who is on duty where, and who is serving a visit.

On duty at an outlet means signed in now (a live, unrevoked session) on a staff device
enrolled at that outlet: the device is in the branch, so its user is too. A member of staff
signed in on two devices counts once.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.models import STAFF_DEVICE_KINDS, Device, StaffSession
from smartbranch.customers.models import Customer
from smartbranch.db import utcnow
from smartbranch.marketing.models import Outcome
from smartbranch.orgs.models import Staff
from smartbranch.queueing.models import Ticket
from smartbranch.service.models import Handoff, Need, Visit


@dataclass(frozen=True, slots=True)
class OnDuty:
    staff_id: int
    role: str
    display_name: str


async def on_duty(
    session: AsyncSession, outlet_id: int, roles: Collection[str] | None = None
) -> list[OnDuty]:
    """Staff signed in now on a staff device of ``outlet_id`` (optionally of ``roles``)."""
    query = (
        select(Staff.id, Staff.role, Staff.display_name)
        .join(StaffSession, StaffSession.staff_id == Staff.id)
        .join(Device, Device.id == StaffSession.device_id)
        .where(
            Device.org_unit_id == outlet_id,
            Device.active.is_(True),
            Device.kind.in_([str(kind) for kind in STAFF_DEVICE_KINDS]),
            StaffSession.revoked_at.is_(None),
            StaffSession.expires_at > utcnow(),
            Staff.active.is_(True),
        )
        .distinct()
        .order_by(Staff.id)
    )
    if roles is not None:
        query = query.where(Staff.role.in_(list(roles)))
    return [OnDuty(*row) for row in await session.execute(query)]


async def is_signed_in(session: AsyncSession, staff_id: int) -> bool:
    """Whether ``staff_id`` has a live session on any device."""
    found = await session.scalar(
        select(StaffSession.id)
        .where(
            StaffSession.staff_id == staff_id,
            StaffSession.revoked_at.is_(None),
            StaffSession.expires_at > utcnow(),
        )
        .limit(1)
    )
    return found is not None


SERVING_ROLES = ("lobby_manager", "wealth_manager", "outlet_manager")
"""Roles on duty at the outlet who follow every visit's timeline live."""


async def visit_audience(session: AsyncSession, visit: Visit) -> set[int]:
    """Everyone serving a visit, who sees its timeline change live: the lobby, wealth and
    outlet managers on duty at its outlet, the customer's own account manager, and anyone who
    has already acted in it (captured a need, handed off or been handed to, recorded an
    offer, called its ticket)."""
    audience = {d.staff_id for d in await on_duty(session, visit.outlet_id, SERVING_ROLES)}
    manager = await session.scalar(
        select(Customer.account_manager_id).where(Customer.id == visit.customer_id)
    )
    if manager is not None:
        audience.add(manager)
    acted = (
        select(Need.staff_id)
        .where(Need.visit_id == visit.id)
        .union(
            select(Handoff.from_staff_id).where(Handoff.visit_id == visit.id),
            select(Handoff.to_staff_id).where(
                Handoff.visit_id == visit.id, Handoff.to_staff_id.is_not(None)
            ),
            select(Handoff.accepted_by_staff_id).where(
                Handoff.visit_id == visit.id, Handoff.accepted_by_staff_id.is_not(None)
            ),
            select(Outcome.staff_id).where(
                Outcome.visit_id == visit.id, Outcome.staff_id.is_not(None)
            ),
            select(Ticket.called_by_staff_id).where(
                Ticket.customer_id == visit.customer_id,
                Ticket.outlet_id == visit.outlet_id,
                Ticket.business_day == visit.business_day,
                Ticket.called_by_staff_id.is_not(None),
            ),
        )
    )
    audience.update(s for (s,) in await session.execute(acted) if s is not None)
    return audience
