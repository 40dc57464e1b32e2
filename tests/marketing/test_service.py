"""Recording outcomes of leads, and the contact policy built on them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.marketing.errors import (
    InvalidOutcomeError,
    LeadClosedError,
    LeadNotFoundError,
    OutcomeNotAllowedError,
)
from smartbranch.marketing.models import Lead, LeadRule, Outcome, OutcomeKind
from smartbranch.marketing.service import (
    DECLINE_REASONS,
    ContactPolicy,
    Hold,
    HoldReason,
    PastOutcome,
    bank_date,
    contact_history,
    contact_hold,
    decline_reasons,
    held_back,
    record_outcome,
)
from tests.fixtures.bank import Bank, card_number
from tests.fixtures.marketing import add_lead, add_run, default_rules

AS_OF = date(2026, 3, 2)
# 10:00 in Beijing on the day after the run.
MORNING = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
POLICY = ContactPolicy(cooldown_days=30, max_presentations=3)
D0 = date(2026, 3, 3)


def past(kind: OutcomeKind, on: date, follow_up_on: date | None = None) -> PastOutcome:
    return PastOutcome(kind, on, follow_up_on)


class TestContactHold:
    def test_no_history_no_hold(self) -> None:
        assert contact_hold([], POLICY, D0) is None
        assert not held_back([], POLICY, D0)

    def test_declined_is_held_for_the_cooldown(self) -> None:
        history = [past(OutcomeKind.DECLINED, D0)]
        until = D0 + timedelta(days=30)
        assert contact_hold(history, POLICY, D0) == Hold(HoldReason.COOLDOWN, until)
        assert held_back(history, POLICY, until - timedelta(days=1))
        assert not held_back(history, POLICY, until)

    @pytest.mark.parametrize("kind", [OutcomeKind.ACCEPTED, OutcomeKind.ALREADY_HAS])
    def test_accepted_or_already_has_also_wait_the_cooldown(self, kind: OutcomeKind) -> None:
        history = [past(kind, D0)]
        assert held_back(history, POLICY, D0 + timedelta(days=29))
        assert not held_back(history, POLICY, D0 + timedelta(days=30))

    def test_deferred_returns_on_its_follow_up_date(self) -> None:
        follow_up = D0 + timedelta(days=5)
        history = [past(OutcomeKind.DEFERRED, D0, follow_up)]
        assert contact_hold(history, POLICY, D0 + timedelta(days=4)) == Hold(
            HoldReason.FOLLOW_UP, follow_up
        )
        assert contact_hold(history, POLICY, follow_up) is None

    def test_not_presented_changes_nothing(self) -> None:
        history = [past(OutcomeKind.NOT_PRESENTED, D0)] * 5
        assert contact_hold(history, POLICY, D0) is None

    def test_presentations_used_up_hold_for_good(self) -> None:
        history = [
            past(OutcomeKind.DEFERRED, D0, D0 + timedelta(days=1)),
            past(OutcomeKind.DEFERRED, D0 + timedelta(days=1), D0 + timedelta(days=2)),
            past(OutcomeKind.DECLINED, D0 + timedelta(days=2)),
        ]
        far = D0 + timedelta(days=400)
        assert contact_hold(history, POLICY, far) == Hold(HoldReason.MAX_PRESENTATIONS, None)
        assert not held_back(history[:2], POLICY, far)

    def test_the_latest_hold_wins_and_the_future_is_ignored(self) -> None:
        history = [
            past(OutcomeKind.DECLINED, D0),
            past(OutcomeKind.DEFERRED, D0 + timedelta(days=2), D0 + timedelta(days=3)),
            past(OutcomeKind.DECLINED, D0 + timedelta(days=90)),
        ]
        assert contact_hold(history, POLICY, D0 + timedelta(days=10)) == Hold(
            HoldReason.COOLDOWN, D0 + timedelta(days=30)
        )

    def test_zero_cooldown(self) -> None:
        assert not held_back([past(OutcomeKind.DECLINED, D0)], ContactPolicy(0, 3), D0)


class TestDeclineReasons:
    def test_translated_labels(self) -> None:
        labels = dict(decline_reasons("zh_CN"))
        assert set(labels) == set(DECLINE_REASONS)
        assert labels["not_interested"] == "不感兴趣"
        assert dict(decline_reasons("en"))["not_interested"] == "Not interested"


class TestBankDate:
    def test_a_late_utc_evening_is_the_next_day_in_china(self) -> None:
        assert bank_date(datetime(2026, 3, 2, 17, 0, tzinfo=UTC)) == date(2026, 3, 3)


@pytest.fixture
async def rules(session: AsyncSession, bank: Bank) -> dict[str, LeadRule]:
    return await default_rules(session)


@pytest.fixture
async def lead(session: AsyncSession, bank: Bank, rules: dict[str, LeadRule]) -> Lead:
    run = await add_run(session, AS_OF)
    customer = bank.customers["C0000000001"]
    return await add_lead(session, run=run, rule=rules["NEAR_THRESHOLD"], customer_id=customer.id)


class TestRecordOutcome:
    async def record(
        self, session: AsyncSession, bank: Bank, lead: Lead, kind: str, **kwargs: object
    ) -> Outcome:
        fields: dict[str, object] = {
            "staff_id": bank.staff["bj001.lobby1"].id,
            "outlet_id": bank.orgs["BJ001"].id,
            "channel": "tablet",
            "now": MORNING,
        }
        fields.update(kwargs)
        return await record_outcome(session, lead_id=lead.id, kind=kind, **fields)  # type: ignore[arg-type]

    async def outcomes(self, session: AsyncSession) -> int:
        return await session.scalar(select(func.count()).select_from(Outcome)) or 0

    async def test_accepted(self, session: AsyncSession, bank: Bank, lead: Lead) -> None:
        outcome = await self.record(session, bank, lead, "accepted")
        await session.refresh(lead)
        assert (lead.status, lead.presentations, lead.status_at) == ("accepted", 1, MORNING)
        assert lead.presented_at == MORNING
        assert lead.presented_by_staff_id == bank.staff["bj001.lobby1"].id
        assert lead.presented_at_outlet_id == bank.orgs["BJ001"].id
        stored = await session.get(Outcome, outcome.id)
        assert stored is not None
        assert (stored.kind, stored.customer_id, stored.rule_id, stored.channel) == (
            "accepted",
            lead.customer_id,
            lead.rule_id,
            "tablet",
        )
        assert stored.detail == {
            "from_status": "open",
            "run_id": lead.run_id,
            "campaign_id": lead.campaign_id,
        }

    async def test_declined_with_a_reason(
        self, session: AsyncSession, bank: Bank, lead: Lead
    ) -> None:
        outcome = await self.record(session, bank, lead, "declined", reason_code="risk_concern")
        await session.refresh(lead)
        assert (lead.status, lead.presentations, outcome.reason_code) == (
            "declined",
            1,
            "risk_concern",
        )

    async def test_deferred_needs_a_future_follow_up(
        self, session: AsyncSession, bank: Bank, lead: Lead
    ) -> None:
        for bad in (None, D0, D0 - timedelta(days=1), D0 + timedelta(days=181)):
            with pytest.raises(InvalidOutcomeError):
                await self.record(session, bank, lead, "deferred", follow_up_on=bad)
        outcome = await self.record(
            session, bank, lead, "deferred", follow_up_on=D0 + timedelta(days=7)
        )
        await session.refresh(lead)
        assert (lead.status, outcome.follow_up_on) == ("deferred", D0 + timedelta(days=7))

    async def test_not_presented_leaves_the_lead_open(
        self, session: AsyncSession, bank: Bank, lead: Lead
    ) -> None:
        await self.record(session, bank, lead, "not_presented")
        await session.refresh(lead)
        assert (lead.status, lead.presentations, lead.presented_at) == ("open", 0, None)
        assert await self.outcomes(session) == 1

    async def test_already_has_closes_the_lead(
        self, session: AsyncSession, bank: Bank, lead: Lead
    ) -> None:
        await self.record(session, bank, lead, "already_has")
        await session.refresh(lead)
        assert (lead.status, lead.presentations) == ("expired", 0)
        with pytest.raises(LeadClosedError) as caught:
            await self.record(session, bank, lead, "accepted")
        assert caught.value.status_code == 409
        assert "已失效" in caught.value.localized("zh_CN")
        assert "(expired)" in caught.value.localized("en")

    async def test_a_declined_lead_may_still_be_accepted_but_not_declined_again(
        self, session: AsyncSession, bank: Bank, lead: Lead
    ) -> None:
        await self.record(session, bank, lead, "declined")
        with pytest.raises(OutcomeNotAllowedError) as caught:
            await self.record(session, bank, lead, "declined")
        assert "已拒绝" in caught.value.localized("zh_CN")
        with pytest.raises(OutcomeNotAllowedError):
            await self.record(session, bank, lead, "deferred", follow_up_on=D0 + timedelta(days=3))
        await self.record(session, bank, lead, "accepted", staff_id=bank.staff["bj001.account1"].id)
        await session.refresh(lead)
        assert (lead.status, lead.presentations) == ("accepted", 2)
        assert lead.presented_by_staff_id == bank.staff["bj001.account1"].id

    async def test_a_declined_lead_past_its_cooldown_may_be_declined_again(
        self, session: AsyncSession, bank: Bank, lead: Lead
    ) -> None:
        await self.record(session, bank, lead, "declined")
        rule = await session.get(LeadRule, lead.rule_id)
        assert rule is not None
        rule.cooldown_days = 2
        lead.valid_until = D0 + timedelta(days=30)
        await session.flush()
        with pytest.raises(OutcomeNotAllowedError):  # still within the cool-down
            await self.record(session, bank, lead, "declined", now=MORNING + timedelta(days=1))
        await self.record(session, bank, lead, "declined", now=MORNING + timedelta(days=2))
        await session.refresh(lead)
        assert (lead.status, lead.presentations) == ("declined", 2)

    async def test_an_accepted_lead_waits_for_its_purchase(
        self, session: AsyncSession, bank: Bank, lead: Lead
    ) -> None:
        await self.record(session, bank, lead, "accepted")
        for kind in OutcomeKind:
            with pytest.raises(OutcomeNotAllowedError):
                await self.record(
                    session,
                    bank,
                    lead,
                    kind.value,
                    follow_up_on=D0 + timedelta(days=3) if kind == "deferred" else None,
                )
        assert await self.outcomes(session) == 1

    async def test_converted_and_stale_leads_are_closed(
        self, session: AsyncSession, bank: Bank, lead: Lead
    ) -> None:
        lead.status = "converted"
        await session.flush()
        with pytest.raises(LeadClosedError):
            await self.record(session, bank, lead, "accepted")
        lead.status = "open"
        await session.flush()
        after_validity = datetime.combine(lead.valid_until + timedelta(days=1), MORNING.time(), UTC)
        with pytest.raises(LeadClosedError):
            await self.record(session, bank, lead, "accepted", now=after_validity)
        # The last valid day still counts.
        last_day = datetime.combine(lead.valid_until, MORNING.time(), UTC)
        await self.record(session, bank, lead, "accepted", now=last_day)

    async def test_presentations_are_capped_by_the_rule(
        self, session: AsyncSession, bank: Bank, lead: Lead, rules: dict[str, LeadRule]
    ) -> None:
        cap = rules["NEAR_THRESHOLD"].max_presentations
        for day in range(cap):
            await self.record(
                session,
                bank,
                lead,
                "deferred",
                follow_up_on=D0 + timedelta(days=day + 1),
                now=MORNING + timedelta(hours=day),
            )
        with pytest.raises(OutcomeNotAllowedError) as caught:
            await self.record(session, bank, lead, "declined")
        assert str(cap) in caught.value.localized("en")
        # Accepting is never refused.
        await self.record(session, bank, lead, "accepted")
        await session.refresh(lead)
        assert lead.presentations == cap + 1

    async def test_channels(self, session: AsyncSession, bank: Bank, lead: Lead) -> None:
        with pytest.raises(OutcomeNotAllowedError) as caught:
            await self.record(session, bank, lead, "accepted", channel="card_approval")
        assert "card_approval" in caught.value.localized("en")
        with pytest.raises(InvalidOutcomeError) as invalid:
            await self.record(session, bank, lead, "accepted", channel="fax")
        assert invalid.value.part == "fax"
        assert invalid.value.status_code == 422

    @pytest.mark.parametrize(
        ("kind", "fields", "part"),
        [
            ("declined", {"reason_code": "too_ugly"}, "too_ugly"),
            ("accepted", {"reason_code": "not_interested"}, "not_interested"),
            ("accepted", {"follow_up_on": date(2026, 3, 10)}, "2026-03-10"),
            ("maybe", {}, "maybe"),
            ("accepted", {"staff_id": 987654}, "987654"),
            ("accepted", {"note": "x" * 501}, "x" * 40 + "…"),
        ],
    )
    async def test_malformed_outcomes_change_nothing(
        self,
        session: AsyncSession,
        bank: Bank,
        lead: Lead,
        kind: str,
        fields: dict[str, object],
        part: str,
    ) -> None:
        with pytest.raises(InvalidOutcomeError) as caught:
            await self.record(session, bank, lead, kind, **fields)
        assert caught.value.part == part
        await session.refresh(lead)
        assert (lead.status, lead.presentations) == ("open", 0)
        assert await self.outcomes(session) == 0

    async def test_outlet_must_be_an_outlet(
        self, session: AsyncSession, bank: Bank, lead: Lead
    ) -> None:
        with pytest.raises(InvalidOutcomeError):
            await self.record(session, bank, lead, "accepted", outlet_id=bank.orgs["BJ"].id)

    async def test_unknown_lead(self, session: AsyncSession, bank: Bank, lead: Lead) -> None:
        with pytest.raises(LeadNotFoundError) as caught:
            await record_outcome(
                session,
                lead_id=lead.id + 1000,
                kind="accepted",
                staff_id=None,
                outlet_id=None,
                channel="tablet",
                now=MORNING,
            )
        assert caught.value.status_code == 404

    async def test_a_card_number_in_a_note_is_not_stored(
        self, session: AsyncSession, bank: Bank, lead: Lead
    ) -> None:
        card = card_number(77)
        outcome = await self.record(
            session, bank, lead, "declined", note=f"  客户说卡号 {card} 已挂失  "
        )
        assert outcome.note == "客户说卡号 [redacted] 已挂失"


class TestContactPolicyFromOutcomes:
    async def test_a_declined_lead_is_held_back_for_its_rule_only(
        self, session: AsyncSession, bank: Bank, lead: Lead, rules: dict[str, LeadRule]
    ) -> None:
        await record_outcome(
            session,
            lead_id=lead.id,
            kind=OutcomeKind.DECLINED,
            staff_id=bank.staff["bj001.lobby1"].id,
            outlet_id=bank.orgs["BJ001"].id,
            channel="counter",
            reason_code="no_funds",
            now=MORNING,
        )
        rule = rules["NEAR_THRESHOLD"]
        history = await contact_history(session, lead.customer_id)
        assert history == {rule.id: [PastOutcome(OutcomeKind.DECLINED, D0)]}
        policy = ContactPolicy(rule.cooldown_days, rule.max_presentations)
        assert held_back(history[rule.id], policy, D0 + timedelta(days=rule.cooldown_days - 1))
        assert not held_back(history[rule.id], policy, D0 + timedelta(days=rule.cooldown_days))
        other = rules["PAYROLL_CASH"].id
        assert await contact_history(session, lead.customer_id, [other]) == {}
