"""Wait estimates: the calling policy run forward over the current queue and open counters,
and, to measure it against, the naive "people ahead × mean service time ÷ open counters".

The forward simulation assumes no one else arrives and every ticket ahead takes its
service's learned handling time for its hour. Later arrivals of higher priority make
the real wait longer; that error is what the benchmark measures.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from smartbranch.queueing.handling import HandlingTimes
from smartbranch.queueing.policy import CounterView, PolicyConfig, QueuedTicket, pick

MAX_STEPS = 2_000
"""Calls simulated at most; beyond, the rest of the queue is extrapolated at the pace so far."""


def naive_estimate(people_ahead: int, mean_service: timedelta, open_counters: int) -> timedelta:
    """People ahead × mean service time ÷ open counters (what most queue systems show)."""
    return mean_service * people_ahead / max(open_counters, 1)


def estimate_wait(
    queue: Sequence[QueuedTicket],
    counters: Sequence[CounterView],
    busy_until: Mapping[str, datetime],
    config: PolicyConfig,
    handling: HandlingTimes,
    now: datetime,
    new_ticket: QueuedTicket,
) -> timedelta:
    """How long ``new_ticket`` will wait to be called: each open counter, as it comes free
    (``busy_until``, else now), calls what the policy would call, until it calls
    ``new_ticket``. With no open counter that could ever call it, the naive estimate for
    one counter stands in."""
    waiting = [t for t in queue if t.id != new_ticket.id]
    waiting.append(new_ticket)
    by_code = {c.code: c for c in counters}
    free = [(max(busy_until.get(c.code, now), now), c.code) for c in counters]
    heapq.heapify(free)
    steps = 0
    while free:
        at, code = heapq.heappop(free)
        counter = by_code[code]
        chosen = pick(waiting, counter, config, at)
        if chosen is None:
            continue  # nothing more arrives in this simulation: this counter is done
        if chosen.id == new_ticket.id:
            return at - now
        waiting.remove(chosen)
        heapq.heappush(free, (at + handling.for_service(chosen.service_code, at), code))
        steps += 1
        if steps >= MAX_STEPS:
            ahead = len(waiting) - 1
            pace = (at - now) / steps
            return at - now + pace * ahead
    same_service = sum(1 for t in waiting if t.service_code == new_ticket.service_code) - 1
    return naive_estimate(same_service, handling.service_mean(new_ticket.service_code), 1)
