"""Twelve months of history: month-end balances, transactions, payroll and branch visits."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from smartbranch.simulation.common import (
    ASSET_CATEGORY_COUNT,
    CATEGORIES,
    CREDIT_CARD,
    F64,
    I64,
    LOAN,
    Stream,
    chunk_rng,
    cumulative,
    date_column,
    decimal_from_fen,
    labels,
    take,
    uniform_days,
)
from smartbranch.simulation.context import HISTORY_MONTHS, BankContext
from smartbranch.simulation.customers import CustomerChunk
from smartbranch.simulation.holdings import HoldingsChunk
from smartbranch.simulation.schema import BALANCES_MONTHLY, PAYROLL, TRANSACTIONS, VISITS

CHANNELS = ("counter", "atm", "online", "mobile", "pos")
COUNTER, ATM, ONLINE, MOBILE, POS = range(5)
TRANSACTION_KINDS = (
    "deposit",
    "withdrawal",
    "transfer_in",
    "transfer_out",
    "card_spend",
    "payroll",
    "repayment",
)
DEPOSIT_TX, WITHDRAWAL, TRANSFER_IN, TRANSFER_OUT, CARD_SPEND, PAYROLL_TX, REPAYMENT = range(7)

# Channel mix (%: counter, atm, online, mobile, pos) by transaction kind and age band
# (under 30, 30–44, 45–59, 60 and over): older customers come to the counter, younger ones
# use the phone; cash goes through the counter or a machine.
_CHANNEL_PERCENT = {
    "deposit": [[15, 80, 0, 5, 0], [20, 75, 0, 5, 0], [35, 63, 0, 2, 0], [60, 40, 0, 0, 0]],
    "withdrawal": [[8, 86, 0, 6, 0], [10, 84, 0, 6, 0], [22, 75, 0, 3, 0], [45, 54, 0, 1, 0]],
    "transfer_in": [[3, 0, 17, 80, 0], [5, 0, 25, 70, 0], [15, 0, 35, 50, 0], [40, 0, 30, 30, 0]],
    "transfer_out": [[3, 0, 17, 80, 0], [6, 0, 25, 69, 0], [18, 0, 32, 50, 0], [45, 0, 25, 30, 0]],
    "card_spend": [[0, 0, 20, 30, 50], [0, 0, 20, 22, 58], [0, 0, 15, 12, 73], [0, 0, 8, 5, 87]],
    "payroll": [[0, 0, 100, 0, 0]] * 4,  # salaries arrive by electronic batch
    "repayment": [[2, 0, 28, 70, 0], [4, 0, 36, 60, 0], [10, 0, 45, 45, 0], [30, 0, 45, 25, 0]],
}
_CHANNEL_MIX = cumulative(np.array([_CHANNEL_PERCENT[k] for k in TRANSACTION_KINDS], np.float64))
# Everyday transactions: deposit, withdrawal, transfer in, transfer out.
_EVERYDAY_MIX = cumulative(np.array([0.20, 0.30, 0.20, 0.30]))
_EVERYDAY_MEDIAN_CNY = np.array([800.0, 600.0, 2_000.0, 1_500.0])
# Month-to-month noise of each asset category's balance: deposits move, insurance does not.
_BALANCE_NOISE = np.array([0.12, 0.02, 0.04, 0.08, 0.01])
_TIER_PAY = np.array([1.0, 1.6, 2.5, 3.5, 4.5])


def _age_band(age: I64) -> I64:
    return np.asarray(np.searchsorted(np.array([30, 45, 60]), age, side="right"), np.int64)


def _active_days(ctx: BankContext, since: I64) -> tuple[I64, F64]:
    """First day of the window the customer was with us, and the share of the year."""
    start = np.maximum(since, ctx.window_start)
    return start, (ctx.as_of - start + 1) / 365.0


# --- month-end balances ------------------------------------------------------------------


def balances_table(ctx: BankContext, chunk: CustomerChunk, holdings: HoldingsChunk) -> pa.Table:
    """Month-end balance per customer, category and month (the last month is today)."""
    rng = chunk_rng(ctx.seed, chunk.chunk_index, Stream.BALANCES)
    n, h = chunk.size, holdings
    months = HISTORY_MONTHS
    past = months - 1  # months before the current one
    ends = ctx.month_ends[:past]

    # A trend per customer and category (a drift of a few percent a month, either way) and
    # noise per month: the three-month average differs from today's balance.
    drift = rng.normal(0.004, 0.012, (n, ASSET_CATEGORY_COUNT))
    steps = np.arange(past, 0, -1, dtype=np.float64)  # months back from now: 11 … 1
    noise = (
        rng.lognormal(0.0, 1.0, (n, ASSET_CATEGORY_COUNT, past)) ** _BALANCE_NOISE[None, :, None]
    )
    factor = np.exp(-drift[:, :, None] * steps[None, None, :]) * noise

    alive = (h.opened[:, None] <= ends[None, :]) & (
        (h.closed[:, None] < 0) | (h.closed[:, None] > ends[None, :])
    )
    level = h.level_fen.astype(np.float64)[:, None]
    is_asset = h.category < ASSET_CATEGORY_COUNT
    active = h.closed < 0
    value = np.repeat(level, past, axis=1)
    asset_rows = np.flatnonzero(is_asset & active)
    value[asset_rows] *= factor[h.customer[asset_rows], h.category[asset_rows]]
    cards = np.flatnonzero(h.category == CREDIT_CARD)
    value[cards] *= rng.lognormal(-0.125, 0.5, (len(cards), past))
    loans = np.flatnonzero(h.category == LOAN)
    # Loans amortise: more was owed in earlier months.
    reference = np.where(h.closed[loans] >= 0, h.closed[loans], ctx.as_of)
    remaining = (h.maturity[loans][:, None] - ends[None, :]) / np.maximum(
        h.maturity[loans] - reference, 1
    )[:, None]
    value[loans] *= np.clip(remaining, 0.0, None)
    value = np.where(alive, np.round(value), 0.0)
    value = np.concatenate([value, h.balance_fen.astype(np.float64)[:, None]], axis=1)

    key = h.customer * len(CATEGORIES) + h.category
    pairs = np.unique(key)
    slot = np.searchsorted(pairs, key)
    # Sums of whole fen stay exact in float64 far beyond any balance here.
    totals = np.stack(
        [np.bincount(slot, weights=value[:, m], minlength=len(pairs)) for m in range(months)],
        axis=1,
    ).astype(np.int64)

    customer = np.repeat(pairs // len(CATEGORIES), months)
    category = np.repeat(pairs % len(CATEGORIES), months)
    month = np.tile(ctx.month_starts, len(pairs))
    return pa.Table.from_arrays(
        [
            take(chunk.number, customer),
            date_column(month),
            labels(CATEGORIES, category),
            decimal_from_fen(totals.ravel()),
        ],
        schema=BALANCES_MONTHLY,
    )


# --- payroll -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Payroll:
    """Payroll customers of the chunk (代发工资)."""

    customer: I64
    employer: I64
    monthly_fen: I64
    since: I64


def generate_payroll(ctx: BankContext, chunk: CustomerChunk) -> Payroll:
    """Salary, employer and start date of each payroll customer."""
    rng = chunk_rng(ctx.seed, chunk.chunk_index, Stream.PAYROLL)
    customer = np.flatnonzero(chunk.employer >= 0)
    k = len(customer)
    tier = chunk.tier[customer]
    monthly = np.exp(rng.normal(np.log(7_000.0), 0.45, k)) * _TIER_PAY[tier]
    opened = chunk.opened[customer]
    # About one in seven payroll relationships started within the year (new payroll).
    recent = (rng.random(k) < 0.15) | (opened > ctx.as_of - 365)
    since = np.where(
        recent,
        uniform_days(rng, np.maximum(opened, ctx.window_start), np.full(k, ctx.as_of - 15)),
        uniform_days(rng, opened, np.full(k, ctx.as_of - 365)),
    )
    return Payroll(
        customer=customer,
        employer=chunk.employer[customer],
        monthly_fen=np.round(monthly * 100).astype(np.int64),
        since=np.asarray(since, np.int64),
    )


def payroll_table(ctx: BankContext, chunk: CustomerChunk, payroll: Payroll) -> pa.Table:
    """The chunk's rows of ``payroll.parquet``."""
    return pa.Table.from_arrays(
        [
            take(chunk.number, payroll.customer),
            labels(ctx.employers.codes, payroll.employer),
            labels(ctx.employers.names, payroll.employer),
            decimal_from_fen(payroll.monthly_fen),
            date_column(payroll.since),
        ],
        schema=PAYROLL,
    )


# --- transactions ------------------------------------------------------------------------


@dataclass(frozen=True)
class TransactionStats:
    """What the behaviour model reads off a chunk's transactions."""

    card_spend_count: I64
    counter_count: I64


def _monthly(ctx: BankContext, day_of_month: I64, first: I64, last: I64) -> tuple[I64, I64]:
    """For each of some owners, one row per month on ``day_of_month`` within
    ``[first, last]``: returns the owner's position and the day of each row."""
    day = ctx.month_starts[None, :] + np.minimum(day_of_month, 28)[:, None] - 1
    ok = (day >= first[:, None]) & (day <= last[:, None])
    rows, _ = np.nonzero(ok)
    return np.asarray(rows, np.int64), np.asarray(day[ok], np.int64)


def transactions_table(
    ctx: BankContext, chunk: CustomerChunk, holdings: HoldingsChunk, payroll: Payroll
) -> tuple[pa.Table, TransactionStats]:
    """About three transactions per customer and month, by channel and kind."""
    rng = chunk_rng(ctx.seed, chunk.chunk_index, Stream.TRANSACTIONS)
    n, as_of = chunk.size, ctx.as_of
    start, share = _active_days(ctx, chunk.opened)
    scale = np.clip((np.maximum(chunk.aum_fen, 1) / 20_000_00) ** 0.35, 0.3, 20.0)

    customers: list[I64] = []
    days: list[I64] = []
    kinds: list[I64] = []
    amounts: list[F64] = []

    # Everyday deposits, withdrawals and transfers; the young transact more.
    activity = rng.lognormal(-0.18, 0.6, n) * np.where(
        chunk.age < 40, 1.25, np.where(chunk.age < 60, 1.0, 0.75)
    )
    count = rng.poisson(1.55 * activity * 12 * share)
    who = np.repeat(np.arange(n), count)
    kind = np.asarray(choose_kind(rng, len(who)), np.int64)
    customers.append(who)
    days.append(uniform_days(rng, start[who], np.full(len(who), as_of)))
    kinds.append(kind)
    amounts.append(rng.lognormal(np.log(_EVERYDAY_MEDIAN_CNY[kind] * scale[who]), 0.9) * 100)

    # Payroll credits on the employer's payday each month.
    row, day = _monthly(
        ctx,
        ctx.employers.payday[payroll.employer],
        payroll.since,
        np.full(len(payroll.customer), as_of),
    )
    who = payroll.customer[row]
    base = payroll.monthly_fen[row].astype(np.float64)
    customers.append(who)
    days.append(day)
    kinds.append(np.full(len(who), PAYROLL_TX, np.int64))
    amounts.append(
        base * np.where(rng.random(len(who)) < 0.85, 1.0, rng.uniform(0.9, 1.6, len(who)))
    )

    # Credit card spending, and the monthly repayment of the card bill.
    holders = np.flatnonzero(chunk.card_level >= 0)
    card_start, card_share = _active_days(ctx, holdings.card_issued[holders])
    spend = rng.poisson(rng.gamma(2.0, 1.5, len(holders)) * 12 * card_share)
    who = np.repeat(holders, spend)
    customers.append(who)
    days.append(
        uniform_days(
            rng, card_start[np.repeat(np.arange(len(holders)), spend)], np.full(len(who), as_of)
        )
    )
    kinds.append(np.full(len(who), CARD_SPEND, np.int64))
    amounts.append(rng.lognormal(np.log(150.0 * 2.0 ** chunk.card_level[who]), 1.0) * 100)
    spend_count = np.bincount(who, minlength=n)

    row, day = _monthly(ctx, np.full(len(holders), 20), card_start, np.full(len(holders), as_of))
    who = holders[row]
    pays = rng.random(len(who)) < 0.8
    who, day = who[pays], day[pays]
    customers.append(who)
    days.append(day)
    kinds.append(np.full(len(who), REPAYMENT, np.int64))
    amounts.append(rng.lognormal(np.log(1_500.0 * 2.0 ** chunk.card_level[who]), 0.8) * 100)

    # Loan instalments until the loan ends or is paid off.
    borrowers = np.flatnonzero(holdings.loan_row >= 0)
    rows = holdings.loan_row[borrowers]
    closed = holdings.closed[rows]
    last = np.where(closed >= 0, closed, as_of)
    instalment = holdings.level_fen[rows] * 30.0 / np.maximum(holdings.maturity[rows] - last, 30)
    due = 1 + (holdings.opened[rows] - ctx.month_starts[0]) % 28
    who_row, day = _monthly(ctx, due, holdings.opened[rows] + 1, last)
    customers.append(borrowers[who_row])
    days.append(day)
    kinds.append(np.full(len(who_row), REPAYMENT, np.int64))
    amounts.append(instalment[who_row])

    customer = np.concatenate(customers)
    booked = np.concatenate(days)
    kind = np.concatenate(kinds)
    fen = np.maximum(np.round(np.concatenate(amounts)), 100).astype(np.int64)

    band = _age_band(chunk.age)[customer]
    channel = (rng.random(len(customer))[:, None] >= _CHANNEL_MIX[kind, band][:, :-1]).sum(axis=1)
    # Cash at a machine comes in hundreds.
    cash = (channel == ATM) & ((kind == DEPOSIT_TX) | (kind == WITHDRAWAL))
    fen = np.where(cash, np.maximum(np.round(fen / 10_000) * 10_000, 10_000).astype(np.int64), fen)

    order = np.lexsort((booked, customer))
    customer, booked, kind, channel, fen = (
        customer[order], booked[order], kind[order], channel[order], fen[order]
    )  # fmt: skip
    table = pa.Table.from_arrays(
        [
            take(chunk.number, customer),
            date_column(booked),
            labels(CHANNELS, channel),
            labels(TRANSACTION_KINDS, kind),
            decimal_from_fen(fen),
        ],
        schema=TRANSACTIONS,
    )
    counter = np.bincount(customer[channel == COUNTER], minlength=n)
    return table, TransactionStats(card_spend_count=spend_count, counter_count=counter)


def choose_kind(rng: np.random.Generator, count: int) -> I64:
    """Kinds of everyday transactions (deposit, withdrawal, transfer in or out)."""
    u = rng.random(count)
    return np.asarray(np.searchsorted(_EVERYDAY_MIX, u, side="right"), np.int64).clip(0, 3)


# --- branch visits -----------------------------------------------------------------------


def visits_table(ctx: BankContext, chunk: CustomerChunk) -> pa.Table:
    """A few branch visits per customer a year, more for older and wealthier customers;
    mostly to the home outlet."""
    rng = chunk_rng(ctx.seed, chunk.chunk_index, Stream.VISITS)
    n = chunk.size
    start, share = _active_days(ctx, chunk.opened)
    rate = 1.0 + 0.08 * (chunk.age - 18) + 0.5 * chunk.tier
    count = rng.poisson(rate * share)
    who = np.repeat(np.arange(n), count)
    day = uniform_days(rng, start[who], np.full(len(who), ctx.as_of))
    outlets = len(ctx.org.outlet_codes)
    outlet = np.where(
        rng.random(len(who)) < 0.88, chunk.outlet[who], rng.integers(0, outlets, len(who))
    )
    order = np.lexsort((day, who))
    who, day, outlet = who[order], day[order], outlet[order]
    return pa.Table.from_arrays(
        [
            take(chunk.number, who),
            labels(ctx.org.outlet_codes, outlet),
            date_column(day),
        ],
        schema=VISITS,
    )
