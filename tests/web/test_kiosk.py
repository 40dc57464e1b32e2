"""The kiosk page and its identify fragment, through the real ASGI app."""

from __future__ import annotations

import logging

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.models import AuditEntry, Identification
from smartbranch.auth.tokens import csrf_token, token_hash
from tests.fixtures.bank import Bank, card_number, id_number
from tests.web.html import (
    assert_strict_cookie,
    audit,
    csrf_from_body,
    hidden_value,
    set_cookies,
)

KIOSK = "/kiosk/BJ001"
IDENTIFY = "/kiosk/BJ001/identify"
HTMX = {"HX-Request": "true"}


async def _count(session: AsyncSession, model: type[AuditEntry] | type[Identification]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def _as_kiosk(client: httpx.AsyncClient, bank: Bank, name: str = "kiosk_bj001") -> None:
    client.cookies.set("sb_device", bank.tokens[name])


async def _csrf(client: httpx.AsyncClient, url: str = KIOSK) -> str:
    page = await client.get(url)
    assert page.status_code == 200, page.text
    return csrf_from_body(page)


async def _identify(
    client: httpx.AsyncClient, value: str, kind: str = "debit_card"
) -> httpx.Response:
    """Post the way HTMX does: form body, CSRF in the header."""
    token = await _csrf(client)
    return await client.post(
        IDENTIFY,
        data={"kind": kind, "value": value},
        headers={**HTMX, "X-CSRF-Token": token},
    )


class TestKioskPage:
    async def test_welcome_screen_in_chinese(self, client: httpx.AsyncClient, bank: Bank) -> None:
        _as_kiosk(client, bank)
        response = await client.get(KIOSK)
        assert response.status_code == 200
        page = audit(response)
        assert '<html lang="zh-CN">' in response.text
        assert "北京BJ001" in response.text  # the outlet's name is the title
        assert "<title>北京BJ001" in response.text
        assert "请刷卡或扫描身份证" in response.text
        kinds = {i["value"]: i for i in page.inputs if i.get("name") == "kind"}
        assert list(kinds) == ["debit_card", "passbook", "id_card"]
        assert "checked" in kinds["debit_card"]
        for label in ("银行卡", "存折", "身份证"):
            assert label in page.text
        [field] = [i for i in page.inputs if i.get("name") == "value"]
        assert "autofocus" in field
        assert field["autocomplete"] == "off"
        assert field["inputmode"] == "numeric"
        [form] = page.find("form", id="identify-form")
        assert form["hx-post"] == IDENTIFY
        assert form["method"] == "post"
        # Scripts are our own files; HTMX is vendored, with eval and inline scripts off.
        assert all(src.startswith("/static/") for src in page.scripts)
        assert any("/static/vendor/htmx-2." in src for src in page.scripts)
        assert any("/static/js/kiosk.js" in src for src in page.scripts)
        [config] = page.find("meta", name="htmx-config")
        assert '"allowEval": false' in str(config["content"])
        assert '"allowScriptTags": false' in str(config["content"])
        assert csrf_from_body(response) == hidden_value(response, "csrf_token")

    async def test_welcome_screen_in_english(self, client: httpx.AsyncClient, bank: Bank) -> None:
        _as_kiosk(client, bank)
        client.cookies.set("sb_lang", "en")
        response = await client.get(KIOSK)
        audit(response)
        assert '<html lang="en">' in response.text
        assert "Please swipe your card or scan your ID" in response.text
        assert "Bank card" in response.text
        assert "请刷卡" not in response.text

    async def test_browser_locale_does_not_choose_the_language(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        # The kiosk machine's locale says nothing about the customer: the bank's language.
        _as_kiosk(client, bank)
        response = await client.get(KIOSK, headers={"Accept-Language": "en-US,en;q=0.9"})
        assert "请刷卡或扫描身份证" in response.text

    async def test_language_switch_sets_the_language_cookie(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        _as_kiosk(client, bank)
        response = await client.get(f"{KIOSK}?lang=en")
        audit(response)
        assert "Please swipe your card or scan your ID" in response.text
        cookie = set_cookies(response)["sb_lang"]
        assert cookie["value"] == "en"
        assert cookie["httponly"] == "true"
        assert cookie["secure"] == "true"
        assert cookie["samesite"].lower() == "lax"
        # Back to Chinese for the next customer: the page links the way home.
        assert f'href="{KIOSK}?lang=zh_CN"' in response.text

    async def test_page_renews_the_device_cookie(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        _as_kiosk(client, bank)
        cookie = set_cookies(await client.get(KIOSK))["sb_device"]
        assert cookie["value"] == bank.tokens["kiosk_bj001"]
        assert_strict_cookie(cookie)
        assert int(cookie["max-age"]) >= 365 * 24 * 3600

    async def test_static_assets_are_served_and_cacheable(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        _as_kiosk(client, bank)
        page = audit(await client.get(KIOSK))
        for src in page.scripts:
            asset = await client.get(src)
            assert asset.status_code == 200, src
            assert "javascript" in asset.headers["content-type"]
            assert "immutable" in asset.headers["cache-control"]
        css = await client.get("/static/css/app.css")
        assert css.status_code == 200
        assert "PingFang SC" in css.text

    async def test_without_device_cookie_shows_not_enrolled_page(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        response = await client.get(KIOSK)
        assert response.status_code == 401
        page = audit(response)
        assert page.find("a", href="/device/activate")
        assert "此设备尚未注册" in response.text

    async def test_kiosk_of_another_outlet_is_refused(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        _as_kiosk(client, bank, "kiosk_sh001")
        response = await client.get(KIOSK)
        assert response.status_code == 403
        audit(response)
        assert "BJ001" in response.text  # "This device is not enrolled at outlet BJ001."
        assert "请刷卡或扫描身份证" not in response.text

    async def test_staff_device_is_not_a_kiosk(self, client: httpx.AsyncClient, bank: Bank) -> None:
        _as_kiosk(client, bank, "tablet_bj001")
        response = await client.get(KIOSK)
        assert response.status_code == 403
        audit(response)

    async def test_unknown_outlet_is_404(self, client: httpx.AsyncClient, bank: Bank) -> None:
        _as_kiosk(client, bank)
        response = await client.get("/kiosk/NOPE")
        assert response.status_code == 404
        audit(response)


class TestKioskIdentify:
    async def test_greeting_and_tier_only(
        self,
        client: httpx.AsyncClient,
        bank: Bank,
        session: AsyncSession,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        _as_kiosk(client, bank)
        number = card_number(1)
        response = await _identify(client, number)
        assert response.status_code == 200, response.text
        page = audit(response)
        assert "王先生，您好！" in response.text
        assert "尊贵的金卡客户" in response.text
        # A public screen: no full name, customer number, entered number or assets.
        for secret in ("王小明", "C0000000001", number, number[-4:], "120000", "120,000"):
            assert secret not in response.text
        assert number not in caplog.text
        # The (not yet active) ticket button carries the opaque identification reference.
        reference = hidden_value(response, "reference")
        assert reference.startswith("idr_")
        [button] = page.find("button", type="submit")
        assert "disabled" in button
        ident = await session.scalar(
            select(Identification).where(Identification.reference_hash == token_hash(reference))
        )
        assert ident is not None
        assert ident.customer_id == bank.customers["C0000000001"].id

    async def test_every_identification_is_audited_as_the_kiosk(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession
    ) -> None:
        _as_kiosk(client, bank)
        before = await _count(session, AuditEntry)
        response = await _identify(client, id_number(1), kind="id_card")
        assert response.status_code == 200, response.text
        assert await _count(session, AuditEntry) == before + 1
        entry = await session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert entry is not None
        assert entry.role == "kiosk"
        assert entry.staff_id is None
        assert entry.customer_id == bank.customers["C0000000001"].id

    async def test_greeting_in_english(self, client: httpx.AsyncClient, bank: Bank) -> None:
        _as_kiosk(client, bank)
        client.cookies.set("sb_lang", "en")
        response = await _identify(client, card_number(1))
        assert response.status_code == 200
        assert "Hello, Mr Wang!" in response.text
        assert "Our valued Gold customer" in response.text

    async def test_standard_customer_is_welcomed_without_a_tier(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession, hasher: object
    ) -> None:
        from smartbranch.credentials import CredentialKind
        from tests.fixtures.bank import add_customer

        await add_customer(
            session, bank, hasher,  # type: ignore[arg-type]
            number="C0000000010", name="赵敏", gender="F", outlet="BJ001",
            credentials=[(CredentialKind.DEBIT_CARD, card_number(10), "active")],
        )  # fmt: skip
        _as_kiosk(client, bank)
        response = await _identify(client, card_number(10))
        assert response.status_code == 200
        assert "赵女士，您好！" in response.text
        assert "尊贵的" not in response.text

    async def test_unknown_card_suggests_a_standard_ticket(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession
    ) -> None:
        _as_kiosk(client, bank)
        before = await _count(session, Identification)
        response = await _identify(client, card_number(99))
        assert response.status_code == 404
        audit(response)
        assert 'data-code="customer_not_found"' in response.text
        assert "普通号" in response.text
        assert await _count(session, Identification) == before

    async def test_unknown_card_in_english(self, client: httpx.AsyncClient, bank: Bank) -> None:
        _as_kiosk(client, bank)
        client.cookies.set("sb_lang", "en")
        response = await _identify(client, card_number(99))
        assert response.status_code == 404
        assert "Please take a standard ticket." in response.text

    @pytest.mark.parametrize(
        ("lang", "expected"),
        [
            (None, "卡号校验位不正确，请核对后重试。"),
            ("en", "The card number&#39;s check digit is wrong. Please check it and try again."),
        ],
    )
    async def test_invalid_card_shows_the_validation_message(
        self,
        client: httpx.AsyncClient,
        bank: Bank,
        session: AsyncSession,
        lang: str | None,
        expected: str,
    ) -> None:
        _as_kiosk(client, bank)
        if lang:
            client.cookies.set("sb_lang", lang)
        before = await _count(session, AuditEntry)
        bad = "6228480000000000001"
        response = await _identify(client, bad)
        assert response.status_code == 400
        audit(response)
        assert 'data-code="card_number_checksum"' in response.text
        assert expected in response.text
        assert bad not in response.text
        assert await _count(session, AuditEntry) == before

    async def test_id_number_message(self, client: httpx.AsyncClient, bank: Bank) -> None:
        _as_kiosk(client, bank)
        response = await _identify(client, "11010519800230001X", kind="id_card")
        assert response.status_code == 400
        assert "身份证号码中的出生日期不正确。" in response.text

    async def test_lost_card_shows_credential_inactive(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        _as_kiosk(client, bank)
        response = await _identify(client, card_number(2, prefix="525998", length=16))
        assert response.status_code == 409
        audit(response)
        assert 'data-code="credential_inactive"' in response.text

    async def test_overlong_value_is_refused_without_echo(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        _as_kiosk(client, bank)
        value = "6" * 200
        response = await _identify(client, value)
        assert response.status_code == 400
        assert value[:20] not in response.text

    async def test_post_without_csrf_is_403_and_changes_nothing(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession
    ) -> None:
        _as_kiosk(client, bank)
        audits = await _count(session, AuditEntry)
        identifications = await _count(session, Identification)
        response = await client.post(
            IDENTIFY, data={"kind": "debit_card", "value": card_number(1)}, headers=HTMX
        )
        assert response.status_code == 403
        audit(response)
        assert 'data-code="csrf_failed"' in response.text  # shown in the kiosk's result area
        assert "王先生" not in response.text
        assert await _count(session, AuditEntry) == audits
        assert await _count(session, Identification) == identifications

    async def test_csrf_token_of_another_device_is_refused(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession
    ) -> None:
        _as_kiosk(client, bank)
        before = await _count(session, AuditEntry)
        other = csrf_token(b"test-secret-key", token_hash(bank.tokens["kiosk_sh001"]))
        response = await client.post(
            IDENTIFY,
            data={"kind": "debit_card", "value": card_number(1), "csrf_token": other},
            headers=HTMX,
        )
        assert response.status_code == 403
        assert await _count(session, AuditEntry) == before

    async def test_form_post_without_htmx_renders_the_whole_screen(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        _as_kiosk(client, bank)
        token = hidden_value(await client.get(KIOSK), "csrf_token")
        number = card_number(1)
        response = await client.post(
            IDENTIFY, data={"kind": "debit_card", "value": number, "csrf_token": token}
        )
        assert response.status_code == 200, response.text
        page = audit(response)
        assert "王先生，您好！" in response.text
        assert number not in response.text
        [field] = [i for i in page.inputs if i.get("name") == "value"]
        assert "value" not in field  # the field comes back empty
        # The language switch still points at a page that answers GET.
        assert f'href="{KIOSK}?lang=en"' in response.text

    async def test_kiosk_cannot_identify_for_another_outlet(
        self, client: httpx.AsyncClient, bank: Bank, session: AsyncSession
    ) -> None:
        _as_kiosk(client, bank, "kiosk_sh001")
        token = await _csrf(client, "/kiosk/SH001")
        before = await _count(session, AuditEntry)
        response = await client.post(
            IDENTIFY,
            data={"kind": "debit_card", "value": card_number(1)},
            headers={**HTMX, "X-CSRF-Token": token},
        )
        assert response.status_code == 403
        assert 'data-code="device_outlet_mismatch"' in response.text
        assert await _count(session, AuditEntry) == before

    async def test_without_device_the_result_area_says_so(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        response = await client.post(
            IDENTIFY, data={"kind": "debit_card", "value": card_number(1)}, headers=HTMX
        )
        assert response.status_code == 401
        assert 'data-code="device_not_enrolled"' in response.text
