"""Appending a simulated day's facts to the lake, the way a warehouse delivers a day.

A day's rows of a folder table go into one new part file, ``part-sim-<yyyymmdd>.parquet``,
with exactly the table's schema (``simulation.schema``), so the lake readers and the
analysis engines treat it like any other part. Existing files are never rewritten. A part is
first written under a hidden temporary name in the same folder and renamed into place by
:meth:`StagedPart.commit`: readers never see half a file, and the rename happens only once
the day's outcomes are committed in the serving database.

Also here: the small reads of the lake the simulator needs (active holdings, visit counts,
the highest holding id), done with pyarrow alone.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from smartbranch.lake import layout
from smartbranch.lake.layout import LakeTable
from smartbranch.simulation.bank import _PARQUET_OPTIONS
from smartbranch.simulation.schema import LAKE_TABLES

SIM_PART_PREFIX = "part-sim-"


def sim_part_name(day: datetime.date) -> str:
    """The part file a simulated ``day`` adds to a folder table."""
    return f"{SIM_PART_PREFIX}{day:%Y%m%d}.parquet"


def sim_part_path(lake: Path, table: LakeTable, day: datetime.date) -> Path:
    """Where ``table``'s part of the simulated ``day`` lives."""
    if not table.partitioned:
        raise ValueError(f"{table.name} is a single file; days are appended to folder tables")
    return table.path(lake) / sim_part_name(day)


def sim_days(lake: Path, table: LakeTable) -> list[datetime.date]:
    """The simulated days whose part of ``table`` is in the lake, in order."""
    folder = table.path(lake)
    days = []
    for path in sorted(folder.glob(f"{SIM_PART_PREFIX}*.parquet")):
        stem = path.name.removeprefix(SIM_PART_PREFIX).removesuffix(".parquet")
        with contextlib.suppress(ValueError):
            days.append(datetime.datetime.strptime(stem, "%Y%m%d").date())
    return days


class DayAlreadyInLakeError(RuntimeError):
    """A simulated day's part file exists already (parts are never rewritten)."""


@dataclass
class StagedPart:
    """A part file written under a temporary name, waiting to be renamed into place."""

    staged: Path
    target: Path

    def commit(self) -> None:
        """Move the part into place (one rename); refuse to replace an existing part."""
        if self.target.exists():
            self.discard()
            raise DayAlreadyInLakeError(str(self.target))
        os.replace(self.staged, self.target)

    def discard(self) -> None:
        """Forget the staged file (no error if it is gone)."""
        self.staged.unlink(missing_ok=True)


def stage_part(lake: Path, table: LakeTable, day: datetime.date, rows: pa.Table) -> StagedPart:
    """Write ``rows`` as ``table``'s part of ``day`` under a temporary name.

    ``rows`` must carry exactly the generator's schema of the table (names, types and
    nullability), so that the appended part is indistinguishable from a generated one.
    """
    schema, _partitioned = LAKE_TABLES[table.name]
    if not rows.schema.equals(schema):
        raise ValueError(f"rows for {table.name} do not have the lake's schema")
    target = sim_part_path(lake, table, day)
    if target.exists():
        raise DayAlreadyInLakeError(str(target))
    # A dot name does not match ``part-*.parquet``: readers ignore it until the rename.
    staged = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(rows, staged, **_PARQUET_OPTIONS)
    return StagedPart(staged=staged, target=target)


def _read_column_files(
    lake: Path, table: LakeTable, columns: list[str], filters: object = None
) -> pa.Table:
    files = table.files(lake)
    if not files:
        schema = table.arrow_schema()
        return pa.schema([schema.field(name) for name in columns]).empty_table()
    parts = [pq.read_table(path, columns=columns, filters=filters) for path in files]
    return pa.concat_tables(parts, promote_options="permissive")


def max_holding_id(lake: Path) -> int:
    """The highest ``holding_id`` in the lake (0 when there are no holdings)."""
    ids = _read_column_files(lake, layout.HOLDINGS, ["holding_id"]).column("holding_id")
    top = pc.max(ids).as_py() if len(ids) else None
    return int(top or 0)


def active_holdings(lake: Path) -> pa.Table:
    """Every active holding: ``customer_number``, ``product_code``, ``category``,
    ``balance`` (decimal CNY)."""
    table = _read_column_files(
        lake,
        layout.HOLDINGS,
        ["customer_number", "product_code", "category", "balance", "status"],
        filters=[("status", "=", layout.HOLDING_ACTIVE)],
    )
    return table.drop_columns(["status"])


def visit_counts(
    lake: Path, customers: pa.Array, since: datetime.date, until: datetime.date
) -> np.ndarray:
    """Per customer of ``customers`` (in that order), the branch visits in the lake dated
    in ``[since, until]``."""
    visits = _read_column_files(
        lake,
        layout.VISITS,
        ["customer_number", "visited_on"],
        filters=[("visited_on", ">=", since), ("visited_on", "<=", until)],
    )
    counts = np.zeros(len(customers), np.int64)
    if visits.num_rows:
        index = pc.index_in(visits.column("customer_number"), value_set=customers)
        found = index.drop_null().to_numpy()
        np.add.at(counts, found, 1)
    return counts
