"""The collaboration API over real HTTP semantics (ASGI): needs, hand-offs, my lists and the
visit timeline, with typed errors in Chinese and English."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.models import AuditEntry
from smartbranch.marketing.service import record_outcome
from smartbranch.service.models import Need, Visit
from tests.fixtures.bank import PASSWORD, Bank, card_number
from tests.fixtures.marketing import add_lead, add_run, default_rules
from tests.fixtures.visits import add_visit, build_crew, today

EN = {"Accept-Language": "en"}


@pytest.fixture
async def crew(session: AsyncSession, bank: Bank) -> Bank:
    return await build_crew(session, bank)


@pytest.fixture
async def visit(session: AsyncSession, crew: Bank) -> Visit:
    """Today's visit of C0000000001 at BJ001, committed: a refused request rolls its unit of
    work back, which must not take the set-up with it."""
    found = await add_visit(session, crew)
    await session.commit()
    return found


async def staff_headers(
    client: httpx.AsyncClient, bank: Bank, username: str, device: str = "tablet_bj001"
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


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


class TestNeedsApi:
    async def test_capture_a_need(
        self, client: httpx.AsyncClient, crew: Bank, visit: Visit, session: AsyncSession
    ) -> None:
        lobby = await staff_headers(client, crew, "bj001.lobby1")
        response = await client.post(
            f"/api/v1/visits/{visit.id}/needs",
            json={"category": "time_deposit", "amount": "200000.00", "note": card_number(8)},
            headers={**lobby, **EN},
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["visit_id"], body["category"], body["category_label"]) == (
            visit.id,
            "time_deposit",
            "Time deposits",
        )
        assert (body["amount"], body["note"], body["role_label"]) == (
            "200000.00",
            "[redacted]",
            "Lobby manager",
        )

    async def test_errors_carry_a_code_and_the_users_language(
        self, client: httpx.AsyncClient, crew: Bank, visit: Visit, session: AsyncSession
    ) -> None:
        closed_id = (await add_visit(session, crew, "C0000000003", status="closed")).id
        await session.commit()
        lobby = await staff_headers(client, crew, "bj001.lobby1")
        url = f"/api/v1/visits/{visit.id}/needs"
        zh = await client.post(url, json={"category": "crypto"}, headers=lobby)
        assert error_of(zh)[:2] == (422, "invalid_need")
        assert error_of(zh)[2].startswith("客户需求填写有误：未知的产品类别 crypto")
        assert zh.json()["error"]["field"] == "category"
        en = await client.post(url, json={"product_code": "NOPE"}, headers={**lobby, **EN})
        assert error_of(en) == (422, "invalid_need", "The need is not valid: unknown product NOPE")
        malformed = await client.post(url, json={"amount": "-5"}, headers=lobby)
        assert error_of(malformed)[:2] == (422, "validation_error")
        missing = await client.post("/api/v1/visits/999999/needs", json={}, headers=EN | lobby)
        assert error_of(missing) == (404, "visit_not_found", "No visit 999999.")
        ended = await client.post(
            f"/api/v1/visits/{closed_id}/needs", json={"note": "hi"}, headers=lobby
        )
        assert error_of(ended) == (
            409,
            "visit_closed",
            "该到访已结束：客户已离开，或不是今天的到访。",
        )
        assert await session.scalar(select(func.count()).select_from(Need)) == 0

    async def test_signed_in_staff_only(
        self, client: httpx.AsyncClient, crew: Bank, visit: Visit
    ) -> None:
        # A refused request rolls back and expires what the session holds: keep plain values.
        url = f"/api/v1/visits/{visit.id}/needs"
        device_only = {"X-Device-Token": crew.tokens["tablet_bj001"]}
        response = await client.post(url, json={"note": "hi"}, headers=device_only)
        assert error_of(response)[:2] == (401, "not_authenticated")
        shanghai = await staff_headers(client, crew, "sh001.lobby1", "tablet_sh001")
        response = await client.post(url, json={"note": "hi"}, headers=shanghai)
        assert error_of(response)[:2] == (403, "visit_out_of_scope")


class TestHandoffsApi:
    async def test_hand_off_accept_and_complete(
        self, client: httpx.AsyncClient, crew: Bank, visit: Visit
    ) -> None:
        lobby = await staff_headers(client, crew, "bj001.lobby1")
        wealth = await staff_headers(client, crew, "bj001.wealth1")
        teller = await staff_headers(client, crew, "bj001.teller1", "counter_bj001")
        need = await client.post(
            f"/api/v1/visits/{visit.id}/needs", json={"category": "wealth"}, headers=lobby
        )
        created = await client.post(
            f"/api/v1/visits/{visit.id}/handoffs",
            json={"to_role": "wealth_manager", "need_id": need.json()["id"], "note": "1y"},
            headers=lobby,
        )
        assert created.status_code == 201, created.text
        handoff = created.json()
        assert (handoff["status"], handoff["status_label"], handoff["to_role_label"]) == (
            "open",
            "待接收",
            "理财经理",
        )
        assert handoff["need"]["category_label"] == "理财"
        mine = await client.get("/api/v1/handoffs/mine", headers=wealth)
        assert [h["id"] for h in mine.json()] == [handoff["id"]]
        refused = await client.post(f"/api/v1/handoffs/{handoff['id']}/accept", headers=teller)
        assert error_of(refused) == (403, "handoff_not_allowed", "该转介不是转给您的。")
        early = await client.post(
            f"/api/v1/handoffs/{handoff['id']}/done", headers={**wealth, **EN}
        )
        assert error_of(early) == (
            409,
            "handoff_state",
            "Accept this hand-off before marking it done.",
        )
        accepted = await client.post(f"/api/v1/handoffs/{handoff['id']}/accept", headers=wealth)
        assert (accepted.status_code, accepted.json()["accepted_by_name"]) == (
            200,
            "bj001.wealth1",
        )
        done = await client.post(f"/api/v1/handoffs/{handoff['id']}/done", headers=wealth)
        assert done.json()["status"] == "done"
        late = await client.post(f"/api/v1/handoffs/{handoff['id']}/cancel", headers=lobby)
        assert error_of(late) == (409, "handoff_state", "该转介已结束（已完成）。")
        missing = await client.post("/api/v1/handoffs/999999/accept", headers={**wealth, **EN})
        assert error_of(missing) == (404, "handoff_not_found", "No hand-off 999999.")

    async def test_hand_off_errors_in_both_languages(
        self, client: httpx.AsyncClient, crew: Bank, visit: Visit
    ) -> None:
        lobby = await staff_headers(client, crew, "bj001.lobby1")
        url = f"/api/v1/visits/{visit.id}/handoffs"
        self_id = crew.staff["bj001.lobby1"].id
        to_self = await client.post(
            url, json={"to_role": "lobby_manager", "to_staff_id": self_id}, headers=lobby
        )
        assert error_of(to_self) == (422, "handoff_to_self", "不能把客户转介给自己。")
        bad_role = await client.post(url, json={"to_role": "auditor"}, headers={**lobby, **EN})
        status, code, message = error_of(bad_role)
        assert (status, code, bad_role.json()["error"]["field"]) == (
            422,
            "invalid_handoff",
            "to_role",
        )
        assert message.startswith("The hand-off is not valid: a customer is handed off to")
        first = await client.post(url, json={"to_role": "teller"}, headers=lobby)
        assert first.status_code == 201
        twice = await client.post(url, json={"to_role": "teller"}, headers={**lobby, **EN})
        assert error_of(twice) == (
            409,
            "handoff_exists",
            "This customer has already been handed off to Teller; it is not closed yet.",
        )
        wealth = await staff_headers(client, crew, "bj001.wealth1")
        not_creator = await client.post(
            f"/api/v1/handoffs/{first.json()['id']}/cancel", headers={**wealth, **EN}
        )
        assert error_of(not_creator) == (
            403,
            "handoff_not_allowed",
            "Only the colleague who made this hand-off can withdraw it.",
        )
        withdrawn = await client.post(
            f"/api/v1/handoffs/{first.json()['id']}/cancel", headers=lobby
        )
        assert (withdrawn.status_code, withdrawn.json()["status_label"]) == (200, "已撤回")


class TestMyListsApi:
    async def test_follow_ups(
        self, client: httpx.AsyncClient, crew: Bank, session: AsyncSession
    ) -> None:
        rules = await default_rules(session)
        run = await add_run(session, today())
        customer = crew.customers["C0000000001"]
        lead = await add_lead(session, run=run, rule=rules["QF_IDLE_CASH"], customer_id=customer.id)
        follow_up_on = today() + timedelta(days=4)
        await record_outcome(
            session,
            lead_id=lead.id,
            kind="deferred",
            staff_id=crew.staff["bj001.wealth1"].id,
            outlet_id=crew.orgs["BJ001"].id,
            channel="tablet",
            follow_up_on=follow_up_on,
        )
        manager = await staff_headers(client, crew, "bj001.account1")
        response = await client.get("/api/v1/follow-ups/mine", headers={**manager, **EN})
        assert response.status_code == 200, response.text
        (item,) = response.json()
        assert (item["lead_id"], item["follow_up_on"], item["own_customer"]) == (
            lead.id,
            follow_up_on.isoformat(),
            True,
        )
        assert (item["customer_name"], item["tier_label"]) == ("王小明", "Gold")

    async def test_roles_without_customers_are_refused(
        self, client: httpx.AsyncClient, crew: Bank
    ) -> None:
        marketing = await staff_headers(client, crew, "bj.marketing")
        for path in ("/api/v1/handoffs/mine", "/api/v1/follow-ups/mine"):
            response = await client.get(path, headers=marketing)
            assert error_of(response)[:2] == (403, "role_not_allowed")


class TestTimelineApi:
    async def test_the_timeline_is_audited_and_never_cached(
        self, client: httpx.AsyncClient, crew: Bank, visit: Visit, session: AsyncSession
    ) -> None:
        teller = await staff_headers(client, crew, "bj001.teller1", "counter_bj001")
        lobby = await staff_headers(client, crew, "bj001.lobby1")
        await client.post(f"/api/v1/visits/{visit.id}/needs", json={"note": "换汇"}, headers=lobby)
        response = await client.get(f"/api/v1/visits/{visit.id}/timeline", headers=teller)
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        assert [(e["kind"], e["text"]) for e in response.json()] == [
            ("arrived", "到店：在排队机识别（银行卡）。"),
            ("need", "已记录客户需求：换汇。"),
        ]
        audited = (
            await session.execute(
                select(AuditEntry.action, AuditEntry.customer_id, AuditEntry.detail).where(
                    AuditEntry.staff_id == crew.staff["bj001.teller1"].id
                )
            )
        ).all()
        assert [(a, c) for a, c, _ in audited] == [("visit.timeline", visit.customer_id)]
        assert audited[0][2] == {"visit_id": visit.id}

    async def test_out_of_scope_and_unknown_visits(
        self, client: httpx.AsyncClient, crew: Bank, visit: Visit, session: AsyncSession
    ) -> None:
        shanghai = await staff_headers(client, crew, "sh001.wealth1", "tablet_sh001")
        response = await client.get(
            f"/api/v1/visits/{visit.id}/timeline", headers={**shanghai, **EN}
        )
        assert error_of(response) == (
            403,
            "visit_out_of_scope",
            "This visit is at an outlet outside your part of the bank.",
        )
        missing = await client.get("/api/v1/visits/999999/timeline", headers=shanghai)
        assert error_of(missing) == (404, "visit_not_found", "没有编号为 999999 的到访记录。")
        audited = await session.scalar(
            select(func.count()).where(AuditEntry.action == "visit.timeline")
        )
        assert audited == 0
