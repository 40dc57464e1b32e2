"""Products the bank sells, with their risk level for suitability."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from smartbranch.db import Base

HOLDING_CATEGORIES = (
    "deposit",
    "time_deposit",
    "wealth",
    "fund",
    "insurance",
    "credit_card",
    "loan",
)
ASSET_CATEGORIES = ("deposit", "time_deposit", "wealth", "fund", "insurance")
"""Categories that count towards a customer's assets under management."""


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (CheckConstraint("risk_level BETWEEN 1 AND 5", name="risk_level"),)

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128), default="")
    category: Mapped[str] = mapped_column(String(32), index=True)
    risk_level: Mapped[int] = mapped_column(SmallInteger, default=1)
    """R1–R5; a wealth product is suitable when ``risk_level <= customer.risk_tolerance``."""
    term_days: Mapped[int | None] = mapped_column()
