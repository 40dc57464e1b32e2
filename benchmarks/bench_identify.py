"""Benchmark 2 of the foundation: identify over HTTP against PostgreSQL with N customers.

Runs, in the same session and with the same load (wrk, POST bodies cycling through the
synthetic bank's active test cards, concurrency 32):
  1. smartbranch (`smartbranch serve --workers 2`): device check, validation, keyed hash,
     lookup, identification reference and audit row written and committed per request;
  2. the ceiling (benchmarks/ceiling_identify.py under uvicorn, 2 workers): keyed hash and one
     asyncpg lookup, nothing else;
and prints both throughputs, p50/p99 and our share of the ceiling.
Target (issue 2): at least 50% of the ceiling, p99 under 50 ms.

Needs the bench database from bench_generate_load.py (run it first), and wrk.

    .venv/bin/python benchmarks/bench_identify.py --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from _common import BENCH_VAR, BIN, PG_BENCH_URL, WrkResult, bench_env, run_wrk, serve, stop

LUA = """
bodies = {%s}
counter = 0
request = function()
  counter = counter + 1
  local body = bodies[(counter %% #bodies) + 1]
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
                                  ["X-Device-Token"] = "%s"}, body)
end
"""


def _bodies(outlet: str) -> list[str]:
    from smartbranch.simulation.bank import TEST_CARDS
    from smartbranch.simulation.testcards import read_test_cards

    rows = read_test_cards(BENCH_VAR / "simulation" / TEST_CARDS)
    cards = [
        r for r in rows if r["status"] == "active" and r["kind"] in ("debit_card", "credit_card")
    ]
    return [
        json.dumps({"outlet": outlet, "credential": {"kind": "debit_card", "value": r["number"]}})
        for r in cards
    ]


async def _enroll_kiosk() -> tuple[str, str]:
    from sqlalchemy import select

    from smartbranch.auth.service import enroll_device
    from smartbranch.db import create_engine, create_sessionmaker, unit_of_work
    from smartbranch.orgs.models import OrgUnit
    from smartbranch.settings import Settings

    settings = Settings(var_dir=BENCH_VAR, database_url=PG_BENCH_URL)
    engine = create_engine(settings)
    async with unit_of_work(create_sessionmaker(engine)) as session:
        outlet = await session.scalar(
            select(OrgUnit.code).where(OrgUnit.kind == "outlet").order_by(OrgUnit.code)
        )
        assert outlet is not None
        _device, token = await enroll_device(session, kind="kiosk", org_code=outlet, name="bench")
    await engine.dispose()
    return outlet, token


def _measure(url: str, script: Path, connections: int, seconds: int) -> WrkResult:
    run_wrk(url, script, connections=connections, seconds=3)  # warm-up: pools, caches
    return run_wrk(url, script, connections=connections, seconds=seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    outlet, token = asyncio.run(_enroll_kiosk())
    bodies = _bodies(outlet)
    script = BENCH_VAR / "identify.lua"
    script.write_text(LUA % (", ".join(json.dumps(b) for b in bodies), token))
    key_file = BENCH_VAR / "secrets" / "credential.key"

    env = bench_env(
        {
            "SMARTBRANCH_ENV": "production",
            "SMARTBRANCH_CREDENTIAL_KEY_FILE": str(key_file),
            "SMARTBRANCH_SECRET_KEY": "bench-secret",
            "SMARTBRANCH_LOG_JSON": "true",
        }
    )
    ours_url = "http://127.0.0.1:8101"
    server = serve(
        [str(BIN / "smartbranch"), "serve", "--port", "8101", "--workers", str(args.workers)],
        env,
        ours_url + "/openapi.json",
    )
    try:
        ours = _measure(ours_url + "/api/v1/identify", script, args.connections, args.seconds)
    finally:
        stop(server)

    ceiling_url = "http://127.0.0.1:8102"
    ceiling_env = {"CEILING_KEY_FILE": str(key_file), "CEILING_DSN": PG_BENCH_URL}
    ceiling = serve(
        [
            str(BIN / "uvicorn"),
            "ceiling_identify:app",
            "--port",
            "8102",
            "--workers",
            str(args.workers),
            "--no-access-log",
            "--log-level",
            "warning",
            "--app-dir",
            str(Path(__file__).parent),
        ],
        ceiling_env,
        ceiling_url + "/",
    )
    try:
        bare = _measure(ceiling_url + "/identify", script, args.connections, args.seconds)
    finally:
        stop(ceiling)

    time.sleep(0.1)
    print()
    print(
        f"identify over HTTP, PostgreSQL, {len(bodies):,} distinct test cards, "
        f"concurrency {args.connections}, {args.workers} workers, {args.seconds}s each (wrk)"
    )
    print(f"  {'':<26}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>10}")
    for name, r in (("smartbranch /api/v1/identify", ours), ("ceiling (Starlette+asyncpg)", bare)):
        print(
            f"  {name:<26}{r.requests_per_second:>10.0f}"
            f"{r.p50_ms:>10.2f}{r.p99_ms:>10.2f}{r.errors:>10}"
        )
    share = ours.requests_per_second / bare.requests_per_second
    print(
        f"  share of ceiling: {share:.0%}   (target >= 50%, p99 < 50 ms -> "
        f"{'met' if share >= 0.5 and ours.p99_ms < 50 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
