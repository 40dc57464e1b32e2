"""Org units and staff."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from smartbranch.db import Base, UTCDateTime, utcnow


class OrgKind(StrEnum):
    HEAD_OFFICE = "head_office"
    BRANCH = "branch"
    OUTLET = "outlet"


class Role(StrEnum):
    LOBBY_MANAGER = "lobby_manager"
    WEALTH_MANAGER = "wealth_manager"
    ACCOUNT_MANAGER = "account_manager"
    TELLER = "teller"
    OUTLET_MANAGER = "outlet_manager"
    MARKETING_ADMIN = "marketing_admin"
    ADMIN = "admin"
    AUDITOR = "auditor"


class OrgUnit(Base):
    """A node of the bank's tree. ``path`` (``/HO/BJ/BJ001/``) makes subtree scope one
    indexed prefix match."""

    __tablename__ = "org_units"
    __table_args__ = (CheckConstraint("kind IN ('head_office', 'branch', 'outlet')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128), default="")
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    path: Mapped[str] = mapped_column(String(512), index=True)
    city: Mapped[str] = mapped_column(String(64), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], lazy="raise")


class Staff(Base):
    """A member of staff; sees only the customers of their org unit's subtree."""

    __tablename__ = "staff"
    __table_args__ = (
        CheckConstraint(
            "role IN ('lobby_manager', 'wealth_manager', 'account_manager', 'teller', "
            "'outlet_manager', 'marketing_admin', 'admin', 'auditor')",
            name="role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    org_unit: Mapped[OrgUnit] = relationship(lazy="raise")


Index("ix_staff_org_role", Staff.org_unit_id, Staff.role)
