"""The workbench's product centre and knowledge base pages: signed-in staff only, Chinese
by default and English on the switch, live search fragments for HTMX, plain GET forms
without JavaScript, nothing the CSP would block, no-store."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.web.templating import static_url
from smartbranch.web.workbench.catalog_routes import Block, body_blocks, excerpt
from tests.catalog.shelf import shelf_with_content
from tests.fixtures.bank import PASSWORD, Bank
from tests.web.html import audit, hidden_value

HTMX = {"HX-Request": "true"}


@pytest.fixture
async def signed_in(client: httpx.AsyncClient, bank: Bank, session: AsyncSession) -> None:
    """The wealth-facing lobby manager signed in on the outlet's tablet, the shelf loaded."""
    await shelf_with_content(session)
    client.cookies.set("sb_device", bank.tokens["tablet_bj001"])
    token = hidden_value(await client.get("/login"), "csrf_token")
    response = await client.post(
        "/login", data={"username": "bj001.lobby1", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303, response.text


class TestAccess:
    # One request per test: a refused request rolls back its unit of work, which in these
    # tests is the test's own transaction.
    @pytest.mark.parametrize(
        "path",
        [
            "/workbench/products",
            "/workbench/products/TD-1Y",
            "/workbench/knowledge",
            "/workbench/knowledge/complaint-handling",
        ],
    )
    async def test_signed_out_staff_are_sent_to_sign_in(
        self, client: httpx.AsyncClient, bank: Bank, path: str
    ) -> None:
        client.cookies.set("sb_device", bank.tokens["tablet_bj001"])
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == "/login"

    async def test_a_signed_out_search_asks_htmx_to_sign_in(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        client.cookies.set("sb_device", bank.tokens["tablet_bj001"])
        response = await client.get("/workbench/products", params={"q": "定期"}, headers=HTMX)
        assert response.status_code == 401
        assert response.headers["hx-redirect"] == "/login"


@pytest.mark.usefixtures("signed_in")
class TestProductsPage:
    async def test_in_chinese_by_default(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/workbench/products")
        assert response.status_code == 200
        page = audit(response)  # CSP-clean, no-store
        assert "<title>产品中心 · " in response.text
        assert "稳盈季季红" in response.text and "R2 稳健型" in response.text
        assert "risk-badge--5" in response.text and "当场办结" in response.text
        assert static_url("css/workbench-catalog.css") in response.text
        # Search as staff type, 300 ms after the last key, into the results only.
        (box,) = page.find("input", name="q")
        assert box["hx-get"] == "/workbench/products"
        assert box["hx-trigger"] == "input changed delay:300ms, search"
        assert box["hx-target"] == "#product-results"
        # Without JavaScript it is a GET form with a submit button and category chips.
        (form,) = page.find("form", role="search")
        assert (form["method"], form["action"]) == ("get", "/workbench/products")
        chips = [i["value"] for i in page.inputs if i.get("name") == "category"]
        categories = ["deposit", "time_deposit", "wealth", "fund", "insurance", "credit_card"]
        assert chips == ["", *categories, "loan"]

    async def test_in_english_on_the_switch(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/workbench/products", params={"lang": "en"})
        audit(response)
        assert "<title>Product centre · " in response.text
        assert "Steady Income Quarterly" in response.text and "R2 Steady" in response.text
        assert "稳盈季季红" not in response.text
        # The choice is remembered for the next page.
        again = await client.get("/workbench/knowledge")
        assert "Knowledge base" in again.text

    async def test_filters_without_javascript(self, client: httpx.AsyncClient) -> None:
        response = await client.get(
            "/workbench/products", params={"q": "基金", "category": "fund", "max_risk": "3"}
        )
        page = audit(response)
        assert "安心纯债基金" in response.text and "平衡优选混合基金" in response.text
        assert "沪深300指数基金" not in response.text  # R4
        assert "共 2 条结果" in response.text
        (checked,) = [i for i in page.inputs if i.get("name") == "category" and "checked" in i]
        assert checked["value"] == "fund"
        assert 'value="3" selected' in response.text

    async def test_htmx_gets_the_results_fragment(self, client: httpx.AsyncClient) -> None:
        response = await client.get(
            "/workbench/products", params={"q": "steady income"}, headers=HTMX
        )
        assert response.status_code == 200
        audit(response)
        assert "<html" not in response.text and "<form" not in response.text
        assert response.text.count('class="product-card"') == 3
        assert 'href="/workbench/products/WM-R2-91"' in response.text

    async def test_nothing_found(self, client: httpx.AsyncClient) -> None:
        none = await client.get("/workbench/products", params={"q": "不存在的产品"}, headers=HTMX)
        assert "没有符合条件的产品。" in none.text

    async def test_credit_products_show_no_risk_level(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/workbench/products", params={"category": "loan"})
        assert "个人住房贷款（三十年）" in response.text
        assert "risk-badge" not in response.text

    async def test_a_bad_filter_is_explained(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/workbench/products", params={"max_risk": "high"})
        assert response.status_code == 400
        assert "风险等级为 1（R1）至 5（R5）之间的整数。" in response.text
        fragment = await client.get(
            "/workbench/products", params={"category": "stocks"}, headers=HTMX
        )
        assert fragment.status_code == 400
        assert 'data-code="unknown_product_category"' in fragment.text


@pytest.mark.usefixtures("signed_in")
class TestProductPage:
    async def test_summary_points_risk_term_and_suitability(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/workbench/products/WM-R3-365")
        assert response.status_code == 200
        audit(response)
        text = response.text
        assert '<h1 class="catalog-title">睿远增利一年期</h1>' in text
        assert "R3 平衡型" in text and "1 年" in text
        assert "“固收+”策略" in text  # a selling point
        assert "C3 及以上" in text and "双录" in text  # the suitability note
        assert "事后确认" in text  # not sold on the spot

    async def test_in_english(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/workbench/products/CC-CLASSIC", params={"lang": "en"})
        audit(response)
        assert "Classic Credit Card" in response.text and "信用卡普卡" in response.text
        assert "Not an investment product" in response.text
        assert "On the spot" in response.text and "A credit product" in response.text

    async def test_an_unknown_product(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/workbench/products/NOPE")
        assert response.status_code == 404
        assert "没有代码为 NOPE 的产品。" in response.text


@pytest.mark.usefixtures("signed_in")
class TestKnowledgePage:
    async def test_lists_articles_and_opens_faqs_in_place(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/workbench/knowledge")
        assert response.status_code == 200
        page = audit(response)
        assert "<title>知识库 · " in response.text
        assert "理财产品适当性管理要点" in response.text
        # An FAQ's answer is in the page, inside <details>, so it opens without a script.
        assert page.find("details", **{"class": "faq"})
        assert "部分提前支取仅限一次" in response.text
        (box,) = page.find("input", name="q")
        assert box["hx-trigger"] == "input changed delay:300ms, search"
        topics = [i["value"] for i in page.inputs if i.get("name") == "topic"]
        assert topics == ["", "deposit", "wealth", "card", "loan", "service", "compliance"]

    async def test_search_by_topic_and_kind(self, client: httpx.AsyncClient) -> None:
        response = await client.get(
            "/workbench/knowledge", params={"q": "外地", "topic": "service"}, headers=HTMX
        )
        audit(response)
        assert "<html" not in response.text
        assert 'href="/workbench/knowledge/out-of-town-customers"' in response.text
        faqs = await client.get("/workbench/knowledge", params={"kind": "faq"}, headers=HTMX)
        assert 'class="article-card article-card--article"' not in faqs.text
        assert faqs.text.count('class="article-card article-card--faq"') >= 10

    async def test_in_english(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/workbench/knowledge", params={"lang": "en", "q": "fraud"})
        audit(response)
        assert "Fraud warnings for older customers" in response.text
        assert "Results: " in response.text

    async def test_one_article(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/workbench/knowledge/elderly-anti-fraud")
        assert response.status_code == 200
        page = audit(response)
        assert "老年客户防诈骗提醒" in response.text and "96110" in response.text
        assert len(page.find("li")) >= 4  # the warning signs, as a list
        assert 'href="/workbench/knowledge?q=%E5%8F%8D%E8%AF%88"' in response.text  # tag 反诈
        english = await client.get("/workbench/knowledge/elderly-anti-fraud?lang=en")
        assert "Fraud warnings for older customers" in english.text

    async def test_an_unknown_article(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/workbench/knowledge/nope")
        assert response.status_code == 404
        assert "知识库中没有文章 nope。" in response.text


class TestBodyBlocks:
    def test_paragraphs_and_lists(self) -> None:
        body = "First.\n\nLead-in:\n- one\n- two\nAfter.\n\nLast."
        assert body_blocks(body) == [
            Block(text="First."),
            Block(text="Lead-in:"),
            Block(items=["one", "two"]),
            Block(text="After."),
            Block(text="Last."),
        ]

    def test_excerpt_cuts_long_first_paragraphs(self) -> None:
        assert excerpt("短。\n\n第二段") == "短。"
        long = "字" * 200
        assert excerpt(long, 10) == "字" * 9 + "…"
