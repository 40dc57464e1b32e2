"""Wall time and peak memory of each stage of a run, as the run's summary reports them."""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_STATM = Path("/proc/self/statm")


def current_rss() -> int:
    """Resident memory of this process now, in bytes."""
    try:
        return int(_STATM.read_text().split()[1]) * _PAGE
    except OSError:  # not Linux: the peak so far is the best we have
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass
class StageReport:
    """One stage's figures."""

    name: str
    seconds: float = 0.0
    peak_rss_bytes: int = 0
    rows: int = 0
    notes: dict[str, object] = field(default_factory=dict)


class _Sampler(threading.Thread):
    """Samples the resident size every ``interval`` seconds and keeps the highest."""

    def __init__(self, interval: float = 0.05) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.interval = interval
        self.peak = current_rss()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self.peak = max(self.peak, current_rss())

    def stop(self) -> int:
        self._stop_event.set()
        self.join()
        return max(self.peak, current_rss())


@contextmanager
def measured(name: str) -> Iterator[StageReport]:
    """Time the block and sample its peak resident memory (this process only: a Spark
    engine's JVM is a process of its own)."""
    report = StageReport(name)
    sampler = _Sampler()
    sampler.start()
    started = time.perf_counter()
    try:
        yield report
    finally:
        report.seconds = time.perf_counter() - started
        report.peak_rss_bytes = sampler.stop()
