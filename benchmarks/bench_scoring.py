"""Benchmark: the scoring and arbitration steps of the nightly run, in memory (no database).

Times, once each on synthetic data: ``control_draw`` for 1M customers, ``held_back`` and
``arbitrate`` for 2M candidates (1M customers × 20 rules, a 500k-outcome history), training
one rule's propensity model on 20k presented leads, and ``predict`` on 1M rows of
catalog-like features. Prints seconds; asserts nothing.

    .venv/bin/python benchmarks/bench_scoring.py [--customers 1000000] [--candidates 2000000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

import numpy as np
import pyarrow as pa

from smartbranch.analysis.arbitration import arbitrate, control_draw, held_back
from smartbranch.analysis.scoring import train_propensity

T = TypeVar("T")
RULES = 20
AS_OF = date(2026, 3, 31)
TIERS = np.array(["standard", "gold", "platinum", "diamond", "private"])
SEGMENTS = np.array(["young_starter", "family_builder", "wealth_accumulator", "senior"])


@dataclass(frozen=True)
class Policy:
    code: str
    cooldown_days: int = 30
    max_presentations: int = 3


def timed(label: str, step: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = step()
    print(f"{label:<48} {time.perf_counter() - started:7.2f} s")
    return result


def features(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """About a third of the catalog's width: money, counts, flags and two text features."""
    columns: dict[str, np.ndarray] = {
        "age": rng.integers(18, 90, n),
        "tenure_years": rng.integers(0, 30, n),
        "tier": TIERS[rng.integers(0, 5, n)],
        "segment": SEGMENTS[rng.integers(0, 4, n)],
        "is_payroll": rng.random(n) < 0.3,
        "has_credit_card": rng.random(n) < 0.5,
        "credit_card_level": rng.integers(0, 5, n),
    }
    for name in ("aum", "aum_avg_3m", "balance_deposit", "balance_wealth", "card_spend_3m"):
        columns[name] = rng.lognormal(10, 1.5, n).round(2)
    for name in ("product_count", "visits_12m", "digital_txn_3m", "counter_txn_3m"):
        columns[name] = rng.poisson(5, n)
    return columns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--candidates", type=int, default=2_000_000)
    parser.add_argument("--history", type=int, default=500_000)
    parser.add_argument("--training", type=int, default=20_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    customers = pa.array([f"62{i:010d}" for i in range(args.customers)])
    timed(f"control_draw, {args.customers:,} customers", lambda: control_draw(customers, "C26"))

    rules = [f"R{i:02d}" for i in range(RULES)]
    who = customers.take(pa.array(rng.integers(0, args.customers, args.candidates)))
    which = pa.array(np.array(rules)[rng.integers(0, RULES, args.candidates)])
    candidates = pa.table(
        {
            "customer_number": who,
            "rule_code": which,
            "propensity": rng.random(args.candidates),
            "value": rng.integers(50, 5000, args.candidates).astype(np.float64),
            "weight": np.ones(args.candidates),
        }
    )
    past = rng.integers(0, args.candidates, args.history)
    history = pa.table(
        {
            "customer_number": who.take(pa.array(past)),
            "rule_code": which.take(pa.array(past)),
            "kind": np.array(["declined", "deferred", "accepted"])[
                rng.integers(0, 3, args.history)
            ],
            "recorded_on": pa.array(
                [AS_OF - timedelta(days=int(d)) for d in rng.integers(0, 120, args.history)]
            ),
        }
    )
    policies = [Policy(code) for code in rules]
    held = timed(
        f"held_back, {args.candidates:,} candidates",
        lambda: held_back(candidates, history, policies, AS_OF),
    )
    print(f"{'':<48} {held.mean():7.1%} held back")
    leads = timed(
        f"arbitrate, {args.candidates:,} candidates, top 3",
        lambda: arbitrate(candidates, max_per_customer=3),
    )
    print(f"{'':<48} {leads.num_rows:,} leads")

    training_columns = features(args.training, rng)
    logit = -2 + 1.5 * training_columns["is_payroll"] - 0.03 * (training_columns["age"] - 50)
    labels = (rng.random(args.training) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    training = pa.table({**training_columns, "rule_code": ["R00"] * args.training, "label": labels})
    models = timed(
        f"train_propensity, {args.training:,} presented leads",
        lambda: train_propensity(training, priors={"R00": 0.05}),
    )
    summary = models.describe()[0]
    print(f"{'':<48} {summary.method}, holdout AUC {summary.holdout_auc:.3f}")
    scoring = pa.table(features(args.customers, rng))
    timed(f"predict, {args.customers:,} rows", lambda: models.predict("R00", scoring))


if __name__ == "__main__":
    main()
