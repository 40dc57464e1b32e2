"""Application CPU per queue request, in process, on PostgreSQL: what one request of each kind
costs the server, without HTTP server or client scheduling noise — the figure to change when
the throughput ceiling of benchmark (a) is too low.

The same database as ``bench_queue.py`` (50 outlets × 10 counters, recreated), the real app
(``create_app``) behind ``httpx.ASGITransport``; one request at a time, ``time.process_time``
around each (so the in-process client's small share is included, PostgreSQL's own CPU is
not). Measured at one outlet:

- ``issue``: 100 tickets, the queue growing 0 → 100 (mean, and at 0–10 and 90–100 waiting);
- ``queue``: the queue view (``GET /queue``) with 100 waiting;
- ``call-next busy``: call-next refused because the counter already has a ticket;
- ``call-next``, ``start``, ``finish``: a teller's cycle, 50 times, with ~50–100 waiting.

    .venv/bin/python benchmarks/cpu_queue.py [--profile issue|call-next|queue] [--top 30]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx
from _common import bench_env, ensure_database
from bench_queue import COUNTERS, DB_NAME, DB_URL, Outlet, _setup, _staff


class Meter:
    """CPU milliseconds per request, by name; optionally profiling one name."""

    def __init__(self, profile: str | None) -> None:
        self.samples: dict[str, list[float]] = {}
        self.profile_name = profile
        self.profiler = cProfile.Profile()

    async def run(self, name: str, call: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        """Run one request, adding its CPU time under ``name``."""
        profiling = name == self.profile_name
        started = time.process_time()
        if profiling:
            self.profiler.enable()
        response = await call()
        if profiling:
            self.profiler.disable()
        self.samples.setdefault(name, []).append((time.process_time() - started) * 1000)
        if response.status_code >= 500:
            raise RuntimeError(f"{name}: {response.status_code} {response.text}")
        return response


async def _main(args: argparse.Namespace) -> None:
    os.environ.update(bench_env({"SMARTBRANCH_DATABASE_URL": DB_URL}))
    await ensure_database(DB_NAME, fresh=True)
    outlets = await _setup()
    from smartbranch.main import create_app
    from smartbranch.settings import Settings

    app = create_app(Settings(database_url=DB_URL, env="test", cookie_secure=False))
    meter = Meter(args.profile)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await _warm_up(client, outlets[-1])
        await _measure(client, outlets[0], meter)
    await app.state.engine.dispose()

    print(f"application CPU per request (in process, PostgreSQL), ms; {COUNTERS} counters")
    print(f"  {'':<22}{'n':>5}{'mean':>8}{'median':>8}{'p90':>8}")
    for name, values in meter.samples.items():
        ordered = sorted(values)
        p90 = ordered[int(0.9 * (len(ordered) - 1))]
        print(
            f"  {name:<22}{len(values):>5}{statistics.fmean(values):>8.2f}"
            f"{statistics.median(values):>8.2f}{p90:>8.2f}"
        )
    if args.profile:
        print(f"\nprofile of {args.profile!r} ({args.sort}):")
        pstats.Stats(meter.profiler).sort_stats(args.sort).print_stats(args.top)


def _issue_call(
    client: httpx.AsyncClient, outlet: Outlet, n: int
) -> Callable[[], Awaitable[httpx.Response]]:
    service = ("cash", "non_cash", "cash", "wealth", "credit_card")[n % 5]
    return lambda: client.post(
        f"/api/v1/outlets/{outlet.code}/tickets",
        json={"service": service},
        headers={"X-Device-Token": outlet.kiosk_token, "Idempotency-Key": f"cpu-{n}"},
    )


async def _warm_up(client: httpx.AsyncClient, outlet: Outlet) -> None:
    """Every code path once, so that statement compilation does not count."""
    scratch = Meter(None)
    for n in range(5):
        await scratch.run("w", _issue_call(client, outlet, n))
    base = f"/api/v1/outlets/{outlet.code}"
    for _ in range(2):
        called = await client.post(f"{base}/counters/1/call-next", headers=_staff(outlet, "1"))
        ticket = called.json()["ticket"]["id"]
        await client.post(f"{base}/counters/1/call-next", headers=_staff(outlet, "1"))
        await client.post(f"{base}/tickets/{ticket}/start", headers=_staff(outlet, "1"))
        await client.post(f"{base}/tickets/{ticket}/finish", headers=_staff(outlet, "1"))
    await client.get(f"{base}/queue", headers=_staff(outlet, "1"))


async def _measure(client: httpx.AsyncClient, outlet: Outlet, meter: Meter) -> None:
    for n in range(100):
        label = (
            "issue" if 10 <= n < 90 else ("issue (0-10 waiting)" if n < 10 else "issue (90-100)")
        )
        await meter.run(label, _issue_call(client, outlet, n))
        if label != "issue":
            meter.samples.setdefault("issue", []).append(meter.samples[label][-1])
    base = f"/api/v1/outlets/{outlet.code}"
    headers = _staff(outlet, "1")
    for _ in range(20):
        await meter.run("queue", lambda: client.get(f"{base}/queue", headers=headers))
    for _ in range(50):
        called = await meter.run(
            "call-next", lambda: client.post(f"{base}/counters/1/call-next", headers=headers)
        )
        ticket = called.json()["ticket"]["id"]
        refused = await meter.run(
            "call-next busy",
            lambda: client.post(f"{base}/counters/1/call-next", headers=headers),
        )
        assert refused.status_code == 409, refused.text
        for step in ("start", "finish"):
            url = f"{base}/tickets/{ticket}/{step}"
            await meter.run(step, lambda url=url: client.post(url, headers=headers))  # type: ignore[misc]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", choices=("issue", "call-next", "call-next busy", "queue"))
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
