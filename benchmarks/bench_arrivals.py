"""Benchmark (b) of the customer-centred service: arrival-to-notification latency to 500
connected staff streams through Redis.

Setup on the bench database (bench_generate_load.py): an outlet with a kiosk and N staff
(lobby managers, so the bank's default routes notify every one of them of every arrival),
each signed in on a tablet of that outlet. Then:
  1. `smartbranch serve --workers 2` with SMARTBRANCH_REDIS_URL set: the two worker
     processes share nothing but PostgreSQL and Redis, so a notification reaches the streams
     of the other worker only through Redis pub/sub;
  2. this script opens N `GET /api/v1/events/stream` connections (one per member of staff,
     spread over the workers by the kernel), waits until all are open, then swipes
     `--arrivals` test cards at the kiosk (`POST /api/v1/identify`) at `--rate` per second;
  3. for every (arrival, stream) pair it takes the time from just before the swipe's request
     was sent to the moment that stream delivered the `customer.arrived` event, and prints
     p50/p99/max and how many notifications never arrived.
The latency includes the identify request itself (the arrival is committed before it is
announced) and this script's own parsing of N streams on the same 2-core machine.
Target (issue 5): p99 under 500 ms.

    .venv/bin/python benchmarks/bench_arrivals.py --streams 500 --arrivals 40
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import timedelta

import httpx
from _common import BENCH_VAR, BIN, PG_BENCH_URL, bench_env, serve, stop

REDIS_URL = "redis://127.0.0.1:6379/0"
PORT = 8121


async def _setup(streams: int) -> tuple[str, str, list[tuple[str, str]]]:
    """The outlet, its kiosk token, and (device token, session token) per member of staff."""
    from sqlalchemy import select, update

    from smartbranch.auth.models import StaffSession
    from smartbranch.auth.service import enroll_device
    from smartbranch.auth.tokens import SESSION_TOKEN_PREFIX, new_token, token_hash
    from smartbranch.db import create_engine, create_sessionmaker, unit_of_work, utcnow
    from smartbranch.orgs.models import OrgUnit, Staff
    from smartbranch.settings import Settings

    engine = create_engine(Settings(var_dir=BENCH_VAR, database_url=PG_BENCH_URL))
    async with unit_of_work(create_sessionmaker(engine)) as session:
        outlet = await session.scalar(
            select(OrgUnit).where(OrgUnit.kind == "outlet").order_by(OrgUnit.code.desc())
        )
        assert outlet is not None
        # Earlier runs' bench sessions end, so "on duty" holds exactly this run's staff.
        await session.execute(
            update(StaffSession)
            .where(
                StaffSession.staff_id.in_(
                    select(Staff.id).where(Staff.username.like("bench.lobby.%"))
                ),
                StaffSession.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )
        _kiosk, kiosk_token = await enroll_device(
            session, kind="kiosk", org_code=outlet.code, name="bench kiosk"
        )
        tokens: list[tuple[str, str]] = []
        now = utcnow()
        for i in range(streams):
            username = f"bench.lobby.{i:04d}"
            staff = await session.scalar(select(Staff).where(Staff.username == username))
            if staff is None:
                staff = Staff(
                    username=username,
                    display_name=f"Bench LM {i}",
                    role="lobby_manager",
                    org_unit_id=outlet.id,
                    password_hash=None,
                    active=True,
                )
                session.add(staff)
                await session.flush()
            device, device_token = await enroll_device(
                session, kind="tablet", org_code=outlet.code, name=f"bench tablet {i}"
            )
            session_token = new_token(SESSION_TOKEN_PREFIX)
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
            tokens.append((device_token, session_token))
    await engine.dispose()
    return outlet.code, kiosk_token, tokens


def _cards(count: int) -> list[tuple[str, str]]:
    """(customer number, card number) of distinct active debit-card test cards."""
    from smartbranch.simulation.bank import TEST_CARDS
    from smartbranch.simulation.testcards import read_test_cards

    rows = read_test_cards(BENCH_VAR / "simulation" / TEST_CARDS)
    seen: set[str] = set()
    cards = []
    for row in rows:
        fresh = row["customer_number"] not in seen
        if row["status"] == "active" and row["kind"] == "debit_card" and fresh:
            seen.add(row["customer_number"])
            cards.append((row["customer_number"], row["number"]))
        if len(cards) == count:
            break
    return cards


class Listener:
    """One staff stream: records when each customer's arrival reached it."""

    def __init__(self, device_token: str, session_token: str) -> None:
        self.headers = {
            "X-Device-Token": device_token,
            "Authorization": f"Bearer {session_token}",
            "Accept": "text/event-stream",
        }
        self.received: dict[str, float] = {}
        self.open = asyncio.Event()
        self.failed: str | None = None

    async def run(self, client: httpx.AsyncClient, url: str) -> None:
        try:
            async with client.stream("GET", url, headers=self.headers) as response:
                if response.status_code != 200:
                    self.failed = f"HTTP {response.status_code}"
                    self.open.set()
                    return
                self.open.set()
                kind = ""
                async for line in response.aiter_lines():
                    if line.startswith("event:"):
                        kind = line[6:].strip()
                    elif line.startswith("data:") and kind == "customer.arrived":
                        at = time.monotonic()
                        number = json.loads(line[5:]).get("customer_number")
                        if number and number not in self.received:
                            self.received[number] = at
        except (httpx.HTTPError, asyncio.CancelledError) as error:
            if not isinstance(error, asyncio.CancelledError):
                self.failed = type(error).__name__
            self.open.set()


async def _drive(
    base: str,
    outlet: str,
    kiosk_token: str,
    tokens: list[tuple[str, str]],
    cards: list[tuple[str, str]],
    rate: float,
) -> tuple[list[float], int, int, float]:
    limits = httpx.Limits(max_connections=len(tokens) + 10, max_keepalive_connections=0)
    timeout = httpx.Timeout(30.0, read=None)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as streams:
        listeners = [Listener(d, s) for d, s in tokens]
        tasks = [asyncio.create_task(li.run(streams, "/api/v1/events/stream")) for li in listeners]
        await asyncio.wait_for(asyncio.gather(*(li.open.wait() for li in listeners)), 120)
        failed = sum(1 for li in listeners if li.failed)
        await asyncio.sleep(2.0)  # the last streams finish their catch-up read
        sent: dict[str, float] = {}
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=base, timeout=30.0) as kiosk:
            for i, (number, card) in enumerate(cards):
                await asyncio.sleep(max(0.0, started + i / rate - time.monotonic()))
                sent[number] = time.monotonic()
                response = await kiosk.post(
                    "/api/v1/identify",
                    headers={"X-Device-Token": kiosk_token},
                    json={"outlet": outlet, "credential": {"kind": "debit_card", "value": card}},
                )
                if response.status_code != 200:
                    raise SystemExit(f"identify failed: {response.status_code} {response.text}")
        deadline = time.monotonic() + 10.0
        expected = len(cards) * (len(listeners) - failed)
        while time.monotonic() < deadline:
            if sum(len(li.received) for li in listeners) >= expected:
                break
            await asyncio.sleep(0.2)
        elapsed = time.monotonic() - started
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [
        (li.received[number] - at) * 1000
        for li in listeners
        if not li.failed
        for number, at in sent.items()
        if number in li.received
    ]
    return latencies, expected - len(latencies), failed, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--arrivals", type=int, default=40)
    parser.add_argument("--rate", type=float, default=4.0, help="arrivals per second")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    outlet, kiosk_token, tokens = asyncio.run(_setup(args.streams))
    cards = _cards(args.arrivals)
    env = bench_env(
        {
            "SMARTBRANCH_ENV": "production",
            "SMARTBRANCH_CREDENTIAL_KEY_FILE": str(BENCH_VAR / "secrets" / "credential.key"),
            "SMARTBRANCH_SECRET_KEY": "bench-secret",
            "SMARTBRANCH_LOG_JSON": "true",
            "SMARTBRANCH_REDIS_URL": REDIS_URL,
        }
    )
    base = f"http://127.0.0.1:{PORT}"
    server = serve(
        [str(BIN / "smartbranch"), "serve", "--port", str(PORT), "--workers", str(args.workers)],
        env,
        base + "/openapi.json",
    )
    try:
        latencies, missing, failed, elapsed = asyncio.run(
            _drive(base, outlet, kiosk_token, tokens, cards, args.rate)
        )
    finally:
        stop(server)

    latencies.sort()
    print()
    print(
        f"arrival -> notification through Redis, {args.workers} workers, {args.streams} staff "
        f"streams (all lobby managers on duty at {outlet}), {len(cards)} arrivals at "
        f"{args.rate:g}/s ({elapsed:.1f} s)"
    )
    if failed:
        print(f"  streams that failed to open: {failed}")
    if latencies:
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(
            f"  notifications delivered {len(latencies):,}, missing {missing:,}   "
            f"p50 {statistics.median(latencies):.1f} ms   p99 {p99:.1f} ms   "
            f"max {latencies[-1]:.1f} ms"
        )
        met = p99 < 500 and missing == 0 and failed == 0
        print(f"  target p99 < 500 ms, none missing -> {'met' if met else 'NOT met'}")
    else:
        print("  no notification arrived: NOT met")


if __name__ == "__main__":
    main()
