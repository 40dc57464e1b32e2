"""The customer-centred service end to end, in real browsers on one live server.

Four devices, each a browser context of its own (its own cookies, as four tablets and
screens are): the kiosk, the lobby manager's tablet, the wealth manager's tablet and the
teller's counter. A customer swipes at the kiosk and takes a ticket → the lobby manager's
tablet shows the arrival live, without a reload → she opens the customer, records that he
declined an offer, captures his need and hands him off to the wealth manager → the wealth
manager's tablet shows the hand-off live and she accepts it → the teller calls the ticket and
sees the need and the offer's outcome in the visit timeline of the counter brief, and the
lobby manager's open customer page follows the call live. Each page is photographed at tablet
size (1024×768, and the customer page at 1366×1024 too).

On PostgreSQL the suite runs with ``SMARTBRANCH_TEST_REDIS_URL`` set (``make
test-postgres``), so the live server announces events through Redis pub/sub.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, expect
from sqlalchemy import select, update

from smartbranch.auth.service import enroll_device
from smartbranch.customers.models import Customer
from smartbranch.db import create_engine, create_sessionmaker, unit_of_work, utcnow
from smartbranch.marketing.service import bank_date
from smartbranch.orgs.models import OrgUnit, Staff
from smartbranch.queueing import service as queue
from smartbranch.queueing.models import Ticket
from smartbranch.service.models import Visit, VisitStatus
from smartbranch.settings import Settings
from tests.browser.conftest import LANDSCAPE, Console, LiveDatabase, LiveServer, screenshot
from tests.fixtures.bank import PASSWORD, Bank, card_number
from tests.fixtures.briefs import add_lead, add_rule, build_world, sell_on_the_spot

pytestmark = pytest.mark.browser

TABLET: ViewportSize = {"width": 1024, "height": 768}
TABLET_LARGE: ViewportSize = {"width": 1366, "height": 1024}
WANG = "C0000000001"  # 王小明, gold, BJ001
WANG_CARD = card_number(1)
WEALTH_MANAGER = "bj001.wealth1"


async def _prepare(database: LiveDatabase) -> dict[str, str]:
    """Committed in the live database: BJ001's queue, a wealth manager and a tablet for her,
    a published run with two leads for 王小明 (a time deposit first, a credit card sold on
    the spot second). Returns the new tablet's device token."""
    connect: dict[str, Any] = {}
    if database.schema:
        connect = {"connect_args": {"server_settings": {"search_path": database.schema}}}
    engine = create_engine(Settings(database_url=database.url), **connect)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            await queue.setup_outlet(
                session,
                outlet_code="BJ001",
                counters=[
                    queue.CounterSpec(code="1", services=("cash", "non_cash")),
                    queue.CounterSpec(code="2", services=("cash", "non_cash")),
                ],
            )
            # Earlier tests' customers have gone home: nobody else is waiting at BJ001.
            await session.execute(
                update(Ticket)
                .where(Ticket.status.in_(("waiting", "called", "serving")))
                .values(status="cancelled")
            )
            bank = Bank()
            for staff in await session.scalars(select(Staff)):
                bank.staff[staff.username] = staff
            for org in await session.scalars(select(OrgUnit)):
                bank.orgs[org.code] = org
            wang = await session.scalar(select(Customer).where(Customer.number == WANG))
            assert wang is not None
            # He may have swiped earlier today (the kiosk test): he left since, so this
            # swipe is an arrival the staff are told about.
            await session.execute(
                update(Visit)
                .where(Visit.customer_id == wang.id, Visit.status == VisitStatus.OPEN)
                .values(status=VisitStatus.CLOSED, closed_at=utcnow())
            )
            world = await build_world(session, bank, as_of=bank_date(utcnow()) - timedelta(days=1))
            # The test bank's staff have the fixture's password; the new ones get it too.
            password_hash = bank.staff["bj001.lobby1"].password_hash
            for username in ("bj001.wealth1", "bj001.lobby2", "bj001.manager"):
                bank.staff[username].password_hash = password_hash
            deposit = await add_rule(session, world, "FLOW_TD", "TD-1Y")
            card = await add_rule(session, world, "FLOW_CARD", "CC-GOLD")
            await sell_on_the_spot(session, "CC-GOLD")
            await add_lead(session, world, deposit, wang, rank=1)
            await add_lead(session, world, card, wang, rank=2)
            _device, token = await enroll_device(
                session, kind="tablet", org_code="BJ001", name="wealth tablet"
            )
    finally:
        await engine.dispose()
    return {"tablet2_bj001": token}


async def _device(
    browser: Browser,
    console: Console,
    server: LiveServer,
    token: str,
    home: str,
    viewport: ViewportSize = TABLET,
) -> tuple[BrowserContext, Page]:
    """A new browser context (one device), activated with ``token``, at ``home``."""
    context = await browser.new_context(viewport=viewport, locale="zh-CN")
    page = await context.new_page()
    page.on("console", console.record)
    page.on("pageerror", console.record_error)
    await page.goto(f"{server.url}/device/activate#{token}")
    await expect(page.locator("#device-token")).to_have_value(token)
    await page.locator("form[action='/device/activate'] button[type='submit']").click()
    await page.wait_for_url(f"{server.url}{home}")
    return context, page


async def _sign_in(page: Page, server: LiveServer, username: str) -> None:
    await page.locator("#username").fill(username)
    await page.locator("#password").fill(PASSWORD)
    await page.locator("form[action='/login'] button[type='submit']").click()
    await page.wait_for_url(f"{server.url}/workbench")


async def _nothing_kept_in_the_browser(page: Page) -> None:
    """No customer data in the browser's storage (DESIGN: the tablet keeps nothing)."""
    stored = await page.evaluate(
        "() => [Object.keys(localStorage), Object.keys(sessionStorage), "
        "typeof indexedDB.databases === 'function']"
    )
    assert stored[:2] == [[], []], page.url
    if stored[2]:
        assert await page.evaluate("async () => (await indexedDB.databases()).length") == 0


class TestArrivalToCounter:
    async def test_kiosk_to_lobby_to_wealth_manager_to_teller(
        self,
        browser: Browser,
        console: Console,
        live_server: LiveServer,
        live_database: LiveDatabase,
    ) -> None:
        extra = await _prepare(live_database)
        tokens = {**live_server.tokens, **extra}
        contexts: list[BrowserContext] = []
        try:
            # The lobby manager signs in on her tablet: the lobby overview.
            lobby_ctx, lobby = await _device(
                browser, console, live_server, tokens["tablet_bj001"], "/login"
            )
            contexts.append(lobby_ctx)
            await _sign_in(lobby, live_server, "bj001.lobby1")
            await expect(lobby.locator("[data-testid='lobby']")).to_be_visible()
            await expect(lobby.locator("[data-testid='nav-lobby']")).to_have_attribute(
                "aria-current", "page"
            )
            # Any navigation of the lobby page from now on would be a reload.
            reloads: list[str] = []
            lobby.on("framenavigated", lambda frame: reloads.append(frame.url))

            # The wealth manager signs in on hers and opens her hand-offs.
            wealth_ctx, wealth = await _device(
                browser, console, live_server, tokens["tablet2_bj001"], "/login"
            )
            contexts.append(wealth_ctx)
            await _sign_in(wealth, live_server, WEALTH_MANAGER)
            await wealth.goto(f"{live_server.url}/workbench/handoffs")
            await expect(wealth.locator("[data-testid='handoffs']")).to_be_visible()
            wealth_reloads: list[str] = []
            wealth.on("framenavigated", lambda frame: wealth_reloads.append(frame.url))

            # 王小明 swipes his card at the kiosk and takes a ticket for the cash counter.
            kiosk_ctx, kiosk = await _device(
                browser, console, live_server, tokens["kiosk_bj001"], "/kiosk/BJ001", LANDSCAPE
            )
            contexts.append(kiosk_ctx)
            await kiosk.locator("input[name='kind'][value='debit_card']").check()
            await kiosk.locator("#credential-value").press_sequentially(WANG_CARD)
            await kiosk.locator("#identify-form button[type='submit']").click()
            await expect(kiosk.locator(".kiosk-result__greeting")).to_have_text("王先生，您好！")
            take = kiosk.locator("#kiosk-result button.kiosk-service[value='cash']")
            await expect(take).to_be_enabled()
            await take.click()
            await expect(kiosk.locator(".kiosk-printed__number")).to_have_count(1, timeout=10_000)
            await screenshot(kiosk, "kiosk-ticket-identified")

            # The lobby manager's tablet: a toast and the visit in the list, live.
            toast = lobby.locator("[data-testid='toast'][data-kind='customer.arrived']")
            await expect(toast).to_be_visible(timeout=10_000)
            await expect(toast.locator("[data-testid='toast-text']")).to_contain_text("王先生")
            row = lobby.locator(f"[data-testid='visit-row'][data-customer-number='{WANG}']")
            await expect(row).to_be_visible()
            await expect(row.locator("[data-testid='visit-tier']")).to_contain_text("金卡")
            assert reloads == []
            await screenshot(lobby, "workbench-lobby-arrival")

            # She opens the customer: brief, leads with scripts, the visit.
            await toast.locator("[data-testid='toast-open']").click()
            await lobby.wait_for_url(f"{live_server.url}/workbench/customers/{WANG}")
            reloads.clear()  # from here on the customer page updates in place
            await expect(lobby.locator("[data-testid='customer-tier']")).to_contain_text("金卡")
            cards = lobby.locator("[data-testid='lead-card']")
            await expect(cards).to_have_count(2)
            await expect(cards.first.locator("[data-testid='lead-script']")).to_contain_text(
                "FLOW_TD 话术"
            )
            await screenshot(lobby, "workbench-customer")
            await lobby.set_viewport_size(TABLET_LARGE)
            await screenshot(lobby, "workbench-customer-large")
            await lobby.set_viewport_size(TABLET)

            # One tap: the time deposit is declined (no money free now).
            first = cards.first
            lead_id = await first.get_attribute("data-lead-id")
            await first.locator("[data-testid='outcome-declined']").click()
            await first.locator("[data-testid='decline-reason'][data-reason='no_funds']").click()
            offered = lobby.locator(f"[data-testid='lead-offered'][data-lead-id='{lead_id}']")
            await expect(offered).to_be_visible()
            await expect(offered.locator("[data-testid='lead-offered-by']")).to_contain_text("拒绝")
            await expect(lobby.locator("[data-testid='lead-card']")).to_have_count(1)

            # She captures his need once, so nobody asks again.
            need = lobby.locator("[data-testid='need-form']")
            await need.locator("[data-testid='need-category']").select_option("wealth")
            await need.locator("[data-testid='need-amount']").fill("200000")
            await need.locator("[data-testid='need-note']").fill("到期资金想做稳健理财")
            await need.locator("[data-testid='need-submit']").click()
            await expect(lobby.locator("[data-testid='need-saved']")).to_be_visible()
            await expect(lobby.locator("[data-testid='need-row']")).to_have_count(1)

            # And hands him off to the wealth managers on duty, with that need.
            handoff = lobby.locator("[data-testid='handoff-form']")
            await handoff.locator("[data-testid='handoff-to']").select_option("role:wealth_manager")
            await handoff.locator("[data-testid='handoff-need']").select_option(index=1)
            await handoff.locator("[data-testid='handoff-submit']").click()
            await expect(lobby.locator("[data-testid='handoff-saved']")).to_be_visible()
            await expect(lobby.locator("[data-testid='visit-handoff']")).to_have_count(1)
            await screenshot(lobby, "workbench-customer-need-handoff")

            # The wealth manager's tablet shows the hand-off live; she accepts it.
            handoff_row = wealth.locator("[data-testid='handoff-row'][data-status='open']")
            await expect(handoff_row).to_have_count(1, timeout=10_000)
            await expect(handoff_row.locator("[data-testid='handoff-need']")).to_contain_text(
                "稳健理财"
            )
            assert wealth_reloads == []
            await screenshot(wealth, "workbench-handoffs")
            await handoff_row.locator("[data-testid='handoff-accept']").click()
            await expect(
                wealth.locator("[data-testid='handoff-row'][data-status='accepted']")
            ).to_have_count(1)

            # The teller signs in at the counter and calls the next customer: 王小明.
            counter_ctx, counter = await _device(
                browser, console, live_server, tokens["counter_bj001"], "/login"
            )
            contexts.append(counter_ctx)
            await _sign_in(counter, live_server, "bj001.teller1")
            await counter.goto(f"{live_server.url}/counter/BJ001/2")
            await counter.get_by_role("button", name="签到本窗口", exact=True).click()
            await counter.get_by_role("button", name="叫号", exact=True).click()
            brief = counter.locator("[data-testid='counter-brief']")
            await expect(brief).to_be_visible()
            timeline = brief.locator("[data-testid='timeline-entry']")
            await expect(timeline.filter(has_text="稳健理财")).to_have_count(1)
            await expect(timeline.filter(has_text="拒绝")).not_to_have_count(0)
            # The counter channel: no assets, and the credit card offer is the teller's.
            await expect(brief.locator("[data-testid='customer-assets']")).to_have_count(0)
            await expect(brief.locator("[data-testid='lead-card']")).to_have_count(1)
            await brief.scroll_into_view_if_needed()
            await screenshot(counter, "counter-brief")

            # The lobby manager's open customer page follows the call, without a reload.
            called = lobby.locator("[data-testid='timeline-entry'][data-kind='ticket_called']")
            await expect(called).to_have_count(1, timeout=10_000)
            assert reloads == []

            for page in (lobby, wealth, counter):
                await _nothing_kept_in_the_browser(page)
            console.assert_clean()
        finally:
            for context in contexts:
                await context.close()
