"""Shared helpers of the benchmark scripts: subprocess timing with peak memory, a bench
database on the local PostgreSQL, and wrk runs. Benchmarks print figures; they assert nothing."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BENCH_VAR = ROOT / "var" / "bench"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = os.environ.get("BENCH_PG_DB", "smartbranch_bench")
PG_BENCH_URL = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_BENCH_DB


@dataclass
class Measured:
    seconds: float
    peak_rss_bytes: int
    returncode: int


def run_measured(args: list[str], env: dict[str, str] | None = None) -> Measured:
    """Run a command, sampling the RSS of its whole process tree every 50 ms."""
    started = time.perf_counter()
    process = subprocess.Popen(args, env={**os.environ, **(env or {})}, cwd=ROOT)
    root = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
    return Measured(time.perf_counter() - started, peak, process.returncode)


async def ensure_database(name: str = PG_BENCH_DB, *, fresh: bool = False) -> None:
    """Create the bench database on the local PostgreSQL (dropping it first if ``fresh``)."""
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists and fresh:
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = False
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def ensure_database_sync(fresh: bool = False) -> None:
    asyncio.run(ensure_database(fresh=fresh))


def bench_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of smartbranch commands in a benchmark (own var dir, bench database)."""
    BENCH_VAR.mkdir(parents=True, exist_ok=True)
    env = {
        "SMARTBRANCH_VAR_DIR": str(BENCH_VAR),
        "SMARTBRANCH_DATABASE_URL": PG_BENCH_URL,
        "SMARTBRANCH_LOG_LEVEL": "WARNING",
    }
    env.update(extra or {})
    return env


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        raise ValueError(text)
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(
    url: str, script: Path, *, connections: int, seconds: int, threads: int = 2
) -> WrkResult:
    """Run wrk with a Lua script and parse its throughput, p50, p99 and error counts."""
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return WrkResult(rps, p50, p99, total, errors)


def wait_for_http(url: str, timeout: float = 60.0) -> None:
    """Wait until ``url`` answers at all."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise TimeoutError(url)


def serve(args: list[str], env: dict[str, str], url: str) -> subprocess.Popen[bytes]:
    """Start a server in its own process group and wait until ``url`` answers."""
    process = subprocess.Popen(
        args,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_for_http(url)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a server started by :func:`serve` (its whole process group)."""
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB"
