"""Device activation, staff sign-in and sign-out, the workbench placeholder, error pages."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth import service
from smartbranch.auth.models import StaffSession
from smartbranch.auth.service import SessionExpiredError
from smartbranch.web.labels import role_label
from tests.fixtures.bank import PASSWORD, Bank
from tests.web.html import assert_strict_cookie, audit, hidden_value, set_cookies

SAME_ORIGIN = {"Origin": "https://testserver"}


async def _sessions(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(StaffSession)) or 0)


def _use_device(client: httpx.AsyncClient, bank: Bank, name: str = "tablet_bj001") -> None:
    client.cookies.set("sb_device", bank.tokens[name])


async def _sign_in(
    client: httpx.AsyncClient, username: str = "bj001.lobby1", password: str = PASSWORD
) -> httpx.Response:
    token = hidden_value(await client.get("/login"), "csrf_token")
    return await client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


class TestActivation:
    async def test_activation_page(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/device/activate")
        assert response.status_code == 200
        page = audit(response)
        assert any("/static/js/activate.js" in src for src in page.scripts)
        [field] = [i for i in page.inputs if i.get("name") == "token"]
        assert field["autocomplete"] == "off"
        # Same-origin posts must be able to name their origin (see csrf.require_same_origin).
        assert page.find("meta", name="referrer", content="same-origin")
        assert "激活此设备" in response.text

    @pytest.mark.parametrize(
        ("device", "home"),
        [
            ("kiosk_bj001", "/kiosk/BJ001"),
            ("tablet_bj001", "/login"),
            ("counter_bj001", "/login"),
            ("board_bj001", "/board/BJ001"),
        ],
    )
    async def test_valid_token_sets_the_device_cookie_and_goes_home(
        self, client: httpx.AsyncClient, bank: Bank, device: str, home: str
    ) -> None:
        token = bank.tokens[device]
        response = await client.post(
            "/device/activate", data={"token": f"  {token} "}, headers=SAME_ORIGIN
        )
        assert response.status_code == 303
        assert response.headers["location"] == home
        cookie = set_cookies(response)["sb_device"]
        assert cookie["value"] == token
        assert_strict_cookie(cookie)
        assert int(cookie["max-age"]) >= 365 * 24 * 3600
        assert cookie["path"] == "/"

    async def test_then_the_kiosk_opens(self, client: httpx.AsyncClient, bank: Bank) -> None:
        await client.post(
            "/device/activate", data={"token": bank.tokens["kiosk_bj001"]}, headers=SAME_ORIGIN
        )
        response = await client.get("/")
        assert response.status_code == 303
        assert response.headers["location"] == "/kiosk/BJ001"
        assert (await client.get("/kiosk/BJ001")).status_code == 200

    async def test_wrong_token_shows_the_form_again(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        response = await client.post(
            "/device/activate", data={"token": "sbd_not-a-real-token"}, headers=SAME_ORIGIN
        )
        assert response.status_code == 401
        audit(response)
        assert "激活码无效" in response.text
        assert "sbd_not-a-real-token" not in response.text
        assert "sb_device" not in set_cookies(response)

    @pytest.mark.parametrize(
        "headers",
        [
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
            {"Sec-Fetch-Site": "cross-site", "Origin": "https://testserver"},
            {"Sec-Fetch-Site": "same-site"},
            {"Referer": "https://evil.example/page"},
            {},
        ],
    )
    async def test_cross_site_activation_is_refused(
        self, client: httpx.AsyncClient, bank: Bank, headers: dict[str, str]
    ) -> None:
        response = await client.post(
            "/device/activate", data={"token": bank.tokens["kiosk_bj001"]}, headers=headers
        )
        assert response.status_code == 403
        audit(response)
        assert "sb_device" not in set_cookies(response)

    @pytest.mark.parametrize(
        "headers",
        [
            {"Sec-Fetch-Site": "same-origin"},
            {"Referer": "https://testserver/device/activate"},
        ],
    )
    async def test_same_origin_signals_are_accepted(
        self, client: httpx.AsyncClient, bank: Bank, headers: dict[str, str]
    ) -> None:
        response = await client.post(
            "/device/activate", data={"token": bank.tokens["kiosk_bj001"]}, headers=headers
        )
        assert response.status_code == 303

    async def test_enrolled_browser_sees_its_enrolment_and_can_forget_it(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        _use_device(client, bank, "kiosk_bj001")
        page = await client.get("/device/activate")
        audit(page)
        assert "排队机" in page.text and "北京BJ001" in page.text
        token = hidden_value(page, "csrf_token")
        refused = await client.post("/device/forget", data={})
        assert refused.status_code == 403
        response = await client.post("/device/forget", data={"csrf_token": token})
        assert response.status_code == 303
        assert response.headers["location"] == "/device/activate"
        cleared = set_cookies(response)["sb_device"]
        assert cleared["value"] == ""
        assert cleared["max-age"] == "0"
        assert cleared["path"] == "/"
        assert_strict_cookie(cleared)

    async def test_root_without_device_goes_to_activation(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/")
        assert response.status_code == 303
        assert response.headers["location"] == "/device/activate"


class TestSignIn:
    async def test_sign_in_page(self, client: httpx.AsyncClient, bank: Bank) -> None:
        _use_device(client, bank)
        response = await client.get("/login")
        assert response.status_code == 200
        page = audit(response)
        assert "员工登录" in response.text
        assert hidden_value(response, "csrf_token")
        [password] = [i for i in page.inputs if i.get("name") == "password"]
        assert password["type"] == "password"
        assert password["autocomplete"] == "current-password"

    async def test_without_device_shows_not_enrolled_page(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/login")
        assert response.status_code == 401
        page = audit(response)
        assert page.find("a", href="/device/activate")

    async def test_kiosk_cannot_sign_staff_in(self, client: httpx.AsyncClient, bank: Bank) -> None:
        _use_device(client, bank, "kiosk_bj001")
        response = await client.get("/login")
        assert response.status_code == 403
        audit(response)

    async def test_success_sets_the_session_cookie_and_greets(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession
    ) -> None:
        _use_device(client, bank)
        before = await _sessions(session)
        response = await _sign_in(client)
        assert response.status_code == 303
        assert response.headers["location"] == "/workbench"
        cookie = set_cookies(response)["sb_session"]
        assert cookie["value"].startswith("sbs_")
        assert_strict_cookie(cookie)
        assert cookie["max-age"] == str(480 * 60)
        assert await _sessions(session) == before + 1

        workbench = await client.get("/workbench")
        assert workbench.status_code == 200
        audit(workbench)
        assert "bj001.lobby1" in workbench.text
        assert "大堂经理" in workbench.text
        # Signed in already: the sign-in page moves on to the workbench.
        again = await client.get("/login")
        assert again.status_code == 303
        assert again.headers["location"] == "/workbench"

    async def test_workbench_in_english(self, client: httpx.AsyncClient, bank: Bank) -> None:
        _use_device(client, bank, "counter_bj001")
        await _sign_in(client, "bj001.teller1")
        response = await client.get("/workbench?lang=en")
        assert response.status_code == 200
        assert "Welcome, bj001.teller1" in response.text
        assert "Teller" in response.text

    async def test_names_are_escaped(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession
    ) -> None:
        bank.staff["bj001.lobby1"].display_name = '<script src="//evil.example/x.js"></script>'
        await session.flush()
        _use_device(client, bank)
        await _sign_in(client)
        response = await client.get("/workbench")
        assert response.status_code == 200
        audit(response)  # no script from the name
        assert "&lt;script" in response.text

    async def test_wrong_password_is_401_with_the_form_again(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession
    ) -> None:
        _use_device(client, bank)
        before = await _sessions(session)
        response = await _sign_in(client, password="not the password")
        assert response.status_code == 401
        page = audit(response)
        assert "用户名或密码错误" in response.text
        assert "not the password" not in response.text
        [username] = [i for i in page.inputs if i.get("name") == "username"]
        assert username["value"] == "bj001.lobby1"
        assert "sb_session" not in set_cookies(response)
        assert await _sessions(session) == before

    async def test_wrong_password_in_english(self, client: httpx.AsyncClient, bank: Bank) -> None:
        _use_device(client, bank)
        client.cookies.set("sb_lang", "en")
        response = await _sign_in(client, password="nope")
        assert response.status_code == 401
        assert "Wrong username or password." in response.text

    async def test_staff_of_another_branch_cannot_sign_in_here(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession
    ) -> None:
        _use_device(client, bank)
        before = await _sessions(session)
        response = await _sign_in(client, "sh001.teller1")
        assert response.status_code == 403
        audit(response)
        assert await _sessions(session) == before

    async def test_post_without_csrf_is_403_and_signs_nobody_in(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession
    ) -> None:
        _use_device(client, bank)
        before = await _sessions(session)
        response = await client.post(
            "/login", data={"username": "bj001.lobby1", "password": PASSWORD}
        )
        assert response.status_code == 403
        audit(response)
        assert "sb_session" not in set_cookies(response)
        assert await _sessions(session) == before

    async def test_workbench_without_session_goes_to_sign_in(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        _use_device(client, bank)
        response = await client.get("/workbench")
        assert response.status_code == 303
        assert response.headers["location"] == "/login"

    async def test_workbench_htmx_request_without_session_redirects_htmx(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        _use_device(client, bank)
        response = await client.get("/workbench", headers={"HX-Request": "true"})
        assert response.status_code == 401
        assert response.headers["hx-redirect"] == "/login"


class TestSignOut:
    async def test_logout_revokes_the_session(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession
    ) -> None:
        _use_device(client, bank)
        signed_in = await _sign_in(client)
        session_token = set_cookies(signed_in)["sb_session"]["value"]
        workbench = await client.get("/workbench")
        token = hidden_value(workbench, "csrf_token")
        # The session-bound token differs from the device-bound one of the sign-in form.
        assert token != hidden_value(await client.get("/device/activate"), "csrf_token")

        response = await client.post("/logout", data={"csrf_token": token})
        assert response.status_code == 303
        assert response.headers["location"] == "/login"
        assert set_cookies(response)["sb_session"]["max-age"] == "0"

        # The token no longer authenticates, by cookie or by the API.
        device = await service.authenticate_device(session, bank.tokens["tablet_bj001"])
        with pytest.raises(SessionExpiredError):
            await service.authenticate_session(session, device, session_token)
        client.cookies.set("sb_session", session_token)
        stale = await client.get("/workbench")
        assert stale.status_code == 303
        assert stale.headers["location"] == "/login"
        api = await client.post(
            "/api/v1/auth/logout",
            headers={
                "X-Device-Token": bank.tokens["tablet_bj001"],
                "Authorization": f"Bearer {session_token}",
            },
        )
        assert api.status_code == 401

    async def test_logout_without_csrf_is_403_and_keeps_the_session(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        _use_device(client, bank)
        await _sign_in(client)
        response = await client.post("/logout", data={})
        assert response.status_code == 403
        audit(response)
        assert (await client.get("/workbench")).status_code == 200

    async def test_device_bound_token_does_not_sign_out(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        _use_device(client, bank)
        device_token = hidden_value(await client.get("/login"), "csrf_token")
        await _sign_in(client)
        response = await client.post("/logout", data={"csrf_token": device_token})
        assert response.status_code == 403


class TestErrorPages:
    async def test_unknown_page_is_a_translated_404_page(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/no-such-page")
        assert response.status_code == 404
        audit(response)
        assert "页面不存在" in response.text
        english = await client.get("/no-such-page?lang=en")
        assert "This page does not exist." in english.text

    async def test_api_errors_stay_json(self, client: httpx.AsyncClient) -> None:
        missing = await client.get("/api/v1/no-such-endpoint")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/json")
        unauthenticated = await client.post(
            "/api/v1/identify",
            json={"outlet": "BJ001", "credential": {"kind": "debit_card", "value": "1"}},
        )
        assert unauthenticated.status_code == 401
        assert unauthenticated.json()["error"]["code"] == "device_not_enrolled"


class TestRoleLabels:
    @pytest.mark.parametrize(
        ("role", "chinese", "english"),
        [
            ("lobby_manager", "大堂经理", "Lobby manager"),
            ("wealth_manager", "理财经理", "Wealth manager"),
            ("account_manager", "客户经理", "Account manager"),
            ("teller", "柜员", "Teller"),
            ("outlet_manager", "网点主任", "Outlet manager"),
            ("marketing_admin", "营销管理人员", "Marketing admin"),
            ("admin", "系统管理员", "System administrator"),
            ("auditor", "审计员", "Auditor"),
        ],
    )
    def test_glossary_names(self, role: str, chinese: str, english: str) -> None:
        assert role_label(role, "zh_CN") == chinese
        assert role_label(role, "en") == english
