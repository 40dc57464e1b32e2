"""Staff sign-in on an enrolled tablet in a real browser: activation, a wrong password, the
workbench greeting and sign-out, under the real Content-Security-Policy."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import Console, LiveServer, activate, screenshot
from tests.fixtures.bank import PASSWORD

pytestmark = pytest.mark.browser

USERNAME = "bj001.lobby1"


async def _sign_in(page: Page, username: str, password: str) -> None:
    await page.locator("#username").fill(username)
    await page.locator("#password").fill(password)
    await page.locator("form[action='/login'] button[type='submit']").click()


class TestStaffSignIn:
    async def test_activate_sign_in_and_out(
        self, page: Page, console: Console, live_server: LiveServer
    ) -> None:
        await activate(page, live_server, "tablet_bj001", "/login")
        await expect(page.locator("#login-title")).to_have_text("员工登录")
        await screenshot(page, "staff-login")

        # A wrong password: the form again, with the reason and without the password.
        await _sign_in(page, USERNAME, "not the password")
        await expect(page.locator(".notice--error")).to_have_text("用户名或密码错误。")
        await expect(page.locator("#username")).to_have_value(USERNAME)
        await expect(page.locator("#password")).to_have_value("")
        assert "not the password" not in await page.content()
        await screenshot(page, "staff-login-failed")

        await _sign_in(page, USERNAME, PASSWORD)
        await page.wait_for_url(f"{live_server.url}/workbench")
        await expect(page.locator("#workbench-title")).to_have_text(f"欢迎您，{USERNAME}")
        await expect(page.locator(".lead")).to_contain_text("大堂经理")
        cookies = {c["name"]: c for c in await page.context.cookies()}
        session_cookie = cookies["sb_session"]
        assert session_cookie["secure"] is True
        assert session_cookie["httpOnly"] is True
        assert session_cookie["sameSite"] == "Strict"
        await screenshot(page, "workbench")

        await page.locator("form[action='/logout'] button[type='submit']").click()
        await page.wait_for_url(f"{live_server.url}/login")
        await expect(page.locator("#login-title")).to_have_text("员工登录")
        assert "sb_session" not in {c["name"] for c in await page.context.cookies()}
        # The workbench sends whoever is not signed in to the sign-in form; the device
        # stays enrolled.
        await page.goto(f"{live_server.url}/workbench")
        await page.wait_for_url(f"{live_server.url}/login")
        await expect(page.locator("#workbench-title")).to_have_count(0)
        assert "sb_device" in {c["name"] for c in await page.context.cookies()}
        console.assert_clean()
