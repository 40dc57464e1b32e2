"""One simulated day: visitors, presentations and their outcomes, purchases."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

import numpy as np
import pyarrow as pa
from sqlalchemy.ext.asyncio import AsyncEngine

from smartbranch.db import create_sessionmaker, unit_of_work
from smartbranch.lake import layout
from smartbranch.marketing.models import OutcomeKind
from smartbranch.marketing.service import record_outcome
from smartbranch.simulation.common import F64, I64, Bool, date_column, day_number, decimal_from_fen
from smartbranch.simulation.lakeappend import StagedPart, stage_part
from smartbranch.simulation.loop.assumptions import (
    DECLINE_REASONS,
    HOME_VISIT_SHARE,
    LATE_PURCHASE_DAYS,
    LATE_PURCHASE_SHARE,
    LOAN_MEDIAN_CNY,
    PRESENTATIONS_PER_VISIT,
    PURCHASE_SHARE,
    SPONTANEOUS_WEEKLY_SHARE,
)
from smartbranch.simulation.loop.serving import RuleInfo, open_leads, presenter, staff_directory
from smartbranch.simulation.loop.summary import LoopSpec
from smartbranch.simulation.loop.world import BankView
from smartbranch.simulation.schema import HOLDINGS, VISITS


class _Stream(IntEnum):
    VISITS = 1
    PRESENT = 2
    PURCHASE = 3
    SPONTANEOUS = 4
    AMOUNTS = 5


@dataclass
class DayResult:
    """One simulated day and the night after it."""

    day: datetime.date
    serving_run: str
    visitors: int = 0
    presented: int = 0
    accepted: int = 0
    declined: int = 0
    not_presentable: int = 0
    """Leads a visitor had that nobody at the outlet may present (no staff in an allowed
    role, or only channels outside the branch)."""
    purchases_accepted: int = 0
    purchases_late: int = 0
    purchases_spontaneous: int = 0
    night_run: str = ""
    leads_published: int = 0
    conversions: int = 0


# --- one day ------------------------------------------------------------------------------


@dataclass
class Purchase:
    """A product one customer buys today."""

    customer: int
    product: str


@dataclass
class LoopState:
    """What the loop remembers from day to day."""

    bank: BankView
    pending: list[tuple[str, str, datetime.date]]
    presented_products: dict[str, Bool] = field(default_factory=dict)
    """Per product, the customers presented a lead for it during this loop."""
    presented_pairs: dict[tuple[str, str], datetime.date] = field(default_factory=dict)
    """(customer number, rule code) → first day presented."""
    presentations: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    """Rule code → [presented, accepted]."""
    serving_by_day: dict[datetime.date, str] = field(default_factory=dict)

    def mark_presented(self, customer: int, product: str) -> None:
        """Remember that ``customer`` was presented a lead for ``product``."""
        if product not in self.presented_products:
            self.presented_products[product] = np.zeros(self.bank.size, np.bool_)
        self.presented_products[product][customer] = True


def _rng(seed: int, day: datetime.date, stream: _Stream) -> np.random.Generator:
    return np.random.default_rng([seed, day_number(day), int(stream)])


def _draw_visitors(
    bank: BankView, day: datetime.date, rng: np.random.Generator
) -> tuple[I64, Bool, pa.Table]:
    """Today's visitors (customer indices), whether each is at their home outlet, and the
    rows for ``visits/``."""
    visitors = np.flatnonzero(rng.random(bank.size) < bank.visit_p)
    away = rng.random(len(visitors)) >= HOME_VISIT_SHARE
    outlet = bank.home_outlet[visitors].copy()
    if len(bank.outlets) > 1 and away.any():
        pick = rng.integers(0, len(bank.outlets), int(away.sum()))
        outlet[away] = np.asarray(bank.outlets, dtype=object)[pick]
    at_home = outlet == bank.home_outlet[visitors]
    rows = pa.Table.from_arrays(
        [
            bank.numbers.take(pa.array(visitors, pa.int64())),
            pa.array(outlet.tolist(), pa.string()),
            date_column(np.full(len(visitors), day_number(day))),
        ],
        schema=VISITS,
    )
    return visitors, np.asarray(at_home, np.bool_), rows


def _spontaneous(
    state: LoopState, rules: dict[str, RuleInfo], rng: np.random.Generator
) -> list[Purchase]:
    """Unprompted purchases of the rules' products by customers never presented them."""
    bank = state.bank
    families: dict[str, set[str]] = defaultdict(set)
    for rule in rules.values():
        families[rule.product_code].add(rule.family)
    purchases: list[Purchase] = []
    for product in sorted(families):
        # A product several families offer: the customer's strongest reason to buy it.
        propensity = np.max([bank.family_column(f) for f in sorted(families[product])], axis=0)
        draw = rng.random(bank.size) < propensity * SPONTANEOUS_WEEKLY_SHARE / 7.0
        draw &= ~bank.holds_product(product)
        if product in state.presented_products:
            draw &= ~state.presented_products[product]
        purchases.extend(Purchase(int(c), product) for c in np.flatnonzero(draw))
    return purchases


def _holdings_rows(
    bank: BankView, day: datetime.date, purchases: list[Purchase], rng: np.random.Generator
) -> pa.Table:
    """New holdings for ``purchases`` (one per customer and product), with fresh ids and
    balances that fit the category and the customer's assets."""
    # A customer buys a product at most once a day; a second holding of a product already
    # held is normal for deposits, wealth and insurance (the analysis does not offer a card
    # to its holder, and unprompted purchases skip holders).
    unique = sorted({(p.customer, p.product) for p in purchases})
    count = len(unique)
    customers = np.array([c for c, _ in unique], np.int64)
    products = [p for _, p in unique]
    categories = [bank.product_category.get(p, "deposit") for p in products]
    balance = np.zeros(count, np.int64)
    for i, (customer, category) in enumerate(zip(customers, categories, strict=True)):
        if category in PURCHASE_SHARE:
            low, high, least = PURCHASE_SHARE[category]
            amount = max(least * 100, int(bank.aum_fen[customer] * rng.uniform(low, high)))
            balance[i] = amount // 10_000 * 10_000  # whole hundreds of yuan
        elif category == "loan":
            principal = LOAN_MEDIAN_CNY * rng.lognormal(0.0, 0.5) * 100
            balance[i] = int(principal) // 1_000_000 * 1_000_000  # whole ten thousands
    today = day_number(day)
    terms = [bank.product_term.get(p) for p in products]
    maturity = np.array([today + (t or 0) for t in terms], np.int64)
    no_maturity = np.array([t is None for t in terms], np.bool_)
    ids = np.arange(bank.next_holding_id, bank.next_holding_id + count, dtype=np.int64)
    bank.next_holding_id += count
    for customer, product, category, fen in zip(
        customers, products, categories, balance, strict=True
    ):
        bank.holds_product(product)[customer] = True
        if category in PURCHASE_SHARE:
            bank.aum_fen[customer] += fen
    return pa.Table.from_arrays(
        [
            pa.array(ids, pa.int64()),
            bank.numbers.take(pa.array(customers, pa.int64())),
            pa.array(products, pa.string()),
            pa.array(categories, pa.string()),
            decimal_from_fen(balance),
            date_column(np.full(count, today)),
            date_column(maturity, null=no_maturity),
            pa.array(["active"] * count, pa.string()),
            date_column(np.zeros(count, np.int64), null=np.ones(count, np.bool_)),
        ],
        schema=HOLDINGS,
    )


async def simulate_day(
    day: datetime.date,
    run_id: str,
    spec: LoopSpec,
    state: LoopState,
    rules: dict[str, RuleInfo],
    database: AsyncEngine,
    lake: Path,
) -> DayResult:
    """Simulate ``day`` with the leads of the serving run ``run_id``: outcomes are committed
    to the serving database, then the day's visits and new holdings are put in the lake."""
    bank = state.bank
    result = DayResult(day=day, serving_run=run_id)
    visitors, at_home, visit_rows = _draw_visitors(bank, day, _rng(spec.seed, day, _Stream.VISITS))
    result.visitors = len(visitors)
    present_rng = _rng(spec.seed, day, _Stream.PRESENT)
    purchase_rng = _rng(spec.seed, day, _Stream.PURCHASE)
    purchases: list[Purchase] = []
    late: list[tuple[str, str, datetime.date]] = []
    reasons = [code for code, _ in DECLINE_REASONS]
    weights = np.array([share for _, share in DECLINE_REASONS])
    opening = datetime.datetime.combine(day, datetime.time(1, 30), tzinfo=datetime.UTC)

    staged: list[StagedPart] = []
    try:
        async with unit_of_work(create_sessionmaker(database)) as session:
            staff = await staff_directory(session)
            leads = await open_leads(session, run_id, bank, visitors[at_home], day)
            for order, customer in enumerate(sorted(leads)):
                # Presented across the opening hours (09:30–17:00 Beijing), in visit order.
                now = opening + datetime.timedelta(seconds=int(order * 27_000 / len(leads)))
                for lead in leads[customer][:PRESENTATIONS_PER_VISIT]:
                    chosen = presenter(lead, staff, present_rng)
                    if chosen is None:
                        result.not_presentable += 1
                        continue
                    staff_id, channel = chosen
                    accept = present_rng.random() < bank.propensity_of(customer, lead.family)
                    reason = None if accept else reasons[_choice(present_rng, weights)]
                    await record_outcome(
                        session,
                        lead_id=lead.lead_id,
                        kind=OutcomeKind.ACCEPTED if accept else OutcomeKind.DECLINED,
                        staff_id=staff_id,
                        outlet_id=lead.home_outlet_id,
                        channel=channel,
                        reason_code=reason,
                        now=now,
                    )
                    number = bank.numbers[customer].as_py()
                    pair = (number, lead.rule_code)
                    state.presented_pairs.setdefault(pair, day)
                    state.mark_presented(customer, lead.product_code)
                    result.presented += 1
                    state.presentations[lead.rule_code][0] += 1
                    if accept:
                        result.accepted += 1
                        state.presentations[lead.rule_code][1] += 1
                        purchases.append(Purchase(customer, lead.product_code))
                    else:
                        result.declined += 1
                        chance = bank.propensity_of(customer, lead.family) * LATE_PURCHASE_SHARE
                        if purchase_rng.random() < chance:
                            due = day + datetime.timedelta(
                                days=int(purchase_rng.integers(1, LATE_PURCHASE_DAYS + 1))
                            )
                            late.append((number, lead.product_code, due))
            result.purchases_accepted = len(purchases)

            due_today = [p for p in state.pending if p[2] <= day]
            state.pending = [p for p in state.pending if p[2] > day] + late
            late_index = bank.index_of([p[0] for p in due_today])
            purchases.extend(
                Purchase(int(c), p[1]) for c, p in zip(late_index, due_today, strict=True) if c >= 0
            )
            result.purchases_late = len(due_today)
            spontaneous = _spontaneous(state, rules, _rng(spec.seed, day, _Stream.SPONTANEOUS))
            result.purchases_spontaneous = len(spontaneous)
            purchases.extend(spontaneous)

            holdings = _holdings_rows(bank, day, purchases, _rng(spec.seed, day, _Stream.AMOUNTS))
            # The day's facts are staged before the outcomes commit and put in place after:
            # the lake never holds a day whose outcomes the serving database lost.
            staged.append(stage_part(lake, layout.VISITS, day, visit_rows))
            staged.append(stage_part(lake, layout.HOLDINGS, day, holdings))
    except BaseException:
        for part in staged:
            part.discard()
        raise
    # Holdings first: a day counts as done once its visits are in place.
    for part in reversed(staged):
        part.commit()
    return result


def _choice(rng: np.random.Generator, weights: F64) -> int:
    return int(np.searchsorted(np.cumsum(weights) / weights.sum(), rng.random(), side="right"))
