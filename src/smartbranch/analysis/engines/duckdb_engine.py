"""The embedded engine: DuckDB in process, over the lake's Parquet files."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlglot import exp

from smartbranch.analysis.engines.base import (
    EngineBase,
    EngineKind,
    check_identifier,
    check_output_folder,
    lake_select_list,
    lake_tables,
    normalise_arrow,
)
from smartbranch.lake.reading import LakeSource

DEFAULT_MEMORY_LIMIT = "2GB"


def _string(value: str) -> str:
    """A SQL string literal (quotes escaped by SQLGlot, never by hand)."""
    return exp.Literal.string(value).sql(dialect="duckdb")


class DuckDBEngine(EngineBase):
    """DuckDB in an in-memory database that spills to a private temporary folder.

    ``memory_limit`` (a DuckDB size such as ``"2GB"``) bounds the engine's memory; beyond
    it, joins and aggregations spill to disk. ``threads`` defaults to every core.
    """

    name: EngineKind = "duckdb"

    def __init__(
        self,
        lake_path: Path,
        *,
        memory_limit: str = DEFAULT_MEMORY_LIMIT,
        threads: int | None = None,
    ) -> None:
        self.lake_path = lake_path
        self._spill = Path(tempfile.mkdtemp(prefix="smartbranch-duckdb-"))
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": memory_limit,
            "temp_directory": str(self._spill),
            "threads": threads or os.cpu_count() or 1,
            # Row order of unordered results is not part of any contract; letting DuckDB
            # drop it saves memory on large aggregations.
            "preserve_insertion_order": False,
        }
        self._arrow: set[str] = set()
        self._connection: duckdb.DuckDBPyConnection | None = duckdb.connect(
            ":memory:", config=config
        )

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The open DuckDB connection (``RuntimeError`` after ``close``)."""
        if self._connection is None:
            raise RuntimeError("the DuckDB engine is closed")
        return self._connection

    def register_lake(self) -> tuple[str, ...]:
        """Create one view per lake table over its Parquet files (see ``Engine``)."""
        names = []
        for table in lake_tables():
            source = LakeSource.open(self.lake_path, table)
            files = "[" + ", ".join(_string(str(path)) for path in source.files) + "]"
            # Names and columns come from the lake contract, paths are quoted literals.
            self.connection.execute(
                f"CREATE OR REPLACE VIEW {table.name} AS "  # noqa: S608
                f"SELECT {lake_select_list(table)} FROM read_parquet({files})"
            )
            names.append(table.name)
        return tuple(names)

    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Make ``table`` queryable as ``name`` (zero-copy: DuckDB scans the Arrow data)."""
        self.drop_table(name)
        self.connection.register(name, table)
        self._arrow.add(name)

    def execute(self, sql: str) -> None:
        """Run one statement for its effect."""
        self.connection.execute(sql)

    def create_table(self, name: str, select_sql: str) -> None:
        """``CREATE OR REPLACE TABLE name AS select_sql``."""
        check_identifier(name)
        self.drop_table(name)
        self.connection.execute(f"CREATE TABLE {name} AS {select_sql}")

    def create_view(self, name: str, select_sql: str) -> None:
        """``CREATE OR REPLACE VIEW name AS select_sql``."""
        check_identifier(name)
        self.drop_table(name)
        self.connection.execute(f"CREATE VIEW {name} AS {select_sql}")

    def drop_table(self, name: str) -> None:
        """Drop the table or view ``name`` if there is one."""
        check_identifier(name)
        if name in self._arrow:
            self._arrow.discard(name)
            self.connection.unregister(name)
            return
        found = self.connection.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()
        if found is None:
            return
        if found[0] == "VIEW":
            self.connection.execute(f"DROP VIEW {name}")
        else:
            self.connection.execute(f"DROP TABLE {name}")

    def fetch_arrow(self, select_sql: str) -> pa.Table:
        """The result as a normalised Arrow table."""
        return normalise_arrow(self.connection.sql(select_sql).to_arrow_table())

    def write_parquet(self, select_sql: str, path: Path) -> None:
        """Write the result as ``path/part-00000.parquet`` (zstd, one file)."""
        check_output_folder(path)
        path.mkdir(parents=True, exist_ok=True)
        target = _string(str(path / "part-00000.parquet"))
        self.connection.execute(
            f"COPY ({select_sql}) TO {target} (FORMAT parquet, COMPRESSION zstd)"
        )

    def dialect_sql(self, sql: str) -> str:
        """DuckDB runs the source dialect as it is."""
        return sql

    def close(self) -> None:
        """Close the database and delete its spill folder."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        shutil.rmtree(self._spill, ignore_errors=True)
