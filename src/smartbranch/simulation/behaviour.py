"""The hidden behaviour model: how likely each customer is to accept each kind of offer.

Written outside the lake: the analysis must discover these tendencies from observable
facts, never read them. Propensities follow observable features with the strengths the
seed reports as success-rate uplifts (5.26× for assets near a tier threshold, 1.72× for
payroll customers, 11.32× for early loan payoff, 1.53× for platinum card holders), times
a customer's general receptiveness and individual noise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from smartbranch.simulation.common import (
    ASSET_CATEGORY_COUNT,
    F64,
    I64,
    TIER_THRESHOLDS_FEN,
    TIME_DEPOSIT,
    WEALTH,
    Bool,
    Stream,
    chunk_rng,
)
from smartbranch.simulation.context import BankContext
from smartbranch.simulation.customers import CustomerChunk
from smartbranch.simulation.holdings import HoldingsChunk
from smartbranch.simulation.schema import BEHAVIOUR, OFFER_FAMILIES

NEAR_THRESHOLD_UPLIFT = 5.26
PAYROLL_UPLIFT = 1.72
LOAN_PREPAID_UPLIFT = 11.32
PLATINUM_CARD_UPLIFT = 1.53
NEAR_THRESHOLD_FROM = 0.8
"""Assets of at least 80 % of the next tier's threshold count as near it."""
MAX_PROPENSITY = 0.95


def near_threshold(aum_fen: I64) -> Bool:
    """Assets within ``NEAR_THRESHOLD_FROM`` of the next tier's lower bound, below it."""
    nxt = np.searchsorted(TIER_THRESHOLDS_FEN, aum_fen, side="right")
    below_private = nxt < len(TIER_THRESHOLDS_FEN)
    bound = TIER_THRESHOLDS_FEN[np.minimum(nxt, len(TIER_THRESHOLDS_FEN) - 1)]
    return np.asarray(below_private & (aum_fen >= NEAR_THRESHOLD_FROM * bound), np.bool_)


def behaviour_table(
    ctx: BankContext,
    chunk: CustomerChunk,
    holdings: HoldingsChunk,
    card_spend_count: I64,
    counter_count: I64,
) -> pa.Table:
    """Per customer, a latent propensity (0–1) to accept each offer family."""
    rng = chunk_rng(ctx.seed, chunk.chunk_index, Stream.BEHAVIOUR)
    n = chunk.size
    tier, age, risk = chunk.tier, chunk.age, chunk.risk_tolerance
    aum = holdings.asset_fen.sum(axis=1)
    level = chunk.card_level
    has_card = level >= 0
    maturing = holdings.maturing_within(ctx.as_of, ctx.as_of + 30, n)
    matured = holdings.closed_within(ctx.as_of - 60, ctx.as_of, n, TIME_DEPOSIT) | (
        holdings.closed_within(ctx.as_of - 60, ctx.as_of, n, WEALTH)
    )
    categories_held = (holdings.asset_fen[:, :ASSET_CATEGORY_COUNT] > 0).sum(axis=1)
    working_age = (age >= 22) & (age <= 50)

    def boost(flag: Bool, factor: float) -> F64:
        return np.where(flag, factor, 1.0)

    upgrade_room = has_card & (level < np.minimum(tier, 3))
    multipliers: dict[str, NDArray[np.floating[Any]]] = {
        "card_upgrade": np.where(has_card, 1.0 + 1.5 * upgrade_room, 0.5)
        * boost(card_spend_count > 36, 1.5),
        "repeat_maturing": boost(maturing | matured, 3.0)
        * np.clip(1 + 0.01 * (age - 40), 0.7, 1.4),
        "quick_feature": 1.0 + 0.2 * tier,
        "segment_mix": (1.0 + 0.35 * tier) * boost(categories_held <= 2, 1.3),
        "near_threshold": boost(near_threshold(aum), NEAR_THRESHOLD_UPLIFT),
        "payroll": boost(chunk.employer >= 0, PAYROLL_UPLIFT),
        "loan_prepaid": boost(chunk.loan_paid_off, LOAN_PREPAID_UPLIFT),
        "platinum_card_value": boost(level >= 2, PLATINUM_CARD_UPLIFT),
        "counter_card_fast": boost(~has_card & working_age, 2.2) * boost(counter_count > 2, 1.3),
        "wealth": (1.0 + 0.5 * tier) * boost(risk >= 3, 1.4),
        "fund": np.where(risk >= 4, 2.0, np.where(risk == 3, 1.0, 0.4)) * boost(age < 45, 1.3),
        "insurance": boost((age >= 30) & (age <= 55), 1.8) * (1.0 + 0.2 * tier),
    }
    base = {
        "card_upgrade": 0.04,
        "repeat_maturing": 0.05,
        "quick_feature": 0.05,
        "segment_mix": 0.04,
        "near_threshold": 0.03,
        "payroll": 0.05,
        "loan_prepaid": 0.02,
        "platinum_card_value": 0.06,
        "counter_card_fast": 0.04,
        "wealth": 0.04,
        "fund": 0.03,
        "insurance": 0.03,
    }
    # Mean-one lognormal factors: a customer's general receptiveness, shared by all offers,
    # and noise per offer family.
    receptive = rng.lognormal(-(0.35**2) / 2, 0.35, n)
    columns = [chunk.number]
    for family in OFFER_FAMILIES:
        noise = rng.lognormal(-(0.45**2) / 2, 0.45, n)
        p = base[family] * multipliers[family] * receptive * noise
        columns.append(pa.array(np.clip(p, 0.0, MAX_PROPENSITY), pa.float64()))
    return pa.Table.from_arrays(columns, schema=BEHAVIOUR)
