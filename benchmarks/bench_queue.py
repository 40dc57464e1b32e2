"""Benchmark (a) of the queueing issue: ticket issue and call-next over HTTP on PostgreSQL,
50 outlets × 10 counters calling concurrently while kiosks issue tickets.

A database of its own (``smartbranch_bench_queue``, recreated each run) gets 50 outlets, each
with the default services, 10 counters, 10 signed-in tellers and a kiosk. The server is
``smartbranch serve --workers N`` (uvicorn) on that database. Three phases, driven by one
asyncio client (httpx) in this process:

1. **burst** (opening time, reported apart) — every outlet's queue holds 10 tickets; all 500
   counters call next at the same moment (500 requests in flight).
2. **steady** (the target) — for ``--seconds``, a realistic busy hour: each outlet's kiosk
   issues ``--arrivals-per-hour`` tickets (Poisson, default 135/h: a busy 10-counter outlet
   at its peak, about 90% of what 10 tellers at 4 minutes a customer can serve); every
   counter works like a teller: call next, the customer walks up (``--walk-s``, 15 s), start,
   serve (exponential, mean ``--service-s``, 240 s), finish, call again; a teller with no one
   waiting for them clicks again after ``--idle-s`` (10 s). Tellers start spread over a
   service time, as in a day already running. Throughput and p50/p99 of every request.
3. **ceiling** — for ``--ceiling-seconds``, no think time at all: every teller calls, starts,
   finishes back to back and kiosks keep 10 waiting per outlet: the most requests per second
   the server answers (latency there is queueing in the server, not a target).

Afterwards the database is checked for double calls over all phases: a ticket called by a
second counter without having gone back to the queue in between. Target: steady p99 under
50 ms for issue and call-next, no double call.

    .venv/bin/python benchmarks/bench_queue.py [--seconds 60] [--workers 2]
        [--arrivals-per-hour 135] [--service-s 240] [--ceiling-seconds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import subprocess
import time
from dataclasses import dataclass, field

import httpx
import psutil
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
    server_cpu_s: float = 0.0
    began: float = 0.0
    slow: list[float] = field(default_factory=list)
    """When (monotonic) each request over 50 ms ended."""

    def add(self, name: str, seconds: float, status: int) -> None:
        self.samples.setdefault(name, []).append(seconds * 1000)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if seconds > 0.05:
            self.slow.append(time.monotonic())


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


@dataclass(frozen=True)
class Load:
    """How tellers and kiosks behave in a phase (times in seconds; zero: as fast as the
    server answers)."""

    service_s: float
    """Mean handling time (exponential), the teller serving between start and finish."""
    walk_s: float
    """From the call to the customer reaching the counter (start)."""
    idle_s: float
    """How long a teller waits before looking again when no one waits for them."""
    arrivals_per_s: float | None
    """Tickets per second per outlet (Poisson); None: keep ``TARGET_WAITING`` waiting."""


async def _steady(
    client: httpx.AsyncClient,
    outlets: list[Outlet],
    seconds: float,
    load: Load,
    seed: int,
    server: subprocess.Popen[bytes] | None = None,
) -> tuple[Timings, float]:
    timings = Timings()
    waiting = {o.code: 0 for o in outlets}
    issued = {o.code: 0 for o in outlets}
    rng = random.Random(seed)

    async def sleep(mean: float, *, exponential: bool = False) -> bool:
        """Sleep, but never past the end of the phase; whether the phase goes on."""
        if mean > 0:
            wanted = rng.expovariate(1 / mean) if exponential else mean
            await asyncio.sleep(min(wanted, max(deadline - time.monotonic(), 0)))
        return time.monotonic() < deadline

    async def teller(outlet: Outlet, counter: str) -> None:
        headers = _staff(outlet, counter)
        base = f"/api/v1/outlets/{outlet.code}"
        # Tellers are somewhere in their current customer when the phase starts.
        await asyncio.sleep(min(rng.uniform(0, load.service_s + load.walk_s), seconds))
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
                await sleep(load.idle_s)
                continue
            waiting[outlet.code] -= 1
            # At the end of the phase the customer is left at the counter (``_drain`` serves
            # them unmeasured): finishing them all at once would measure a burst of our own.
            if not await sleep(load.walk_s):
                return
            await _post(
                client, timings, "start", f"{base}/tickets/{ticket['id']}/start", headers=headers
            )
            if not await sleep(load.service_s, exponential=True):
                return
            await _post(
                client, timings, "finish", f"{base}/tickets/{ticket['id']}/finish", headers=headers
            )

    async def kiosk(outlet: Outlet) -> None:
        while time.monotonic() < deadline:
            if load.arrivals_per_s is not None:
                gap = rng.expovariate(load.arrivals_per_s)
                await asyncio.sleep(min(gap, max(deadline - time.monotonic(), 0)))
                if time.monotonic() >= deadline:
                    return
            elif waiting[outlet.code] >= TARGET_WAITING:
                await asyncio.sleep(0.05)
                continue
            n = issued[outlet.code] = issued[outlet.code] + 1
            await _issue(client, timings, outlet, n + seed * 1_000_000)
            waiting[outlet.code] += 1

    if load.arrivals_per_s is not None:  # a busy hour: people already wait
        for outlet in outlets:
            for _ in range(TARGET_WAITING):
                n = issued[outlet.code] = issued[outlet.code] + 1
                await _issue(client, Timings(), outlet, n + seed * 1_000_000)
                waiting[outlet.code] += 1
    timings.began = time.monotonic()
    deadline = timings.began + seconds
    started, cpu = time.perf_counter(), _server_cpu(server)
    await asyncio.gather(
        *(kiosk(o) for o in outlets), *(teller(o, c) for o in outlets for c in o.tellers)
    )
    timings.server_cpu_s = _server_cpu(server) - cpu
    elapsed = time.perf_counter() - started
    await _drain(client, outlets)
    return timings, elapsed


def _server_cpu(server: subprocess.Popen[bytes] | None) -> float:
    """CPU seconds used so far by the server and its worker processes."""
    if server is None:
        return 0.0
    root = psutil.Process(server.pid)
    total = 0.0
    for process in (root, *root.children(recursive=True)):
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


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


def _table(header: str, timings: Timings, seconds: float) -> int:
    """Print a phase's lines; how many requests it made."""
    print(header)
    for name in ("issue", "call-next", "start", "finish"):
        print(_line(name, timings.samples.get(name, []), seconds))
    return sum(len(v) for v in timings.samples.values())


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
            realistic = Load(
                service_s=args.service_s,
                walk_s=args.walk_s,
                idle_s=args.idle_s,
                arrivals_per_s=args.arrivals_per_hour / 3600,
            )
            steady, steady_seconds = await _steady(
                client, outlets, args.seconds, realistic, 1, server
            )
            ceiling, ceiling_seconds = await _steady(
                client, outlets, args.ceiling_seconds, Load(0, 0, 0.2, None), 2, server
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
    offered = OUTLETS * args.arrivals_per_hour / 3600
    print(
        f"steady (the target): {steady_seconds:.0f} s; each outlet's kiosk issues "
        f"{args.arrivals_per_hour:.0f} tickets/h (Poisson; {offered:.1f}/s in all); tellers "
        f"serve {args.service_s:.0f} s on average (exponential), the customer walks up in "
        f"{args.walk_s:.0f} s, an idle teller looks again after {args.idle_s:.0f} s"
    )
    total = _table(header, steady, steady_seconds)
    buckets: dict[int, int] = {}
    for ended in steady.slow:
        bucket = int((ended - steady.began) // 10) * 10
        buckets[bucket] = buckets.get(bucket, 0) + 1
    print(f"  requests over 50 ms by 10-s window from the start: {dict(sorted(buckets.items()))}")
    print(
        f"  all requests {total / steady_seconds:.1f} req/s offered; "
        f"statuses {dict(sorted(steady.statuses.items()))}"
    )
    print(
        f"ceiling: {ceiling_seconds:.0f} s, no think time: every teller calls, starts and "
        f"finishes back to back, kiosks keep {TARGET_WAITING} waiting per outlet"
    )
    requests = _table(header, ceiling, ceiling_seconds)
    top = requests / ceiling_seconds
    print(
        f"  server CPU per request (all worker processes): steady "
        f"{steady.server_cpu_s * 1000 / max(total, 1):.1f} ms, ceiling "
        f"{ceiling.server_cpu_s * 1000 / max(requests, 1):.1f} ms"
    )
    print(
        f"  throughput ceiling {top:.0f} req/s "
        f"(headroom ×{top / max(total / steady_seconds, 1e-9):.0f} over the steady load); "
        f"statuses {dict(sorted(ceiling.statuses.items()))}"
    )
    p99 = max(_pct(steady.samples["issue"], 0.99), _pct(steady.samples["call-next"], 0.99))
    print(f"tickets called: {called:,}; double calls (all phases): {doubles}")
    verdict = "met" if p99 < 50 and doubles == 0 else "NOT met"
    print(f"target (steady p99 < 50 ms for issue and call-next, zero double calls): {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60, help="steady phase")
    parser.add_argument("--ceiling-seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--arrivals-per-hour",
        type=float,
        default=135,
        help="tickets per outlet and hour (a busy 10-counter outlet at its peak)",
    )
    parser.add_argument("--service-s", type=float, default=240)
    parser.add_argument("--walk-s", type=float, default=15)
    parser.add_argument("--idle-s", type=float, default=10)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--port", type=int, default=8103)
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
