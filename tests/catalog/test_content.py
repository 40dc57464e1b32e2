"""The product centre's content and the knowledge base: complete for the shelf, in both
languages, risk wording consistent with the products' levels, installed idempotently without
touching what the warehouse load owns."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.catalog.content import (
    ARTICLES,
    PRODUCT_CONTENT,
    ArticleContent,
    ProductContent,
    install_content,
)
from smartbranch.catalog.errors import ContentRiskMismatchError
from smartbranch.catalog.labels import TOPIC_LABELS
from smartbranch.catalog.models import KnowledgeArticle, Product
from smartbranch.simulation.products import PRODUCT_SHELF
from tests.catalog.shelf import load_shelf
from tests.test_no_clear_numbers import clear_numbers_in

SHELF = {p.code: p for p in PRODUCT_SHELF}
CONTENT = {c.code: c for c in PRODUCT_CONTENT}
INVESTMENT = {"wealth", "fund", "insurance"}
# The bank's words, written out here rather than read from the code under test.
RISK_ZH = {1: "谨慎型", 2: "稳健型", 3: "平衡型", 4: "进取型", 5: "激进型"}
RISK_EN = {1: "Cautious", 2: "Steady", 3: "Balanced", 4: "Progressive", 5: "Aggressive"}
_RISK_CODE = re.compile(r"\bR([1-5])\b|R([1-5])（")


def _levels_named(text: str) -> set[int]:
    return {int(a or b) for a, b in _RISK_CODE.findall(text)}


def _all_text(item: ProductContent | ArticleContent) -> list[str]:
    if isinstance(item, ProductContent):
        return [
            item.summary_zh,
            item.summary_en,
            *item.selling_points_zh,
            *item.selling_points_en,
        ]
    return [item.title_zh, item.title_en, item.body_zh, item.body_en, *item.tags]


class TestProductContent:
    def test_every_product_on_the_shelf_has_content_in_both_languages(self) -> None:
        assert set(CONTENT) == set(SHELF)
        assert len(CONTENT) == len(PRODUCT_CONTENT)  # no code twice
        for content in PRODUCT_CONTENT:
            assert content.summary_zh and content.summary_en, content.code
            assert re.search(r"[\u4e00-\u9fff]", content.summary_zh), content.code
            assert not re.search(r"[\u4e00-\u9fff]", content.summary_en), content.code
            assert 2 <= len(content.selling_points_zh) <= 4, content.code
            assert len(content.selling_points_en) == len(content.selling_points_zh), content.code
            assert all(p.strip() for p in content.selling_points_zh + content.selling_points_en)

    def test_investment_products_state_the_shelf_risk_level_in_the_banks_words(self) -> None:
        for code, product in SHELF.items():
            content = CONTENT[code]
            if product.category not in INVESTMENT:
                continue
            level = product.risk_level
            assert content.risk_level == level, code
            assert f"R{level}（{RISK_ZH[level]}）" in content.summary_zh, code
            assert f"R{level} ({RISK_EN[level]})" in content.summary_en, code
            for text in _all_text(content):
                assert _levels_named(text) <= {level}, (code, text)

    def test_deposits_and_credit_products_state_no_risk_level(self) -> None:
        for code, product in SHELF.items():
            if product.category in INVESTMENT:
                continue
            content = CONTENT[code]
            assert content.risk_level is None, code
            for text in _all_text(content):
                assert _levels_named(text) == set(), (code, text)

    def test_sold_on_the_spot_where_staff_complete_the_sale_at_once(self) -> None:
        on_the_spot = {c.code for c in PRODUCT_CONTENT if c.sold_on_the_spot}
        deposits = {c for c, p in SHELF.items() if p.category in ("deposit", "time_deposit")}
        funds = {c for c, p in SHELF.items() if p.category == "fund"}
        assert on_the_spot == deposits | funds | {"WM-CASH", "CC-CLASSIC", "CC-GOLD"}

    def test_no_clear_card_or_id_number(self) -> None:
        items: list[ProductContent | ArticleContent] = [*PRODUCT_CONTENT, *ARTICLES]
        for item in items:
            for text in _all_text(item):
                assert clear_numbers_in(text) == [], text


class TestArticles:
    def test_about_twenty_articles_and_faqs_in_both_languages(self) -> None:
        assert len(ARTICLES) >= 20
        slugs = [a.slug for a in ARTICLES]
        assert len(set(slugs)) == len(slugs)
        assert {a.kind for a in ARTICLES} == {"article", "faq"}
        for article in ARTICLES:
            assert re.fullmatch(r"[a-z0-9-]{3,64}", article.slug), article.slug
            assert article.topic in TOPIC_LABELS, article.slug
            assert article.title_zh and article.title_en and article.tags, article.slug
            assert len(article.title_zh) <= 200 and len(article.title_en) <= 200
            assert re.search(r"[\u4e00-\u9fff]", article.body_zh), article.slug
            assert not re.search(r"[\u4e00-\u9fff]", article.body_en + article.title_en)
            # The same structure in both languages: paragraphs and list items line up.
            assert article.body_zh.count("\n\n") == article.body_en.count("\n\n"), article.slug
            assert article.body_zh.count("\n- ") == article.body_en.count("\n- "), article.slug

    def test_covers_what_staff_ask_about(self) -> None:
        slugs = {a.slug for a in ARTICLES}
        assert {
            "suitability-management",
            "risk-tolerance-assessment",
            "large-certificate-of-deposit",
            "large-cash-withdrawal",
            "time-deposit-early-withdrawal",
            "wealth-cooling-off-period",
            "credit-card-fast-issue",
            "lost-card-reporting",
            "out-of-town-customers",
            "mobile-banking-sign-up",
            "payroll-customers",
            "customer-tiers",
            "elderly-anti-fraud",
            "complaint-handling",
        } <= slugs

    def test_tier_thresholds_match_the_default_settings(self) -> None:
        from smartbranch.settings import Settings

        article = next(a for a in ARTICLES if a.slug == "customer-tiers")
        for bound in Settings.model_fields["tier_thresholds_cny"].default:
            assert f"{int(bound):,} CNY" in article.body_en
            assert f"{int(bound) // 10_000}万元（含）" in article.body_zh


async def _load_columns(session: AsyncSession) -> dict[str, tuple[object, ...]]:
    rows = await session.execute(
        select(
            Product.code,
            Product.name,
            Product.name_en,
            Product.category,
            Product.risk_level,
            Product.term_days,
        ).execution_options(populate_existing=True)
    )
    return {row[0]: tuple(row[1:]) for row in rows}


class TestInstallContent:
    async def test_writes_the_content_of_every_loaded_product_and_the_articles(
        self, session: AsyncSession
    ) -> None:
        await load_shelf(session)
        assert await install_content(session) == (len(PRODUCT_SHELF), len(ARTICLES))
        product = await session.get(Product, "WM-R2-91", populate_existing=True)
        assert product is not None
        content = CONTENT["WM-R2-91"]
        assert product.summary_zh == content.summary_zh
        assert product.summary_en == content.summary_en
        assert product.selling_points_zh == list(content.selling_points_zh)
        assert product.selling_points_en == list(content.selling_points_en)
        assert product.sold_on_the_spot is False
        current = await session.get(Product, "DEP-CURRENT")
        assert current is not None and current.sold_on_the_spot is True
        article = await session.scalar(
            select(KnowledgeArticle).where(KnowledgeArticle.slug == "elderly-anti-fraud")
        )
        assert article is not None
        assert (article.kind, article.topic) == ("article", "compliance")
        assert "96110" in article.tags

    async def test_leaves_the_load_owned_columns_untouched(self, session: AsyncSession) -> None:
        await load_shelf(session)
        # The warehouse renamed a product and changed a term since the content was written.
        renamed = await session.get(Product, "TD-1Y")
        assert renamed is not None
        renamed.name, renamed.name_en, renamed.term_days = "定期一年（新）", "TD 1Y new", 366
        await session.flush()
        before = await _load_columns(session)
        await install_content(session)
        assert await _load_columns(session) == before

    async def test_running_it_again_changes_nothing(self, session: AsyncSession) -> None:
        await load_shelf(session)
        await install_content(session)
        stamps = dict(
            (
                await session.execute(select(KnowledgeArticle.slug, KnowledgeArticle.updated_at))
            ).all()
        )
        assert await install_content(session) == (0, 0)
        count = await session.scalar(select(func.count()).select_from(KnowledgeArticle))
        assert count == len(ARTICLES)
        again = dict(
            (
                await session.execute(select(KnowledgeArticle.slug, KnowledgeArticle.updated_at))
            ).all()
        )
        assert again == stamps

    async def test_restores_edited_rows_and_dates_the_changed_article(
        self, session: AsyncSession
    ) -> None:
        await load_shelf(session)
        await install_content(session)
        long_ago = datetime(2020, 1, 1, tzinfo=UTC)
        article = await session.scalar(
            select(KnowledgeArticle).where(KnowledgeArticle.slug == "deposit-insurance")
        )
        untouched = await session.scalar(
            select(KnowledgeArticle).where(KnowledgeArticle.slug == "mortgage-rates")
        )
        product = await session.get(Product, "CC-GOLD")
        assert article is not None and untouched is not None and product is not None
        article.body_zh, article.updated_at = "旧内容", long_ago
        untouched.updated_at = long_ago
        product.sold_on_the_spot, product.selling_points_en = False, []
        await session.flush()

        assert await install_content(session) == (1, 1)
        await session.refresh(article)
        await session.refresh(untouched)
        await session.refresh(product)
        assert article.body_zh != "旧内容" and article.updated_at != long_ago
        assert untouched.updated_at == long_ago
        assert product.sold_on_the_spot is True and len(product.selling_points_en) == 3

    async def test_skips_products_not_loaded_yet(self, session: AsyncSession) -> None:
        products = await load_shelf(session)
        for product in products[10:]:
            await session.delete(product)
        await session.flush()
        assert await install_content(session) == (10, len(ARTICLES))
        count = await session.scalar(select(func.count()).select_from(Product))
        assert count == 10

    async def test_a_misstated_risk_level_installs_nothing(self, session: AsyncSession) -> None:
        await load_shelf(session)
        product = await session.get(Product, "WM-R2-182")
        assert product is not None
        product.risk_level = 3  # the warehouse re-rated it; the text still says R2
        await session.flush()
        with pytest.raises(ContentRiskMismatchError) as raised:
            await install_content(session)
        assert raised.value.code == "catalog_content_risk_mismatch"
        assert "R2" in raised.value.localized("zh_CN") and "R3" in raised.value.localized("en")
        written = await session.scalar(
            select(func.count()).select_from(Product).where(Product.summary_zh != "")
        )
        assert written == 0
        assert await session.scalar(select(func.count()).select_from(KnowledgeArticle)) == 0
