"""The queue kiosk in a real browser: activation, a card swipe answered in place by HTMX,
the public-screen rules and the language switch, under the real Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Error, Page, Request, expect

from tests.browser.conftest import (
    LANDSCAPE,
    PORTRAIT,
    Console,
    LiveServer,
    activate,
    screenshot,
)
from tests.fixtures.bank import card_number

pytestmark = pytest.mark.browser

KIOSK = "/kiosk/BJ001"
GOLD_CARD = card_number(1)  # 王小明, gold
UNKNOWN_CARD = card_number(424242)  # Luhn-valid, issued to nobody
BAD_CHECK_DIGIT = GOLD_CARD[:-1] + str((int(GOLD_CARD[-1]) + 1) % 10)
HAN = re.compile(r"[\u4e00-\u9fff]")


async def _swipe(page: Page, number: str, kind: str = "debit_card") -> Request:
    """Choose the kind of card, type the number as a reader would and press Confirm;
    returns the identify request once its answer is on screen."""
    await page.locator(f"input[name='kind'][value='{kind}']").check()
    await page.locator("#credential-value").press_sequentially(number)
    async with page.expect_request(lambda r: r.url.endswith(f"{KIOSK}/identify")) as sent:
        await page.locator("#identify-form button[type='submit']").click()
    request = await sent.value
    response = await request.response()
    assert response is not None
    await response.finished()
    await expect(page.locator("#kiosk-result .kiosk-result__panel")).to_have_count(1)
    return request


async def _assert_number_gone(page: Page, number: str) -> None:
    """Neither the page's markup nor the input field still holds the number."""
    assert number not in await page.content()
    await expect(page.locator("#credential-value")).to_have_value("")


class TestKioskJourney:
    async def test_swipe_greet_refuse_and_switch_language(
        self, page: Page, console: Console, live_server: LiveServer
    ) -> None:
        await activate(page, live_server, "kiosk_bj001", KIOSK)
        cookies = {c["name"]: c for c in await page.context.cookies()}
        device_cookie = cookies["sb_device"]
        assert device_cookie["secure"] is True
        assert device_cookie["httpOnly"] is True
        assert device_cookie["sameSite"] == "Strict"
        await expect(page.locator("h1.kiosk__prompt")).to_have_text("请刷卡或扫描身份证")
        await expect(page.locator("#credential-value")).to_be_focused()
        await screenshot(page, "kiosk-welcome")
        await page.set_viewport_size(PORTRAIT)
        await screenshot(page, "kiosk-welcome-portrait")
        await page.set_viewport_size(LANDSCAPE)

        # A gold customer: greeted by surname and honorific, answered without a reload.
        reloads: list[str] = []
        page.on("framenavigated", lambda frame: reloads.append(frame.url))
        request = await _swipe(page, GOLD_CARD)
        assert request.resource_type in {"xhr", "fetch"}
        assert request.headers.get("hx-request") == "true"
        assert request.headers.get("x-csrf-token")
        assert GOLD_CARD not in request.url  # the number travels in the body only
        await expect(page.locator(".kiosk-result__greeting")).to_have_text("王先生，您好！")
        await expect(page.locator(".kiosk-result__tier--gold")).to_contain_text("金卡")
        assert reloads == []
        await _assert_number_gone(page, GOLD_CARD)
        # A public screen: no full name, no customer number.
        assert "王小明" not in await page.content()
        await screenshot(page, "kiosk-gold")
        await page.set_viewport_size(PORTRAIT)
        await screenshot(page, "kiosk-gold-portrait")
        await page.set_viewport_size(LANDSCAPE)

        # A valid card the bank does not know: a standard ticket.
        await _swipe(page, UNKNOWN_CARD)
        info = page.locator(".kiosk-result__panel--info[data-code='customer_not_found']")
        await expect(info).to_contain_text("请领取普通号")
        await _assert_number_gone(page, UNKNOWN_CARD)
        await screenshot(page, "kiosk-unknown-card")

        # A mistyped card: told what is wrong, in Chinese.
        await _swipe(page, BAD_CHECK_DIGIT)
        error = page.locator(".kiosk-result__panel--error")
        await expect(error).to_contain_text("卡号校验位不正确")
        assert HAN.search(await error.inner_text())
        await _assert_number_gone(page, BAD_CHECK_DIGIT)
        await screenshot(page, "kiosk-invalid-card")
        assert reloads == []

        # In English (the switch is an ordinary link: a full page load).
        await page.locator(".lang-switch a[hreflang='en']").click()
        await page.wait_for_url(f"{live_server.url}{KIOSK}?lang=en")
        await expect(page.locator("h1.kiosk__prompt")).to_have_text(
            "Please swipe your card or scan your ID"
        )
        await _swipe(page, GOLD_CARD)
        await expect(page.locator(".kiosk-result__greeting")).to_have_text("Hello, Mr Wang!")
        await expect(page.locator(".kiosk-result__tier--gold")).to_contain_text("Gold")
        await _assert_number_gone(page, GOLD_CARD)
        await screenshot(page, "kiosk-gold-en")

        # And back to the bank's language.
        await page.locator(".lang-switch a[hreflang='zh-CN']").click()
        await expect(page.locator("h1.kiosk__prompt")).to_have_text("请刷卡或扫描身份证")
        console.assert_clean()

    async def test_kiosk_without_activation_is_not_enrolled(
        self, page: Page, console: Console, live_server: LiveServer
    ) -> None:
        response = await page.goto(f"{live_server.url}{KIOSK}")
        assert response is not None
        assert response.status == 401
        await screenshot(page, "kiosk-not-enrolled")
        await page.locator("main a[href='/device/activate']").click()
        await page.wait_for_url(f"{live_server.url}/device/activate")
        await expect(page.locator("#activate-title")).to_have_text("激活此设备")
        await screenshot(page, "device-activate")
        console.assert_clean()


class TestConsoleWatch:
    async def test_an_inline_script_is_refused_and_reported(
        self, page: Page, console: Console, live_server: LiveServer
    ) -> None:
        """The watch itself works: an inline script is blocked and seen on the console."""
        await page.goto(f"{live_server.url}/device/activate")
        with pytest.raises(Error, match="Content Security Policy"):
            await page.add_script_tag(content="document.body.dataset.inline = 'ran';")
        await expect(page.locator("body")).not_to_have_attribute("data-inline", "ran")
        await console.wait_for(lambda: bool(console.csp_violations))
        violations = console.take_csp_violations()
        assert any("script-src" in v for v in violations), console.messages

    async def test_an_uncaught_script_error_is_reported(
        self, page: Page, console: Console, live_server: LiveServer
    ) -> None:
        """The watch also sees a script that throws (DevTools evaluation is not under CSP)."""
        await page.goto(f"{live_server.url}/device/activate")
        await page.evaluate("setTimeout(() => { throw new Error('thrown on purpose'); }, 0)")
        await console.wait_for(lambda: bool(console.page_errors))
        assert any("thrown on purpose" in e for e in console.page_errors), console.page_errors
        console.page_errors.clear()
