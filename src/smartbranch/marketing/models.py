"""Lead rules, campaigns, leads and outcomes (DESIGN §5).

A lead moves: open → presented → accepted / declined (reason) / deferred → converted (a
purchase within the attribution window, detected by the nightly run or recorded on the spot)
or expired. Leads belong to the analysis run that produced them; only the serving run's
leads are shown, older ones keep their history for attribution and contact policy.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartbranch.db import Base, UTCDateTime, utcnow

CHANNELS = ("tablet", "counter", "crm", "online", "card_approval")
"""Where a lead may be shown (GLOSSARY)."""


class LeadStatus(StrEnum):
    OPEN = "open"
    PRESENTED = "presented"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    DEFERRED = "deferred"
    CONVERTED = "converted"
    EXPIRED = "expired"


class OutcomeKind(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    DEFERRED = "deferred"
    NOT_PRESENTED = "not_presented"
    ALREADY_HAS = "already_has"


class Campaign(Base):
    """A marketing campaign; control-group membership is stable per customer and campaign."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128), default="")
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LeadRule(Base):
    """A lead rule: which customers get which offer, with what to say (DESIGN §5)."""

    __tablename__ = "lead_rules"
    __table_args__ = (
        CheckConstraint("control_share >= 0 AND control_share <= 0.5", name="control_share"),
        CheckConstraint("cooldown_days >= 0", name="cooldown_days"),
        CheckConstraint("max_presentations >= 1", name="max_presentations"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128), default="")
    family: Mapped[str] = mapped_column(String(32), index=True)
    """The seed's lead type (``card_upgrade``, ``near_threshold`` …, GLOSSARY)."""
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    condition: Mapped[str] = mapped_column(Text)
    """A SQL boolean expression over catalog features, validated by ``marketing.rules``."""
    product_code: Mapped[str] = mapped_column(ForeignKey("products.code"))
    value: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    """Expected value of a conversion to the bank, CNY."""
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    """Priority weight in arbitration (priority = propensity × value × weight)."""
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    script_zh: Mapped[str] = mapped_column(Text)
    script_en: Mapped[str] = mapped_column(Text, default="")
    cooldown_days: Mapped[int] = mapped_column(Integer, default=30)
    max_presentations: Mapped[int] = mapped_column(Integer, default=3)
    control_share: Mapped[float] = mapped_column(Float, default=0.1)
    attribution_days: Mapped[int] = mapped_column(Integer, default=30)
    valid_days: Mapped[int] = mapped_column(Integer, default=7)
    """How long a published lead stays open before it expires."""
    prior_propensity: Mapped[float] = mapped_column(Float, default=0.05)
    """Cold-start propensity until enough outcomes exist to learn one."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Lead(Base):
    """One offer for one customer, produced by one analysis run."""

    __tablename__ = "leads"
    __table_args__ = (
        CheckConstraint(
            "status IN ('open', 'presented', 'accepted', 'declined', 'deferred', "
            "'converted', 'expired')",
            name="status",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # No foreign keys on the four columns a run publishes in bulk: a per-row check costs
    # more than the insert itself (ADR 0010); the publish resolves them by joins instead.
    run_id: Mapped[str] = mapped_column(String(40), index=True)
    customer_id: Mapped[int] = mapped_column()
    rule_id: Mapped[int] = mapped_column(index=True)
    campaign_id: Mapped[int] = mapped_column()
    product_code: Mapped[str] = mapped_column(String(32))
    rank: Mapped[int] = mapped_column(SmallInteger)
    """1 = the customer's best lead in this run."""
    priority: Mapped[float] = mapped_column(Float)
    propensity: Mapped[float] = mapped_column(Float)
    value: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    script_zh: Mapped[str] = mapped_column(Text)
    script_en: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=LeadStatus.OPEN)
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    presentations: Mapped[int] = mapped_column(SmallInteger, default=0)
    presented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    presented_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    presented_at_outlet_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    converted_on: Mapped[date | None] = mapped_column(Date)
    converted_holding_id: Mapped[int | None] = mapped_column(BigInteger)


class Outcome(Base):
    """What happened when a member of staff presented (or did not present) a lead."""

    __tablename__ = "outcomes"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('accepted', 'declined', 'deferred', 'not_presented', 'already_has')",
            name="kind",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    rule_id: Mapped[int] = mapped_column(ForeignKey("lead_rules.id"))
    kind: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(32))
    follow_up_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(500))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    channel: Mapped[str] = mapped_column(String(16))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), index=True)
    """The visit it was recorded in, for the visit's timeline."""
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


Index("ix_leads_customer_status", Lead.customer_id, Lead.status)
Index("ix_outcomes_customer_rule", Outcome.customer_id, Outcome.rule_id)
Index("ix_outcomes_recorded_at", Outcome.recorded_at)
