"""``/api/v1/products`` and ``/api/v1/knowledge``: the product centre and the knowledge base
for signed-in staff, in the caller's language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from smartbranch.auth.dependencies import StaffPrincipalDep
from smartbranch.auth.service import SessionExpiredError
from smartbranch.catalog import service
from smartbranch.catalog.errors import (
    ArticleNotFoundError,
    InvalidRiskLevelError,
    ProductNotFoundError,
    SearchQueryTooLongError,
    UnknownArticleKindError,
    UnknownArticleTopicError,
    UnknownProductCategoryError,
)
from smartbranch.catalog.schemas import ArticleList, ArticleOut, ProductList, ProductOut
from smartbranch.errors import DeviceNotEnrolledError, NotAuthenticatedError
from smartbranch.http import LocaleDep, SessionDep, error_responses

router = APIRouter(tags=["catalog"])

_AUTH_ERRORS = (DeviceNotEnrolledError, NotAuthenticatedError, SessionExpiredError)
Limit = Annotated[int, Query(ge=1, le=service.MAX_LIMIT)]


@router.get(
    "/products",
    response_model=ProductList,
    responses=error_responses(
        *_AUTH_ERRORS,
        UnknownProductCategoryError,
        InvalidRiskLevelError,
        SearchQueryTooLongError,
    ),
    summary="Search the product centre",
)
async def list_products(
    session: SessionDep,
    _principal: StaffPrincipalDep,
    locale: LocaleDep,
    q: str | None = None,
    category: str | None = None,
    max_risk: int | None = None,
    limit: Limit = service.DEFAULT_LIMIT,
) -> ProductList:
    """Products whose code, names or summary (Chinese or English) contain ``q``, of one
    ``category``, at risk level ``max_risk`` (1–5) or below; shelf order, name hits first."""
    items = await service.search_products(
        session, q, category, max_risk, locale=locale, limit=limit
    )
    return ProductList(items=items)


@router.get(
    "/products/{code}",
    response_model=ProductOut,
    responses=error_responses(*_AUTH_ERRORS, ProductNotFoundError),
    summary="One product with its selling points and suitability note",
)
async def read_product(
    code: str, session: SessionDep, _principal: StaffPrincipalDep, locale: LocaleDep
) -> ProductOut:
    """The product ``code``."""
    return await service.get_product(session, code, locale)


@router.get(
    "/knowledge",
    response_model=ArticleList,
    responses=error_responses(
        *_AUTH_ERRORS,
        UnknownArticleTopicError,
        UnknownArticleKindError,
        SearchQueryTooLongError,
    ),
    summary="Search the knowledge base",
)
async def list_articles(
    session: SessionDep,
    _principal: StaffPrincipalDep,
    locale: LocaleDep,
    q: str | None = None,
    topic: str | None = None,
    kind: str | None = None,
    limit: Limit = service.DEFAULT_LIMIT,
) -> ArticleList:
    """Articles and FAQs whose title, body or tags (Chinese or English) contain ``q``, of one
    ``topic`` and ``kind`` (``article`` or ``faq``); title hits first."""
    items = await service.search_articles(session, q, topic, kind, limit=limit, locale=locale)
    return ArticleList(items=items)


@router.get(
    "/knowledge/{slug}",
    response_model=ArticleOut,
    responses=error_responses(*_AUTH_ERRORS, ArticleNotFoundError),
    summary="One knowledge-base article or FAQ",
)
async def read_article(
    slug: str, session: SessionDep, _principal: StaffPrincipalDep, locale: LocaleDep
) -> ArticleOut:
    """The article ``slug``."""
    return await service.get_article(session, slug, locale)
