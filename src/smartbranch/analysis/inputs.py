"""What a run reads from the serving database, and the digest that names the run.

The serving database holds the bank's side of the loop: the active lead rules (with their
campaigns and products), the outcomes staff recorded since the last run, and the leads that
were presented and may since have converted. The lake holds the warehouse's facts. A run's
id is derived from both, so the same inputs always give the same run id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from smartbranch.analysis.models import AnalysisRun
from smartbranch.catalog.models import Product
from smartbranch.customers.models import Customer
from smartbranch.lake import layout
from smartbranch.marketing.models import Campaign, Lead, LeadRule, LeadStatus, Outcome
from smartbranch.marketing.service import bank_date
from smartbranch.orgs.models import OrgUnit, Staff

RUNS_FOLDER = Path("analysis") / "runs"
"""Where runs write their results, relative to the lake root."""


@dataclass(frozen=True)
class ActiveRule:
    """A lead rule as the run uses it."""

    id: int
    code: str
    family: str
    campaign_code: str
    condition: str
    product_code: str
    product_name: str
    product_name_en: str
    value: Decimal
    weight: float
    cooldown_days: int
    max_presentations: int
    control_share: float
    attribution_days: int
    valid_days: int
    prior_propensity: float
    script_zh: str
    script_en: str
    version: int


async def active_rules(conn: AsyncConnection) -> list[ActiveRule]:
    """The active rules of active campaigns, in code order."""
    query = (
        select(
            LeadRule.id,
            LeadRule.code,
            LeadRule.family,
            Campaign.code.label("campaign_code"),
            LeadRule.condition,
            LeadRule.product_code,
            Product.name.label("product_name"),
            Product.name_en.label("product_name_en"),
            LeadRule.value,
            LeadRule.weight,
            LeadRule.cooldown_days,
            LeadRule.max_presentations,
            LeadRule.control_share,
            LeadRule.attribution_days,
            LeadRule.valid_days,
            LeadRule.prior_propensity,
            LeadRule.script_zh,
            LeadRule.script_en,
            LeadRule.version,
        )
        .join(Campaign, Campaign.id == LeadRule.campaign_id)
        .join(Product, Product.code == LeadRule.product_code)
        .where(LeadRule.active, Campaign.active)
        .order_by(LeadRule.code)
    )
    rows = (await conn.execute(query)).mappings().all()
    return [ActiveRule(**{**row, "value": Decimal(row["value"])}) for row in rows]


OUTCOMES_SCHEMA = pa.schema(
    [
        pa.field("outcome_id", pa.int64()),
        pa.field("lead_id", pa.int64()),
        pa.field("run_id", pa.string()),
        pa.field("customer_number", pa.string()),
        pa.field("rule_code", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("reason_code", pa.string()),
        pa.field("recorded_on", pa.date32()),
        pa.field("follow_up_on", pa.date32()),
        pa.field("staff_username", pa.string()),
        pa.field("outlet_code", pa.string()),
        pa.field("channel", pa.string()),
    ]
)
"""Outcomes as a run exports them to the lake (``outcomes.parquet`` of each run)."""


async def outcomes_after(conn: AsyncConnection, watermark: int) -> pa.Table:
    """Outcomes with an id above ``watermark`` (recorded since the last run)."""
    query = (
        select(
            Outcome.id,
            Outcome.lead_id,
            Lead.run_id,
            Customer.number,
            LeadRule.code,
            Outcome.kind,
            Outcome.reason_code,
            Outcome.recorded_at,
            Outcome.follow_up_on,
            Staff.username,
            OrgUnit.code,
            Outcome.channel,
        )
        .join(Lead, Lead.id == Outcome.lead_id)
        .join(Customer, Customer.id == Outcome.customer_id)
        .join(LeadRule, LeadRule.id == Outcome.rule_id)
        .outerjoin(Staff, Staff.id == Outcome.staff_id)
        .outerjoin(OrgUnit, OrgUnit.id == Outcome.outlet_id)
        .where(Outcome.id > watermark)
        .order_by(Outcome.id)
    )
    return _as_table((await conn.execute(query)).all(), OUTCOMES_SCHEMA)


PRESENTED_SCHEMA = pa.schema(
    [
        pa.field("lead_id", pa.int64()),
        pa.field("customer_number", pa.string()),
        pa.field("product_code", pa.string()),
        pa.field("presented_on", pa.date32()),
        pa.field("attribution_days", pa.int64()),
    ]
)


ATTRIBUTION_HORIZON_DAYS = 366
"""Leads presented longer ago than this are no longer checked for conversions (no rule's
attribution window is longer)."""


async def presented_leads(conn: AsyncConnection, as_of: date) -> pa.Table:
    """Leads presented to the customer and not yet converted or expired: the ones a
    purchase in the lake may convert. A declined lead counts too: a customer who said no at
    the counter and bought within the attribution window was won by that conversation."""
    query = (
        select(
            Lead.id,
            Customer.number,
            Lead.product_code,
            Lead.presented_at,
            LeadRule.attribution_days,
        )
        .join(Customer, Customer.id == Lead.customer_id)
        .join(LeadRule, LeadRule.id == Lead.rule_id)
        .where(
            Lead.presented_at.is_not(None),
            Lead.presented_at
            >= datetime.combine(as_of, time.min, tzinfo=UTC)
            - timedelta(days=ATTRIBUTION_HORIZON_DAYS),
            Lead.status.in_(
                (
                    LeadStatus.PRESENTED,
                    LeadStatus.ACCEPTED,
                    LeadStatus.DEFERRED,
                    LeadStatus.DECLINED,
                )
            ),
        )
        .order_by(Lead.id)
    )
    return _as_table((await conn.execute(query)).all(), PRESENTED_SCHEMA)


def _as_table(rows: Sequence[Sequence[Any]], schema: pa.Schema) -> pa.Table:
    """Result rows as an Arrow table of ``schema``; timestamps in date columns become their
    date at the bank (the contact policy counts bank days)."""
    columns: list[list[Any]] = [[] for _ in schema]
    for row in rows:
        for values, value in zip(columns, row, strict=True):
            values.append(value)
    arrays = []
    for values, field in zip(columns, schema, strict=True):
        if pa.types.is_date(field.type):
            values = [bank_date(v) if isinstance(v, datetime) else v for v in values]
        arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


async def published_runs(conn: AsyncConnection) -> list[tuple[str, date, int]]:
    """Every run ever published (id, as-of date, outcomes watermark), oldest first."""
    query = select(AnalysisRun.id, AnalysisRun.as_of, AnalysisRun.outcomes_watermark).order_by(
        AnalysisRun.published_at
    )
    return [(run_id, as_of, mark) for run_id, as_of, mark in (await conn.execute(query)).all()]


async def max_outcome_id(conn: AsyncConnection) -> int:
    """The highest outcome id recorded so far (0 when none)."""
    return int((await conn.execute(select(func.coalesce(func.max(Outcome.id), 0)))).scalar_one())


def lake_fingerprint(lake: Path) -> list[tuple[str, int]]:
    """Every Parquet file of the lake's tables with its size: a new part file (a simulator's
    or a warehouse's nightly delivery) or a rewritten one gives a new fingerprint."""
    files: list[tuple[str, int]] = []
    for table in layout.ALL_TABLES:
        location = lake / table.location
        paths = sorted(location.glob(layout.PART_GLOB)) if table.partitioned else [location]
        files.extend(
            (str(path.relative_to(lake)), path.stat().st_size) for path in paths if path.exists()
        )
    manifest = lake / layout.MANIFEST_FILE
    if manifest.exists():
        files.append((layout.MANIFEST_FILE, manifest.stat().st_size))
    return files


def inputs_digest(
    *,
    as_of: date,
    lake: list[tuple[str, int]],
    rules: list[ActiveRule],
    outcomes_watermark: int,
    parameters: dict[str, Any],
) -> str:
    """SHA-256 over everything that decides a run's results."""
    document = {
        "as_of": as_of.isoformat(),
        "lake": lake,
        "rules": [asdict(rule) for rule in rules],
        "outcomes_watermark": outcomes_watermark,
        "parameters": parameters,
    }
    encoded = json.dumps(document, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


def run_id_for(as_of: date, digest: str) -> str:
    """``R<yyyymmdd>-<first 10 hex of the digest>``."""
    return f"R{as_of:%Y%m%d}-{digest[:10]}"
