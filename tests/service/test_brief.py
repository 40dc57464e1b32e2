"""The customer brief: access, disclosure, suitability, channel and role filters, the
contact policy between colleagues, K leads per visit, care prompts, the visit, the audit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.models import AuditEntry
from smartbranch.customers.models import Customer, Holding
from smartbranch.customers.service import (
    CustomerNumberNotFoundError,
    CustomerOutOfScopeError,
    RoleNotAllowedError,
)
from smartbranch.marketing.models import Lead
from smartbranch.marketing.service import record_outcome
from smartbranch.service.brief import (
    ChannelNotAllowedError,
    ChannelUnknownError,
    customer_brief,
    next_birthday,
)
from smartbranch.service.models import Handoff, Need, Visit
from smartbranch.service.schemas import Brief
from smartbranch.settings import Settings
from tests.fixtures.bank import PASSWORD, Bank, card_number
from tests.fixtures.briefs import (
    NOW,
    World,
    add_lead,
    add_rule,
    arrive,
    build_world,
    customer,
    past_visit,
    sign_in,
)

MINE = "C0000000001"  # 王小明, home BJ001 (北京), gold, 120,000 CNY, risk tolerance 3
VISITOR = "C0000000002"  # 欧阳娜, home SH001 (上海), private banking

# (device, username, channel): every serving role, on its channel.
LOBBY = ("tablet_bj001", "bj001.lobby1", "tablet")
LOBBY2 = ("tablet_bj001", "bj001.lobby2", "tablet")
WEALTH = ("tablet_bj001", "bj001.wealth1", "tablet")
ACCOUNT = ("tablet_bj001", "bj001.account1", "tablet")
OTHER_ACCOUNT = ("tablet_bj001", "bj001.account2", "crm")
MANAGER = ("tablet_bj001", "bj001.manager", "tablet")
TELLER = ("counter_bj001", "bj001.teller1", "counter")
EVERY_ROLE = [LOBBY, WEALTH, ACCOUNT, OTHER_ACCOUNT, MANAGER, TELLER]


@pytest.fixture
async def world(session: AsyncSession, bank: Bank) -> World:
    return await build_world(session, bank)


async def brief_as(
    session: AsyncSession,
    world: World,
    who: tuple[str, str, str],
    number: str = MINE,
    *,
    locale: str = "en",
    now: object = NOW,
    settings: Settings | None = None,
) -> Brief:
    device, username, channel = who
    principal = await sign_in(session, world.bank, device, username)
    return await customer_brief(
        session,
        principal,
        number,
        channel=channel,
        locale=locale,
        now=now,  # type: ignore[arg-type]
        settings=settings or Settings(),
    )


def lead_ids(brief: Brief) -> list[int]:
    return [lead.lead_id for lead in brief.leads]


def offered_ids(brief: Brief) -> list[int]:
    return [lead.lead_id for lead in brief.offered]


class TestAccess:
    async def test_unknown_channel(self, session: AsyncSession, world: World) -> None:
        with pytest.raises(ChannelUnknownError):
            await brief_as(session, world, ("tablet_bj001", "bj001.lobby1", "online"))

    @pytest.mark.parametrize(
        "who",
        [
            ("counter_bj001", "bj001.teller1", "tablet"),
            ("counter_bj001", "bj001.teller1", "crm"),
            ("tablet_bj001", "bj001.lobby1", "counter"),
            ("tablet_bj001", "bj001.lobby1", "crm"),
            ("tablet_bj001", "bj001.wealth1", "counter"),
        ],
    )
    async def test_channel_not_for_the_role(
        self, session: AsyncSession, world: World, who: tuple[str, str, str]
    ) -> None:
        with pytest.raises(ChannelNotAllowedError):
            await brief_as(session, world, who)

    async def test_roles_without_customer_records(
        self, session: AsyncSession, world: World
    ) -> None:
        with pytest.raises(RoleNotAllowedError):
            await brief_as(session, world, ("tablet_bj001", "bj.marketing", "tablet"))

    async def test_unknown_customer(self, session: AsyncSession, world: World) -> None:
        with pytest.raises(CustomerNumberNotFoundError):
            await brief_as(session, world, LOBBY, "C9999999999")

    async def test_another_branchs_customer_is_out_of_scope(
        self, session: AsyncSession, world: World
    ) -> None:
        with pytest.raises(CustomerOutOfScopeError):
            await brief_as(session, world, LOBBY, VISITOR)

    async def test_a_visit_yesterday_does_not_open_the_scope(
        self, session: AsyncSession, world: World
    ) -> None:
        visitor = await customer(session, VISITOR)
        await past_visit(session, world.bank, visitor, date(2026, 3, 2))
        with pytest.raises(CustomerOutOfScopeError):
            await brief_as(session, world, LOBBY, VISITOR)

    async def test_a_customer_from_another_city_visiting_today_gets_a_brief(
        self, session: AsyncSession, world: World
    ) -> None:
        visitor = await customer(session, VISITOR)
        visit = await arrive(session, world.bank, visitor, "BJ001")
        brief = await brief_as(session, world, LOBBY, VISITOR)
        assert brief.customer.number == VISITOR
        assert brief.visit is not None and brief.visit.id == visit.id
        assert [c.kind for c in brief.care] == ["out_of_town"]
        assert "上海" in brief.care[0].text

    async def test_nothing_is_audited_when_refused(
        self, session: AsyncSession, world: World
    ) -> None:
        before = await session.scalar(select(func.count()).select_from(AuditEntry))
        with pytest.raises(CustomerOutOfScopeError):
            await brief_as(session, world, LOBBY, VISITOR)
        after = await session.scalar(select(func.count()).select_from(AuditEntry))
        assert after == before


class TestDisclosure:
    async def test_a_teller_gets_no_assets_and_the_card_bin(
        self, session: AsyncSession, world: World
    ) -> None:
        brief = await brief_as(session, world, TELLER)
        assert brief.assets is None
        assert brief.customer.name == "王小明"
        assert brief.customer.phone == "138****0000"
        debit = next(c for c in brief.customer.credentials if c.kind == "debit_card")
        assert debit.masked.startswith("622848")

    async def test_the_lobby_manager_gets_assets_by_category_and_the_gap_to_the_next_tier(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        session.add(
            Holding(
                customer_id=mine.id,
                product_code="WM-R2-182",
                category="wealth",
                balance=Decimal("30000.00"),
                opened_on=date(2025, 1, 1),
            )
        )
        await session.flush()
        brief = await brief_as(session, world, LOBBY)
        assert brief.assets is not None
        assert brief.assets.aum == Decimal("120000.00")
        assert brief.assets.by_category == {
            "deposit": Decimal("120000.00"),
            "wealth": Decimal("30000.00"),
        }
        assert brief.assets.next_tier == "platinum"
        assert brief.assets.gap_to_next_tier == Decimal("380000.00")
        debit = next(c for c in brief.customer.credentials if c.kind == "debit_card")
        assert debit.masked.startswith("****")
        assert (brief.tier, brief.tier_label) == ("gold", "Gold")

    async def test_the_own_account_manager_sees_the_phone(
        self, session: AsyncSession, world: World
    ) -> None:
        assert (await brief_as(session, world, ACCOUNT)).customer.phone == "13800000000"
        assert (await brief_as(session, world, OTHER_ACCOUNT)).customer.phone == "138****0000"


class TestAudit:
    async def test_every_brief_read_writes_an_audit_row(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        rule = await add_rule(session, world, "R_DEP", "TD-1Y")
        lead = await add_lead(session, world, rule, mine)

        async def rows() -> list[AuditEntry]:
            found = await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "customer.brief")
                .order_by(AuditEntry.id)
            )
            return list(found)

        assert await rows() == []
        await brief_as(session, world, LOBBY)
        await brief_as(session, world, TELLER)
        await brief_as(session, world, LOBBY)
        entries = await rows()
        assert len(entries) == 3
        first, teller, _third = entries
        assert (first.customer_id, first.purpose, first.role) == (
            mine.id,
            "service",
            "lobby_manager",
        )
        assert first.detail["channel"] == "tablet"
        assert first.detail["leads"] == [lead.id]
        assert first.detail["assets"] is True
        assert (teller.role, teller.detail["channel"], teller.detail["assets"]) == (
            "teller",
            "counter",
            False,
        )


class TestSuitability:
    @pytest.mark.parametrize("who", EVERY_ROLE)
    async def test_a_wealth_lead_above_the_risk_tolerance_never_appears(
        self, session: AsyncSession, world: World, who: tuple[str, str, str]
    ) -> None:
        mine = await customer(session, MINE)  # risk tolerance 3
        too_risky = await add_lead(
            session, world, await add_rule(session, world, "R_R4", "WM-R4-365"), mine
        )
        fund = await add_lead(
            session, world, await add_rule(session, world, "R_FD5", "FD-QDII"), mine, rank=2
        )
        # Presented once already (the nightly run produced it anyway): not even "offered".
        await record_outcome(
            session,
            lead_id=too_risky.id,
            kind="declined",
            staff_id=world.bank.staff["bj001.lobby1"].id,
            outlet_id=world.bank.orgs["BJ001"].id,
            channel="tablet",
            now=NOW - timedelta(hours=1),
        )
        brief = await brief_as(session, world, who)
        shown = lead_ids(brief) + offered_ids(brief)
        assert too_risky.id not in shown and fund.id not in shown

    async def test_at_the_risk_tolerance_it_is_offered_but_never_by_a_teller(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        wealth = await add_lead(
            session, world, await add_rule(session, world, "R_R3", "WM-R3-365"), mine
        )
        insurance = await add_lead(
            session, world, await add_rule(session, world, "R_INS", "INS-CI"), mine, rank=2
        )
        assert lead_ids(await brief_as(session, world, WEALTH)) == [wealth.id, insurance.id]
        teller = await brief_as(session, world, TELLER)
        assert lead_ids(teller) == [] and offered_ids(teller) == []

    async def test_a_higher_risk_tolerance_opens_it(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        lead = await add_lead(
            session, world, await add_rule(session, world, "R_R4", "WM-R4-365"), mine
        )
        await session.execute(
            update(Customer).where(Customer.id == mine.id).values(risk_tolerance=4)
        )
        assert lead_ids(await brief_as(session, world, WEALTH)) == [lead.id]


class TestChannelAndRole:
    async def test_the_counter_gets_only_counter_leads(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        counter = await add_lead(
            session,
            world,
            await add_rule(session, world, "R_CNT", "TD-1Y", channels=["counter"]),
            mine,
        )
        tablet = await add_lead(
            session,
            world,
            await add_rule(session, world, "R_TAB", "TD-3Y", channels=["tablet", "crm"]),
            mine,
            rank=2,
        )
        assert lead_ids(await brief_as(session, world, TELLER)) == [counter.id]
        assert lead_ids(await brief_as(session, world, LOBBY)) == [tablet.id]
        assert lead_ids(await brief_as(session, world, OTHER_ACCOUNT)) == [tablet.id]

    async def test_a_rule_not_for_the_role_is_not_shown(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        lead = await add_lead(
            session,
            world,
            await add_rule(session, world, "R_AM", "LN-CONSUMER", roles=["account_manager"]),
            mine,
        )
        assert lead_ids(await brief_as(session, world, LOBBY)) == []
        assert lead_ids(await brief_as(session, world, ACCOUNT)) == [lead.id]

    async def test_only_the_serving_runs_leads_in_their_validity(
        self, session: AsyncSession, world: World
    ) -> None:
        from tests.fixtures.marketing import add_run

        mine = await customer(session, MINE)
        rule = await add_rule(session, world, "R_DEP", "TD-1Y")
        old = await add_run(session, date(2026, 2, 20), run_id="R20260220-old")
        old.status = "superseded"
        await add_lead(session, world, rule, mine, run=old)
        await add_lead(session, world, await add_rule(session, world, "R_OLD", "TD-3Y"), mine,
                       valid_days=0)  # fmt: skip
        brief = await brief_as(session, world, LOBBY)
        assert brief.run_id == world.run.id
        assert lead_ids(brief) == [] and offered_ids(brief) == []

    async def test_the_script_and_names_in_the_callers_language(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        await add_lead(session, world, await add_rule(session, world, "R_DEP", "TD-1Y"), mine)
        zh = (await brief_as(session, world, LOBBY, locale="zh_CN")).leads[0]
        en = (await brief_as(session, world, LOBBY, locale="en")).leads[0]
        assert (zh.script, zh.rule_name, zh.product_name, zh.status_label) == (
            "R_DEP 话术",
            "规则R_DEP",
            "定期存款（一年）",
            "待营销",
        )
        assert (en.script, en.rule_name, en.product_name) == (
            "R_DEP script",
            "Rule R_DEP",
            "Time Deposit, 1 Year",
        )


class TestContactPolicy:
    async def decline(
        self, session: AsyncSession, world: World, lead: Lead, username: str, **kw: object
    ) -> None:
        fields: dict[str, object] = {
            "kind": "declined",
            "reason_code": "not_interested",
            "now": NOW,
        }
        fields.update(kw)
        await record_outcome(
            session,
            lead_id=lead.id,
            staff_id=world.bank.staff[username].id,
            outlet_id=world.bank.orgs["BJ001"].id,
            channel="tablet",
            **fields,  # type: ignore[arg-type]
        )

    async def test_declined_by_a_colleague_is_offered_not_suggested(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        rule = await add_rule(session, world, "R_DEP", "TD-1Y", cooldown_days=14)
        lead = await add_lead(session, world, rule, mine)
        await self.decline(session, world, lead, "bj001.wealth1")
        brief = await brief_as(session, world, LOBBY, now=NOW + timedelta(minutes=5))
        assert lead_ids(brief) == []
        [offered] = brief.offered
        assert offered.lead_id == lead.id
        assert offered.held_until == date(2026, 3, 17)
        assert offered.offered is not None
        assert offered.offered.text == "Offered by the wealth manager at 10:32 — declined"
        assert offered.offered.staff_name == "bj001.wealth1"
        assert offered.offered.reason_label == "Not interested"
        zh = await brief_as(session, world, LOBBY, locale="zh_CN", now=NOW + timedelta(minutes=5))
        assert zh.offered[0].offered is not None
        assert zh.offered[0].offered.text == "理财经理已于 10:32 推荐 — 已拒绝"

    async def test_on_a_later_day_the_date_is_said(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        lead = await add_lead(
            session, world, await add_rule(session, world, "R_DEP", "TD-1Y"), mine
        )
        await self.decline(session, world, lead, "bj001.wealth1")
        brief = await brief_as(session, world, LOBBY, now=NOW + timedelta(days=1))
        assert brief.offered[0].offered is not None
        assert (
            brief.offered[0].offered.text
            == "Offered by the wealth manager on 2026-03-03 at 10:32 — declined"
        )

    async def test_after_the_cooldown_it_is_suggested_again(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        rule = await add_rule(session, world, "R_DEP", "TD-1Y", cooldown_days=2)
        lead = await add_lead(session, world, rule, mine)
        await self.decline(session, world, lead, "bj001.wealth1")
        held = await brief_as(session, world, LOBBY, now=NOW + timedelta(days=1))
        assert lead_ids(held) == [] and offered_ids(held) == [lead.id]
        again = await brief_as(session, world, LOBBY, now=NOW + timedelta(days=2))
        assert lead_ids(again) == [lead.id] and offered_ids(again) == []

    async def test_presented_today_by_a_colleague_even_without_cooldown(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        rule = await add_rule(session, world, "R_DEP", "TD-1Y", cooldown_days=0)
        lead = await add_lead(session, world, rule, mine)
        await self.decline(session, world, lead, "bj001.wealth1")
        colleague = await brief_as(session, world, LOBBY, now=NOW + timedelta(hours=1))
        assert lead_ids(colleague) == [] and offered_ids(colleague) == [lead.id]
        tomorrow = await brief_as(session, world, LOBBY, now=NOW + timedelta(days=1))
        assert lead_ids(tomorrow) == [lead.id]

    async def test_my_own_offer_says_you(self, session: AsyncSession, world: World) -> None:
        mine = await customer(session, MINE)
        lead = await add_lead(
            session, world, await add_rule(session, world, "R_DEP", "TD-1Y"), mine
        )
        await self.decline(session, world, lead, "bj001.lobby1")
        brief = await brief_as(session, world, LOBBY)
        assert brief.offered[0].offered is not None
        assert brief.offered[0].offered.text == "Offered by you at 10:32 — declined"

    async def test_deferred_returns_on_its_follow_up_date(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        lead = await add_lead(
            session, world, await add_rule(session, world, "R_DEP", "TD-1Y"), mine
        )
        follow_up = date(2026, 3, 5)
        await self.decline(
            session,
            world,
            lead,
            "bj001.wealth1",
            kind="deferred",
            reason_code=None,
            follow_up_on=follow_up,
        )
        held = await brief_as(session, world, LOBBY, now=NOW + timedelta(days=1))
        assert held.offered[0].held_until == follow_up
        assert held.offered[0].offered is not None
        assert held.offered[0].offered.follow_up_on == follow_up
        back = await brief_as(session, world, LOBBY, now=NOW + timedelta(days=2))
        assert lead_ids(back) == [lead.id]

    async def test_an_accepted_lead_is_never_suggested_again(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        lead = await add_lead(
            session, world, await add_rule(session, world, "R_DEP", "TD-1Y", cooldown_days=0),
            mine,
        )  # fmt: skip
        await self.decline(session, world, lead, "bj001.lobby1", kind="accepted", reason_code=None)
        brief = await brief_as(session, world, LOBBY, now=NOW + timedelta(days=3))
        assert lead_ids(brief) == [] and offered_ids(brief) == [lead.id]
        assert brief.offered[0].status == "accepted"

    async def test_a_rules_history_holds_a_new_runs_lead(
        self, session: AsyncSession, world: World
    ) -> None:
        from tests.fixtures.marketing import add_run

        mine = await customer(session, MINE)
        rule = await add_rule(session, world, "R_DEP", "TD-1Y", cooldown_days=30)
        earlier = await add_run(session, date(2026, 2, 20), run_id="R20260220-old")
        old = await add_lead(session, world, rule, mine, run=earlier, valid_days=20)
        await self.decline(session, world, old, "bj001.wealth1", now=NOW - timedelta(days=3))
        earlier.status = "superseded"
        lead = await add_lead(session, world, rule, mine)
        brief = await brief_as(session, world, LOBBY)
        assert offered_ids(brief) == [lead.id]
        assert brief.offered[0].held_until == date(2026, 3, 30)


class TestLeadsPerVisit:
    async def five_leads(self, session: AsyncSession, world: World) -> list[Lead]:
        mine = await customer(session, MINE)
        leads = []
        for rank, product in enumerate(["TD-1Y", "TD-2Y", "TD-3Y", "TD-6M", "CD-3Y"], start=1):
            rule = await add_rule(session, world, f"R{rank}", product)
            leads.append(await add_lead(session, world, rule, mine, rank=rank))
        return leads

    async def test_at_most_k_the_same_for_every_colleague(
        self, session: AsyncSession, world: World
    ) -> None:
        leads = await self.five_leads(session, world)
        visit = await arrive(session, world.bank, await customer(session, MINE), "BJ001")
        first = await brief_as(session, world, LOBBY)
        best = [lead.id for lead in leads[:3]]
        assert lead_ids(first) == best
        await session.refresh(visit)
        assert visit.leads_suggested == best
        # A colleague sees the same three, even after one of them has been declined: the
        # visit's three are spent, nothing new fills the gap.
        await record_outcome(
            session,
            lead_id=leads[0].id,
            kind="declined",
            staff_id=world.bank.staff["bj001.lobby1"].id,
            outlet_id=world.bank.orgs["BJ001"].id,
            channel="tablet",
            now=NOW,
        )
        colleague = await brief_as(session, world, WEALTH, now=NOW + timedelta(minutes=1))
        assert lead_ids(colleague) == best[1:]
        assert offered_ids(colleague) == [leads[0].id]
        await session.refresh(visit)
        assert visit.leads_suggested == best

    async def test_fills_up_to_k_when_fewer_were_suggested(
        self, session: AsyncSession, world: World
    ) -> None:
        leads = await self.five_leads(session, world)
        visit = await arrive(session, world.bank, await customer(session, MINE), "BJ001")
        # The teller's counter leads: only the first rule is on the counter here.
        for lead in leads[1:]:
            rule = next(r for r in world.rules.values() if r.id == lead.rule_id)
            rule.channels = ["tablet"]
        await session.flush()
        teller = await brief_as(session, world, TELLER)
        assert lead_ids(teller) == [leads[0].id]
        await session.refresh(visit)
        assert visit.leads_suggested == [leads[0].id]
        lobby = await brief_as(session, world, LOBBY)
        assert lead_ids(lobby) == [lead.id for lead in leads[:3]]
        await session.refresh(visit)
        assert visit.leads_suggested == [lead.id for lead in leads[:3]]

    async def test_k_from_the_settings_and_nothing_stored_without_a_visit(
        self, session: AsyncSession, world: World
    ) -> None:
        leads = await self.five_leads(session, world)
        brief = await brief_as(session, world, LOBBY, settings=Settings(leads_per_visit=2))
        assert lead_ids(brief) == [lead.id for lead in leads[:2]]
        assert brief.visit is None
        count = await session.scalar(select(func.count()).select_from(Visit))
        assert count == 0


class TestCare:
    async def set_birthday(self, session: AsyncSession, born: date) -> None:
        await session.execute(
            update(Customer).where(Customer.number == MINE).values(birth_date=born)
        )

    async def test_birthday_today(self, session: AsyncSession, world: World) -> None:
        await self.set_birthday(session, date(1980, 3, 3))
        brief = await brief_as(session, world, LOBBY)
        assert [c.kind for c in brief.care] == ["birthday_today"]
        assert brief.customer.age == 46

    async def test_birthday_this_week(self, session: AsyncSession, world: World) -> None:
        await self.set_birthday(session, date(1980, 3, 8))
        brief = await brief_as(session, world, LOBBY, locale="en")
        assert [c.kind for c in brief.care] == ["birthday_week"]
        assert "5 days" in brief.care[0].text and "2026-03-08" in brief.care[0].text
        await self.set_birthday(session, date(1980, 3, 10))
        assert (await brief_as(session, world, LOBBY)).care == []

    def test_a_29_february_birthday_in_a_common_year(self) -> None:
        assert next_birthday(date(1992, 2, 29), date(2026, 2, 1)) == date(2026, 2, 28)
        assert next_birthday(date(1992, 2, 29), date(2028, 2, 1)) == date(2028, 2, 29)
        assert next_birthday(date(1980, 1, 5), date(2026, 3, 3)) == date(2027, 1, 5)

    async def test_maturity_within_thirty_days(self, session: AsyncSession, world: World) -> None:
        mine = await customer(session, MINE)
        for code, due in (("TD-1Y", date(2026, 3, 20)), ("TD-2Y", date(2026, 4, 20))):
            session.add(
                Holding(
                    customer_id=mine.id,
                    product_code=code,
                    category="time_deposit",
                    balance=Decimal("50000.00"),
                    opened_on=date(2025, 3, 20),
                    maturity_on=due,
                )
            )
        await session.flush()
        brief = await brief_as(session, world, TELLER, locale="en")
        assert [c.kind for c in brief.care] == ["maturity"]
        assert "Time Deposit, 1 Year" in brief.care[0].text and "2026-03-20" in brief.care[0].text
        # The prompt names no amount: tellers see no assets.
        assert "50" not in brief.care[0].text.replace("2026-03-20", "")

    async def test_long_absence(self, session: AsyncSession, world: World) -> None:
        mine = await customer(session, MINE)
        await past_visit(session, world.bank, mine, date(2025, 6, 1))
        brief = await brief_as(session, world, LOBBY)
        assert [c.kind for c in brief.care] == ["long_absence"]
        await past_visit(session, world.bank, mine, date(2026, 1, 1))
        assert (await brief_as(session, world, LOBBY)).care == []


class TestVisit:
    async def test_todays_visit_with_timeline_needs_and_open_handoffs(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        visit = await arrive(session, world.bank, mine, "BJ001")
        lobby = world.bank.staff["bj001.lobby1"].id
        need = Need(visit_id=visit.id, customer_id=mine.id, staff_id=lobby,
                    category="wealth", note="想了解理财", created_at=NOW)  # fmt: skip
        session.add(need)
        await session.flush()
        for status in ("open", "done"):
            session.add(
                Handoff(
                    visit_id=visit.id,
                    customer_id=mine.id,
                    outlet_id=visit.outlet_id,
                    need_id=need.id,
                    from_staff_id=lobby,
                    to_role="wealth_manager",
                    status=status,
                    created_at=NOW,
                )
            )
        await session.flush()
        brief = await brief_as(session, world, WEALTH, now=NOW + timedelta(minutes=3))
        assert brief.visit is not None
        assert (brief.visit.id, brief.visit.outlet_code, brief.visit.open_handoffs) == (
            visit.id,
            "BJ001",
            1,
        )
        assert [n.id for n in brief.needs] == [need.id]
        assert [h.status for h in brief.handoffs] == ["open"]
        assert brief.timeline and brief.timeline[0].kind == "arrived"

    async def test_an_account_manager_elsewhere_sees_their_customers_visit(
        self, session: AsyncSession, world: World, bank: Bank
    ) -> None:
        mine = await customer(session, MINE)
        visit = await arrive(session, bank, mine, "BJ002")
        brief = await brief_as(session, world, ("tablet_bj001", "bj001.account1", "crm"))
        assert brief.visit is not None and brief.visit.id == visit.id
        assert brief.visit.outlet_code == "BJ002"


@contextmanager
def counted(session: AsyncSession) -> Iterator[list[str]]:
    """The SQL statements the session runs inside the block."""
    statements: list[str] = []
    connection = session.bind.sync_connection  # type: ignore[union-attr]

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


class TestRoundTrips:
    async def test_a_fixed_handful_of_statements_whatever_the_number_of_leads(
        self, session: AsyncSession, world: World
    ) -> None:
        """The customer with their recent visits; credentials, holdings, leads with rules
        and products and their outcome history together; the audit row: three statements,
        for one lead or many."""
        mine = await customer(session, MINE)
        principal = await sign_in(session, world.bank, "tablet_bj001", "bj001.wealth1")
        counts = []
        for n in (1, 6):
            for i in range(len(world.rules), n):
                rule = await add_rule(session, world, f"R{i}", "TD-1Y")
                lead = await add_lead(session, world, rule, mine, rank=i + 1)
                await record_outcome(
                    session,
                    lead_id=lead.id,
                    kind="not_presented",
                    staff_id=world.bank.staff["bj001.lobby1"].id,
                    outlet_id=world.bank.orgs["BJ001"].id,
                    channel="tablet",
                    now=NOW,
                )
            await session.flush()
            with counted(session) as statements:
                brief = await customer_brief(
                    session, principal, MINE, channel="tablet", locale="en", now=NOW,
                    settings=Settings(leads_per_visit=10),
                )  # fmt: skip
            assert len(brief.leads) == n
            counts.append(len(statements))
        assert counts == [3, 3]


# --- over HTTP -------------------------------------------------------------------------------


async def _headers(
    client: httpx.AsyncClient, bank: Bank, device: str, username: str
) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": PASSWORD},
        headers={"X-Device-Token": bank.tokens[device]},
    )
    assert response.status_code == 200, response.text
    return {
        "X-Device-Token": bank.tokens[device],
        "Authorization": f"Bearer {response.json()['session_token']}",
    }


class TestBriefApi:
    async def test_the_brief_is_not_cached_and_audited(
        self, client: httpx.AsyncClient, session: AsyncSession, world: World
    ) -> None:
        headers = await _headers(client, world.bank, "counter_bj001", "bj001.teller1")
        response = await client.get(
            f"/api/v1/customers/{MINE}/brief?channel=counter", headers=headers
        )
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert (body["channel"], body["role"], body["assets"]) == ("counter", "teller", None)
        assert body["tier_label"] == "金卡"
        assert card_number(1) not in response.text
        count = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "customer.brief")
        )
        assert count == 1

    @pytest.mark.parametrize(
        ("lang", "message"),
        [("en", "Your role does not serve customers on the tablet channel."),
         ("zh-CN", "您的岗位不在 tablet 渠道服务客户。")],
    )  # fmt: skip
    async def test_errors_in_the_callers_language(
        self, client: httpx.AsyncClient, world: World, lang: str, message: str
    ) -> None:
        headers = await _headers(client, world.bank, "counter_bj001", "bj001.teller1")
        response = await client.get(
            f"/api/v1/customers/{MINE}/brief?channel=tablet",
            headers={**headers, "Accept-Language": lang},
        )
        assert response.status_code == 403
        assert response.json()["error"] == {"code": "channel_not_allowed", "message": message}

    @pytest.mark.parametrize(
        ("path", "status", "code"),
        [
            (f"/api/v1/customers/{VISITOR}/brief?channel=tablet", 403, "customer_out_of_scope"),
            ("/api/v1/customers/C9999999999/brief?channel=tablet", 404, "customer_not_found"),
            (f"/api/v1/customers/{MINE}/brief?channel=online", 400, "channel_unknown"),
            (f"/api/v1/customers/{MINE}/brief", 422, "validation_error"),
        ],
    )
    async def test_refusals(
        self, client: httpx.AsyncClient, world: World, path: str, status: int, code: str
    ) -> None:
        headers = await _headers(client, world.bank, "tablet_bj001", "bj001.lobby1")
        response = await client.get(path, headers=headers)
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code

    async def test_role_and_sign_in(self, client: httpx.AsyncClient, world: World) -> None:
        # Sign in first: its commit keeps the fixtures when a refused request rolls back.
        admin = await _headers(client, world.bank, "tablet_bj001", "ho.admin")
        path = f"/api/v1/customers/{MINE}/brief?channel=tablet"
        response = await client.get(path, headers=admin)
        assert (response.status_code, response.json()["error"]["code"]) == (403, "role_not_allowed")
        kiosk = {"X-Device-Token": world.bank.tokens["kiosk_bj001"]}
        response = await client.get(path, headers=kiosk)
        assert (response.status_code, response.json()["error"]["code"]) == (
            401,
            "not_authenticated",
        )
