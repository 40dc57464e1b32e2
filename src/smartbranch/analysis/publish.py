"""Publishing an analysis run to the serving database: all of it, or nothing.

ONE transaction (a PostgreSQL advisory lock keeps two publishers apart):

1. the run is recorded as ``published`` and the run serving until now becomes
   ``superseded`` — readers find the serving run through this row, so they switch from the
   old leads to the new ones at the commit, never half-way;
2. the new leads are bulk-copied (``COPY`` on PostgreSQL) into a temporary staging table and
   moved into ``leads`` by one ``INSERT … SELECT`` that resolves customer numbers and rule
   codes;
3. customer profiles (tier, assets) that changed are upserted the same way, ``source`` =
   the run that set them (unchanged ones keep theirs);
4. batch feedback is applied: conversions detected by the run mark their leads
   ``converted``; leads whose attribution window has passed expire;
After the commit, in a transaction of its own, the previous runs' leads that nobody ever
acted on (still ``open``, no outcome) are deleted: they are no longer served, and each run's
copy in the lake keeps them for uplift measurement.

A failure or a killed process before the commit rolls everything back: the previous run
keeps serving with its leads intact. Publishing a run id that is already recorded changes nothing
(re-running the same as-of date with the same inputs is idempotent).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
from sqlalchemy import (
    Column,
    Date,
    Float,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    and_,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from smartbranch.analysis.models import AnalysisRun, RunStatus
from smartbranch.bulk import copy_arrow, is_postgres
from smartbranch.customers.models import Customer, CustomerProfile
from smartbranch.db import Base, UTCDateTime, utcnow
from smartbranch.marketing.models import Lead, LeadRule, LeadStatus, Outcome

PUBLISH_LOCK = 0x5B_A11A
"""PostgreSQL advisory-lock key held while a run is published."""

LEAD_COLUMNS = (
    "customer_number",
    "rule_code",
    "rank",
    "priority",
    "propensity",
    "value",
    "script_zh",
    "script_en",
    "valid_from",
    "valid_until",
)
"""The columns of the ``leads`` table a run hands to :func:`publish_run`."""
PROFILE_COLUMNS = ("customer_number", "tier", "aum")
CONVERSION_COLUMNS = ("lead_id", "converted_on", "holding_id")

_leads = Base.metadata.tables[Lead.__tablename__]
_rules = Base.metadata.tables[LeadRule.__tablename__]
_customers = Base.metadata.tables[Customer.__tablename__]
_profiles = Base.metadata.tables[CustomerProfile.__tablename__]
_outcomes = Base.metadata.tables[Outcome.__tablename__]

Checkpoint = Callable[[str], None]
"""Called after each publishing step (``run``, ``leads``, ``profiles``, ``feedback`` inside
the transaction; ``commit``; ``cleanup``); tests use it to fail or kill the publisher."""


@dataclass(frozen=True)
class RunRecord:
    """What the serving database keeps about a run."""

    id: str
    as_of: date
    engine: str
    inputs_digest: str
    started_at: datetime
    outcomes_watermark: int
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class PublishResult:
    run_id: str
    already_published: bool = False
    leads: int = 0
    profiles: int = 0
    converted: int = 0
    expired: int = 0
    removed: int = 0
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)
    """Seconds each step took (``run``, ``leads``, ``profiles``, ``feedback``, ``commit``,
    ``cleanup``)."""


def _staging(metadata: MetaData, name: str, *columns: Column[Any]) -> Table:
    return Table(name, metadata, *columns, prefixes=["TEMPORARY"], postgresql_on_commit="DROP")


async def is_published(conn: AsyncConnection, run_id: str) -> bool:
    """Whether ``run_id`` has been published (it may since have been superseded)."""
    found = await conn.execute(select(AnalysisRun.id).where(AnalysisRun.id == run_id))
    return found.first() is not None


async def serving_run(conn: AsyncConnection) -> tuple[str, date] | None:
    """The id and as-of date of the run serving now, if any."""
    query = select(AnalysisRun.id, AnalysisRun.as_of).where(
        AnalysisRun.status == RunStatus.PUBLISHED
    )
    row = (await conn.execute(query)).first()
    return (row[0], row[1]) if row else None


async def publish_run(
    engine: AsyncEngine,
    run: RunRecord,
    *,
    leads: pa.Table,
    profiles: pa.Table,
    conversions: pa.Table,
    checkpoint: Checkpoint | None = None,
) -> PublishResult:
    """Publish ``run`` with its ``leads`` (:data:`LEAD_COLUMNS`), ``profiles``
    (:data:`PROFILE_COLUMNS`) and detected ``conversions`` (:data:`CONVERSION_COLUMNS`)."""
    started = time.perf_counter()
    result = PublishResult(run_id=run.id)
    last = started

    def step(name: str) -> None:
        nonlocal last
        now = time.perf_counter()
        result.steps[name] = now - last
        last = now
        if checkpoint is not None:
            checkpoint(name)

    async with engine.begin() as conn:
        postgres = is_postgres(conn)
        if postgres:
            await conn.execute(text("SET LOCAL synchronous_commit = off"))
            await conn.execute(text("SET LOCAL work_mem = '256MB'"))
            await conn.execute(select(func.pg_advisory_xact_lock(PUBLISH_LOCK)))
        if await is_published(conn, run.id):
            result.already_published = True
            return result
        now = utcnow()
        await _record_run(conn, run, now)
        step("run")
        metadata = MetaData()
        result.leads = await _insert_leads(conn, metadata, run, leads.select(list(LEAD_COLUMNS)))
        step("leads")
        result.profiles = await _upsert_profiles(
            conn, metadata, run, profiles.select(list(PROFILE_COLUMNS)), now, postgres=postgres
        )
        step("profiles")
        result.converted = await _apply_conversions(
            conn, metadata, conversions.select(list(CONVERSION_COLUMNS)), now
        )
        result.expired = await _expire(conn, run, now)
        step("feedback")
    step("commit")
    # The run serves from here on. Clearing out the leads of earlier runs that nobody acted
    # on is housekeeping: it runs in a transaction of its own, and if it fails the next
    # publish clears them instead.
    async with engine.begin() as conn:
        result.removed = await _remove_untouched(conn, run)
        if postgres:
            for table in (Lead.__tablename__, CustomerProfile.__tablename__):
                await conn.execute(text(f"ANALYZE {table}"))
    step("cleanup")
    result.seconds = time.perf_counter() - started
    return result


async def _record_run(conn: AsyncConnection, run: RunRecord, now: datetime) -> None:
    await conn.execute(
        update(AnalysisRun)
        .where(AnalysisRun.status == RunStatus.PUBLISHED)
        .values(status=RunStatus.SUPERSEDED)
    )
    await conn.execute(
        insert(AnalysisRun).values(
            id=run.id,
            as_of=run.as_of,
            engine=run.engine,
            status=RunStatus.PUBLISHED,
            inputs_digest=run.inputs_digest,
            started_at=run.started_at,
            published_at=now,
            outcomes_watermark=run.outcomes_watermark,
            summary=run.summary,
        )
    )


async def _insert_leads(
    conn: AsyncConnection, metadata: MetaData, run: RunRecord, leads: pa.Table
) -> int:
    staging = _staging(
        metadata,
        "publish_leads",
        Column("customer_number", String(20)),
        Column("rule_code", String(48)),
        Column("rank", Integer),
        Column("priority", Float),
        Column("propensity", Float),
        Column("value", Numeric(18, 2)),
        Column("script_zh", Text),
        Column("script_en", Text),
        Column("valid_from", Date),
        Column("valid_until", Date),
    )
    await conn.run_sync(staging.create)
    await copy_arrow(conn, staging, leads)
    s, c, r = staging.c, _customers.c, _rules.c
    rows = select(
        literal(run.id, String()),
        c.id,
        r.id,
        r.campaign_id,
        r.product_code,
        s.rank,
        s.priority,
        s.propensity,
        s.value,
        s.script_zh,
        s.script_en,
        s.valid_from,
        s.valid_until,
        literal(LeadStatus.OPEN.value, String()),
        literal(0, Integer()),
    ).select_from(
        staging.join(_customers, c.number == s.customer_number).join(_rules, r.code == s.rule_code)
    )
    lead = _leads.c
    inserted = await conn.execute(
        insert(_leads).from_select(
            [
                lead.run_id,
                lead.customer_id,
                lead.rule_id,
                lead.campaign_id,
                lead.product_code,
                lead.rank,
                lead.priority,
                lead.propensity,
                lead.value,
                lead.script_zh,
                lead.script_en,
                lead.valid_from,
                lead.valid_until,
                lead.status,
                lead.presentations,
            ],
            rows,
        )
    )
    count = inserted.rowcount
    if count != leads.num_rows:
        # A lead whose customer or rule is unknown to the serving database: the lake and
        # the serving database disagree, and publishing part of a run is not an option.
        raise RuntimeError(
            f"only {count} of {leads.num_rows} leads resolved to a customer and rule"
        )
    await conn.execute(text(f"DROP TABLE {staging.name}"))
    return int(count)


async def _upsert_profiles(
    conn: AsyncConnection,
    metadata: MetaData,
    run: RunRecord,
    profiles: pa.Table,
    now: datetime,
    *,
    postgres: bool,
) -> int:
    staging = _staging(
        metadata,
        "publish_profiles",
        Column("customer_number", String(20)),
        Column("tier", String(16)),
        Column("aum", Numeric(18, 2)),
    )
    await conn.run_sync(staging.create)
    await copy_arrow(conn, staging, profiles)
    s, c = staging.c, _customers.c
    p = _profiles.c
    # Only profiles that change: a nightly run rewrites the few whose tier or assets moved
    # (assets come from month-end balances), not every customer's row. Once a run is
    # published, the load no longer touches existing profiles, so a provisional one the
    # run confirmed can keep its ``load`` source.
    rows = (
        select(c.id, s.tier, s.aum, literal(run.id, String()), literal(now, UTCDateTime()))
        .select_from(
            staging.join(_customers, c.number == s.customer_number).outerjoin(
                _profiles, p.customer_id == c.id
            )
        )
        .where(
            or_(
                p.customer_id.is_(None),
                p.tier != s.tier,
                p.aum != s.aum,
            )
        )
    )
    target = _profiles
    dialect_insert = postgresql.insert if postgres else sqlite.insert
    statement = dialect_insert(target).from_select(
        ["customer_id", "tier", "aum", "source", "updated_at"], rows
    )
    statement = statement.on_conflict_do_update(
        index_elements=[target.c.customer_id],
        set_={
            "tier": statement.excluded.tier,
            "aum": statement.excluded.aum,
            "source": statement.excluded.source,
            "updated_at": statement.excluded.updated_at,
        },
    )
    result = await conn.execute(statement)
    await conn.execute(text(f"DROP TABLE {staging.name}"))
    return int(result.rowcount)


async def _apply_conversions(
    conn: AsyncConnection, metadata: MetaData, conversions: pa.Table, now: datetime
) -> int:
    if not conversions.num_rows:
        return 0
    staging = _staging(
        metadata,
        "publish_conversions",
        Column("lead_id", Integer),
        Column("converted_on", Date),
        Column("holding_id", Integer),
    )
    await conn.run_sync(staging.create)
    await copy_arrow(conn, staging, conversions)
    lead, s = _leads.c, staging.c
    converted = await conn.execute(
        update(_leads)
        .where(
            lead.id == s.lead_id,
            lead.status.not_in((LeadStatus.CONVERTED, LeadStatus.EXPIRED)),
        )
        .values(
            status=LeadStatus.CONVERTED,
            status_at=now,
            converted_on=s.converted_on,
            converted_holding_id=s.holding_id,
        )
    )
    await conn.execute(text(f"DROP TABLE {staging.name}"))
    return int(converted.rowcount)


async def _expire(conn: AsyncConnection, run: RunRecord, now: datetime) -> int:
    """Leads presented, accepted or deferred whose attribution window has passed without a
    purchase expire (declined leads keep their answer). One statement per rule: the window
    is the rule's, and there are few rules."""
    lead, rule = _leads.c, _rules.c
    as_of = datetime.combine(run.as_of, datetime.min.time(), tzinfo=UTC)
    expired = 0
    windows = await conn.execute(select(rule.id, rule.attribution_days))
    for rule_id, attribution_days in windows.all():
        result = await conn.execute(
            update(_leads)
            .where(
                lead.rule_id == rule_id,
                lead.run_id != run.id,
                lead.status.in_((LeadStatus.PRESENTED, LeadStatus.ACCEPTED, LeadStatus.DEFERRED)),
                lead.presented_at < as_of - timedelta(days=attribution_days),
            )
            .values(status=LeadStatus.EXPIRED, status_at=now)
        )
        expired += int(result.rowcount)
    return expired


async def _remove_untouched(conn: AsyncConnection, run: RunRecord) -> int:
    lead, outcome = _leads.c, _outcomes.c
    removed = await conn.execute(
        delete(_leads).where(
            lead.run_id != run.id,
            lead.status == LeadStatus.OPEN,
            ~exists().where(and_(outcome.lead_id == lead.id)),
        )
    )
    return int(removed.rowcount)
