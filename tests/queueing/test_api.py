"""The queue API over real HTTP semantics (ASGI): kiosks take tickets, tellers call them."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.db import utcnow
from smartbranch.queueing.models import Ticket
from tests.fixtures.bank import PASSWORD, Bank, card_number
from tests.fixtures.queue import Floor, build_floor

BASE = "/api/v1/outlets/BJ001"


@pytest.fixture
async def floor(session: AsyncSession, bank: Bank) -> Floor:
    return await build_floor(session, bank)


def kiosk(bank: Bank, **extra: str) -> dict[str, str]:
    return {"X-Device-Token": bank.tokens["kiosk_bj001"], **extra}


async def staff_headers(
    client: httpx.AsyncClient, bank: Bank, username: str, device: str = "counter_bj001"
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


async def teller_at(client: httpx.AsyncClient, bank: Bank, counter: str = "1") -> dict[str, str]:
    headers = await staff_headers(client, bank, "bj001.teller1")
    response = await client.post(f"{BASE}/counters/{counter}/sign-in", headers=headers)
    assert response.status_code == 200, response.text
    return headers


async def take(
    client: httpx.AsyncClient, bank: Bank, service: str = "cash", **body: str
) -> dict[str, object]:
    response = await client.post(
        f"{BASE}/tickets", json={"service": service, **body}, headers=kiosk(bank)
    )
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


class TestTickets:
    async def test_kiosk_takes_a_ticket_and_a_retry_gets_the_same_one(
        self, client: httpx.AsyncClient, bank: Bank, floor: Floor, session: AsyncSession
    ) -> None:
        headers = kiosk(bank, **{"Idempotency-Key": "kiosk-7f3a"})
        first = await client.post(f"{BASE}/tickets", json={"service": "cash"}, headers=headers)
        assert first.status_code == 201, first.text
        body = first.json()
        assert body["number"] == "A001"
        assert (body["tier"], body["tier_label"], body["identified"]) == (
            "standard",
            "普通客户",
            False,
        )
        assert (body["people_ahead"], body["status"]) == (0, "waiting")
        assert body["issued_at"]
        again = await client.post(f"{BASE}/tickets", json={"service": "cash"}, headers=headers)
        assert again.status_code == 200
        assert again.json() == body
        count = await session.scalar(select(func.count()).select_from(Ticket))
        assert count == 1
        other = await client.post(f"{BASE}/tickets", json={"service": "wealth"}, headers=headers)
        assert (other.status_code, other.json()["error"]["code"]) == (409, "idempotency_key_reused")

    async def test_identified_customer_queues_in_their_tier(
        self, client: httpx.AsyncClient, bank: Bank, floor: Floor
    ) -> None:
        identified = await client.post(
            "/api/v1/identify",
            json={"outlet": "BJ001", "credential": {"kind": "debit_card", "value": card_number(1)}},
            headers=kiosk(bank),
        )
        assert identified.status_code == 200, identified.text
        reference = identified.json()["reference"]
        ticket = await take(client, bank, "wealth", identification=reference)
        assert (ticket["number"], ticket["tier"], ticket["identified"]) == ("V001", "gold", True)
        assert "王" not in str(ticket)

    @pytest.mark.parametrize(
        ("path", "body", "headers_of", "status", "code"),
        [
            (
                "/api/v1/outlets/XX999/tickets",
                {"service": "cash"},
                "kiosk_bj001",
                404,
                "outlet_not_found",
            ),
            (
                f"{BASE}/tickets",
                {"service": "gold_bars"},
                "kiosk_bj001",
                404,
                "queue_service_not_found",
            ),
            (f"{BASE}/tickets", {"service": "cash"}, "board_bj001", 403, "device_kind_not_allowed"),
            (f"{BASE}/tickets", {"service": "cash"}, "kiosk_sh001", 403, "device_outlet_mismatch"),
            (f"{BASE}/tickets", {"service": "cash"}, "tablet_bj001", 401, "not_authenticated"),
            (
                f"{BASE}/tickets",
                {"service": "cash", "identification": "idr_nope"},
                "kiosk_bj001",
                404,
                "identification_unknown",
            ),
            (
                f"{BASE}/tickets",
                {"service": "cash", "extra": 1},
                "kiosk_bj001",
                422,
                "validation_error",
            ),
        ],
    )
    async def test_bad_requests_get_clear_codes(
        self,
        client: httpx.AsyncClient,
        bank: Bank,
        floor: Floor,
        session: AsyncSession,
        path: str,
        body: dict[str, object],
        headers_of: str,
        status: int,
        code: str,
    ) -> None:
        response = await client.post(
            path, json=body, headers={"X-Device-Token": bank.tokens[headers_of]}
        )
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 0


class TestCounters:
    async def test_call_next_says_why(
        self, client: httpx.AsyncClient, bank: Bank, floor: Floor
    ) -> None:
        await take(client, bank, "cash")
        headers = await teller_at(client, bank)
        response = await client.post(f"{BASE}/counters/1/call-next", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["ticket"]["number"] == "A001"
        assert body["ticket"]["status"] == "called"
        assert body["ticket"]["counter"] == "1"
        assert body["reason"] == "fifo"
        assert body["explanation"].startswith("按先后顺序")
        english = await client.post(
            f"{BASE}/tickets/{body['ticket']['id']}/recall",
            headers={**headers, "Accept-Language": "en"},
        )
        assert english.json()["recall_count"] == 1
        empty = await client.post(f"{BASE}/counters/1/call-next", headers=headers)
        assert (empty.status_code, empty.json()["error"]["code"]) == (409, "counter_busy")

    async def test_the_full_life_of_a_ticket(
        self, client: httpx.AsyncClient, bank: Bank, floor: Floor
    ) -> None:
        ticket = await take(client, bank, "cash")
        headers = await teller_at(client, bank)
        await client.post(f"{BASE}/counters/1/call-next", headers=headers)
        for action, status in [("start", "serving"), ("finish", "done")]:
            response = await client.post(f"{BASE}/tickets/{ticket['id']}/{action}", headers=headers)
            assert response.status_code == 200, response.text
            assert response.json()["status"] == status
        transfer = await client.post(
            f"{BASE}/tickets/{ticket['id']}/transfer", json={"service": "wealth"}, headers=headers
        )
        assert (transfer.status_code, transfer.json()["error"]["code"]) == (409, "ticket_closed")
        nothing = await client.post(f"{BASE}/counters/1/call-next", headers=headers)
        assert nothing.json() == {
            "ticket": None,
            "reason": None,
            "explanation": None,
            "detail": None,
        }
        closed = await client.post(f"{BASE}/counters/1/close", headers=headers)
        assert closed.json()["state"] == "closed"

    async def test_counter_errors(
        self, client: httpx.AsyncClient, bank: Bank, floor: Floor
    ) -> None:
        await take(client, bank, "wealth")
        headers = await staff_headers(client, bank, "bj001.teller1")
        closed = await client.post(f"{BASE}/counters/1/call-next", headers=headers)
        assert (closed.status_code, closed.json()["error"]["code"]) == (409, "counter_closed")
        await client.post(f"{BASE}/counters/1/sign-in", headers=headers)
        not_served = await client.post(
            f"{BASE}/counters/1/call-next", json={"service": "wealth"}, headers=headers
        )
        assert (not_served.status_code, not_served.json()["error"]["code"]) == (
            409,
            "service_not_served",
        )
        assert "不办理" in not_served.json()["error"]["message"]
        unknown = await client.post(f"{BASE}/counters/77/call-next", headers=headers)
        assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "counter_not_found")
        missing = await client.post(f"{BASE}/tickets/1/transfer", json={}, headers=headers)
        assert missing.status_code == 422

    async def test_only_the_outlets_counter_staff(
        self, client: httpx.AsyncClient, bank: Bank, floor: Floor
    ) -> None:
        elsewhere = await staff_headers(client, bank, "sh001.teller1", device="tablet_sh001")
        response = await client.post(f"{BASE}/counters/1/sign-in", headers=elsewhere)
        assert (response.status_code, response.json()["error"]["code"]) == (
            403,
            "device_outlet_mismatch",
        )
        account = await staff_headers(client, bank, "bj001.account1")
        response = await client.post(f"{BASE}/counters/1/sign-in", headers=account)
        assert (response.status_code, response.json()["error"]["code"]) == (
            403,
            "queue_role_not_allowed",
        )
        kiosk_only = await client.post(f"{BASE}/counters/1/sign-in", headers=kiosk(bank))
        assert kiosk_only.status_code == 401
        admin = await staff_headers(client, bank, "ho.admin", device="tablet_bj001")
        response = await client.post(f"{BASE}/counters/1/sign-in", headers=admin)
        assert (response.status_code, response.json()["error"]["code"]) == (403, "not_outlet_staff")


class TestAppointmentsAndQueue:
    async def test_book_check_in_and_see_the_queue(
        self, client: httpx.AsyncClient, bank: Bank, floor: Floor
    ) -> None:
        lobby = await staff_headers(client, bank, "bj001.lobby1", device="tablet_bj001")
        slot = utcnow() + timedelta(minutes=2)
        booked = await client.post(
            f"{BASE}/appointments",
            json={
                "service": "wealth",
                "customer_number": "C0000000001",
                "slot_at": slot.isoformat(),
            },
            headers=lobby,
        )
        assert booked.status_code == 201, booked.text
        unknown = await client.post(
            f"{BASE}/appointments",
            json={"service": "wealth", "customer_number": "C404", "slot_at": slot.isoformat()},
            headers=lobby,
        )
        assert unknown.status_code == 404
        checked_in = await client.post(
            f"{BASE}/appointments/{booked.json()['id']}/check-in", headers=kiosk(bank)
        )
        assert checked_in.status_code == 201, checked_in.text
        assert (checked_in.json()["number"], checked_in.json()["tier"]) == ("V001", "gold")
        await take(client, bank, "cash")
        board = await client.get(
            f"{BASE}/queue", headers={"X-Device-Token": bank.tokens["board_bj001"]}
        )
        assert board.status_code == 200, board.text
        queue = board.json()
        waiting = {s["code"]: s["waiting_count"] for s in queue["services"]}
        assert waiting == {"cash": 1, "non_cash": 0, "wealth": 1, "credit_card": 0}
        assert [c["code"] for c in queue["counters"]] == ["1", "2", "3", "4"]
        assert queue["called"] == []
