"""Benchmark 1 of the foundation: `generate` + `load` for N customers into PostgreSQL.

Prints wall time and peak memory (RSS of the command's whole process tree, sampled every
50 ms; the PostgreSQL server's own memory is not included) of each step.
Target (issue 2): 1,000,000 customers under 5 minutes and 4 GiB on a 2-core machine.

    .venv/bin/python benchmarks/bench_generate_load.py --customers 1000000
"""

from __future__ import annotations

import argparse
import shutil

from _common import BENCH_VAR, BIN, PG_BENCH_URL, bench_env, ensure_database_sync, gib, run_measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--outlets", type=int, default=200)
    parser.add_argument("--test-cards", type=int, default=20_000)
    args = parser.parse_args()

    shutil.rmtree(BENCH_VAR, ignore_errors=True)
    ensure_database_sync(fresh=True)
    env = bench_env()
    smartbranch = str(BIN / "smartbranch")
    migrate = run_measured([smartbranch, "db", "upgrade"], env)
    generate = run_measured(
        [
            smartbranch,
            "generate",
            "--customers",
            str(args.customers),
            "--outlets",
            str(args.outlets),
            "--test-cards",
            str(args.test_cards),
        ],
        env,
    )
    load = run_measured([smartbranch, "load"], env)
    for step in (migrate, generate, load):
        if step.returncode != 0:
            raise SystemExit(f"a step failed: {step}")
    total = generate.seconds + load.seconds
    print()
    print(
        f"generate + load, {args.customers:,} customers, {args.outlets} outlets -> {PG_BENCH_URL}"
    )
    print(f"  generate   {generate.seconds:8.1f} s   peak {gib(generate.peak_rss_bytes)}")
    print(f"  load       {load.seconds:8.1f} s   peak {gib(load.peak_rss_bytes)}")
    peak = max(generate.peak_rss_bytes, load.peak_rss_bytes)
    met = total < 300 and peak < 4 * 2**30
    print(f"  total      {total:8.1f} s   peak {gib(peak)}")
    print(f"  target       300.0 s   peak 4.00 GiB   -> {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
