"""The workbench home: the lobby overview (who is here now) for the staff on the floor, with
its live-stream settings and toast sentences; hand-offs and follow-ups for everyone who
serves customers; the navigation."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

import smartbranch.web
from smartbranch.auth.models import AuditEntry
from smartbranch.service.collab import create_handoff
from smartbranch.service.events import latest_event_id
from smartbranch.service.schemas import HandoffIn
from tests.fixtures.bank import Bank
from tests.fixtures.briefs import sign_in as sign_in_service
from tests.fixtures.workbench import HTMX, WANG, build_branch, sign_in
from tests.web.html import audit

HOME = "/workbench"


async def _audits(session: AsyncSession, action: str) -> int:
    count = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )
    return int(count or 0)


class TestLobbyOverview:
    async def test_lobby_manager_sees_who_is_here(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await sign_in(client, bank, "bj001.lobby1")
        branch = await build_branch(session, bank)
        assert branch.visit is not None
        before = await _audits(session, "visit.list")

        response = await client.get(HOME)

        assert response.status_code == 200
        page = audit(response)  # no-store, CSP, nothing inline
        assert "在店客户" in response.text
        [row] = page.find("li", data_testid="visit-row")
        assert row["data-visit-id"] == str(branch.visit.id)
        assert row["data-customer-number"] == WANG
        assert page.find("a", data_testid="visit-open", href=f"/workbench/customers/{WANG}")
        assert "金卡" in response.text
        # Greeting kept for everyone landing here.
        assert "欢迎您，bj001.lobby1" in response.text
        assert await _audits(session, "visit.list") == before + 1  # the list is a read

    async def test_in_english(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await sign_in(client, bank, "bj001.lobby1")
        await build_branch(session, bank)
        response = await client.get(f"{HOME}?lang=en")
        assert response.status_code == 200
        audit(response)
        assert "In the lobby now" in response.text
        assert "Gold" in response.text
        assert "Lobby manager" in response.text

    async def test_nobody_here_yet(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await sign_in(client, bank, "bj001.lobby1")
        await build_branch(session, bank, arrived=False)
        page = audit(await client.get(HOME))
        assert page.find("p", data_testid="visits-empty")
        assert not page.find("li", data_testid="visit-row")

    async def test_live_settings_are_rendered_in_the_page_language(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await sign_in(client, bank, "bj001.lobby1")
        await build_branch(session, bank)
        last = await latest_event_id(session)
        page = audit(await client.get(HOME))
        [live] = page.find("div", id="workbench-live")
        # The stream starts after the newest event stored when the page was read.
        assert live["data-events-url"] == f"/api/v1/events/stream?after={last}"
        assert live["data-text-arrived"] == "{name}（{tier}）已到店"
        assert json.loads(str(live["data-tier-labels"]))["platinum"] == "白金卡"
        assert live["data-locale"] == "zh_CN"
        assert any("/static/js/workbench.js" in src for src in page.scripts)
        [template] = page.find("template", id="toast-template")
        assert template is not None

        english = audit(await client.get(f"{HOME}?lang=en"))
        [live] = english.find("div", id="workbench-live")
        assert live["data-text-arrived"] == "{name} ({tier}) has arrived"
        assert json.loads(str(live["data-tier-labels"]))["platinum"] == "Platinum"

    async def test_the_visits_fragment_refreshes_alone(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await sign_in(client, bank, "bj001.lobby1")
        await build_branch(session, bank)
        response = await client.get(f"{HOME}/visits", headers=HTMX)
        assert response.status_code == 200
        assert "<html" not in response.text
        assert 'data-testid="visit-row"' in response.text

    async def test_navigation(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await sign_in(client, bank, "bj001.lobby1")
        page = audit(await client.get(HOME))
        [lobby] = page.find("a", data_testid="nav-lobby")
        assert lobby["aria-current"] == "page"
        for testid, href in [
            ("nav-handoffs", "/workbench/handoffs"),
            ("nav-products", "/workbench/products"),
            ("nav-knowledge", "/workbench/knowledge"),
        ]:
            [link] = page.find("a", data_testid=testid)
            assert link["href"] == href
            assert "aria-current" not in link
        assert page.find("button", data_testid="sign-out")
        for label in ("大堂", "我的转介", "产品中心", "知识库", "退出登录"):
            assert label in page.text


class TestOtherRoles:
    async def test_teller_sees_hand_offs_and_follow_ups_not_the_lobby(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await build_branch(session, bank)
        assert branch.visit is not None
        lobby = await sign_in_service(session, bank, "tablet_bj001", "bj001.lobby1")
        await sign_in(client, bank, "bj001.teller1", device="counter_bj001")
        await create_handoff(
            session, lobby, branch.visit.id, HandoffIn(to_role="teller", note="办卡")
        )

        response = await client.get(HOME)

        assert response.status_code == 200
        page = audit(response)
        assert not page.find("section", data_testid="lobby")
        [row] = page.find("li", data_testid="handoff-row")
        assert row["data-status"] == "open"
        assert "办卡" in response.text
        assert page.find("div", data_testid="follow-ups")
        # A teller reads customers at the counter, not on the tablet: no link to the page.
        assert not page.find("a", data_testid="handoff-customer")

    async def test_teller_may_not_read_the_visits(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await sign_in(client, bank, "bj001.teller1", device="counter_bj001")
        response = await client.get(f"{HOME}/visits", headers=HTMX)
        assert response.status_code == 403

    async def test_marketing_admin_gets_the_greeting_only(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await build_branch(session, bank)
        await sign_in(client, bank, "bj.marketing")
        response = await client.get(HOME)
        assert response.status_code == 200
        page = audit(response)
        assert "欢迎您，bj.marketing" in response.text
        assert not page.find("section", data_testid="lobby")
        assert not page.find("div", data_testid="handoffs")
        assert WANG not in response.text
        assert (await client.get("/workbench/follow-ups", headers=HTMX)).status_code == 403

    async def test_signed_out_goes_to_sign_in(self, client: httpx.AsyncClient, bank: Bank) -> None:
        client.cookies.set("sb_device", bank.tokens["tablet_bj001"])
        response = await client.get(f"{HOME}/visits")
        assert response.status_code == 303
        assert response.headers["location"] == "/login"


class TestWorkbenchScript:
    """What the page script may do with customer data (the browser flow is Playwright's)."""

    SCRIPT = Path(smartbranch.web.__file__).parent / "static" / "js" / "workbench.js"

    def test_no_browser_storage(self) -> None:
        source = self.SCRIPT.read_text(encoding="utf-8")
        code = re.sub(r"/\*.*?\*/|//[^\n]*", "", source, flags=re.DOTALL)  # comments aside
        for api in ("localStorage", "sessionStorage", "indexedDB", "caches.", "document.cookie"):
            assert api not in code, api

    def test_clears_the_page_on_leaving_and_on_sign_out(self) -> None:
        source = self.SCRIPT.read_text(encoding="utf-8")
        assert 'addEventListener("pagehide", clearCustomerData)' in source
        assert "form[data-sign-out]" in source

    async def test_the_sign_out_form_is_marked_for_the_script(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await sign_in(client, bank, "bj001.lobby1")
        page = audit(await client.get(HOME))
        [form] = page.find("form", action="/logout")
        assert "data-sign-out" in form
