"""The product centre and the knowledge base as the API and the pages show them, in the
caller's language."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class ProductOut(BaseModel):
    """A product on the shelf, with its product-centre content."""

    code: str
    name: str = Field(description="In the caller's language (Chinese when no English name).")
    name_zh: str
    name_en: str
    category: str
    category_label: str
    risk_level: int = Field(ge=1, le=5, description="R1–R5.")
    risk_label: str = Field(description="e.g. 'R2 稳健型' / 'R2 Steady'.")
    risk_rated: bool = Field(
        description="False for credit cards and loans: a customer takes no investment risk "
        "with them, so their R level is not shown."
    )
    term_days: int | None
    term_label: str
    summary: str
    selling_points: list[str]
    sold_on_the_spot: bool = Field(
        description="A member of staff completes the sale at once (the lead converts now)."
    )
    suitability: str = Field(description="Who may be offered it, and how.")


class ProductList(BaseModel):
    items: list[ProductOut]


class ArticleOut(BaseModel):
    """A knowledge-base article or FAQ."""

    slug: str
    kind: str
    kind_label: str
    topic: str
    topic_label: str
    title: str
    body: str = Field(description="Plain text; paragraphs separated by a blank line.")
    tags: list[str]
    updated_at: datetime


class ArticleList(BaseModel):
    items: list[ArticleOut]
