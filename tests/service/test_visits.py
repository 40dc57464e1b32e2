"""Visits: the arrival (today's visit, who is told and what), the queue hooks (the teller told
on call, the visit closed when served), and the lobby overview."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch import bus
from smartbranch.auth.models import AuditEntry
from smartbranch.auth.service import DeviceInfo, Principal, authenticate_device
from smartbranch.credentials import CredentialHasher
from smartbranch.customers.models import Customer, Tier
from smartbranch.queueing import service as queue
from smartbranch.queueing.models import Ticket
from smartbranch.queueing.service import hooks
from smartbranch.service import routing, visits
from smartbranch.service.models import Handoff, StaffEvent, Visit
from tests.fixtures.bank import Bank, card_number
from tests.fixtures.queue import Floor, build_floor
from tests.fixtures.service import (
    PLATINUM,
    PLATINUM_CARD,
    WANG_CARD,
    add_service_staff,
    birthday_in,
    identify_at,
    received,
    sign_in,
)

WANG = "C0000000001"
OUYANG_CARD = card_number(3)  # C0000000002: private banking, home SH001 (上海)
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@pytest.fixture
async def staffed(session: AsyncSession, bank: Bank, hasher: CredentialHasher) -> Bank:
    return await add_service_staff(session, bank, hasher)


@pytest.fixture
def queue_hooks() -> None:
    """The hooks the app registers at start-up (idempotent)."""
    hooks.on_called(visits.on_ticket_called)
    hooks.on_finished(visits.on_ticket_finished)


async def _arrive(
    session: AsyncSession,
    bank: Bank,
    number: str = WANG,
    *,
    outlet: str = "BJ001",
    now: datetime = T0,
    tier: Tier = Tier.GOLD,
) -> visits.Arrival:
    return await visits.record_arrival(
        session,
        customer_id=bank.customers[number].id,
        outlet_id=bank.orgs[outlet].id,
        device_kind="kiosk",
        credential_kind="debit_card",
        tier=tier,
        now=now,
    )


def _id(bank: Bank, username: str) -> int:
    return bank.staff[username].id


class TestRecordArrival:
    async def test_opens_the_visit_on_the_outlets_local_day(
        self, session: AsyncSession, staffed: Bank
    ) -> None:
        late = datetime(2026, 3, 1, 17, 30, tzinfo=UTC)  # 01:30 on 2 March in Beijing
        arrival = await _arrive(session, staffed, now=late)
        assert arrival.created
        visit = arrival.visit
        assert visit.business_day == date(2026, 3, 2)
        assert (visit.status, visit.arrived_via, visit.credential_kind) == (
            "open",
            "kiosk",
            "debit_card",
        )
        assert visit.arrived_at == late

    async def test_lobby_manager_on_duty_and_own_manager_are_told(
        self, session: AsyncSession, staffed: Bank
    ) -> None:
        await sign_in(session, staffed, "bj001.lobby1", "tablet_bj001")
        await sign_in(session, staffed, "bj001.account1", "tablet_bj001")
        await sign_in(session, staffed, "bj001.teller1", "counter_bj001")
        arrival = await _arrive(session, staffed)
        assert arrival.notified
        assert set(arrival.recipients) == {
            _id(staffed, "bj001.lobby1"),
            _id(staffed, "bj001.account1"),
        }
        [event] = await received(session, _id(staffed, "bj001.lobby1"), visits.ARRIVED)
        assert event.id == arrival.event_id
        # The teller is told when the ticket is called, not now; the off-duty lobby manager
        # not at all.
        assert await received(session, _id(staffed, "bj001.teller1"), visits.ARRIVED) == []
        assert await received(session, _id(staffed, "bj001.lobby2")) == []

    async def test_own_manager_is_told_wherever_signed_in(
        self, session: AsyncSession, staffed: Bank
    ) -> None:
        # The customer of BJ001 walks into BJ002; the manager is at work in BJ001.
        await sign_in(session, staffed, "bj001.account1", "tablet_bj001")
        await sign_in(session, staffed, "bj001.lobby1", "tablet_bj001")
        await sign_in(session, staffed, "bj002.lobby1", "tablet_bj002")
        arrival = await _arrive(session, staffed, outlet="BJ002")
        assert set(arrival.recipients) == {
            _id(staffed, "bj001.account1"),
            _id(staffed, "bj002.lobby1"),
        }
        assert arrival.recipients[_id(staffed, "bj001.account1")] == [
            routing.Reason(routing.REASON_OWN_MANAGER)
        ]

    async def test_own_manager_not_signed_in_is_not_told(
        self, session: AsyncSession, staffed: Bank
    ) -> None:
        await sign_in(session, staffed, "bj001.lobby1", "tablet_bj001")
        arrival = await _arrive(session, staffed)
        assert _id(staffed, "bj001.account1") not in arrival.recipients

    async def test_wealth_manager_is_told_of_platinum_customers_only(
        self, session: AsyncSession, staffed: Bank
    ) -> None:
        await sign_in(session, staffed, "bj001.wealth1", "tablet_bj001")
        wealth = _id(staffed, "bj001.wealth1")
        gold = await _arrive(session, staffed, WANG, tier=Tier.GOLD)
        platinum = await _arrive(session, staffed, PLATINUM, tier=Tier.PLATINUM)
        assert wealth not in gold.recipients
        assert platinum.recipients[wealth] == [
            routing.Reason(routing.REASON_TIER, role="wealth_manager", min_tier=Tier.PLATINUM)
        ]
        # Not alerted of the gold customer, but the overview shows them (visit.updated).
        [told] = await received(session, wealth, visits.ARRIVED)
        assert told.customer_id == staffed.customers[PLATINUM].id
        [updated] = await received(session, wealth, visits.VISIT_UPDATED)
        assert (updated.customer_id, updated.payload["change"]) == (
            staffed.customers[WANG].id,
            "arrived",
        )

    async def test_outlet_override_is_followed(self, session: AsyncSession, staffed: Bank) -> None:
        await sign_in(session, staffed, "bj001.lobby1", "tablet_bj001")
        await sign_in(session, staffed, "bj001.wealth1", "tablet_bj001")
        await routing.replace_routes(
            session,
            staffed.orgs["BJ001"].id,
            [{"trigger": "arrived", "audience": "role", "role": "wealth_manager"}],
        )
        arrival = await _arrive(session, staffed)
        assert set(arrival.recipients) == {_id(staffed, "bj001.wealth1")}

    async def test_the_alert_masks_the_name_and_never_carries_a_card_number(
        self, session: AsyncSession, staffed: Bank
    ) -> None:
        await sign_in(session, staffed, "bj001.lobby1", "tablet_bj001")
        lobby = _id(staffed, "bj001.lobby1")
        arrival = await _arrive(session, staffed)
        [event] = await received(session, lobby, visits.ARRIVED)
        payload = event.payload
        assert payload["customer_number"] == WANG
        assert payload["name"] == "王**"
        assert payload["greeting"] == {"zh_CN": "王先生", "en": "Mr Wang"}
        assert (payload["tier"], payload["tier_rank"]) == ("gold", 1)
        assert payload["outlet"] == "BJ001"
        assert payload["visit_id"] == arrival.visit.id
        assert payload["reasons"] == {str(lobby): [{"kind": "on_duty", "role": "lobby_manager"}]}
        assert (event.outlet_id, event.visit_id) == (staffed.orgs["BJ001"].id, arrival.visit.id)
        text = json.dumps(payload, ensure_ascii=False)
        assert "王小明" not in text
        assert WANG_CARD not in text
        assert WANG_CARD[-4:] not in text

    async def test_a_second_swipe_within_half_an_hour_is_quiet(
        self, session: AsyncSession, staffed: Bank
    ) -> None:
        await sign_in(session, staffed, "bj001.lobby1", "tablet_bj001")
        first = await _arrive(session, staffed)
        again = await _arrive(session, staffed, now=T0 + timedelta(minutes=10))
        assert again.visit.id == first.visit.id
        assert (again.created, again.notified, again.event_id) == (False, False, None)
        assert again.visit.last_seen_at == T0 + timedelta(minutes=10)
        assert again.visit.arrived_at == T0
        assert len(await received(session, _id(staffed, "bj001.lobby1"))) == 1

    async def test_back_after_half_an_hour_is_news_again(
        self, session: AsyncSession, staffed: Bank
    ) -> None:
        await sign_in(session, staffed, "bj001.lobby1", "tablet_bj001")
        first = await _arrive(session, staffed)
        again = await _arrive(session, staffed, now=T0 + timedelta(minutes=31))
        assert again.visit.id == first.visit.id
        assert again.notified and not again.created
        events = await received(session, _id(staffed, "bj001.lobby1"), visits.ARRIVED)
        assert [e.payload["returning"] for e in events] == [False, True]

    async def test_a_closed_visit_reopens_and_is_news(
        self, session: AsyncSession, staffed: Bank
    ) -> None:
        await sign_in(session, staffed, "bj001.lobby1", "tablet_bj001")
        first = await _arrive(session, staffed)
        await visits.close_visit(
            session, first.visit.id, staff_id=_id(staffed, "bj001.lobby1"), now=T0
        )
        again = await _arrive(session, staffed, now=T0 + timedelta(minutes=5))
        assert again.visit.id == first.visit.id
        assert again.visit.status == "open"
        assert again.visit.closed_at is None
        assert again.notified

    async def test_out_of_town_customer_is_flagged(
        self, session: AsyncSession, staffed: Bank
    ) -> None:
        await sign_in(session, staffed, "bj001.lobby1", "tablet_bj001")
        await _arrive(session, staffed, "C0000000002", tier=Tier.PRIVATE)
        [event] = await received(session, _id(staffed, "bj001.lobby1"), visits.ARRIVED)
        assert "out_of_town" in event.payload["alerts"]

    async def test_nothing_is_announced_before_commit_and_everything_after(
        self, session: AsyncSession, staffed: Bank
    ) -> None:
        await sign_in(session, staffed, "bj001.lobby1", "tablet_bj001")
        local = bus.InProcessBus()
        previous = bus.current()
        bus.install(local)
        try:
            async with local.subscribe() as subscription:
                arrival = await _arrive(session, staffed)
                assert subscription.queue.empty()
                await session.commit()
                message = subscription.queue.get_nowait()
        finally:
            bus.install(previous)
        assert (message.event_id, message.kind) == (arrival.event_id, visits.ARRIVED)
        assert message.recipients == (_id(staffed, "bj001.lobby1"),)
        assert message.data["customer_number"] == WANG


class TestCareAlerts:
    TODAY = date(2026, 3, 2)

    @pytest.mark.parametrize(
        ("days", "expected"),
        [(0, ["birthday_today"]), (1, ["birthday_week"]), (6, ["birthday_week"]), (7, [])],
    )
    def test_birthday(self, days: int, expected: list[str]) -> None:
        born = birthday_in(days, self.TODAY)
        alerts = visits.care_alerts(
            birth_date=born, home_city="北京", outlet_city="北京", today=self.TODAY
        )
        assert alerts == expected

    def test_birthday_yesterday_is_not_this_week(self) -> None:
        born = date(1980, 3, 1)
        assert (
            visits.care_alerts(birth_date=born, home_city="", outlet_city="", today=self.TODAY)
            == []
        )

    def test_birthday_across_new_year(self) -> None:
        alerts = visits.care_alerts(
            birth_date=date(1990, 1, 2), home_city="", outlet_city="", today=date(2026, 12, 30)
        )
        assert alerts == ["birthday_week"]

    def test_29_february_in_a_common_year(self) -> None:
        alerts = visits.care_alerts(
            birth_date=date(1980, 2, 29), home_city="", outlet_city="", today=date(2027, 2, 28)
        )
        assert alerts == ["birthday_today"]

    def test_out_of_town(self) -> None:
        alerts = visits.care_alerts(
            birth_date=date(1980, 6, 1), home_city="上海", outlet_city="北京", today=self.TODAY
        )
        assert alerts == ["out_of_town"]


async def _floor(session: AsyncSession, bank: Bank) -> Floor:
    floor = await build_floor(session, bank)
    await queue.sign_in_counter(
        session, outlet_code="BJ001", counter_code="1", staff_id=floor.tellers["1"]
    )
    return floor


async def _ticket_for(
    session: AsyncSession, bank: Bank, hasher: CredentialHasher, card: str = WANG_CARD
) -> int:
    outcome = await identify_at(session, bank, hasher, card)
    issued = await queue.issue_ticket(
        session,
        outlet_code="BJ001",
        service_code="cash",
        identification_ref=outcome.identified.reference,
    )
    return issued.ticket.id


async def _call(session: AsyncSession, floor: Floor) -> int:
    result = await queue.call_next(
        session, outlet_code="BJ001", counter_code="1", staff_id=floor.tellers["1"]
    )
    assert result.ticket is not None
    return result.ticket.id


@pytest.mark.usefixtures("queue_hooks")
class TestOnTicketCalled:
    async def test_the_teller_is_told_who_is_coming(
        self, session: AsyncSession, staffed: Bank, hasher: CredentialHasher
    ) -> None:
        floor = await _floor(session, staffed)
        await sign_in(session, staffed, "bj001.lobby1", "tablet_bj001")
        ticket_id = await _ticket_for(session, staffed, hasher)
        assert await _call(session, floor) == ticket_id
        teller = floor.tellers["1"]
        [called] = await received(session, teller, visits.CALLED)
        visit = await session.scalar(
            select(Visit).where(Visit.customer_id == staffed.customers[WANG].id)
        )
        assert visit is not None
        assert called.visit_id == visit.id
        assert called.payload["ticket_id"] == ticket_id
        assert called.payload["counter"] == "1"
        assert called.payload["name"] == "王**"
        assert called.payload["reasons"] == {str(teller): [{"kind": "counter"}]}
        # Those serving the visit see its timeline move; the teller is not told twice.
        updates = await received(session, _id(staffed, "bj001.lobby1"), visits.VISIT_UPDATED)
        assert [u.payload["change"] for u in updates] == ["ticket_called"]
        assert await received(session, teller, visits.VISIT_UPDATED) == []

    async def test_an_anonymous_ticket_tells_nobody(
        self, session: AsyncSession, staffed: Bank
    ) -> None:
        floor = await _floor(session, staffed)
        await queue.issue_ticket(session, outlet_code="BJ001", service_code="cash")
        before = await session.scalar(select(func.count()).select_from(StaffEvent))
        await _call(session, floor)
        after = await session.scalar(select(func.count()).select_from(StaffEvent))
        assert after == before

    async def test_a_recall_tells_the_teller_again(
        self, session: AsyncSession, staffed: Bank, hasher: CredentialHasher
    ) -> None:
        floor = await _floor(session, staffed)
        ticket_id = await _ticket_for(session, staffed, hasher)
        await _call(session, floor)
        await queue.recall(
            session, outlet_code="BJ001", ticket_id=ticket_id, staff_id=floor.tellers["1"]
        )
        events = await received(session, floor.tellers["1"], visits.CALLED)
        assert [e.payload["recall_count"] for e in events] == [0, 1]

    async def test_a_ticket_without_a_visit_opens_one_quietly(
        self, session: AsyncSession, staffed: Bank
    ) -> None:
        floor = await _floor(session, staffed)
        await sign_in(session, staffed, "bj001.lobby1", "tablet_bj001")
        await queue.issue_ticket(
            session,
            outlet_code="BJ001",
            service_code="cash",
            customer_id=staffed.customers[PLATINUM].id,
        )
        await _call(session, floor)
        visit = await session.scalar(
            select(Visit).where(Visit.customer_id == staffed.customers[PLATINUM].id)
        )
        assert visit is not None
        assert visit.arrived_via == visits.VIA_QUEUE
        assert await received(session, _id(staffed, "bj001.lobby1"), visits.ARRIVED) == []
        assert len(await received(session, floor.tellers["1"], visits.CALLED)) == 1

    async def test_an_outlet_may_tell_the_own_manager_on_call(
        self, session: AsyncSession, staffed: Bank, hasher: CredentialHasher
    ) -> None:
        floor = await _floor(session, staffed)
        await sign_in(session, staffed, "bj001.account1", "tablet_bj001")
        await routing.replace_routes(
            session,
            staffed.orgs["BJ001"].id,
            [{"trigger": "called", "audience": "account_manager"}],
        )
        await _ticket_for(session, staffed, hasher)
        await _call(session, floor)
        assert len(await received(session, _id(staffed, "bj001.account1"), visits.CALLED)) == 1
        assert await received(session, floor.tellers["1"], visits.CALLED) == []


@pytest.mark.usefixtures("queue_hooks")
class TestVisitClosing:
    async def _served(
        self, session: AsyncSession, bank: Bank, hasher: CredentialHasher, *, handoff: bool
    ) -> Visit:
        floor = await _floor(session, bank)
        ticket_id = await _ticket_for(session, bank, hasher)
        await _call(session, floor)
        visit = await session.scalar(
            select(Visit).where(Visit.customer_id == bank.customers[WANG].id)
        )
        assert visit is not None
        if handoff:
            session.add(
                Handoff(
                    visit_id=visit.id,
                    customer_id=visit.customer_id,
                    outlet_id=visit.outlet_id,
                    from_staff_id=_id(bank, "bj001.lobby1"),
                    to_role="wealth_manager",
                )
            )
        teller = floor.tellers["1"]
        await queue.start_service(
            session, outlet_code="BJ001", ticket_id=ticket_id, staff_id=teller
        )
        await queue.finish_service(
            session, outlet_code="BJ001", ticket_id=ticket_id, staff_id=teller
        )
        await session.refresh(visit)
        return visit

    async def test_served_and_nothing_else_open_closes_the_visit(
        self, session: AsyncSession, staffed: Bank, hasher: CredentialHasher
    ) -> None:
        await sign_in(session, staffed, "bj001.lobby1", "tablet_bj001")
        visit = await self._served(session, staffed, hasher, handoff=False)
        assert visit.status == "closed"
        assert visit.closed_at is not None
        updates = await received(session, _id(staffed, "bj001.lobby1"), visits.VISIT_UPDATED)
        assert updates[-1].payload["change"] == "served"

    async def test_an_open_hand_off_keeps_the_visit_open(
        self, session: AsyncSession, staffed: Bank, hasher: CredentialHasher
    ) -> None:
        visit = await self._served(session, staffed, hasher, handoff=True)
        assert visit.status == "open"

    async def test_close_visit_is_idempotent(self, session: AsyncSession, staffed: Bank) -> None:
        await sign_in(session, staffed, "bj001.lobby1", "tablet_bj001")
        visit = (await _arrive(session, staffed)).visit
        lobby = _id(staffed, "bj001.lobby1")
        await visits.close_visit(session, visit.id, staff_id=lobby)
        await visits.close_visit(session, visit.id, staff_id=lobby)
        assert visit.status == "closed"
        closed = [
            e
            for e in await received(session, lobby, visits.VISIT_UPDATED)
            if e.payload["change"] == "closed"
        ]
        assert len(closed) == 1

    async def test_close_unknown_visit(self, session: AsyncSession, staffed: Bank) -> None:
        with pytest.raises(visits.VisitNotFoundError):
            await visits.close_visit(session, 999_999, staff_id=_id(staffed, "bj001.lobby1"))


@pytest.fixture
async def lobby_day(
    session: AsyncSession, staffed: Bank, hasher: CredentialHasher
) -> AsyncIterator[Bank]:
    """Two customers in BJ001 today: Wang with a ticket, the platinum customer with an open
    hand-off and a birthday today; and the Shanghai customer, who has left."""
    today = visits.business_day_at(staffed.orgs["BJ001"])
    platinum = await session.get(Customer, staffed.customers[PLATINUM].id)
    assert platinum is not None
    platinum.birth_date = birthday_in(0, today)
    await build_floor(session, staffed)
    await _ticket_for(session, staffed, hasher, WANG_CARD)
    outcome = await identify_at(session, staffed, hasher, PLATINUM_CARD)
    assert outcome.arrival is not None
    session.add(
        Handoff(
            visit_id=outcome.arrival.visit.id,
            customer_id=staffed.customers[PLATINUM].id,
            outlet_id=staffed.orgs["BJ001"].id,
            from_staff_id=_id(staffed, "bj001.lobby1"),
            to_role="wealth_manager",
        )
    )
    gone = await identify_at(session, staffed, hasher, OUYANG_CARD)
    assert gone.arrival is not None
    await visits.close_visit(session, gone.arrival.visit.id, staff_id=_id(staffed, "bj001.lobby1"))
    await session.flush()
    yield staffed


class TestCurrentVisits:
    async def test_who_is_here_with_ticket_wait_alerts_and_hand_offs(
        self, session: AsyncSession, lobby_day: Bank
    ) -> None:
        lobby = await sign_in(session, lobby_day, "bj001.lobby1", "tablet_bj001")
        outlet = lobby_day.orgs["BJ001"]
        principal = Principal(
            device=await _device(session, lobby_day, "tablet_bj001"), staff=lobby.staff
        )
        queued_at = await session.scalar(
            select(Ticket.queued_at).where(Ticket.customer_id == lobby_day.customers[WANG].id)
        )
        assert queued_at is not None
        now = queued_at + timedelta(minutes=12, seconds=30)
        listed = await visits.current_visits(
            session, principal, outlet.id, visits.business_day_at(outlet), locale="zh_CN", now=now
        )
        by_number = {v.customer_number: v for v in listed}
        assert list(by_number) == [PLATINUM, WANG]  # newest arrival first; who left is not here
        wang, platinum = by_number[WANG], by_number[PLATINUM]
        assert (wang.tier, wang.tier_label) == (Tier.GOLD, "金卡")
        assert wang.ticket_number is not None and wang.ticket_number.startswith("A")
        assert (wang.ticket_status, wang.ticket_status_label) == ("waiting", "排队中")
        assert wang.waiting_minutes == 12
        assert wang.customer_name == "王小明"
        assert (wang.open_handoffs, platinum.open_handoffs) == (0, 1)
        assert platinum.ticket_number is None
        assert platinum.alerts == ["今天生日"]

    async def test_every_listed_customer_is_an_audited_read(
        self, session: AsyncSession, lobby_day: Bank
    ) -> None:
        lobby = await sign_in(session, lobby_day, "bj001.lobby1", "tablet_bj001")
        outlet = lobby_day.orgs["BJ001"]
        principal = Principal(
            device=await _device(session, lobby_day, "tablet_bj001"), staff=lobby.staff
        )
        listed = await visits.current_visits(
            session,
            principal,
            outlet.id,
            visits.business_day_at(outlet),
            locale="en",
            include_closed=True,
        )
        assert len(listed) == 3
        entries = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "visit.list"))
        ).all()
        assert sorted(e.customer_id for e in entries) == sorted(
            lobby_day.customers[n].id for n in (WANG, PLATINUM, "C0000000002")
        )
        assert {(e.staff_id, e.role, e.purpose) for e in entries} == {
            (lobby.staff.id, "lobby_manager", "service")
        }


async def _device(session: AsyncSession, bank: Bank, name: str) -> DeviceInfo:
    return await authenticate_device(session, bank.tokens[name])


class TestVisitsApi:
    async def test_lobby_manager_lists_todays_visits(
        self, client: httpx.AsyncClient, session: AsyncSession, lobby_day: Bank
    ) -> None:
        lobby = await sign_in(session, lobby_day, "bj001.lobby1", "tablet_bj001")
        before = await session.scalar(select(func.count()).select_from(AuditEntry))
        response = await client.get("/api/v1/outlets/BJ001/visits", headers=lobby.headers)
        assert response.status_code == 200, response.text
        assert [v["customer_number"] for v in response.json()] == [PLATINUM, WANG]
        assert response.headers["cache-control"] == "no-store"
        after = await session.scalar(select(func.count()).select_from(AuditEntry))
        assert after == (before or 0) + 2

    async def test_a_role_without_customer_access_is_403(
        self, client: httpx.AsyncClient, session: AsyncSession, lobby_day: Bank
    ) -> None:
        marketing = await sign_in(session, lobby_day, "bj.marketing", "tablet_bj001")
        response = await client.get("/api/v1/outlets/BJ001/visits", headers=marketing.headers)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "role_not_allowed"

    async def test_another_outlets_staff_is_403(
        self, client: httpx.AsyncClient, session: AsyncSession, lobby_day: Bank
    ) -> None:
        teller = await sign_in(session, lobby_day, "sh001.teller1", "tablet_sh001")
        response = await client.get("/api/v1/outlets/BJ001/visits", headers=teller.headers)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "outlet_out_of_scope"
