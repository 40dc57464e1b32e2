"""The product centre and the knowledge base: search and read, in the caller's language.

Search is a case-insensitive substring match (``ILIKE``; on SQLite ``lower() LIKE lower()``)
over both languages at once, since staff type Chinese or English, product codes or pinyin-free
fragments alike. The shelf holds tens of products and the knowledge base tens of articles, so
a scan is cheaper than keeping a full-text index in step on two databases.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Select, Text, case, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from smartbranch.catalog.errors import (
    ArticleNotFoundError,
    InvalidRiskLevelError,
    ProductNotFoundError,
    SearchQueryTooLongError,
    UnknownArticleKindError,
    UnknownArticleTopicError,
    UnknownProductCategoryError,
)
from smartbranch.catalog.labels import (
    CATEGORY_LABELS,
    KIND_LABELS,
    RISK_LEVELS,
    TOPIC_LABELS,
    category_label,
    kind_label,
    risk_label,
    term_label,
    topic_label,
)
from smartbranch.catalog.models import ArticleKind, KnowledgeArticle, Product
from smartbranch.catalog.schemas import ArticleOut, ProductOut
from smartbranch.i18n import DEFAULT_LOCALE, N_, translate

MAX_QUERY_LENGTH = 100
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
LIKE_ESCAPE = "\\"

INVESTMENT_CATEGORIES = frozenset({"wealth", "fund", "insurance"})
"""Categories sold under suitability rules: the customer's risk tolerance must reach the
product's risk level."""
DEPOSIT_CATEGORIES = frozenset({"deposit", "time_deposit"})
RISK_RATED_CATEGORIES = INVESTMENT_CATEGORIES | DEPOSIT_CATEGORIES
"""Categories whose product risk level means something to the customer (deposits are R1)."""

_SUITABILITY_INVESTMENT = N_(
    "Only for customers with a valid risk-tolerance assessment of C{level} or above; never "
    "offer it to a customer assessed below C{level}."
)
_SUITABILITY_RECORDED = N_(
    "Sell in the wealth sales area with audio and video recording, after the customer has "
    "read the product documents and the risk disclosure."
)
_SUITABILITY_DEPOSIT = N_(
    "A deposit: covered by deposit insurance up to 500,000 CNY per depositor at our bank, "
    "principal and interest together; no risk-tolerance assessment is needed."
)
_SUITABILITY_CREDIT = N_(
    "A credit product: verify the applicant's identity in person; the application is "
    "subject to credit approval. No risk-tolerance assessment is needed."
)


def like_pattern(text: str) -> str:
    """``%text%`` with the LIKE wildcards (``%``, ``_``) and the escape character itself
    escaped, so that what staff type is matched literally."""
    escaped = (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


def _matches(pattern: str, *columns: Any) -> list[ColumnElement[bool]]:
    return [column.ilike(pattern, escape=LIKE_ESCAPE) for column in columns]


def _normalised_query(q: str | None) -> str:
    text = (q or "").strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchQueryTooLongError(limit=MAX_QUERY_LENGTH)
    return text


def _bounded(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))


def suitability_note(category: str, risk_level: int, locale: str) -> str:
    """Who may be offered a product of ``category`` at ``risk_level``, and how it is sold."""
    if category in INVESTMENT_CATEGORIES:
        note = translate(_SUITABILITY_INVESTMENT, locale).format(level=risk_level)
        if category in ("wealth", "fund"):
            note = f"{note} {translate(_SUITABILITY_RECORDED, locale)}"
        return note
    if category in DEPOSIT_CATEGORIES:
        return translate(_SUITABILITY_DEPOSIT, locale)
    return translate(_SUITABILITY_CREDIT, locale)


def product_out(product: Product, locale: str) -> ProductOut:
    """``product`` in ``locale``; the Chinese text stands in for missing English text."""
    english = locale == "en"
    summary = (product.summary_en or product.summary_zh) if english else product.summary_zh
    points = (
        (product.selling_points_en or product.selling_points_zh)
        if english
        else product.selling_points_zh
    )
    return ProductOut(
        code=product.code,
        name=(product.name_en or product.name) if english else product.name,
        name_zh=product.name,
        name_en=product.name_en,
        category=product.category,
        category_label=category_label(product.category, locale),
        risk_level=product.risk_level,
        risk_label=risk_label(product.risk_level, locale),
        risk_rated=product.category in RISK_RATED_CATEGORIES,
        term_days=product.term_days,
        term_label=term_label(product.term_days, locale),
        summary=summary,
        selling_points=list(points or []),
        sold_on_the_spot=product.sold_on_the_spot,
        suitability=suitability_note(product.category, product.risk_level, locale),
    )


def _category_order() -> ColumnElement[int]:
    order = {category: position for position, category in enumerate(CATEGORY_LABELS)}
    return case(order, value=Product.category, else_=len(order))


def products_query(
    q: str | None = None, category: str | None = None, max_risk: int | None = None
) -> Select[Product]:
    """The products matching a search, best first: a code or name hit before a hit in the
    summary, then in shelf order (category, risk, term, code)."""
    text = _normalised_query(q)
    stmt = select(Product)
    order: list[Any] = []
    if text:
        pattern = like_pattern(text)
        named = or_(*_matches(pattern, Product.code, Product.name, Product.name_en))
        stmt = stmt.where(or_(named, *_matches(pattern, Product.summary_zh, Product.summary_en)))
        order.append(case((named, 0), else_=1))
    if category:
        if category not in CATEGORY_LABELS:
            raise UnknownProductCategoryError(category=category)
        stmt = stmt.where(Product.category == category)
    if max_risk is not None:
        if max_risk not in RISK_LEVELS:
            raise InvalidRiskLevelError()
        stmt = stmt.where(Product.risk_level <= max_risk)
    order += [_category_order(), Product.risk_level, func.coalesce(Product.term_days, 0)]
    return stmt.order_by(*order, Product.code)


async def search_products(
    session: AsyncSession,
    q: str | None = None,
    category: str | None = None,
    max_risk: int | None = None,
    locale: str = DEFAULT_LOCALE,
    limit: int = DEFAULT_LIMIT,
) -> list[ProductOut]:
    """Products whose code, names or summary (either language) contain ``q``, of
    ``category``, at risk level ``max_risk`` or below; at most ``limit`` (≤ 200)."""
    stmt = products_query(q, category, max_risk).limit(_bounded(limit))
    return [product_out(p, locale) for p in (await session.scalars(stmt)).all()]


async def get_product(session: AsyncSession, code: str, locale: str = DEFAULT_LOCALE) -> ProductOut:
    """The product with ``code``; :class:`ProductNotFoundError` when there is none."""
    product = await session.get(Product, code)
    if product is None:
        raise ProductNotFoundError(code=code)
    return product_out(product, locale)


def article_out(article: KnowledgeArticle, locale: str) -> ArticleOut:
    """``article`` in ``locale``; the Chinese text stands in for missing English text."""
    english = locale == "en"
    return ArticleOut(
        slug=article.slug,
        kind=article.kind,
        kind_label=kind_label(article.kind, locale),
        topic=article.topic,
        topic_label=topic_label(article.topic, locale),
        title=(article.title_en or article.title_zh) if english else article.title_zh,
        body=(article.body_en or article.body_zh) if english else article.body_zh,
        tags=list(article.tags or []),
        updated_at=article.updated_at,
    )


def _tags_match(text: str) -> ColumnElement[bool]:
    # Tags are a JSON list. The JSON text in the database holds non-ASCII characters as
    # written by the serializer, escaped (\uXXXX) by default; both spellings are matched,
    # so a Chinese tag is found whichever way it was stored.
    tags = cast(KnowledgeArticle.tags, Text)
    escaped = json.dumps(text.lower())[1:-1]
    spellings = {text, escaped}
    return or_(*(tags.ilike(like_pattern(s), escape=LIKE_ESCAPE) for s in spellings))


def _topic_order() -> ColumnElement[int]:
    order = {topic: position for position, topic in enumerate(TOPIC_LABELS)}
    return case(order, value=KnowledgeArticle.topic, else_=len(order))


def articles_query(
    q: str | None = None, topic: str | None = None, kind: str | None = None
) -> Select[KnowledgeArticle]:
    """The articles matching a search, best first: a title hit before a hit in the body or
    tags, then by topic, articles before FAQs, and slug."""
    text = _normalised_query(q)
    stmt = select(KnowledgeArticle)
    order: list[Any] = []
    if text:
        pattern = like_pattern(text)
        titled = or_(*_matches(pattern, KnowledgeArticle.title_zh, KnowledgeArticle.title_en))
        stmt = stmt.where(
            or_(
                titled,
                *_matches(
                    pattern,
                    KnowledgeArticle.slug,
                    KnowledgeArticle.body_zh,
                    KnowledgeArticle.body_en,
                ),
                _tags_match(text),
            )
        )
        order.append(case((titled, 0), else_=1))
    if topic:
        if topic not in TOPIC_LABELS:
            raise UnknownArticleTopicError(topic=topic)
        stmt = stmt.where(KnowledgeArticle.topic == topic)
    if kind:
        if kind not in KIND_LABELS:
            raise UnknownArticleKindError(kind=kind)
        stmt = stmt.where(KnowledgeArticle.kind == kind)
    kind_order = case((KnowledgeArticle.kind == ArticleKind.ARTICLE.value, 0), else_=1)
    return stmt.order_by(*order, _topic_order(), kind_order, KnowledgeArticle.slug)


async def search_articles(
    session: AsyncSession,
    q: str | None = None,
    topic: str | None = None,
    kind: str | None = None,
    limit: int = DEFAULT_LIMIT,
    locale: str = DEFAULT_LOCALE,
) -> list[ArticleOut]:
    """Articles and FAQs whose title, body or tags (either language) contain ``q``, of
    ``topic`` and ``kind``; at most ``limit`` (≤ 200)."""
    stmt = articles_query(q, topic, kind).limit(_bounded(limit))
    return [article_out(a, locale) for a in (await session.scalars(stmt)).all()]


async def get_article(session: AsyncSession, slug: str, locale: str = DEFAULT_LOCALE) -> ArticleOut:
    """The article ``slug``; :class:`ArticleNotFoundError` when there is none."""
    article = await session.scalar(select(KnowledgeArticle).where(KnowledgeArticle.slug == slug))
    if article is None:
        raise ArticleNotFoundError(slug=slug)
    return article_out(article, locale)
