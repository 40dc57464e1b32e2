"""Products the bank sells, with their risk level for suitability, and the knowledge base.

The warehouse load owns a product's code, names, category, risk level and term; the product
centre's text (summary, selling points) is the bank's content, kept beside it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, CheckConstraint, SmallInteger, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from smartbranch.db import Base, UTCDateTime, utcnow

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
    summary_zh: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    summary_en: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    selling_points_zh: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    selling_points_en: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )
    sold_on_the_spot: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    """Accepting it completes the sale at once (a channel sign-up, a deposit opened at the
    counter): the lead converts in real time instead of waiting for the nightly run."""


class ArticleKind(StrEnum):
    ARTICLE = "article"
    FAQ = "faq"


class KnowledgeArticle(Base):
    """A knowledge-base article or FAQ, in Chinese and English."""

    __tablename__ = "knowledge_articles"
    __table_args__ = (CheckConstraint("kind IN ('article', 'faq')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8), default=ArticleKind.ARTICLE)
    topic: Mapped[str] = mapped_column(String(32), index=True)
    """Groups articles: ``deposit``, ``wealth``, ``card``, ``loan``, ``service``, ``compliance``."""
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
