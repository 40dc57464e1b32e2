"""Working together on a visit: needs, hand-offs, my hand-offs and my follow-ups."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.models import AuditEntry
from smartbranch.auth.service import Principal, logout
from smartbranch.catalog.models import Product
from smartbranch.customers.service import RoleNotAllowedError
from smartbranch.marketing.models import Lead, LeadRule
from smartbranch.marketing.service import record_outcome
from smartbranch.service import collab
from smartbranch.service.models import Handoff, Need, StaffEvent, StaffEventRecipient, Visit
from smartbranch.service.schemas import HandoffIn, NeedIn
from tests.fixtures.bank import Bank, card_number, id_number
from tests.fixtures.marketing import add_lead, add_run, default_rules
from tests.fixtures.visits import add_visit, build_crew, sign_in, today


@pytest.fixture
async def crew(session: AsyncSession, bank: Bank) -> Bank:
    return await build_crew(session, bank)


@pytest.fixture
async def visit(session: AsyncSession, crew: Bank) -> Visit:
    return await add_visit(session, crew)


async def events(session: AsyncSession, kind: str) -> list[tuple[StaffEvent, set[int]]]:
    """Stored events of ``kind`` with their recipients, oldest first."""
    stored = (
        await session.scalars(select(StaffEvent).where(StaffEvent.kind == kind).order_by("id"))
    ).all()
    result = []
    for event in stored:
        recipients = set(
            await session.scalars(
                select(StaffEventRecipient.staff_id).where(StaffEventRecipient.event_id == event.id)
            )
        )
        result.append((event, recipients))
    return result


async def count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def ids(bank: Bank, *usernames: str) -> set[int]:
    return {bank.staff[u].id for u in usernames}


class TestCaptureNeed:
    async def test_a_category_need_with_amount_and_note(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        lobby = await sign_in(session, crew, "bj001.lobby1")
        body = NeedIn(category="wealth", amount=Decimal("500000"), note=" low risk only ")
        need = await collab.capture_need(session, lobby, visit.id, body, locale="en")
        assert (need.visit_id, need.category, need.product_code) == (visit.id, "wealth", None)
        assert (need.amount, need.note, need.staff_name) == (
            Decimal("500000"),
            "low risk only",
            "bj001.lobby1",
        )
        assert (need.category_label, need.role_label) == ("Wealth management", "Lobby manager")
        assert [n.id for n in await collab.needs_of_visit(session, visit.id, locale="en")] == [
            need.id
        ]

    async def test_a_product_brings_its_category(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        lobby = await sign_in(session, crew, "bj001.lobby1")
        need = await collab.capture_need(
            session, lobby, visit.id, NeedIn(product_code="DEP_CURRENT"), locale="en"
        )
        assert (need.category, need.product_code, need.product_name) == (
            "deposit",
            "DEP_CURRENT",
            "Current account",
        )
        (zh,) = await collab.needs_of_visit(session, visit.id, locale="zh_CN")
        assert (zh.product_name, zh.role_label) == ("活期存款", "大堂经理")

    async def test_card_and_id_numbers_in_the_note_are_redacted_everywhere(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        lobby = await sign_in(session, crew, "bj001.lobby1")
        card, resident_id = card_number(77), id_number(9)
        note = f"card {card} lost, ID {resident_id}"
        need = await collab.capture_need(session, lobby, visit.id, NeedIn(note=note))
        stored = await session.get(Need, need.id)
        assert stored is not None
        assert card not in stored.note and resident_id not in stored.note
        assert stored.note.count("[redacted]") == 2
        ((event, _),) = await events(session, "visit.updated")
        assert card not in str(event.payload) and resident_id not in str(event.payload)

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"category": "crypto"}, "category"),
            ({"product_code": "NO_SUCH"}, "product_code"),
            ({"category": "loan", "product_code": "DEP_CURRENT"}, "product_code"),
            ({"category": "wealth", "amount": Decimal("-1")}, "amount"),
            ({"category": "wealth", "amount": Decimal("10.001")}, "amount"),
            ({"category": "wealth", "amount": Decimal("1e13")}, "amount"),
            ({"amount": Decimal("100")}, "category"),
            ({"note": "   "}, "category"),
            ({"category": "wealth", "note": "x" * 501}, "note"),
        ],
    )
    async def test_invalid_needs_are_refused_and_change_nothing(
        self,
        session: AsyncSession,
        crew: Bank,
        visit: Visit,
        fields: dict[str, object],
        field: str,
    ) -> None:
        lobby = await sign_in(session, crew, "bj001.lobby1")
        before = (await count(session, Need), await count(session, StaffEvent))
        # Bypass the schema's own checks: the service must refuse on its own (pages build
        # the body from a form).
        body = NeedIn.model_construct(
            **{"category": None, "product_code": None, "amount": None, "note": "", **fields}
        )
        with pytest.raises(collab.InvalidNeedError) as caught:
            await collab.capture_need(session, lobby, visit.id, body)
        assert (caught.value.code, caught.value.status_code, caught.value.field) == (
            "invalid_need",
            422,
            field,
        )
        assert caught.value.localized("zh_CN").startswith("客户需求填写有误")
        assert (await count(session, Need), await count(session, StaffEvent)) == before

    async def test_the_visit_must_be_open_today_and_in_scope(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        lobby = await sign_in(session, crew, "bj001.lobby1")
        body = NeedIn(category="wealth")
        closed = await add_visit(session, crew, "C0000000003", status="closed")
        yesterday = await add_visit(
            session, crew, "C0000000002", business_day=today() - timedelta(days=1)
        )
        with pytest.raises(collab.VisitNotFoundError):
            await collab.capture_need(session, lobby, 999_999, body)
        for ended in (closed, yesterday):
            with pytest.raises(collab.VisitClosedError):
                await collab.capture_need(session, lobby, ended.id, body)
        shanghai = await sign_in(session, crew, "sh001.lobby1", "tablet_sh001")
        with pytest.raises(collab.VisitOutOfScopeError):
            await collab.capture_need(session, shanghai, visit.id, body)
        assert await count(session, Need) == 0

    async def test_the_customers_own_account_manager_follows_them_anywhere(
        self, session: AsyncSession, crew: Bank
    ) -> None:
        in_shanghai = await add_visit(session, crew, "C0000000001", "SH001")
        manager = await sign_in(session, crew, "bj001.account1")  # C0000000001's
        need = await collab.capture_need(session, manager, in_shanghai.id, NeedIn(note="FX"))
        assert need.visit_id == in_shanghai.id
        other = await sign_in(session, crew, "bj001.account2")
        with pytest.raises(collab.VisitOutOfScopeError):
            await collab.capture_need(session, other, in_shanghai.id, NeedIn(note="FX"))

    async def test_roles_that_do_not_serve_customers_are_refused(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        marketing = await sign_in(session, crew, "bj.marketing")
        with pytest.raises(RoleNotAllowedError):
            await collab.capture_need(session, marketing, visit.id, NeedIn(note="hi"))

    async def test_everyone_serving_the_visit_is_told(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        lobby = await sign_in(session, crew, "bj001.lobby1")
        await sign_in(session, crew, "bj001.wealth1")
        await sign_in(session, crew, "bj001.teller1", "counter_bj001")  # not a serving role
        await sign_in(session, crew, "sh001.wealth1", "tablet_sh001")  # another outlet
        await collab.capture_need(session, lobby, visit.id, NeedIn(category="fund"))
        ((event, recipients),) = await events(session, "visit.updated")
        # The lobby and wealth managers on duty, and the customer's own account manager.
        assert recipients == ids(crew, "bj001.lobby1", "bj001.wealth1", "bj001.account1")
        assert (event.visit_id, event.customer_id) == (visit.id, visit.customer_id)
        assert event.payload["customer_name"] == "王**"
        assert event.payload["customer_number"] == "C0000000001"
        assert event.payload["change"] == "need"
        assert event.payload["text_en"] == "Need noted: Funds."


class TestCreateHandoff:
    async def test_to_a_role_tells_everyone_of_it_on_duty_at_the_outlet(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        lobby = await sign_in(session, crew, "bj001.lobby1")
        await sign_in(session, crew, "bj001.wealth1")
        await sign_in(session, crew, "bj001.wealth3", "counter_bj001")
        await sign_in(session, crew, "sh001.wealth1", "tablet_sh001")
        need = await collab.capture_need(session, lobby, visit.id, NeedIn(category="wealth"))
        handoff = await collab.create_handoff(
            session,
            lobby,
            visit.id,
            HandoffIn(to_role="wealth_manager", need_id=need.id, note="wants 1y"),
            locale="en",
        )
        assert (handoff.status, handoff.status_label) == ("open", "Not yet accepted")
        assert (handoff.to_role, handoff.to_role_label, handoff.to_staff_id) == (
            "wealth_manager",
            "Wealth manager",
            None,
        )
        assert (handoff.customer_number, handoff.customer_name, handoff.tier) == (
            "C0000000001",
            "王小明",
            "gold",
        )
        assert (handoff.from_staff_name, handoff.from_role_label) == (
            "bj001.lobby1",
            "Lobby manager",
        )
        assert handoff.need is not None and handoff.need.id == need.id
        ((created, recipients),) = await events(session, "handoff.created")
        assert recipients == ids(crew, "bj001.wealth1", "bj001.wealth3")
        assert created.payload["handoff_id"] == handoff.id
        assert created.payload["customer_name"] == "王**"
        assert created.payload["text_en"] == "Handed off to Wealth manager: wants 1y"
        updated = await events(session, "visit.updated")
        assert updated[-1][1] == ids(
            crew, "bj001.lobby1", "bj001.wealth1", "bj001.wealth3", "bj001.account1"
        )

    async def test_to_a_named_colleague_of_the_branch_tells_only_them(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        lobby = await sign_in(session, crew, "bj001.lobby1")
        await sign_in(session, crew, "bj001.wealth1")
        elsewhere = crew.staff["bj002.wealth1"]  # another outlet of the branch, off duty
        handoff = await collab.create_handoff(
            session,
            lobby,
            visit.id,
            HandoffIn(to_role="wealth_manager", to_staff_id=elsewhere.id),
        )
        assert (handoff.to_staff_id, handoff.to_staff_name) == (elsewhere.id, "bj002.wealth1")
        ((_event, recipients),) = await events(session, "handoff.created")
        assert recipients == {elsewhere.id}

    async def test_to_an_account_manager_reaches_the_customers_own(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        lobby = await sign_in(session, crew, "bj001.lobby1")
        await collab.create_handoff(session, lobby, visit.id, HandoffIn(to_role="account_manager"))
        ((_event, recipients),) = await events(session, "handoff.created")
        assert recipients == ids(crew, "bj001.account1")  # not signed in, still told

    async def test_the_customers_own_account_manager_may_be_named_from_another_branch(
        self, session: AsyncSession, crew: Bank
    ) -> None:
        in_shanghai = await add_visit(session, crew, "C0000000001", "SH001")
        lobby = await sign_in(session, crew, "sh001.lobby1", "tablet_sh001")
        manager = crew.staff["bj001.account1"]
        handoff = await collab.create_handoff(
            session,
            lobby,
            in_shanghai.id,
            HandoffIn(to_role="account_manager", to_staff_id=manager.id),
        )
        assert handoff.to_staff_id == manager.id
        with pytest.raises(collab.InvalidHandoffError) as caught:
            await collab.create_handoff(
                session,
                lobby,
                in_shanghai.id,
                HandoffIn(to_role="wealth_manager", to_staff_id=crew.staff["bj001.wealth1"].id),
            )
        assert caught.value.field == "to_staff_id"

    async def test_invalid_hand_offs_are_refused_and_change_nothing(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        lobby = await sign_in(session, crew, "bj001.lobby1")
        other_visit = await add_visit(session, crew, "C0000000003")
        foreign_need = await collab.capture_need(
            session, lobby, other_visit.id, NeedIn(category="loan")
        )
        crew.staff["bj001.wealth2"].active = False
        await session.flush()
        before = (await count(session, Handoff), await count(session, StaffEvent))
        cases = [
            (HandoffIn(to_role="marketing_admin"), "to_role"),
            (HandoffIn(to_role="wealth_manager", to_staff_id=999_999), "to_staff_id"),
            (
                HandoffIn(to_role="wealth_manager", to_staff_id=crew.staff["bj001.teller1"].id),
                "to_staff_id",
            ),
            (
                HandoffIn(to_role="wealth_manager", to_staff_id=crew.staff["bj001.wealth2"].id),
                "to_staff_id",
            ),
            (
                HandoffIn(to_role="wealth_manager", to_staff_id=crew.staff["sh001.wealth1"].id),
                "to_staff_id",
            ),
            (HandoffIn(to_role="wealth_manager", need_id=foreign_need.id), "need_id"),
            (HandoffIn.model_construct(to_role="wealth_manager", note="x" * 501), "note"),
        ]
        for body, field in cases:
            with pytest.raises(collab.InvalidHandoffError) as caught:
                await collab.create_handoff(session, lobby, visit.id, body)
            assert (caught.value.code, caught.value.field) == ("invalid_handoff", field), body
        with pytest.raises(collab.HandoffToSelfError):
            await collab.create_handoff(
                session,
                lobby,
                visit.id,
                HandoffIn(to_role="lobby_manager", to_staff_id=crew.staff["bj001.lobby1"].id),
            )
        assert (await count(session, Handoff), await count(session, StaffEvent)) == before

    async def test_one_live_hand_off_per_target(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        lobby = await sign_in(session, crew, "bj001.lobby1")
        first = await collab.create_handoff(
            session, lobby, visit.id, HandoffIn(to_role="wealth_manager")
        )
        with pytest.raises(collab.HandoffExistsError) as caught:
            await collab.create_handoff(
                session, lobby, visit.id, HandoffIn(to_role="wealth_manager")
            )
        assert caught.value.localized("zh_CN") == "该客户已转介给理财经理，该转介尚未结束。"
        named = HandoffIn(to_role="wealth_manager", to_staff_id=crew.staff["bj001.wealth1"].id)
        await collab.create_handoff(session, lobby, visit.id, named)  # another target
        await collab.cancel_handoff(session, lobby, first.id)
        again = await collab.create_handoff(
            session, lobby, visit.id, HandoffIn(to_role="wealth_manager")
        )
        assert again.status == "open"

    async def test_the_note_is_redacted(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        lobby = await sign_in(session, crew, "bj001.lobby1")
        card = card_number(41)
        handoff = await collab.create_handoff(
            session, lobby, visit.id, HandoffIn(to_role="teller", note=f"card {card}")
        )
        assert handoff.note == "card [redacted]"


class TestHandoffSteps:
    async def make(
        self, session: AsyncSession, crew: Bank, visit: Visit, **body: object
    ) -> tuple[Principal, int]:
        lobby = await sign_in(session, crew, "bj001.lobby1")
        handoff = await collab.create_handoff(
            session, lobby, visit.id, HandoffIn(**{"to_role": "wealth_manager", **body})
        )
        return lobby, handoff.id

    async def test_someone_of_the_role_on_duty_accepts_then_completes(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        _lobby, handoff_id = await self.make(session, crew, visit)
        wealth = await sign_in(session, crew, "bj001.wealth1")
        await sign_in(session, crew, "bj001.wealth3")
        accepted = await collab.accept_handoff(session, wealth, handoff_id, locale="en")
        assert (accepted.status, accepted.status_label, accepted.accepted_by_name) == (
            "accepted",
            "In progress",
            "bj001.wealth1",
        )
        assert accepted.accepted_at is not None
        ((event, recipients),) = await events(session, "handoff.updated")
        # The creator, the acceptor and everyone else of the role on duty (their lists drop it).
        assert recipients == ids(crew, "bj001.lobby1", "bj001.wealth1", "bj001.wealth3")
        assert event.payload["status"] == "accepted"
        done = await collab.complete_handoff(session, wealth, handoff_id)
        assert (done.status, done.done_at is not None) == ("done", True)
        assert [e.payload["status"] for e, _ in await events(session, "handoff.updated")] == [
            "accepted",
            "done",
        ]

    async def test_who_may_accept_a_hand_off_to_a_role(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        lobby, handoff_id = await self.make(session, crew, visit)
        off_duty = await sign_in(session, crew, "bj001.wealth2")
        await off_duty_logout(session, off_duty)
        teller = await sign_in(session, crew, "bj001.teller1", "counter_bj001")
        for stranger in (off_duty, teller, lobby):
            with pytest.raises(collab.HandoffNotAllowedError):
                await collab.accept_handoff(session, stranger, handoff_id)
        shanghai = await sign_in(session, crew, "sh001.wealth1", "tablet_sh001")
        with pytest.raises(collab.HandoffNotAllowedError):
            await collab.accept_handoff(session, shanghai, handoff_id)
        handoff = await session.get(Handoff, handoff_id)
        assert handoff is not None and handoff.status == "open"

    async def test_only_the_named_colleague_accepts(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        named = crew.staff["bj002.wealth1"]
        _lobby, handoff_id = await self.make(session, crew, visit, to_staff_id=named.id)
        on_duty_here = await sign_in(session, crew, "bj001.wealth1")
        with pytest.raises(collab.HandoffNotAllowedError):
            await collab.accept_handoff(session, on_duty_here, handoff_id)
        them = await sign_in(session, crew, "bj002.wealth1", "tablet_bj002")
        accepted = await collab.accept_handoff(session, them, handoff_id)
        assert accepted.accepted_by_name == "bj002.wealth1"

    async def test_bad_transitions_are_conflicts(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        lobby, handoff_id = await self.make(session, crew, visit)
        first = await sign_in(session, crew, "bj001.wealth1")
        second = await sign_in(session, crew, "bj001.wealth3")
        with pytest.raises(collab.HandoffStateError) as not_yet:
            await collab.complete_handoff(session, first, handoff_id)
        assert (not_yet.value.code, not_yet.value.status_code) == ("handoff_state", 409)
        await collab.accept_handoff(session, first, handoff_id)
        again = await collab.accept_handoff(session, first, handoff_id)  # a double tap
        assert again.status == "accepted"
        assert len(await events(session, "handoff.updated")) == 1
        with pytest.raises(collab.HandoffStateError) as taken:
            await collab.accept_handoff(session, second, handoff_id)
        assert taken.value.localized("en") == "bj001.wealth1 has already accepted this hand-off."
        with pytest.raises(collab.HandoffNotAllowedError):
            await collab.complete_handoff(session, second, handoff_id)
        with pytest.raises(collab.HandoffNotAllowedError):
            await collab.cancel_handoff(session, first, handoff_id)  # not its creator
        await collab.complete_handoff(session, first, handoff_id)
        with pytest.raises(collab.HandoffStateError) as closed:
            await collab.cancel_handoff(session, lobby, handoff_id)
        assert closed.value.localized("zh_CN") == "该转介已结束（已完成）。"
        with pytest.raises(collab.HandoffNotFoundError):
            await collab.accept_handoff(session, first, 999_999)

    async def test_the_creator_withdraws_and_nobody_accepts_it_after(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        lobby, handoff_id = await self.make(session, crew, visit)
        wealth = await sign_in(session, crew, "bj001.wealth1")
        cancelled = await collab.cancel_handoff(session, lobby, handoff_id, locale="en")
        assert (cancelled.status, cancelled.status_label) == ("cancelled", "Withdrawn")
        ((_event, recipients),) = await events(session, "handoff.updated")
        assert recipients == ids(crew, "bj001.lobby1", "bj001.wealth1")
        with pytest.raises(collab.HandoffStateError):
            await collab.accept_handoff(session, wealth, handoff_id)


async def off_duty_logout(session: AsyncSession, principal: Principal) -> None:
    assert principal.staff is not None
    await logout(session, principal.staff)


class TestMyHandoffs:
    async def test_what_each_colleague_finds_in_their_list(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        lobby = await sign_in(session, crew, "bj001.lobby1")
        wealth1 = await sign_in(session, crew, "bj001.wealth1")
        wealth3 = await sign_in(session, crew, "bj001.wealth3")
        named = await sign_in(session, crew, "bj002.wealth1", "tablet_bj002")
        manager = await sign_in(session, crew, "bj001.account1", "counter_bj001")
        other_visit = await add_visit(session, crew, "C0000000003")
        to_role = await collab.create_handoff(
            session, lobby, visit.id, HandoffIn(to_role="wealth_manager")
        )
        to_named = await collab.create_handoff(
            session,
            lobby,
            other_visit.id,
            HandoffIn(to_role="wealth_manager", to_staff_id=crew.staff["bj002.wealth1"].id),
        )
        to_manager = await collab.create_handoff(
            session, lobby, visit.id, HandoffIn(to_role="account_manager")
        )

        async def mine(principal: Principal) -> list[int]:
            return [h.id for h in await collab.my_handoffs(session, principal, "en")]

        assert await mine(wealth1) == [to_role.id]
        assert await mine(wealth3) == [to_role.id]
        assert await mine(named) == [to_named.id]
        assert await mine(manager) == [to_manager.id]  # the customer's own
        assert await mine(lobby) == []  # made, not received
        await collab.accept_handoff(session, wealth1, to_role.id)
        assert await mine(wealth1) == [to_role.id]
        assert await mine(wealth3) == []  # taken by a colleague
        await collab.complete_handoff(session, wealth1, to_role.id)
        assert await mine(wealth1) == []

    async def test_newest_first_only_today_and_audited(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        lobby = await sign_in(session, crew, "bj001.lobby1")
        wealth = await sign_in(session, crew, "bj001.wealth1")
        earlier = await collab.create_handoff(
            session, lobby, visit.id, HandoffIn(to_role="wealth_manager")
        )
        later_visit = await add_visit(session, crew, "C0000000003")
        later = await collab.create_handoff(
            session, lobby, later_visit.id, HandoffIn(to_role="wealth_manager")
        )
        stale_visit = await add_visit(
            session, crew, "C0000000002", business_day=today() - timedelta(days=1)
        )
        session.add(
            Handoff(
                visit_id=stale_visit.id,
                customer_id=stale_visit.customer_id,
                outlet_id=stale_visit.outlet_id,
                from_staff_id=crew.staff["bj001.lobby1"].id,
                to_role="wealth_manager",
                created_at=later.created_at + timedelta(seconds=5),
            )
        )
        await session.flush()
        found = await collab.my_handoffs(session, wealth, "zh_CN")
        assert [h.id for h in found] == [later.id, earlier.id]
        assert found[0].customer_name == "李静"  # a wealth manager sees full names
        audited = set(
            await session.scalars(
                select(AuditEntry.customer_id).where(
                    AuditEntry.action == "handoff.list",
                    AuditEntry.staff_id == crew.staff["bj001.wealth1"].id,
                )
            )
        )
        assert audited == {visit.customer_id, later_visit.customer_id}


class TestMyFollowUps:
    async def test_deferred_leads_due_within_two_weeks(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        rules = await default_rules(session)
        run = await add_run(session, today())
        customer = crew.customers["C0000000001"]
        soon, later, taken = [
            await add_lead(session, run=run, rule=rules[code], customer_id=customer.id)
            for code in ("REPEAT_MATURING_WEALTH", "QF_IDLE_CASH", "SEG_SENIOR")
        ]
        wealth = crew.staff["bj001.wealth1"]
        outlet = crew.orgs["BJ001"].id

        async def defer(lead: Lead, days: int) -> None:
            await record_outcome(
                session,
                lead_id=lead.id,
                kind="deferred",
                staff_id=wealth.id,
                outlet_id=outlet,
                channel="tablet",
                follow_up_on=today() + timedelta(days=days),
                note="after payday",
            )

        await defer(soon, 5)
        await defer(soon, 3)  # deferred again: listed once, with the latest date
        await defer(later, 20)
        await defer(taken, 2)
        await record_outcome(
            session,
            lead_id=taken.id,
            kind="accepted",
            staff_id=wealth.id,
            outlet_id=outlet,
            channel="tablet",
        )

        presenter = await sign_in(session, crew, "bj001.wealth1")
        (follow_up,) = await collab.my_follow_ups(session, presenter, "en")
        rule = await session.get(LeadRule, soon.rule_id)
        product = await session.get(Product, soon.product_code)
        assert rule is not None and product is not None
        assert (follow_up.lead_id, follow_up.follow_up_on) == (soon.id, today() + timedelta(3))
        assert (follow_up.rule_code, follow_up.rule_name, follow_up.product_name) == (
            rule.code,
            rule.name_en,
            product.name_en,
        )
        assert (follow_up.customer_number, follow_up.tier, follow_up.own_customer) == (
            "C0000000001",
            "gold",
            False,
        )
        assert (follow_up.deferred_by_name, follow_up.outlet_code, follow_up.note) == (
            "bj001.wealth1",
            "BJ001",
            "after payday",
        )
        manager = await sign_in(session, crew, "bj001.account1")
        (managed,) = await collab.my_follow_ups(session, manager, "en")
        assert (managed.lead_id, managed.own_customer) == (soon.id, True)
        colleague = await sign_in(session, crew, "bj001.account2")
        assert await collab.my_follow_ups(session, colleague, "en") == []
        audited = await session.scalar(
            select(func.count()).where(
                AuditEntry.action == "follow_up.list", AuditEntry.customer_id == customer.id
            )
        )
        assert audited == 2
