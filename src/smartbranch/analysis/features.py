"""Per-customer features, tiers, segments and care events, as of a date.

:func:`compute_features` runs the SQL models in ``sql/`` on an engine and leaves the table
``customer_features``: ``customer_number`` and every feature of the catalog
(:mod:`smartbranch.customers.features`), in catalog order and with the catalog's types,
which it checks before returning. The same statements run on DuckDB and (transpiled) on
Spark and give identical tables.

The stages, each a table or view of the engine:

1. ``customer_features_base`` (table): the lake features (``sql/features_base.sql``).
2. ``customer_features_graded`` (view): plus tier and care events
   (``sql/features_graded.sql``).
3. ``customer_segments`` (view, or an Arrow table for k-means): the product-mix segment
   (``sql/segments_rules.sql`` or :mod:`smartbranch.analysis.segments`).
4. ``customer_features`` (table): the catalog's columns (``sql/features.sql``).

Dates that bound the windows (three months, twelve months, 90 days …) are computed here in
Python and bound into the statements as typed literals, so that no engine's interval
arithmetic is relied on; see the header of ``sql/features_base.sql``.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any, Literal

import pyarrow as pa

from smartbranch.analysis.engines import Engine
from smartbranch.analysis.sqlmodels import SqlValue, render
from smartbranch.customers.features import (
    BIRTHDAY_WEEK_DAYS,
    FEATURES,
    KEY_COLUMN,
    LONG_ABSENCE_DAYS,
    MATURITY_SOON_DAYS,
    NEVER_VISITED_DAYS,
    FeatureType,
)

FEATURES_TABLE = "customer_features"
BASE_TABLE = "customer_features_base"
GRADED_VIEW = "customer_features_graded"
SEGMENTS_TABLE = "customer_segments"
FLOOR_TABLE = "feature_floor"

SegmentMethod = Literal["rules", "kmeans"]
LOAN_PREPAID_DAYS = 90
MATURED_DAYS = 60

_ARROW_TYPES: dict[FeatureType, Any] = {
    FeatureType.INTEGER: pa.int64(),
    FeatureType.DECIMAL: pa.decimal128(18, 2),
    FeatureType.BOOLEAN: pa.bool_(),
    FeatureType.DATE: pa.date32(),
    FeatureType.TEXT: pa.string(),
}


class FeatureTableMismatchError(RuntimeError):
    """The computed feature table does not have the catalog's columns and types (a defect
    of the SQL models, never of the data)."""


def arrow_type(kind: FeatureType) -> Any:
    """The Arrow type a feature of ``kind`` has in the feature table."""
    return _ARROW_TYPES[kind]


def features_schema() -> pa.Schema:
    """The schema of ``customer_features`` as :meth:`Engine.fetch_arrow` returns it."""
    return pa.schema(
        [pa.field(KEY_COLUMN, pa.string())]
        + [pa.field(feature.name, arrow_type(feature.type)) for feature in FEATURES]
    )


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, clamped to the end of a shorter month
    (31 May minus three months is 28 or 29 February)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def check_thresholds(thresholds: Sequence[Decimal]) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """The lower bounds of gold, platinum, diamond and private banking, checked: four
    non-negative amounts in CNY with at most two decimals, strictly increasing."""
    bounds = tuple(Decimal(value) for value in thresholds)
    if len(bounds) != 4:
        raise ValueError(f"four tier thresholds are needed, got {len(bounds)}")
    if bounds[0] < 0 or any(low >= high for low, high in pairwise(bounds)):
        raise ValueError(f"tier thresholds must be non-negative and increasing: {bounds}")
    return bounds[0], bounds[1], bounds[2], bounds[3]


def window_parameters(as_of: date) -> dict[str, SqlValue]:
    """The as-of date and the window bounds ``sql/features_base.sql`` expects."""
    month_0 = as_of.replace(day=1)
    months: dict[str, SqlValue] = {f"month_{i}": add_months(month_0, -i) for i in range(12)}
    return {
        "as_of": as_of,
        **months,
        "since_3m": add_months(as_of, -3),
        "since_12m": add_months(as_of, -12),
        "prepaid_since": as_of - timedelta(days=LOAN_PREPAID_DAYS),
        "matured_since": as_of - timedelta(days=MATURED_DAYS),
        "maturing_until": as_of + timedelta(days=MATURITY_SOON_DAYS),
        "year": as_of.year,
        "next_year": as_of.year + 1,
        "feb29_this": 29 if calendar.isleap(as_of.year) else 28,
        "feb29_next": 29 if calendar.isleap(as_of.year + 1) else 28,
        "never_visited_days": NEVER_VISITED_DAYS,
    }


def grading_parameters(thresholds: Sequence[Decimal]) -> dict[str, SqlValue]:
    """The tier bounds and care-event constants ``sql/features_graded.sql`` expects."""
    gold, platinum, diamond, private = check_thresholds(thresholds)
    return {
        "gold_from": gold,
        "platinum_from": platinum,
        "diamond_from": diamond,
        "private_from": private,
        "birthday_week_days": BIRTHDAY_WEEK_DAYS,
        "long_absence_days": LONG_ABSENCE_DAYS,
    }


def compute_features(
    engine: Engine,
    *,
    as_of: date,
    thresholds: Sequence[Decimal],
    segments: SegmentMethod = "rules",
) -> None:
    """Create the engine table ``customer_features`` (see the module docstring) from the
    lake views (``engine.register_lake()`` first) as of ``as_of``; ``thresholds`` are the
    lower bounds of gold, platinum, diamond and private banking (``settings.
    tier_thresholds_cny``). ``segments``: ``"rules"`` (``sql/segments_rules.sql``) or
    ``"kmeans"`` (scikit-learn clusters named after the rule segments). Raises
    :class:`FeatureTableMismatchError` when the result does not match the catalog."""
    grading = grading_parameters(thresholds)
    engine.create_table(BASE_TABLE, render("features_base", window_parameters(as_of)))
    engine.create_view(GRADED_VIEW, render("features_graded", grading))
    rule_segments = render("segments_rules", {})
    if segments == "rules":
        engine.create_view(SEGMENTS_TABLE, rule_segments)
    elif segments == "kmeans":
        # Imported here: scikit-learn is loaded only when clustering is asked for.
        from smartbranch.analysis.segments import kmeans_segments

        engine.register_arrow(SEGMENTS_TABLE, kmeans_segments(engine, GRADED_VIEW, rule_segments))
    else:
        raise ValueError(f"unknown segment method {segments!r}")
    engine.create_table(FEATURES_TABLE, render("features", {}))
    for name in (SEGMENTS_TABLE, GRADED_VIEW, BASE_TABLE):
        engine.drop_table(name)
    check_features_table(engine)


def check_features_table(engine: Engine, table: str = FEATURES_TABLE) -> None:
    """Raise :class:`FeatureTableMismatchError` unless ``table`` has exactly the key and
    the catalog's features, in order, with the catalog's types."""
    found = engine.fetch_arrow(f"SELECT * FROM {table} LIMIT 0").schema  # noqa: S608
    expected = features_schema()
    if found.names != expected.names:
        missing = [name for name in expected.names if name not in found.names]
        extra = [name for name in found.names if name not in expected.names]
        raise FeatureTableMismatchError(
            f"{table} on {engine.name}: columns differ from the feature catalog "
            f"(missing {missing}, unexpected {extra}, order {found.names})"
        )
    wrong = [
        f"{field.name}: {field.type} (expected {want.type})"
        for field, want in zip(found, expected, strict=True)
        if field.type != want.type
    ]
    if wrong:
        raise FeatureTableMismatchError(
            f"{table} on {engine.name}: types differ from the feature catalog: " + "; ".join(wrong)
        )


def feature_floor_sql(as_of: date) -> str:
    """The bare per-customer aggregation (sums over month-end balances, holdings and
    transactions grouped by customer, as of ``as_of``): the floor a full feature run is
    measured against. DuckDB SQL."""
    return render("feature_floor", {"as_of": as_of})


def run_feature_floor(engine: Engine, as_of: date) -> int:
    """Materialise :func:`feature_floor_sql` as the engine table ``feature_floor`` and
    return its number of rows (one per customer)."""
    engine.create_table(FLOOR_TABLE, feature_floor_sql(as_of))
    count = engine.fetch_arrow(f"SELECT COUNT(*) AS n FROM {FLOOR_TABLE}")  # noqa: S608
    return int(count.column("n")[0].as_py())
