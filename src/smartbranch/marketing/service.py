"""Outcomes of marketing leads, and the contact policy built on them.

A member of staff records in one tap what happened to a lead (DESIGN §5):

=================  ==========================================================  ============
outcome            lead status afterwards                                      presentation
=================  ==========================================================  ============
``accepted``       ``accepted`` (converted later by the purchase)              yes
``declined``       ``declined``, with an optional reason code                  yes
``deferred``       ``deferred`` until a follow-up date                         yes
``not_presented``  unchanged (the customer left, no time …)                    no
``already_has``    ``expired``: nothing left to offer                          no
=================  ==========================================================  ============

A converted or expired lead, or one past its validity, takes no more outcomes; a declined
lead may still be accepted (the customer changed their mind) but not declined or deferred
again; an accepted lead is waiting for its purchase. Declining or deferring a lead that has
been presented as often as its rule allows is refused; accepting never is.

The contact policy (:func:`contact_hold`) is a pure function over a customer's outcome
history for one rule, shared by the nightly run (which does not produce a lead that is held
back) and the customer brief (which does not show one).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.catalog.models import Product
from smartbranch.credentials import CHINA_TZ
from smartbranch.db import utcnow
from smartbranch.i18n import N_, translate
from smartbranch.logs import redact
from smartbranch.marketing.errors import (
    InvalidOutcomeError,
    LeadClosedError,
    LeadNotFoundError,
    NotSoldOnTheSpotError,
    OutcomeNotAllowedError,
)
from smartbranch.marketing.models import CHANNELS, Lead, LeadRule, LeadStatus, Outcome, OutcomeKind
from smartbranch.orgs.models import OrgKind, OrgUnit, Staff

DECLINE_REASONS: dict[str, str] = {
    "not_interested": N_("Not interested"),
    "no_funds": N_("No money available for it now"),
    "has_similar": N_("Already has something similar elsewhere"),
    "return_too_low": N_("Return or rate too low"),
    "risk_concern": N_("Worried about the risk"),
    "no_time": N_("No time today"),
    "ask_family": N_("Wants to discuss it with the family"),
    "no_marketing": N_("Does not want offers"),
    "other": N_("Other reason"),
}
"""Why a customer declined: code → label (translated where shown)."""

MAX_NOTE_LENGTH = 500
MAX_FOLLOW_UP_DAYS = 180

PRESENTED_KINDS = frozenset({OutcomeKind.ACCEPTED, OutcomeKind.DECLINED, OutcomeKind.DEFERRED})
"""Outcomes that mean the lead was put to the customer."""

_CLOSED = frozenset({LeadStatus.CONVERTED, LeadStatus.EXPIRED})
_ALLOWED: dict[str, frozenset[OutcomeKind]] = {
    LeadStatus.OPEN: frozenset(OutcomeKind),
    LeadStatus.PRESENTED: frozenset(OutcomeKind),
    LeadStatus.DEFERRED: frozenset(OutcomeKind),
    LeadStatus.DECLINED: frozenset({OutcomeKind.ACCEPTED, OutcomeKind.ALREADY_HAS}),
    LeadStatus.ACCEPTED: frozenset(),
}
_STATUS_AFTER: dict[OutcomeKind, LeadStatus | None] = {
    OutcomeKind.ACCEPTED: LeadStatus.ACCEPTED,
    OutcomeKind.DECLINED: LeadStatus.DECLINED,
    OutcomeKind.DEFERRED: LeadStatus.DEFERRED,
    OutcomeKind.NOT_PRESENTED: None,
    OutcomeKind.ALREADY_HAS: LeadStatus.EXPIRED,
}


def decline_reasons(locale: str) -> list[tuple[str, str]]:
    """The decline reasons as (code, label in ``locale``), for a one-tap form."""
    return [(code, translate(label, locale)) for code, label in DECLINE_REASONS.items()]


def bank_date(moment: datetime) -> date:
    """The calendar date of ``moment`` at the bank (China, UTC+8): contact policy and lead
    validity count bank days, not UTC days."""
    return moment.astimezone(CHINA_TZ).date()


# --- contact policy ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContactPolicy:
    """A rule's contact policy."""

    cooldown_days: int
    max_presentations: int


@dataclass(frozen=True, slots=True)
class PastOutcome:
    """One outcome of a customer's history for a rule, as the contact policy needs it."""

    kind: OutcomeKind
    on: date
    """The bank date it was recorded."""
    follow_up_on: date | None = None


class HoldReason(StrEnum):
    COOLDOWN = "cooldown"
    """Declined, accepted or already held within the cool-down."""
    FOLLOW_UP = "follow_up"
    """Deferred: offered again from the follow-up date."""
    MAX_PRESENTATIONS = "max_presentations"
    """Presented as often as the rule allows."""


@dataclass(frozen=True, slots=True)
class Hold:
    """Why and until when a rule's lead is held back from a customer."""

    reason: HoldReason
    until: date | None
    """The first date it may be offered again; ``None`` when never (presentations used up)."""


def contact_hold(history: Iterable[PastOutcome], policy: ContactPolicy, on: date) -> Hold | None:
    """Whether a lead of a rule may be offered to a customer on ``on``, given the
    customer's outcomes for that rule: ``None`` if it may, else the :class:`Hold`.

    - presented (accepted, declined, deferred) ``max_presentations`` times → held for good
      (the caller chooses the history's horizon, e.g. the campaign's);
    - declined, accepted, or already has the product on day *d* → held until *d* +
      ``cooldown_days``;
    - deferred on day *d* → held until its follow-up date (*d* + cool-down without one);
    - not presented → no effect. Outcomes after ``on`` are ignored.
    """
    presentations = 0
    hold: Hold | None = None
    latest = on
    for past in history:
        if past.on > on:
            continue
        if past.kind in PRESENTED_KINDS:
            presentations += 1
        if past.kind == OutcomeKind.NOT_PRESENTED:
            continue
        if past.kind == OutcomeKind.DEFERRED and past.follow_up_on is not None:
            reason, until = HoldReason.FOLLOW_UP, past.follow_up_on
        else:
            reason, until = HoldReason.COOLDOWN, past.on + timedelta(days=policy.cooldown_days)
        if until > latest:
            hold, latest = Hold(reason, until), until
    if presentations >= policy.max_presentations:
        return Hold(HoldReason.MAX_PRESENTATIONS, None)
    return hold


def held_back(history: Iterable[PastOutcome], policy: ContactPolicy, on: date) -> bool:
    """Whether the contact policy holds a new lead back on ``on`` (see :func:`contact_hold`)."""
    return contact_hold(history, policy, on) is not None


async def contact_history(
    session: AsyncSession, customer_id: int, rule_ids: Collection[int] | None = None
) -> dict[int, list[PastOutcome]]:
    """A customer's outcome history per rule id (oldest first), for :func:`contact_hold`."""
    query = (
        select(Outcome.rule_id, Outcome.kind, Outcome.recorded_at, Outcome.follow_up_on)
        .where(Outcome.customer_id == customer_id)
        .order_by(Outcome.recorded_at, Outcome.id)
    )
    if rule_ids is not None:
        query = query.where(Outcome.rule_id.in_(list(rule_ids)))
    history: dict[int, list[PastOutcome]] = {}
    for rule_id, kind, recorded_at, follow_up_on in await session.execute(query):
        history.setdefault(rule_id, []).append(
            PastOutcome(OutcomeKind(kind), bank_date(recorded_at), follow_up_on)
        )
    return history


# --- recording outcomes ------------------------------------------------------------------


def _invalid(message: str, part: str, **params: str) -> InvalidOutcomeError:
    return InvalidOutcomeError(message, part=part, **params)


def _checked_fields(
    kind: OutcomeKind | str,
    channel: str,
    reason_code: str | None,
    follow_up_on: date | None,
    note: str | None,
    today: date,
) -> tuple[OutcomeKind, str | None]:
    """The outcome kind and the cleaned note, or :class:`InvalidOutcomeError`."""
    try:
        kind = OutcomeKind(kind)
    except ValueError:
        raise _invalid(
            N_("Unknown outcome {part} (known: {known})."),
            str(kind),
            known=", ".join(OutcomeKind),
        ) from None
    if channel not in CHANNELS:
        raise _invalid(
            N_("Unknown channel {part} (known: {known})."), channel, known=", ".join(CHANNELS)
        )
    if reason_code is not None:
        if kind != OutcomeKind.DECLINED:
            raise _invalid(N_("Only a declined lead takes a reason: {part}"), reason_code)
        if reason_code not in DECLINE_REASONS:
            raise _invalid(
                N_("Unknown decline reason {part} (known: {known})."),
                reason_code,
                known=", ".join(DECLINE_REASONS),
            )
    if kind == OutcomeKind.DEFERRED:
        latest = today + timedelta(days=MAX_FOLLOW_UP_DAYS)
        if follow_up_on is None or not today < follow_up_on <= latest:
            raise _invalid(
                N_("A deferred lead needs a follow-up date after today and by {latest}: {part}"),
                str(follow_up_on or "—"),
                latest=latest.isoformat(),
            )
    elif follow_up_on is not None:
        raise _invalid(N_("Only a deferred lead takes a follow-up date: {part}"), str(follow_up_on))
    if note is not None:
        note = note.strip() or None
        if note is not None and len(note) > MAX_NOTE_LENGTH:
            raise _invalid(
                N_("The note is too long: {length} characters (at most {limit})."),
                note[:40] + "…",
                length=str(len(note)),
                limit=str(MAX_NOTE_LENGTH),
            )
    # A note is free text: a card or ID number typed into it must not be stored in clear.
    return kind, redact(note) if note is not None else None


async def _check_staff_and_outlet(
    session: AsyncSession, staff_id: int | None, outlet_id: int | None
) -> None:
    if staff_id is not None:
        staff = await session.get(Staff, staff_id)
        if staff is None or not staff.active:
            raise _invalid(N_("Unknown or inactive member of staff: {part}"), str(staff_id))
    if outlet_id is not None:
        outlet = await session.get(OrgUnit, outlet_id)
        if outlet is None or outlet.kind != OrgKind.OUTLET:
            raise _invalid(N_("Unknown outlet: {part}"), str(outlet_id))


def _cooled_down(lead: Lead, rule: LeadRule, today: date) -> bool:
    """Whether a declined lead's cool-down has passed (it may be offered again)."""
    declined_on = bank_date(lead.status_at) if lead.status_at else today
    return today >= declined_on + timedelta(days=rule.cooldown_days)


async def record_outcome(
    session: AsyncSession,
    *,
    lead_id: int,
    kind: OutcomeKind | str,
    staff_id: int | None,
    outlet_id: int | None,
    channel: str,
    reason_code: str | None = None,
    follow_up_on: date | None = None,
    note: str | None = None,
    visit_id: int | None = None,
    completed: bool = False,
    now: datetime | None = None,
) -> Outcome:
    """Record what happened to a lead and move the lead's status (see the module's table).

    ``completed`` says an accepted lead's sale was completed there and then (a channel
    sign-up, a deposit opened at the counter): allowed only for a product sold on the spot,
    it converts the lead at once, dated the bank day — the real-time path of the feedback;
    the nightly run never converts it again (it looks only at leads not yet converted).

    Raises :class:`InvalidOutcomeError` (422) for malformed fields, :class:`LeadNotFoundError`
    (404), :class:`LeadClosedError`, :class:`OutcomeNotAllowedError` or
    :class:`NotSoldOnTheSpotError` (409); on error nothing changes. Flushes, never commits.
    """
    now = now or utcnow()
    today = bank_date(now)
    kind, note = _checked_fields(kind, channel, reason_code, follow_up_on, note, today)
    if completed and kind != OutcomeKind.ACCEPTED:
        raise _invalid(N_("Only an accepted lead can be completed on the spot: {part}"), kind)
    # Row lock on PostgreSQL: two colleagues tapping at once are serialised, so presentation
    # counts and transitions stay consistent.
    lead = await session.scalar(select(Lead).where(Lead.id == lead_id).with_for_update())
    if lead is None:
        raise LeadNotFoundError(lead_id=lead_id)
    if lead.status in _CLOSED:
        raise LeadClosedError(status=lead.status)
    if today > lead.valid_until:
        raise LeadClosedError(status=LeadStatus.EXPIRED.value)
    rule = await session.get(LeadRule, lead.rule_id)
    assert rule is not None  # a foreign key
    allowed = _ALLOWED[lead.status]
    if lead.status == LeadStatus.DECLINED and _cooled_down(lead, rule, today):
        # Past its cool-down the brief offers a declined lead again: it may be declined or
        # deferred again, like a lead presented once.
        allowed = _ALLOWED[LeadStatus.PRESENTED]
    if kind not in allowed:
        raise OutcomeNotAllowedError(
            N_("A lead that is {status} cannot be marked {kind}."),
            status=lead.status,
            kind=kind.value,
        )
    if channel not in rule.channels:
        raise OutcomeNotAllowedError(
            N_("This lead is not offered on the {channel} channel."), channel=channel
        )
    if kind in (OutcomeKind.DECLINED, OutcomeKind.DEFERRED) and (
        lead.presentations >= rule.max_presentations
    ):
        raise OutcomeNotAllowedError(
            N_("This lead has been presented {count} times, as often as its rule allows."),
            count=lead.presentations,
        )
    if completed:
        on_the_spot = await session.scalar(
            select(Product.sold_on_the_spot).where(Product.code == lead.product_code)
        )
        if not on_the_spot:
            raise NotSoldOnTheSpotError()
    await _check_staff_and_outlet(session, staff_id, outlet_id)

    previous = lead.status
    if kind in PRESENTED_KINDS:
        lead.presentations += 1
        lead.presented_at = now
        lead.presented_by_staff_id = staff_id
        lead.presented_at_outlet_id = outlet_id
    status = _STATUS_AFTER[kind]
    if status is not None:
        lead.status = status.value
        lead.status_at = now
    if completed:
        lead.status = LeadStatus.CONVERTED.value
        lead.converted_on = today
    outcome = Outcome(
        lead_id=lead.id,
        customer_id=lead.customer_id,
        rule_id=lead.rule_id,
        kind=kind.value,
        reason_code=reason_code,
        follow_up_on=follow_up_on,
        note=note,
        staff_id=staff_id,
        outlet_id=outlet_id,
        channel=channel,
        visit_id=visit_id,
        recorded_at=now,
        detail={
            "from_status": previous,
            "run_id": lead.run_id,
            "campaign_id": lead.campaign_id,
            **({"completed": True} if completed else {}),
        },
    )
    session.add(outcome)
    await session.flush()
    return outcome
