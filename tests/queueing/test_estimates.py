"""The wait estimate's forward simulation: the fast version (heaps per service, O(n log n))
makes exactly the choices of the straightforward one that re-ranks the whole queue with
``policy.pick`` at every call — checked over generated queues, counters and policies."""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from smartbranch.queueing.estimates import MAX_STEPS, estimate_wait, naive_estimate
from smartbranch.queueing.handling import HandlingTimes
from smartbranch.queueing.policy import CounterView, PolicyConfig, QueuedTicket, pick
from tests.queueing.test_policy import SERVICES, T0, TIERS, configs

COUNTERS = (
    CounterView(code="1", service_codes=("cash", "non_cash"), staff_id=7),
    CounterView(code="2", service_codes=("non_cash", "cash"), staff_id=8),
    CounterView(code="3", service_codes=("wealth",), staff_id=9),
    CounterView(code="4", service_codes=("wealth", "cash", "non_cash"), is_vip=True, staff_id=10),
    CounterView(code="5", service_codes=("cash",), is_vip=True, staff_id=11),
)
HANDLING = HandlingTimes(
    stats={("cash", -1): (300.0, 40), ("cash", 9): (200.0, 10), ("wealth", -1): (1200.0, 5)}
)


def reference_estimate(
    queue: Sequence[QueuedTicket],
    counters: Sequence[CounterView],
    busy_until: Mapping[str, datetime],
    config: PolicyConfig,
    handling: HandlingTimes,
    now: datetime,
    new_ticket: QueuedTicket,
) -> timedelta:
    """The forward simulation as first written: ``policy.pick`` over the whole queue at each
    call (O(n²)); the fast one must agree with it exactly."""
    waiting = [t for t in queue if t.id != new_ticket.id]
    waiting.append(new_ticket)
    by_code = {c.code: c for c in counters}
    free = [(max(busy_until.get(c.code, now), now), c.code) for c in counters]
    heapq.heapify(free)
    steps = 0
    while free:
        at, code = heapq.heappop(free)
        chosen = pick(waiting, by_code[code], config, at)
        if chosen is None:
            continue
        if chosen.id == new_ticket.id:
            return at - now
        waiting.remove(chosen)
        heapq.heappush(free, (at + handling.for_service(chosen.service_code, at), code))
        steps += 1
        if steps >= MAX_STEPS:
            return at - now + (at - now) / steps * (len(waiting) - 1)
    same = sum(1 for t in waiting if t.service_code == new_ticket.service_code) - 1
    return naive_estimate(same, handling.service_mean(new_ticket.service_code), 1)


@st.composite
def floors(
    draw: st.DrawFn,
) -> tuple[list[QueuedTicket], list[CounterView], dict[str, datetime], datetime, QueuedTicket]:
    now = T0 + timedelta(minutes=90)
    tickets = []
    for i in range(draw(st.integers(0, 40))):
        target = draw(st.sampled_from((None, None, None, None, "counter", "staff")))
        slot = draw(st.one_of(st.none(), st.floats(-30, 60)))
        tickets.append(
            QueuedTicket(
                id=i + 1,
                service_code=draw(st.sampled_from(SERVICES)),
                tier=draw(st.sampled_from(TIERS)),
                # Some well past any maximum wait, some just arrived.
                queued_at=now - timedelta(minutes=draw(st.floats(0, 80))),
                target_counter_code=draw(st.sampled_from("1234")) if target == "counter" else None,
                target_staff_id=draw(st.sampled_from((7, 10, 99))) if target == "staff" else None,
                slot_at=now + timedelta(minutes=slot) if slot is not None else None,
            )
        )
    counters = draw(st.lists(st.sampled_from(COUNTERS), unique=True, max_size=5))
    busy = {
        c.code: now + timedelta(minutes=draw(st.floats(0, 20)))
        for c in counters
        if draw(st.booleans())
    }
    slot = draw(st.one_of(st.none(), st.floats(0, 60)))
    new = QueuedTicket(
        id=2**62,
        service_code=draw(st.sampled_from(SERVICES)),
        tier=draw(st.sampled_from(TIERS)),
        queued_at=now,
        slot_at=now + timedelta(minutes=slot) if slot is not None else None,
    )
    return tickets, counters, busy, now, new


class TestForwardSimulation:
    @settings(max_examples=300, deadline=None)
    @given(floor=floors(), config=configs(), serves_others=st.booleans())
    def test_same_estimate_as_re_ranking_every_call(
        self,
        floor: tuple[
            list[QueuedTicket], list[CounterView], dict[str, datetime], datetime, QueuedTicket
        ],
        config: PolicyConfig,
        serves_others: bool,
    ) -> None:
        tickets, counters, busy, now, new = floor
        config = replace(config, vip_serves_others=serves_others)
        assert estimate_wait(tickets, counters, busy, config, HANDLING, now, new) == (
            reference_estimate(tickets, counters, busy, config, HANDLING, now, new)
        )

    def test_a_long_queue_is_extrapolated_after_max_steps(self) -> None:
        now = T0
        tickets = [
            QueuedTicket(id=i + 1, service_code="cash", tier="standard", queued_at=now)
            for i in range(MAX_STEPS + 50)
        ]
        new = QueuedTicket(id=2**62, service_code="cash", tier="standard", queued_at=now)
        counters = COUNTERS[:1]
        config = PolicyConfig(max_wait_minutes={"standard": 10_000.0})
        fast = estimate_wait(tickets, counters, {}, config, HANDLING, now, new)
        assert fast == reference_estimate(tickets, counters, {}, config, HANDLING, now, new)
        assert fast > timedelta(hours=24)
