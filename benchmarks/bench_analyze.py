"""Benchmark of the analysis issue: a full ``smartbranch analyze`` over the bench bank.

Needs the bench bank (``benchmarks/bench_generate_load.py --customers 1000000`` first: the
lake under var/bench and the PostgreSQL database smartbranch_bench). Prints, in one run:

1. the floor: the bare per-customer feature aggregation query alone on DuckDB;
2. the full run on DuckDB, published to PostgreSQL: wall time and peak memory of the whole
   command (its process tree) and per stage, leads published per second, and the ratio to
   the floor;
3. the same run on Spark (``local[2]``), time only;
4. ``smartbranch scoring backtest`` on a synthetic outcome history: the run's leads, each
   accepted or declined by the synthetic bank's hidden behaviour model.

Targets (issue 3): whole run under 2 minutes and 4 GiB, within 10x the floor.

    .venv/bin/python benchmarks/bench_analyze.py [--skip-spark]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from _common import BENCH_VAR, BIN, PG_BENCH_URL, ROOT, bench_env, gib, run_measured

FLOOR = """
import sys, time, json
from datetime import date
from pathlib import Path
from smartbranch.analysis.engines import open_engine
from smartbranch.analysis.features import run_feature_floor
lake = Path(sys.argv[1]); as_of = date.fromisoformat(sys.argv[2])
with open_engine("duckdb", lake_path=lake) as engine:
    engine.register_lake()
    started = time.perf_counter()
    rows = run_feature_floor(engine, as_of)
    print(json.dumps({"seconds": time.perf_counter() - started, "rows": rows}))
"""


def _analyze(engine: str, as_of: date, env: dict[str, str]) -> tuple[dict[str, object], float, int]:
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    command = [
        str(BIN / "smartbranch"),
        "analyze",
        "--engine",
        engine,
        "--as-of",
        as_of.isoformat(),
        "--json",
    ]
    # run_measured inherits stdout; capture the JSON through a shell redirect instead.
    measured = run_measured(["bash", "-c", " ".join(command) + f" > {out}"], env)
    if measured.returncode != 0:
        raise SystemExit(f"analyze on {engine} failed ({measured.returncode})")
    summary = json.loads(out.read_text())
    out.unlink()
    return summary, measured.seconds, measured.peak_rss_bytes


def _stages(summary: dict[str, object]) -> None:
    for stage in summary["stages"]:  # type: ignore[attr-defined]
        print(
            f"    {stage['name']:<12} {stage['seconds']:8.2f} s   "
            f"peak {stage['peak_rss_mib'] / 1024:5.2f} GiB   {stage['rows']:>12,} rows"
        )


def _synthetic_history(lake: Path, run_id: str, hidden: Path, seed: int = 7) -> Path:
    """The run's leads with the customer's features, accepted (1) or declined (0) as the
    hidden behaviour model's propensity for the rule's offer family draws it."""
    folder = lake / "analysis" / "runs" / run_id
    leads = pq.read_table(folder / "leads.parquet", columns=["customer_number", "rule_code"])
    features = pq.read_table(folder / "features.parquet")
    behaviour = pq.read_table(hidden)
    rules = json.loads(
        subprocess.run(
            [
                str(BIN / "python"),
                "-c",
                "import json; from smartbranch.marketing.library import DEFAULT_RULES;"
                "print(json.dumps({r.code: r.family for r in DEFAULT_RULES}))",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    sample = leads.take(
        np.random.default_rng(seed).choice(leads.num_rows, min(100_000, leads.num_rows), False)
    )
    joined = sample.join(features, "customer_number").join(behaviour, "customer_number")
    families = [rules[code] for code in joined["rule_code"].to_pylist()]
    p = np.array(
        [
            joined[family][i].as_py() if family in joined.column_names else 0.05
            for i, family in enumerate(families)
        ]
    )
    label = np.random.default_rng(seed + 1).random(len(p)) < p
    keep = [c for c in features.column_names if c != "customer_number"]
    history = joined.select(["rule_code", *keep]).append_column(
        "accepted", pa.array(np.where(label, "yes", "no"))
    )
    path = BENCH_VAR / "synthetic-outcomes.csv"
    pacsv.write_csv(history, path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-spark", action="store_true")
    args = parser.parse_args()
    lake = BENCH_VAR / "lake"
    if not (lake / "_manifest.json").exists():
        raise SystemExit("no bench bank: run benchmarks/bench_generate_load.py first")
    as_of = date.fromisoformat(json.loads((lake / "_manifest.json").read_text())["as_of"])
    env = bench_env()
    customers = json.loads((lake / "_manifest.json").read_text())["spec"]["customers"]
    print(f"analysis of {customers:,} customers, lake {lake}, serving {PG_BENCH_URL}")

    install = subprocess.run(
        [str(BIN / "smartbranch"), "rules", "install-defaults"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if install.returncode:
        raise SystemExit(install.stderr)

    floor_run = subprocess.run(
        [str(BIN / "python"), "-c", FLOOR, str(lake), as_of.isoformat()],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    floor = json.loads(floor_run.stdout.strip().splitlines()[-1])
    print(f"  floor: bare feature aggregation on DuckDB  {floor['seconds']:8.2f} s")

    # The first run after a fresh load (every profile provisional), then the next night
    # (the steady state: the previous run's untouched leads are cleared, few profiles
    # change). A bench bank analysed before would make the first run a no-op.
    days = [as_of, as_of + timedelta(days=1)]
    results = []
    for label, day in zip(("first run after the load", "next night"), days, strict=True):
        summary, seconds, peak = _analyze("duckdb", day, env)
        if summary["already_published"]:
            raise SystemExit("the bench bank was analysed before: re-run bench_generate_load.py")
        results.append((summary, seconds, peak))
        print(
            f"  {label} on DuckDB -> PostgreSQL: {seconds:8.2f} s   peak {gib(peak)}"
            f"   ({summary['leads_published']:,} leads, {summary['customers_graded']:,} customers)"
        )
        _stages(summary)
        publish = next(s for s in summary["stages"] if s["name"] == "publish")
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in summary["publish_steps"].items())
        print(f"    publish steps: {steps}")
        rate = summary["leads_published"] / publish["seconds"]
        print(f"    leads published per second: {rate:,.0f}")
    for (_summary, seconds, peak), label in zip(results, ("first run", "next night"), strict=True):
        ratio = seconds / floor["seconds"]
        met = seconds < 120 and peak < 4 * 2**30 and ratio <= 10
        print(
            f"  {label}: {seconds:.1f} s, peak {gib(peak)}, {ratio:.1f}x the floor"
            f"   target: < 120 s, < 4 GiB, <= 10x -> {'met' if met else 'NOT met'}"
        )
    summary = results[0][0]

    if not args.skip_spark:
        spark_summary, spark_seconds, _ = _analyze("spark", as_of + timedelta(days=2), env)
        print(f"  full run on Spark local[2] -> PostgreSQL  {spark_seconds:8.2f} s")
        _stages(spark_summary)

    hidden = BENCH_VAR / "simulation" / "hidden" / "behaviour.parquet"
    history = _synthetic_history(lake, str(summary["run_id"]), hidden)
    backtest = subprocess.run(
        [
            str(BIN / "smartbranch"),
            "scoring",
            "backtest",
            "--data",
            str(history),
            "--label",
            "accepted",
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **env},
    )
    if backtest.returncode:
        print(backtest.stderr, file=sys.stderr)
    else:
        figures = json.loads(backtest.stdout)
        print(
            f"  scoring backtest on {figures['n']:,} synthetic outcomes: "
            f"base rate {figures['base_rate']:.3f}, AUC {figures['auc']:.3f}, "
            f"lift top 10% {figures['lift_top10']:.2f}, top 20% {figures['lift_top20']:.2f}, "
            f"gains area {figures['gains_area']:.3f}"
        )


if __name__ == "__main__":
    main()
