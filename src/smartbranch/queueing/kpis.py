"""Queue KPIs: per outlet, day, service and tier, rolled up through branch and head office.

The figures are computed over plain ticket facts (:class:`TicketFact`), so the simulator,
the benchmark and the stats API (:func:`queue_stats`) share one definition of each.

Definitions (minutes throughout):

- **visits**: tickets issued.
- **wait**: from issue to the ticket's call (for a transferred or requeued ticket, to its
  last call). Tickets never called have no wait.
- **service time**: from the start of service to its end, for tickets served.
- **no-show share**: no-shows among the tickets that reached a counter (served or no-show).
- **share within target**: tickets called within the outlet's target among those called,
  plus those still uncalled (cancelled) after longer than the target, which missed it too.
- **counter utilisation**: minutes a counter was occupied with a customer (call to end of
  service) over the minutes it was staffed. Where the staffed time is not known, the span
  from a counter's first call to its last finish that day stands in for it.
- **percentiles** interpolate linearly between closest ranks (PostgreSQL's
  ``percentile_cont``, numpy's default), computed in Python so SQLite and PostgreSQL agree.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.service import Principal
from smartbranch.customers.models import TIER_ORDER
from smartbranch.errors import BadRequestError, ForbiddenError, NotAuthenticatedError
from smartbranch.i18n import N_
from smartbranch.orgs.models import OrgUnit
from smartbranch.orgs.service import get_org_by_code, within
from smartbranch.queueing.models import QueuePolicy, Service, Ticket

SERVED = "done"
NO_SHOW = "no_show"
CANCELLED = "cancelled"
CALLED_STATES = frozenset({"called", "serving", "done", "no_show"})
DEFAULT_TARGET_MINUTES = 15.0


@dataclass(frozen=True, slots=True)
class TicketFact:
    """What the KPIs need to know about one ticket."""

    outlet_id: int
    business_day: date
    service_code: str
    tier: str
    status: str
    issued_at: datetime
    called_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    counter_id: int | None
    target_minutes: float = DEFAULT_TARGET_MINUTES

    @property
    def wait_minutes(self) -> float | None:
        """Minutes from issue to call, None if never called."""
        if self.called_at is None or self.status not in CALLED_STATES:
            return None
        return max(0.0, (self.called_at - self.issued_at).total_seconds() / 60.0)

    @property
    def service_minutes(self) -> float | None:
        """Minutes from start to end of service, for a ticket served."""
        if self.status != SERVED or self.started_at is None or self.finished_at is None:
            return None
        return max(0.0, (self.finished_at - self.started_at).total_seconds() / 60.0)

    @property
    def occupied_minutes(self) -> float:
        """Minutes the ticket kept its counter busy (call to end)."""
        begin = self.called_at
        if begin is None or self.finished_at is None or self.status not in (SERVED, NO_SHOW):
            return 0.0
        return max(0.0, (self.finished_at - begin).total_seconds() / 60.0)

    @property
    def within_target(self) -> bool | None:
        """Whether the customer was called within the target; None when it cannot tell."""
        wait = self.wait_minutes
        if wait is not None:
            return wait <= self.target_minutes
        if self.status == CANCELLED and self.finished_at is not None:
            gave_up = (self.finished_at - self.issued_at).total_seconds() / 60.0
            # Left before the target passed: says nothing about the queue's speed.
            return False if gave_up > self.target_minutes else None
        return None


@dataclass(frozen=True, slots=True)
class QueueKpis:
    """The queue's figures over one group of tickets."""

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
    counter_utilisation: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        """A JSON-ready mapping, figures rounded for reading."""
        return {
            "visits": self.visits,
            "served": self.served,
            "no_shows": self.no_shows,
            "cancelled": self.cancelled,
            "mean_wait_minutes": _round(self.mean_wait_minutes),
            "p90_wait_minutes": _round(self.p90_wait_minutes),
            "max_wait_minutes": _round(self.max_wait_minutes),
            "mean_service_minutes": _round(self.mean_service_minutes),
            "p90_service_minutes": _round(self.p90_service_minutes),
            "no_show_share": _round(self.no_show_share, 4),
            "share_within_target": _round(self.share_within_target, 4),
            "counter_utilisation": _round(self.counter_utilisation, 4),
        }


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) of ``values`` by linear interpolation between the
    closest ranks, as PostgreSQL's ``percentile_cont(q / 100)``."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile {q} outside 0..100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100.0
    lower = math.floor(position)
    upper = math.ceil(position)
    if lower == upper:
        return float(ordered[lower])
    fraction = position - lower
    return float(ordered[lower] + (ordered[upper] - ordered[lower]) * fraction)


def mean(values: Sequence[float]) -> float | None:
    """The arithmetic mean, None for no values."""
    return sum(values) / len(values) if values else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


StaffedMinutes = Mapping[tuple[int, date, int], float]
"""Minutes each counter was staffed on a day, keyed by (outlet id, day, counter id)."""


def counter_utilisation(
    facts: Iterable[TicketFact], staffed: StaffedMinutes | None = None
) -> float | None:
    """Occupied over staffed minutes of the counters that served these tickets.

    Without ``staffed`` (or for a counter it does not know) a counter's staffed time is the
    span from its first call to its last finish of the day.
    """
    busy: dict[tuple[int, date, int], float] = {}
    first: dict[tuple[int, date, int], datetime] = {}
    last: dict[tuple[int, date, int], datetime] = {}
    for fact in facts:
        if fact.counter_id is None or fact.called_at is None or fact.finished_at is None:
            continue
        key = (fact.outlet_id, fact.business_day, fact.counter_id)
        busy[key] = busy.get(key, 0.0) + fact.occupied_minutes
        if key not in first or fact.called_at < first[key]:
            first[key] = fact.called_at
        if key not in last or fact.finished_at > last[key]:
            last[key] = fact.finished_at
    occupied = 0.0
    available = 0.0
    for key, minutes in busy.items():
        known = staffed.get(key) if staffed else None
        span = known if known is not None else (last[key] - first[key]).total_seconds() / 60.0
        occupied += minutes
        available += max(span, minutes)
    return min(1.0, occupied / available) if available > 0 else None


def summarise(
    facts: Sequence[TicketFact],
    *,
    staffed: StaffedMinutes | None = None,
    with_utilisation: bool = True,
) -> QueueKpis:
    """The KPIs of a group of tickets. Utilisation only means something over whole counter
    days (an outlet, a branch), so slices by service or tier pass ``with_utilisation=False``."""
    waits = [w for f in facts if (w := f.wait_minutes) is not None]
    services = [s for f in facts if (s := f.service_minutes) is not None]
    verdicts = [v for f in facts if (v := f.within_target) is not None]
    served = sum(1 for f in facts if f.status == SERVED)
    no_shows = sum(1 for f in facts if f.status == NO_SHOW)
    return QueueKpis(
        visits=len(facts),
        served=served,
        no_shows=no_shows,
        cancelled=sum(1 for f in facts if f.status == CANCELLED),
        mean_wait_minutes=mean(waits),
        p90_wait_minutes=percentile(waits, 90) if waits else None,
        max_wait_minutes=max(waits) if waits else None,
        mean_service_minutes=mean(services),
        p90_service_minutes=percentile(services, 90) if services else None,
        no_show_share=_share(no_shows, served + no_shows),
        share_within_target=_share(sum(verdicts), len(verdicts)),
        counter_utilisation=counter_utilisation(facts, staffed) if with_utilisation else None,
    )


K = TypeVar("K", bound=Hashable)


def group_by(
    facts: Iterable[TicketFact], key: Callable[[TicketFact], K]
) -> dict[K, list[TicketFact]]:
    """Facts grouped by ``key``, groups in first-seen order."""
    groups: dict[K, list[TicketFact]] = {}
    for fact in facts:
        groups.setdefault(key(fact), []).append(fact)
    return groups


# --- the KPIs of an org subtree, read from the serving database -----------------------------

#: The longest period one request may cover.
MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 7


class StatsRangeInvalidError(BadRequestError):
    code = "stats_range_invalid"
    message = N_("The period must start on or before its end and cover at most {days} days.")


class OrgOutOfScopeError(ForbiddenError):
    code = "org_out_of_scope"
    message = N_("This organisation unit is outside your part of the bank.")


@dataclass(frozen=True, slots=True)
class UnitStats:
    """The KPIs of one org unit (outlet, branch or head office) over the period, overall
    and by day, service and tier."""

    code: str
    name: str
    name_en: str
    kind: str
    path: str
    target_minutes: float
    """The outlet's target; for a branch or head office, the most common one below it."""
    totals: QueueKpis
    by_day: dict[date, QueueKpis]
    by_service: dict[str, QueueKpis]
    by_tier: dict[str, QueueKpis]


@dataclass(frozen=True, slots=True)
class StatsRow:
    """The finest grain: one outlet, day, service and tier."""

    outlet_code: str
    business_day: date
    service_code: str
    tier: str
    kpis: QueueKpis


@dataclass(frozen=True, slots=True)
class QueueStats:
    """The answer of :func:`queue_stats`."""

    org_code: str
    date_from: date
    date_to: date
    units: list[UnitStats]
    rows: list[StatsRow]


def default_range(today: date) -> tuple[date, date]:
    """The period shown when none is asked for: the last week up to today."""
    return today - timedelta(days=DEFAULT_RANGE_DAYS - 1), today


def _check_range(date_from: date, date_to: date) -> None:
    if date_from > date_to or (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise StatsRangeInvalidError(days=MAX_RANGE_DAYS)


async def queue_stats(
    session: AsyncSession,
    principal: Principal,
    *,
    org_code: str,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QueueStats:
    """The queue KPIs of ``org_code`` and every unit below it, by business day.

    Staff see only org units within their own subtree. Percentiles are computed here, in
    Python, so that SQLite and PostgreSQL give the same figures.
    """
    staff = principal.staff
    if staff is None:
        raise NotAuthenticatedError()
    org = await get_org_by_code(session, org_code)
    if not within(org.path, staff.org_path):
        raise OrgOutOfScopeError()
    if date_to is None or date_from is None:
        today = datetime.now(ZoneInfo(org.timezone)).date()
        start, end = default_range(date_to or today)
        date_from, date_to = date_from or start, date_to or end
    _check_range(date_from, date_to)
    units = (
        await session.scalars(
            select(OrgUnit).where(OrgUnit.path.startswith(org.path)).order_by(OrgUnit.path)
        )
    ).all()
    facts = await ticket_facts(session, path_prefix=org.path, date_from=date_from, date_to=date_to)
    return QueueStats(
        org_code=org.code,
        date_from=date_from,
        date_to=date_to,
        units=_unit_stats(units, facts),
        rows=_rows(units, facts),
    )


async def ticket_facts(
    session: AsyncSession, *, path_prefix: str, date_from: date, date_to: date
) -> list[TicketFact]:
    """The tickets of the outlets under ``path_prefix`` issued on business days from
    ``date_from`` to ``date_to`` (both included), as plain facts."""
    rows = await session.execute(
        select(
            Ticket.outlet_id,
            Ticket.business_day,
            Service.code,
            Ticket.tier,
            Ticket.status,
            Ticket.issued_at,
            Ticket.called_at,
            Ticket.started_at,
            Ticket.finished_at,
            Ticket.counter_id,
            QueuePolicy.target_minutes,
        )
        .join(Service, Service.id == Ticket.service_id)
        .join(OrgUnit, OrgUnit.id == Ticket.outlet_id)
        .outerjoin(QueuePolicy, QueuePolicy.outlet_id == Ticket.outlet_id)
        .where(
            OrgUnit.path.startswith(path_prefix),
            Ticket.business_day >= date_from,
            Ticket.business_day <= date_to,
        )
        .order_by(Ticket.id)
    )
    return [
        TicketFact(
            outlet_id=r[0],
            business_day=r[1],
            service_code=r[2],
            tier=r[3],
            status=r[4],
            issued_at=r[5],
            called_at=r[6],
            started_at=r[7],
            finished_at=r[8],
            counter_id=r[9],
            target_minutes=float(r[10] if r[10] is not None else DEFAULT_TARGET_MINUTES),
        )
        for r in rows
    ]


def _unit_stats(units: Sequence[OrgUnit], facts: Sequence[TicketFact]) -> list[UnitStats]:
    path_of = {u.id: u.path for u in units}
    result = []
    for unit in units:
        mine = [f for f in facts if path_of.get(f.outlet_id, "").startswith(unit.path)]
        targets = group_by(mine, lambda f: f.target_minutes)
        target = max(targets, key=lambda t: len(targets[t])) if targets else DEFAULT_TARGET_MINUTES
        result.append(
            UnitStats(
                code=unit.code,
                name=unit.name,
                name_en=unit.name_en,
                kind=unit.kind,
                path=unit.path,
                target_minutes=target,
                totals=summarise(mine),
                by_day={
                    day: summarise(group)
                    for day, group in sorted(group_by(mine, lambda f: f.business_day).items())
                },
                by_service={
                    code: summarise(group, with_utilisation=False)
                    for code, group in sorted(group_by(mine, lambda f: f.service_code).items())
                },
                by_tier={
                    tier: summarise(group, with_utilisation=False)
                    for tier, group in _tier_order(group_by(mine, lambda f: f.tier))
                },
            )
        )
    return result


def _tier_order(groups: dict[str, list[TicketFact]]) -> list[tuple[str, list[TicketFact]]]:
    order = {tier.value: i for i, tier in enumerate(TIER_ORDER)}
    return sorted(groups.items(), key=lambda item: order.get(item[0], len(order)))


def _rows(units: Sequence[OrgUnit], facts: Sequence[TicketFact]) -> list[StatsRow]:
    code_of = {u.id: u.code for u in units}
    groups = group_by(
        facts, lambda f: (code_of.get(f.outlet_id, ""), f.business_day, f.service_code, f.tier)
    )
    return [
        StatsRow(
            outlet_code=outlet,
            business_day=day,
            service_code=service,
            tier=tier,
            kpis=summarise(group, with_utilisation=False),
        )
        for (outlet, day, service, tier), group in sorted(groups.items())
    ]
