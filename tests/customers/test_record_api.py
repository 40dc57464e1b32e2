"""``GET /api/v1/customers/{number}``: scope, per-role disclosure and audit."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.models import AuditEntry
from tests.fixtures.bank import PASSWORD, Bank, card_number


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


class TestCustomerRecord:
    async def test_teller_sees_name_and_bin_but_no_assets_and_masked_phone(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession
    ) -> None:
        headers = await _headers(client, bank, "counter_bj001", "bj001.teller1")
        response = await client.get("/api/v1/customers/C0000000001", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["name"] == "王小明"
        assert body["phone"] == "138****0000"
        assert body["aum"] is None and body["holdings"] is None
        assert body["birth_date"] is None
        debit = next(c for c in body["credentials"] if c["kind"] == "debit_card")
        number = card_number(1)
        assert debit["masked"] == number[:6] + "*" * (len(number) - 10) + number[-4:]
        assert number not in response.text
        assert response.headers["cache-control"] == "no-store"
        entry = await session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert entry is not None
        assert (entry.action, entry.role, entry.purpose) == ("customer.read", "teller", "service")
        assert entry.staff_id == bank.staff["bj001.teller1"].id
        assert entry.customer_id == bank.customers["C0000000001"].id

    async def test_lobby_manager_sees_assets_and_last4_only(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        headers = await _headers(client, bank, "tablet_bj001", "bj001.lobby1")
        body = (await client.get("/api/v1/customers/C0000000001", headers=headers)).json()
        assert body["aum"] == "120000.00"
        assert [h["category"] for h in body["holdings"]] == ["deposit"]
        debit = next(c for c in body["credentials"] if c["kind"] == "debit_card")
        assert debit["masked"] == "**** " + card_number(1)[-4:]

    async def test_own_account_manager_sees_the_phone_others_do_not(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        own = await _headers(client, bank, "tablet_bj001", "bj001.account1")
        other = await _headers(client, bank, "tablet_bj001", "bj001.account2")
        mine = (await client.get("/api/v1/customers/C0000000001", headers=own)).json()
        theirs = (await client.get("/api/v1/customers/C0000000001", headers=other)).json()
        assert mine["phone"] == "13800000000"
        assert theirs["phone"] == "138****0000"
        assert mine["birth_date"] == "1980-05-17"

    async def test_customer_of_another_branch_is_out_of_scope(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession
    ) -> None:
        headers = await _headers(client, bank, "tablet_sh001", "sh001.teller1")
        before = await session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
        response = await client.get("/api/v1/customers/C0000000001", headers=headers)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "customer_out_of_scope"
        after = await session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
        assert after == before

    async def test_head_office_scope_covers_every_branch_but_admin_role_reads_no_records(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        headers = await _headers(client, bank, "tablet_bj001", "ho.admin")
        response = await client.get("/api/v1/customers/C0000000002", headers=headers)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "role_not_allowed"

    @pytest.mark.parametrize(
        ("path", "status", "code"),
        [
            ("/api/v1/customers/C9999999999", 404, "customer_not_found"),
            ("/api/v1/customers/C0000000001?purpose=curiosity", 400, "purpose_unknown"),
        ],
    )
    async def test_bad_requests(
        self, client: httpx.AsyncClient, bank: Bank, path: str, status: int, code: str
    ) -> None:
        headers = await _headers(client, bank, "counter_bj001", "bj001.teller1")
        response = await client.get(path, headers=headers)
        assert response.status_code == status
        assert response.json()["error"]["code"] == code

    async def test_kiosk_cannot_read_records(self, client: httpx.AsyncClient, bank: Bank) -> None:
        response = await client.get(
            "/api/v1/customers/C0000000001", headers={"X-Device-Token": bank.tokens["kiosk_bj001"]}
        )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
