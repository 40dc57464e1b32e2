"""The arrival flow — identify, then record the arrival — through both channels that use it:
the JSON ``POST /api/v1/identify`` and the kiosk page."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.models import AuditEntry
from smartbranch.credentials import CredentialHasher
from smartbranch.customers.service import CustomerNotFoundError
from smartbranch.service import visits
from smartbranch.service.models import StaffEvent, Visit
from tests.fixtures.bank import Bank, card_number
from tests.fixtures.service import (
    PLATINUM,
    PLATINUM_CARD,
    WANG_CARD,
    add_service_staff,
    identify_at,
    received,
    sign_in,
)
from tests.web.html import csrf_from_body

WANG = "C0000000001"


@pytest.fixture
async def staffed(session: AsyncSession, bank: Bank, hasher: CredentialHasher) -> Bank:
    return await add_service_staff(session, bank, hasher)


async def _visits(session: AsyncSession, bank: Bank, number: str = WANG) -> list[Visit]:
    rows = await session.scalars(
        select(Visit).where(Visit.customer_id == bank.customers[number].id)
    )
    return list(rows.all())


def _body(card: str, outlet: str = "BJ001") -> dict[str, object]:
    return {"outlet": outlet, "credential": {"kind": "debit_card", "value": card}}


class TestIdentifyArrival:
    async def test_a_kiosk_identification_is_an_arrival(
        self, session: AsyncSession, staffed: Bank, hasher: CredentialHasher
    ) -> None:
        outcome = await identify_at(session, staffed, hasher, WANG_CARD)
        assert outcome.identified.customer_number == WANG
        assert outcome.arrival is not None
        [visit] = await _visits(session, staffed)
        assert visit.id == outcome.arrival.visit.id
        assert (visit.arrived_via, visit.tier) == ("kiosk", "gold")

    async def test_a_channel_identification_is_not(
        self, session: AsyncSession, staffed: Bank, hasher: CredentialHasher
    ) -> None:
        from smartbranch.auth.service import enroll_device

        _device, token = await enroll_device(session, kind="channel", org_code="BJ001")
        staffed.tokens["channel_bj001"] = token
        outcome = await identify_at(session, staffed, hasher, WANG_CARD, device="channel_bj001")
        assert outcome.arrival is None
        assert await _visits(session, staffed) == []

    async def test_a_failed_identification_records_nothing(
        self, session: AsyncSession, staffed: Bank, hasher: CredentialHasher
    ) -> None:
        with pytest.raises(CustomerNotFoundError):
            await identify_at(session, staffed, hasher, card_number(99))
        assert await session.scalar(select(func.count()).select_from(Visit)) == 0


class TestIdentifyApi:
    async def test_kiosk_identify_opens_the_visit_and_tells_the_lobby(
        self, client: httpx.AsyncClient, session: AsyncSession, staffed: Bank
    ) -> None:
        lobby = await sign_in(session, staffed, "bj001.lobby1", "tablet_bj001")
        response = await client.post(
            "/api/v1/identify",
            json=_body(WANG_CARD),
            headers={"X-Device-Token": staffed.tokens["kiosk_bj001"]},
        )
        assert response.status_code == 200, response.text
        # The response is what it always was: the kiosk learns nothing more.
        assert set(response.json()) == {
            "greeting",
            "tier",
            "tier_label",
            "reference",
            "expires_at",
            "customer_number",
        }
        assert response.json()["customer_number"] is None
        [visit] = await _visits(session, staffed)
        [event] = await received(session, lobby.staff.id, visits.ARRIVED)
        assert event.visit_id == visit.id
        assert event.payload["customer_number"] == WANG

    async def test_a_teller_identifying_at_the_counter_is_an_arrival_too(
        self, client: httpx.AsyncClient, session: AsyncSession, staffed: Bank
    ) -> None:
        teller = await sign_in(session, staffed, "bj001.teller1", "counter_bj001")
        wealth = await sign_in(session, staffed, "bj001.wealth1", "tablet_bj001")
        response = await client.post(
            "/api/v1/identify", json=_body(PLATINUM_CARD), headers=teller.headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["customer_number"] == PLATINUM
        [visit] = await _visits(session, staffed, PLATINUM)
        assert visit.arrived_via == "counter"
        assert len(await received(session, wealth.staff.id, visits.ARRIVED)) == 1

    async def test_refused_identification_opens_no_visit_and_tells_nobody(
        self, client: httpx.AsyncClient, session: AsyncSession, staffed: Bank
    ) -> None:
        await sign_in(session, staffed, "bj001.lobby1", "tablet_bj001")
        response = await client.post(
            "/api/v1/identify",
            json=_body(card_number(99)),
            headers={"X-Device-Token": staffed.tokens["kiosk_bj001"]},
        )
        assert response.status_code == 404
        assert await session.scalar(select(func.count()).select_from(Visit)) == 0
        assert await session.scalar(select(func.count()).select_from(StaffEvent)) == 0

    async def test_the_arrival_adds_no_audit_row_of_its_own(
        self, client: httpx.AsyncClient, session: AsyncSession, staffed: Bank
    ) -> None:
        # The identification is the audited read; telling staff is not a second one.
        await sign_in(session, staffed, "bj001.lobby1", "tablet_bj001")
        before = await session.scalar(select(func.count()).select_from(AuditEntry))
        response = await client.post(
            "/api/v1/identify",
            json=_body(WANG_CARD),
            headers={"X-Device-Token": staffed.tokens["kiosk_bj001"]},
        )
        assert response.status_code == 200
        assert (
            await session.scalar(select(func.count()).select_from(AuditEntry)) == (before or 0) + 1
        )


class TestKioskPage:
    async def test_a_swipe_at_the_kiosk_page_tells_the_lobby_manager(
        self, client: httpx.AsyncClient, session: AsyncSession, staffed: Bank
    ) -> None:
        lobby = await sign_in(session, staffed, "bj001.lobby1", "tablet_bj001")
        client.cookies.set("sb_device", staffed.tokens["kiosk_bj001"])
        page = await client.get("/kiosk/BJ001")
        assert page.status_code == 200, page.text
        response = await client.post(
            "/kiosk/BJ001/identify",
            data={"kind": "debit_card", "value": WANG_CARD},
            headers={"HX-Request": "true", "X-CSRF-Token": csrf_from_body(page)},
        )
        assert response.status_code == 200, response.text
        assert "王先生" in response.text
        [visit] = await _visits(session, staffed)
        assert visit.arrived_via == "kiosk"
        [event] = await received(session, lobby.staff.id, visits.ARRIVED)
        assert (event.visit_id, event.payload["name"]) == (visit.id, "王**")
