"""Bulk-copying Arrow batches into a (staging) table, the fastest way each database offers.

PostgreSQL: ``COPY … FROM STDIN (FORMAT csv)``, the CSV written by pyarrow into an Arrow
buffer that the driver reads without a copy. SQLite: ``executemany`` of plain tuples (dates
and decimals as ISO text, which SQLite's affinities turn into what the ORM would write).
Used by ``smartbranch load`` and by publishing an analysis run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncConnection


def is_postgres(conn: AsyncConnection) -> bool:
    """Whether ``conn`` talks to PostgreSQL (else SQLite)."""
    return conn.dialect.name == "postgresql"


def encode_batch(batch: pa.RecordBatch | pa.Table, *, postgres: bool) -> Any:
    """The bulk-copy payload of ``batch``: CSV bytes for COPY, tuples for executemany."""
    if postgres:
        sink = pa.BufferOutputStream()
        pacsv.write_csv(batch, sink, pacsv.WriteOptions(include_header=False))
        return sink.getvalue()
    columns = []
    for column in batch.columns:
        if pa.types.is_date(column.type) or pa.types.is_decimal(column.type):
            column = pc.cast(column, pa.string())
        columns.append(column.to_pylist())
    return list(zip(*columns, strict=True))


async def copy_payload(
    conn: AsyncConnection, table: Table, names: Sequence[str], payload: Any
) -> None:
    """Write an :func:`encode_batch` payload into ``table`` (columns ``names``), inside the
    transaction already open on ``conn``."""
    if is_postgres(conn):
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        # The SQLAlchemy transaction is open on this connection, so the COPY joins it.
        assert driver.is_in_transaction()
        await driver.copy_to_table(table.name, source=payload, columns=list(names), format="csv")
    else:
        statement = str(table.insert().compile(dialect=conn.dialect))
        await conn.exec_driver_sql(statement, payload)


async def copy_arrow(
    conn: AsyncConnection, table: Table, data: pa.Table, *, batch_rows: int = 100_000
) -> int:
    """Copy every row of ``data`` (its column names are ``table``'s) into ``table``."""
    postgres = is_postgres(conn)
    names = data.column_names
    for batch in data.to_batches(max_chunksize=batch_rows):
        if batch.num_rows:
            await copy_payload(conn, table, names, encode_batch(batch, postgres=postgres))
    return int(data.num_rows)
