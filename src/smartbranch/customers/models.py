"""The unified customer record (ECIF).

Credentials hold no clear number: ``lookup_hash`` is an HMAC of the normalised value under
a key kept outside the database, ``masked`` is the display form.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from smartbranch.db import Base, UTCDateTime, utcnow


class Tier(StrEnum):
    STANDARD = "standard"
    GOLD = "gold"
    PLATINUM = "platinum"
    DIAMOND = "diamond"
    PRIVATE = "private"


TIER_ORDER = (Tier.STANDARD, Tier.GOLD, Tier.PLATINUM, Tier.DIAMOND, Tier.PRIVATE)


class CredentialStatus(StrEnum):
    ACTIVE = "active"
    LOST = "lost"
    CLOSED = "closed"


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint("risk_tolerance BETWEEN 1 AND 5", name="risk_tolerance"),
        CheckConstraint("gender IN ('M', 'F')", name="gender"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    gender: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(20))
    home_outlet_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    home_city: Mapped[str] = mapped_column(String(64))
    account_manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    risk_tolerance: Mapped[int] = mapped_column(SmallInteger)
    opened_on: Mapped[date] = mapped_column(Date)


class Credential(Base):
    __tablename__ = "credentials"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('debit_card', 'credit_card', 'passbook', 'id_card')", name="kind"
        ),
        CheckConstraint("status IN ('active', 'lost', 'closed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    lookup_hash: Mapped[str] = mapped_column(String(64), unique=True)
    masked: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(8), default=CredentialStatus.ACTIVE)
    issued_on: Mapped[date | None] = mapped_column(Date)


class Holding(Base):
    __tablename__ = "holdings"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    product_code: Mapped[str] = mapped_column(ForeignKey("products.code"))
    category: Mapped[str] = mapped_column(String(32))
    balance: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    """CNY; for credit cards and loans, the amount owed."""
    opened_on: Mapped[date] = mapped_column(Date)
    maturity_on: Mapped[date | None] = mapped_column(Date)


class CustomerProfile(Base):
    """What the analysis published about a customer (tier, assets). Before the first
    analysis run, ``smartbranch load`` writes a provisional profile from current assets."""

    __tablename__ = "customer_profiles"
    __table_args__ = (
        CheckConstraint(
            "tier IN ('standard', 'gold', 'platinum', 'diamond', 'private')", name="tier"
        ),
    )

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(16))
    aum: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    source: Mapped[str] = mapped_column(String(32))
    """``load`` (provisional, current assets) or an analysis run id."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


Index("ix_holdings_customer_category", Holding.customer_id, Holding.category)
