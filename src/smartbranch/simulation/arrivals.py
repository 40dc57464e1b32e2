"""Who walks into an outlet, when, for what, and how long they take at the counter.

The branch-day simulator draws its customers from here:

- **Arrivals** follow a non-homogeneous Poisson process over the opening hours. Its rate
  has the shape retail outlets report: a slow first hour, a peak over the lunch break
  (office workers, 11:30–13:30) and a second, sharper peak after work before closing.
  Profiles scale and reshape it (``quiet``, ``standard``, ``busy``, ``payday``).
- **Services** are chosen with a mix that depends on the tier: wealthy customers come for
  wealth management more often, standard customers for cash.
- **Service times** are log-normal per service (right-skewed, never negative), with the
  means and spreads of a typical Chinese retail outlet.
- **Patience**: a few customers leave before they are called, more the longer they wait,
  and are then not there when their number comes up (a no-show).

Everything is drawn from one seeded :class:`numpy.random.Generator`, so a seed gives the
same day.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time

import numpy as np

SERVICE_CODES = ("cash", "non_cash", "wealth", "credit_card", "corporate")

#: Opening hours of the simulated outlet (local time).
OPENS = time(9, 0)
CLOSES = time(17, 0)


@dataclass(frozen=True, slots=True)
class ArrivalProfile:
    """A day's arrival pattern: visits expected over the day and the relative rate of each
    half hour from opening (the shape is normalised, so only ratios matter)."""

    name: str
    visits_per_day: float
    half_hour_shape: tuple[float, ...]

    def rates_per_minute(self) -> list[float]:
        """Expected arrivals per minute in each half hour of the day."""
        total = sum(self.half_hour_shape)
        return [self.visits_per_day * s / total / 30.0 for s in self.half_hour_shape]


# Sixteen half hours, 9:00 to 17:00: a slow start, the lunch peak (11:30–13:30) and the
# after-work peak (16:00–17:00).
_WEEKDAY_SHAPE = (
    0.7,
    0.9,
    1.0,
    1.0,
    1.1,
    1.5,
    1.9,
    1.9,
    1.6,
    1.1,
    0.9,
    0.9,
    1.0,
    1.2,
    1.7,
    1.9,
)
# Payday (代发日): the lunch and after-work peaks are higher, queues for cash longer.
_PAYDAY_SHAPE = (
    0.8,
    1.0,
    1.1,
    1.2,
    1.3,
    1.9,
    2.4,
    2.4,
    1.9,
    1.3,
    1.1,
    1.1,
    1.2,
    1.5,
    2.3,
    2.5,
)

PROFILES: dict[str, ArrivalProfile] = {
    "quiet": ArrivalProfile("quiet", 110.0, _WEEKDAY_SHAPE),
    "standard": ArrivalProfile("standard", 190.0, _WEEKDAY_SHAPE),
    "busy": ArrivalProfile("busy", 260.0, _WEEKDAY_SHAPE),
    "payday": ArrivalProfile("payday", 300.0, _PAYDAY_SHAPE),
}
DEFAULT_PROFILE = "standard"


class UnknownProfileError(ValueError):
    """An arrival profile name that is not in :data:`PROFILES`."""


def profile_named(name: str) -> ArrivalProfile:
    """The arrival profile called ``name``."""
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownProfileError(
            f"unknown arrival profile {name!r}; choose one of {', '.join(PROFILES)}"
        ) from None


@dataclass(frozen=True, slots=True)
class ServiceTimeModel:
    """Log-normal handling time of one service, in minutes."""

    mean_minutes: float
    cv: float
    """Coefficient of variation (standard deviation ÷ mean)."""
    floor_minutes: float = 0.75

    def draw(self, rng: np.random.Generator) -> float:
        """One handling time in minutes."""
        sigma2 = math.log(1.0 + self.cv**2)
        mu = math.log(self.mean_minutes) - sigma2 / 2.0
        return max(self.floor_minutes, float(rng.lognormal(mu, math.sqrt(sigma2))))


SERVICE_TIMES: dict[str, ServiceTimeModel] = {
    "cash": ServiceTimeModel(4.5, 0.55),
    "non_cash": ServiceTimeModel(8.0, 0.6),
    "wealth": ServiceTimeModel(14.0, 0.5),
    "credit_card": ServiceTimeModel(11.0, 0.5),
    "corporate": ServiceTimeModel(13.0, 0.6),
}

# What each tier comes for, in SERVICE_CODES order (rows sum to 1).
_SERVICE_MIX: dict[str, tuple[float, ...]] = {
    "standard": (0.46, 0.30, 0.05, 0.11, 0.08),
    "gold": (0.36, 0.30, 0.17, 0.11, 0.06),
    "platinum": (0.27, 0.27, 0.31, 0.10, 0.05),
    "diamond": (0.20, 0.24, 0.42, 0.09, 0.05),
    "private": (0.15, 0.20, 0.52, 0.08, 0.05),
}

#: Minutes a customer waits before thinking of leaving, by tier (high tiers are called
#: sooner, so this mostly bites standard customers at the peaks).
_PATIENCE_MINUTES = {
    "standard": 40.0,
    "gold": 45.0,
    "platinum": 50.0,
    "diamond": 55.0,
    "private": 60.0,
}

#: Share of customers who step out and miss their call whatever the wait.
_ABSENT_SHARE = 0.02


@dataclass(frozen=True, slots=True)
class Arrival:
    """One customer's visit as drawn: when, who, for what, how long, how patient."""

    minute: float
    """Minutes after opening."""
    customer_index: int
    """Index into the population the arrival was drawn from (-1: anonymous)."""
    tier: str
    service: str
    service_minutes: float
    patience_minutes: float
    """How long this customer waits before leaving (inf: never leaves)."""


@dataclass(frozen=True, slots=True)
class Visitor:
    """A customer who may visit: their database id (None: walks in unidentified) and tier."""

    customer_id: int | None
    tier: str


def open_minutes() -> float:
    """Minutes the outlet is open."""
    return float((CLOSES.hour * 60 + CLOSES.minute) - (OPENS.hour * 60 + OPENS.minute))


def draw_arrival_minutes(profile: ArrivalProfile, rng: np.random.Generator) -> list[float]:
    """Arrival times (minutes after opening) of one day, by thinning a Poisson process."""
    rates = profile.rates_per_minute()
    peak = max(rates)
    day = open_minutes()
    minutes: list[float] = []
    t = 0.0
    while True:
        t += float(rng.exponential(1.0 / peak))
        if t >= day:
            return minutes
        slot = min(int(t // 30), len(rates) - 1)
        if rng.random() < rates[slot] / peak:
            minutes.append(t)


def draw_service(tier: str, rng: np.random.Generator) -> str:
    """The service a customer of ``tier`` comes for."""
    mix = _SERVICE_MIX.get(tier, _SERVICE_MIX["standard"])
    return SERVICE_CODES[int(rng.choice(len(SERVICE_CODES), p=mix))]


def draw_patience(tier: str, rng: np.random.Generator) -> float:
    """Minutes before this customer gives up (exponential around the tier's patience)."""
    if rng.random() < _ABSENT_SHARE:
        return 0.0  # steps out at once and is not there when called
    base = _PATIENCE_MINUTES.get(tier, _PATIENCE_MINUTES["standard"])
    # Most people wait it out; a long tail leaves early.
    return base + float(rng.exponential(base))


def draw_day(
    profile: ArrivalProfile,
    population: Sequence[Visitor],
    rng: np.random.Generator,
    *,
    anonymous_share: float = 0.15,
) -> list[Arrival]:
    """A day of arrivals: times from the profile, customers from ``population`` (some walk
    in without identifying themselves and are served as standard customers)."""
    arrivals: list[Arrival] = []
    for minute in draw_arrival_minutes(profile, rng):
        if population and rng.random() >= anonymous_share:
            index = int(rng.integers(len(population)))
            tier = population[index].tier
        else:
            index, tier = -1, "standard"
        service = draw_service(tier, rng)
        arrivals.append(
            Arrival(
                minute=minute,
                customer_index=index,
                tier=tier,
                service=service,
                service_minutes=SERVICE_TIMES[service].draw(rng),
                patience_minutes=draw_patience(tier, rng),
            )
        )
    return arrivals
