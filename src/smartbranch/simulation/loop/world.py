"""The bank as the simulator sees it: customers, hidden propensities, visit rates, holdings;
and the purchases scheduled for later days.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from smartbranch.lake import layout
from smartbranch.orgs.models import OrgKind
from smartbranch.simulation.bank import HIDDEN_BEHAVIOUR
from smartbranch.simulation.common import F64, I64, Bool
from smartbranch.simulation.lakeappend import active_holdings, max_holding_id, visit_counts
from smartbranch.simulation.loop.assumptions import (
    DEFAULT_PROPENSITY,
    MIN_VISITS_PER_YEAR,
    PURCHASE_SHARE,
    VISIT_WINDOW_DAYS,
)
from smartbranch.simulation.schema import OFFER_FAMILIES

# --- the bank as the simulator sees it ----------------------------------------------------


@dataclass
class BankView:
    """Customers, their hidden propensities, visit rates and holdings, indexed alike."""

    numbers: pa.Array
    """Customer numbers, in lake order; every per-customer array follows it."""
    home_outlet: np.ndarray[Any, np.dtype[np.object_]]
    outlets: list[str]
    propensity: F64
    """n × len(OFFER_FAMILIES)."""
    visit_p: F64
    holds: dict[str, Bool]
    """Per product code, whether each customer holds it (active)."""
    aum_fen: I64
    product_category: dict[str, str]
    product_term: dict[str, int | None]
    next_holding_id: int

    @property
    def size(self) -> int:
        """Number of customers."""
        return len(self.numbers)

    def index_of(self, numbers: Sequence[str] | pa.Array) -> I64:
        """Positions of customer numbers (-1 for an unknown one)."""
        found = pc.index_in(pa.array(numbers, pa.string()), value_set=self.numbers)
        return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)

    def propensity_of(self, customer: int, family: str) -> float:
        """The hidden propensity of one customer for an offer family."""
        if family not in OFFER_FAMILIES:
            return DEFAULT_PROPENSITY
        return float(self.propensity[customer, OFFER_FAMILIES.index(family)])

    def family_column(self, family: str) -> F64:
        """Every customer's propensity for ``family``."""
        if family not in OFFER_FAMILIES:
            return np.full(self.size, DEFAULT_PROPENSITY)
        return np.asarray(self.propensity[:, OFFER_FAMILIES.index(family)], np.float64)

    def holds_product(self, product: str) -> Bool:
        """Whether each customer holds ``product`` (a view that purchases update)."""
        if product not in self.holds:
            self.holds[product] = np.zeros(self.size, np.bool_)
        return self.holds[product]


def read_bank(lake: Path, simulation: Path, start: datetime.date, visit_rate: float) -> BankView:
    """Read what the simulator needs of the lake and the hidden behaviour model, for a loop
    starting on ``start``."""
    customers = pa.concat_tables(
        pq.read_table(path, columns=["customer_number", "home_outlet_code"])
        for path in layout.CUSTOMERS.files(lake)
    )
    numbers = customers.column("customer_number").combine_chunks()
    n = len(numbers)

    behaviour = pq.read_table(simulation / HIDDEN_BEHAVIOUR)
    where = pc.index_in(numbers, value_set=behaviour.column("customer_number").combine_chunks())
    position = np.asarray(where.fill_null(-1).to_numpy(zero_copy_only=False), np.int64)
    propensity = np.full((n, len(OFFER_FAMILIES)), DEFAULT_PROPENSITY)
    known = position >= 0
    for column, family in enumerate(OFFER_FAMILIES):
        values = behaviour.column(family).to_numpy()
        propensity[known, column] = values[position[known]]

    since = start - datetime.timedelta(days=VISIT_WINDOW_DAYS)
    visits = visit_counts(lake, numbers, since, start - datetime.timedelta(days=1))
    yearly = np.maximum(visits.astype(np.float64), MIN_VISITS_PER_YEAR) * visit_rate
    visit_p = 1.0 - np.exp(-yearly / 365.0)

    products = pq.read_table(layout.PRODUCTS.path(lake), columns=["code", "category", "term_days"])
    codes = products.column("code").to_pylist()
    category = dict(zip(codes, products.column("category").to_pylist(), strict=True))
    term = dict(zip(codes, products.column("term_days").to_pylist(), strict=True))

    holdings = active_holdings(lake)
    owner = np.asarray(
        pc.index_in(holdings.column("customer_number"), value_set=numbers)
        .fill_null(-1)
        .to_numpy(zero_copy_only=False),
        np.int64,
    )
    product_codes = np.asarray(holdings.column("product_code").to_pylist(), dtype=object)
    holds: dict[str, Bool] = {}
    for code in codes:
        mask = np.zeros(n, np.bool_)
        mask[owner[(product_codes == code) & (owner >= 0)]] = True
        holds[code] = mask
    asset = pc.is_in(holdings.column("category"), pa.array(list(PURCHASE_SHARE))).to_numpy(
        zero_copy_only=False
    )
    balance_fen = np.round(
        pc.multiply(pc.cast(holdings.column("balance"), pa.float64()), 100.0).to_numpy()
    ).astype(np.int64)
    aum = np.zeros(n, np.int64)
    keep = asset & (owner >= 0)
    np.add.at(aum, owner[keep], balance_fen[keep])

    orgs = pq.read_table(layout.ORG_UNITS.path(lake), columns=["code", "kind"])
    outlets = sorted(
        code
        for code, kind in zip(
            orgs.column("code").to_pylist(), orgs.column("kind").to_pylist(), strict=True
        )
        if kind == OrgKind.OUTLET
    )
    return BankView(
        numbers=numbers,
        home_outlet=np.asarray(customers.column("home_outlet_code").to_pylist(), dtype=object),
        outlets=outlets,
        propensity=propensity,
        visit_p=visit_p,
        holds=holds,
        aum_fen=aum,
        product_category=category,
        product_term=term,
        next_holding_id=max_holding_id(lake) + 1,
    )


_PENDING_FILE = Path("loop") / "pending.parquet"
_PENDING = pa.schema(
    [
        pa.field("customer_number", pa.string(), nullable=False),
        pa.field("product_code", pa.string(), nullable=False),
        pa.field("due_on", pa.date32(), nullable=False),
    ]
)


# --- pending purchases --------------------------------------------------------------------


def _lake_identity(lake: Path) -> str:
    """Which generated lake a pending purchase belongs to: a re-generated lake, even from the
    same spec (byte-identical manifest), writes a new manifest file and drops them."""
    manifest = lake / layout.MANIFEST_FILE
    written = str(manifest.stat().st_mtime_ns).encode()
    return hashlib.sha256(manifest.read_bytes() + written).hexdigest()[:16]


def read_pending(simulation: Path, lake: Path) -> list[tuple[str, str, datetime.date]]:
    """Purchases scheduled by an earlier loop on this lake."""
    path = simulation / _PENDING_FILE
    if not path.exists():
        return []
    table = pq.read_table(path)
    metadata = table.schema.metadata or {}
    if metadata.get(b"lake") != _lake_identity(lake).encode():
        return []
    return list(
        zip(
            table.column("customer_number").to_pylist(),
            table.column("product_code").to_pylist(),
            table.column("due_on").to_pylist(),
            strict=True,
        )
    )


def write_pending(
    simulation: Path, lake: Path, pending: list[tuple[str, str, datetime.date]]
) -> None:
    """Keep the scheduled purchases for the next loop (atomically replaced)."""
    path = simulation / _PENDING_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = sorted(pending, key=lambda row: (row[2], row[0], row[1]))
    table = pa.Table.from_arrays(
        [
            pa.array([r[0] for r in rows], pa.string()),
            pa.array([r[1] for r in rows], pa.string()),
            pa.array([r[2] for r in rows], pa.date32()),
        ],
        schema=_PENDING.with_metadata({"lake": _lake_identity(lake)}),
    )
    staged = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    pq.write_table(table, staged)
    os.replace(staged, path)
