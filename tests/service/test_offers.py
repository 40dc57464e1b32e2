"""One-tap offer outcomes: the checks before the write, the visit they belong to, the event to
everyone serving it, the real-time conversion of a sale completed on the spot, and the HTTP
endpoint."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.customers.service import CustomerOutOfScopeError
from smartbranch.db import utcnow
from smartbranch.marketing.errors import (
    InvalidOutcomeError,
    LeadNotFoundError,
    NotSoldOnTheSpotError,
)
from smartbranch.marketing.models import Lead, Outcome
from smartbranch.marketing.service import bank_date
from smartbranch.service.brief import ChannelNotAllowedError
from smartbranch.service.collab import VisitNotFoundError
from smartbranch.service.models import StaffEvent, StaffEventRecipient
from smartbranch.service.offers import (
    LEAD_OUTCOME,
    LeadNotAllowedError,
    LeadUnsuitableError,
    record_offer_outcome,
)
from smartbranch.service.schemas import OutcomeIn, OutcomeOut
from tests.fixtures.bank import PASSWORD, Bank, card_number
from tests.fixtures.briefs import (
    NOW,
    World,
    add_lead,
    add_rule,
    arrive,
    build_world,
    customer,
    sell_on_the_spot,
    sign_in,
)

MINE = "C0000000001"  # home BJ001, risk tolerance 3, own account manager bj001.account1
VISITOR = "C0000000002"  # home SH001


@pytest.fixture
async def world(session: AsyncSession, bank: Bank) -> World:
    return await build_world(session, bank)


async def record(
    session: AsyncSession,
    world: World,
    lead: Lead,
    who: tuple[str, str] = ("tablet_bj001", "bj001.wealth1"),
    *,
    locale: str = "en",
    **fields: object,
) -> OutcomeOut:
    body = OutcomeIn.model_validate({"kind": "declined", "channel": "tablet", **fields})
    principal = await sign_in(session, world.bank, *who)
    return await record_offer_outcome(session, principal, lead.id, body, locale, now=NOW)


async def outcomes(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Outcome)) or 0


class TestRecordOfferOutcome:
    async def test_recorded_in_todays_visit_and_announced_to_everyone_serving_it(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        lead = await add_lead(
            session, world, await add_rule(session, world, "R_DEP", "TD-1Y"), mine
        )
        visit = await arrive(session, world.bank, mine, "BJ001")
        # The second lobby manager is on duty (signed in on a tablet of the outlet).
        await sign_in(session, world.bank, "tablet_bj001", "bj001.lobby2")
        out = await record(
            session, world, lead, locale="zh_CN", kind="declined", reason_code="no_funds"
        )
        assert out.lead_status == "declined"
        assert out.lead_status_label == "已拒绝"
        assert out.converted is False
        stored = await session.get(Outcome, out.outcome_id)
        assert stored is not None
        assert (stored.visit_id, stored.outlet_id, stored.staff_id, stored.reason_code) == (
            visit.id,
            world.bank.orgs["BJ001"].id,
            world.bank.staff["bj001.wealth1"].id,
            "no_funds",
        )
        event = await session.scalar(select(StaffEvent).where(StaffEvent.kind == LEAD_OUTCOME))
        assert event is not None
        assert (event.visit_id, event.customer_id) == (visit.id, mine.id)
        assert event.payload["lead_id"] == lead.id
        assert event.payload["kind"] == "declined"
        assert event.payload["staff_role"] == "wealth_manager"
        assert event.payload["rule_code"] == "R_DEP"
        assert event.payload["customer_name"] == "王**"
        assert event.payload["text"] == {
            "zh_CN": "已营销“规则R_DEP”：已拒绝（目前没有闲置资金）。",
            "en": "Offered Rule R_DEP: declined (No money available for it now).",
        }
        assert card_number(1) not in str(event.payload)
        recipients = set(
            await session.scalars(
                select(StaffEventRecipient.staff_id).where(StaffEventRecipient.event_id == event.id)
            )
        )
        staff = world.bank.staff
        assert {
            staff["bj001.lobby2"].id,
            staff["bj001.wealth1"].id,
            staff["bj001.account1"].id,
        } <= recipients
        assert staff["bj001.teller1"].id not in recipients

    async def test_without_a_visit_nothing_is_announced(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        lead = await add_lead(
            session, world, await add_rule(session, world, "R_DEP", "TD-1Y"), mine
        )
        out = await record(session, world, lead, kind="accepted")
        stored = await session.get(Outcome, out.outcome_id)
        assert stored is not None and stored.visit_id is None
        assert stored.outlet_id == world.bank.orgs["BJ001"].id
        assert await session.scalar(select(func.count()).select_from(StaffEvent)) == 0

    async def test_a_visitor_from_another_branch_today_only(
        self, session: AsyncSession, world: World
    ) -> None:
        visitor = await customer(session, VISITOR)
        lead = await add_lead(
            session, world, await add_rule(session, world, "R_DEP", "TD-1Y"), visitor
        )
        with pytest.raises(CustomerOutOfScopeError):
            await record(session, world, lead)
        visit = await arrive(session, world.bank, visitor, "BJ001")
        out = await record(session, world, lead)
        stored = await session.get(Outcome, out.outcome_id)
        assert stored is not None and stored.visit_id == visit.id

    @pytest.mark.parametrize(
        ("product", "rule", "who", "channel", "error"),
        [
            # risk level 4 above the customer's 3: for every role
            ("WM-R4-365", {}, ("tablet_bj001", "bj001.wealth1"), "tablet", LeadUnsuitableError),
            ("FD-QDII", {}, ("counter_bj001", "bj001.teller1"), "counter", LeadUnsuitableError),
            # tellers never offer wealth, fund or insurance, whatever the rule says
            ("INS-CI", {}, ("counter_bj001", "bj001.teller1"), "counter", LeadNotAllowedError),
            # the rule's roles and channels
            (
                "TD-1Y",
                {"roles": ["account_manager"]},
                ("tablet_bj001", "bj001.wealth1"),
                "tablet",
                LeadNotAllowedError,
            ),
            (
                "TD-1Y",
                {"channels": ["counter"]},
                ("tablet_bj001", "bj001.wealth1"),
                "tablet",
                LeadNotAllowedError,
            ),
            # the role's channels
            ("TD-1Y", {}, ("tablet_bj001", "bj001.lobby1"), "crm", ChannelNotAllowedError),
        ],
    )
    async def test_refused_and_nothing_recorded(
        self,
        session: AsyncSession,
        world: World,
        product: str,
        rule: dict[str, list[str]],
        who: tuple[str, str],
        channel: str,
        error: type[Exception],
    ) -> None:
        mine = await customer(session, MINE)
        lead = await add_lead(
            session, world, await add_rule(session, world, "R_X", product, **rule), mine
        )
        with pytest.raises(error):
            await record(session, world, lead, who, channel=channel)
        assert await outcomes(session) == 0
        await session.refresh(lead)
        assert (lead.status, lead.presentations) == ("open", 0)

    async def test_a_visit_of_someone_else(self, session: AsyncSession, world: World) -> None:
        mine = await customer(session, MINE)
        other = await customer(session, "C0000000003")
        lead = await add_lead(
            session, world, await add_rule(session, world, "R_DEP", "TD-1Y"), mine
        )
        elsewhere = await arrive(session, world.bank, other, "BJ001")
        with pytest.raises(VisitNotFoundError):
            await record(session, world, lead, visit_id=elsewhere.id)
        assert await outcomes(session) == 0

    async def test_an_unknown_lead(self, session: AsyncSession, world: World) -> None:
        principal = await sign_in(session, world.bank, "tablet_bj001", "bj001.wealth1")
        body = OutcomeIn(kind="accepted", channel="tablet")
        with pytest.raises(LeadNotFoundError):
            await record_offer_outcome(session, principal, 999_999, body, "en", now=NOW)


class TestOnTheSpot:
    async def test_a_sale_completed_on_the_spot_converts_at_once(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        await sell_on_the_spot(session, "TD-1Y")
        lead = await add_lead(
            session, world, await add_rule(session, world, "R_DEP", "TD-1Y"), mine
        )
        await arrive(session, world.bank, mine, "BJ001")
        out = await record(session, world, lead, kind="accepted", completed=True)
        assert (out.lead_status, out.converted) == ("converted", True)
        await session.refresh(lead)
        assert (lead.status, lead.converted_on, lead.presentations) == (
            "converted",
            date(2026, 3, 3),
            1,
        )
        event = await session.scalar(select(StaffEvent).where(StaffEvent.kind == LEAD_OUTCOME))
        assert event is not None and event.payload["converted"] is True

    async def test_refused_for_a_product_not_sold_on_the_spot(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        lead = await add_lead(
            session, world, await add_rule(session, world, "R_DEP", "TD-1Y"), mine
        )
        with pytest.raises(NotSoldOnTheSpotError):
            await record(session, world, lead, kind="accepted", completed=True)
        await session.refresh(lead)
        assert (lead.status, lead.converted_on) == ("open", None)
        assert await outcomes(session) == 0

    async def test_only_an_accepted_lead_completes(
        self, session: AsyncSession, world: World
    ) -> None:
        mine = await customer(session, MINE)
        await sell_on_the_spot(session, "TD-1Y")
        lead = await add_lead(
            session, world, await add_rule(session, world, "R_DEP", "TD-1Y"), mine
        )
        with pytest.raises(InvalidOutcomeError):
            await record(session, world, lead, kind="declined", completed=True)
        assert await outcomes(session) == 0


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


@pytest.fixture
async def live_world(session: AsyncSession, bank: Bank) -> World:
    """A world whose run is of yesterday (the HTTP path runs at the real time)."""
    return await build_world(session, bank, as_of=bank_date(utcnow()) - timedelta(days=1))


class TestOutcomeApi:
    async def test_declined_then_shown_to_a_colleague_as_offered(
        self, client: httpx.AsyncClient, session: AsyncSession, live_world: World
    ) -> None:
        mine = await customer(session, MINE)
        rule = await add_rule(session, live_world, "R_DEP", "TD-1Y")
        lead = await add_lead(session, live_world, rule, mine)
        wealth = await _headers(client, live_world.bank, "tablet_bj001", "bj001.wealth1")
        response = await client.post(
            f"/api/v1/leads/{lead.id}/outcome",
            json={"kind": "declined", "channel": "tablet", "reason_code": "not_interested"},
            headers={**wealth, "Accept-Language": "en"},
        )
        assert response.status_code == 201, response.text
        assert response.json() == {
            "outcome_id": response.json()["outcome_id"],
            "lead_id": lead.id,
            "lead_status": "declined",
            "lead_status_label": "declined",
            "converted": False,
        }
        assert response.headers["cache-control"] == "no-store"
        lobby = await _headers(client, live_world.bank, "tablet_bj001", "bj001.lobby1")
        brief = await client.get(
            f"/api/v1/customers/{MINE}/brief?channel=tablet&lang=en", headers=lobby
        )
        assert brief.status_code == 200, brief.text
        body = brief.json()
        assert body["leads"] == []
        assert [o["lead_id"] for o in body["offered"]] == [lead.id]
        assert body["offered"][0]["offered"]["text"].startswith("Offered by the wealth manager")

    async def test_sold_on_the_spot_over_http(
        self, client: httpx.AsyncClient, session: AsyncSession, live_world: World
    ) -> None:
        mine = await customer(session, MINE)
        await sell_on_the_spot(session, "TD-1Y")
        lead = await add_lead(
            session, live_world, await add_rule(session, live_world, "R_DEP", "TD-1Y"), mine
        )
        teller = await _headers(client, live_world.bank, "counter_bj001", "bj001.teller1")
        response = await client.post(
            f"/api/v1/leads/{lead.id}/outcome",
            json={"kind": "accepted", "channel": "counter", "completed": True},
            headers=teller,
        )
        assert response.status_code == 201, response.text
        assert response.json()["converted"] is True
        assert response.json()["lead_status_label"] == "已成交"

    @pytest.mark.parametrize(
        ("lang", "message"),
        [
            ("en", "This product is not sold on the spot"),
            ("zh-CN", "该产品不能当场办结"),
        ],
    )
    async def test_not_sold_on_the_spot_in_both_languages(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        live_world: World,
        lang: str,
        message: str,
    ) -> None:
        mine = await customer(session, MINE)
        lead = await add_lead(
            session, live_world, await add_rule(session, live_world, "R_DEP", "TD-1Y"), mine
        )
        wealth = await _headers(client, live_world.bank, "tablet_bj001", "bj001.wealth1")
        response = await client.post(
            f"/api/v1/leads/{lead.id}/outcome",
            json={"kind": "accepted", "channel": "tablet", "completed": True},
            headers={**wealth, "Accept-Language": lang},
        )
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "not_sold_on_the_spot"
        assert error["message"].startswith(message)
        await session.refresh(lead)
        assert lead.status == "open"

    @pytest.mark.parametrize(
        ("product", "body", "status", "code"),
        [
            ("WM-R4-365", {"kind": "accepted"}, 409, "lead_unsuitable"),
            ("TD-1Y", {"kind": "accepted", "channel": "counter"}, 403, "channel_not_allowed"),
            ("TD-1Y", {"kind": "declined", "completed": True}, 422, "invalid_outcome"),
            ("TD-1Y", {"kind": "deferred"}, 422, "invalid_outcome"),
            ("TD-1Y", {"kind": "maybe"}, 422, "validation_error"),
            ("TD-1Y", {"kind": "accepted", "visit_id": 999_999}, 404, "visit_not_found"),
        ],
    )
    async def test_errors(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        live_world: World,
        product: str,
        body: dict[str, object],
        status: int,
        code: str,
    ) -> None:
        mine = await customer(session, MINE)
        lead = await add_lead(
            session, live_world, await add_rule(session, live_world, "R_X", product), mine
        )
        wealth = await _headers(client, live_world.bank, "tablet_bj001", "bj001.wealth1")
        response = await client.post(
            f"/api/v1/leads/{lead.id}/outcome",
            json={"channel": "tablet", **body},
            headers=wealth,
        )
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code
        assert await outcomes(session) == 0

    async def test_an_unknown_lead_and_a_customer_out_of_scope(
        self, client: httpx.AsyncClient, session: AsyncSession, live_world: World
    ) -> None:
        visitor = await customer(session, VISITOR)
        lead = await add_lead(
            session, live_world, await add_rule(session, live_world, "R_DEP", "TD-1Y"), visitor
        )
        lead_id = lead.id  # a refused request rolls back and expires the test's objects
        wealth = await _headers(client, live_world.bank, "tablet_bj001", "bj001.wealth1")
        body = {"kind": "accepted", "channel": "tablet"}
        missing = await client.post("/api/v1/leads/999999/outcome", json=body, headers=wealth)
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, "lead_not_found")
        theirs = await client.post(f"/api/v1/leads/{lead_id}/outcome", json=body, headers=wealth)
        assert (theirs.status_code, theirs.json()["error"]["code"]) == (
            403,
            "customer_out_of_scope",
        )

    async def test_signed_in_staff_only(
        self, client: httpx.AsyncClient, session: AsyncSession, live_world: World
    ) -> None:
        kiosk = {"X-Device-Token": live_world.bank.tokens["kiosk_bj001"]}
        response = await client.post(
            "/api/v1/leads/1/outcome", json={"kind": "accepted", "channel": "tablet"}, headers=kiosk
        )
        assert (response.status_code, response.json()["error"]["code"]) == (
            401,
            "not_authenticated",
        )
