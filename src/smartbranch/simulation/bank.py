"""The synthetic bank generator: ``smartbranch generate``.

Writes a lake (see ``docs/lake.md``) of master data and twelve months of history for a
bank of any size, and, outside the lake, the hidden behaviour model and the demo test cards.

Customers are generated in chunks; each chunk draws from its own seeded random streams and
is written as one part file per table, so memory stays bounded and the same spec always
gives byte-identical files. Everything is written into staging folders first and swapped in
at the end: a re-run never leaves two seeds' files mixed, and a failed run leaves the
previous lake untouched.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import hashlib
import hmac
import json
import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from smartbranch.credentials import CredentialHasher
from smartbranch.errors import ConflictError
from smartbranch.i18n import N_
from smartbranch.simulation.behaviour import behaviour_table
from smartbranch.simulation.cards import (
    IdNumberRegistry,
    NumberOffsets,
    credentials_table,
    generate_credentials,
)
from smartbranch.simulation.common import I64, TIERS, day_number, tier_of
from smartbranch.simulation.context import BankContext, history_calendar
from smartbranch.simulation.customers import (
    NamePools,
    customer_number_offset,
    customers_table,
    generate_customers,
    name_pools,
)
from smartbranch.simulation.history import (
    balances_table,
    generate_payroll,
    payroll_table,
    transactions_table,
    visits_table,
)
from smartbranch.simulation.holdings import generate_holdings, holdings_table, loan_payoffs_table
from smartbranch.simulation.orgs import build_employers, build_org_tree, max_branches
from smartbranch.simulation.products import products_table
from smartbranch.simulation.schema import (
    BEHAVIOUR,
    LAKE_TABLES,
    LOAN_PAYOFFS,
    PAYROLL,
    SCHEMA_VERSION,
)
from smartbranch.simulation.testcards import TestCardCollector, write_test_cards

GENERATOR_VERSION = "1"
MANIFEST = "_manifest.json"
HIDDEN_BEHAVIOUR = Path("hidden") / "behaviour.parquet"
TEST_CARDS = Path("demo") / "TEST-CARDS.csv"
MAX_CUSTOMERS = 100_000_000  # card-number spaces are sized for this

ProgressCallback = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; stages: ``master_data``, ``customers``, ``publish``."""


@dataclass(frozen=True)
class BankSpec:
    """What bank to generate. The same spec always gives byte-identical files."""

    customers: int = 20_000
    outlets: int = 12
    branches: int | None = None
    """Default: one branch per four outlets (at least one, at most one per known city)."""
    seed: int = 42
    as_of: datetime.date = datetime.date(2026, 11, 28)
    """History covers the twelve months up to and including this day."""
    chunk_size: int = 50_000
    """Customers per part file; part of the spec (another size, other random draws)."""
    test_cards: int = 200
    """How many customers' clear credentials go to the demo ``TEST-CARDS.csv``."""

    @property
    def branch_count(self) -> int:
        """The number of branches, defaulted from the outlets."""
        if self.branches is not None:
            return self.branches
        return min(max(1, self.outlets // 4), max_branches())

    def validate(self) -> None:
        """Raise ``ValueError`` when the spec cannot describe a bank."""
        if not 1 <= self.customers <= MAX_CUSTOMERS:
            raise ValueError(f"customers must be between 1 and {MAX_CUSTOMERS:,}")
        if not 1 <= self.branch_count <= max_branches():
            raise ValueError(f"branches must be between 1 and {max_branches()}")
        if self.outlets < self.branch_count:
            raise ValueError("there must be at least one outlet per branch")
        if self.chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        if self.test_cards < 0:
            raise ValueError("test_cards cannot be negative")
        if self.seed < 0:
            raise ValueError("seed must be a non-negative integer")


@dataclass(frozen=True)
class GenerateSummary:
    """What ``generate_bank`` wrote."""

    spec: BankSpec
    lake: Path
    simulation: Path
    counts: dict[str, int]
    """Rows per lake table, plus ``behaviour`` and ``test_cards`` (credential rows)."""
    tier_counts: dict[str, int]
    """Customers per tier by current assets under management (default thresholds)."""
    tier_shares: dict[str, float]
    elapsed_seconds: float


class LakeNotReplaceableError(ConflictError):
    """The target folder holds something other than a generated lake."""

    code = "lake_not_replaceable"
    message = N_("{path} is not empty and does not look like a lake; it was left untouched.")


# --- writing -----------------------------------------------------------------------------

_PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "store_decimal_as_integer": True,  # decimal(18, 2) as int64: smaller, read the same
    "write_statistics": True,
}


def _write_table(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, **_PARQUET_OPTIONS)


class _SingleFileWriter:
    """A table written as one file, one row group per chunk."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(path, schema, **_PARQUET_OPTIONS)

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self._writer.write_table(table)

    def close(self) -> None:
        self._writer.close()


def _check_paths(lake: Path, simulation: Path) -> None:
    lake_r, sim_r = lake.resolve(), simulation.resolve()
    if sim_r == lake_r or sim_r.is_relative_to(lake_r) or lake_r.is_relative_to(sim_r):
        raise ValueError("the simulation folder must lie outside the lake (and vice versa)")
    if lake_r.exists() and not lake_r.is_dir():
        raise LakeNotReplaceableError(path=str(lake_r))
    if lake_r.is_dir() and any(lake_r.iterdir()) and not (lake_r / MANIFEST).is_file():
        # Replacing means deleting: only ever delete what a previous run wrote.
        raise LakeNotReplaceableError(path=str(lake_r))


def _staging(target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    path.chmod(0o755)
    return path


def _swap_in(new: Path, target: Path) -> None:
    """Put ``new`` where ``target`` is, then delete the old one (two renames; the window
    without a target is a few microseconds, and the old data is never mixed with the new)."""
    old: Path | None = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old)


def _manifest(spec: BankSpec, counts: dict[str, int], key_id: str) -> str:
    body = {
        "schema_version": SCHEMA_VERSION,
        "generator": "smartbranch.simulation",
        "generator_version": GENERATOR_VERSION,
        "seed": spec.seed,
        "as_of": spec.as_of.isoformat(),
        "history_months": 12,
        "spec": {
            "customers": spec.customers,
            "outlets": spec.outlets,
            "branches": spec.branch_count,
            "chunk_size": spec.chunk_size,
        },
        "counts": {name: counts[name] for name in LAKE_TABLES},
        "credential_key_id": key_id,
    }
    return json.dumps(body, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def credential_key_id(credential_key: bytes) -> str:
    """A short fingerprint of the credential key (not the key itself), recorded in the
    manifest so that ``load`` can notice a lake hashed under another key."""
    digest = hmac.new(credential_key, b"smartbranch:credential-key-id", hashlib.sha256)
    return digest.hexdigest()[:16]


# --- the generator -----------------------------------------------------------------------


def generate_bank(
    spec: BankSpec,
    lake: Path,
    simulation: Path,
    credential_key: bytes,
    progress: ProgressCallback | None = None,
) -> GenerateSummary:
    """Generate the synthetic bank described by ``spec``.

    Writes the lake tables of ``docs/lake.md`` under ``lake`` and the hidden behaviour model
    and demo test cards under ``simulation`` (which must lie outside the lake), replacing
    what a previous run wrote there. ``credential_key`` is the HMAC key of the credential
    lookup hashes: use the serving database's key so that the kiosk finds the customers.
    ``progress(stage, done, total)`` is called as work completes.
    """
    started = time.perf_counter()
    spec.validate()
    hasher = CredentialHasher(credential_key)  # checks the key length before any work
    _check_paths(lake, simulation)
    report = progress or (lambda stage, done, total: None)

    lake_stage = _staging(lake)
    simulation.mkdir(parents=True, exist_ok=True)
    # Simulation files are staged inside the simulation folder (same file system, so each
    # is moved into place by one atomic rename) and replaced one by one: other files there,
    # such as the demo's device tokens, belong to someone else.
    sim_stage = Path(tempfile.mkdtemp(prefix=".staging-", dir=simulation))
    try:
        counts, tier_counts = _generate_into(spec, lake_stage, sim_stage, hasher, report)
        (lake_stage / MANIFEST).write_text(
            _manifest(spec, counts, credential_key_id(credential_key)), encoding="utf-8"
        )
        report("publish", 0, 1)
        for name in (HIDDEN_BEHAVIOUR, TEST_CARDS):
            (simulation / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(sim_stage / name, simulation / name)
        _swap_in(lake_stage, lake)
        report("publish", 1, 1)
    finally:
        for stage in (lake_stage, sim_stage):
            if stage.exists():
                shutil.rmtree(stage)

    total = sum(tier_counts.values())
    return GenerateSummary(
        spec=spec,
        lake=lake,
        simulation=simulation,
        counts=counts,
        tier_counts=tier_counts,
        tier_shares={t: tier_counts[t] / total for t in TIERS},
        elapsed_seconds=time.perf_counter() - started,
    )


def _generate_into(
    spec: BankSpec,
    lake: Path,
    simulation: Path,
    hasher: CredentialHasher,
    report: ProgressCallback,
) -> tuple[dict[str, int], dict[str, int]]:
    report("master_data", 0, 1)
    org = build_org_tree(spec.outlets, spec.branch_count, spec.seed)
    employers = build_employers(spec.branch_count, spec.seed)
    starts, ends = history_calendar(spec.as_of)
    ctx = BankContext(
        seed=spec.seed,
        as_of=day_number(spec.as_of),
        org=org,
        employers=employers,
        month_starts=starts,
        month_ends=ends,
    )
    counts = dict.fromkeys([*LAKE_TABLES, "behaviour", "test_cards"], 0)
    for name, table in (
        ("org_units", org.org_units),
        ("staff", org.staff),
        ("products", products_table()),
    ):
        _write_table(table, lake / f"{name}.parquet")
        counts[name] = table.num_rows
    report("master_data", 1, 1)

    pools = name_pools()
    number_offset = customer_number_offset(spec.seed)
    card_offsets = NumberOffsets.for_seed(spec.seed)
    registry = IdNumberRegistry()
    collector = TestCardCollector(spec.test_cards)
    tier_counts = np.zeros(len(TIERS), np.int64)
    single = {
        "payroll": _SingleFileWriter(lake / "payroll.parquet", PAYROLL),
        "loan_payoffs": _SingleFileWriter(lake / "loan_payoffs.parquet", LOAN_PAYOFFS),
        "behaviour": _SingleFileWriter(simulation / HIDDEN_BEHAVIOUR, BEHAVIOUR),
    }

    # One writer thread: Parquet encoding and compression release the GIL, so chunk k is
    # written while chunk k + 1 is drawn. At most one chunk waits, which bounds memory.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lake-writer") as writer:
        pending: list[Future[None]] = []
        try:
            for chunk_index, start in enumerate(range(0, spec.customers, spec.chunk_size)):
                stop = min(start + spec.chunk_size, spec.customers)
                tables = _chunk_tables(
                    ctx, spec, pools, number_offset, card_offsets, registry, hasher,
                    collector, tier_counts, chunk_index, start, stop,
                )  # fmt: skip
                for f in pending:
                    f.result()
                pending = []
                part = f"part-{chunk_index:05d}.parquet"
                for name, table in tables.items():
                    counts[name] += table.num_rows
                    if name in single:
                        pending.append(writer.submit(single[name].write, table))
                    else:
                        pending.append(writer.submit(_write_table, table, lake / name / part))
                report("customers", stop, spec.customers)
            for f in pending:
                f.result()
        finally:
            # A failure (a progress callback, a full disk) can leave writes running in the
            # writer thread: let them finish before their files are closed under them.
            concurrent.futures.wait(pending)
            for w in single.values():
                w.close()

    counts["test_cards"] = write_test_cards(simulation / TEST_CARDS, collector.select())
    return counts, {t: int(c) for t, c in zip(TIERS, tier_counts, strict=True)}


def _chunk_tables(
    ctx: BankContext,
    spec: BankSpec,
    pools: NamePools,
    number_offset: int,
    card_offsets: NumberOffsets,
    registry: IdNumberRegistry,
    hasher: CredentialHasher,
    collector: TestCardCollector,
    tier_counts: I64,
    chunk_index: int,
    start: int,
    stop: int,
) -> dict[str, pa.Table]:
    """Every table's rows for customers ``start``…``stop - 1``."""
    chunk = generate_customers(ctx, pools, number_offset, chunk_index, start, stop)
    holdings = generate_holdings(ctx, chunk)
    tier = tier_of(holdings.asset_fen.sum(axis=1))
    tier_counts += np.bincount(tier, minlength=len(TIERS))
    credentials = generate_credentials(ctx, chunk, holdings, registry, card_offsets, hasher)
    collector.offer(chunk, tier, credentials)
    payroll = generate_payroll(ctx, chunk)
    transactions, stats = transactions_table(ctx, chunk, holdings, payroll)
    return {
        "customers": customers_table(ctx, chunk),
        "credentials": credentials_table(chunk, credentials),
        "holdings": holdings_table(chunk, holdings),
        "balances_monthly": balances_table(ctx, chunk, holdings),
        "transactions": transactions,
        "payroll": payroll_table(ctx, chunk, payroll),
        "loan_payoffs": loan_payoffs_table(chunk, holdings),
        "visits": visits_table(ctx, chunk),
        "behaviour": behaviour_table(
            ctx, chunk, holdings, stats.card_spend_count, stats.counter_count
        ),
    }


def summary_dict(summary: GenerateSummary) -> dict[str, Any]:
    """The summary as JSON-friendly data (for ``--json`` output of the CLI)."""
    data = asdict(summary)
    data["spec"]["as_of"] = summary.spec.as_of.isoformat()
    data["lake"] = str(summary.lake)
    data["simulation"] = str(summary.simulation)
    return data
