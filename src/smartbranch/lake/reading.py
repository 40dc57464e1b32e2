"""Reading the lake: checking its tables against the contract and streaming their rows.

Nothing here touches the database. :class:`LakeSource` checks a table's files and columns
from the Parquet metadata alone and then yields record batches cast to the contract's
types; :func:`read_org_tree` places the (small) org unit table in its tree;
:func:`prefetched` reads ahead in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

from smartbranch.i18n import N_
from smartbranch.lake import layout
from smartbranch.lake.errors import LakeIntegrityError, LakeMissingError, LakeSchemaError
from smartbranch.lake.layout import ColumnKind, LakeColumn, LakeTable
from smartbranch.orgs.service import child_path

T = TypeVar("T")

# Derived columns added to the org units (computed in Python: the tree is small and a
# materialised path is easiest to get right with ``child_path`` itself).
ORG_PATH = LakeColumn("path", ColumnKind.TEXT)
ORG_DEPTH = LakeColumn("depth", ColumnKind.INTEGER)


def kind_matches(kind: ColumnKind, arrow: Any) -> bool:
    """Whether an Arrow type can stand for a column of ``kind`` (widths may differ)."""
    types = pa.types
    if kind is ColumnKind.TEXT:
        return bool(types.is_string(arrow) or types.is_large_string(arrow))
    if kind is ColumnKind.INTEGER:
        return bool(types.is_integer(arrow))
    if kind is ColumnKind.DATE:
        return bool(types.is_date(arrow))
    # Money must be a decimal: an integer could be yuan or fen, a float is inexact.
    return bool(types.is_decimal(arrow))


@dataclass(frozen=True)
class LakeSource:
    """A lake table whose files exist and carry every column of the contract."""

    table: LakeTable
    files: tuple[Path, ...]
    total_rows: int

    @classmethod
    def open(cls, lake: Path, table: LakeTable) -> LakeSource:
        """Check ``table``'s files under ``lake`` (metadata only, no rows read)."""
        if not lake.is_dir():
            raise LakeMissingError(N_("No lake found at {path}."), path=str(lake))
        files = table.files(lake)
        if not files:
            raise LakeMissingError(path=str(lake), table=table.name, location=table.location)
        total = 0
        for path in files:
            try:
                parquet = pq.ParquetFile(path)
            except (pa.ArrowException, OSError) as error:
                raise LakeSchemaError(
                    N_("The lake file {file} of table {table} cannot be read: {reason}"),
                    table=table.name,
                    file=path.name,
                    reason=str(error).splitlines()[0],
                ) from error
            schema = parquet.schema_arrow
            missing = [name for name in table.column_names if name not in schema.names]
            if missing:
                raise LakeSchemaError(table=table.name, file=path.name, columns=", ".join(missing))
            for column in table.columns:
                found = schema.field(column.name).type
                if not kind_matches(column.kind, found):
                    raise LakeSchemaError(
                        N_(
                            "The column {column} of lake table {table} ({file}) is {found}, "
                            "expected {expected}."
                        ),
                        table=table.name,
                        file=path.name,
                        column=column.name,
                        found=str(found),
                        expected=str(layout.arrow_type(column.kind)),
                    )
            total += parquet.metadata.num_rows
        return cls(table=table, files=tuple(files), total_rows=total)

    def batches(self, columns: Sequence[LakeColumn], batch_rows: int) -> Iterator[Any]:
        """The table's rows in record batches of ``columns``, cast to the contract's types."""
        names = [column.name for column in columns]
        schema = pa.schema(
            [pa.field(c.name, layout.arrow_type(c.kind), nullable=True) for c in columns]
        )
        for path in self.files:
            parquet = pq.ParquetFile(path)
            for batch in parquet.iter_batches(batch_size=batch_rows, columns=names):
                yield conform(self.table, path, batch.select(names), schema)


def conform(table: LakeTable, path: Path, batch: Any, schema: Any) -> Any:
    """``batch`` cast to ``schema`` (untouched when the lake already has the contract's types)."""
    if batch.schema.types == schema.types:
        # Same types, perhaps other nullability or metadata: relabel without copying.
        return pa.RecordBatch.from_arrays(batch.columns, schema=schema)
    try:
        return batch.cast(schema, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise LakeSchemaError(
            N_("The lake table {table} ({file}) has values that do not fit its columns: {reason}"),
            table=table.name,
            file=path.name,
            reason=str(error).splitlines()[0],
        ) from error


@dataclass(frozen=True)
class OrgTree:
    """The org units of the lake with their materialised paths and depths."""

    rows: Any
    """An Arrow table: the lake's columns plus ``path`` and ``depth``."""
    depths: int


def read_org_tree(source: LakeSource) -> OrgTree:
    """Read the (small) org unit table whole and place every unit in the tree."""
    columns = source.table.columns
    orgs = pa.Table.from_batches(list(source.batches(columns, 10_000)), _schema_of(columns))
    codes: list[str] = orgs.column("code").to_pylist()
    parents: list[str | None] = orgs.column("parent_code").to_pylist()
    parent_of = dict(zip(codes, parents, strict=True))
    table = source.table.name
    if len(parent_of) != len(codes):
        duplicate = next(code for code in codes if codes.count(code) > 1)
        raise LakeIntegrityError(table=table, problem=f"code {duplicate} appears twice")
    paths: dict[str, str] = {}
    depths: dict[str, int] = {}

    def place(code: str) -> None:
        # Walk up to a placed ancestor (or a root), then fill the paths back down.
        chain = [code]
        while (parent := parent_of[chain[-1]]) is not None and parent not in paths:
            if parent not in parent_of:
                raise LakeIntegrityError(
                    table=table, problem=f"parent {parent} of {chain[-1]} is not in the lake"
                )
            if parent in chain:
                raise LakeIntegrityError(table=table, problem=f"{parent} is its own ancestor")
            chain.append(parent)
        for unit in reversed(chain):
            parent = parent_of[unit]
            paths[unit] = child_path(paths[parent] if parent else None, unit)
            depths[unit] = depths[parent] + 1 if parent else 0

    for code in codes:
        if code not in paths:
            place(code)
    rows = orgs.append_column(
        pa.field(ORG_PATH.name, pa.string()), pa.array([paths[c] for c in codes], pa.string())
    ).append_column(
        pa.field(ORG_DEPTH.name, pa.int64()), pa.array([depths[c] for c in codes], pa.int64())
    )
    return OrgTree(rows=rows, depths=max(depths.values(), default=-1) + 1)


def _schema_of(columns: Sequence[LakeColumn]) -> Any:
    return pa.schema([pa.field(c.name, layout.arrow_type(c.kind)) for c in columns])


async def prefetched(items: Iterator[T]) -> AsyncIterator[T]:
    """``items``, each produced in a worker thread while the caller handles the previous one
    (Parquet decoding and CSV encoding release the GIL, so they overlap with the copy)."""
    done = object()
    pending = asyncio.ensure_future(asyncio.to_thread(next, items, done))
    try:
        while (item := await pending) is not done:
            pending = asyncio.ensure_future(asyncio.to_thread(next, items, done))
            yield item  # type: ignore[misc]
    finally:
        # Stopped early (the caller failed): drop the batch in flight, and collect its
        # outcome so that no exception goes unretrieved.
        pending.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await pending
