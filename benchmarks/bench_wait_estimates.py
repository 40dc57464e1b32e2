"""Benchmark (b) of the queueing issue: how accurate is the wait printed on a ticket?

Over 30 simulated outlet-days (by default three outlets of a small synthetic bank, ten
weekdays each, with different arrival profiles and floors), every ticket is issued and
served through the real queue service by the branch-day simulator. For each customer
called, the wait printed on the ticket is compared with the wait that followed (issue to
first call):

- ours: the calling policy run forward over the queue and the open counters, with handling
  times learned per service and hour (``queueing.estimates.estimate_wait``);
- naive: people ahead × mean service time ÷ open counters.

Prints the mean absolute error (MAE) of both, side by side, per outlet and overall, and
the reduction. Target: our MAE at least 30% lower than the naive one. Also prints the
share called within the target and the double calls (must be 0).

The bank is generated and loaded once into ``var/bench/wait`` (SQLite); the days run on
scratch copies of each outlet.

    .venv/bin/python benchmarks/bench_wait_estimates.py [--outlets 3] [--days 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from _common import BENCH_VAR, BIN, run_measured

from smartbranch.db import create_engine, create_sessionmaker
from smartbranch.settings import Settings
from smartbranch.simulation.branchday import (
    DaySpec,
    Population,
    SimulationReport,
    load_population,
    simulate,
)

WAIT_VAR = BENCH_VAR / "wait"
#: (arrival profile, counters) per outlet, in turn: a quiet outlet, a usual one, a busy one.
FLOORS = [("standard", 4), ("busy", 5), ("payday", 5), ("quiet", 3)]


def _env() -> dict[str, str]:
    return {"SMARTBRANCH_VAR_DIR": str(WAIT_VAR), "SMARTBRANCH_LOG_LEVEL": "WARNING"}


def _bank(outlets: int) -> None:
    if (WAIT_VAR / "lake" / "_manifest.json").exists():
        return
    WAIT_VAR.mkdir(parents=True, exist_ok=True)
    smartbranch = str(BIN / "smartbranch")
    for args in (
        [smartbranch, "generate", "--customers", "3000", "--outlets", str(outlets), "--seed", "7"],
        [smartbranch, "load"],
    ):
        measured = run_measured(args, env=_env())
        if measured.returncode != 0:
            raise SystemExit(f"{' '.join(args[1:])} failed")


async def _populations(count: int) -> list[Population]:
    settings = Settings(var_dir=WAIT_VAR)
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            from sqlalchemy import select

            from smartbranch.orgs.models import OrgKind, OrgUnit

            codes = list(
                await session.scalars(
                    select(OrgUnit.code)
                    .where(OrgUnit.kind == OrgKind.OUTLET)
                    .order_by(OrgUnit.code)
                    .limit(count)
                )
            )
            return [await load_population(session, code) for code in codes]
    finally:
        await engine.dispose()


def _mae(report: SimulationReport) -> tuple[float, float, int]:
    ours, naive = report.eta_errors()
    called = sum(1 for o in report.outcomes if o.wait_minutes is not None)
    return ours or 0.0, naive or 0.0, called


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--outlets", type=int, default=3)
    parser.add_argument("--days", type=int, default=10, help="days per outlet")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    _bank(max(args.outlets, 3))
    populations = asyncio.run(_populations(args.outlets))
    print(
        f"wait-estimate accuracy over {len(populations) * args.days} outlet-days "
        f"({len(populations)} outlets x {args.days} weekdays)\n"
    )
    header = (
        f"{'outlet':<10}{'profile':<10}{'counters':>8}{'tickets':>9}{'called':>8}"
        f"{'MAE ours':>10}{'MAE naive':>11}{'reduction':>11}{'in target':>11}{'double':>8}"
    )
    print(header)
    print("-" * len(header))
    reports: list[SimulationReport] = []
    started = time.perf_counter()
    for i, population in enumerate(populations):
        profile, counters = FLOORS[i % len(FLOORS)]
        spec = DaySpec(counters=counters, profile=profile, seed=args.seed + i)
        report = simulate(population, spec, days=args.days, what_if=False)
        reports.append(report)
        ours, naive, called = _mae(report)
        data = report.as_json()
        print(
            f"{population.outlet_code:<10}{profile:<10}{counters:>8}{data['tickets']:>9}"
            f"{called:>8}{ours:>10.2f}{naive:>11.2f}{1 - ours / naive:>11.1%}"
            f"{data['share_within_target']:>11.1%}{data['double_calls']:>8}"
        )
    outcomes = [(o, w) for r in reports for o in r.outcomes if (w := o.wait_minutes) is not None]
    ours_errors = [abs(o.eta_minutes - w) for o, w in outcomes]
    naive_errors = [abs(o.naive_eta_minutes - w) for o, w in outcomes]
    ours_mae = statistics.fmean(ours_errors)
    naive_mae = statistics.fmean(naive_errors)
    print("-" * len(header))
    print(
        f"{'all':<10}{'':<10}{'':>8}{sum(len(r.outcomes) for r in reports):>9}"
        f"{len(outcomes):>8}{ours_mae:>10.2f}{naive_mae:>11.2f}{1 - ours_mae / naive_mae:>11.1%}"
        f"{'':>11}{sum(r.as_json()['double_calls'] for r in reports):>8}"
    )
    print()
    print(
        f"median absolute error: ours {statistics.median(ours_errors):.2f} min, "
        f"naive {statistics.median(naive_errors):.2f} min"
    )
    for name, group in (
        ("wait under 10 min", [(o, w) for o, w in outcomes if w < 10.0]),
        ("wait 10 min or more", [(o, w) for o, w in outcomes if w >= 10.0]),
    ):
        if group:
            print(
                f"{name:<22} n={len(group):>5}  MAE ours "
                f"{statistics.fmean(abs(o.eta_minutes - w) for o, w in group):.2f}, naive "
                f"{statistics.fmean(abs(o.naive_eta_minutes - w) for o, w in group):.2f}"
            )
    reduction = 1 - ours_mae / naive_mae
    print(
        f"\nMAE reduction {reduction:.1%} (target at least 30%): "
        f"{'met' if reduction >= 0.30 else 'NOT met'}"
    )
    print(f"simulated in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
