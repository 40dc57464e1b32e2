"""The teller's counter panel: sign in to a counter, call, recall, start, finish, transfer
and no-show through the pages, with the called customer's greeting and tier."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.models import AuditEntry
from smartbranch.queueing import service as queue
from smartbranch.queueing.models import Counter, Ticket
from tests.fixtures.bank import PASSWORD, Bank
from tests.fixtures.queue import build_floor
from tests.web.html import audit, csrf_from_body, hidden_value

PANEL = "/counter/BJ001/1"
HTMX = {"HX-Request": "true"}


async def _sign_in(client: httpx.AsyncClient, bank: Bank, username: str = "bj001.teller1") -> None:
    client.cookies.set("sb_device", bank.tokens["counter_bj001"])
    token = hidden_value(await client.get("/login"), "csrf_token")
    response = await client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.text


async def _post(client: httpx.AsyncClient, path: str, **data: str) -> httpx.Response:
    """Post the way HTMX does: the CSRF token of the panel in the header."""
    token = csrf_from_body(await client.get(PANEL))
    return await client.post(f"{PANEL}/{path}", data=data, headers={**HTMX, "X-CSRF-Token": token})


async def _ticket(session: AsyncSession, ticket_id: int) -> Ticket:
    ticket = await session.get(Ticket, ticket_id, populate_existing=True)
    assert ticket is not None
    return ticket


async def _audits(session: AsyncSession) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "queue.counter_customer")
        )
        or 0
    )


class TestCounterPanel:
    async def test_needs_a_signed_in_member_of_staff(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await build_floor(session, bank)
        client.cookies.set("sb_device", bank.tokens["counter_bj001"])
        response = await client.get(PANEL)
        assert response.status_code == 303
        assert response.headers["location"] == "/login"

    async def test_a_day_at_the_counter(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await build_floor(session, bank)
        customer = bank.customers["C0000000001"]  # 王小明, gold
        issued = await queue.issue_ticket(
            session, outlet_code="BJ001", service_code="cash", customer_id=customer.id
        )
        await _sign_in(client, bank)

        page = await client.get(PANEL)
        assert page.status_code == 200
        checked = audit(page)
        assert checked.violations == []
        assert "1 号窗口" in page.text
        assert "签到本窗口" in page.text
        assert "1 人等候" in page.text  # cash, which counter 1 serves

        signed = await _post(client, "sign-in")
        assert signed.status_code == 200
        assert "<html" not in signed.text  # the fragment
        counter = await session.scalar(select(Counter).where(Counter.code == "1"))
        assert counter is not None
        await session.refresh(counter)
        assert counter.state == "open"
        assert counter.staff_id == bank.staff["bj001.teller1"].id

        before = await _audits(session)
        called = await _post(client, "call-next")
        assert called.status_code == 200
        assert issued.ticket.number in called.text
        assert "王先生" in called.text  # greeting: surname and honorific only
        assert "小明" not in called.text
        assert "金卡" in called.text  # the tier
        assert await _audits(session) == before + 1  # the read of the customer is audited
        assert 'id="counter-brief"' in called.text  # the place kept for brief and leads

        tid = issued.ticket.id
        assert (await _post(client, f"tickets/{tid}/recall")).status_code == 200
        assert (await _ticket(session, tid)).recall_count == 1
        assert (await _post(client, f"tickets/{tid}/start")).status_code == 200
        assert (await _ticket(session, tid)).status == "serving"
        finished = await _post(client, f"tickets/{tid}/finish")
        assert finished.status_code == 200
        assert (await _ticket(session, tid)).status == "done"
        assert "暂无已叫号客户" in finished.text

        nobody = await _post(client, "call-next")
        assert "没有客户在等候本窗口" in nobody.text

    async def test_no_show_and_transfer(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await build_floor(session, bank)
        first = await queue.issue_ticket(session, outlet_code="BJ001", service_code="cash")
        second = await queue.issue_ticket(session, outlet_code="BJ001", service_code="cash")
        await _sign_in(client, bank)
        await _post(client, "sign-in")
        await _post(client, "call-next")
        response = await _post(client, f"tickets/{first.ticket.id}/no-show")
        assert response.status_code == 200
        assert (await _ticket(session, first.ticket.id)).status == "no_show"
        await _post(client, "call-next")
        moved = await _post(client, f"tickets/{second.ticket.id}/transfer", target="service:wealth")
        assert moved.status_code == 200
        ticket = await _ticket(session, second.ticket.id)
        assert ticket.status == "waiting"
        assert ticket.number == second.ticket.number  # keeps its number and place

    async def test_a_refused_action_is_shown_and_changes_nothing(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await build_floor(session, bank)
        await _sign_in(client, bank)
        response = await _post(client, "call-next")  # not signed in to the counter yet
        assert response.status_code == 409
        assert 'role="alert"' in response.text
        assert "1 号窗口" in response.text  # the panel is still there

    @pytest.mark.parametrize("verb", ["explode", "tickets/1/explode"])
    async def test_unknown_action(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank, verb: str
    ) -> None:
        await build_floor(session, bank)
        await _sign_in(client, bank)
        assert (await _post(client, verb)).status_code == 404

    async def test_only_staff_of_the_outlet(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await build_floor(session, bank)
        await _sign_in(client, bank)
        response = await client.get("/counter/SH001/1")
        assert response.status_code == 403

    async def test_post_without_csrf_is_refused(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await build_floor(session, bank)
        await _sign_in(client, bank)
        response = await client.post(f"{PANEL}/sign-in", headers=HTMX)
        assert response.status_code == 403
