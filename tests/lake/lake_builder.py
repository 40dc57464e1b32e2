"""A small lake built by hand: a few org units, staff and products, ten customers with
credentials and holdings whose AUM and tier are worked out below, and some monthly balances.

Every natural key starts with ``T`` (staff: ``t.``) so that the loaded rows never meet the
``bank`` fixture's (``HO``, ``BJ001``, ``C0000000001``, ``DEP_CURRENT`` …), and the card and
ID numbers differ from the fixture's too (their hashes are unique in ``credentials``).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from smartbranch.credentials import CredentialHasher, CredentialKind, mask_card, mask_id_number
from smartbranch.lake import layout
from smartbranch.lake.layout import LakeTable
from tests.fixtures.bank import card_number, id_number

Row = dict[str, Any]


def _org(code: str, kind: str, parent: str | None, city: str) -> Row:
    return {
        "code": code,
        "name": f"{city}{code}",
        "name_en": code,
        "kind": kind,
        "parent_code": parent,
        "city": city,
        "timezone": "Asia/Shanghai",
    }


# Children before parents on purpose: the loader must order the tree itself.
ORG_UNITS = [
    _org("TBJ001", "outlet", "TBJ", "北京"),
    _org("TSH001", "outlet", "TSH", "上海"),
    _org("TBJ", "branch", "THO", "北京"),
    _org("TBJ002", "outlet", "TBJ", "北京"),
    _org("TSH", "branch", "THO", "上海"),
    _org("THO", "head_office", None, "北京"),
]
EXPECTED_PATHS = {
    "THO": "/THO/",
    "TBJ": "/THO/TBJ/",
    "TSH": "/THO/TSH/",
    "TBJ001": "/THO/TBJ/TBJ001/",
    "TBJ002": "/THO/TBJ/TBJ002/",
    "TSH001": "/THO/TSH/TSH001/",
}

STAFF = [
    {"username": "t.bj001.am1", "display_name": "张经理", "role": "account_manager",
     "org_code": "TBJ001"},
    {"username": "t.sh001.am1", "display_name": "陈经理", "role": "account_manager",
     "org_code": "TSH001"},
    {"username": "t.bj001.teller1", "display_name": "柜员一", "role": "teller",
     "org_code": "TBJ001"},
    {"username": "t.ho.admin", "display_name": "管理员", "role": "admin", "org_code": "THO"},
]  # fmt: skip

PRODUCTS = [
    {"code": "TDEP_CURRENT", "name": "活期存款", "name_en": "Current account",
     "category": "deposit", "risk_level": 1, "term_days": None},
    {"code": "TDEP_1Y", "name": "一年定期", "name_en": "1-year time deposit",
     "category": "time_deposit", "risk_level": 1, "term_days": 365},
    {"code": "TWM_180", "name": "稳健理财180天", "name_en": "Wealth 180 days",
     "category": "wealth", "risk_level": 2, "term_days": 180},
    # No English name: an empty string, which must not arrive as NULL.
    {"code": "TFUND_EQ", "name": "股票基金", "name_en": "", "category": "fund",
     "risk_level": 4, "term_days": None},
    {"code": "TINS_LIFE", "name": "终身寿险", "name_en": "Whole life", "category": "insurance",
     "risk_level": 2, "term_days": None},
    {"code": "TCC_GOLD", "name": "金卡信用卡", "name_en": "Gold credit card",
     "category": "credit_card", "risk_level": 1, "term_days": None},
    {"code": "TLOAN_MORT", "name": "住房贷款", "name_en": "Mortgage", "category": "loan",
     "risk_level": 1, "term_days": 7300},
]  # fmt: skip
PRODUCT_CATEGORY = {p["code"]: p["category"] for p in PRODUCTS}

# customer number -> (home outlet, account manager, [(product, balance, status)], AUM, tier)
# AUM adds the deposit, time deposit, wealth, fund and insurance balances of active holdings
# only; credit cards and loans are amounts owed. Default bounds: 50k gold, 500k platinum,
# 2M diamond, 6M private.
PORTFOLIOS: dict[str, tuple[str, str | None, list[tuple[str, str, str]], str, str]] = {
    # Exactly on the gold bound, from two amounts whose float sum is not exact.
    "T0000000001": ("TBJ001", "t.bj001.am1",
                    [("TDEP_CURRENT", "30000.10", "active"), ("TDEP_1Y", "19999.90", "active")],
                    "50000.00", "gold"),
    # One fen below platinum; the credit card debt does not count.
    "T0000000002": ("TBJ001", "t.bj001.am1",
                    [("TWM_180", "499999.99", "active"), ("TCC_GOLD", "100000.00", "active")],
                    "499999.99", "gold"),
    "T0000000003": ("TBJ002", None,
                    [("TFUND_EQ", "300000.00", "active"), ("TINS_LIFE", "200000.00", "active")],
                    "500000.00", "platinum"),
    "T0000000004": ("TBJ002", None, [("TDEP_CURRENT", "1999999.99", "active")],
                    "1999999.99", "platinum"),
    "T0000000005": ("TSH001", "t.sh001.am1",
                    [("TDEP_CURRENT", "0.10", "active"), ("TDEP_CURRENT", "0.20", "active"),
                     ("TWM_180", "2000000.00", "active")],
                    "2000000.30", "diamond"),
    # The mortgage is owed, not owned.
    "T0000000006": ("TSH001", "t.sh001.am1",
                    [("TDEP_1Y", "6000000.00", "active"), ("TLOAN_MORT", "500000.00", "active")],
                    "6000000.00", "private"),
    # No holdings at all.
    "T0000000007": ("TBJ001", None, [], "0.00", "standard"),
    # Only debts.
    "T0000000008": ("TBJ001", "t.bj001.am1",
                    [("TLOAN_MORT", "200000.00", "active"), ("TCC_GOLD", "5000.00", "active")],
                    "0.00", "standard"),
    # A closed wealth product counts for nothing (and is not loaded).
    "T0000000009": ("TSH001", None,
                    [("TDEP_CURRENT", "10000.00", "active"), ("TWM_180", "1000000.00", "closed")],
                    "10000.00", "standard"),
    # All five asset categories.
    "T0000000010": ("TBJ002", None,
                    [("TDEP_CURRENT", "1000.01", "active"), ("TDEP_1Y", "2000.02", "active"),
                     ("TWM_180", "3000.03", "active"), ("TFUND_EQ", "4000.04", "active"),
                     ("TINS_LIFE", "40000.00", "active")],
                    "50000.10", "gold"),
}  # fmt: skip

FIRST_HOLDING_ID = 910_001


@dataclass
class FixtureLake:
    """The rows of each lake table, as plain dicts; edit them, then :meth:`write`."""

    tables: dict[str, list[Row]] = field(default_factory=dict)
    clear_numbers: dict[str, str] = field(default_factory=dict)
    """lookup hash -> clear number, for the test's eyes only (never written to the lake)."""

    def rows(self, table: LakeTable) -> list[Row]:
        """The rows of ``table`` (mutable)."""
        return self.tables[table.name]

    def copy(self) -> FixtureLake:
        """An independent copy to change."""
        return copy.deepcopy(self)

    def write(self, root: Path, *, drop: dict[str, str] | None = None) -> Path:
        """Write the lake under ``root`` (created); ``drop`` maps a table to a column to leave
        out, to make a lake that breaks the contract."""
        root.mkdir(parents=True, exist_ok=True)
        for table in layout.ALL_TABLES:
            rows = self.tables.get(table.name)
            if rows is None:
                continue
            data = pa.Table.from_pylist(rows, schema=_written_schema(table))
            if drop and table.name in drop:
                data = data.drop_columns([drop[table.name]])
            if table.partitioned:
                folder = table.path(root)
                folder.mkdir(exist_ok=True)
                # Two part files (the second possibly empty) exercise the part-file walk.
                half = (data.num_rows + 1) // 2
                pq.write_table(data.slice(0, half), folder / "part-00000.parquet")
                pq.write_table(data.slice(half), folder / "part-00001.parquet")
            else:
                pq.write_table(data, table.path(root))
        (root / layout.MANIFEST_FILE).write_text('{"schema_version": 1}')
        return root


def _written_schema(table: LakeTable) -> Any:
    # As the generator writes it: small integers narrower than the loader's int64.
    schema = table.arrow_schema()
    for name in ("risk_level", "risk_tolerance"):
        if name in schema.names:
            index = schema.get_field_index(name)
            schema = schema.set(index, schema.field(index).with_type(pa.int16()))
    return schema


def build_lake(hasher: CredentialHasher) -> FixtureLake:
    """The fixture lake (see the module docstring)."""
    lake = FixtureLake()
    lake.tables[layout.ORG_UNITS.name] = [dict(org) for org in ORG_UNITS]
    lake.tables[layout.STAFF.name] = [dict(staff) for staff in STAFF]
    lake.tables[layout.PRODUCTS.name] = [dict(product) for product in PRODUCTS]
    customers: list[Row] = []
    credentials: list[Row] = []
    holdings: list[Row] = []
    balances: list[Row] = []
    holding_id = FIRST_HOLDING_ID
    for index, (number, (outlet, manager, positions, _aum, _tier)) in enumerate(
        PORTFOLIOS.items(), start=1
    ):
        gender = "M" if index % 2 else "F"
        birth = date(1960 + index, index, 10 + index)
        customers.append(
            {
                "customer_number": number,
                "name": f"测试{index}",
                "gender": gender,
                "birth_date": birth,
                "phone": f"1390000{index:04d}",
                "home_outlet_code": outlet,
                "home_city": "北京" if outlet.startswith("TBJ") else "上海",
                "account_manager": manager,
                "risk_tolerance": 1 + index % 5,
                "opened_on": date(2010, 1, index),
            }
        )
        debit = card_number(700_000 + index)
        id_card = id_number(100 + 2 * index + (1 if gender == "M" else 0), birth, "310101")
        owned = [
            (CredentialKind.DEBIT_CARD, debit, mask_card(debit), date(2015, 3, index)),
            (CredentialKind.ID_CARD, id_card, mask_id_number(id_card), None),
        ]
        if index % 3 == 0:
            credit = card_number(800_000 + index, prefix="525998", length=16)
            owned.append((CredentialKind.CREDIT_CARD, credit, mask_card(credit), date(2019, 6, 1)))
        if index % 4 == 0:
            passbook = card_number(600_000 + index, prefix="6000", length=17)
            owned.append((CredentialKind.PASSBOOK, passbook, mask_card(passbook), None))
        for kind, clear, masked, issued in owned:
            lookup = hasher.lookup_hash(kind, clear)
            lake.clear_numbers[lookup] = clear
            credentials.append(
                {
                    "customer_number": number,
                    "kind": kind.value,
                    "lookup_hash": lookup,
                    "masked": masked,
                    "status": "active",
                    "issued_on": issued,
                    "card_level": "gold" if kind is CredentialKind.CREDIT_CARD else None,
                }
            )
        for product, balance, status in positions:
            category = PRODUCT_CATEGORY[product]
            holdings.append(
                {
                    "holding_id": holding_id,
                    "customer_number": number,
                    "product_code": product,
                    "category": category,
                    "balance": Decimal(balance),
                    "opened_on": date(2020, 1, 1 + holding_id % 28),
                    "maturity_on": date(2026, 1, 1) if category == "time_deposit" else None,
                    "status": status,
                    "closed_on": date(2024, 6, 30) if status == "closed" else None,
                }
            )
            holding_id += 1
            for month in (date(2024, 4, 1), date(2024, 5, 1)):
                balances.append(
                    {
                        "customer_number": number,
                        "month": month,
                        "category": category,
                        "balance": Decimal(balance),
                    }
                )
    lake.tables[layout.CUSTOMERS.name] = customers
    lake.tables[layout.CREDENTIALS.name] = credentials
    lake.tables[layout.HOLDINGS.name] = holdings
    lake.tables[layout.BALANCES_MONTHLY.name] = balances
    return lake
