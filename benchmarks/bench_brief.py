"""Benchmark (a) of the customer-centred service: the customer brief over HTTP on PostgreSQL.

Needs the bench database from bench_generate_load.py (1,000,000 customers); publishes an
analysis run first if none is serving (default rules, `smartbranch analyze`). Then, with the
same load (wrk, GET requests cycling through the customers of the outlet with the most leads,
concurrency 32):
  1. smartbranch (`smartbranch serve --workers 2`): device and session check, scope,
     disclosure, serving run's leads with suitability, role and channel filters and the
     contact policy, today's visit, timeline, needs and hand-offs, an audit row written and
     committed per request — as a wealth manager on a tablet at that outlet;
  2. the ceiling (benchmarks/ceiling_brief.py, 2 workers): one asyncpg lookup of the
     customer by number, nothing else;
and prints both throughputs, p50/p99 and our share of the ceiling.
Target (issue 5): p99 under 100 ms and at least a quarter of the ceiling.

    .venv/bin/python benchmarks/bench_brief.py --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import timedelta
from pathlib import Path

from _common import (
    BENCH_VAR,
    BIN,
    PG_BENCH_URL,
    WrkResult,
    bench_env,
    run_measured,
    run_wrk,
    serve,
    stop,
)

LUA = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  local path = paths[(counter %% #paths) + 1]
  return wrk.format("GET", path, {["X-Device-Token"] = "%s",
                                  ["Authorization"] = "Bearer %s"})
end
"""


async def _serving_run() -> str | None:
    from smartbranch.analysis.publish import serving_run
    from smartbranch.db import create_engine
    from smartbranch.settings import Settings

    engine = create_engine(Settings(var_dir=BENCH_VAR, database_url=PG_BENCH_URL))
    async with engine.connect() as conn:
        serving = await serving_run(conn)
    await engine.dispose()
    return serving[0] if serving else None


async def _setup() -> tuple[str, str, str, list[str], int]:
    """A wealth manager signed in on a tablet at the outlet with the most leads, and the
    numbers of that outlet's customers."""
    from sqlalchemy import func, select

    from smartbranch.auth.models import StaffSession
    from smartbranch.auth.service import enroll_device
    from smartbranch.auth.tokens import SESSION_TOKEN_PREFIX, new_token, token_hash
    from smartbranch.customers.models import Customer
    from smartbranch.db import create_engine, create_sessionmaker, unit_of_work, utcnow
    from smartbranch.marketing.models import Lead
    from smartbranch.orgs.models import OrgUnit, Staff
    from smartbranch.settings import Settings

    settings = Settings(var_dir=BENCH_VAR, database_url=PG_BENCH_URL)
    run = await _serving_run()
    assert run is not None
    engine = create_engine(settings)
    async with unit_of_work(create_sessionmaker(engine)) as session:
        outlet_id = await session.scalar(
            select(Customer.home_outlet_id)
            .join(Lead, Lead.customer_id == Customer.id)
            .where(Lead.run_id == run)
            .group_by(Customer.home_outlet_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        outlet = await session.get(OrgUnit, outlet_id)
        assert outlet is not None
        numbers = list(
            await session.scalars(
                select(Customer.number)
                .where(Customer.home_outlet_id == outlet_id)
                .order_by(Customer.id)
            )
        )
        with_leads = await session.scalar(
            select(func.count(func.distinct(Lead.customer_id)))
            .join(Customer, Customer.id == Lead.customer_id)
            .where(Lead.run_id == run, Customer.home_outlet_id == outlet_id)
        )
        username = f"bench.wm.{outlet.code.lower()}"
        staff = await session.scalar(select(Staff).where(Staff.username == username))
        if staff is None:
            staff = Staff(
                username=username,
                display_name="Bench WM",
                role="wealth_manager",
                org_unit_id=outlet.id,
                password_hash=None,
                active=True,
            )
            session.add(staff)
            await session.flush()
        device, device_token = await enroll_device(
            session, kind="tablet", org_code=outlet.code, name="bench tablet"
        )
        session_token = new_token(SESSION_TOKEN_PREFIX)
        now = utcnow()
        session.add(
            StaffSession(
                token_hash=token_hash(session_token),
                staff_id=staff.id,
                device_id=device.id,
                created_at=now,
                expires_at=now + timedelta(hours=2),
                factors="password",
            )
        )
    await engine.dispose()
    return outlet.code, device_token, session_token, numbers, int(with_leads or 0)


def _measure(url: str, script: Path, connections: int, seconds: int) -> WrkResult:
    run_wrk(url, script, connections=connections, seconds=3)  # warm-up: pools, caches
    return run_wrk(url, script, connections=connections, seconds=seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    env = bench_env(
        {
            "SMARTBRANCH_ENV": "production",
            "SMARTBRANCH_CREDENTIAL_KEY_FILE": str(BENCH_VAR / "secrets" / "credential.key"),
            "SMARTBRANCH_SECRET_KEY": "bench-secret",
            "SMARTBRANCH_LOG_JSON": "true",
        }
    )
    if asyncio.run(_serving_run()) is None:
        smartbranch = str(BIN / "smartbranch")
        for step in ([smartbranch, "rules", "install-defaults"], [smartbranch, "analyze"]):
            measured = run_measured(step, env)
            if measured.returncode != 0:
                raise SystemExit(f"a step failed: {measured}")
            print(f"  {' '.join(step[1:]):<24} {measured.seconds:8.1f} s")

    outlet, device_token, session_token, numbers, with_leads = asyncio.run(_setup())
    paths = [f"/api/v1/customers/{n}/brief?channel=tablet" for n in numbers]
    script = BENCH_VAR / "brief.lua"
    script.write_text(LUA % (", ".join(json.dumps(p) for p in paths), device_token, session_token))

    ours_url = "http://127.0.0.1:8111"
    server = serve(
        [str(BIN / "smartbranch"), "serve", "--port", "8111", "--workers", str(args.workers)],
        env,
        ours_url + "/openapi.json",
    )
    try:
        ours = _measure(ours_url + paths[0], script, args.connections, args.seconds)
    finally:
        stop(server)

    ceiling_url = "http://127.0.0.1:8112"
    ceiling = serve(
        [
            str(BIN / "uvicorn"),
            "ceiling_brief:app",
            "--port",
            "8112",
            "--workers",
            str(args.workers),
            "--no-access-log",
            "--log-level",
            "warning",
            "--app-dir",
            str(Path(__file__).parent),
        ],
        {"CEILING_DSN": PG_BENCH_URL},
        ceiling_url + "/",
    )
    try:
        bare = _measure(ceiling_url + paths[0], script, args.connections, args.seconds)
    finally:
        stop(ceiling)

    time.sleep(0.1)
    print()
    print(
        f"customer brief over HTTP, PostgreSQL, outlet {outlet}: {len(numbers):,} customers "
        f"({with_leads:,} with leads in the serving run), concurrency {args.connections}, "
        f"{args.workers} workers, {args.seconds}s each (wrk)"
    )
    print(f"  {'':<30}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>10}")
    for name, r in (
        ("smartbranch brief (tablet, WM)", ours),
        ("ceiling (Starlette+asyncpg)", bare),
    ):
        print(
            f"  {name:<30}{r.requests_per_second:>10.0f}"
            f"{r.p50_ms:>10.2f}{r.p99_ms:>10.2f}{r.errors:>10}"
        )
    share = ours.requests_per_second / bare.requests_per_second
    met = share >= 0.25 and ours.p99_ms < 100
    print(
        f"  share of ceiling: {share:.0%}   (target >= 25%, p99 < 100 ms -> "
        f"{'met' if met else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
