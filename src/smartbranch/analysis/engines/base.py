"""What every analysis engine offers, and the pieces the adapters share.

A statement is written once, in DuckDB's SQL dialect; an engine that speaks another dialect
(Spark) transpiles it with SQLGlot before running it (``docs/adr/0009``). Results come back
as Arrow tables with the same types whichever engine produced them.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Protocol, Self, runtime_checkable

import pyarrow as pa

from smartbranch.lake.layout import ALL_TABLES, ColumnKind, LakeTable

EngineKind = Literal["duckdb", "spark"]
SOURCE_DIALECT = "duckdb"
"""The dialect every statement handed to an engine is written in."""

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

# The SQL type (DuckDB dialect) each lake column kind is read as: the lake's normalised
# Arrow types (``layout.arrow_type``), so that both engines see the same types whatever
# width a file stored (``risk_tolerance`` is int16 in the generator's files).
SQL_TYPES: dict[ColumnKind, str] = {
    ColumnKind.TEXT: "VARCHAR",
    ColumnKind.INTEGER: "BIGINT",
    ColumnKind.DATE: "DATE",
    ColumnKind.MONEY: "DECIMAL(18, 2)",
}


def check_identifier(name: str) -> str:
    """``name`` if it is a plain SQL identifier (letters, digits, ``_``); ``ValueError``
    otherwise. Table names are put into statements, so only safe ones are accepted."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def lake_select_list(table: LakeTable) -> str:
    """The contract's columns of ``table`` cast to their normalised types (DuckDB SQL)."""
    return ", ".join(
        f"CAST({column.name} AS {SQL_TYPES[column.kind]}) AS {column.name}"
        for column in table.columns
    )


def normalise_arrow(table: pa.Table) -> pa.Table:
    """``table`` with engine-specific representation differences removed: every integer is
    ``int64``, every string ``string`` (not large or view strings), every field nullable.
    Values are untouched (widening never loses a value)."""
    fields = []
    for field in table.schema:
        kind: Any = field.type
        if pa.types.is_integer(kind):
            kind = pa.int64()
        elif pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            kind = pa.string()
        fields.append(pa.field(field.name, kind, nullable=True))
    schema = pa.schema(fields)
    if schema.types == table.schema.types:
        return pa.Table.from_arrays(table.columns, schema=schema)
    return table.cast(schema)


def lake_tables() -> tuple[LakeTable, ...]:
    """The lake tables ``register_lake`` exposes as views (``docs/lake.md``)."""
    return ALL_TABLES


@runtime_checkable
class Engine(Protocol):
    """A SQL engine the nightly analysis runs on.

    Every ``sql`` argument is written in DuckDB's dialect; names are plain identifiers.
    Tables and views live as long as the engine (a DuckDB in-memory database, or the Spark
    session's temporary views); nothing is written to the lake except by ``write_parquet``.
    """

    name: EngineKind
    lake_path: Path

    def register_lake(self) -> tuple[str, ...]:
        """Create one view per lake table (named as the table, e.g. ``holdings``) over its
        Parquet file or part folder, with the contract's columns cast to their normalised
        types; returns the names. Raises ``LakeMissingError`` / ``LakeSchemaError`` when
        a table is absent or lacks a column."""
        ...

    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Make the Arrow ``table`` queryable as ``name`` (replacing an earlier one)."""
        ...

    def execute(self, sql: str) -> None:
        """Run one statement for its effect (DDL such as ``DROP VIEW``); results are
        discarded."""
        ...

    def create_table(self, name: str, select_sql: str) -> None:
        """Materialise the result of ``select_sql`` as ``name`` (replacing an earlier one):
        later statements read the stored rows, not the query again."""
        ...

    def create_view(self, name: str, select_sql: str) -> None:
        """Name ``select_sql`` as the view ``name`` (replacing an earlier one); it is
        evaluated each time it is read."""
        ...

    def drop_table(self, name: str) -> None:
        """Forget the table or view ``name`` (no error when there is none)."""
        ...

    def fetch_arrow(self, select_sql: str) -> pa.Table:
        """The result of ``select_sql`` as an Arrow table, normalised by
        :func:`normalise_arrow`. Row order is the statement's ``ORDER BY`` (none: any)."""
        ...

    def write_parquet(self, select_sql: str, path: Path) -> None:
        """Write the result of ``select_sql`` as a folder ``path`` of ``part-*.parquet``
        files (DuckDB writes one, Spark one per partition) — the lake's folder-table layout.
        ``path`` must not exist yet or be an empty folder (results are never overwritten)."""
        ...

    def dialect_sql(self, sql: str) -> str:
        """``sql`` as this engine runs it (transpiled for Spark, unchanged for DuckDB)."""
        ...

    def close(self) -> None:
        """Release the engine's resources (idempotent)."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class EngineBase:
    """Context-manager plumbing and argument checks shared by the adapters."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:  # pragma: no cover - every adapter overrides it
        raise NotImplementedError


def check_output_folder(path: Path) -> None:
    """``FileExistsError`` unless ``path`` is free for a result folder (absent or empty)."""
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise FileExistsError(f"{path} already exists; analysis results are never overwritten")
