"""Visits, needs, hand-offs, arrival routes and the staff notifications they produce.

A *visit* groups one customer's day at one outlet (unique per customer, outlet and bank
date). Its timeline is read from the rows that already record each step — the visit itself
(arrival), queue tickets and their events, needs, hand-offs and marketing outcomes — so no
step is written twice.
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
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartbranch.db import Base, UTCDateTime, utcnow


class VisitStatus(StrEnum):
    OPEN = "open"
    """In the outlet (or expected back today)."""
    CLOSED = "closed"
    """Left: served, or closed by staff."""


class HandoffStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DONE = "done"
    CANCELLED = "cancelled"


class RouteTrigger(StrEnum):
    ARRIVED = "arrived"
    """The customer was identified at the outlet (kiosk, tablet or counter)."""
    CALLED = "called"
    """The customer's ticket was called to a counter."""


class RouteAudience(StrEnum):
    ROLE = "role"
    """Staff of ``role`` on duty (signed in on a device) at the outlet."""
    ACCOUNT_MANAGER = "account_manager"
    """The customer's own account manager, wherever they are signed in."""
    COUNTER_STAFF = "counter_staff"
    """The member of staff working the counter that called the ticket."""


class Visit(Base):
    """A customer's day at an outlet."""

    __tablename__ = "visits"
    __table_args__ = (
        UniqueConstraint("customer_id", "outlet_id", "business_day", name="uq_visits_day"),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        Index("ix_visits_outlet_day_status", "outlet_id", "business_day", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    business_day: Mapped[date] = mapped_column(Date)
    """The outlet's local date."""
    status: Mapped[str] = mapped_column(String(8), default=VisitStatus.OPEN)
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    """First identification today."""
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    """Latest identification today (a customer may swipe again)."""
    arrived_via: Mapped[str] = mapped_column(String(16))
    """The device kind that identified the customer first (kiosk, tablet, counter)."""
    credential_kind: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(16), default="standard")
    """The tier at arrival (what the staff were told)."""
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    leads_suggested: Mapped[list[int]] = mapped_column(JSON, default=list)
    """Lead ids suggested during this visit (at most the outlet's K)."""


class Need(Base):
    """What a customer came for or asked about, captured once so nobody asks again."""

    __tablename__ = "visit_needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    category: Mapped[str | None] = mapped_column(String(32))
    """A product category (deposit, wealth, loan …) when no single product is meant."""
    product_code: Mapped[str | None] = mapped_column(ForeignKey("products.code"))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    """CNY."""
    note: Mapped[str] = mapped_column(String(500), default="")
    """Free text, redacted of card and ID numbers before it is stored."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Handoff(Base):
    """A referral of the customer to a role or a named colleague (转介)."""

    __tablename__ = "visit_handoffs"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'accepted', 'done', 'cancelled')", name="status"),
        Index("ix_visit_handoffs_to_staff_status", "to_staff_id", "status"),
        Index("ix_visit_handoffs_outlet_role_status", "outlet_id", "to_role", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    outlet_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    need_id: Mapped[int | None] = mapped_column(ForeignKey("visit_needs.id"))
    from_staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    to_role: Mapped[str] = mapped_column(String(32))
    to_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    """A named colleague; otherwise anyone of ``to_role`` on duty at the outlet."""
    note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(12), default=HandoffStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ArrivalRoute(Base):
    """Who is told when a customer arrives or is called: data, per outlet.

    Rows with ``outlet_id`` NULL are the bank's default; an outlet with rows of its own uses
    only those (for that trigger).
    """

    __tablename__ = "arrival_routes"
    __table_args__ = (
        CheckConstraint("trigger IN ('arrived', 'called')", name="trigger"),
        CheckConstraint(
            "audience IN ('role', 'account_manager', 'counter_staff')", name="audience"
        ),
        CheckConstraint(
            "min_tier IN ('standard', 'gold', 'platinum', 'diamond', 'private')",
            name="min_tier",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(12))
    audience: Mapped[str] = mapped_column(String(20))
    role: Mapped[str | None] = mapped_column(String(32))
    """For ``audience = role``."""
    min_tier: Mapped[str] = mapped_column(String(16), default="standard")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class StaffEvent(Base):
    """An event as stored for the live stream; its id is the SSE id (``Last-Event-ID``)."""

    __tablename__ = "staff_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(48))
    outlet_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """What the devices show: masked name, tier, reason … never a clear card or ID number."""


class StaffEventRecipient(Base):
    """Who receives an event: one row per member of staff."""

    __tablename__ = "staff_event_recipients"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), primary_key=True)
    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey("staff_events.id"),
        primary_key=True,
    )
