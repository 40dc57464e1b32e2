"""The calling policy: properties over generated queues (hypothesis) and the cases a teller
would ask about."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from smartbranch.queueing.policy import (
    APPOINTMENT_DUE,
    FIFO,
    HIGHEST_PRIORITY,
    MAX_WAIT_EXCEEDED,
    TRANSFERRED_TO_COUNTER,
    TRANSFERRED_TO_STAFF,
    CounterView,
    PolicyConfig,
    QueuedTicket,
    choose,
    describe,
    rank,
    tier_rank,
)

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
TIERS = ("standard", "gold", "platinum", "diamond", "private")
SERVICES = ("cash", "non_cash", "wealth")
GENERAL = CounterView(code="1", service_codes=("cash", "non_cash"), staff_id=7)
VIP = CounterView(code="9", service_codes=("wealth", "cash", "non_cash"), is_vip=True, staff_id=8)


def ticket(
    id: int, minute: float, tier: str = "standard", service: str = "cash", **kw: object
) -> QueuedTicket:
    return QueuedTicket(
        id=id,
        service_code=service,
        tier=tier,
        queued_at=T0 + timedelta(minutes=minute),
        **kw,  # type: ignore[arg-type]
    )


@st.composite
def configs(draw: st.DrawFn) -> PolicyConfig:
    """Policies a bank could configure: weights rising and maximum waits falling with the
    tier (the policy's premise), any aging rate."""
    steps = draw(st.lists(st.floats(0, 15), min_size=4, max_size=4))
    weights, total = {"standard": 0.0}, 0.0
    for tier, step in zip(TIERS[1:], steps, strict=True):
        total += step
        weights[tier] = total
    cuts = draw(st.lists(st.floats(0, 10), min_size=4, max_size=4))
    waits, limit = {"standard": draw(st.floats(20, 60))}, 0.0
    for tier, cut in zip(TIERS[1:], cuts, strict=True):
        limit = waits[TIERS[tier_rank(tier) - 1]] - cut
        waits[tier] = max(limit, 5.0)
    return PolicyConfig(
        tier_weights=weights,
        max_wait_minutes=waits,
        aging_points_per_minute=draw(st.floats(0, 3)),
    )


@st.composite
def queues(draw: st.DrawFn, min_size: int = 1) -> list[QueuedTicket]:
    size = draw(st.integers(min_size, 25))
    return [
        ticket(
            i + 1,
            draw(st.floats(0, 90)),
            draw(st.sampled_from(TIERS)),
            draw(st.sampled_from(SERVICES)),
        )
        for i in range(size)
    ]


def serve_all(
    tickets: list[QueuedTicket],
    counter: CounterView,
    config: PolicyConfig,
    start: datetime,
    service_minutes: float = 3.0,
) -> list[tuple[QueuedTicket, datetime]]:
    """One counter calling, each service taking ``service_minutes``; returns call order."""
    waiting, now, calls = list(tickets), start, []
    while True:
        present = [t for t in waiting if t.queued_at <= now]
        choice = choose(present, counter, config, now)
        if choice is None:
            later = [t.queued_at for t in waiting if t.queued_at > now]
            if not later:
                return calls
            now = min(later)
            continue
        chosen = next(t for t in present if t.id == choice.ticket_id)
        waiting.remove(chosen)
        calls.append((chosen, now))
        now += timedelta(minutes=service_minutes)


class TestProperties:
    @settings(max_examples=200, deadline=None)
    @given(queue=queues(), config=configs(), minute=st.floats(0, 150))
    def test_a_ticket_past_its_maximum_wait_goes_first_in_deadline_order(
        self, queue: list[QueuedTicket], config: PolicyConfig, minute: float
    ) -> None:
        now = T0 + timedelta(minutes=minute)
        present = [t for t in queue if t.queued_at <= now]
        choice = choose(present, GENERAL, config, now)
        eligible = [t for t in present if t.service_code in GENERAL.service_codes]
        overdue = [t for t in eligible if now - t.queued_at > config.max_wait(t.tier)]
        if not eligible:
            assert choice is None
            return
        assert choice is not None
        if overdue:
            deadline = {t.id: t.queued_at + config.max_wait(t.tier) for t in eligible}
            assert choice.reason == MAX_WAIT_EXCEEDED
            assert deadline[choice.ticket_id] == min(deadline[t.id] for t in overdue)

    @settings(max_examples=100, deadline=None)
    @given(
        config=configs(),
        service_minutes=st.floats(1, 4),
        vip_tier=st.sampled_from(TIERS[1:]),
        vip_gaps=st.lists(st.floats(0, 3), min_size=30, max_size=60),
    )
    def test_no_starvation_beyond_the_maximum_wait(
        self,
        config: PolicyConfig,
        service_minutes: float,
        vip_tier: str,
        vip_gaps: list[float],
    ) -> None:
        """A standard ticket behind an endless stream of higher tiers (which the counter can
        just keep up with) is called by its maximum wait plus one service in progress."""
        vips, minute = [], 0.0
        for i, gap in enumerate(vip_gaps):
            minute += service_minutes + gap
            vips.append(ticket(100 + i, minute, vip_tier))
        standard = ticket(1, 0.5)
        calls = serve_all([*vips, standard], GENERAL, config, T0, service_minutes)
        called_at = next(at for t, at in calls if t.id == standard.id)
        limit = config.max_wait("standard") + timedelta(minutes=service_minutes)
        assert called_at - standard.queued_at <= limit

    @settings(max_examples=200, deadline=None)
    @given(
        queue=queues(min_size=0),
        config=configs(),
        tiers=st.lists(st.sampled_from(TIERS), min_size=2, max_size=2, unique=True),
        minute=st.floats(0, 90),
        lead=st.floats(0, 30),
    )
    def test_a_higher_tier_never_waits_longer_unless_aging_says_so(
        self,
        queue: list[QueuedTicket],
        config: PolicyConfig,
        tiers: list[str],
        minute: float,
        lead: float,
    ) -> None:
        high_tier, low_tier = sorted(tiers, key=tier_rank, reverse=True)
        # Identical conditions: same service, same arrival → the higher tier is called first.
        high, low = ticket(1001, minute, high_tier), ticket(1002, minute, low_tier)
        order = [t.id for t, _ in serve_all([*queue, high, low], GENERAL, config, T0)]
        assert order.index(high.id) < order.index(low.id)
        # The lower tier came ``lead`` minutes earlier: it may go first only when aging (its
        # extra minutes × the aging rate) outweighs the tier weights, or its maximum wait
        # is up.
        low_early = ticket(1002, minute - lead, low_tier)
        now = T0 + timedelta(minutes=minute + 1)
        choice = choose([high, low_early], GENERAL, config, now)
        assert choice is not None
        if choice.ticket_id == low_early.id:
            aged = config.aging_points_per_minute * lead
            gap = config.weight(high_tier) - config.weight(low_tier)
            assert aged >= gap - 1e-6 or choice.reason == MAX_WAIT_EXCEEDED

    @settings(max_examples=200, deadline=None)
    @given(
        minutes=st.lists(st.floats(0, 120), min_size=2, max_size=30, unique=True),
        tier=st.sampled_from(TIERS),
        config=configs(),
    )
    def test_fifo_among_equals(self, minutes: list[float], tier: str, config: PolicyConfig) -> None:
        tickets = [ticket(i + 1, m, tier) for i, m in enumerate(minutes)]
        calls = serve_all(tickets, GENERAL, config, T0)
        arrivals = [t.queued_at for t, _ in calls]
        assert arrivals == sorted(arrivals)

    @settings(max_examples=100, deadline=None)
    @given(queue=queues(), config=configs(), minute=st.floats(0, 150))
    def test_rank_starts_with_the_choice(
        self, queue: list[QueuedTicket], config: PolicyConfig, minute: float
    ) -> None:
        now = T0 + timedelta(minutes=minute)
        for counter in (GENERAL, VIP):
            ranked = rank(queue, counter, config, now)
            choice = choose(queue, counter, config, now)
            assert (choice.ticket_id if choice else None) == (ranked[0].id if ranked else None)


class TestChoices:
    config = PolicyConfig.default()

    def test_empty_queue_and_unserved_services_give_nothing(self) -> None:
        assert choose([], GENERAL, self.config, T0) is None
        assert choose([ticket(1, 0, service="wealth")], GENERAL, self.config, T0) is None

    def test_fifo_reason_when_the_first_comer_is_called(self) -> None:
        choice = choose(
            [ticket(1, 0), ticket(2, 1)], GENERAL, self.config, T0 + timedelta(minutes=3)
        )
        assert choice is not None
        assert (choice.ticket_id, choice.reason) == (1, FIFO)
        assert choice.explanation["waited_minutes"] == 3.0

    def test_a_gold_customer_goes_ahead_of_earlier_standard_ones(self) -> None:
        queue = [ticket(1, 0), ticket(2, 1), ticket(3, 2, "gold")]
        choice = choose(queue, GENERAL, self.config, T0 + timedelta(minutes=3))
        assert choice is not None
        assert (choice.ticket_id, choice.reason) == (3, HIGHEST_PRIORITY)
        assert choice.explanation["passed"] == 2

    def test_aging_lets_a_long_wait_beat_a_higher_tier(self) -> None:
        # gold counts as 5 minutes earlier; this standard ticket came 6 minutes earlier.
        queue = [ticket(1, 0), ticket(2, 6, "gold")]
        choice = choose(queue, GENERAL, self.config, T0 + timedelta(minutes=7))
        assert choice is not None and choice.ticket_id == 1

    def test_max_wait_beats_any_tier(self) -> None:
        queue = [ticket(1, 0), ticket(2, 30, "private")]
        choice = choose(queue, GENERAL, self.config, T0 + timedelta(minutes=31))
        assert choice is not None
        assert (choice.ticket_id, choice.reason) == (1, MAX_WAIT_EXCEEDED)

    def test_vip_counter_serves_vips_first_and_others_when_none_waits(self) -> None:
        queue = [ticket(1, 0), ticket(2, 5, "gold", "wealth")]
        now = T0 + timedelta(minutes=6)
        first = choose(queue, VIP, self.config, now)
        assert first is not None and first.ticket_id == 2
        second = choose(queue[:1], VIP, self.config, now)
        assert second is not None and second.ticket_id == 1
        closed = replace(self.config, vip_serves_others=False)
        assert choose(queue[:1], VIP, closed, now) is None

    def test_a_vip_counter_serves_vips_before_overdue_others(self) -> None:
        queue = [ticket(1, 0), ticket(2, 40, "platinum")]
        choice = choose(queue, VIP, self.config, T0 + timedelta(minutes=41))
        assert choice is not None and choice.ticket_id == 2

    def test_transferred_tickets_wait_for_their_counter_or_staff(self) -> None:
        to_counter = ticket(1, 5, target_counter_code="9", service="wealth")
        to_staff = ticket(2, 5, target_staff_id=7)
        plain = ticket(3, 0)
        now = T0 + timedelta(minutes=6)
        assert choose([to_counter], GENERAL, self.config, now) is None
        at_vip = choose([to_counter, plain], VIP, self.config, now)
        assert at_vip is not None
        assert (at_vip.ticket_id, at_vip.reason) == (1, TRANSFERRED_TO_COUNTER)
        at_general = choose([to_staff, plain], GENERAL, self.config, now)
        assert at_general is not None
        assert (at_general.ticket_id, at_general.reason) == (2, TRANSFERRED_TO_STAFF)
        other_staff = replace(GENERAL, staff_id=99)
        assert choose([to_staff], other_staff, self.config, now) is None

    def test_an_appointment_is_served_from_shortly_before_its_slot(self) -> None:
        slot = T0 + timedelta(minutes=30)
        booked = ticket(1, 20, slot_at=slot)
        early = [ticket(2, 0), booked]
        before = choose(early, GENERAL, self.config, T0 + timedelta(minutes=21))
        assert before is not None and before.ticket_id == 2
        due = choose(early, GENERAL, self.config, slot - timedelta(minutes=4))
        assert due is not None
        assert (due.ticket_id, due.reason) == (1, APPOINTMENT_DUE)

    def test_the_reason_reads_in_chinese_and_english(self) -> None:
        queue = [ticket(1, 0), ticket(2, 30, "private")]
        choice = choose(queue, GENERAL, self.config, T0 + timedelta(minutes=31))
        assert choice is not None
        assert describe(choice, "en") == (
            "Waited 31 minutes, past the 30-minute maximum for Standard customers: goes first."
        )
        assert describe(choice, "zh_CN") == (
            "已等候 31 分钟，超过普通客户等级的最长等候时间 30 分钟，优先叫号。"
        )
