"""Recording, in one tap, what happened when a member of staff offered a lead.

The same checks as the customer brief guard the write: the caller's role works this channel,
the customer is theirs to serve (home outlet in their subtree, or visiting it today), the
lead's rule allows this channel and role, and the product suits the customer. The outcome
itself is :func:`smartbranch.marketing.service.record_outcome` (contact policy, status
moves, real-time conversion of a sale completed on the spot); here it is tied to the visit
and announced to everyone serving it (``lead.outcome``), so a colleague's brief stops
suggesting the lead at once.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from smartbranch.auth.service import Principal
from smartbranch.catalog.models import Product
from smartbranch.credentials import mask_name
from smartbranch.customers.models import Customer
from smartbranch.db import utcnow
from smartbranch.errors import ConflictError, ForbiddenError, NotAuthenticatedError
from smartbranch.i18n import LOCALES, N_, translate
from smartbranch.marketing.errors import LEAD_LABELS, LeadNotFoundError
from smartbranch.marketing.models import Lead, LeadRule, LeadStatus
from smartbranch.marketing.service import record_outcome
from smartbranch.orgs.models import OrgKind, OrgUnit, Role
from smartbranch.service import events
from smartbranch.service.brief import (
    SUITABILITY_CATEGORIES,
    check_channel,
    pick_visit,
    serve_scope,
)
from smartbranch.service.collab import VisitNotFoundError
from smartbranch.service.duty import visit_audience
from smartbranch.service.models import Visit
from smartbranch.service.schemas import OutcomeIn, OutcomeOut
from smartbranch.service.timeline import outcome_text

LEAD_OUTCOME = "lead.outcome"
"""The event kind announcing a recorded outcome to everyone serving the visit."""


class LeadNotAllowedError(ForbiddenError):
    code = "lead_not_allowed"
    message = N_("This lead is not offered by your role on the {channel} channel.")


class LeadUnsuitableError(ConflictError):
    code = "lead_unsuitable"
    message = N_(
        "This product's risk level is above the customer's risk tolerance: it may not be offered."
    )


_Home = aliased(OrgUnit, name="home")
_Here = aliased(OrgUnit, name="here")

_LEAD = (
    select(
        Lead.id,
        Lead.customer_id,
        LeadRule.code,
        LeadRule.name,
        LeadRule.name_en,
        LeadRule.channels,
        LeadRule.roles,
        Product.category,
        Product.risk_level,
        Customer.number,
        Customer.name,
        Customer.risk_tolerance,
        _Home.path,
        _Here.id,
        _Here.kind,
        _Here.timezone,
    )
    .join(LeadRule, LeadRule.id == Lead.rule_id)
    .join(Product, Product.code == Lead.product_code)
    .join(Customer, Customer.id == Lead.customer_id)
    .join(_Home, _Home.id == Customer.home_outlet_id)
    .join(_Here, _Here.id == bindparam("here_id"))
    .where(Lead.id == bindparam("lead_id"))
)


async def record_offer_outcome(
    session: AsyncSession,
    principal: Principal,
    lead_id: int,
    body: OutcomeIn,
    locale: str,
    *,
    now: datetime | None = None,
) -> OutcomeOut:
    """Record what happened to lead ``lead_id`` as the signed-in member of staff on
    ``body.channel``, in today's visit, and tell everyone serving the visit.

    Raises ``not_authenticated`` (401); ``channel_unknown`` (400); ``role_not_allowed``,
    ``channel_not_allowed``, ``customer_out_of_scope``, ``lead_not_allowed`` (403);
    ``lead_not_found``, ``visit_not_found`` (404); ``lead_unsuitable``, ``lead_closed``,
    ``outcome_not_allowed``, ``not_sold_on_the_spot`` (409); ``invalid_outcome`` (422).
    Nothing changes then. Flushes, never commits.
    """
    staff = principal.staff
    if staff is None:
        raise NotAuthenticatedError()
    check_channel(staff, body.channel)
    now = now or utcnow()
    params = {"lead_id": lead_id, "here_id": principal.device.org_unit_id}
    row = (await session.execute(_LEAD, params)).first()
    if row is None:
        raise LeadNotFoundError(lead_id=lead_id)
    (_id, customer_id, rule_code, rule_name, rule_name_en, rule_channels, rule_roles, category,
     risk_level, number, name, risk_tolerance, home_path, here_id, here_kind,
     here_tz) = row  # fmt: skip
    served = await serve_scope(
        session,
        staff,
        customer_id,
        home_path,
        now=now,
        here_today=now.astimezone(ZoneInfo(here_tz)).date(),
    )
    # Suitability first, for every role: never offered, whatever the rule says.
    if category in SUITABILITY_CATEGORIES and risk_level > risk_tolerance:
        raise LeadUnsuitableError()
    if (
        (category in SUITABILITY_CATEGORIES and staff.role == Role.TELLER)
        or body.channel not in (rule_channels or ())
        or staff.role not in (rule_roles or ())
    ):
        raise LeadNotAllowedError(channel=body.channel)

    if body.visit_id is not None:
        chosen = next((v for v in served.visits_today if v.visit.id == body.visit_id), None)
        if chosen is None:
            raise VisitNotFoundError(visit_id=body.visit_id)
    else:
        chosen = pick_visit(served.visits_today, here_id, served.home_in_scope, staff.org_path)
    visit: Visit | None = chosen.visit if chosen is not None else None
    if visit is not None:
        outlet_id: int | None = visit.outlet_id
    else:
        outlet_id = here_id if here_kind == OrgKind.OUTLET else None

    outcome = await record_outcome(
        session,
        lead_id=lead_id,
        kind=body.kind,
        staff_id=staff.id,
        outlet_id=outlet_id,
        channel=body.channel,
        reason_code=body.reason_code,
        follow_up_on=body.follow_up_on,
        note=body.note,
        visit_id=visit.id if visit is not None else None,
        completed=body.completed,
        now=now,
    )
    lead = await session.get(Lead, lead_id)  # in the session already: no query
    assert lead is not None
    status = lead.status
    if visit is not None:
        await events.emit(
            session,
            LEAD_OUTCOME,
            await visit_audience(session, visit),
            outlet_id=visit.outlet_id,
            customer_id=customer_id,
            visit_id=visit.id,
            payload={
                "lead_id": lead_id,
                "outcome_id": outcome.id,
                "rule_code": rule_code,
                "rule_name": rule_name,
                "rule_name_en": rule_name_en or rule_name,
                "kind": outcome.kind,
                "reason_code": outcome.reason_code,
                "lead_status": status,
                "converted": status == LeadStatus.CONVERTED,
                "staff_id": staff.id,
                "staff_name": staff.display_name,
                "staff_role": staff.role,
                "customer_number": number,
                # Surname only: the event reaches roles that see no more.
                "customer_name": mask_name(name),
                "tier": visit.tier,
                # Stored events are read by devices in either language.
                "text": {
                    language: outcome_text(
                        kind=outcome.kind,
                        rule_name=(rule_name_en or rule_name) if language == "en" else rule_name,
                        reason_code=outcome.reason_code,
                        follow_up_on=outcome.follow_up_on,
                        locale=language,
                    )
                    for language in LOCALES
                },
            },
            at=now,
        )
    return OutcomeOut(
        outcome_id=outcome.id,
        lead_id=lead_id,
        lead_status=status,
        lead_status_label=translate(LEAD_LABELS.get(status, status), locale),
        converted=status == LeadStatus.CONVERTED,
    )
