"""The scale-out engine: Apache Spark (``pyspark``), ``local[*]`` here, a cluster in
production. Statements arrive in DuckDB's dialect and are transpiled by SQLGlot."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import sqlglot

from smartbranch.analysis.engines.base import (
    SOURCE_DIALECT,
    EngineBase,
    EngineKind,
    check_identifier,
    check_output_folder,
    lake_select_list,
    lake_tables,
    normalise_arrow,
)
from smartbranch.lake.reading import LakeSource

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

DEFAULT_MASTER = "local[*]"
DEFAULT_DRIVER_MEMORY = "2g"
LOG_CONFIG = Path(__file__).with_name("log4j2.properties")


def to_spark_sql(sql: str) -> str:
    """``sql`` (DuckDB dialect) in Spark SQL; one statement."""
    statements = sqlglot.transpile(sql, read=SOURCE_DIALECT, write="spark")
    if len(statements) != 1:
        raise ValueError(f"expected one SQL statement, got {len(statements)}")
    return statements[0]


def start_spark_session(
    master: str = DEFAULT_MASTER,
    *,
    app_name: str = "smartbranch-analysis",
    driver_memory: str = DEFAULT_DRIVER_MEMORY,
    shuffle_partitions: int | None = None,
) -> SparkSession:
    """A Spark session for the analysis: no web UI, quiet logs, UTC, ANSI SQL.

    ``master`` is ``local[*]``, ``local[N]``, a cluster URL (``spark://…``, ``yarn``) or a
    Spark Connect URL (``sc://…``). Getting a session when one is already running in this
    process returns that one (Spark allows one per JVM).
    """
    from pyspark.sql import SparkSession

    # py4j logs every connection it closes, at exit too (onto closed streams).
    logging.getLogger("py4j").setLevel(logging.ERROR)
    builder: Any = SparkSession.builder.appName(app_name)
    builder = builder.remote(master) if master.startswith("sc://") else builder.master(master)
    options = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.ansi.enabled": "true",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.useLargeVarTypes": "false",
        "spark.driver.memory": driver_memory,
        # The run fetches whole tables (a million customers' features) into Python.
        "spark.driver.maxResultSize": "0" if master.startswith("local") else "4g",
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG_CONFIG.as_uri()}",
    }
    if shuffle_partitions is None and master.startswith("local"):
        # The default (200) is sized for clusters; a few per core suit one machine.
        shuffle_partitions = 8
    if shuffle_partitions is not None:
        options["spark.sql.shuffle.partitions"] = str(shuffle_partitions)
    for key, value in options.items():
        builder = builder.config(key, value)
    session: SparkSession = builder.getOrCreate()
    if not master.startswith("sc://"):
        session.sparkContext.setLogLevel("ERROR")
    return session


class SparkEngine(EngineBase):
    """Spark SQL over the lake. Tables are cached temporary views of the session.

    Pass ``session`` to share a running session (tests share one: start-up takes seconds);
    the engine then leaves it running on ``close`` and only drops its own views.
    """

    name: EngineKind = "spark"

    def __init__(
        self,
        lake_path: Path,
        *,
        master: str = DEFAULT_MASTER,
        driver_memory: str = DEFAULT_DRIVER_MEMORY,
        session: SparkSession | None = None,
    ) -> None:
        self.lake_path = lake_path
        self._owns_session = session is None
        self._session: SparkSession | None = session or start_spark_session(
            master, driver_memory=driver_memory
        )
        self._views: dict[str, DataFrame | None] = {}
        """This engine's views, with the cached rows of materialised ones."""

    @property
    def session(self) -> SparkSession:
        """The Spark session (``RuntimeError`` after ``close``)."""
        if self._session is None:
            raise RuntimeError("the Spark engine is closed")
        return self._session

    def _register(self, name: str, frame: DataFrame) -> None:
        self.drop_table(name)
        frame.createOrReplaceTempView(name)
        self._views[name] = frame

    def register_lake(self) -> tuple[str, ...]:
        """Create one temporary view per lake table over its Parquet files."""
        names = []
        for table in lake_tables():
            source = LakeSource.open(self.lake_path, table)
            raw = self.session.read.parquet(*(str(path) for path in source.files))
            raw_name = f"_lake_{table.name}"
            raw.createOrReplaceTempView(raw_name)
            typed = self.session.sql(
                to_spark_sql(f"SELECT {lake_select_list(table)} FROM {raw_name}")  # noqa: S608
            )
            self._register(table.name, typed)
            names.append(table.name)
        return tuple(names)

    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Make ``table`` queryable as ``name`` (copied into the session, cached)."""
        check_identifier(name)
        frame = self.session.createDataFrame(table).cache()
        self._register(name, frame)

    def execute(self, sql: str) -> None:
        """Run one statement for its effect (Spark runs DDL eagerly)."""
        self.session.sql(to_spark_sql(sql)).collect()

    def create_table(self, name: str, select_sql: str) -> None:
        """Compute ``select_sql`` once, keep its rows in the session's cache (memory, then
        disk) and expose them as the temporary view ``name``."""
        check_identifier(name)
        frame = self.session.sql(to_spark_sql(select_sql)).cache()
        frame.count()  # materialise now, so later statements read the cached rows
        self._register(name, frame)

    def create_view(self, name: str, select_sql: str) -> None:
        """Name the query ``select_sql`` as the temporary view ``name``; as in DuckDB, the
        view is resolved when read (a view made from a DataFrame would pin the plan)."""
        check_identifier(name)
        self.drop_table(name)
        self.session.sql(f"CREATE TEMPORARY VIEW {name} AS {to_spark_sql(select_sql)}")
        self._views[name] = None

    def drop_table(self, name: str) -> None:
        """Forget the view ``name`` and free its cached rows."""
        check_identifier(name)
        frame = self._views.pop(name, None)
        if frame is not None:
            frame.unpersist()
        self.session.catalog.dropTempView(name)

    def fetch_arrow(self, select_sql: str) -> pa.Table:
        """The result as a normalised Arrow table (``DataFrame.toArrow``)."""
        return normalise_arrow(self.session.sql(to_spark_sql(select_sql)).toArrow())

    def write_parquet(self, select_sql: str, path: Path) -> None:
        """Write the result as a folder of Spark's ``part-*.parquet`` files."""
        check_output_folder(path)
        frame = self.session.sql(to_spark_sql(select_sql))
        frame.write.mode("overwrite").option("compression", "zstd").parquet(str(path))

    def dialect_sql(self, sql: str) -> str:
        """``sql`` transpiled to Spark SQL."""
        return to_spark_sql(sql)

    def close(self) -> None:
        """Drop this engine's views; stop the session if the engine started it."""
        if self._session is None:
            return
        for name in list(self._views):
            self.drop_table(name)
        for table in lake_tables():
            self._session.catalog.dropTempView(f"_lake_{table.name}")
        if self._owns_session:
            self._session.stop()
        self._session = None
