"""``/api/v1/products`` and ``/api/v1/knowledge``: signed-in staff only, the caller's
language, typed errors."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from tests.catalog.shelf import shelf_with_content
from tests.fixtures.bank import PASSWORD, Bank


@pytest.fixture
async def staff(client: httpx.AsyncClient, bank: Bank, session: AsyncSession) -> dict[str, str]:
    """Headers of the lobby manager signed in on the outlet's tablet, the shelf loaded."""
    await shelf_with_content(session)
    device = {"X-Device-Token": bank.tokens["tablet_bj001"]}
    response = await client.post(
        "/api/v1/auth/login",
        json={"username": "bj001.lobby1", "password": PASSWORD},
        headers=device,
    )
    assert response.status_code == 200, response.text
    return {**device, "Authorization": f"Bearer {response.json()['session_token']}"}


class TestAccess:
    @pytest.mark.parametrize(
        "path", ["/api/v1/products", "/api/v1/products/TD-1Y", "/api/v1/knowledge"]
    )
    async def test_a_device_without_a_signed_in_member_of_staff_is_refused(
        self, client: httpx.AsyncClient, bank: Bank, path: str
    ) -> None:
        response = await client.get(path, headers={"X-Device-Token": bank.tokens["tablet_bj001"]})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"

    async def test_no_device_at_all_is_refused(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/api/v1/knowledge/complaint-handling")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "device_not_enrolled"


class TestProducts:
    async def test_search_with_filters(
        self, client: httpx.AsyncClient, staff: dict[str, str]
    ) -> None:
        response = await client.get(
            "/api/v1/products", params={"q": "稳盈", "max_risk": 2}, headers=staff
        )
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        items = response.json()["items"]
        assert [p["code"] for p in items] == ["WM-R2-91", "WM-R2-182", "WM-R2-365"]
        assert items[0]["risk_label"] == "R2 稳健型"
        assert items[0]["sold_on_the_spot"] is False
        funds = await client.get("/api/v1/products", params={"category": "fund"}, headers=staff)
        assert {p["category"] for p in funds.json()["items"]} == {"fund"}

    async def test_in_english_when_asked(
        self, client: httpx.AsyncClient, staff: dict[str, str]
    ) -> None:
        response = await client.get(
            "/api/v1/products/WM-CASH", headers={**staff, "Accept-Language": "en-GB"}
        )
        body = response.json()
        assert body["name"] == "Daily Cash Management" and body["name_zh"] == "日日盈现金管理"
        assert body["risk_label"] == "R1 Cautious" and body["sold_on_the_spot"] is True
        assert body["summary"].endswith("Product risk level: R1 (Cautious).")
        assert len(body["selling_points"]) == 3

    async def test_an_unknown_product(
        self, client: httpx.AsyncClient, staff: dict[str, str]
    ) -> None:
        response = await client.get("/api/v1/products/NOPE", headers=staff)
        assert response.status_code == 404
        assert response.json()["error"] == {
            "code": "product_not_found",
            "message": "没有代码为 NOPE 的产品。",
        }

    @pytest.mark.parametrize(
        ("params", "status", "code"),
        [
            ({"category": "stocks"}, 400, "unknown_product_category"),
            ({"max_risk": "9"}, 400, "invalid_risk_level"),
            ({"max_risk": "high"}, 422, "validation_error"),
            ({"limit": "500"}, 422, "validation_error"),
            ({"q": "x" * 101}, 400, "search_query_too_long"),
        ],
    )
    async def test_bad_parameters(
        self,
        client: httpx.AsyncClient,
        staff: dict[str, str],
        params: dict[str, str],
        status: int,
        code: str,
    ) -> None:
        response = await client.get("/api/v1/products", params=params, headers=staff)
        assert response.status_code == status
        assert response.json()["error"]["code"] == code


class TestKnowledge:
    async def test_search_by_topic_and_kind(
        self, client: httpx.AsyncClient, staff: dict[str, str]
    ) -> None:
        response = await client.get(
            "/api/v1/knowledge", params={"q": "挂失", "topic": "card", "kind": "faq"}, headers=staff
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert [a["slug"] for a in items] == ["lost-card-reporting"]
        assert items[0]["kind_label"] == "常见问题" and items[0]["topic_label"] == "银行卡"

    async def test_one_article_in_english(
        self, client: httpx.AsyncClient, staff: dict[str, str]
    ) -> None:
        response = await client.get(
            "/api/v1/knowledge/elderly-anti-fraud", headers={**staff, "Accept-Language": "en"}
        )
        body = response.json()
        assert body["title"] == "Fraud warnings for older customers"
        assert "96110" in body["body"] and body["topic"] == "compliance"

    async def test_unknown_article_and_bad_filters(
        self, client: httpx.AsyncClient, staff: dict[str, str]
    ) -> None:
        missing = await client.get("/api/v1/knowledge/nope", headers=staff)
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "article_not_found"
        topic = await client.get("/api/v1/knowledge", params={"topic": "x"}, headers=staff)
        assert topic.json()["error"]["code"] == "unknown_article_topic"
        kind = await client.get("/api/v1/knowledge", params={"kind": "x"}, headers=staff)
        assert kind.json()["error"]["code"] == "unknown_article_kind"
