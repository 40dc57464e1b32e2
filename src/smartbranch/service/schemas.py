"""Bodies of the service API — and the shapes the workbench and counter pages render.

Everything here is already cut down to what the caller's role on the caller's channel may
see, and already translated into the caller's language (``*_label``, ``text``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from smartbranch.customers.models import Tier
from smartbranch.customers.schemas import CredentialOut

Channel = Literal["tablet", "counter", "crm"]
CareKind = Literal["birthday_today", "birthday_week", "out_of_town", "maturity", "long_absence"]


class IdentityOut(BaseModel):
    """Who the customer is, masked as the role requires (DESIGN §4)."""

    number: str
    name: str = Field(description="Full name, or surname only (王**) for roles that need no more.")
    gender: str
    age: int
    home_city: str
    home_outlet: str
    phone: str = Field(description="Masked unless the caller is the customer's own manager.")
    risk_tolerance: int
    credentials: list[CredentialOut]


class AssetsOut(BaseModel):
    """Assets summary: never for tellers."""

    aum: Decimal = Field(description="Assets under management, CNY.")
    by_category: dict[str, Decimal] = Field(description="Balance per holding category, CNY.")
    next_tier: Tier | None = None
    gap_to_next_tier: Decimal | None = Field(default=None, description="CNY short of next tier.")


class CarePrompt(BaseModel):
    kind: CareKind
    text: str = Field(description="What to say or do, in the caller's language.")


class OfferedBy(BaseModel):
    """The latest outcome recorded for a lead, as colleagues see it."""

    staff_name: str
    role: str
    role_label: str
    at: datetime
    kind: str
    kind_label: str
    reason_label: str | None = None
    follow_up_on: date | None = None
    text: str = Field(description="e.g. 'Offered by the wealth manager at 10:32 — declined'.")


class LeadOffer(BaseModel):
    """A lead as one role on one channel may see it."""

    lead_id: int
    rule_code: str
    rule_name: str
    family: str
    product_code: str
    product_name: str
    product_category: str
    risk_level: int
    rank: int
    priority: float
    status: str
    status_label: str
    script: str = Field(description="The rendered script in the caller's language.")
    sold_on_the_spot: bool = False
    offered: OfferedBy | None = Field(
        default=None, description="Set when a colleague has already presented it."
    )
    held_until: date | None = Field(
        default=None, description="Held back by the contact policy until this bank date."
    )


class NeedOut(BaseModel):
    id: int
    visit_id: int
    category: str | None
    category_label: str | None
    product_code: str | None
    product_name: str | None
    amount: Decimal | None
    note: str
    staff_name: str
    role_label: str
    created_at: datetime


class HandoffOut(BaseModel):
    id: int
    visit_id: int
    customer_number: str
    customer_name: str = Field(description="Masked for roles that see the surname only.")
    tier: Tier
    tier_label: str
    from_staff_name: str
    from_role_label: str
    to_role: str
    to_role_label: str
    to_staff_id: int | None
    to_staff_name: str | None
    accepted_by_name: str | None
    note: str
    need: NeedOut | None
    status: str
    status_label: str
    created_at: datetime
    accepted_at: datetime | None
    done_at: datetime | None


class TimelineEntry(BaseModel):
    """One step of a visit, oldest first."""

    at: datetime
    kind: str = Field(
        description="arrived, ticket_issued, ticket_called, ticket_finished, need, "
        "handoff_created, handoff_accepted, handoff_done, outcome, …"
    )
    text: str = Field(description="What happened, in the caller's language.")
    actor_name: str | None = None
    actor_role_label: str | None = None


class VisitOut(BaseModel):
    """A customer's visit today, as the lobby overview lists it."""

    id: int
    outlet_code: str
    customer_number: str
    customer_name: str
    tier: Tier
    tier_label: str
    status: str
    arrived_at: datetime
    ticket_number: str | None = None
    ticket_status: str | None = None
    ticket_status_label: str | None = None
    waiting_minutes: int | None = None
    alerts: list[str] = Field(default_factory=list, description="Care prompts' short labels.")
    open_handoffs: int = 0


class Brief(BaseModel):
    """``GET /api/v1/customers/{number}/brief``: what this role on this channel may see."""

    channel: Channel
    role: str
    customer: IdentityOut
    tier: Tier
    tier_label: str
    assets: AssetsOut | None = Field(default=None, description="Not for tellers.")
    care: list[CarePrompt]
    leads: list[LeadOffer] = Field(description="Suggested now, best first (at most K a visit).")
    offered: list[LeadOffer] = Field(
        description="Leads colleagues already presented, or held back: shown, not suggested."
    )
    visit: VisitOut | None
    timeline: list[TimelineEntry]
    needs: list[NeedOut]
    handoffs: list[HandoffOut]
    run_id: str | None = Field(default=None, description="The analysis run the leads are from.")


class NeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(default=None, max_length=32)
    product_code: str | None = Field(default=None, max_length=32)
    amount: Decimal | None = Field(default=None, ge=0, le=Decimal("1e12"))
    note: str = Field(default="", max_length=500)


class HandoffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to_role: str = Field(max_length=32)
    to_staff_id: int | None = None
    need_id: int | None = None
    note: str = Field(default="", max_length=500)


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["accepted", "declined", "deferred", "not_presented", "already_has"]
    channel: Channel
    reason_code: str | None = Field(default=None, max_length=32)
    follow_up_on: date | None = None
    note: str | None = Field(default=None, max_length=500)
    completed: bool = Field(
        default=False,
        description="Accepted and completed on the spot (a channel sign-up …): converts now.",
    )
    visit_id: int | None = None


class OutcomeOut(BaseModel):
    outcome_id: int
    lead_id: int
    lead_status: str
    lead_status_label: str
    converted: bool


class StreamEvent(BaseModel):
    """One event on ``/api/v1/events/stream`` (the SSE ``data`` field)."""

    id: int
    kind: str = Field(
        description="customer.arrived, customer.called, visit.updated, handoff.created, "
        "handoff.updated, lead.outcome"
    )
    at: datetime
    outlet: str | None
    customer_number: str | None
    visit_id: int | None
    data: dict[str, object]


class FollowUpOut(BaseModel):
    """A deferred lead to take up again (``GET /api/v1/follow-ups/mine``), soonest first."""

    outcome_id: int
    lead_id: int
    customer_number: str
    customer_name: str = Field(description="Masked for roles that see the surname only.")
    tier: Tier
    tier_label: str
    rule_code: str
    rule_name: str
    product_code: str
    product_name: str
    follow_up_on: date
    deferred_at: datetime
    deferred_by_name: str | None
    outlet_code: str | None = Field(description="Where it was deferred.")
    note: str | None
    own_customer: bool = Field(description="The caller is the customer's account manager.")
