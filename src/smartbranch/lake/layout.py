"""Where each table lives in the lake and which columns it has: ``docs/lake.md`` in code.

The one place that names the lake's files, folders and columns. Readers (``smartbranch
load``, the nightly analysis) import these names instead of repeating strings; change them
only together with ``docs/lake.md``.

Large tables are folders of part files (``part-00000.parquet``, …), small ones single files.
Each column has a :class:`ColumnKind`; :func:`arrow_type` gives the Arrow type a reader
normalises it to (money is ``decimal128(18, 2)`` CNY, dates are ``date32``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa

MANIFEST_FILE = "_manifest.json"
PART_GLOB = "part-*.parquet"
"""The part files of a folder table, read in name order."""

HOLDING_ACTIVE = "active"
"""``holdings.status`` of a holding the customer still has (the other value is ``closed``)."""


class ColumnKind(StrEnum):
    """What a column holds, independent of its exact Arrow width."""

    TEXT = "text"
    INTEGER = "integer"
    DATE = "date"
    MONEY = "money"


_ARROW_TYPES: dict[ColumnKind, Any] = {
    ColumnKind.TEXT: pa.string(),
    ColumnKind.INTEGER: pa.int64(),
    ColumnKind.DATE: pa.date32(),
    ColumnKind.MONEY: pa.decimal128(18, 2),
}


def arrow_type(kind: ColumnKind) -> Any:
    """The Arrow type a column of ``kind`` is normalised to when read."""
    return _ARROW_TYPES[kind]


@dataclass(frozen=True)
class LakeColumn:
    """One column of a lake table."""

    name: str
    kind: ColumnKind
    nullable: bool = False


@dataclass(frozen=True)
class LakeTable:
    """One table of the lake: a single Parquet file or a folder of part files."""

    name: str
    """Logical name, also the file stem or folder name."""
    columns: tuple[LakeColumn, ...]
    partitioned: bool
    """A folder of ``part-*.parquet`` files rather than one ``<name>.parquet``."""

    @property
    def location(self) -> str:
        """The file or folder name relative to the lake root."""
        return self.name if self.partitioned else f"{self.name}.parquet"

    @property
    def column_names(self) -> tuple[str, ...]:
        """The contract's column names, in the documented order."""
        return tuple(column.name for column in self.columns)

    def column(self, name: str) -> LakeColumn:
        """The column called ``name`` (``KeyError`` if the contract has none)."""
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def path(self, lake: Path) -> Path:
        """Where this table lives under the lake root ``lake``."""
        return lake / self.location

    def files(self, lake: Path) -> list[Path]:
        """The Parquet files holding this table, in read order (empty if absent)."""
        path = self.path(lake)
        if self.partitioned:
            return sorted(path.glob(PART_GLOB)) if path.is_dir() else []
        return [path] if path.is_file() else []

    def arrow_schema(self) -> Any:
        """The normalised Arrow schema of this table."""
        return pa.schema(
            [pa.field(c.name, arrow_type(c.kind), nullable=c.nullable) for c in self.columns]
        )


def _table(
    name: str, partitioned: bool, *columns: tuple[str, ColumnKind] | LakeColumn
) -> LakeTable:
    return LakeTable(
        name=name,
        columns=tuple(c if isinstance(c, LakeColumn) else LakeColumn(*c) for c in columns),
        partitioned=partitioned,
    )


# Short names for the tables below.
_TEXT, _INTEGER, _DATE, _MONEY = (
    ColumnKind.TEXT,
    ColumnKind.INTEGER,
    ColumnKind.DATE,
    ColumnKind.MONEY,
)

ORG_UNITS = _table(
    "org_units",
    False,
    ("code", _TEXT),
    ("name", _TEXT),
    ("name_en", _TEXT),
    ("kind", _TEXT),
    LakeColumn("parent_code", _TEXT, nullable=True),
    ("city", _TEXT),
    ("timezone", _TEXT),
)
STAFF = _table(
    "staff",
    False,
    ("username", _TEXT),
    ("display_name", _TEXT),
    ("role", _TEXT),
    ("org_code", _TEXT),
)
PRODUCTS = _table(
    "products",
    False,
    ("code", _TEXT),
    ("name", _TEXT),
    ("name_en", _TEXT),
    ("category", _TEXT),
    ("risk_level", _INTEGER),
    LakeColumn("term_days", _INTEGER, nullable=True),
)
CUSTOMERS = _table(
    "customers",
    True,
    ("customer_number", _TEXT),
    ("name", _TEXT),
    ("gender", _TEXT),
    ("birth_date", _DATE),
    ("phone", _TEXT),
    ("home_outlet_code", _TEXT),
    ("home_city", _TEXT),
    LakeColumn("account_manager", _TEXT, nullable=True),
    ("risk_tolerance", _INTEGER),
    ("opened_on", _DATE),
)
CREDENTIALS = _table(
    "credentials",
    True,
    ("customer_number", _TEXT),
    ("kind", _TEXT),
    ("lookup_hash", _TEXT),
    ("masked", _TEXT),
    ("status", _TEXT),
    LakeColumn("issued_on", _DATE, nullable=True),
    LakeColumn("card_level", _TEXT, nullable=True),
)
HOLDINGS = _table(
    "holdings",
    True,
    ("holding_id", _INTEGER),
    ("customer_number", _TEXT),
    ("product_code", _TEXT),
    ("category", _TEXT),
    ("balance", _MONEY),
    ("opened_on", _DATE),
    LakeColumn("maturity_on", _DATE, nullable=True),
    ("status", _TEXT),
    LakeColumn("closed_on", _DATE, nullable=True),
)
BALANCES_MONTHLY = _table(
    "balances_monthly",
    True,
    ("customer_number", _TEXT),
    ("month", _DATE),
    ("category", _TEXT),
    ("balance", _MONEY),
)
TRANSACTIONS = _table(
    "transactions",
    True,
    ("customer_number", _TEXT),
    ("booked_on", _DATE),
    ("channel", _TEXT),
    ("kind", _TEXT),
    ("amount", _MONEY),
)
PAYROLL = _table(
    "payroll",
    False,
    ("customer_number", _TEXT),
    ("employer_code", _TEXT),
    ("employer_name", _TEXT),
    ("monthly_amount", _MONEY),
    ("since", _DATE),
)
LOAN_PAYOFFS = _table(
    "loan_payoffs",
    False,
    ("customer_number", _TEXT),
    ("holding_id", _INTEGER),
    ("scheduled_end", _DATE),
    ("paid_off_on", _DATE),
)
VISITS = _table(
    "visits",
    True,
    ("customer_number", _TEXT),
    ("outlet_code", _TEXT),
    ("visited_on", _DATE),
)

MASTER_TABLES: tuple[LakeTable, ...] = (
    ORG_UNITS,
    STAFF,
    PRODUCTS,
    CUSTOMERS,
    CREDENTIALS,
    HOLDINGS,
)
"""What ``smartbranch load`` brings into the serving database, in load order."""

HISTORY_TABLES: tuple[LakeTable, ...] = (
    BALANCES_MONTHLY,
    TRANSACTIONS,
    PAYROLL,
    LOAN_PAYOFFS,
    VISITS,
)
"""Warehouse history that stays in the lake for the nightly analysis."""

ALL_TABLES: tuple[LakeTable, ...] = MASTER_TABLES + HISTORY_TABLES
