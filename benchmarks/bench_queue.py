"""Benchmark (a) of the queueing issue: ticket issue and call-next over HTTP on PostgreSQL,
50 outlets × 10 counters calling concurrently while kiosks issue tickets.

A database of its own (``smartbranch_bench_queue``, recreated each run) gets 50 outlets, each
with the default services, 10 counters, 10 signed-in tellers and a kiosk. The server is
``smartbranch serve --workers N`` (uvicorn) on that database. Two phases, driven by one
asyncio client (httpx) in this process:

1. **burst** — every outlet's queue holds 10 tickets; all 500 counters call next at the same
   moment (500 requests in flight): how long the burst takes, p50/p99 of its requests.
2. **steady** — for ``--seconds``: every counter works like a teller (call next, start,
   finish, with ``--think-ms`` between steps; when nobody waits it looks again after
   ``--think-ms``) while each outlet's kiosk issues tickets to keep about 10 waiting:
   throughput and p50/p99 of ticket issue and of call-next.

Afterwards the database is checked for double calls: a ticket called by a second counter
without having gone back to the queue in between. Target: p99 under 50 ms, no double call.

    .venv/bin/python benchmarks/bench_queue.py [--seconds 30] [--workers 2] [--think-ms 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import time
from dataclasses import dataclass, field

import httpx
from _common import BENCH_VAR, BIN, PG_ADMIN_URL, bench_env, ensure_database, wait_for_http

DB_NAME = "smartbranch_bench_queue"
DB_URL = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + DB_NAME
OUTLETS = 50
COUNTERS = 10
TARGET_WAITING = 10


@dataclass
class Outlet:
    code: str
    kiosk_token: str
    counter_token: str
    tellers: dict[str, str] = field(default_factory=dict)
    """Counter code -> staff session token."""


async def _setup() -> list[Outlet]:
    """Orgs, services, counters, tellers with sessions, devices — through the real services
    where the bench does not measure them; staff sessions are written directly (argon2 for
    500 logins would only slow the setup)."""
    from datetime import timedelta

    from smartbranch.auth.models import StaffSession
    from smartbranch.auth.service import enroll_device
    from smartbranch.auth.tokens import SESSION_TOKEN_PREFIX, new_token, token_hash
    from smartbranch.db import create_engine, create_sessionmaker, unit_of_work, utcnow
    from smartbranch.migrations.runner import upgrade
    from smartbranch.orgs.models import OrgUnit, Staff
    from smartbranch.orgs.service import child_path
    from smartbranch.queueing.service import default_counters, setup_outlet, sign_in_counter
    from smartbranch.settings import Settings

    settings = Settings(database_url=DB_URL, env="test")
    await asyncio.to_thread(upgrade, settings)
    engine = create_engine(settings)
    outlets: list[Outlet] = []
    async with unit_of_work(create_sessionmaker(engine)) as session:
        head = OrgUnit(code="HO", name="总行", kind="head_office", path="/HO/", city="北京")
        session.add(head)
        await session.flush()
        branch = OrgUnit(
            code="BR", name="分行", kind="branch", parent_id=head.id, path="/HO/BR/", city="北京"
        )
        session.add(branch)
        await session.flush()
        for n in range(1, OUTLETS + 1):
            code = f"Q{n:03d}"
            unit = OrgUnit(
                code=code,
                name=f"网点{n}",
                kind="outlet",
                parent_id=branch.id,
                path=child_path(branch.path, code),
                city="北京",
            )
            session.add(unit)
            await session.flush()
            await setup_outlet(session, outlet_code=code, counters=default_counters(COUNTERS, 2))
            _kiosk, kiosk_token = await enroll_device(session, kind="kiosk", org_code=code)
            device, counter_token = await enroll_device(session, kind="counter", org_code=code)
            outlet = Outlet(code, kiosk_token, counter_token)
            for c in range(1, COUNTERS + 1):
                staff = Staff(
                    username=f"{code.lower()}.teller{c}",
                    display_name=f"柜员{c}",
                    role="teller",
                    org_unit_id=unit.id,
                )
                session.add(staff)
                await session.flush()
                token = new_token(SESSION_TOKEN_PREFIX)
                session.add(
                    StaffSession(
                        token_hash=token_hash(token),
                        staff_id=staff.id,
                        device_id=device.id,
                        expires_at=utcnow() + timedelta(hours=8),
                    )
                )
                await sign_in_counter(
                    session, outlet_code=code, counter_code=str(c), staff_id=staff.id
                )
                outlet.tellers[str(c)] = token
            outlets.append(outlet)
    await engine.dispose()
    return outlets


@dataclass
class Timings:
    samples: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)

    def add(self, name: str, seconds: float, status: int) -> None:
        self.samples.setdefault(name, []).append(seconds * 1000)
        self.statuses[status] = self.statuses.get(status, 0) + 1


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def _post(
    client: httpx.AsyncClient, timings: Timings, name: str, url: str, **kw: object
) -> httpx.Response:
    started = time.perf_counter()
    response = await client.post(url, **kw)  # type: ignore[arg-type]
    timings.add(name, time.perf_counter() - started, response.status_code)
    return response


def _staff(outlet: Outlet, counter: str) -> dict[str, str]:
    return {
        "X-Device-Token": outlet.counter_token,
        "Authorization": f"Bearer {outlet.tellers[counter]}",
    }


async def _issue(client: httpx.AsyncClient, timings: Timings, outlet: Outlet, n: int) -> None:
    service = ("cash", "non_cash", "cash", "wealth", "credit_card")[n % 5]
    response = await _post(
        client,
        timings,
        "issue",
        f"/api/v1/outlets/{outlet.code}/tickets",
        json={"service": service},
        headers={"X-Device-Token": outlet.kiosk_token, "Idempotency-Key": f"{outlet.code}-{n}"},
    )
    response.raise_for_status()


async def _burst(client: httpx.AsyncClient, outlets: list[Outlet]) -> tuple[Timings, float]:
    fill = Timings()
    for outlet in outlets:
        await asyncio.gather(*(_issue(client, fill, outlet, -1 - i) for i in range(10)))
    timings = Timings()
    started = time.perf_counter()
    await asyncio.gather(
        *(
            _post(
                client,
                timings,
                "call-next",
                f"/api/v1/outlets/{o.code}/counters/{c}/call-next",
                headers=_staff(o, c),
            )
            for o in outlets
            for c in o.tellers
        )
    )
    elapsed = time.perf_counter() - started
    # Serve what the burst called, so the steady phase starts with free counters.
    await _drain(client, outlets)
    return timings, elapsed


async def _drain(client: httpx.AsyncClient, outlets: list[Outlet]) -> None:
    scratch = Timings()
    for outlet in outlets:
        queue = (
            await client.get(f"/api/v1/outlets/{outlet.code}/queue", headers=_staff(outlet, "1"))
        ).json()
        for counter in queue["counters"]:
            ticket = counter["ticket"]
            if ticket is None:
                continue
            base = f"/api/v1/outlets/{outlet.code}/tickets/{ticket['id']}"
            headers = _staff(outlet, counter["code"])
            if ticket["status"] == "called":
                await _post(client, scratch, "start", base + "/start", headers=headers)
            await _post(client, scratch, "finish", base + "/finish", headers=headers)


async def _steady(
    client: httpx.AsyncClient, outlets: list[Outlet], seconds: float, think: float
) -> tuple[Timings, float]:
    timings = Timings()
    deadline = time.monotonic() + seconds
    waiting = {o.code: 0 for o in outlets}

    async def teller(outlet: Outlet, counter: str) -> None:
        headers = _staff(outlet, counter)
        base = f"/api/v1/outlets/{outlet.code}"
        await asyncio.sleep(think * (int(counter) / COUNTERS))  # stagger the first calls
        while time.monotonic() < deadline:
            response = await _post(
                client,
                timings,
                "call-next",
                f"{base}/counters/{counter}/call-next",
                headers=headers,
            )
            ticket = response.json().get("ticket") if response.status_code == 200 else None
            if ticket is None:
                await asyncio.sleep(think)
                continue
            waiting[outlet.code] -= 1
            await asyncio.sleep(think)
            await _post(
                client, timings, "start", f"{base}/tickets/{ticket['id']}/start", headers=headers
            )
            await asyncio.sleep(think)
            await _post(
                client, timings, "finish", f"{base}/tickets/{ticket['id']}/finish", headers=headers
            )

    async def kiosk(outlet: Outlet) -> None:
        n = 0
        while time.monotonic() < deadline:
            if waiting[outlet.code] < TARGET_WAITING:
                await _issue(client, timings, outlet, n)
                waiting[outlet.code] += 1
                n += 1
            else:
                await asyncio.sleep(think / 10)

    started = time.perf_counter()
    await asyncio.gather(
        *(kiosk(o) for o in outlets), *(teller(o, c) for o in outlets for c in o.tellers)
    )
    return timings, time.perf_counter() - started


async def _double_calls() -> tuple[int, int]:
    """(tickets called, tickets called by a second counter without a requeue between)."""
    import asyncpg

    conn = await asyncpg.connect(DB_URL)
    try:
        rows = await conn.fetch(
            "SELECT ticket_id, kind, counter_id FROM queue_ticket_events ORDER BY id"
        )
    finally:
        await conn.close()
    holder: dict[int, int | None] = {}
    called: set[int] = set()
    doubles = 0
    for row in rows:
        ticket, kind = row["ticket_id"], row["kind"]
        if kind == "called":
            called.add(ticket)
            if holder.get(ticket) is not None:
                doubles += 1
            holder[ticket] = row["counter_id"]
        elif kind in ("requeued", "skipped", "transferred", "no_show", "finished", "cancelled"):
            holder[ticket] = None
    return len(called), doubles


def _serve(workers: int, port: int) -> subprocess.Popen[bytes]:
    env = bench_env(
        {
            "SMARTBRANCH_DATABASE_URL": DB_URL,
            "SMARTBRANCH_DB_POOL_SIZE": "20",
            "SMARTBRANCH_COOKIE_SECURE": "false",
        }
    )
    process = subprocess.Popen(
        [str(BIN / "smartbranch"), "serve", "--port", str(port), "--workers", str(workers)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=(BENCH_VAR / "bench_queue.server.log").open("wb"),
        start_new_session=True,
    )
    wait_for_http(f"http://127.0.0.1:{port}/openapi.json")
    return process


def _line(name: str, values: list[float], seconds: float) -> str:
    return (
        f"  {name:<12}{len(values):>9,}{len(values) / seconds:>10.0f}"
        f"{_pct(values, 0.5):>10.1f}{_pct(values, 0.99):>10.1f}{max(values, default=0):>10.1f}"
    )


async def _main(args: argparse.Namespace) -> None:
    await ensure_database(DB_NAME, fresh=True)
    setup_started = time.perf_counter()
    outlets = await _setup()
    print(
        f"setup: {OUTLETS} outlets × {COUNTERS} counters "
        f"in {time.perf_counter() - setup_started:.1f} s"
    )
    server = _serve(args.workers, args.port)
    try:
        limits = httpx.Limits(
            max_connections=args.connections,
            max_keepalive_connections=args.connections,
            # Under uvicorn's 5 s idle timeout: never reuse a connection it is closing.
            keepalive_expiry=3.0,
        )
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{args.port}", limits=limits, timeout=60.0
        ) as client:
            burst, burst_seconds = await _burst(client, outlets)
            steady, steady_seconds = await _steady(
                client, outlets, args.seconds, args.think_ms / 1000
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    called, doubles = await _double_calls()

    header = f"  {'':<12}{'requests':>9}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}"
    print()
    print(
        f"queue over HTTP, PostgreSQL, {OUTLETS} outlets × {COUNTERS} counters, "
        f"{args.workers} workers, client connections {args.connections}"
    )
    print(f"burst: all {OUTLETS * COUNTERS} counters call next at once ({burst_seconds:.2f} s)")
    print(header)
    print(_line("call-next", burst.samples["call-next"], burst_seconds))
    print(
        f"steady: {steady_seconds:.0f} s, tellers think {args.think_ms} ms between steps, "
        f"kiosks keep ~{TARGET_WAITING} waiting per outlet"
    )
    print(header)
    for name in ("issue", "call-next", "start", "finish"):
        print(_line(name, steady.samples.get(name, []), steady_seconds))
    total = sum(len(v) for v in steady.samples.values())
    print(
        f"  all requests {total / steady_seconds:.0f} req/s; "
        f"statuses {dict(sorted(steady.statuses.items()))}"
    )
    p99 = max(_pct(steady.samples["issue"], 0.99), _pct(steady.samples["call-next"], 0.99))
    print(f"tickets called: {called:,}; double calls: {doubles}")
    verdict = "met" if p99 < 50 and doubles == 0 else "NOT met"
    print(f"target (steady p99 < 50 ms for issue and call-next, zero double calls): {verdict}")
    print(f"median of steady call-next: {statistics.median(steady.samples['call-next']):.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--think-ms", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--port", type=int, default=8103)
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
