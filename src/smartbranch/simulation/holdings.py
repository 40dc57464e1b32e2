"""Holdings: each customer's assets split across products, plus cards owed and loans.

Money is integer fen throughout; a customer's active asset holdings add up exactly to the
assets under management drawn for them, so the tier they were drawn in is the tier the
analysis will compute.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from smartbranch.simulation.common import (
    ASSET_CATEGORY_COUNT,
    CATEGORIES,
    CREDIT_CARD,
    DEPOSIT,
    FUND,
    I64,
    INSURANCE,
    LOAN,
    TIME_DEPOSIT,
    WEALTH,
    Bool,
    Stream,
    choose,
    chunk_rng,
    cumulative,
    date_column,
    decimal_from_fen,
    labels,
    take,
    uniform_days,
)
from smartbranch.simulation.context import BankContext
from smartbranch.simulation.customers import CustomerChunk
from smartbranch.simulation.products import (
    PRODUCT_CODES,
    PRODUCT_INDEX,
    PRODUCT_MIN_TIER,
    PRODUCT_RISK,
    PRODUCT_TERM,
    products_in,
)
from smartbranch.simulation.schema import HOLDINGS, LOAN_PAYOFFS

HOLDING_SLOTS = 100
"""``holding_id = (customer index + 1) * HOLDING_SLOTS + slot``: unique without coordination."""

_SHARE_BITS = 20  # shares as integer multiples of 2**-20, so that splits never exceed totals

# Probability of holding each asset category (time deposit, wealth, fund, insurance) by tier.
_PRESENCE = np.array(
    [
        [0.30, 0.06, 0.08, 0.05],
        [0.55, 0.38, 0.28, 0.22],
        [0.62, 0.65, 0.45, 0.38],
        [0.62, 0.80, 0.55, 0.45],
        [0.60, 0.85, 0.62, 0.50],
    ]
)
# Below these amounts (fen) a customer does not bother with the category.
_MIN_AUM_FOR = np.array([1_000_00, 1_000_00, 1_000_00, 3_000_00])
# Dirichlet concentrations of deposit, time deposit, wealth, fund, insurance by tier:
# standard customers keep money on deposit; the wealthier invest more.
_MIX = np.array(
    [
        [6.0, 2.0, 1.0, 1.0, 1.0],
        [3.0, 3.0, 2.5, 1.5, 1.5],
        [2.0, 2.5, 3.5, 2.0, 2.0],
        [1.5, 2.0, 4.0, 2.5, 2.0],
        [1.2, 2.0, 4.5, 3.0, 2.0],
    ]
)
# Extra holdings (Poisson mean) within a held category, by tier; and the most allowed.
_EXTRA = np.array(
    [
        [0.0, 0.2, 0.2, 0.3, 0.1],
        [0.0, 0.4, 0.5, 0.6, 0.2],
        [0.0, 0.6, 0.8, 0.9, 0.3],
        [0.0, 0.8, 1.1, 1.2, 0.4],
        [0.0, 1.0, 1.4, 1.5, 0.5],
    ]
)
_MAX_PER_CATEGORY = np.array([1, 3, 4, 5, 2])

_TIME_DEPOSITS = products_in("time_deposit")
# Term choice by tier among TD-3M, TD-6M, TD-1Y, TD-2Y, TD-3Y, CD-3Y.
_TD_MIX = cumulative(
    np.array(
        [
            [0.22, 0.20, 0.33, 0.10, 0.15, 0.00],
            [0.18, 0.18, 0.32, 0.12, 0.20, 0.00],
            [0.12, 0.15, 0.28, 0.10, 0.15, 0.20],
            [0.10, 0.12, 0.25, 0.10, 0.13, 0.30],
            [0.08, 0.10, 0.22, 0.10, 0.15, 0.35],
        ]
    )
)
_CARD_PRODUCTS = np.array(
    [PRODUCT_INDEX[c] for c in ("CC-CLASSIC", "CC-GOLD", "CC-PLATINUM", "CC-DIAMOND")], np.int64
)
_DEPOSIT_PRODUCT = PRODUCT_INDEX["DEP-CURRENT"]
# Median principal (CNY) of each loan product, before the tier factor; by shelf index.
_LOAN_PRINCIPAL = np.zeros(len(PRODUCT_CODES), np.float64)
for _code, _principal in (
    ("LN-MORTGAGE-20Y", 700_000.0),
    ("LN-MORTGAGE-30Y", 1_100_000.0),
    ("LN-CONSUMER", 80_000.0),
    ("LN-CAR", 120_000.0),
    ("LN-BUSINESS", 400_000.0),
):
    _LOAN_PRINCIPAL[PRODUCT_INDEX[_code]] = _principal


@dataclass(frozen=True)
class HoldingsChunk:
    """The holdings of one chunk of customers, ordered by customer, and what the history
    and the behaviour model need to know about them."""

    customer: I64
    """Row's customer, as an index into the chunk."""
    holding_id: I64
    product: I64
    category: I64
    balance_fen: I64
    level_fen: I64
    """The typical amount before today: the balance, the amount before a holding closed, or
    a credit card's usual debt."""
    opened: I64
    maturity: I64
    """Day number, -1 when open-ended."""
    closed: I64
    """Day number it closed, -1 while active."""
    asset_fen: I64
    """Per customer and asset category, today's balance (n × 5)."""
    card_issued: I64
    """Per customer, the day the credit card was issued (-1 without one)."""
    card_balance_fen: I64
    loan_row: I64
    """Per customer, the row of their loan (-1 without one)."""

    @property
    def rows(self) -> int:
        """Number of holdings."""
        return len(self.customer)

    def maturing_within(self, start: int, end: int, customers: int) -> Bool:
        """Per customer: an active holding matures in ``(start, end]``."""
        hit = (self.closed < 0) & (self.maturity > start) & (self.maturity <= end)
        flag = np.zeros(customers, np.bool_)
        flag[self.customer[hit]] = True
        return flag

    def closed_within(self, start: int, end: int, customers: int, category: int) -> Bool:
        """Per customer: a holding of ``category`` closed in ``(start, end]``."""
        hit = (self.closed > start) & (self.closed <= end) & (self.category == category)
        flag = np.zeros(customers, np.bool_)
        flag[self.customer[hit]] = True
        return flag


def _split(total: I64, counts: I64, rng: np.random.Generator) -> I64:
    """Split each total into ``counts`` random parts that add up to it exactly."""
    rows = int(counts.sum())
    if rows == 0:
        return np.zeros(0, np.int64)
    starts = np.cumsum(counts) - counts
    group = np.repeat(np.arange(len(counts)), counts)
    weight = rng.gamma(1.5, 1.0, rows)
    share = weight / np.add.reduceat(weight, starts)[group]
    q = np.floor(share * (1 << _SHARE_BITS)).astype(np.int64)
    parts = (total[group] * q) >> _SHARE_BITS
    parts[starts] += total - np.add.reduceat(parts, starts)
    return np.asarray(parts, np.int64)


def _pick_suitable(
    rng: np.random.Generator, candidates: I64, tier: I64, risk_tolerance: I64
) -> I64:
    """One product per row among ``candidates`` suitable for the customer's risk tolerance
    and tier (uniform among the suitable ones)."""
    suitable = (PRODUCT_RISK[candidates][None, :] <= risk_tolerance[:, None]) & (
        PRODUCT_MIN_TIER[candidates][None, :] <= tier[:, None]
    )
    scores = np.where(suitable, rng.random((len(tier), len(candidates))), -1.0)
    return np.asarray(candidates[np.argmax(scores, axis=1)], np.int64)


def generate_holdings(ctx: BankContext, chunk: CustomerChunk) -> HoldingsChunk:
    """Draw the chunk's holdings from its customers' wealth and product ownership."""
    rng = chunk_rng(ctx.seed, chunk.chunk_index, Stream.HOLDINGS)
    n = chunk.size
    tier, tolerance, cust_opened = chunk.tier, chunk.risk_tolerance, chunk.opened
    as_of = ctx.as_of

    # --- how much in each asset category -------------------------------------------------
    present = np.ones((n, ASSET_CATEGORY_COUNT), np.bool_)
    present[:, 1:] = (rng.random((n, 4)) < _PRESENCE[tier]) & (
        chunk.aum_fen[:, None] >= _MIN_AUM_FOR[None, :]
    )
    present[:, FUND] &= tolerance >= 2  # every fund on the shelf is R2 or riskier
    weight = rng.gamma(_MIX[tier], 1.0) * present
    q = np.floor(weight / weight.sum(axis=1, keepdims=True) * (1 << _SHARE_BITS)).astype(np.int64)
    asset = (chunk.aum_fen[:, None] * q) >> _SHARE_BITS
    asset[:, 1:] = np.where(asset[:, 1:] >= 100_00, asset[:, 1:], 0)  # crumbs stay on deposit
    present[:, 1:] &= asset[:, 1:] > 0
    asset[:, DEPOSIT] = chunk.aum_fen - asset[:, 1:].sum(axis=1)

    parts: list[dict[str, I64]] = []

    # --- asset holdings --------------------------------------------------------------------
    for category in range(ASSET_CATEGORY_COUNT):
        owners = np.flatnonzero(present[:, category])
        extra = rng.poisson(_EXTRA[tier[owners], category])
        counts = 1 + np.minimum(extra, _MAX_PER_CATEGORY[category] - 1)
        customer = np.repeat(owners, counts)
        balance = _split(asset[owners, category], counts, rng)
        t, tol, c_open = tier[customer], tolerance[customer], cust_opened[customer]
        if category == DEPOSIT:
            product = np.full(len(customer), _DEPOSIT_PRODUCT, np.int64)
        elif category == TIME_DEPOSIT:
            product = _TIME_DEPOSITS[choose(rng, _TD_MIX[t])]
            # CD-3Y is for platinum and above; others fall back to the ordinary 3-year term.
            product = np.where(PRODUCT_MIN_TIER[product] > t, PRODUCT_INDEX["TD-3Y"], product)
        else:
            product = _pick_suitable(rng, products_in(CATEGORIES[category]), t, tol)
        term = PRODUCT_TERM[product]
        if category == DEPOSIT:
            opened = c_open.copy()
        else:
            # Term products bought within their term (so still running today); open-ended
            # ones within the last few years.
            lookback = np.where(term > 0, term - 1, np.where(category == INSURANCE, 4380, 1825))
            opened = uniform_days(
                rng, np.maximum(c_open, as_of - lookback), np.full_like(c_open, as_of)
            )
        maturity = np.where(term > 0, opened + term, -1)
        parts.append(
            {
                "customer": customer,
                "product": product,
                "category": np.full(len(customer), category, np.int64),
                "balance": balance,
                "level": balance,
                "opened": opened,
                "maturity": maturity,
                "closed": np.full(len(customer), -1, np.int64),
            }
        )

    # --- term products that matured within the year (money the bank may win back) ---------
    for category, chance in ((TIME_DEPOSIT, 0.25), (WEALTH, 0.20)):
        owners = np.flatnonzero(present[:, category] & (rng.random(n) < chance))
        t, tol = tier[owners], tolerance[owners]
        if category == TIME_DEPOSIT:
            product = _TIME_DEPOSITS[choose(rng, _TD_MIX[t])]
            product = np.where(PRODUCT_MIN_TIER[product] > t, PRODUCT_INDEX["TD-3Y"], product)
        else:
            term_products = products_in("wealth")
            term_products = term_products[PRODUCT_TERM[term_products] > 0]
            product = _pick_suitable(rng, term_products, t, np.maximum(tol, 2))
        term = PRODUCT_TERM[product]
        earliest = np.maximum(ctx.window_start, cust_opened[owners] + term)
        keep = earliest <= as_of
        owners, product, term, earliest = owners[keep], product[keep], term[keep], earliest[keep]
        matured = uniform_days(rng, earliest, np.full_like(earliest, as_of))
        former = np.maximum(
            (asset[owners, category] * rng.uniform(0.3, 1.1, len(owners))).astype(np.int64),
            1_000_00,
        )
        parts.append(
            {
                "customer": owners,
                "product": product,
                "category": np.full(len(owners), category, np.int64),
                "balance": np.zeros(len(owners), np.int64),
                "level": former,
                "opened": matured - term,
                "maturity": matured,
                "closed": matured,
            }
        )

    # --- credit cards (amount owed) --------------------------------------------------------
    holders = np.flatnonzero(chunk.card_level >= 0)
    level = chunk.card_level[holders]
    issued = uniform_days(
        rng, np.maximum(cust_opened[holders], as_of - 8 * 365), np.full(len(holders), as_of - 7)
    )
    issued = np.maximum(issued, cust_opened[holders])
    usual = np.exp(rng.normal(np.log(2_500.0), 0.9, len(holders))) * (2.0**level) * 100
    owed = np.where(
        rng.random(len(holders)) < 0.2, 0.0, usual * rng.lognormal(0, 0.4, len(holders))
    )
    owed_fen = np.round(owed).astype(np.int64)
    card_issued = np.full(n, -1, np.int64)
    card_issued[holders] = issued
    card_balance = np.zeros(n, np.int64)
    card_balance[holders] = owed_fen
    parts.append(
        {
            "customer": holders,
            "product": _CARD_PRODUCTS[level],
            "category": np.full(len(holders), CREDIT_CARD, np.int64),
            "balance": owed_fen,
            "level": np.maximum(owed_fen, np.round(usual).astype(np.int64)),
            "opened": issued,
            "maturity": np.full(len(holders), -1, np.int64),
            "closed": np.full(len(holders), -1, np.int64),
        }
    )

    # --- loans (amount owed), a few paid off early within the year -------------------------
    borrowers = np.flatnonzero(chunk.loan_product >= 0)
    product = chunk.loan_product[borrowers]
    term = PRODUCT_TERM[product]
    c_open = cust_opened[borrowers]
    paid = chunk.loan_paid_off[borrowers]
    median = _LOAN_PRINCIPAL[product]
    tier_factor = np.array([1.0, 1.4, 2.0, 2.6, 3.0])[tier[borrowers]]
    principal = median * tier_factor * rng.lognormal(0.0, 0.5, len(borrowers)) * 100
    # Active loans: opened at least a month ago, at least a month left to run.
    active_open = uniform_days(
        rng, np.maximum(c_open, as_of - term + 31), np.full_like(c_open, as_of - 30)
    )
    paid_on = uniform_days(
        rng, np.maximum(ctx.window_start, c_open + 60), np.full_like(c_open, as_of)
    )
    paid_open = uniform_days(rng, np.maximum(c_open, paid_on - (term * 9) // 10), paid_on - 30)
    opened = np.where(paid, paid_open, active_open)
    maturity = opened + term
    reference = np.where(paid, paid_on, as_of)
    outstanding = np.round(principal * (maturity - reference) / term).astype(np.int64)
    parts.append(
        {
            "customer": borrowers,
            "product": product,
            "category": np.full(len(borrowers), LOAN, np.int64),
            "balance": np.where(paid, 0, outstanding),
            "level": outstanding,
            "opened": opened,
            "maturity": maturity,
            "closed": np.where(paid, paid_on, -1),
        }
    )

    columns = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    # Order by customer, keeping the drawing order within a customer (stable sort).
    order = np.argsort(columns["customer"], kind="stable")
    columns = {key: value[order] for key, value in columns.items()}
    customer = columns["customer"]
    counts = np.bincount(customer, minlength=n)
    first_row = np.cumsum(counts) - counts
    slot = np.arange(len(customer)) - first_row[customer]
    holding_id = (chunk.global_index[customer] + 1) * HOLDING_SLOTS + slot

    loan_row = np.full(n, -1, np.int64)
    is_loan = columns["category"] == LOAN
    loan_row[customer[is_loan]] = np.flatnonzero(is_loan)

    return HoldingsChunk(
        customer=customer,
        holding_id=holding_id,
        product=columns["product"],
        category=columns["category"],
        balance_fen=columns["balance"],
        level_fen=columns["level"],
        opened=columns["opened"],
        maturity=columns["maturity"],
        closed=columns["closed"],
        asset_fen=asset,
        card_issued=card_issued,
        card_balance_fen=card_balance,
        loan_row=loan_row,
    )


def holdings_table(chunk: CustomerChunk, holdings: HoldingsChunk) -> pa.Table:
    """The chunk's rows of ``holdings/``."""
    h = holdings
    is_closed = h.closed >= 0
    return pa.Table.from_arrays(
        [
            pa.array(h.holding_id, pa.int64()),
            take(chunk.number, h.customer),
            labels(PRODUCT_CODES, h.product),
            labels(CATEGORIES, h.category),
            decimal_from_fen(h.balance_fen),
            date_column(h.opened),
            date_column(np.maximum(h.maturity, 0), null=h.maturity < 0),
            labels(("active", "closed"), is_closed.astype(np.int64)),
            date_column(np.maximum(h.closed, 0), null=~is_closed),
        ],
        schema=HOLDINGS,
    )


def loan_payoffs_table(chunk: CustomerChunk, holdings: HoldingsChunk) -> pa.Table:
    """The chunk's early loan payoffs (``loan_payoffs.parquet``)."""
    h = holdings
    rows = np.flatnonzero((h.category == LOAN) & (h.closed >= 0))
    return pa.Table.from_arrays(
        [
            take(chunk.number, h.customer[rows]),
            pa.array(h.holding_id[rows], pa.int64()),
            date_column(h.maturity[rows]),
            date_column(h.closed[rows]),
        ],
        schema=LOAN_PAYOFFS,
    )
