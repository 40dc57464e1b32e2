"""The record of each analysis run in the serving database.

A run is immutable once published: its results live in the lake under
``analysis/runs/<run id>/`` and its leads and profiles in the domains' tables. Exactly one
run serves at a time; publishing the next one is a single transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from smartbranch.db import Base, UTCDateTime, utcnow


class RunStatus(StrEnum):
    PUBLISHED = "published"
    """Serving now."""
    SUPERSEDED = "superseded"
    """Served until a later run was published."""


class AnalysisRun(Base):
    __tablename__ = "analysis_runs"
    __table_args__ = (
        CheckConstraint("status IN ('published', 'superseded')", name="status"),
        CheckConstraint("engine IN ('duckdb', 'spark')", name="engine"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    """``R<as-of yyyymmdd>-<digest of the inputs>``: the same inputs give the same id."""
    as_of: Mapped[date] = mapped_column(Date, index=True)
    engine: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12))
    inputs_digest: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcomes_watermark: Mapped[int] = mapped_column(default=0)
    """The highest outcome id this run read; the next run reads the ones after it."""
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
