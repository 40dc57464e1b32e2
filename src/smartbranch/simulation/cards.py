"""Credentials: resident ID, debit cards, credit card and passbook of every customer.

Numbers are valid (Luhn, GB 11643) and unique across the bank because they are derived from
the customer index through bijections, never drawn at random. A clear number lives only for
the moment it takes to hash and mask it; the lake gets the keyed hash and the masked form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pyarrow as pa

from smartbranch.credentials import CredentialHasher, CredentialKind, mask_card, mask_id_number
from smartbranch.simulation.common import (
    CARD_LEVELS,
    I64,
    U8,
    Stream,
    affine_permutation,
    ascii_rows,
    chunk_rng,
    date_column,
    digit_matrix,
    gb11643_check_chars,
    labels,
    luhn_check_digits,
    master_rng,
    take,
    uniform_days,
    ymd,
)
from smartbranch.simulation.context import BankContext
from smartbranch.simulation.customers import CustomerChunk
from smartbranch.simulation.holdings import HoldingsChunk
from smartbranch.simulation.schema import CREDENTIALS

KINDS = (
    CredentialKind.ID_CARD,
    CredentialKind.DEBIT_CARD,
    CredentialKind.CREDIT_CARD,
    CredentialKind.PASSBOOK,
)
ID_CARD, DEBIT_CARD, CREDIT_CARD, PASSBOOK = range(4)
STATUSES = ("active", "lost", "closed")
ACTIVE, LOST, CLOSED = range(3)

# Made-up issuer identification numbers. Debit cards are UnionPay (62…), 19 digits; the
# gold debit BIN is for gold customers and above. Credit cards are 16 digits.
DEBIT_BINS = np.array([621768, 622598], np.int64)
CREDIT_BINS = np.array([625809, 518710, 439225, 622688], np.int64)  # by card level
PASSBOOK_PREFIX = 1100  # 17-digit passbook account numbers: 1100 + 12 digits + Luhn

_DEBIT_MODULUS, _DEBIT_MULTIPLIER = 10**12, 379_721_845_113
_CREDIT_MODULUS, _CREDIT_MULTIPLIER = 10**9, 618_033_989
_PASSBOOK_MODULUS, _PASSBOOK_MULTIPLIER = 10**12, 141_421_356_237
DEBIT_SLOTS = 2  # at most two debit cards per customer

LOST_SHARE, CLOSED_SHARE = 0.02, 0.03


@dataclass(frozen=True)
class NumberOffsets:
    """The seed's shifts of the card-number permutations (another seed, other numbers)."""

    debit: int
    credit: int
    passbook: int

    @classmethod
    def for_seed(cls, seed: int) -> NumberOffsets:
        """Offsets drawn from the seed's credential stream."""
        rng = master_rng(seed, Stream.CREDENTIALS)
        return cls(
            debit=int(rng.integers(0, _DEBIT_MODULUS)),
            credit=int(rng.integers(0, _CREDIT_MODULUS)),
            passbook=int(rng.integers(0, _PASSBOOK_MODULUS)),
        )


class IdNumberRegistry:
    """Keeps resident ID numbers unique across chunks.

    An ID is region + birth date + a three-digit sequence whose parity is the gender; two
    customers of the same district and birthday may draw the same sequence, so a clash moves
    the later customer to the next free sequence of the same parity. The registry holds the
    first 17 digits of every ID issued so far as sorted int64 (8 MB per million customers).
    """

    def __init__(self) -> None:
        self._issued = np.zeros(0, np.int64)

    def assign(self, rng: np.random.Generator, region: I64, birth: I64, male: I64) -> I64:
        """The first 17 digits (as integers) of new, unique ID numbers."""
        n = len(region)
        base = region * 10**11 + ymd(birth) * 1000
        # Male sequences are odd (001…999), female even (002…998).
        seq = np.where(male == 1, 2 * rng.integers(0, 500, n) + 1, 2 * rng.integers(1, 500, n))
        for _ in range(1000):
            key = base + seq
            clash = np.ones(n, np.bool_)
            clash[np.unique(key, return_index=True)[1]] = False
            if len(self._issued):
                at = np.minimum(np.searchsorted(self._issued, key), len(self._issued) - 1)
                clash |= self._issued[at] == key
            if not clash.any():
                self._issued = np.union1d(self._issued, key)
                return np.asarray(key, np.int64)
            bumped = seq[clash] + 2
            seq[clash] = np.where(bumped > 999, np.where(male[clash] == 1, 1, 2), bumped)
        raise RuntimeError("no free resident ID sequence")  # pragma: no cover


@dataclass(frozen=True)
class CredentialRows:
    """The chunk's credentials, ordered by customer. ``numbers`` holds the clear numbers and
    must not outlive the chunk (only demo test cards are kept, by the caller)."""

    customer: I64
    kind: I64
    status: I64
    issued: I64
    card_level: I64
    numbers: list[str]
    lookup_hash: list[str]
    masked: list[str]


def _with_luhn(payload: I64, width: int) -> list[str]:
    digits = digit_matrix(payload, width)
    codes = np.concatenate([digits, luhn_check_digits(digits)[:, None]], axis=1) + 48
    return ascii_rows(codes.astype(np.uint8))


def _id_numbers(first17: I64) -> list[str]:
    digits: U8 = digit_matrix(first17, 17)
    codes = np.concatenate([digits + 48, gb11643_check_chars(digits)[:, None]], axis=1)
    return ascii_rows(codes.astype(np.uint8))


def _statuses(rng: np.random.Generator, n: int) -> I64:
    u = rng.random(n)
    return np.where(u < LOST_SHARE, LOST, np.where(u < LOST_SHARE + CLOSED_SHARE, CLOSED, ACTIVE))


def generate_credentials(
    ctx: BankContext,
    chunk: CustomerChunk,
    holdings: HoldingsChunk,
    registry: IdNumberRegistry,
    offsets: NumberOffsets,
    hasher: CredentialHasher,
) -> CredentialRows:
    """Every credential of the chunk's customers, with hash and mask computed."""
    rng = chunk_rng(ctx.seed, chunk.chunk_index, Stream.CREDENTIALS)
    n, g, as_of = chunk.size, chunk.global_index, ctx.as_of
    everyone = np.arange(n, dtype=np.int64)

    # Resident ID: issued (renewed) within the last ten years, not before age 16.
    id_numbers = _id_numbers(
        registry.assign(rng, chunk.region, chunk.birth, chunk.male.astype(np.int64))
    )
    id_issued = np.maximum(as_of - rng.integers(0, 3650, n), chunk.birth + 5844)

    # Debit cards: the first issued when the customer opened, a second one later.
    debit_owner = np.repeat(everyone, chunk.debit_cards)
    first = np.cumsum(chunk.debit_cards) - chunk.debit_cards
    debit_slot = np.arange(len(debit_owner)) - first[debit_owner]
    body = affine_permutation(
        g[debit_owner] * DEBIT_SLOTS + debit_slot, _DEBIT_MULTIPLIER, offsets.debit, _DEBIT_MODULUS
    )
    bin_ = DEBIT_BINS[(chunk.tier[debit_owner] >= 1).astype(np.int64)]
    debit_numbers = _with_luhn(bin_ * _DEBIT_MODULUS + body, 18)
    opened = chunk.opened[debit_owner]
    debit_issued = np.where(
        debit_slot == 0, opened, uniform_days(rng, opened, np.full_like(opened, as_of))
    )

    credit_owner = np.flatnonzero(chunk.card_level >= 0)
    level = chunk.card_level[credit_owner]
    body = affine_permutation(g[credit_owner], _CREDIT_MULTIPLIER, offsets.credit, _CREDIT_MODULUS)
    credit_numbers = _with_luhn(CREDIT_BINS[level] * _CREDIT_MODULUS + body, 15)

    passbook_owner = np.flatnonzero(chunk.passbook)
    body = affine_permutation(
        g[passbook_owner], _PASSBOOK_MULTIPLIER, offsets.passbook, _PASSBOOK_MODULUS
    )
    passbook_numbers = _with_luhn(PASSBOOK_PREFIX * _PASSBOOK_MODULUS + body, 16)

    parts = (
        (everyone, ID_CARD, id_numbers, id_issued, np.full(n, -1, np.int64), np.full(n, ACTIVE)),
        (debit_owner, DEBIT_CARD, debit_numbers, debit_issued,
         np.full(len(debit_owner), -1, np.int64), _statuses(rng, len(debit_owner))),
        (credit_owner, CREDIT_CARD, credit_numbers, holdings.card_issued[credit_owner], level,
         _statuses(rng, len(credit_owner))),
        (passbook_owner, PASSBOOK, passbook_numbers, chunk.opened[passbook_owner],
         np.full(len(passbook_owner), -1, np.int64), _statuses(rng, len(passbook_owner))),
    )  # fmt: skip
    customer = np.concatenate([p[0] for p in parts])
    kind = np.concatenate([np.full(len(p[0]), p[1], np.int64) for p in parts])
    issued = np.concatenate([p[3] for p in parts])
    card_level = np.concatenate([p[4] for p in parts])
    status = np.concatenate([p[5] for p in parts]).astype(np.int64)
    clear = [number for p in parts for number in p[2]]
    order = np.argsort(customer, kind="stable")

    hashes: list[str] = []
    masks: list[str] = []
    numbers: list[str] = []
    hash_of: list[Callable[[str], str]] = [partial(hasher.lookup_hash, k) for k in KINDS]
    mask_of = (mask_id_number, mask_card, mask_card, mask_card)
    # The one Python loop per credential: HMAC and masking of each clear number.
    for row, k in zip(order.tolist(), kind[order].tolist(), strict=True):
        number = clear[row]
        numbers.append(number)
        hashes.append(hash_of[k](number))
        masks.append(mask_of[k](number))
    return CredentialRows(
        customer=customer[order],
        kind=kind[order],
        status=status[order],
        issued=issued[order],
        card_level=card_level[order],
        numbers=numbers,
        lookup_hash=hashes,
        masked=masks,
    )


def credentials_table(chunk: CustomerChunk, rows: CredentialRows) -> pa.Table:
    """The chunk's rows of ``credentials/`` (hashes and masks only)."""
    has_level = rows.card_level >= 0
    level = pa.array(list(CARD_LEVELS), pa.string()).take(
        pa.array(np.where(has_level, rows.card_level, 0), mask=~has_level)
    )
    return pa.Table.from_arrays(
        [
            take(chunk.number, rows.customer),
            labels([k.value for k in KINDS], rows.kind),
            pa.array(rows.lookup_hash, pa.string()),
            pa.array(rows.masked, pa.string()),
            labels(STATUSES, rows.status),
            date_column(rows.issued),
            level,
        ],
        schema=CREDENTIALS,
    )
