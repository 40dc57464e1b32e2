"""Customers: who they are, how wealthy, and which products they hold (one chunk at a time).

Wealth comes first: a customer's position in a heavy-tailed wealth distribution decides the
tier, and age, risk appetite and product ownership follow from it, as they do in a real book.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from faker.providers.person.zh_CN import Provider as ChinesePersonProvider

from smartbranch.simulation.common import (
    F64,
    I64,
    TIER_THRESHOLDS_FEN,
    Bool,
    Stream,
    affine_permutation,
    choose,
    chunk_rng,
    cumulative,
    date_column,
    day_number,
    from_day_number,
    labels,
    master_rng,
    years_before,
)
from smartbranch.simulation.context import BankContext
from smartbranch.simulation.orgs import ACCOUNT_MANAGERS_PER_OUTLET, ALL_CITIES
from smartbranch.simulation.products import PRODUCT_INDEX
from smartbranch.simulation.schema import CUSTOMERS

# Target shares of customers by tier (by current AUM): standard, gold, platinum, diamond,
# private. The wealth distribution below is built on them, so they hold by construction.
TIER_SHARES = (0.80, 0.15, 0.04, 0.008, 0.002)
_TIER_CUMULATIVE = np.cumsum(TIER_SHARES)[:-1]

# Pareto tail exponents inside gold, platinum, diamond and above the private threshold:
# most of a tier sits near its lower bound, as in any wealth distribution.
_PARETO_ALPHA = (1.1, 1.3, 1.4, 1.6)
_PRIVATE_CAP_FEN = 2_000_000_000_00  # two billion CNY: keeps sums far from int64 limits

# Age (18 + 68 * Beta(a, b)) by tier: wealth comes with age.
_AGE_BETA = ((1.8, 2.6), (2.4, 2.4), (3.0, 2.5), (3.2, 2.6), (3.2, 2.8))
MIN_AGE, MAX_AGE = 18, 85

MOBILE_PREFIXES = np.array(
    [130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 153, 155, 156, 157,
     158, 159, 180, 181, 182, 183, 185, 186, 187, 188, 189, 191, 193, 195, 198, 199],
    np.int64,
)  # fmt: skip

OUT_OF_TOWN_SHARE = 0.15
CUSTOMER_NUMBER_MODULUS = 10**10
_CUSTOMER_NUMBER_MULTIPLIER = 7_394_812_637  # coprime with 10**10

LOAN_PRODUCTS = np.array(
    [PRODUCT_INDEX[c] for c in ("LN-MORTGAGE-20Y", "LN-MORTGAGE-30Y", "LN-CONSUMER", "LN-CAR",
                                "LN-BUSINESS")],
    np.int64,
)  # fmt: skip
_LOAN_MIX = cumulative(np.array([0.17, 0.28, 0.30, 0.12, 0.13]))

# Credit card level by tier: classic, gold, platinum, diamond.
_CARD_LEVEL_BY_TIER = cumulative(
    np.array(
        [
            [0.72, 0.26, 0.02, 0.00],
            [0.30, 0.52, 0.17, 0.01],
            [0.05, 0.35, 0.52, 0.08],
            [0.00, 0.10, 0.55, 0.35],
            [0.00, 0.02, 0.38, 0.60],
        ]
    )
)


@dataclass(frozen=True)
class NamePools:
    """Surnames (weighted) and given names from Faker's zh_CN person provider, read once."""

    surnames: pa.Array
    surname_cumulative: F64
    given: pa.Array
    """Male given names, then female ones, then an empty string (no second character)."""
    male: I64
    female: I64
    """Indices into ``given`` of the male and female names."""
    male_single: I64
    female_single: I64
    """Indices of the one-character names, which can be doubled up (``建`` + ``华``)."""
    single_char: Bool


def name_pools() -> NamePools:
    """Take the name pools from Faker once; sampling them with numpy is what makes a million
    names cheap (calling Faker per customer is not)."""
    surnames = list(ChinesePersonProvider.last_names.keys())
    weights = np.array(list(ChinesePersonProvider.last_names.values()), np.float64)
    male = list(ChinesePersonProvider.first_names_male)
    female = list(ChinesePersonProvider.first_names_female)
    given = [*male, *female, ""]
    single = np.array([len(g) == 1 for g in given], np.bool_)
    male_index = np.arange(len(male), dtype=np.int64)
    female_index = np.arange(len(male), len(male) + len(female), dtype=np.int64)
    return NamePools(
        surnames=pa.array(surnames, pa.string()),
        surname_cumulative=cumulative(weights),
        given=pa.array(given, pa.string()),
        male=male_index,
        female=female_index,
        male_single=male_index[single[male_index]],
        female_single=female_index[single[female_index]],
        single_char=single,
    )


@dataclass(frozen=True)
class CustomerChunk:
    """One chunk of customers: identity, wealth and what they hold (no history yet)."""

    chunk_index: int
    global_index: I64
    number: pa.Array
    name: pa.Array
    tier: I64
    aum_fen: I64
    """Target assets under management, split across asset holdings by ``holdings``."""
    male: Bool
    birth: I64
    age: I64
    outlet: I64
    home_city: I64
    region: I64
    """Six-digit region code of the resident ID (from the home city)."""
    risk_tolerance: I64
    opened: I64
    account_manager: I64
    """Index into ``OrgTree.account_managers``, -1 when the customer has none."""
    debit_cards: I64
    card_level: I64
    """Credit card level (0 classic … 3 diamond), -1 without a credit card."""
    passbook: Bool
    loan_product: I64
    """Shelf index of the customer's loan, -1 without one."""
    loan_paid_off: Bool
    """The loan was paid off early within the history window."""
    employer: I64
    """Index into ``Employers``, -1 for customers without payroll."""

    @property
    def size(self) -> int:
        """Number of customers in the chunk."""
        return len(self.global_index)


def _draw_aum(rng: np.random.Generator, tier: I64) -> I64:
    """Assets under management in fen: a lognormal body under the gold threshold and
    truncated Pareto pieces above it, each tier holding exactly its target share."""
    aum = np.zeros(len(tier), np.float64)
    standard = np.flatnonzero(tier == 0)
    pending = standard
    while len(pending):
        # Lognormal body, median 6,000 CNY; draws at or above the gold line are redrawn.
        draw = np.exp(rng.normal(np.log(6_000.0), 1.7, len(pending)))
        ok = (draw < 49_999.0) & (draw >= 1.0)
        aum[pending[ok]] = draw[ok]
        pending = pending[~ok]
    bounds = [*(t / 100 for t in TIER_THRESHOLDS_FEN.tolist()), float(_PRIVATE_CAP_FEN / 100)]
    for t in range(1, 5):
        rows = np.flatnonzero(tier == t)
        low, high, alpha = bounds[t - 1], bounds[t], _PARETO_ALPHA[t - 1]
        v = rng.random(len(rows))
        # Inverse CDF of a Pareto(alpha) truncated to [low, high).
        x = low * (1.0 - v * (1.0 - (low / high) ** alpha)) ** (-1.0 / alpha)
        aum[rows] = np.clip(x, low, high - 1.0)
    return np.asarray(np.round(aum * 100.0), np.int64)


def _birth_bounds(as_of: datetime.date) -> tuple[I64, I64]:
    """Per age 0…MAX_AGE, the first and last birth day numbers giving that age on as_of."""
    last = [day_number(years_before(as_of, a)) for a in range(MAX_AGE + 2)]
    first = [last[a + 1] + 1 for a in range(MAX_AGE + 1)]
    return np.array(first, np.int64), np.array(last[: MAX_AGE + 1], np.int64)


def _regions() -> tuple[I64, I64, I64]:
    """Region codes of all districts flattened, with each city's offset and count."""
    flat: list[int] = []
    offsets: list[int] = []
    for city in ALL_CITIES:
        offsets.append(len(flat))
        flat.extend(int(d.region) for d in city.districts)
    counts = [len(c.districts) for c in ALL_CITIES]
    return np.array(flat, np.int64), np.array(offsets, np.int64), np.array(counts, np.int64)


_REGION_CODES, _REGION_OFFSET, _REGION_COUNT = _regions()


def customer_number_offset(seed: int) -> int:
    """The seed's shift of the customer-number permutation."""
    return int(master_rng(seed, Stream.CUSTOMERS).integers(0, CUSTOMER_NUMBER_MODULUS))


def customer_numbers(global_index: I64, offset: int) -> pa.Array:
    """``C`` + ten digits, a permutation of the customer index (unique by construction)."""
    values = affine_permutation(
        global_index, _CUSTOMER_NUMBER_MULTIPLIER, offset, CUSTOMER_NUMBER_MODULUS
    )
    digits = pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), 10, "0")
    return pc.binary_join_element_wise(pa.scalar("C"), digits, "")


def generate_customers(
    ctx: BankContext,
    pools: NamePools,
    number_offset: int,
    chunk_index: int,
    start: int,
    stop: int,
) -> CustomerChunk:
    """Draw customers ``start``…``stop - 1`` (global indices) of the bank."""
    rng = chunk_rng(ctx.seed, chunk_index, Stream.CUSTOMERS)
    n = stop - start
    index = np.arange(start, stop, dtype=np.int64)

    tier = np.searchsorted(_TIER_CUMULATIVE, rng.random(n), side="right").astype(np.int64)
    aum_fen = _draw_aum(rng, tier)

    alpha = np.array([_AGE_BETA[t][0] for t in range(5)])[tier]
    beta = np.array([_AGE_BETA[t][1] for t in range(5)])[tier]
    age = np.minimum(
        MIN_AGE + np.floor(rng.beta(alpha, beta) * (MAX_AGE - MIN_AGE + 1)), MAX_AGE
    ).astype(np.int64)
    first, last = _birth_bounds(from_day_number(ctx.as_of))
    birth = first[age] + np.floor(rng.random(n) * (last[age] - first[age] + 1)).astype(np.int64)
    male = rng.random(n) < 0.49

    surname = choose(rng, pools.surname_cumulative, index)
    given_first = np.where(
        male,
        pools.male[rng.integers(0, len(pools.male), n)],
        pools.female[rng.integers(0, len(pools.female), n)],
    )
    # About 45 % of one-character given names get a second character.
    second = np.where(
        male,
        pools.male_single[rng.integers(0, len(pools.male_single), n)],
        pools.female_single[rng.integers(0, len(pools.female_single), n)],
    )
    empty = len(pools.single_char) - 1
    second = np.where((rng.random(n) < 0.45) & pools.single_char[given_first], second, empty)
    name = pc.binary_join_element_wise(
        pools.surnames.take(pa.array(surname)),
        pools.given.take(pa.array(given_first)),
        pools.given.take(pa.array(second)),
        "",
    )

    outlet = choose(rng, ctx.org.outlet_cumulative, index)
    outlet_city = ctx.org.outlet_city[outlet]
    out_of_town = rng.random(n) < OUT_OF_TOWN_SHARE
    other = rng.integers(0, len(ALL_CITIES) - 1, n)
    other = other + (other >= outlet_city)  # any city but the outlet's own
    home_city = np.where(out_of_town, other, outlet_city)
    district = np.floor(rng.random(n) * _REGION_COUNT[home_city]).astype(np.int64)
    # Locals often live in the outlet's own district.
    near = ~out_of_town & (rng.random(n) < 0.5)
    district = np.where(near, ctx.org.outlet_district[outlet], district)
    region = _REGION_CODES[_REGION_OFFSET[home_city] + district]

    wealth = np.log10(np.maximum(aum_fen, 1000_00) / 50_000_00)
    latent = 2.4 + 0.55 * wealth - 0.025 * (age - 45) + rng.normal(0.0, 0.85, n)
    risk_tolerance = np.clip(np.rint(latent), 1, 5).astype(np.int64)

    # A customer since 0–20 years, and at the earliest on their 18th birthday.
    adult_days = ctx.as_of - birth - 6576
    span = np.minimum(20 * 365, adult_days)
    opened = ctx.as_of - np.floor(rng.random(n) * (span + 1)).astype(np.int64)

    u = rng.random(n)
    managed = (tier >= 2) | ((tier == 1) & (u < 0.40)) | ((tier == 0) & (u < 0.05))
    manager = outlet * ACCOUNT_MANAGERS_PER_OUTLET + rng.integers(0, ACCOUNT_MANAGERS_PER_OUTLET, n)
    account_manager = np.where(managed, manager, -1)

    profile = chunk_rng(ctx.seed, chunk_index, Stream.PROFILE)
    debit_cards = 1 + (profile.random(n) < 0.35).astype(np.int64)
    age_factor = np.where(age < 25, 0.8, np.where(age <= 60, 1.15, 0.45))
    card_p = np.array([0.28, 0.46, 0.60, 0.65, 0.65])[tier] * age_factor
    has_card = profile.random(n) < card_p
    level = choose(profile, _CARD_LEVEL_BY_TIER[tier])
    card_level = np.where(has_card, level, -1)
    passbook = profile.random(n) < np.where(age >= 55, 0.22, 0.05)

    loan_p = np.where((age >= 25) & (age <= 55), 0.21, 0.07)
    has_loan = (profile.random(n) < loan_p) & (opened <= ctx.as_of - 90)
    loan_kind = choose(profile, _LOAN_MIX, index)
    loan_product = np.where(has_loan, LOAN_PRODUCTS[loan_kind], -1)
    loan_paid_off = has_loan & (profile.random(n) < 0.03) & (opened <= ctx.as_of - 400)

    working = (age >= 22) & (age <= 60)
    payroll = profile.random(n) < np.where(working, 0.25, 0.03)
    employers = ctx.employers
    employer = employers.first_of_city[outlet_city] + choose(profile, employers.cumulative, index)
    employer = np.where(payroll, employer, -1)

    return CustomerChunk(
        chunk_index=chunk_index,
        global_index=index,
        number=customer_numbers(index, number_offset),
        name=name,
        tier=tier,
        aum_fen=aum_fen,
        male=male,
        birth=birth,
        age=age,
        outlet=outlet,
        home_city=home_city,
        region=region,
        risk_tolerance=risk_tolerance,
        opened=opened,
        account_manager=account_manager,
        debit_cards=debit_cards,
        card_level=card_level,
        passbook=passbook,
        loan_product=loan_product,
        loan_paid_off=loan_paid_off,
        employer=employer,
    )


def _phones(rng: np.random.Generator, n: int) -> pa.Array:
    prefix = MOBILE_PREFIXES[rng.integers(0, len(MOBILE_PREFIXES), n)]
    number = prefix * 10**8 + rng.integers(0, 10**8, n)
    return pc.cast(pa.array(number), pa.string())


def customers_table(ctx: BankContext, chunk: CustomerChunk) -> pa.Table:
    """The chunk's rows of ``customers/``."""
    rng = chunk_rng(ctx.seed, chunk.chunk_index, Stream.PHONES)
    outlets = pa.array(list(ctx.org.outlet_codes), pa.string())
    cities = pa.array([c.name for c in ALL_CITIES], pa.string())
    managers = pa.array(list(ctx.org.account_managers), pa.string())
    has_manager = chunk.account_manager >= 0
    manager = managers.take(
        pa.array(np.where(has_manager, chunk.account_manager, 0), mask=~has_manager)
    )
    return pa.Table.from_arrays(
        [
            chunk.number,
            chunk.name,
            labels(("F", "M"), chunk.male.astype(np.int64)),
            date_column(chunk.birth),
            _phones(rng, chunk.size),
            outlets.take(pa.array(chunk.outlet)),
            cities.take(pa.array(chunk.home_city)),
            manager,
            pa.array(chunk.risk_tolerance.astype(np.int16), pa.int16()),
            date_column(chunk.opened),
        ],
        schema=CUSTOMERS,
    )
