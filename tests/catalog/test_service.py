"""Searching and reading the product centre and the knowledge base."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.catalog import service
from smartbranch.catalog.content import PRODUCT_CONTENT
from smartbranch.catalog.errors import (
    ArticleNotFoundError,
    InvalidRiskLevelError,
    ProductNotFoundError,
    SearchQueryTooLongError,
    UnknownArticleKindError,
    UnknownArticleTopicError,
    UnknownProductCategoryError,
)
from smartbranch.catalog.models import Product
from smartbranch.simulation.products import PRODUCT_SHELF
from tests.catalog.shelf import shelf_with_content


@pytest.fixture
async def shelf(session: AsyncSession) -> None:
    await shelf_with_content(session)


async def _codes(session: AsyncSession, q: str | None = None, **filters: object) -> list[str]:
    return [p.code for p in await service.search_products(session, q, **filters)]  # type: ignore[arg-type]


async def _slugs(session: AsyncSession, q: str | None = None, **filters: object) -> list[str]:
    return [a.slug for a in await service.search_articles(session, q, **filters)]  # type: ignore[arg-type]


@pytest.mark.usefixtures("shelf")
class TestSearchProducts:
    async def test_without_a_query_lists_the_shelf_by_category_then_risk(
        self, session: AsyncSession
    ) -> None:
        codes = await _codes(session, limit=200)
        assert sorted(codes) == sorted(p.code for p in PRODUCT_SHELF)
        assert codes[0] == "DEP-CURRENT" and codes[-1] == "LN-MORTGAGE-30Y"
        assert codes.index("TD-3M") < codes.index("TD-3Y") < codes.index("WM-CASH")
        assert codes.index("WM-R2-365") < codes.index("WM-R3-365") < codes.index("WM-R5-PE")

    async def test_a_chinese_term_matches_names(self, session: AsyncSession) -> None:
        codes = await _codes(session, "定期存款")
        # The certificate of deposit only compares itself to them in its summary.
        assert codes == ["TD-3M", "TD-6M", "TD-1Y", "TD-2Y", "TD-3Y", "CD-3Y"]

    async def test_an_english_term_matches_whatever_its_case(self, session: AsyncSession) -> None:
        assert await _codes(session, "STEADY income") == ["WM-R2-91", "WM-R2-182", "WM-R2-365"]

    async def test_a_code_matches_case_insensitively(self, session: AsyncSession) -> None:
        assert await _codes(session, "cc-gold") == ["CC-GOLD"]

    async def test_the_summary_matches_in_either_language(self, session: AsyncSession) -> None:
        assert await _codes(session, "合格投资者") == ["WM-R5-PE"]
        assert await _codes(session, "qualified investors") == ["WM-R5-PE"]

    async def test_name_hits_come_before_summary_hits(self, session: AsyncSession) -> None:
        codes = await _codes(session, "债")
        # 安心纯债基金 is named for bonds; the wealth products only mention them, and would
        # come first in shelf order.
        assert codes[0] == "FD-BOND"
        assert {"WM-R2-91", "WM-R3-365", "FD-MIX"} <= set(codes[1:])

    async def test_like_wildcards_are_matched_literally(self, session: AsyncSession) -> None:
        session.add(
            Product(code="X-RATE", name="利率上浮5%_专享", category="deposit", risk_level=1)
        )
        await session.flush()
        with_percent = {c.code for c in PRODUCT_CONTENT if "%" in c.summary_zh + c.summary_en} | {
            "X-RATE"
        }
        assert set(await _codes(session, "%")) == with_percent
        assert len(with_percent) < len(PRODUCT_CONTENT)
        assert await _codes(session, "_") == ["X-RATE"]
        assert await _codes(session, "5%_") == ["X-RATE"]
        assert await _codes(session, "浮%专") == []
        assert await _codes(session, "\\") == []

    async def test_filters_by_category_and_highest_risk(self, session: AsyncSession) -> None:
        funds = await service.search_products(session, category="fund")
        assert {p.code for p in funds} == {c.code for c in PRODUCT_SHELF if c.category == "fund"}
        modest = await service.search_products(session, category="wealth", max_risk=2)
        assert [p.code for p in modest] == ["WM-CASH", "WM-R2-91", "WM-R2-182", "WM-R2-365"]
        assert await _codes(session, "稳盈", max_risk=1) == []

    async def test_limit(self, session: AsyncSession) -> None:
        assert len(await _codes(session, limit=3)) == 3

    @pytest.mark.parametrize(
        ("filters", "error"),
        [
            ({"category": "stocks"}, UnknownProductCategoryError),
            ({"max_risk": 0}, InvalidRiskLevelError),
            ({"max_risk": 6}, InvalidRiskLevelError),
            ({"q": "定" * 101}, SearchQueryTooLongError),
        ],
    )
    async def test_bad_filters_are_refused(
        self, session: AsyncSession, filters: dict[str, object], error: type[Exception]
    ) -> None:
        with pytest.raises(error):
            await service.search_products(session, **filters)  # type: ignore[arg-type]

    async def test_in_chinese_and_english(self, session: AsyncSession) -> None:
        (zh,) = await service.search_products(session, "WM-R2-91")
        (en,) = await service.search_products(session, "WM-R2-91", locale="en")
        assert (zh.name, zh.risk_label, zh.category_label) == ("稳盈季季红", "R2 稳健型", "理财")
        assert zh.term_label == "3 个月" and zh.summary.startswith("固定收益类")
        assert (en.name, en.risk_label, en.term_label) == (
            "Steady Income Quarterly",
            "R2 Steady",
            "3 months",
        )
        assert en.summary.startswith("A fixed-income") and en.name_zh == "稳盈季季红"
        assert en.selling_points[0].startswith("Short")


@pytest.mark.usefixtures("shelf")
class TestGetProduct:
    async def test_with_selling_points_and_a_suitability_note(self, session: AsyncSession) -> None:
        product = await service.get_product(session, "FD-IDX300")
        assert product.risk_level == 4 and product.sold_on_the_spot
        assert product.term_label == "无固定期限"
        assert "C4 及以上" in product.suitability and "双录" in product.suitability
        card = await service.get_product(session, "CC-PLATINUM", "en")
        assert card.suitability.startswith("A credit product")
        deposit = await service.get_product(session, "TD-3Y", "en")
        assert "deposit insurance" in deposit.suitability and deposit.term_label == "3 years"
        one_year = await service.get_product(session, "WM-R4-365", "en")
        assert one_year.term_label == "1 year"

    async def test_an_unknown_code(self, session: AsyncSession) -> None:
        with pytest.raises(ProductNotFoundError) as raised:
            await service.get_product(session, "NOPE")
        assert raised.value.localized("zh_CN") == "没有代码为 NOPE 的产品。"


@pytest.mark.usefixtures("shelf")
class TestSearchArticles:
    async def test_a_chinese_and_an_english_term(self, session: AsyncSession) -> None:
        assert (await _slugs(session, "冷静期"))[0] == "wealth-cooling-off-period"
        assert (await _slugs(session, "Cooling-Off"))[0] == "wealth-cooling-off-period"

    async def test_tags_match_in_either_language(self, session: AsyncSession) -> None:
        # Words found only in the articles' tags, not in their titles or bodies.
        assert await _slugs(session, "代发客户") == ["payroll-customers"]
        assert await _slugs(session, "PRIVACY") == ["customer-information-protection"]

    async def test_title_hits_come_first(self, session: AsyncSession) -> None:
        slugs = await _slugs(session, "风险承受能力")
        # By topic, the wealth FAQ on fund plans (which mentions it) would come first.
        assert slugs[0] == "risk-tolerance-assessment"
        assert "fund-regular-investment" in slugs

    async def test_filters_by_topic_and_kind(self, session: AsyncSession) -> None:
        card = await service.search_articles(session, topic="card")
        assert {a.slug for a in card} == {"credit-card-fast-issue", "lost-card-reporting"}
        assert [a.kind for a in card] == ["article", "faq"]
        faqs = await service.search_articles(session, kind="faq", topic="deposit")
        assert all(a.kind == "faq" and a.topic == "deposit" for a in faqs) and len(faqs) == 3

    async def test_like_wildcards_are_matched_literally(self, session: AsyncSession) -> None:
        assert await _slugs(session, "%") == []
        assert await _slugs(session, "_") == []

    @pytest.mark.parametrize(
        ("filters", "error"),
        [
            ({"topic": "gossip"}, UnknownArticleTopicError),
            ({"kind": "memo"}, UnknownArticleKindError),
            ({"q": "x" * 101}, SearchQueryTooLongError),
        ],
    )
    async def test_bad_filters_are_refused(
        self, session: AsyncSession, filters: dict[str, object], error: type[Exception]
    ) -> None:
        with pytest.raises(error):
            await service.search_articles(session, **filters)  # type: ignore[arg-type]


@pytest.mark.usefixtures("shelf")
class TestGetArticle:
    async def test_in_chinese_and_english(self, session: AsyncSession) -> None:
        zh = await service.get_article(session, "complaint-handling")
        en = await service.get_article(session, "complaint-handling", "en")
        assert zh.title == "客户投诉处理流程" and zh.topic_label == "客户服务"
        assert en.title == "Handling customer complaints" and en.kind_label == "Article"
        assert "12378" in zh.body and "12378" in en.body

    async def test_an_unknown_slug(self, session: AsyncSession) -> None:
        with pytest.raises(ArticleNotFoundError) as raised:
            await service.get_article(session, "nope")
        assert raised.value.status_code == 404 and raised.value.code == "article_not_found"
