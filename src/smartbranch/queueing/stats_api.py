"""``/api/v1/orgs/{org}/queue-stats``: queue KPIs of an org unit and the units below it."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from smartbranch.auth.dependencies import StaffPrincipalDep
from smartbranch.auth.service import SessionExpiredError
from smartbranch.errors import DeviceNotEnrolledError, NotAuthenticatedError
from smartbranch.http import SessionDep, error_responses
from smartbranch.orgs.service import OrgNotFoundError
from smartbranch.queueing import kpis
from smartbranch.queueing.kpis import QueueKpis

router = APIRouter(tags=["queueing"])


class KpisOut(BaseModel):
    """The queue's figures over a group of tickets (minutes; shares between 0 and 1)."""

    visits: int
    served: int
    no_shows: int
    cancelled: int
    mean_wait_minutes: float | None
    p90_wait_minutes: float | None
    max_wait_minutes: float | None
    mean_service_minutes: float | None
    p90_service_minutes: float | None
    no_show_share: float | None
    share_within_target: float | None
    counter_utilisation: float | None = Field(
        description="Occupied over staffed counter time; only for whole counter days "
        "(a unit's totals and days), null for slices by service or tier."
    )

    @classmethod
    def of(cls, figures: QueueKpis) -> KpisOut:
        """The JSON form of ``figures``."""
        return cls.model_validate(figures.as_dict())


class DayOut(KpisOut):
    day: date


class ServiceOut(KpisOut):
    service: str


class TierOut(KpisOut):
    tier: str


class UnitOut(BaseModel):
    code: str
    name: str
    name_en: str
    kind: str = Field(description="head_office, branch or outlet")
    path: str
    target_minutes: float
    totals: KpisOut
    by_day: list[DayOut]
    by_service: list[ServiceOut]
    by_tier: list[TierOut]


class RowOut(KpisOut):
    outlet: str
    day: date
    service: str
    tier: str


class QueueStatsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    org: str
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    units: list[UnitOut] = Field(description="The org unit asked for first, then its subtree.")
    rows: list[RowOut] = Field(description="One row per outlet, day, service and tier.")


@router.get(
    "/orgs/{org}/queue-stats",
    response_model=QueueStatsOut,
    response_model_by_alias=True,
    responses=error_responses(
        DeviceNotEnrolledError,
        NotAuthenticatedError,
        SessionExpiredError,
        kpis.OrgOutOfScopeError,
        OrgNotFoundError,
        kpis.StatsRangeInvalidError,
    ),
    summary="Queue KPIs of an org unit and its subtree",
)
async def queue_stats(
    org: str,
    session: SessionDep,
    principal: StaffPrincipalDep,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> QueueStatsOut:
    """Visits, mean and 90th-percentile wait, service time, no-show share, share served
    within the outlet's target and counter utilisation, by business day (both ends
    included; the last seven days by default), per outlet, service and tier, rolled up
    through branch and head office. Only org units within the caller's scope."""
    stats = await kpis.queue_stats(
        session, principal, org_code=org, date_from=date_from, date_to=date_to
    )
    units = [
        UnitOut(
            code=u.code,
            name=u.name,
            name_en=u.name_en,
            kind=u.kind,
            path=u.path,
            target_minutes=u.target_minutes,
            totals=KpisOut.of(u.totals),
            by_day=[DayOut(day=d, **k.as_dict()) for d, k in u.by_day.items()],
            by_service=[ServiceOut(service=s, **k.as_dict()) for s, k in u.by_service.items()],
            by_tier=[TierOut(tier=t, **k.as_dict()) for t, k in u.by_tier.items()],
        )
        for u in stats.units
    ]
    rows = [
        RowOut(
            outlet=r.outlet_code,
            day=r.business_day,
            service=r.service_code,
            tier=r.tier,
            **r.kpis.as_dict(),
        )
        for r in stats.rows
    ]
    return QueueStatsOut(
        org=stats.org_code,
        date_from=stats.date_from,
        date_to=stats.date_to,
        units=units,
        rows=rows,
    )
