"""Crafted customers for rule tests: one value for every catalog feature, typed as the
catalog says, and a way to evaluate a checked condition over them with DuckDB."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from smartbranch.customers.features import FEATURES, FeatureType
from smartbranch.marketing.rules import condition_sql, validate_condition

ARROW_TYPES = {
    FeatureType.INTEGER: pa.int64(),
    FeatureType.DECIMAL: pa.decimal128(18, 2),
    FeatureType.BOOLEAN: pa.bool_(),
    FeatureType.DATE: pa.date32(),
    FeatureType.TEXT: pa.string(),
}
SCHEMA = pa.schema([pa.field(f.name, ARROW_TYPES[f.type]) for f in FEATURES])

D = Decimal

BASELINE: dict[str, Any] = {
    # A gold customer of 45 with a gold credit card, a little of everything, and nothing
    # that any default rule looks for: the test checks that none fires on it.
    "age": 45,
    "gender": "M",
    "birth_date": date(1980, 5, 17),
    "days_to_birthday": 100,
    "home_city": "北京",
    "home_outlet_code": "BJ001",
    "tenure_years": 8,
    "risk_tolerance": 3,
    "has_account_manager": True,
    "aum": D("120000.00"),
    "aum_avg_3m": D("120000.00"),
    "aum_peak_12m": D("130000.00"),
    "balance_deposit": D("30000.00"),
    "balance_time_deposit": D("50000.00"),
    "balance_wealth": D("30000.00"),
    "balance_fund": D("0.00"),
    "balance_insurance": D("10000.00"),
    "loan_balance": D("0.00"),
    "product_count": 5,
    "asset_category_count": 4,
    "has_debit_card": True,
    "has_credit_card": True,
    "credit_card_level": 2,
    "card_spend_3m": D("8000.00"),
    "card_spend_count_3m": 20,
    "is_payroll": False,
    "payroll_monthly": D("0.00"),
    "loan_prepaid_90d": False,
    "loan_prepaid_amount_90d": D("0.00"),
    "maturing_30d_count": 0,
    "maturing_30d_amount": D("0.00"),
    "matured_60d_amount": D("0.00"),
    "visits_12m": 4,
    "days_since_last_visit": 40,
    "digital_txn_3m": 12,
    "counter_txn_3m": 2,
    "deposits_in_3m": D("15000.00"),
    "tier": "gold",
    "tier_rank": 1,
    "next_tier_threshold": D("500000.00"),
    "next_tier_gap": D("380000.00"),
    "segment": "family_builder",
    "birthday_today": False,
    "birthday_this_week": False,
    "maturity_soon": False,
    "long_absence": False,
}


def customer(**overrides: Any) -> dict[str, Any]:
    """The baseline customer with ``overrides``; money may be given as int or str."""
    unknown = set(overrides) - set(BASELINE)
    assert not unknown, f"not catalog features: {unknown}"
    row = {**BASELINE, **overrides}
    for f in FEATURES:
        if f.type == FeatureType.DECIMAL and row[f.name] is not None:
            row[f.name] = Decimal(str(row[f.name])).quantize(Decimal("0.01"))
    return row


def customers_table(rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Rows as an Arrow table typed from the catalog."""
    return pa.Table.from_pylist([dict(r) for r in rows], schema=SCHEMA)


def evaluate(condition: str, rows: Sequence[Mapping[str, Any]]) -> list[bool | None]:
    """The checked ``condition`` evaluated by DuckDB on each row (``None`` for SQL NULL)."""
    sql = condition_sql(validate_condition(condition), "duckdb")
    features = customers_table(rows)
    with duckdb.connect() as con:
        con.register("features", features)
        result = con.execute(f"SELECT ({sql}) AS fires FROM features").fetchall()  # noqa: S608
    return [value for (value,) in result]


def fires(condition: str, row: Mapping[str, Any]) -> bool:
    """Whether ``condition`` is true for one customer (NULL counts as not firing)."""
    return evaluate(condition, [row])[0] is True
