"""Benchmark: the synthetic bank generator alone (no database).

Runs ``generate_bank`` in a child process and prints its wall time, peak memory (RSS of
the child, sampled every 50 ms), rows written and lake size.
Target: 1,000,000 customers well under 3 minutes and under ~2 GiB on a 2-core machine.

    .venv/bin/python benchmarks/bench_generate.py --customers 1000000
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys

from _common import BENCH_VAR, gib, run_measured

CHILD = """
import json, sys
from pathlib import Path
from smartbranch.simulation.bank import BankSpec, generate_bank

args = json.loads(sys.argv[1])
root = Path(args.pop("root"))
summary = generate_bank(BankSpec(**args), root / "lake", root / "simulation", bytes(range(32)))
(root / "summary.json").write_text(json.dumps(
    {"counts": summary.counts, "tier_shares": summary.tier_shares,
     "elapsed_seconds": summary.elapsed_seconds}
))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--outlets", type=int, default=200)
    parser.add_argument("--test-cards", type=int, default=200)
    parser.add_argument("--chunk-size", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    root = BENCH_VAR / "generate-only"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    spec = {
        "root": str(root),
        "customers": args.customers,
        "outlets": args.outlets,
        "test_cards": args.test_cards,
        "chunk_size": args.chunk_size,
        "seed": args.seed,
    }
    measured = run_measured([sys.executable, "-c", CHILD, json.dumps(spec)])
    if measured.returncode != 0:
        raise SystemExit(f"the generator failed: {measured}")
    summary = json.loads((root / "summary.json").read_text())
    size = sum(p.stat().st_size for p in (root / "lake").rglob("*") if p.is_file())

    print()
    print(f"generate, {args.customers:,} customers, {args.outlets} outlets")
    print(f"  wall       {measured.seconds:8.1f} s   (generator's own clock "
          f"{summary['elapsed_seconds']:.1f} s)")  # fmt: skip
    print(f"  peak RSS   {gib(measured.peak_rss_bytes)}")
    print(f"  lake size  {size / 2**20:8.1f} MiB")
    for name, rows in summary["counts"].items():
        print(f"  {name:<18} {rows:>12,}")
    shares = ", ".join(f"{t} {s:.2%}" for t, s in summary["tier_shares"].items())
    print(f"  tiers      {shares}")
    ok = measured.seconds < 180 and measured.peak_rss_bytes < 2 * 2**30
    print(f"  target     180 s, 2.00 GiB -> {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
