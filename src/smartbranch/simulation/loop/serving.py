"""The serving side of a simulated day: the serving run's leads, and who presents them."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from smartbranch.analysis.publish import serving_run as published_serving_run
from smartbranch.customers.models import Customer
from smartbranch.marketing.models import Lead, LeadRule, LeadStatus
from smartbranch.orgs.models import OrgKind, OrgUnit, Role, Staff
from smartbranch.simulation.common import I64
from smartbranch.simulation.loop.assumptions import (
    FRONT_LINE_ROLES,
    IN_BRANCH_CHANNELS,
    ROLE_CHANNEL,
)
from smartbranch.simulation.loop.world import BankView

# --- the serving side ---------------------------------------------------------------------


@dataclass(frozen=True)
class ServingLead:
    """An open lead of the serving run, with what presenting it needs."""

    lead_id: int
    customer: int
    """Index into the bank's customers."""
    rank: int
    rule_code: str
    family: str
    product_code: str
    channels: tuple[str, ...]
    roles: tuple[str, ...]
    home_outlet_id: int
    account_manager_id: int | None


@dataclass(frozen=True)
class RuleInfo:
    """What the loop needs to know of a lead rule."""

    code: str
    family: str
    product_code: str
    attribution_days: int


async def serving_run(database: AsyncEngine) -> tuple[str, datetime.date] | None:
    """The id and as-of date of the run serving now, if any."""
    async with database.connect() as conn:
        return await published_serving_run(conn)


async def rule_infos(database: AsyncEngine) -> dict[str, RuleInfo]:
    """Every lead rule, by code."""
    async with database.connect() as conn:
        rows = await conn.execute(
            select(LeadRule.code, LeadRule.family, LeadRule.product_code, LeadRule.attribution_days)
        )
        return {row[0]: RuleInfo(*row) for row in rows.all()}


async def open_leads(
    session: AsyncSession, run_id: str, bank: BankView, visitors: I64, day: datetime.date
) -> dict[int, list[ServingLead]]:
    """The serving run's open leads of today's visitors, best rank first."""
    wanted = bank.numbers.take(pa.array(visitors, pa.int64())).to_pylist()
    found: dict[int, list[ServingLead]] = defaultdict(list)
    chunk = 500  # bound the IN list (SQLite's variable limit, PostgreSQL's plan size)
    for start in range(0, len(wanted), chunk):
        rows = await session.execute(
            select(
                Lead.id,
                Customer.number,
                Lead.rank,
                LeadRule.code,
                LeadRule.family,
                Lead.product_code,
                LeadRule.channels,
                LeadRule.roles,
                Customer.home_outlet_id,
                Customer.account_manager_id,
            )
            .join(Customer, Customer.id == Lead.customer_id)
            .join(LeadRule, LeadRule.id == Lead.rule_id)
            .where(
                Lead.run_id == run_id,
                Lead.status == LeadStatus.OPEN,
                Lead.valid_from <= day,
                Lead.valid_until >= day,
                Customer.number.in_(wanted[start : start + chunk]),
            )
        )
        batch = rows.all()
        # One lookup per batch: an index into the customers costs a pass over all of them.
        positions = bank.index_of([row[1] for row in batch])
        for customer, row in zip(positions, batch, strict=True):
            lead_id, _number, rank, code, family, product, channels, roles, home, am = row
            found[int(customer)].append(
                ServingLead(
                    lead_id=lead_id,
                    customer=int(customer),
                    rank=rank,
                    rule_code=code,
                    family=family,
                    product_code=product,
                    channels=tuple(channels or ()),
                    roles=tuple(roles or ()),
                    home_outlet_id=home,
                    account_manager_id=am,
                )
            )
    for leads in found.values():
        leads.sort(key=lambda lead: (lead.rank, lead.lead_id))
    return found


@dataclass(frozen=True)
class StaffDirectory:
    """Active staff by outlet and role."""

    by_outlet_role: dict[tuple[int, str], list[int]]
    outlet_of_staff: dict[int, int]
    outlet_id: dict[str, int]


async def staff_directory(session: AsyncSession) -> StaffDirectory:
    """The serving database's active staff, ordered by username."""
    rows = await session.execute(
        select(Staff.id, Staff.role, Staff.org_unit_id).where(Staff.active).order_by(Staff.username)
    )
    by_outlet_role: dict[tuple[int, str], list[int]] = defaultdict(list)
    outlet_of: dict[int, int] = {}
    for staff_id, role, org_id in rows.all():
        by_outlet_role[(org_id, role)].append(staff_id)
        outlet_of[staff_id] = org_id
    outlets = await session.execute(
        select(OrgUnit.code, OrgUnit.id).where(OrgUnit.kind == OrgKind.OUTLET)
    )
    return StaffDirectory(dict(by_outlet_role), outlet_of, {c: i for c, i in outlets.all()})


def presenter(
    lead: ServingLead, staff: StaffDirectory, rng: np.random.Generator
) -> tuple[int, str] | None:
    """Who presents ``lead`` at the customer's home outlet, and on which channel: the
    customer's own account manager when the rule allows, else someone of the first allowed
    role the outlet has; ``None`` when nobody there may present it in the branch."""
    roles = lead.roles or tuple(FRONT_LINE_ROLES)
    outlet = lead.home_outlet_id
    own = lead.account_manager_id
    if Role.ACCOUNT_MANAGER in roles and own is not None:
        channel = channel_for(Role.ACCOUNT_MANAGER, lead.channels)
        if staff.outlet_of_staff.get(own) == outlet and channel is not None:
            return own, channel
    for role in roles:
        members = staff.by_outlet_role.get((outlet, role))
        channel = channel_for(role, lead.channels)
        if members and channel is not None:
            return members[int(rng.integers(len(members)))], channel
    return None


def channel_for(role: str, allowed: tuple[str, ...]) -> str | None:
    """The channel ``role`` presents on in the branch, among those the rule allows."""
    preferred = ROLE_CHANNEL.get(role, "tablet")
    if preferred in allowed:
        return preferred
    return next((channel for channel in IN_BRANCH_CHANNELS if channel in allowed), None)
