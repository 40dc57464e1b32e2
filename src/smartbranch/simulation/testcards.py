"""Demo test cards: the clear credentials of a few synthetic customers, for trying the kiosk.

The generator offers each chunk's customers to a :class:`TestCardCollector`, which keeps
the clear numbers of a bounded pool of candidates (a few per tier and feature) and throws
the rest away; at the end it picks a sample that covers every tier and includes lost and
closed cards, so that a demo can show a refusal too.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from smartbranch.simulation.cards import (
    CREDIT_CARD,
    KINDS,
    LOST,
    PASSBOOK,
    STATUSES,
    CredentialRows,
)
from smartbranch.simulation.common import I64, TIERS, Bool
from smartbranch.simulation.customers import CustomerChunk

HEADER_COMMENT = "# TEST CARDS — synthetic demo data, not real customers"
COLUMNS = ("customer_number", "name", "tier", "kind", "number", "status")

# Share of the sample per tier, standard to private: the rare tiers are over-represented
# because they are what a demo wants to show.
TIER_QUOTA = (0.40, 0.25, 0.15, 0.10, 0.10)
FEATURE_QUOTA = 0.05
"""Share reserved for each of: a lost card, a passbook, a credit card."""


@dataclass(frozen=True)
class TestCustomer:
    """A candidate's clear credentials: (kind, number, status) rows."""

    __test__ = False  # not a pytest test class, despite the name

    customer_number: str
    name: str
    tier: int
    credentials: tuple[tuple[str, str, str], ...]


class TestCardCollector:
    """Keeps bounded pools of candidate test customers while the bank is generated."""

    __test__ = False

    def __init__(self, wanted: int) -> None:
        self.wanted = wanted
        self._reserve = max(1, round(wanted * FEATURE_QUOTA))
        # Standard and gold pools can fill the whole sample (when a small bank lacks the
        # rare tiers); the others only need their quota. Memory stays bounded by ``wanted``.
        self._tier_caps = [
            wanted if t < 2 else max(1, round(wanted * TIER_QUOTA[t])) for t in range(len(TIERS))
        ]
        self._tier_pools: list[list[TestCustomer]] = [[] for _ in TIERS]
        self._feature_pools: dict[str, list[TestCustomer]] = {
            "lost": [],
            "passbook": [],
            "credit_card": [],
        }

    def offer(self, chunk: CustomerChunk, tier: I64, rows: CredentialRows) -> None:
        """Consider the chunk's customers; keep the first ones each pool still needs."""
        if self.wanted <= 0:
            return
        n = chunk.size
        first_row = np.searchsorted(rows.customer, np.arange(n + 1))
        flags: dict[str, Bool] = {}
        for name, kind, status in (
            ("lost", None, LOST),
            ("passbook", PASSBOOK, None),
            ("credit_card", CREDIT_CARD, None),
        ):
            hit = np.ones(len(rows.customer), np.bool_)
            if kind is not None:
                hit &= rows.kind == kind
            if status is not None:
                hit &= rows.status == status
            flag = np.zeros(n, np.bool_)
            flag[rows.customer[hit]] = True
            flags[name] = flag

        cache: dict[int, TestCustomer] = {}

        def candidate(i: int) -> TestCustomer:
            if i not in cache:
                a, b = int(first_row[i]), int(first_row[i + 1])
                cache[i] = TestCustomer(
                    customer_number=str(chunk.number[i].as_py()),
                    name=str(chunk.name[i].as_py()),
                    tier=int(tier[i]),
                    credentials=tuple(
                        (KINDS[int(rows.kind[r])].value, rows.numbers[r],
                         STATUSES[int(rows.status[r])])
                        for r in range(a, b)
                    ),
                )  # fmt: skip
            return cache[i]

        for t, pool in enumerate(self._tier_pools):
            need = self._tier_caps[t] - len(pool)
            if need > 0:
                pool.extend(candidate(int(i)) for i in np.flatnonzero(tier == t)[:need])
        for name, pool in self._feature_pools.items():
            need = self._reserve - len(pool)
            if need > 0:
                pool.extend(candidate(int(i)) for i in np.flatnonzero(flags[name])[:need])

    def select(self) -> list[TestCustomer]:
        """The sample: lost/passbook/credit-card holders first, then tiers by quota, then
        whoever is left until ``wanted`` customers are chosen."""
        chosen: dict[str, TestCustomer] = {}

        def add(candidates: list[TestCustomer], count: int) -> None:
            for c in candidates:
                if count <= 0 or len(chosen) >= self.wanted:
                    return
                if c.customer_number not in chosen:
                    chosen[c.customer_number] = c
                    count -= 1

        for pool in self._feature_pools.values():
            add(pool, self._reserve)
        for t, pool in enumerate(self._tier_pools):
            have = sum(1 for c in chosen.values() if c.tier == t)
            add(pool, max(1, round(self.wanted * TIER_QUOTA[t])) - have)
        for pool in self._tier_pools:
            add(pool, self.wanted)
        return sorted(chosen.values(), key=lambda c: (-c.tier, c.customer_number))


def write_test_cards(path: Path, customers: list[TestCustomer]) -> int:
    """Write ``TEST-CARDS.csv``; returns the number of credential rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    # Owner-only, like every file that holds a credential in clear (synthetic or not).
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8", newline="") as f:
        f.write(HEADER_COMMENT + "\n")
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        for c in customers:
            for kind, number, status in c.credentials:
                writer.writerow((c.customer_number, c.name, TIERS[c.tier], kind, number, status))
                rows += 1
    return rows


def read_test_cards(path: Path) -> list[dict[str, str]]:
    """The rows of a ``TEST-CARDS.csv`` (skipping its comment line)."""
    with path.open(encoding="utf-8", newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    return list(csv.DictReader(lines))
