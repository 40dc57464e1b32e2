"""Feature values against hand-computed examples on the crafted lake (tests/fixtures/lake.py),
the catalog check, and DuckDB and Spark giving identical tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from smartbranch.analysis.engines import DuckDBEngine
from smartbranch.analysis.features import (
    FeatureTableMismatchError,
    add_months,
    check_features_table,
    check_thresholds,
    compute_features,
    feature_floor_sql,
    features_schema,
    run_feature_floor,
)
from smartbranch.analysis.sqlmodels import bind, literal
from smartbranch.customers.features import FEATURE_NAMES, KEY_COLUMN, SEGMENTS
from tests.analysis.conftest import (
    GENERATED_AS_OF,
    THRESHOLDS,
    duckdb_features,
    features_of,
)
from tests.fixtures import lake as fx

D = Decimal


def by_customer(table: pa.Table) -> dict[str, dict[str, Any]]:
    return {row[KEY_COLUMN]: row for row in table.to_pylist()}


@pytest.fixture(scope="module")
def features(feature_lake: Path) -> dict[str, dict[str, Any]]:
    return by_customer(duckdb_features(feature_lake, fx.AS_OF))


class TestHandComputedFeatures:
    def test_every_feature_of_the_richest_customer(
        self, features: dict[str, dict[str, Any]]
    ) -> None:
        assert features[fx.RICH] == {
            KEY_COLUMN: fx.RICH,
            "age": 45,  # born 1 December 1980; the birthday is three days away
            "gender": "M",
            "birth_date": date(1980, 12, 1),
            "days_to_birthday": 3,
            "home_city": "北京",
            "home_outlet_code": "BJ001",
            "tenure_years": 10,  # opened ten years ago today
            "risk_tolerance": 4,
            "has_account_manager": True,
            "aum": D("600000.00"),  # deposit + time deposit + wealth; loan and card owed apart
            "aum_avg_3m": D("400000.00"),  # (100000.01 + 500000 + 600000) / 3 = 400000.0033
            "aum_peak_12m": D("900000.00"),  # March; the 5M of 13 months ago is out of window
            "balance_deposit": D("100000.00"),
            "balance_time_deposit": D("200000.00"),
            "balance_wealth": D("300000.00"),
            "balance_fund": D("0.00"),
            "balance_insurance": D("0.00"),
            "loan_balance": D("50000.00"),
            # DEP-CURRENT, TD-1Y (twice), TD-2Y, WM-A, FND-B (closed only after the as-of)
            "product_count": 5,
            "asset_category_count": 3,
            "has_debit_card": True,
            "has_credit_card": True,
            "credit_card_level": 3,  # platinum; the diamond card is issued after the as-of
            "card_spend_3m": D("300.75"),  # 29 Aug 100.50 + 28 Nov 200.25; 28 Aug is out
            "card_spend_count_3m": 2,
            "is_payroll": True,
            "payroll_monthly": D("8000.00"),  # the second employer starts after the as-of
            "loan_prepaid_90d": False,
            "loan_prepaid_amount_90d": D("0.00"),
            "maturing_30d_count": 2,  # in 12 and in 30 days; in 31 days is out
            "maturing_30d_amount": D("200000.00"),
            "matured_60d_amount": D("140000.00"),  # 44 and 60 days ago; 61 days and early out
            "visits_12m": 2,  # 20 Nov and 5 Jan; exactly twelve months back is out
            "days_since_last_visit": 8,
            "digital_txn_3m": 4,  # online/mobile: card 29 Aug, transfer, payroll, repayment
            "counter_txn_3m": 1,
            "deposits_in_3m": D("9500.00"),  # deposit 1000 + transfer in 500 + payroll 8000
            "tier": "gold",
            "tier_rank": 1,
            "next_tier_threshold": D("500000.00"),
            "next_tier_gap": D("100000.00"),
            "segment": "wealth_accumulator",
            "birthday_today": False,
            "birthday_this_week": True,
            "maturity_soon": True,
            "long_absence": False,
        }

    def test_facts_after_the_as_of_date_are_ignored(
        self, features: dict[str, dict[str, Any]]
    ) -> None:
        # The customer opened tomorrow is not a customer yet.
        assert fx.LATE not in features
        assert len(features) == 9

    @pytest.mark.parametrize(
        ("customer", "tier", "rank", "threshold", "gap"),
        [
            (fx.LEAP, "standard", 0, "50000.00", "0.01"),  # 49,999.99: one fen short
            (fx.GOLD_EDGE, "gold", 1, "500000.00", "450000.00"),  # exactly 50,000
            (fx.DIAMOND, "diamond", 3, "6000000.00", "4000000.00"),  # exactly 2,000,000
            (fx.PRIVATE, "private", 4, "0.00", "0.00"),  # exactly 6,000,000: top tier
            (fx.SENIOR, "standard", 0, "50000.00", "50000.00"),  # no assets at all
        ],
    )
    def test_tier_boundaries(
        self,
        features: dict[str, dict[str, Any]],
        customer: str,
        tier: str,
        rank: int,
        threshold: str,
        gap: str,
    ) -> None:
        row = features[customer]
        assert (row["tier"], row["tier_rank"]) == (tier, rank)
        assert row["next_tier_threshold"] == D(threshold)
        assert row["next_tier_gap"] == D(gap)

    def test_loan_paid_off_early_90_days_ago_counts_91_does_not(
        self, features: dict[str, dict[str, Any]]
    ) -> None:
        private, diamond = features[fx.PRIVATE], features[fx.DIAMOND]
        assert private["loan_prepaid_90d"] is True
        assert private["loan_prepaid_amount_90d"] == D("12345.67")
        # 91 days ago, and another paid on its scheduled end (not early): neither counts.
        assert diamond["loan_prepaid_90d"] is False
        assert diamond["loan_prepaid_amount_90d"] == D("0.00")

    def test_cards_lost_count_closed_do_not(self, features: dict[str, dict[str, Any]]) -> None:
        private = features[fx.PRIVATE]
        assert (private["has_credit_card"], private["credit_card_level"]) == (True, 2)
        assert private["has_debit_card"] is False
        assert (
            features[fx.SENIOR]["has_credit_card"],
            features[fx.SENIOR]["credit_card_level"],
        ) == (
            False,
            0,
        )

    def test_birthdays_and_absence(self, features: dict[str, dict[str, Any]]) -> None:
        private = features[fx.PRIVATE]  # born 28 November 1990
        assert (private["age"], private["days_to_birthday"]) == (36, 0)
        assert private["birthday_today"] and private["birthday_this_week"]
        senior = features[fx.SENIOR]  # born 29 November 1956: 70 tomorrow
        assert (senior["age"], senior["days_to_birthday"]) == (69, 1)
        diamond = features[fx.DIAMOND]  # born 5 December: seven days away is not "this week"
        assert diamond["days_to_birthday"] == 7
        assert not diamond["birthday_this_week"]
        # Never visited: 9999 days and a long absence; 181 days absent is long, 180 is not.
        assert (senior["days_since_last_visit"], senior["long_absence"]) == (9999, True)
        assert (diamond["days_since_last_visit"], diamond["long_absence"]) == (181, True)
        assert (features[fx.LEAP]["days_since_last_visit"], features[fx.LEAP]["long_absence"]) == (
            180,
            False,
        )

    def test_a_customer_without_facts_has_zeros(self, features: dict[str, dict[str, Any]]) -> None:
        senior = features[fx.SENIOR]
        for name in ("aum", "aum_avg_3m", "aum_peak_12m", "card_spend_3m", "deposits_in_3m"):
            assert senior[name] == D("0.00"), name
        for name in ("product_count", "visits_12m", "maturing_30d_count", "digital_txn_3m"):
            assert senior[name] == 0, name
        assert senior["is_payroll"] is False
        assert senior["maturity_soon"] is False

    def test_rule_segments(self, features: dict[str, dict[str, Any]]) -> None:
        assert {number: row["segment"] for number, row in features.items()} == {
            fx.RICH: "wealth_accumulator",  # gold, 45, tolerance 4
            fx.PRIVATE: "affluent_investor",
            fx.DIAMOND: "affluent_investor",
            fx.LEAP: "young_starter",  # 26
            fx.GOLD_EDGE: "wealth_accumulator",
            fx.SENIOR: "senior",
            fx.SAVER: "conservative_saver",  # tolerance 1
            fx.FAMILY: "family_builder",
            fx.NEW_YEAR: "family_builder",  # 41, standard, tolerance 3
        }


class TestCalendarEdges:
    """Birthdays and anniversaries on 29 February and across the new year."""

    @pytest.mark.parametrize(
        ("as_of", "age", "days_to_birthday", "tenure"),
        [
            (fx.AS_OF, 26, 92, 2),  # next birthday 28 Feb 2027 (a common year)
            (date(2027, 2, 27), 26, 1, 2),
            (date(2027, 2, 28), 27, 0, 3),  # celebrated on 28 February in common years
            (date(2027, 3, 1), 27, 365, 3),  # next: 29 Feb 2028
            (date(2028, 2, 28), 27, 1, 3),
            (date(2028, 2, 29), 28, 0, 4),
        ],
    )
    def test_born_on_29_february(
        self, feature_lake: Path, as_of: date, age: int, days_to_birthday: int, tenure: int
    ) -> None:
        row = by_customer(duckdb_features(feature_lake, as_of))[fx.LEAP]
        assert (row["age"], row["days_to_birthday"], row["tenure_years"]) == (
            age,
            days_to_birthday,
            tenure,
        )
        assert row["birthday_today"] is (days_to_birthday == 0)

    def test_birthday_week_wraps_into_the_new_year(self, feature_lake: Path) -> None:
        rows = by_customer(duckdb_features(feature_lake, date(2026, 12, 28)))
        new_year = rows[fx.NEW_YEAR]  # born 2 January 1985
        assert (new_year["age"], new_year["days_to_birthday"]) == (41, 5)
        assert new_year["birthday_this_week"] is True
        assert rows[fx.RICH]["days_to_birthday"] == 338  # 1 Dec 2027

    def test_three_months_back_from_a_month_end_clamps(self) -> None:
        assert add_months(date(2026, 5, 31), -3) == date(2026, 2, 28)
        assert add_months(date(2028, 5, 31), -3) == date(2028, 2, 29)
        assert add_months(date(2026, 1, 15), -12) == date(2025, 1, 15)
        assert add_months(date(2026, 11, 1), -11) == date(2025, 12, 1)


class TestCatalogContract:
    def test_columns_and_types_are_the_catalogs(self, feature_lake: Path) -> None:
        table = duckdb_features(feature_lake, fx.AS_OF)
        assert table.schema.names == [KEY_COLUMN, *FEATURE_NAMES]
        assert table.schema == features_schema()

    def test_a_table_unlike_the_catalog_fails_loudly(self, feature_lake: Path) -> None:
        with DuckDBEngine(feature_lake, memory_limit="512MB", threads=1) as engine:
            features_of(engine, fx.AS_OF)
            engine.create_table(
                "wrong_type", "SELECT * REPLACE (CAST(age AS DOUBLE) AS age) FROM customer_features"
            )
            with pytest.raises(FeatureTableMismatchError, match=r"age: double"):
                check_features_table(engine, "wrong_type")
            engine.create_table("missing", "SELECT * EXCLUDE (segment) FROM customer_features")
            with pytest.raises(FeatureTableMismatchError, match=r"missing \['segment'\]"):
                check_features_table(engine, "missing")

    def test_thresholds_are_checked(self) -> None:
        with pytest.raises(ValueError, match="four"):
            check_thresholds(THRESHOLDS[:3])
        with pytest.raises(ValueError, match="increasing"):
            check_thresholds((D(1), D(3), D(2), D(4)))

    def test_other_thresholds_move_the_tiers(self, feature_lake: Path) -> None:
        with DuckDBEngine(feature_lake, memory_limit="512MB", threads=1) as engine:
            engine.register_lake()
            compute_features(
                engine, as_of=fx.AS_OF, thresholds=(D(100), D("49999.99"), D(10**6), D(10**7))
            )
            rows = by_customer(engine.fetch_arrow("SELECT * FROM customer_features"))
        assert rows[fx.LEAP]["tier"] == "platinum"  # 49,999.99 is now the platinum bound
        assert rows[fx.PRIVATE]["tier"] == "diamond"
        assert rows[fx.PRIVATE]["next_tier_gap"] == D("4000000.00")


class TestKMeansSegments:
    def test_every_customer_gets_a_named_segment_deterministically(
        self, generated_lake: Path
    ) -> None:
        first = duckdb_features(generated_lake, GENERATED_AS_OF, segments="kmeans")
        again = duckdb_features(generated_lake, GENERATED_AS_OF, segments="kmeans")
        assert first.equals(again)
        segments = set(first.column("segment").to_pylist())
        assert segments == set(SEGMENTS)  # six clusters, each named once
        rules = duckdb_features(generated_lake, GENERATED_AS_OF)
        # Everything but the segment is the same as with rule segments.
        assert first.drop_columns(["segment"]).equals(rules.drop_columns(["segment"]))


class TestSqlParameters:
    def test_values_become_typed_literals(self) -> None:
        sql = bind(
            "SELECT $day AS d, $amount AS a, $name AS n, $count AS c",
            {"day": date(2026, 2, 28), "amount": D("1.50"), "name": "O'Brien", "count": 3},
        )
        assert sql == (
            "SELECT CAST('2026-02-28' AS DATE) AS d, CAST(1.50 AS DECIMAL(18, 2)) AS a, "
            "'O''Brien' AS n, 3 AS c"
        )

    def test_missing_unused_and_unsafe_values_are_refused(self) -> None:
        with pytest.raises(KeyError, match="as_of"):
            bind("SELECT $as_of", {})
        with pytest.raises(ValueError, match="not used"):
            bind("SELECT 1", {"as_of": date(2026, 1, 1)})
        with pytest.raises(ValueError, match="two decimals"):
            literal(D("0.001"))
        with pytest.raises(TypeError):
            literal(1.5)  # type: ignore[arg-type]


class TestFeatureFloor:
    def test_one_row_per_customer_with_the_as_of_filters(self, feature_lake: Path) -> None:
        with DuckDBEngine(feature_lake, memory_limit="512MB", threads=1) as engine:
            engine.register_lake()
            assert run_feature_floor(engine, fx.AS_OF) == 9
            rows = by_customer(engine.fetch_arrow("SELECT * FROM feature_floor"))
        # Every balance row of RICH up to the as-of month (13 months back included).
        assert rows[fx.RICH]["balances"] == D("7151234.01")
        assert "DATE" in feature_floor_sql(fx.AS_OF)


@pytest.mark.spark
class TestBothEnginesAgree:
    """The same statements on DuckDB and (transpiled) on Spark give identical tables."""

    @pytest.mark.parametrize("as_of", [fx.AS_OF, date(2026, 12, 28), date(2028, 2, 29)])
    def test_on_the_crafted_lake(self, feature_lake: Path, spark_session: Any, as_of: date) -> None:
        from smartbranch.analysis.engines.spark_engine import SparkEngine

        with SparkEngine(feature_lake, session=spark_session) as spark:
            on_spark = features_of(spark, as_of)
        on_duckdb = duckdb_features(feature_lake, as_of)
        assert on_spark.schema == on_duckdb.schema == features_schema()
        assert on_spark.equals(on_duckdb)

    @pytest.mark.parametrize("segments", ["rules", "kmeans"])
    def test_on_a_generated_bank(
        self, generated_lake: Path, spark_session: Any, segments: Any
    ) -> None:
        from smartbranch.analysis.engines.spark_engine import SparkEngine

        with SparkEngine(generated_lake, session=spark_session) as spark:
            on_spark = features_of(spark, GENERATED_AS_OF, segments)
        on_duckdb = duckdb_features(generated_lake, GENERATED_AS_OF, segments)
        assert on_spark.num_rows > 1_000
        assert on_spark.equals(on_duckdb)
