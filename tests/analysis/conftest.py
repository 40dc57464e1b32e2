"""Fixtures of the analysis tests: the crafted lake, a small generated bank, and one Spark
session for the whole run (starting Spark takes seconds)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pytest

from smartbranch.analysis.engines import DuckDBEngine, Engine
from smartbranch.analysis.features import FEATURES_TABLE, SegmentMethod, compute_features
from smartbranch.customers.features import KEY_COLUMN
from smartbranch.simulation.bank import BankSpec, generate_bank
from tests.fixtures.lake import build_feature_lake

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

THRESHOLDS = (Decimal(50_000), Decimal(500_000), Decimal(2_000_000), Decimal(6_000_000))
GENERATED_AS_OF = date(2026, 11, 28)


def java_available() -> bool:
    """Whether a Java runtime for Spark is installed."""
    return shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))


@pytest.fixture(scope="session")
def feature_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_feature_lake().write(tmp_path_factory.mktemp("feature-lake"))


@pytest.fixture(scope="session")
def generated_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("generated")
    spec = BankSpec(customers=1_500, outlets=4, chunk_size=700, test_cards=0, as_of=GENERATED_AS_OF)
    generate_bank(spec, root / "lake", root / "simulation", bytes(range(32)))
    return root / "lake"


@pytest.fixture(scope="session")
def spark_session() -> Iterator[SparkSession]:
    if not java_available():
        pytest.skip("no Java runtime: Spark cannot start")
    from smartbranch.analysis.engines.spark_engine import start_spark_session

    session = start_spark_session("local[2]", app_name="smartbranch-tests", shuffle_partitions=2)
    yield session
    session.stop()


def features_of(engine: Engine, as_of: date, segments: SegmentMethod = "rules") -> pa.Table:
    """The feature table computed on ``engine`` (lake registered here), by customer."""
    engine.register_lake()
    compute_features(engine, as_of=as_of, thresholds=THRESHOLDS, segments=segments)
    return engine.fetch_arrow(f"SELECT * FROM {FEATURES_TABLE} ORDER BY {KEY_COLUMN}")  # noqa: S608


def duckdb_features(lake: Path, as_of: date, segments: SegmentMethod = "rules") -> pa.Table:
    """:func:`features_of` on a fresh DuckDB engine."""
    with DuckDBEngine(lake, memory_limit="1GB", threads=2) as engine:
        return features_of(engine, as_of, segments)
