"""Shared helpers of the synthetic bank: random streams, dates, digit strings, Arrow columns.

Everything here is vectorised with numpy; the generator calls these per chunk of customers.
"""

from __future__ import annotations

import datetime
from enum import IntEnum
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

I64 = NDArray[np.int64]
I32 = NDArray[np.int32]
F64 = NDArray[np.float64]
U8 = NDArray[np.uint8]
Bool = NDArray[np.bool_]

EPOCH = datetime.date(1970, 1, 1)

TIERS = ("standard", "gold", "platinum", "diamond", "private")
# Lower bounds of gold, platinum, diamond and private banking in fen; the defaults of
# ``Settings.tier_thresholds_cny`` (a test keeps the two in step).
TIER_THRESHOLDS_FEN = np.array([50_000_00, 500_000_00, 2_000_000_00, 6_000_000_00], np.int64)

CATEGORIES = ("deposit", "time_deposit", "wealth", "fund", "insurance", "credit_card", "loan")
DEPOSIT, TIME_DEPOSIT, WEALTH, FUND, INSURANCE, CREDIT_CARD, LOAN = range(7)
ASSET_CATEGORY_COUNT = 5
"""The first five categories count towards assets under management."""

CARD_LEVELS = ("classic", "gold", "platinum", "diamond")


class Stream(IntEnum):
    """Independent random streams, so that changing how one table is drawn leaves the
    others as they were."""

    MASTER = 1
    CUSTOMERS = 2
    PROFILE = 3
    CREDENTIALS = 4
    HOLDINGS = 5
    BALANCES = 6
    TRANSACTIONS = 7
    PAYROLL = 8
    VISITS = 9
    BEHAVIOUR = 10
    ASSETS = 11
    PHONES = 12
    TEST_CARDS = 13


def chunk_rng(seed: int, chunk_index: int, stream: Stream) -> np.random.Generator:
    """The generator of one stream for one chunk of customers."""
    return np.random.default_rng([seed, chunk_index, int(stream)])


def master_rng(seed: int, stream: Stream) -> np.random.Generator:
    """The generator of one stream for bank-wide master data (not per chunk)."""
    # A two-word seed never equals a three-word chunk seed, so the streams stay apart.
    return np.random.default_rng([seed, int(stream)])


def day_number(day: datetime.date) -> int:
    """Days since 1970-01-01: Arrow's ``date32`` representation."""
    return (day - EPOCH).days


def from_day_number(days: int) -> datetime.date:
    """The date of a ``date32`` day number."""
    return EPOCH + datetime.timedelta(days=int(days))


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day ``years`` earlier (29 February falls back to the 28th)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def ymd(days: NDArray[Any]) -> I64:
    """``YYYYMMDD`` integers of day numbers, vectorised."""
    stamps = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    years = stamps.astype("datetime64[Y]").astype(np.int64) + 1970
    months = stamps.astype("datetime64[M]").astype(np.int64) % 12 + 1
    first_of_month = stamps.astype("datetime64[M]").astype("datetime64[D]")
    dom = (stamps - first_of_month).astype(np.int64) + 1
    return np.asarray(years * 10_000 + months * 100 + dom, dtype=np.int64)


def choose(rng: np.random.Generator, cum: F64, rows: NDArray[Any] | None = None) -> I64:
    """Draw one category per row from cumulative probabilities.

    ``cum`` is either one vector (the same distribution for every draw; ``rows`` gives the
    number of draws by its length) or a matrix with one distribution per draw.
    """
    if cum.ndim == 1:
        if rows is None:
            raise ValueError("rows is needed with a single distribution")
        picked = np.searchsorted(cum, rng.random(len(rows)), side="right")
        return np.asarray(np.minimum(picked, len(cum) - 1), dtype=np.int64)
    u = rng.random((cum.shape[0],))
    return np.asarray(np.minimum((u[:, None] >= cum).sum(axis=1), cum.shape[1] - 1), np.int64)


def cumulative(probabilities: NDArray[Any]) -> F64:
    """Normalised cumulative probabilities along the last axis."""
    p = np.asarray(probabilities, dtype=np.float64)
    c = np.cumsum(p, axis=-1)
    return np.asarray(c / c[..., -1:], dtype=np.float64)


def uniform_days(rng: np.random.Generator, low: NDArray[Any], high: NDArray[Any]) -> I64:
    """A day drawn uniformly from ``[low, high]`` per row (``high < low`` gives ``low``)."""
    lo = np.asarray(low, dtype=np.int64)
    span = np.maximum(np.asarray(high, dtype=np.int64) - lo + 1, 1)
    return np.asarray(lo + np.floor(rng.random(len(lo)) * span).astype(np.int64), np.int64)


def affine_permutation(values: I64, multiplier: int, offset: int, modulus: int) -> I64:
    """``(multiplier * values + offset) mod modulus`` without int64 overflow.

    A bijection on ``[0, modulus)`` when ``multiplier`` is coprime with ``modulus``: how
    card and customer numbers are derived from the customer index, so they look scattered
    yet can never collide.
    """
    if modulus > 10**12 or not 0 <= multiplier < modulus or not 0 <= offset < modulus:
        raise ValueError("modulus, multiplier or offset out of range")
    split = 10**6
    # multiplier = m_high * 1e6 + m_low; with x < 1e12 every product stays below 1e18.
    m_high, m_low = divmod(multiplier, split)
    x = np.asarray(values, dtype=np.int64) % modulus
    product = ((x * m_high) % modulus * split + x * m_low) % modulus
    return np.asarray((product + offset) % modulus, dtype=np.int64)


def digit_matrix(values: I64, width: int) -> U8:
    """The decimal digits of each value, most significant first, left-padded with zeros."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return np.asarray((values[:, None] // powers) % 10, dtype=np.uint8)


def luhn_check_digits(payload: U8) -> U8:
    """The Luhn check digit completing each row of a digit matrix."""
    width = payload.shape[1]
    # Counting from the rightmost payload digit, every other digit (starting with it) doubles.
    doubled = ((width - 1 - np.arange(width)) % 2) == 0
    digits = payload.astype(np.int64)
    twice = digits * 2
    digits = np.where(doubled, np.where(twice > 9, twice - 9, twice), digits)
    return np.asarray((10 - digits.sum(axis=1) % 10) % 10, dtype=np.uint8)


_GB11643_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], np.int64)
_GB11643_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def gb11643_check_chars(first17: U8) -> U8:
    """The ASCII check character of each row of 17 ID digits (ISO 7064 MOD 11-2)."""
    total = first17.astype(np.int64) @ _GB11643_WEIGHTS
    return np.asarray(_GB11643_CHECK[total % 11], dtype=np.uint8)


def ascii_rows(codes: U8) -> list[str]:
    """Each row of an ASCII code matrix as a Python string."""
    width = codes.shape[1]
    packed = np.ascontiguousarray(codes).view(f"S{width}").ravel()
    return [str(s) for s in packed.astype(f"U{width}").tolist()]


# --- Arrow columns -------------------------------------------------------------------------


def decimal_from_fen(fen: NDArray[Any]) -> pa.Array:
    """A ``decimal128(18, 2)`` column of CNY from integer fen, without a Python loop."""
    values = np.asarray(fen, dtype=np.int64)
    words = np.empty((len(values), 2), dtype=np.int64)
    words[:, 0] = values
    words[:, 1] = values >> 63  # two's complement sign extension of the high word
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(values), [None, pa.py_buffer(words)])


def date_column(days: NDArray[Any], null: NDArray[np.bool_] | None = None) -> pa.Array:
    """A ``date32`` column from day numbers; ``null`` marks missing dates."""
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.date32(), mask=null)


def labels(names: tuple[str, ...] | list[str], index: NDArray[Any]) -> pa.Array:
    """A string column picking ``names[index]`` per row."""
    return pa.array(list(names), type=pa.string()).take(pa.array(np.asarray(index, np.int64)))


def take(column: pa.Array, index: NDArray[Any]) -> pa.Array:
    """``column[index]`` as a new Arrow array (repeats a per-customer column per row)."""
    return column.take(pa.array(np.asarray(index, dtype=np.int64)))


def tier_of(aum_fen: NDArray[Any]) -> NDArray[np.int64]:
    """Tier index (0 standard … 4 private) of assets under management in fen."""
    return np.asarray(
        np.searchsorted(TIER_THRESHOLDS_FEN, np.asarray(aum_fen, np.int64), side="right"),
        dtype=np.int64,
    )
