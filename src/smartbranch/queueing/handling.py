"""Handling (service) times learned per outlet, service and local hour.

Every finished ticket updates a moving average in SQL (an upsert, so concurrent finishes
never lose an update): the plain mean over the first ``WINDOW`` tickets, then an exponential
moving average that follows the last ``WINDOW`` or so. An hour with few samples leans on its
service's all-day figure, and a service with none on a sane default per business type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, cast

from sqlalchemy import Table, case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.queueing.models import HandlingStat, Service

WINDOW = 20
"""Tickets the moving average remembers (weight of a new one: 1/WINDOW once warmed up)."""
PRIOR_WEIGHT = 5.0
"""How many tickets' worth of weight the fallback keeps against an hour's few samples."""
ALL_HOURS = -1
MIN_SECONDS, MAX_SECONDS = 15.0, 2 * 3600.0
"""A handling time outside these bounds is a forgotten "finish", clamped before it counts."""

DEFAULT_MINUTES: Mapping[str, float] = {
    "cash": 4.0,
    "non_cash": 7.0,
    "credit_card": 9.0,
    "wealth": 15.0,
    "corporate": 12.0,
}
FALLBACK_MINUTES = 6.0


def default_seconds(service_code: str) -> float:
    """The handling time assumed for a service before anything is learned."""
    return DEFAULT_MINUTES.get(service_code, FALLBACK_MINUTES) * 60.0


@dataclass(frozen=True)
class HandlingTimes:
    """Handling times of one outlet: ``(service, hour) -> (mean seconds, samples)``,
    with ``hour = -1`` for the service's all-day figure; hours are outlet-local."""

    stats: Mapping[tuple[str, int], tuple[float, int]] = field(default_factory=dict)
    tz: tzinfo = UTC

    def service_mean(self, service_code: str) -> timedelta:
        """The all-day handling time of a service."""
        return timedelta(seconds=self._all_day(service_code))

    def _all_day(self, service_code: str) -> float:
        prior = default_seconds(service_code)
        mean, samples = self.stats.get((service_code, ALL_HOURS), (prior, 0))
        return (mean * samples + prior * PRIOR_WEIGHT) / (samples + PRIOR_WEIGHT)

    def for_service(self, service_code: str, at: datetime) -> timedelta:
        """The handling time of a service for a ticket called at ``at``."""
        prior = self._all_day(service_code)
        hour = at.astimezone(self.tz).hour
        mean, samples = self.stats.get((service_code, hour), (prior, 0))
        return timedelta(seconds=(mean * samples + prior * PRIOR_WEIGHT) / (samples + PRIOR_WEIGHT))


async def load_handling_times(session: AsyncSession, outlet_id: int, tz: tzinfo) -> HandlingTimes:
    """The learned handling times of an outlet (one small query)."""
    rows = await session.execute(
        select(Service.code, HandlingStat.hour, HandlingStat.mean_seconds, HandlingStat.samples)
        .join(Service, Service.id == HandlingStat.service_id)
        .where(Service.outlet_id == outlet_id)
    )
    return HandlingTimes(
        stats={(code, hour): (mean, samples) for code, hour, mean, samples in rows}, tz=tz
    )


_TABLE = cast(Table, HandlingStat.__table__)


async def record_handling(
    session: AsyncSession,
    *,
    service_id: int,
    started_at: datetime,
    finished_at: datetime,
    tz: tzinfo,
) -> None:
    """Fold one finished ticket into its service's hour and all-day averages."""
    seconds = min(max((finished_at - started_at).total_seconds(), MIN_SECONDS), MAX_SECONDS)
    hour = started_at.astimezone(tz).hour
    dialect = session.get_bind().dialect.name
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = [
        {
            "service_id": service_id,
            "hour": h,
            "mean_seconds": seconds,
            "samples": 1,
            "updated_at": finished_at,
        }
        for h in (hour, ALL_HOURS)
    ]
    statement = insert(_TABLE).values(rows)
    n = _TABLE.c.samples + 1
    weight = case((n < WINDOW, 1.0 / n), else_=1.0 / WINDOW)
    statement = statement.on_conflict_do_update(
        index_elements=[_TABLE.c.service_id, _TABLE.c.hour],
        set_={
            "mean_seconds": _TABLE.c.mean_seconds
            + (statement.excluded.mean_seconds - _TABLE.c.mean_seconds) * weight,
            "samples": n,
            "updated_at": statement.excluded.updated_at,
        },
    )
    await session.execute(statement)
