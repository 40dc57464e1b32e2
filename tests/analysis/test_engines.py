"""The engine adapters: the same API and the same results on DuckDB and Spark."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from smartbranch.analysis.engines import DuckDBEngine, Engine, open_engine
from smartbranch.analysis.engines.base import check_identifier, normalise_arrow
from smartbranch.lake.errors import LakeMissingError
from smartbranch.settings import Settings
from tests.fixtures import lake as fx

SAMPLE = pa.table(
    {
        "customer_number": ["C2", "C1"],
        "amount": pa.array([Decimal("1.25"), Decimal("2.50")], pa.decimal128(18, 2)),
        "visits": pa.array([3, 4], pa.int32()),
    }
)


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest, feature_lake: Path) -> Iterator[Engine]:
    if request.param == "duckdb":
        with DuckDBEngine(feature_lake, memory_limit="512MB", threads=1) as duck:
            yield duck
    else:
        from smartbranch.analysis.engines.spark_engine import SparkEngine

        session = request.getfixturevalue("spark_session")
        with SparkEngine(feature_lake, session=session) as spark:
            yield spark


class TestEngines:
    def test_lake_views_have_the_contracts_normalised_types(self, engine: Engine) -> None:
        names = engine.register_lake()
        assert "customers" in names and "transactions" in names
        schema = engine.fetch_arrow("SELECT * FROM customers LIMIT 0").schema
        # The file stores risk tolerance as int16; the view reads the contract's int64.
        assert schema.field("risk_tolerance").type == pa.int64()
        assert schema.field("opened_on").type == pa.date32()
        balances = engine.fetch_arrow("SELECT balance FROM balances_monthly LIMIT 0").schema
        assert balances.field("balance").type == pa.decimal128(18, 2)

    def test_arrow_in_and_out_keeps_decimals_and_normalises_integers(self, engine: Engine) -> None:
        engine.register_arrow("sample", SAMPLE)
        result = engine.fetch_arrow(
            "SELECT customer_number, amount, visits FROM sample ORDER BY customer_number"
        )
        assert result.schema.field("amount").type == pa.decimal128(18, 2)
        assert result.schema.field("visits").type == pa.int64()
        assert result.column("customer_number").to_pylist() == ["C1", "C2"]
        assert result.column("amount").to_pylist() == [Decimal("2.50"), Decimal("1.25")]

    def test_statements_are_written_in_duckdbs_dialect(self, engine: Engine) -> None:
        result = engine.fetch_arrow(
            "SELECT 7 // 2 AS half, DATE_DIFF('day', DATE '2024-02-28', DATE '2024-03-01') AS d"
        )
        assert result.to_pylist() == [{"half": 3, "d": 2}]

    def test_a_table_is_materialised_a_view_is_not(self, engine: Engine) -> None:
        engine.register_arrow("source", SAMPLE)
        engine.create_table("stored", "SELECT COUNT(*) AS n FROM source")
        engine.create_view("live", "SELECT COUNT(*) AS n FROM source")
        engine.register_arrow("source", SAMPLE.slice(0, 1))
        assert engine.fetch_arrow("SELECT n FROM stored").to_pylist() == [{"n": 2}]
        assert engine.fetch_arrow("SELECT n FROM live").to_pylist() == [{"n": 1}]
        engine.drop_table("stored")
        engine.drop_table("stored")  # no error the second time
        engine.execute("DROP VIEW IF EXISTS live")

    def test_write_parquet_writes_a_part_folder_once(self, engine: Engine, tmp_path: Path) -> None:
        engine.register_arrow("sample", SAMPLE)
        target = tmp_path / engine.name / "out"
        engine.write_parquet("SELECT * FROM sample", target)
        parts = sorted(target.glob("part-*.parquet"))
        assert parts
        written = normalise_arrow(pq.read_table(parts)).sort_by("customer_number")
        assert written.column("amount").to_pylist() == [Decimal("2.50"), Decimal("1.25")]
        with pytest.raises(FileExistsError):
            engine.write_parquet("SELECT * FROM sample", target)

    def test_names_must_be_plain_identifiers(self, engine: Engine) -> None:
        with pytest.raises(ValueError, match="identifier"):
            engine.create_table("x; DROP TABLE customers", "SELECT 1")
        with pytest.raises(ValueError, match="identifier"):
            engine.register_arrow("a b", SAMPLE)

    def test_a_missing_lake_table_is_a_clear_error(self, engine: Engine, tmp_path: Path) -> None:
        lake = tmp_path / "lake"
        fx.build_feature_lake().write(lake)
        shutil.rmtree(lake / "visits")
        engine.lake_path = lake
        with pytest.raises(LakeMissingError, match="visits"):
            engine.register_lake()


class TestOpenEngine:
    def test_settings_configure_duckdb(self, feature_lake: Path) -> None:
        settings = Settings(duckdb_memory_limit="300MB", duckdb_threads=1)
        with open_engine("duckdb", lake_path=feature_lake, settings=settings) as engine:
            assert engine.name == "duckdb"
            found = engine.fetch_arrow(
                "SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t"
            ).to_pylist()[0]
        assert found["t"] == 1
        assert found["m"].replace(" ", "").startswith(("286", "300"))

    def test_an_unknown_engine_is_refused(self, feature_lake: Path) -> None:
        with pytest.raises(ValueError, match="unknown analysis engine"):
            open_engine("sqlite", lake_path=feature_lake)  # type: ignore[arg-type]

    def test_identifier_check(self) -> None:
        assert check_identifier("customer_features") == "customer_features"
        for bad in ("", "1x", "a-b", "x'--", "a" * 64):
            with pytest.raises(ValueError):
                check_identifier(bad)

    @pytest.mark.spark
    def test_spark_transpiles_and_closes_only_its_views(
        self, feature_lake: Path, spark_session: Any
    ) -> None:
        from smartbranch.analysis.engines.spark_engine import SparkEngine

        with SparkEngine(feature_lake, session=spark_session) as engine:
            assert "DIV" in engine.dialect_sql("SELECT 7 // 2")
            engine.register_arrow("mine", SAMPLE)
        assert not spark_session.catalog.tableExists("mine")
        assert spark_session.sql("SELECT 1 AS one").collect()[0].one == 1  # still running
