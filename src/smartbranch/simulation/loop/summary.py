"""What the loop is given and what it reports, and the measurement of treated against control."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

from smartbranch.analysis.inputs import RUNS_FOLDER
from smartbranch.lake import layout
from smartbranch.simulation.lakeappend import sim_days, sim_part_path

if TYPE_CHECKING:
    from smartbranch.simulation.loop.day import DayResult, LoopState
    from smartbranch.simulation.loop.serving import RuleInfo

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


def measure(summary: LoopSummary, state: LoopState, rules: dict[str, RuleInfo], lake: Path) -> None:
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
