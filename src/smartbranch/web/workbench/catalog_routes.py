"""The workbench's product centre and knowledge base: ``/workbench/products`` and
``/workbench/knowledge``.

Search is a plain GET form, so the pages work without JavaScript; with HTMX the search box
asks for the results fragment as staff type (300 ms after the last key) and the filters as
soon as they change. The pages read the catalog through the same service as the JSON API.
They show no customer data; like every dynamic response they are ``Cache-Control:
no-store`` (``web.security``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from starlette.responses import Response

from smartbranch.catalog import service
from smartbranch.catalog.errors import InvalidRiskLevelError
from smartbranch.catalog.labels import (
    CATEGORY_LABELS,
    KIND_LABELS,
    RISK_LABELS,
    TOPIC_LABELS,
    risk_label,
)
from smartbranch.http import SessionDep
from smartbranch.i18n import translate
from smartbranch.orgs.service import get_org_by_code
from smartbranch.web.deps import PageStaffDep
from smartbranch.web.navigation import org_code_of
from smartbranch.web.templating import PageLocaleDep, is_htmx, render

router = APIRouter(prefix="/workbench", include_in_schema=False)

PRODUCTS_URL = "/workbench/products"
KNOWLEDGE_URL = "/workbench/knowledge"
SEARCH_LIMIT = 100
"""More than the shelf holds, and than the knowledge base: a search shows every hit."""
EXCERPT_LENGTH = 90


@dataclass(frozen=True)
class Block:
    """A piece of an article's body: a paragraph (``text``) or a list (``items``)."""

    text: str = ""
    items: list[str] = field(default_factory=list)


def body_blocks(body: str) -> list[Block]:
    """Paragraphs and lists of an article's plain-text body: blocks are separated by a blank
    line, and lines starting with ``- `` are list items."""
    blocks: list[Block] = []
    for chunk in body.split("\n\n"):
        lines: list[str] = []
        items: list[str] = []
        for line in chunk.splitlines():
            if line.startswith("- "):
                if lines:
                    blocks.append(Block(text=" ".join(lines)))
                    lines = []
                items.append(line[2:].strip())
            else:
                if items:
                    blocks.append(Block(items=items))
                    items = []
                lines.append(line.strip())
        if lines:
            blocks.append(Block(text=" ".join(lines)))
        if items:
            blocks.append(Block(items=items))
    return [b for b in blocks if b.text or b.items]


def excerpt(body: str, length: int = EXCERPT_LENGTH) -> str:
    """The start of an article's first paragraph, cut at ``length`` characters."""
    first = body.split("\n\n", 1)[0].splitlines()[0] if body else ""
    return first if len(first) <= length else first[: length - 1].rstrip() + "…"


def _risk_filter(value: str | None) -> int | None:
    """The form's "highest risk" (empty for any level)."""
    if not value:
        return None
    if not value.isdigit():
        raise InvalidRiskLevelError()
    return int(value)


def _options(labels: dict[str, str], locale: str) -> list[tuple[str, str]]:
    return [(key, translate(label, locale)) for key, label in labels.items()]


def _staff_name(principal: Any) -> str:
    return str(principal.staff.display_name) if principal.staff else ""


@router.get("/products")
async def products_page(
    request: Request,
    session: SessionDep,
    locale: PageLocaleDep,
    principal: PageStaffDep,
    q: str = "",
    category: str = "",
    max_risk: str = "",
) -> Response:
    """The product centre: search by code, name or summary, filter by category and highest
    risk level. HTMX gets the results fragment."""
    products = await service.search_products(
        session,
        q,
        category or None,
        _risk_filter(max_risk),
        locale=locale,
        limit=SEARCH_LIMIT,
    )
    context = {
        "products": products,
        "q": q,
        "category": category,
        "max_risk": max_risk,
        "categories": _options(CATEGORY_LABELS, locale),
        "risk_levels": [(str(level), risk_label(level, locale)) for level in RISK_LABELS],
        "staff_name": _staff_name(principal),
    }
    if is_htmx(request):
        return render(request, "workbench/_products_results.html", context)
    return render(request, "workbench/products.html", context)


@router.get("/products/{code}")
async def product_page(
    request: Request,
    code: str,
    session: SessionDep,
    locale: PageLocaleDep,
    principal: PageStaffDep,
) -> Response:
    """One product: summary, selling points, risk level, term and who may be offered it."""
    product = await service.get_product(session, code, locale)
    context = {"product": product, "staff_name": _staff_name(principal)}
    return render(request, "workbench/products_detail.html", context)


@router.get("/knowledge")
async def knowledge_page(
    request: Request,
    session: SessionDep,
    locale: PageLocaleDep,
    principal: PageStaffDep,
    q: str = "",
    topic: str = "",
    kind: str = "",
) -> Response:
    """The knowledge base: search articles and FAQs, filter by topic and kind. FAQs open in
    place; HTMX gets the results fragment."""
    articles = await service.search_articles(
        session, q, topic or None, kind or None, limit=SEARCH_LIMIT, locale=locale
    )
    context = {
        "articles": articles,
        "faq_blocks": {a.slug: body_blocks(a.body) for a in articles if a.kind == "faq"},
        "excerpts": {a.slug: excerpt(a.body) for a in articles if a.kind != "faq"},
        "q": q,
        "topic": topic,
        "kind": kind,
        "topics": _options(TOPIC_LABELS, locale),
        "kinds": _options(KIND_LABELS, locale),
        "staff_name": _staff_name(principal),
    }
    if is_htmx(request):
        return render(request, "workbench/_knowledge_results.html", context)
    return render(request, "workbench/knowledge.html", context)


@router.get("/knowledge/{slug}")
async def article_page(
    request: Request,
    slug: str,
    session: SessionDep,
    locale: PageLocaleDep,
    principal: PageStaffDep,
) -> Response:
    """One article or FAQ."""
    article = await service.get_article(session, slug, locale)
    staff = principal.staff
    assert staff is not None
    # Stored in UTC, shown in the member of staff's branch time.
    org = await get_org_by_code(session, org_code_of(staff.org_path))
    updated_on = article.updated_at.astimezone(ZoneInfo(org.timezone)).date()
    context = {
        "article": article,
        "updated_on": updated_on.isoformat(),
        "blocks": body_blocks(article.body),
        "staff_name": _staff_name(principal),
    }
    return render(request, "workbench/knowledge_detail.html", context)
