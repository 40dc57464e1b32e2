"""Taking a ticket at the kiosk: after identification (in the customer's priority class) or
without a card (a standard ticket); the printed ticket; retries make no second ticket."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.queueing import service as queue
from smartbranch.queueing.models import Ticket
from tests.fixtures.bank import Bank, card_number
from tests.fixtures.queue import build_floor
from tests.web.html import audit, csrf_from_body, hidden_value

KIOSK = "/kiosk/BJ001"
HTMX = {"HX-Request": "true"}


async def _tickets(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Ticket)) or 0)


async def _identified(client: httpx.AsyncClient, bank: Bank) -> tuple[httpx.Response, str]:
    client.cookies.set("sb_device", bank.tokens["kiosk_bj001"])
    token = csrf_from_body(await client.get(KIOSK))
    response = await client.post(
        f"{KIOSK}/identify",
        data={"kind": "debit_card", "value": card_number(1)},
        headers={**HTMX, "X-CSRF-Token": token},
    )
    assert response.status_code == 200, response.text
    return response, token


class TestKioskTicket:
    async def test_identified_customer_chooses_a_service_and_gets_a_ticket(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await build_floor(session, bank)
        await queue.issue_ticket(session, outlet_code="BJ001", service_code="cash")
        result, token = await _identified(client, bank)
        page = audit(result)
        services = [b.get("value") for b in page.find("button", name="service")]
        assert services == ["cash", "non_cash", "wealth", "credit_card"]
        assert "disabled" not in str(page.find("button", name="service"))
        reference = hidden_value(result, "reference")
        key = hidden_value(result, "idempotency_key")
        form = {"service": "cash", "reference": reference, "idempotency_key": key}
        headers = {**HTMX, "X-CSRF-Token": token}
        response = await client.post(f"{KIOSK}/tickets", data=form, headers=headers)
        assert response.status_code == 200, response.text
        printed = audit(response)
        assert printed.violations == []
        ticket = await session.scalar(select(Ticket).order_by(Ticket.id.desc()).limit(1))
        assert ticket is not None
        assert ticket.tier == "gold"  # the customer's tier, whatever card was used
        assert ticket.customer_id == bank.customers["C0000000001"].id
        assert printed.find("p", **{"data-ticket": ticket.number})
        assert ticket.number.startswith("A")
        assert "前面等候人数" in response.text
        assert "取号时间" in response.text
        assert printed.find("dd", **{"data-fact": "people-ahead"})
        assert ticket.people_ahead_at_issue == 1
        # No name on the printed ticket.
        assert "王" not in response.text

        # A double tap (same key): the same ticket, not a second one.
        before = await _tickets(session)
        again = await client.post(f"{KIOSK}/tickets", data=form, headers=headers)
        assert again.status_code == 200
        assert ticket.number in again.text
        assert await _tickets(session) == before

    async def test_standard_ticket_without_a_card(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await build_floor(session, bank)
        client.cookies.set("sb_device", bank.tokens["kiosk_bj001"])
        page = await client.get(KIOSK)
        checked = audit(page)
        assert checked.violations == []
        [form] = checked.find("form", **{"class": "kiosk-anonymous"})
        assert form["hx-post"] == f"{KIOSK}/tickets"
        key = hidden_value(page, "idempotency_key")
        response = await client.post(
            f"{KIOSK}/tickets",
            data={"service": "non_cash", "idempotency_key": key},
            headers={**HTMX, "X-CSRF-Token": csrf_from_body(page)},
        )
        assert response.status_code == 200, response.text
        ticket = await session.scalar(select(Ticket).order_by(Ticket.id.desc()).limit(1))
        assert ticket is not None
        assert (ticket.tier, ticket.customer_id) == ("standard", None)
        assert ticket.number in response.text
        # The next customer gets a fresh key (swapped into the page out of band).
        [fresh] = audit(response).find("input", id="kiosk-anonymous-key")
        assert fresh["hx-swap-oob"] == "true"
        assert fresh["value"] != key

    async def test_unknown_service_is_shown_in_the_result_area(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await build_floor(session, bank)
        client.cookies.set("sb_device", bank.tokens["kiosk_bj001"])
        page = await client.get(KIOSK)
        response = await client.post(
            f"{KIOSK}/tickets",
            data={"service": "gold_bars"},
            headers={**HTMX, "X-CSRF-Token": csrf_from_body(page)},
        )
        assert response.status_code == 404
        assert 'data-code="queue_service_not_found"' in response.text

    async def test_without_queuing_set_up_no_ticket_button(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        result, _token = await _identified(client, bank)
        page = audit(result)
        [button] = page.find("button", type="submit")
        assert "disabled" in button
        assert "请向工作人员领取号票" in result.text
