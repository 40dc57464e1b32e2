"""Services, counters and their work profiles, tickets and their events, appointments and the
per-outlet calling policy."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartbranch.db import Base, UTCDateTime, utcnow


class CounterState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    PAUSED = "paused"


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = frozenset({TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING})
AT_COUNTER_STATUSES = frozenset({TicketStatus.CALLED, TicketStatus.SERVING})


class EventKind(StrEnum):
    ISSUED = "issued"
    CALLED = "called"
    RECALLED = "recalled"
    STARTED = "started"
    FINISHED = "finished"
    NO_SHOW = "no_show"
    SKIPPED = "skipped"
    TRANSFERRED = "transferred"
    CANCELLED = "cancelled"
    REQUEUED = "requeued"


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    CHECKED_IN_LATE = "checked_in_late"
    """Arrived after the slot's grace period: queued like any walk-in."""
    CANCELLED = "cancelled"


class Service(Base):
    """A business type an outlet offers (cash, non-cash, wealth …), with its ticket prefix."""

    __tablename__ = "queue_services"
    __table_args__ = (UniqueConstraint("outlet_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    prefix: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64), default="")
    position: Mapped[int] = mapped_column(SmallInteger, default=0)


class Counter(Base):
    """A counter (window); ``staff_id`` is the member of staff signed in at it."""

    __tablename__ = "queue_counters"
    __table_args__ = (
        UniqueConstraint("outlet_id", "code"),
        CheckConstraint("state IN ('closed', 'open', 'paused')", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    code: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(64), default="")
    is_vip: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(8), default=CounterState.CLOSED)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CounterService(Base):
    """One line of a counter's work profile: the services it serves, in order."""

    __tablename__ = "queue_counter_services"

    counter_id: Mapped[int] = mapped_column(ForeignKey("queue_counters.id"), primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("queue_services.id"), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)


class Appointment(Base):
    """A visit booked ahead for a service at a time; checking in at the kiosk issues its
    ticket, which the policy serves close to the slot."""

    __tablename__ = "queue_appointments"
    __table_args__ = (
        CheckConstraint(
            "status IN ('booked', 'checked_in', 'checked_in_late', 'cancelled')", name="status"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("queue_services.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    slot_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default=AppointmentStatus.BOOKED)
    checked_in_ticket_id: Mapped[int | None] = mapped_column(Integer)
    """The ticket issued at check-in (no foreign key: tickets already point here)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Ticket(Base):
    """A customer's place in an outlet's queue, from issue to finish.

    ``queued_at`` is the time its place counts from; a transfer keeps it, so a transferred
    customer does not start again at the back. ``identification_ref`` holds the SHA-256 of
    the identification reference, never the reference itself.
    """

    __tablename__ = "queue_tickets"
    __table_args__ = (
        UniqueConstraint("outlet_id", "business_day", "number", name="uq_queue_tickets_day_number"),
        UniqueConstraint("outlet_id", "idempotency_key", name="uq_queue_tickets_idempotency_key"),
        CheckConstraint(
            "status IN ('waiting', 'called', 'serving', 'done', 'no_show', 'cancelled')",
            name="status",
        ),
        CheckConstraint(
            "tier IN ('standard', 'gold', 'platinum', 'diamond', 'private')", name="tier"
        ),
        Index("ix_queue_tickets_outlet_status_day", "outlet_id", "status", "business_day"),
        Index("ix_queue_tickets_outlet_day", "outlet_id", "business_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("queue_services.id"))
    business_day: Mapped[date] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(12))
    tier: Mapped[str] = mapped_column(String(16), default="standard")
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    identification_ref: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default=TicketStatus.WAITING)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("queue_counters.id"), index=True)
    called_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recall_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    target_counter_id: Mapped[int | None] = mapped_column(ForeignKey("queue_counters.id"))
    target_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("queue_appointments.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    people_ahead_at_issue: Mapped[int] = mapped_column(Integer, default=0)
    eta_minutes_at_issue: Mapped[float] = mapped_column(Float, default=0.0)
    """The estimate given on the ticket (forward simulation of the policy)."""
    naive_eta_minutes_at_issue: Mapped[float] = mapped_column(Float, default=0.0)
    """People ahead × mean service time ÷ open counters, kept to report our estimate's gain."""


class TicketEvent(Base):
    """One transition of a ticket; its id is the display board's cursor."""

    __tablename__ = "queue_ticket_events"
    __table_args__ = (Index("ix_queue_ticket_events_outlet_id_id", "outlet_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("queue_tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    actor_device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    counter_id: Mapped[int | None] = mapped_column(ForeignKey("queue_counters.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class QueuePolicy(Base):
    """An outlet's calling policy; an outlet without a row uses the defaults
    (``PolicyConfig.default()``)."""

    __tablename__ = "queue_policies"

    outlet_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), primary_key=True)
    tier_weights: Mapped[dict[str, float]] = mapped_column(JSON)
    aging_points_per_minute: Mapped[float] = mapped_column(Float, default=1.0)
    max_wait_minutes: Mapped[dict[str, float]] = mapped_column(JSON)
    target_minutes: Mapped[int] = mapped_column(SmallInteger, default=15)
    recall_limit: Mapped[int] = mapped_column(SmallInteger, default=3)
    lease_seconds: Mapped[int] = mapped_column(Integer, default=180)
    vip_serves_others: Mapped[bool] = mapped_column(Boolean, default=True)
    vip_min_tier: Mapped[str] = mapped_column(String(16), default="gold")
    appointment_lead_minutes: Mapped[int] = mapped_column(SmallInteger, default=5)
    appointment_grace_minutes: Mapped[int] = mapped_column(SmallInteger, default=15)
    announce_honorific: Mapped[bool] = mapped_column(Boolean, default=False)
    announce_english: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketSequence(Base):
    """The last number drawn per outlet, prefix and business day; an upsert on this row
    makes numbering atomic on both databases."""

    __tablename__ = "queue_ticket_sequences"

    outlet_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(2), primary_key=True)
    business_day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class HandlingStat(Base):
    """Learned handling (service) time per service and local hour (``hour = -1``: all hours),
    a moving average updated in SQL at every finish."""

    __tablename__ = "queue_handling_stats"

    service_id: Mapped[int] = mapped_column(ForeignKey("queue_services.id"), primary_key=True)
    hour: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    mean_seconds: Mapped[float] = mapped_column(Float)
    samples: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QueueLayout(Base):
    """A token that changes, in the same transaction, whenever an outlet's services,
    counters, work profiles or calling policy change: every worker process keeps the layout
    it loaded under this token and loads it again when the token differs (see
    ``service/layout.py``)."""

    __tablename__ = "queue_layouts"

    outlet_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
