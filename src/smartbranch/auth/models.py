"""Devices, staff sessions, identifications and the audit trail."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from smartbranch.db import Base, UTCDateTime, utcnow


class DeviceKind(StrEnum):
    KIOSK = "kiosk"
    TABLET = "tablet"
    COUNTER = "counter"
    BOARD = "board"
    CHANNEL = "channel"


STAFF_DEVICE_KINDS = frozenset({DeviceKind.TABLET, DeviceKind.COUNTER, DeviceKind.CHANNEL})


class Device(Base):
    """An enrolled device. Its token is shown once at enrolment and stored only as SHA-256."""

    __tablename__ = "devices"
    __table_args__ = (
        CheckConstraint("kind IN ('kiosk', 'tablet', 'counter', 'board', 'channel')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(128))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_hint: Mapped[str] = mapped_column(String(16))
    """The token's first characters, so an admin can tell devices apart."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffSession(Base):
    """A signed-in member of staff on one device."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    factors: Mapped[str] = mapped_column(String(64), default="password")
    """Which factors this session proved (``password``; later ``totp``, ``oidc``)."""


class Identification(Base):
    """A customer identified at an outlet; its opaque reference lets a kiosk take a ticket
    for them without learning who they are. Stored as a hash, short-lived."""

    __tablename__ = "identifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference_hash: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id"))
    credential_kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """Who read which customer's record, in which role, from which device, when and why."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    """The staff role, or the device kind for an unattended device such as a kiosk."""
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"))
    action: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
