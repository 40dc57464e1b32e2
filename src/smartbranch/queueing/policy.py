"""The calling policy: which waiting ticket a counter calls next, and why. Pure: no database,
no clock of its own, so the service, the wait estimate and the simulator share it.

The order, for the tickets a counter may serve:

1. tickets past their tier's **maximum wait**, earliest deadline first (no one waits much
   beyond the maximum, whatever arrives after them);
2. **appointments** whose slot is due (from a few minutes before it), earliest slot first;
3. tickets **transferred** to this counter or to the member of staff signed in at it;
4. everyone else by **priority**: the tier's weight plus points that grow with waiting
   (aging), then arrival, then ticket id (FIFO among equals).

Because every ticket ages at the same rate, step 4 amounts to "a tier counts as having
arrived ``weight / aging`` minutes earlier": the order between two tickets never flips while
they wait, which keeps the choice explainable and the forward simulation cheap.

A **VIP counter** serves tickets of VIP tiers first and, when none of them waits, everyone
else (unless the outlet turns ``vip_serves_others`` off).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from smartbranch.customers.models import TIER_ORDER, Tier
from smartbranch.customers.tiers import TIER_LABELS
from smartbranch.i18n import N_, translate

MAX_WAIT_EXCEEDED = "max_wait_exceeded"
APPOINTMENT_DUE = "appointment_due"
TRANSFERRED_TO_COUNTER = "transferred_to_counter"
TRANSFERRED_TO_STAFF = "transferred_to_staff"
HIGHEST_PRIORITY = "highest_priority"
FIFO = "fifo"

DEFAULT_TIER_WEIGHTS: Mapping[str, float] = {
    Tier.STANDARD: 0.0,
    Tier.GOLD: 5.0,
    Tier.PLATINUM: 10.0,
    Tier.DIAMOND: 15.0,
    Tier.PRIVATE: 20.0,
}
DEFAULT_MAX_WAIT_MINUTES: Mapping[str, float] = {
    Tier.STANDARD: 30.0,
    Tier.GOLD: 25.0,
    Tier.PLATINUM: 20.0,
    Tier.DIAMOND: 15.0,
    Tier.PRIVATE: 10.0,
}
_TIER_RANK = {tier.value: rank for rank, tier in enumerate(TIER_ORDER)}


def tier_rank(tier: str) -> int:
    """0 for standard up to 4 for private banking (unknown tiers count as standard)."""
    return _TIER_RANK.get(tier, 0)


@dataclass(frozen=True, slots=True)
class QueuedTicket:
    """A waiting ticket as the policy sees it."""

    id: int
    service_code: str
    tier: str
    queued_at: datetime
    target_counter_code: str | None = None
    target_staff_id: int | None = None
    slot_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class CounterView:
    """A counter as the policy sees it: its work profile, VIP flag and who is signed in."""

    code: str
    service_codes: tuple[str, ...]
    is_vip: bool = False
    staff_id: int | None = None


@dataclass(frozen=True)
class PolicyConfig:
    """An outlet's calling policy (the ``QueuePolicy`` row, or the defaults)."""

    tier_weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_TIER_WEIGHTS))
    aging_points_per_minute: float = 1.0
    max_wait_minutes: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_MAX_WAIT_MINUTES)
    )
    target_minutes: int = 15
    recall_limit: int = 3
    lease_seconds: int = 180
    vip_serves_others: bool = True
    vip_min_tier: str = Tier.GOLD
    appointment_lead_minutes: int = 5
    appointment_grace_minutes: int = 15
    announce_honorific: bool = False
    announce_english: bool = False

    @classmethod
    def default(cls) -> PolicyConfig:
        """The policy of an outlet that has not configured its own."""
        return cls()

    def weight(self, tier: str) -> float:
        """Priority points of ``tier``."""
        return float(self.tier_weights.get(tier, 0.0))

    def max_wait(self, tier: str) -> timedelta:
        """How long a ticket of ``tier`` may wait before it goes first."""
        minutes = self.max_wait_minutes.get(tier, max(self.max_wait_minutes.values(), default=60))
        return timedelta(minutes=float(minutes))

    def is_vip(self, tier: str) -> bool:
        """Whether a VIP counter serves ``tier`` first."""
        return tier_rank(tier) >= tier_rank(self.vip_min_tier)

    @property
    def lease(self) -> timedelta:
        """How long a called ticket stays with a counter that shows no sign of life."""
        return timedelta(seconds=self.lease_seconds)


@dataclass(frozen=True, slots=True)
class Choice:
    """The ticket a counter should call and why (``reason`` is a machine code)."""

    ticket_id: int
    reason: str
    explanation: dict[str, Any]


def _targeted(ticket: QueuedTicket) -> bool:
    return ticket.target_counter_code is not None or ticket.target_staff_id is not None


def eligible(ticket: QueuedTicket, counter: CounterView) -> bool:
    """Whether ``counter`` may call ``ticket`` at all: a ticket sent to a named counter or
    member of staff waits for them (whatever their work profile); others need a counter
    that serves their service."""
    if ticket.target_counter_code is not None and ticket.target_counter_code != counter.code:
        return False
    if ticket.target_staff_id is not None and ticket.target_staff_id != counter.staff_id:
        return False
    return _targeted(ticket) or ticket.service_code in counter.service_codes


def candidates(
    tickets: Sequence[QueuedTicket], counter: CounterView, config: PolicyConfig
) -> list[QueuedTicket]:
    """The tickets ``counter`` may call now, after its VIP restriction."""
    found = [t for t in tickets if eligible(t, counter)]
    if not counter.is_vip:
        return found
    vip = [t for t in found if config.is_vip(t.tier) or _targeted(t)]
    if any(config.is_vip(t.tier) for t in vip) or not config.vip_serves_others:
        return vip
    return found


def _minutes(delta: timedelta) -> float:
    return delta.total_seconds() / 60.0


def priority_key(
    ticket: QueuedTicket, config: PolicyConfig, now: datetime
) -> tuple[int, float, datetime, int]:
    """Sort key: the smallest key is called first (see the module docstring)."""
    deadline = ticket.queued_at + config.max_wait(ticket.tier)
    if now > deadline:
        return (0, _minutes(deadline - now), ticket.queued_at, ticket.id)
    if ticket.slot_at is not None and now >= ticket.slot_at - timedelta(
        minutes=config.appointment_lead_minutes
    ):
        return (1, _minutes(ticket.slot_at - now), ticket.queued_at, ticket.id)
    return fixed_key(ticket, config)


def fixed_key(ticket: QueuedTicket, config: PolicyConfig) -> tuple[int, float, datetime, int]:
    """The sort key of a ticket neither past its maximum wait nor due for its appointment:
    fixed from arrival, since every ticket ages alike."""
    # weight + aging × minutes waited, written so that the key does not move with ``now``:
    # minus the weight, plus aging × minutes since an epoch.
    score_key = config.aging_points_per_minute * _minutes(
        ticket.queued_at - _EPOCH
    ) - config.weight(ticket.tier)
    return (2 if _targeted(ticket) else 3, score_key, ticket.queued_at, ticket.id)


_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def rank(
    tickets: Sequence[QueuedTicket], counter: CounterView, config: PolicyConfig, now: datetime
) -> list[QueuedTicket]:
    """The tickets ``counter`` may call, best first."""
    return sorted(candidates(tickets, counter, config), key=lambda t: priority_key(t, config, now))


def pick(
    tickets: Sequence[QueuedTicket], counter: CounterView, config: PolicyConfig, now: datetime
) -> QueuedTicket | None:
    """The ticket :func:`choose` would choose, without the explanation (for simulations)."""
    found = candidates(tickets, counter, config)
    if not found:
        return None
    return min(found, key=lambda t: priority_key(t, config, now))


def choose(
    tickets: Sequence[QueuedTicket], counter: CounterView, config: PolicyConfig, now: datetime
) -> Choice | None:
    """The ticket ``counter`` should call next among ``tickets``, with the reason; None
    when it may call none of them."""
    found = candidates(tickets, counter, config)
    if not found:
        return None
    best = min(found, key=lambda t: priority_key(t, config, now))
    return explain(best, found, counter, config, now)


def explain(
    chosen: QueuedTicket,
    others: Sequence[QueuedTicket],
    counter: CounterView,
    config: PolicyConfig,
    now: datetime,
) -> Choice:
    """Why ``chosen`` goes before ``others`` (the rest of the counter's candidates)."""
    klass = priority_key(chosen, config, now)[0]
    waited = _minutes(now - chosen.queued_at)
    passed = sum(
        1
        for t in others
        if t.id != chosen.id and (t.queued_at, t.id) < (chosen.queued_at, chosen.id)
    )
    explanation: dict[str, Any] = {
        "tier": chosen.tier,
        "waited_minutes": round(waited, 1),
        "max_wait_minutes": round(_minutes(config.max_wait(chosen.tier)), 1),
        "priority": round(config.weight(chosen.tier) + config.aging_points_per_minute * waited, 1),
        "passed": passed,
        "candidates": len(others),
        "counter": counter.code,
        "vip_counter": counter.is_vip,
    }
    if klass == 0:
        reason = MAX_WAIT_EXCEEDED
    elif klass == 1:
        reason = APPOINTMENT_DUE
        assert chosen.slot_at is not None
        explanation["slot_at"] = chosen.slot_at.isoformat()
    elif klass == 2:
        reason = TRANSFERRED_TO_COUNTER if chosen.target_counter_code else TRANSFERRED_TO_STAFF
    else:
        reason = HIGHEST_PRIORITY if passed else FIFO
    return Choice(ticket_id=chosen.id, reason=reason, explanation=explanation)


REASON_MESSAGES: Mapping[str, str] = {
    MAX_WAIT_EXCEEDED: N_(
        "Waited {waited} minutes, past the {limit}-minute maximum for {tier} customers: goes first."
    ),
    APPOINTMENT_DUE: N_("Appointment at {slot}: served at the booked time."),
    TRANSFERRED_TO_COUNTER: N_("Transferred to this counter; keeps its place in the queue."),
    TRANSFERRED_TO_STAFF: N_("Transferred to you by name; keeps its place in the queue."),
    HIGHEST_PRIORITY: N_(
        "Highest priority: {tier} customer waiting {waited} minutes, ahead of {passed} "
        "who came earlier."
    ),
    FIFO: N_("First in line: waiting {waited} minutes."),
}


def describe(choice: Choice, locale: str, tz: tzinfo = UTC) -> str:
    """The reason for ``choice`` in the user's language (slot times in ``tz``)."""
    detail = choice.explanation
    tier = str(detail.get("tier", Tier.STANDARD))
    label = TIER_LABELS.get(Tier(tier), tier) if tier in _TIER_RANK else tier
    slot = detail.get("slot_at")
    params = {
        "waited": f"{float(detail.get('waited_minutes', 0)):.0f}",
        "limit": f"{float(detail.get('max_wait_minutes', 0)):.0f}",
        "tier": translate(label, locale),
        "passed": detail.get("passed", 0),
        "slot": datetime.fromisoformat(slot).astimezone(tz).strftime("%H:%M") if slot else "",
    }
    return translate(REASON_MESSAGES[choice.reason], locale).format(**params)
