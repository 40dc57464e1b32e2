"""Control groups, contact policy and arbitration of scored leads (issue 3, item 4; DESIGN §5).

The nightly run evaluates the rules into *candidates* (one row per customer and rule whose
condition holds), then, in this order: puts the control group aside (:func:`control_mask`),
holds back what the contact policy forbids (:func:`held_back`), scores the rest
(:mod:`smartbranch.analysis.scoring`) and keeps each customer's best leads
(:func:`arbitrate`). Everything here is vectorised over Arrow/numpy columns: millions of
candidates take seconds, not minutes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date
from typing import Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from smartbranch.analysis.columns import float_values, string_values

CUSTOMER = "customer_number"
RULE = "rule_code"

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

PRESENTATION_KINDS = ("accepted", "declined", "deferred")
"""Outcome kinds that mean the lead was put to the customer (they count towards
``max_presentations``); ``not_presented`` and ``already_has`` do not."""
DECLINED = "declined"

_DRAW_BITS = 52
"""Bits of the hash used for a draw: the first 13 hex digits, exact in a float64."""


# --- control group ------------------------------------------------------------------------


def control_draw(customer_numbers: pa.Array | pa.ChunkedArray, campaign_code: str) -> FloatArray:
    """A uniform draw in [0, 1) per customer, the same for a customer and campaign on every
    run, machine and engine.

    Definition (so SQL can reproduce it): the first 13 hex digits of
    ``SHA-256(utf8(campaign_code + ":" + customer_number))`` read as an integer, divided by
    16¹³. In DuckDB: ``('0x' || left(sha256(campaign || ':' || customer_number), 13))::UBIGINT
    / 16^13``; in Spark: ``conv(left(sha2(…, 256), 13), 16, 10) / pow(16, 13)``. A customer is
    in the control group of a rule when the draw of the rule's campaign is below the rule's
    ``control_share``; rules of one campaign therefore nest (in control at 10 % ⇒ in control
    at 20 %). Each distinct customer is hashed once (about half a microsecond each)."""
    values = pc.cast(customer_numbers, pa.string())
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.null_count:
        raise ValueError("customer numbers must not be null")
    encoded = pc.dictionary_encode(values)
    uniques = encoded.dictionary
    prefix = f"{campaign_code}:".encode()
    sha256 = hashlib.sha256
    digests = b"".join([sha256(prefix + u.encode()).digest()[:8] for u in uniques.to_pylist()])
    bits = np.frombuffer(digests, dtype=">u8") >> np.uint64(64 - _DRAW_BITS)
    draws = bits.astype(np.float64) / float(2**_DRAW_BITS)
    indices = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    return np.asarray(draws[indices], dtype=np.float64)


def control_mask(
    customer_numbers: pa.Array | pa.ChunkedArray,
    campaign_codes: pa.Array | pa.ChunkedArray,
    control_shares: npt.ArrayLike,
) -> BoolArray:
    """Which candidate rows go to the control group: row *i* is in control when the draw of
    its customer for its campaign is below its rule's control share."""
    shares = np.asarray(control_shares, dtype=np.float64)
    campaigns = pc.cast(campaign_codes, pa.string())
    if isinstance(campaigns, pa.ChunkedArray):
        campaigns = campaigns.combine_chunks()
    if campaigns.null_count:
        raise ValueError("campaign codes must not be null")
    customers = pc.cast(customer_numbers, pa.string())
    if not len(shares) == len(campaigns) == len(customers):
        raise ValueError("customer numbers, campaigns and shares must have the same length")
    mask = np.zeros(len(campaigns), dtype=bool)
    encoded = pc.dictionary_encode(campaigns)
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False))
    for index, campaign in enumerate(encoded.dictionary.to_pylist()):
        rows = np.flatnonzero(codes == index)
        draws = control_draw(customers.take(pa.array(rows)), campaign)
        mask[rows] = draws < shares[rows]
    return mask


# --- contact policy -----------------------------------------------------------------------


class ContactPolicy(Protocol):
    """The part of a lead rule the contact policy reads (a ``LeadRule`` fits)."""

    @property
    def code(self) -> str: ...

    @property
    def cooldown_days(self) -> int: ...

    @property
    def max_presentations(self) -> int: ...


def held_back(
    candidates: pa.Table,
    history: pa.Table,
    rules: Iterable[ContactPolicy],
    as_of: date,
) -> BoolArray:
    """Which candidates (``customer_number``, ``rule_code``) the contact policy holds back.

    ``history`` has one row per outcome: ``customer_number``, ``rule_code``, ``kind``,
    ``recorded_on`` (a date in the bank's time zone; a timestamp is taken at its UTC date).
    Outcomes after ``as_of`` are ignored, so re-running an earlier date gives the same answer.
    A candidate is held back when

    * the customer declined that rule *d* days before ``as_of`` with ``d < cooldown_days``
      (declined on the as-of day: d = 0; with a 30-day cool-down, declined 29 days before is
      held, 30 days before is allowed again; a 0-day cool-down never holds back), or
    * the rule has been presented to the customer ``max_presentations`` times or more
      (kinds in :data:`PRESENTATION_KINDS`).

    ``ValueError`` for a candidate whose rule is not in ``rules``."""
    policies = {rule.code: rule for rule in rules}
    count = candidates.num_rows
    if count == 0:
        return np.zeros(0, dtype=bool)
    customers = string_values(candidates.column(CUSTOMER))
    rule_codes = string_values(candidates.column(RULE))
    known = sorted(policies)
    rule_index = pc.index_in(rule_codes, value_set=pa.array(known, pa.string()))
    if rule_index.null_count:
        unknown = pc.unique(pc.filter(rule_codes, pc.is_null(rule_index))).to_pylist()
        raise ValueError(f"candidates of rules without a contact policy: {sorted(unknown)}")
    index = np.asarray(rule_index.to_numpy(zero_copy_only=False), dtype=np.int64)
    cooldown = np.array([policies[c].cooldown_days for c in known], dtype=np.int64)[index]
    max_shown = np.array([policies[c].max_presentations for c in known], dtype=np.int64)[index]

    recorded = history.column("recorded_on")
    if pa.types.is_timestamp(recorded.type):
        recorded = pc.cast(pc.cast(recorded, pa.timestamp("us", "UTC")), pa.date32())
    past = pa.table(
        {
            CUSTOMER: string_values(history.column(CUSTOMER)),
            RULE: string_values(history.column(RULE)),
            "kind": string_values(history.column("kind")),
            "day": pc.cast(pc.cast(recorded, pa.date32()), pa.int32()),
        }
    )
    as_of_day = (as_of - date(1970, 1, 1)).days
    past = past.filter(pc.less_equal(past.column("day"), as_of_day))
    declines = (
        past.filter(pc.equal(past.column("kind"), DECLINED))
        .group_by([CUSTOMER, RULE])
        .aggregate([("day", "max")])
    )
    shown = (
        past.filter(pc.is_in(past.column("kind"), value_set=pa.array(PRESENTATION_KINDS)))
        .group_by([CUSTOMER, RULE])
        .aggregate([("kind", "count")])
    )
    keyed = pa.table({CUSTOMER: customers, RULE: rule_codes, "_row": np.arange(count)})
    last_decline = _left_lookup(keyed, declines, "day_max", fill=np.iinfo(np.int32).min)
    presentations = _left_lookup(keyed, shown, "kind_count", fill=0)
    # int64 so "never declined" (int32 min) cannot overflow the subtraction
    in_cooldown = (as_of_day - last_decline) < cooldown
    return np.asarray(in_cooldown | (presentations >= max_shown), dtype=bool)


def _left_lookup(
    keyed: pa.Table, right: pa.Table, column: str, *, fill: int
) -> npt.NDArray[np.int64]:
    """``right[column]`` for each row of ``keyed`` (by customer and rule; ``right`` has one
    row per key), ``fill`` where there is none, in ``keyed``'s row order."""
    values = np.full(keyed.num_rows, fill, dtype=np.int64)
    if right.num_rows == 0:
        return values
    joined = keyed.join(right, keys=[CUSTOMER, RULE], join_type="inner")
    rows = np.asarray(joined.column("_row").to_numpy(), dtype=np.int64)
    values[rows] = np.asarray(joined.column(column).to_numpy(), dtype=np.int64)
    return values


# --- arbitration --------------------------------------------------------------------------


def arbitrate(candidates: pa.Table, *, max_per_customer: int) -> pa.Table:
    """Each customer's best ``max_per_customer`` leads, with ``priority`` and ``rank``.

    ``candidates`` has at least ``customer_number``, ``rule_code``, ``propensity``, ``value``
    and ``weight`` (other columns are carried along). ``priority = propensity × value ×
    weight``; ``rank`` 1 is the customer's best. Ties in priority go to the smaller rule
    code, then to the earlier row, so the result does not depend on the row order of
    distinct (customer, rule) pairs. Rows come out grouped by customer (in order of first
    appearance), best first."""
    if max_per_customer < 1:
        raise ValueError("max_per_customer must be at least 1")
    count = candidates.num_rows
    priority = (
        float_values(candidates.column("propensity"))
        * float_values(candidates.column("value"))
        * float_values(candidates.column("weight"))
    )
    if np.isnan(priority).any():
        raise ValueError("propensity, value and weight must not be null or NaN")
    customer_code = _group_codes(candidates.column(CUSTOMER))
    rule_codes = string_values(candidates.column(RULE))
    # rank of each rule code in sorted order, so ties go to the smaller code
    distinct = pc.unique(rule_codes)
    ordered = distinct.take(pc.sort_indices(distinct))
    rule_rank = np.asarray(
        pc.index_in(rule_codes, value_set=ordered).to_numpy(zero_copy_only=False), dtype=np.int64
    )
    # lexsort: the last key is the primary one; it is stable, so row order breaks what is left
    order = np.lexsort((rule_rank, -priority, customer_code))
    grouped = customer_code[order]
    starts = np.r_[True, grouped[1:] != grouped[:-1]] if count else np.zeros(0, dtype=bool)
    positions = np.arange(count)
    first_of_group = np.maximum.accumulate(np.where(starts, positions, 0))
    rank = positions - first_of_group + 1
    keep = rank <= max_per_customer
    chosen = order[keep]
    result = candidates.take(pa.array(chosen))
    for name in ("priority", "rank"):
        if name in result.column_names:
            result = result.drop_columns([name])
    result = result.append_column("priority", pa.array(priority[chosen], pa.float64()))
    return result.append_column("rank", pa.array(rank[keep], pa.int16()))


def _group_codes(column: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.int64]:
    """An integer per row, equal for equal values (first appearance = 0, 1, …)."""
    encoded = pc.dictionary_encode(string_values(column))
    return np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
