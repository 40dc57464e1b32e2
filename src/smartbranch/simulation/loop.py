"""Closing the loop in the synthetic bank: the days after an analysis run.

``smartbranch simulate loop --days N`` plays N days. Each day ``d`` (starting the day after
the serving run's as-of date):

1. **Visitors.** Each customer visits a branch with a daily probability taken from their
   branch visits in the lake over the past year (at least :data:`MIN_VISITS_PER_YEAR`),
   scaled by ``visit_rate``; :data:`HOME_VISIT_SHARE` of visits are to the home outlet, as
   in the generated history. The visits are appended to ``visits/`` as one new part file.
2. **Presentations.** A visitor at their home outlet who has open leads in the *serving*
   run is presented up to :data:`PRESENTATIONS_PER_VISIT` of them, best rank first, by a
   member of the outlet's staff in a role the lead rule allows (the customer's own account
   manager when the rule allows account managers), on the channel that role works on. Staff
   at another outlet do not see the customer (data scope), so away visits present nothing.
   The customer accepts with the hidden behaviour model's propensity for the rule's family
   (:data:`DEFAULT_PROPENSITY` for a family the model does not know), else declines with a
   reason. Each outcome is recorded through ``marketing.service.record_outcome`` and
   committed, as a member of staff would.
3. **Purchases.** An accepted lead becomes a holding of the lead's product on day ``d``. A
   customer who declined buys it later with probability
   ``propensity × LATE_PURCHASE_SHARE``, on a day within :data:`LATE_PURCHASE_DAYS`
   (scheduled, kept under the simulation folder between runs of the command). Every other
   customer — never presented the product: the control group, customers whose lead was not
   presented, customers no rule selected — buys a rule's product unprompted with a weekly
   probability of ``propensity × SPONTANEOUS_WEEKLY_SHARE``. New holdings are appended to
   ``holdings/`` as one new part file with fresh holding ids.
4. **Night.** The nightly analysis runs as of ``d`` and publishes the run the next day
   serves: it reads the outcomes, detects the purchases as conversions and learns.

These rates are the simulator's assumptions about customers, not knowledge the analysis has:
the analysis sees only the lake and the outcomes (DESIGN §2). The simulator, unlike the
analysis, reads the hidden behaviour model.

At the end the loop measures, from the lake: the runs' control members (``control.parquet``
of each serving run) against their new holdings of the rule's product, and the customers
presented a lead against theirs, over the same rules and windows.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from smartbranch.analysis.inputs import RUNS_FOLDER
from smartbranch.analysis.models import AnalysisRun, RunStatus
from smartbranch.customers.models import Customer
from smartbranch.db import create_engine, create_sessionmaker, unit_of_work
from smartbranch.errors import NotFoundError
from smartbranch.i18n import N_
from smartbranch.lake import layout
from smartbranch.lake.errors import LakeMissingError
from smartbranch.marketing.models import Lead, LeadRule, LeadStatus, OutcomeKind
from smartbranch.orgs.models import OrgKind, OrgUnit, Role, Staff
from smartbranch.settings import Settings
from smartbranch.simulation.bank import HIDDEN_BEHAVIOUR
from smartbranch.simulation.common import (
    F64,
    I64,
    Bool,
    date_column,
    day_number,
    decimal_from_fen,
)
from smartbranch.simulation.lakeappend import (
    StagedPart,
    active_holdings,
    max_holding_id,
    sim_days,
    sim_part_path,
    stage_part,
    visit_counts,
)
from smartbranch.simulation.schema import HOLDINGS, OFFER_FAMILIES, VISITS

# --- the simulator's assumptions ---------------------------------------------------------

PRESENTATIONS_PER_VISIT = 2
"""At most this many leads are presented in one visit (K)."""
DEFAULT_PROPENSITY = 0.03
"""Acceptance probability for a rule family the hidden behaviour model does not know."""
LATE_PURCHASE_SHARE = 0.3
"""A customer who declined buys later with probability ``propensity × LATE_PURCHASE_SHARE``."""
LATE_PURCHASE_DAYS = 30
"""…on a day drawn uniformly from the next ``LATE_PURCHASE_DAYS`` days."""
SPONTANEOUS_WEEKLY_SHARE = 0.05
"""A customer never presented a product buys it unprompted with weekly probability
``propensity × SPONTANEOUS_WEEKLY_SHARE`` (spread evenly over the days)."""
HOME_VISIT_SHARE = 0.88
"""Share of branch visits to the customer's home outlet (as in the generated history)."""
MIN_VISITS_PER_YEAR = 0.5
"""Visit rate of a customer with no visit in the past year."""
VISIT_WINDOW_DAYS = 365
DECLINE_REASONS: tuple[tuple[str, float], ...] = (
    ("not_interested", 0.35),
    ("has_similar", 0.15),
    ("no_funds", 0.12),
    ("return_too_low", 0.08),
    ("risk_concern", 0.07),
    ("no_time", 0.12),
    ("ask_family", 0.08),
    ("other", 0.03),
)
"""Reason codes of a refusal and how often each is given."""
FRONT_LINE_ROLES = (
    Role.ACCOUNT_MANAGER,
    Role.WEALTH_MANAGER,
    Role.LOBBY_MANAGER,
    Role.TELLER,
)
"""Who presents a lead whose rule names no roles."""
_ROLE_CHANNEL: dict[str, str] = {Role.TELLER: "counter", Role.ACCOUNT_MANAGER: "crm"}
"""Where each role presents; the others carry a tablet."""
_IN_BRANCH_CHANNELS = ("tablet", "counter", "crm")

# New holdings: share of the customer's assets put in (low, high) and the least amount, in
# CNY, by category. Cards start owing nothing; a loan's principal is drawn separately.
_PURCHASE_SHARE = {
    "deposit": (0.02, 0.08, 1_000),
    "time_deposit": (0.15, 0.35, 10_000),
    "wealth": (0.15, 0.35, 10_000),
    "fund": (0.05, 0.15, 1_000),
    "insurance": (0.03, 0.10, 5_000),
}
_LOAN_MEDIAN_CNY = 100_000.0
_PENDING_FILE = Path("loop") / "pending.parquet"
_PENDING = pa.schema(
    [
        pa.field("customer_number", pa.string(), nullable=False),
        pa.field("product_code", pa.string(), nullable=False),
        pa.field("due_on", pa.date32(), nullable=False),
    ]
)


class _Stream(IntEnum):
    VISITS = 1
    PRESENT = 2
    PURCHASE = 3
    SPONTANEOUS = 4
    AMOUNTS = 5


class BehaviourModelMissingError(NotFoundError):
    """The simulator needs the generator's hidden behaviour model."""

    code = "behaviour_model_missing"
    message = N_(
        "No hidden behaviour model at {path}: generate the synthetic bank first "
        "(smartbranch generate)."
    )


# --- what the loop is given and what it reports ------------------------------------------


@dataclass(frozen=True)
class LoopSpec:
    """How many days to simulate, and how."""

    days: int
    seed: int = 42
    visit_rate: float = 1.0
    """Multiplies every customer's visit rate."""

    def validate(self) -> None:
        """Raise ``ValueError`` when the spec makes no sense."""
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if self.seed < 0:
            raise ValueError("seed must be a non-negative integer")
        if not 0 < self.visit_rate <= 50:
            raise ValueError("visit rate must be above 0 and at most 50")


class NightResult(Protocol):
    """What the loop needs from a nightly run (``analysis.run.RunSummary`` has it)."""

    run_id: str
    already_published: bool
    leads_published: int
    conversions: int


Nightly = Callable[[datetime.date], Awaitable[NightResult]]
"""Runs the nightly analysis as of a day and publishes it."""
Progress = Callable[[str, int, int], None]


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
    resumed: bool = False
    """The day's facts were in the lake already (an earlier, interrupted loop): only the
    night was run."""
    night_run: str = ""
    leads_published: int = 0
    conversions: int = 0


@dataclass
class RuleFigures:
    """One rule's figures over the loop."""

    presented: int = 0
    accepted: int = 0
    treated_size: int = 0
    """Customers presented the rule's lead (a customer presented twice counts once)."""
    treated_converted: int = 0
    control_size: int = 0
    control_converted: int = 0

    @property
    def success_rate(self) -> float | None:
        """Accepted ÷ presented."""
        return self.accepted / self.presented if self.presented else None

    @property
    def treated_conversion_rate(self) -> float | None:
        """Share of the customers presented the lead who bought the product."""
        return self.treated_converted / self.treated_size if self.treated_size else None

    @property
    def control_conversion_rate(self) -> float | None:
        """Share of the control group who bought the product."""
        return self.control_converted / self.control_size if self.control_size else None


@dataclass
class LoopSummary:
    """What ``simulate loop`` prints."""

    days: int
    first_day: datetime.date
    last_day: datetime.date
    presented: int = 0
    accepted: int = 0
    conversions_detected: int = 0
    treated_size: int = 0
    treated_converted: int = 0
    control_size: int = 0
    control_converted: int = 0
    day_results: list[DayResult] = field(default_factory=list)
    rules: dict[str, RuleFigures] = field(default_factory=dict)

    @property
    def success_rate(self) -> float | None:
        """Leads accepted ÷ leads presented."""
        return self.accepted / self.presented if self.presented else None

    @property
    def treated_conversion_rate(self) -> float | None:
        """Share of (customer, rule) pairs presented whose customer bought the rule's
        product within the rule's attribution window, by the last day."""
        return self.treated_converted / self.treated_size if self.treated_size else None

    @property
    def control_conversion_rate(self) -> float | None:
        """The same for the control group of the same rules, from the day the run that put
        them there was served."""
        return self.control_converted / self.control_size if self.control_size else None

    @property
    def uplift(self) -> float | None:
        """Treated conversion rate ÷ control conversion rate (×)."""
        treated, control = self.treated_conversion_rate, self.control_conversion_rate
        if treated is None or not control:
            return None
        return treated / control

    def as_json(self) -> dict[str, Any]:
        """The figures as one JSON object (``--json``)."""

        def rate(value: float | None) -> float | None:
            return None if value is None else round(value, 6)

        return {
            "days": self.days,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "presented": self.presented,
            "accepted": self.accepted,
            "success_rate": rate(self.success_rate),
            "conversions_detected": self.conversions_detected,
            "treated_size": self.treated_size,
            "treated_conversion_rate": rate(self.treated_conversion_rate),
            "control_size": self.control_size,
            "control_conversion_rate": rate(self.control_conversion_rate),
            "uplift": rate(self.uplift),
            "by_rule": {
                code: {
                    "presented": figures.presented,
                    "accepted": figures.accepted,
                    "success_rate": rate(figures.success_rate),
                    "treated_size": figures.treated_size,
                    "treated_conversion_rate": rate(figures.treated_conversion_rate),
                    "control_size": figures.control_size,
                    "control_conversion_rate": rate(figures.control_conversion_rate),
                }
                for code, figures in sorted(self.rules.items())
            },
            "by_day": [
                {**asdict(result), "day": result.day.isoformat()} for result in self.day_results
            ],
        }


# --- the bank as the simulator sees it ----------------------------------------------------


@dataclass
class _Bank:
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


def _read_bank(lake: Path, simulation: Path, start: datetime.date, visit_rate: float) -> _Bank:
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
    asset = pc.is_in(holdings.column("category"), pa.array(list(_PURCHASE_SHARE))).to_numpy(
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
    return _Bank(
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


# --- the serving side ---------------------------------------------------------------------


@dataclass(frozen=True)
class _ServingLead:
    lead_id: int
    customer: int
    """Index into the bank's customers."""
    rank: int
    rule_code: str
    family: str
    product_code: str
    channels: tuple[str, ...]
    roles: tuple[str, ...]
    home_outlet_id: int
    account_manager_id: int | None


@dataclass(frozen=True)
class _Rule:
    code: str
    family: str
    product_code: str
    attribution_days: int


async def _serving_run(database: AsyncEngine) -> tuple[str, datetime.date] | None:
    async with database.connect() as conn:
        row = (
            await conn.execute(
                select(AnalysisRun.id, AnalysisRun.as_of).where(
                    AnalysisRun.status == RunStatus.PUBLISHED
                )
            )
        ).first()
    return (row[0], row[1]) if row else None


async def _rules(database: AsyncEngine) -> dict[str, _Rule]:
    async with database.connect() as conn:
        rows = await conn.execute(
            select(LeadRule.code, LeadRule.family, LeadRule.product_code, LeadRule.attribution_days)
        )
        return {row[0]: _Rule(*row) for row in rows.all()}


async def _open_leads(
    session: AsyncSession, run_id: str, bank: _Bank, visitors: I64, day: datetime.date
) -> dict[int, list[_ServingLead]]:
    """The serving run's open leads of today's visitors, best rank first."""
    wanted = bank.numbers.take(pa.array(visitors, pa.int64())).to_pylist()
    found: dict[int, list[_ServingLead]] = defaultdict(list)
    chunk = 500  # bound the IN list (SQLite's variable limit, PostgreSQL's plan size)
    for start in range(0, len(wanted), chunk):
        rows = await session.execute(
            select(
                Lead.id,
                Customer.number,
                Lead.rank,
                LeadRule.code,
                LeadRule.family,
                Lead.product_code,
                LeadRule.channels,
                LeadRule.roles,
                Customer.home_outlet_id,
                Customer.account_manager_id,
            )
            .join(Customer, Customer.id == Lead.customer_id)
            .join(LeadRule, LeadRule.id == Lead.rule_id)
            .where(
                Lead.run_id == run_id,
                Lead.status == LeadStatus.OPEN,
                Lead.valid_from <= day,
                Lead.valid_until >= day,
                Customer.number.in_(wanted[start : start + chunk]),
            )
        )
        for lead_id, number, rank, code, family, product, channels, roles, home, am in rows:
            customer = int(bank.index_of([number])[0])
            found[customer].append(
                _ServingLead(
                    lead_id=lead_id,
                    customer=customer,
                    rank=rank,
                    rule_code=code,
                    family=family,
                    product_code=product,
                    channels=tuple(channels or ()),
                    roles=tuple(roles or ()),
                    home_outlet_id=home,
                    account_manager_id=am,
                )
            )
    for leads in found.values():
        leads.sort(key=lambda lead: (lead.rank, lead.lead_id))
    return found


@dataclass(frozen=True)
class _StaffDirectory:
    by_outlet_role: dict[tuple[int, str], list[int]]
    outlet_of_staff: dict[int, int]
    outlet_id: dict[str, int]


async def _staff(session: AsyncSession) -> _StaffDirectory:
    rows = await session.execute(
        select(Staff.id, Staff.role, Staff.org_unit_id).where(Staff.active).order_by(Staff.username)
    )
    by_outlet_role: dict[tuple[int, str], list[int]] = defaultdict(list)
    outlet_of: dict[int, int] = {}
    for staff_id, role, org_id in rows.all():
        by_outlet_role[(org_id, role)].append(staff_id)
        outlet_of[staff_id] = org_id
    outlets = await session.execute(
        select(OrgUnit.code, OrgUnit.id).where(OrgUnit.kind == OrgKind.OUTLET)
    )
    return _StaffDirectory(dict(by_outlet_role), outlet_of, {c: i for c, i in outlets.all()})


def _presenter(
    lead: _ServingLead, staff: _StaffDirectory, rng: np.random.Generator
) -> tuple[int, str] | None:
    """Who presents ``lead`` at the customer's home outlet, and on which channel: the
    customer's own account manager when the rule allows, else someone of the first allowed
    role the outlet has; ``None`` when nobody there may present it in the branch."""
    roles = lead.roles or tuple(FRONT_LINE_ROLES)
    outlet = lead.home_outlet_id
    own = lead.account_manager_id
    if Role.ACCOUNT_MANAGER in roles and own is not None:
        channel = _channel(Role.ACCOUNT_MANAGER, lead.channels)
        if staff.outlet_of_staff.get(own) == outlet and channel is not None:
            return own, channel
    for role in roles:
        members = staff.by_outlet_role.get((outlet, role))
        channel = _channel(role, lead.channels)
        if members and channel is not None:
            return members[int(rng.integers(len(members)))], channel
    return None


def _channel(role: str, allowed: tuple[str, ...]) -> str | None:
    """The channel ``role`` presents on in the branch, among those the rule allows."""
    preferred = _ROLE_CHANNEL.get(role, "tablet")
    if preferred in allowed:
        return preferred
    return next((channel for channel in _IN_BRANCH_CHANNELS if channel in allowed), None)


# --- pending purchases --------------------------------------------------------------------


def _lake_identity(lake: Path) -> str:
    """Which generated lake a pending purchase belongs to (a re-generated lake drops them)."""
    manifest = lake / layout.MANIFEST_FILE
    return hashlib.sha256(manifest.read_bytes()).hexdigest()[:16]


def _read_pending(simulation: Path, lake: Path) -> list[tuple[str, str, datetime.date]]:
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


def _write_pending(
    simulation: Path, lake: Path, pending: list[tuple[str, str, datetime.date]]
) -> None:
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


# --- one day ------------------------------------------------------------------------------


@dataclass
class _Purchase:
    customer: int
    product: str


@dataclass
class _LoopState:
    bank: _Bank
    pending: list[tuple[str, str, datetime.date]]
    presented_products: dict[str, Bool] = field(default_factory=dict)
    """Per product, the customers presented a lead for it during this loop."""
    presented_pairs: dict[tuple[str, str], datetime.date] = field(default_factory=dict)
    """(customer number, rule code) → first day presented."""
    presentations: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    """Rule code → [presented, accepted]."""
    serving_by_day: dict[datetime.date, str] = field(default_factory=dict)

    def mark_presented(self, customer: int, product: str) -> None:
        if product not in self.presented_products:
            self.presented_products[product] = np.zeros(self.bank.size, np.bool_)
        self.presented_products[product][customer] = True


def _rng(seed: int, day: datetime.date, stream: _Stream) -> np.random.Generator:
    return np.random.default_rng([seed, day_number(day), int(stream)])


def _draw_visitors(
    bank: _Bank, day: datetime.date, rng: np.random.Generator
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
    state: _LoopState, rules: dict[str, _Rule], rng: np.random.Generator
) -> list[_Purchase]:
    """Unprompted purchases of the rules' products by customers never presented them."""
    bank = state.bank
    families: dict[str, set[str]] = defaultdict(set)
    for rule in rules.values():
        families[rule.product_code].add(rule.family)
    purchases: list[_Purchase] = []
    for product in sorted(families):
        # A product several families offer: the customer's strongest reason to buy it.
        propensity = np.max([bank.family_column(f) for f in sorted(families[product])], axis=0)
        draw = rng.random(bank.size) < propensity * SPONTANEOUS_WEEKLY_SHARE / 7.0
        draw &= ~bank.holds_product(product)
        if product in state.presented_products:
            draw &= ~state.presented_products[product]
        purchases.extend(_Purchase(int(c), product) for c in np.flatnonzero(draw))
    return purchases


def _holdings_rows(
    bank: _Bank, day: datetime.date, purchases: list[_Purchase], rng: np.random.Generator
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
        if category in _PURCHASE_SHARE:
            low, high, least = _PURCHASE_SHARE[category]
            amount = max(least * 100, int(bank.aum_fen[customer] * rng.uniform(low, high)))
            balance[i] = amount // 10_000 * 10_000  # whole hundreds of yuan
        elif category == "loan":
            principal = _LOAN_MEDIAN_CNY * rng.lognormal(0.0, 0.5) * 100
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
        if category in _PURCHASE_SHARE:
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


async def _simulate_day(
    day: datetime.date,
    run_id: str,
    spec: LoopSpec,
    state: _LoopState,
    rules: dict[str, _Rule],
    database: AsyncEngine,
    lake: Path,
) -> DayResult:
    from smartbranch.marketing.service import record_outcome

    bank = state.bank
    result = DayResult(day=day, serving_run=run_id)
    visitors, at_home, visit_rows = _draw_visitors(bank, day, _rng(spec.seed, day, _Stream.VISITS))
    result.visitors = len(visitors)
    present_rng = _rng(spec.seed, day, _Stream.PRESENT)
    purchase_rng = _rng(spec.seed, day, _Stream.PURCHASE)
    purchases: list[_Purchase] = []
    late: list[tuple[str, str, datetime.date]] = []
    reasons = [code for code, _ in DECLINE_REASONS]
    weights = np.array([share for _, share in DECLINE_REASONS])
    opening = datetime.datetime.combine(day, datetime.time(1, 30), tzinfo=datetime.UTC)

    staged: list[StagedPart] = []
    try:
        async with unit_of_work(create_sessionmaker(database)) as session:
            staff = await _staff(session)
            leads = await _open_leads(session, run_id, bank, visitors[at_home], day)
            for order, customer in enumerate(sorted(leads)):
                # Presented across the opening hours (09:30–17:00 Beijing), in visit order.
                now = opening + datetime.timedelta(seconds=int(order * 27_000 / len(leads)))
                for lead in leads[customer][:PRESENTATIONS_PER_VISIT]:
                    presenter = _presenter(lead, staff, present_rng)
                    if presenter is None:
                        result.not_presentable += 1
                        continue
                    staff_id, channel = presenter
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
                    number = str(bank.numbers[customer])
                    pair = (number, lead.rule_code)
                    state.presented_pairs.setdefault(pair, day)
                    state.mark_presented(customer, lead.product_code)
                    result.presented += 1
                    state.presentations[lead.rule_code][0] += 1
                    if accept:
                        result.accepted += 1
                        state.presentations[lead.rule_code][1] += 1
                        purchases.append(_Purchase(customer, lead.product_code))
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
                _Purchase(int(c), p[1])
                for c, p in zip(late_index, due_today, strict=True)
                if c >= 0
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


# --- the loop -----------------------------------------------------------------------------


def _manifest_as_of(lake: Path) -> datetime.date:
    manifest = json.loads((lake / layout.MANIFEST_FILE).read_text(encoding="utf-8"))
    return datetime.date.fromisoformat(manifest["as_of"])


def _last_fact_day(lake: Path) -> datetime.date:
    """The last day the lake has facts for: the generated history or a simulated day."""
    days = sim_days(lake, layout.VISITS)
    return max([_manifest_as_of(lake), *days])


async def simulate_loop(
    settings: Settings,
    spec: LoopSpec,
    *,
    database: AsyncEngine | None = None,
    nightly: Nightly | None = None,
    progress: Progress | None = None,
) -> LoopSummary:
    """Simulate ``spec.days`` days after the serving run, each followed by a nightly run.

    ``database`` is the serving database (default: the one ``settings`` names); ``nightly``
    runs the analysis as of a day (default: ``analysis.run.run_analysis``). When no run
    serves yet, or the serving run is older than the lake's last day of facts (an earlier
    loop was interrupted after a day), the night of that last day is run first.
    """
    spec.validate()
    lake = settings.resolved_lake_path
    simulation = settings.resolved_simulation_path
    if not (lake / layout.MANIFEST_FILE).is_file():
        raise LakeMissingError(N_("No lake found at {path}."), path=str(lake))
    if not (simulation / HIDDEN_BEHAVIOUR).is_file():
        raise BehaviourModelMissingError(path=str(simulation / HIDDEN_BEHAVIOUR))
    report = progress or (lambda stage, done, total: None)
    own_database = database is None
    database = database or create_engine(settings)
    if nightly is None:
        nightly = _default_nightly(settings, database)
    try:
        rules = await _rules(database)
        nights: list[NightResult] = []
        last = _last_fact_day(lake)
        serving = await _serving_run(database)
        if serving is None or serving[1] < last:
            nights.append(await nightly(last))
            serving = await _serving_run(database)
        if serving is None:  # pragma: no cover - a night always leaves a run serving
            raise RuntimeError("the nightly run left no run serving")
        first = max(serving[1], last) + datetime.timedelta(days=1)
        state = _LoopState(
            bank=_read_bank(lake, simulation, first, spec.visit_rate),
            pending=[p for p in _read_pending(simulation, lake) if p[2] >= first],
        )
        summary = LoopSummary(
            days=spec.days,
            first_day=first,
            last_day=first + datetime.timedelta(days=spec.days - 1),
        )
        report("days", 0, spec.days)
        for offset in range(spec.days):
            day = first + datetime.timedelta(days=offset)
            run_id = serving[0]
            state.serving_by_day[day] = run_id
            day_result = await _simulate_day(day, run_id, spec, state, rules, database, lake)
            _write_pending(simulation, lake, state.pending)
            night = await nightly(day)
            nights.append(night)
            day_result.night_run = night.run_id
            day_result.leads_published = night.leads_published
            day_result.conversions = night.conversions
            summary.day_results.append(day_result)
            serving = await _serving_run(database)
            if serving is None:  # pragma: no cover - a night always leaves a run serving
                raise RuntimeError("the nightly run left no run serving")
            report("days", offset + 1, spec.days)
        summary.conversions_detected = sum(night.conversions for night in nights)
        summary.presented = sum(r.presented for r in summary.day_results)
        summary.accepted = sum(r.accepted for r in summary.day_results)
        _measure(summary, state, rules, lake)
        return summary
    finally:
        if own_database:
            await database.dispose()


def _default_nightly(settings: Settings, database: AsyncEngine) -> Nightly:
    async def night(day: datetime.date) -> NightResult:
        from smartbranch.analysis.run import run_analysis

        return await run_analysis(settings, as_of=day, database=database)

    return night


# --- measuring ----------------------------------------------------------------------------


def _new_holdings(
    lake: Path, first: datetime.date, last: datetime.date
) -> dict[tuple[str, str], list[datetime.date]]:
    """(customer, product) → the days new holdings were opened in ``[first, last]``,
    read back from the lake's simulated parts."""
    opened: dict[tuple[str, str], list[datetime.date]] = defaultdict(list)
    for day in sim_days(lake, layout.HOLDINGS):
        if not first <= day <= last:
            continue
        table = pq.read_table(
            sim_part_path(lake, layout.HOLDINGS, day),
            columns=["customer_number", "product_code", "opened_on"],
        )
        for number, product, on in zip(
            table.column("customer_number").to_pylist(),
            table.column("product_code").to_pylist(),
            table.column("opened_on").to_pylist(),
            strict=True,
        ):
            opened[(number, product)].append(on)
    return opened


def _control_pairs(
    lake: Path, serving_by_day: dict[datetime.date, str]
) -> dict[tuple[str, str], datetime.date]:
    """(customer, rule) of the serving runs' control groups → the first day served."""
    first_seen: dict[tuple[str, str], datetime.date] = {}
    for day, run_id in sorted(serving_by_day.items()):
        path = lake / RUNS_FOLDER / run_id / "control.parquet"
        if not path.exists():
            continue
        table = pq.read_table(path, columns=["customer_number", "rule_code"])
        for pair in zip(
            table.column("customer_number").to_pylist(),
            table.column("rule_code").to_pylist(),
            strict=True,
        ):
            first_seen.setdefault(pair, day)
    return first_seen


def _measure(summary: LoopSummary, state: _LoopState, rules: dict[str, _Rule], lake: Path) -> None:
    """Treated and control conversion over the same rules, from the lake."""
    opened = _new_holdings(lake, summary.first_day, summary.last_day)

    def converted(number: str, rule_code: str, since: datetime.date) -> bool:
        rule = rules[rule_code]
        until = min(summary.last_day, since + datetime.timedelta(days=rule.attribution_days))
        days = opened.get((number, rule.product_code), ())
        return any(since <= on <= until for on in days)

    figures: dict[str, RuleFigures] = defaultdict(RuleFigures)
    for code, (presented, accepted) in state.presentations.items():
        figures[code].presented = presented
        figures[code].accepted = accepted
    for (number, code), since in state.presented_pairs.items():
        figures[code].treated_size += 1
        figures[code].treated_converted += converted(number, code, since)
    treated_rules = set(figures)
    for (number, code), since in _control_pairs(lake, state.serving_by_day).items():
        if code not in treated_rules or (number, code) in state.presented_pairs:
            continue
        figures[code].control_size += 1
        figures[code].control_converted += converted(number, code, since)
    summary.rules = dict(figures)
    summary.treated_size = sum(f.treated_size for f in figures.values())
    summary.treated_converted = sum(f.treated_converted for f in figures.values())
    summary.control_size = sum(f.control_size for f in figures.values())
    summary.control_converted = sum(f.control_converted for f in figures.values())
