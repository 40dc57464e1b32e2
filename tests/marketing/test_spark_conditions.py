"""Rule conditions mean the same on Spark as on DuckDB.

Every default rule and a set of conditions using each allowed construct are evaluated on
every crafted customer by both engines (Spark ``local[2]`` in ANSI mode, as the analysis
runs it); the two truth tables must be identical.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from smartbranch.marketing.library import DEFAULT_RULES
from smartbranch.marketing.rules import condition_sql, validate_condition
from tests.marketing.cases import CASES
from tests.marketing.customers import customer, customers_table

pytestmark = [pytest.mark.slow, pytest.mark.spark]

EXTRA_CONDITIONS = (
    "birth_date < DATE '1985-01-01'",
    "LENGTH(LOWER(UPPER(home_city))) >= 2 AND home_city LIKE '北%'",
    "home_city = 'a\\b' OR home_city = 'O''Hare' OR gender NOT LIKE '_'",
    "ROUND(aum / 3, 2) > 40000 AND CEIL(aum_avg_3m) >= FLOOR(aum_avg_3m)",
    "aum / aum_avg_3m > 1.1",
    "aum % 7 = 0 OR aum % tier_rank = 0",
    "COALESCE(risk_tolerance, 0) >= 3",
    "CASE WHEN tier = 'gold' THEN aum > 100000 ELSE has_credit_card END",
    "CASE segment WHEN 'senior' THEN 1 WHEN 'family_builder' THEN 2 ELSE 0 END = 2",
    "LEAST(aum, aum_avg_3m, aum_peak_12m) > 1e5 AND GREATEST(age, 30) = age",
    "ABS(aum - aum_avg_3m) <= 0.05 * aum_avg_3m",
    "tier IN ('gold', 'platinum') AND age NOT BETWEEN 60 AND 70",
    "risk_tolerance IS NULL OR NOT is_payroll IS TRUE",
)


def java_available() -> bool:
    return shutil.which("java") is not None


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    if not java_available():
        pytest.skip("no Java runtime: Spark cannot start")
    from pyspark.sql import SparkSession

    from smartbranch.analysis.engines.spark_engine import start_spark_session

    running = SparkSession.getActiveSession()
    session = running or start_spark_session("local[2]", app_name="smartbranch-tests")
    yield session
    if running is None:  # a session another test module started is theirs to stop
        session.stop()


def crafted_customers() -> pa.Table:
    rows = [customer(**overrides) for _, _, overrides, _ in CASES]
    # Edge values: a zero divisor, missing values, a name with a backslash and a quote.
    rows.append(customer(aum_avg_3m=0, tier_rank=0, tier="standard"))
    rows.append(customer(risk_tolerance=None, home_city=None, aum=None, is_payroll=None))
    rows.append(customer(home_city="a\\b"))
    rows.append(customer(home_city="O'Hare", gender="MF", birth_date=date(1990, 2, 28)))
    table = customers_table(rows)
    return table.append_column("case_id", pa.array(range(len(rows)), pa.int64()))


def truth_table_sql(dialect: str, conditions: list[str]) -> str:
    columns = ", ".join(
        f"({condition_sql(validate_condition(text), dialect)}) AS c{i}"  # type: ignore[arg-type]
        for i, text in enumerate(conditions)
    )
    return f"SELECT case_id, {columns} FROM crafted ORDER BY case_id"  # noqa: S608


class TestSparkMatchesDuckDB:
    def test_every_condition_on_every_customer(self, spark: Any) -> None:
        conditions = [rule.condition for rule in DEFAULT_RULES] + list(EXTRA_CONDITIONS)
        table = crafted_customers()
        with duckdb.connect() as con:
            con.register("crafted", table)
            expected = con.execute(truth_table_sql("duckdb", conditions)).fetchall()
        spark.createDataFrame(table).createOrReplaceTempView("crafted")
        try:
            got = [tuple(row) for row in spark.sql(truth_table_sql("spark", conditions)).collect()]
        finally:
            spark.catalog.dropTempView("crafted")
        assert len(got) == len(expected) == table.num_rows
        differences = [
            (case, conditions[i], e, g)
            for case, (erow, grow) in enumerate(zip(expected, got, strict=True))
            for i, (e, g) in enumerate(zip(erow[1:], grow[1:], strict=True))
            if e != g
        ]
        assert differences == []
        # The table is not trivially constant: every condition is true somewhere and false
        # (or NULL) somewhere else.
        for i in range(len(conditions)):
            values = {row[i + 1] for row in expected}
            assert True in values and (values - {True}), conditions[i]
