"""Analysis engines: the same SQL on DuckDB (embedded, default) or Apache Spark (scale-out).

Statements are written once in DuckDB's dialect; the Spark adapter transpiles them with
SQLGlot (``docs/adr/0009-analysis-sql-transpiled-by-sqlglot.md``). Use :func:`open_engine`::

    with open_engine("duckdb", lake_path=settings.resolved_lake_path) as engine:
        engine.register_lake()
        table = engine.fetch_arrow("SELECT count(*) AS n FROM customers")
"""

from __future__ import annotations

from pathlib import Path

from smartbranch.analysis.engines.base import Engine, EngineKind, normalise_arrow
from smartbranch.analysis.engines.duckdb_engine import DuckDBEngine
from smartbranch.settings import Settings, get_settings

ENGINE_KINDS: tuple[EngineKind, ...] = ("duckdb", "spark")

__all__ = [
    "ENGINE_KINDS",
    "DuckDBEngine",
    "Engine",
    "EngineKind",
    "normalise_arrow",
    "open_engine",
]


def open_engine(kind: EngineKind, *, lake_path: Path, settings: Settings | None = None) -> Engine:
    """An engine of ``kind`` over the lake at ``lake_path``, configured from ``settings``
    (DuckDB: ``duckdb_memory_limit``, ``duckdb_threads``; Spark: ``spark_master`` —
    ``SMARTBRANCH_SPARK_MASTER`` — and ``spark_driver_memory``). Use it as a context
    manager, or call ``close()``. Spark is imported only when asked for."""
    settings = settings or get_settings()
    if kind == "duckdb":
        return DuckDBEngine(
            lake_path,
            memory_limit=settings.duckdb_memory_limit,
            threads=settings.duckdb_threads,
        )
    if kind == "spark":
        from smartbranch.analysis.engines.spark_engine import SparkEngine

        return SparkEngine(
            lake_path,
            master=settings.spark_master,
            driver_memory=settings.spark_driver_memory,
        )
    raise ValueError(f"unknown analysis engine {kind!r}; expected one of {ENGINE_KINDS}")
