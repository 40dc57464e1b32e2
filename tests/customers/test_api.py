"""``POST /api/v1/identify`` over real HTTP semantics (ASGI) on the configured database."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.models import AuditEntry, Identification
from smartbranch.auth.tokens import token_hash
from tests.fixtures.bank import PASSWORD, Bank, card_number, id_number


def _body(value: str, kind: str = "debit_card", outlet: str = "BJ001") -> dict[str, object]:
    return {"outlet": outlet, "credential": {"kind": kind, "value": value}}


async def _login(client: httpx.AsyncClient, device_token: str, username: str) -> str:
    response = await client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": PASSWORD},
        headers={"X-Device-Token": device_token},
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["session_token"]
    return token


class TestIdentifyFromKiosk:
    async def test_known_card_gives_greeting_tier_and_reference_only(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession
    ) -> None:
        response = await client.post(
            "/api/v1/identify",
            json=_body(card_number(1)),
            headers={"X-Device-Token": bank.tokens["kiosk_bj001"]},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["greeting"] == "王先生"
        assert body["tier"] == "gold"
        assert body["tier_label"] == "金卡"
        assert body["customer_number"] is None
        assert body["reference"].startswith("idr_")
        assert "王小明" not in response.text
        assert response.headers["cache-control"] == "no-store"
        ident = await session.scalar(
            select(Identification).where(
                Identification.reference_hash == token_hash(body["reference"])
            )
        )
        assert ident is not None
        assert ident.customer_id == bank.customers["C0000000001"].id

    async def test_english_greeting(self, client: httpx.AsyncClient, bank: Bank) -> None:
        response = await client.post(
            "/api/v1/identify",
            json=_body(card_number(3), outlet="SH001"),
            headers={"X-Device-Token": bank.tokens["kiosk_sh001"], "Accept-Language": "en"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["greeting"] == "Ms Ouyang"
        assert response.json()["tier_label"] == "Private Banking"

    async def test_id_card_with_lowercase_x_and_spaces(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession, hasher: object
    ) -> None:
        # Find a sequence whose check character is X, to exercise the normalisation.
        sequence = next(s for s in range(1, 999) if id_number(s).endswith("X"))
        from smartbranch.credentials import CredentialKind
        from tests.fixtures.bank import add_customer

        await add_customer(
            session,
            bank,
            hasher,  # type: ignore[arg-type]
            number="C0000000009",
            name="张伟",
            gender="M",
            outlet="BJ001",
            credentials=[(CredentialKind.ID_CARD, id_number(sequence), "active")],
        )
        spaced = id_number(sequence)[:6] + " " + id_number(sequence)[6:].lower()
        response = await client.post(
            "/api/v1/identify",
            json=_body(spaced, kind="id_card"),
            headers={"X-Device-Token": bank.tokens["kiosk_bj001"]},
        )
        assert response.status_code == 200, response.text
        assert response.json()["greeting"] == "张先生"

    async def test_every_identification_is_audited(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession
    ) -> None:
        before = await session.scalar(select(func.count()).select_from(AuditEntry))
        response = await client.post(
            "/api/v1/identify",
            json=_body(id_number(1), kind="id_card"),
            headers={"X-Device-Token": bank.tokens["kiosk_bj001"]},
        )
        assert response.status_code == 200
        entries = (
            await session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        ).all()
        after = await session.scalar(select(func.count()).select_from(AuditEntry))
        assert after == (before or 0) + 1
        entry = entries[0]
        assert entry.action == "customer.identify"
        assert entry.role == "kiosk"
        assert entry.customer_id == bank.customers["C0000000001"].id
        assert entry.staff_id is None
        assert entry.detail["credential_kind"] == "id_card"


class TestIdentifyErrors:
    @pytest.mark.parametrize(
        ("value", "kind", "code"),
        [
            ("6228480000000000001", "debit_card", "card_number_checksum"),
            ("12345", "debit_card", "card_number_length"),
            ("11010519800230001X", "id_card", "id_number_birth_date"),
            ("6228480000000000001", "magstripe", "credential_kind_unknown"),
        ],
    )
    async def test_invalid_credential_is_400_with_its_code(
        self,
        client: httpx.AsyncClient,
        bank: Bank,
        session: AsyncSession,
        value: str,
        kind: str,
        code: str,
    ) -> None:
        before = await session.scalar(select(func.count()).select_from(AuditEntry))
        response = await client.post(
            "/api/v1/identify",
            json=_body(value, kind=kind),
            headers={"X-Device-Token": bank.tokens["kiosk_bj001"]},
        )
        assert response.status_code == 400, response.text
        assert response.json()["error"]["code"] == code
        assert value not in response.text
        # Chinese by default.
        assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["error"]["message"])
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == before

    async def test_unknown_card_is_404_customer_not_found(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession
    ) -> None:
        before = await session.scalar(select(func.count()).select_from(Identification))
        response = await client.post(
            "/api/v1/identify",
            json=_body(card_number(99)),
            headers={"X-Device-Token": bank.tokens["kiosk_bj001"]},
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "customer_not_found"
        assert await session.scalar(select(func.count()).select_from(Identification)) == before

    @pytest.mark.parametrize("body_value", [card_number(2, prefix="525998", length=16)])
    async def test_lost_card_is_409_credential_inactive(
        self, client: httpx.AsyncClient, bank: Bank, body_value: str
    ) -> None:
        response = await client.post(
            "/api/v1/identify",
            json=_body(body_value, kind="credit_card"),
            headers={"X-Device-Token": bank.tokens["kiosk_bj001"]},
        )
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "credential_inactive"

    async def test_card_read_as_debit_finds_a_credit_card(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        # Same family: the reader cannot always tell debit from credit. (This one is lost.)
        response = await client.post(
            "/api/v1/identify",
            json=_body(card_number(2, prefix="525998", length=16), kind="debit_card"),
            headers={"X-Device-Token": bank.tokens["kiosk_bj001"]},
        )
        assert response.json()["error"]["code"] == "credential_inactive"

    async def test_no_device_token_is_401(self, client: httpx.AsyncClient, bank: Bank) -> None:
        response = await client.post("/api/v1/identify", json=_body(card_number(1)))
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "device_not_enrolled"

    async def test_unknown_outlet_is_404(self, client: httpx.AsyncClient, bank: Bank) -> None:
        response = await client.post(
            "/api/v1/identify",
            json=_body(card_number(1), outlet="NOPE"),
            headers={"X-Device-Token": bank.tokens["kiosk_bj001"]},
        )
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "outlet_not_found"

    async def test_kiosk_cannot_identify_for_another_outlet(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        response = await client.post(
            "/api/v1/identify",
            json=_body(card_number(1), outlet="SH001"),
            headers={"X-Device-Token": bank.tokens["kiosk_bj001"]},
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "device_outlet_mismatch"

    async def test_board_may_not_identify(self, client: httpx.AsyncClient, bank: Bank) -> None:
        response = await client.post(
            "/api/v1/identify",
            json=_body(card_number(1)),
            headers={"X-Device-Token": bank.tokens["board_bj001"]},
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "device_kind_not_allowed"

    async def test_malformed_payload_is_422_in_our_shape(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        response = await client.post(
            "/api/v1/identify",
            json={"outlet": "BJ001"},
            headers={"X-Device-Token": bank.tokens["kiosk_bj001"]},
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"

    async def test_openapi_documents_every_code(self, client: httpx.AsyncClient) -> None:
        spec = (await client.get("/openapi.json")).json()
        responses = spec["paths"]["/api/v1/identify"]["post"]["responses"]
        text = " ".join(r.get("description", "") for r in responses.values())
        for code in (
            "customer_not_found",
            "credential_inactive",
            "card_number_checksum",
            "id_number_checksum",
            "device_not_enrolled",
            "outlet_not_found",
        ):
            assert f"`{code}`" in text


class TestIdentifyFromStaffDevice:
    async def test_staff_device_without_session_is_401(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        response = await client.post(
            "/api/v1/identify",
            json=_body(card_number(1)),
            headers={"X-Device-Token": bank.tokens["counter_bj001"]},
        )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"

    async def test_teller_sees_customer_number_in_scope_and_is_audited(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession
    ) -> None:
        token = await _login(client, bank.tokens["counter_bj001"], "bj001.teller1")
        response = await client.post(
            "/api/v1/identify",
            json=_body(card_number(1)),
            headers={
                "X-Device-Token": bank.tokens["counter_bj001"],
                "Authorization": f"Bearer {token}",
            },
        )
        assert response.status_code == 200, response.text
        assert response.json()["customer_number"] == "C0000000001"
        entry = await session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert entry is not None
        assert entry.staff_id == bank.staff["bj001.teller1"].id
        assert entry.role == "teller"

    async def test_customer_outside_scope_gets_no_customer_number(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        # The Shanghai private-banking customer visits a Beijing outlet: the teller may greet
        # and serve her, but her record is outside the teller's subtree.
        token = await _login(client, bank.tokens["counter_bj001"], "bj001.teller1")
        response = await client.post(
            "/api/v1/identify",
            json=_body(card_number(3)),
            headers={
                "X-Device-Token": bank.tokens["counter_bj001"],
                "Authorization": f"Bearer {token}",
            },
        )
        assert response.status_code == 200
        assert response.json()["customer_number"] is None
        assert response.json()["tier"] == "private"
