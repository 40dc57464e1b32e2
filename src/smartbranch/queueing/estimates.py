"""Wait estimates: the calling policy run forward over the current queue and open counters,
and, to measure it against, the naive "people ahead × mean service time ÷ open counters".

The forward simulation assumes no one else arrives and every ticket ahead takes its
service's learned handling time for its hour. Later arrivals of higher priority make
the real wait longer; that error is what the benchmark measures.

It makes the same choices as :func:`policy.pick` at every step, in O(n log n) for n waiting
tickets instead of re-ranking the whole queue at every call. This works because a ticket's
priority key moves with the clock only when it changes class (see ``policy.priority_key``):
past its maximum wait it ranks by deadline, a due appointment by slot, and otherwise by a key
fixed at arrival. The simulation's clock only moves forward, so each group of tickets that a
counter sees alike — untargeted tickets of one service and one side of the VIP line — keeps
three heaps (deadline, slot, fixed key) whose tops give the group's best ticket at any time;
a counter compares the best of the groups it serves. The rare tickets sent to a named counter
or member of staff are scanned as they are.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from smartbranch.queueing.handling import HandlingTimes
from smartbranch.queueing.policy import (
    CounterView,
    PolicyConfig,
    QueuedTicket,
    eligible,
    fixed_key,
    priority_key,
)

MAX_STEPS = 2_000
"""Calls simulated at most; beyond, the rest of the queue is extrapolated at the pace so far."""

_Key = tuple[int, float, datetime, int]


def naive_estimate(people_ahead: int, mean_service: timedelta, open_counters: int) -> timedelta:
    """People ahead × mean service time ÷ open counters (what most queue systems show)."""
    return mean_service * people_ahead / max(open_counters, 1)


class _Group:
    """Waiting untargeted tickets of one service on one side of the VIP line, with the heaps
    that give the best of them at a time that never goes back."""

    __slots__ = ("by_deadline", "by_key", "by_slot", "count")

    def __init__(self) -> None:
        self.by_deadline: list[tuple[datetime, datetime, int, QueuedTicket]] = []
        self.by_slot: list[tuple[datetime, datetime, int, QueuedTicket]] = []
        self.by_key: list[tuple[_Key, QueuedTicket]] = []
        self.count = 0

    def add(self, ticket: QueuedTicket, config: PolicyConfig) -> None:
        deadline = ticket.queued_at + config.max_wait(ticket.tier)
        self.by_deadline.append((deadline, ticket.queued_at, ticket.id, ticket))
        if ticket.slot_at is not None:
            due = ticket.slot_at - timedelta(minutes=config.appointment_lead_minutes)
            self.by_slot.append((due, ticket.queued_at, ticket.id, ticket))
        self.by_key.append((fixed_key(ticket, config), ticket))
        self.count += 1

    def heapify(self) -> None:
        heapq.heapify(self.by_deadline)
        heapq.heapify(self.by_slot)
        heapq.heapify(self.by_key)

    def best(self, taken: set[int], at: datetime) -> QueuedTicket | None:
        """The ticket of this group that ``policy.pick`` ranks first at ``at``."""
        if not self.count:
            return None
        for heap in (self.by_deadline, self.by_slot):
            while heap and heap[0][3].id in taken:
                heapq.heappop(heap)
        while self.by_key and self.by_key[0][1].id in taken:
            heapq.heappop(self.by_key)
        if self.by_deadline[0][0] < at:
            return self.by_deadline[0][3]  # past its maximum wait: earliest deadline first
        if self.by_slot and self.by_slot[0][0] <= at:
            # Slots are due in slot order (the lead is the same for all): earliest slot first.
            return self.by_slot[0][3]
        return self.by_key[0][1]


class _Queue:
    """The waiting tickets, grouped for fast picking."""

    def __init__(self, tickets: Sequence[QueuedTicket], config: PolicyConfig) -> None:
        self.config = config
        self.groups: dict[tuple[str, bool], _Group] = {}
        self.targeted: list[QueuedTicket] = []
        self.taken: set[int] = set()
        for ticket in tickets:
            if ticket.target_counter_code is not None or ticket.target_staff_id is not None:
                self.targeted.append(ticket)
                continue
            key = (ticket.service_code, config.is_vip(ticket.tier))
            self.groups.setdefault(key, _Group()).add(ticket, config)
        for group in self.groups.values():
            group.heapify()

    def remove(self, ticket: QueuedTicket) -> None:
        self.taken.add(ticket.id)
        if ticket.target_counter_code is not None or ticket.target_staff_id is not None:
            self.targeted.remove(ticket)
        else:
            self.groups[(ticket.service_code, self.config.is_vip(ticket.tier))].count -= 1

    def pick(self, counter: CounterView, at: datetime) -> QueuedTicket | None:
        """What ``policy.pick`` would pick for ``counter`` at ``at`` among the waiting."""
        config = self.config
        # Tickets sent to a named counter or teller: a VIP counter takes them whatever their
        # tier, as policy.candidates does.
        targeted = [t for t in self.targeted if eligible(t, counter)]
        sides: tuple[bool, ...] = (True, False)
        if counter.is_vip:
            vip_waits = any(config.is_vip(t.tier) for t in targeted) or any(
                self.groups.get((code, True), _EMPTY).count for code in counter.service_codes
            )
            if vip_waits or not config.vip_serves_others:
                sides = (True,)
        best: QueuedTicket | None = None
        best_key: _Key | None = None
        for ticket in targeted:
            key = priority_key(ticket, config, at)
            if best_key is None or key < best_key:
                best, best_key = ticket, key
        for code in counter.service_codes:
            for vip in sides:
                group = self.groups.get((code, vip))
                found = group.best(self.taken, at) if group is not None else None
                if found is None:
                    continue
                key = priority_key(found, config, at)
                if best_key is None or key < best_key:
                    best, best_key = found, key
        return best


_EMPTY = _Group()


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
    line = _Queue(waiting, config)
    by_code = {c.code: c for c in counters}
    free = [(max(busy_until.get(c.code, now), now), c.code) for c in counters]
    heapq.heapify(free)
    steps = 0
    while free:
        at, code = heapq.heappop(free)
        chosen = line.pick(by_code[code], at)
        if chosen is None:
            continue  # nothing more arrives in this simulation: this counter is done
        if chosen.id == new_ticket.id:
            return at - now
        line.remove(chosen)
        heapq.heappush(free, (at + handling.for_service(chosen.service_code, at), code))
        steps += 1
        if steps >= MAX_STEPS:
            ahead = len(waiting) - steps - 1
            pace = (at - now) / steps
            return at - now + pace * ahead
    same_service = (
        sum(
            1
            for t in waiting
            if t.id not in line.taken and t.service_code == new_ticket.service_code
        )
        - 1
    )
    return naive_estimate(same_service, handling.service_mean(new_ticket.service_code), 1)
