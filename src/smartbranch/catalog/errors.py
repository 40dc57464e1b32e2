"""What can go wrong in the product centre and the knowledge base."""

from __future__ import annotations

from smartbranch.errors import BadRequestError, ConflictError, NotFoundError
from smartbranch.i18n import N_


class ProductNotFoundError(NotFoundError):
    code = "product_not_found"
    message = N_("No product with code {code}.")


class ArticleNotFoundError(NotFoundError):
    code = "article_not_found"
    message = N_("No knowledge-base article {slug}.")


class UnknownProductCategoryError(BadRequestError):
    code = "unknown_product_category"
    message = N_("Unknown product category {category}.")


class InvalidRiskLevelError(BadRequestError):
    code = "invalid_risk_level"
    message = N_("A risk level is a whole number from 1 (R1) to 5 (R5).")


class UnknownArticleTopicError(BadRequestError):
    code = "unknown_article_topic"
    message = N_("Unknown knowledge-base topic {topic}.")


class UnknownArticleKindError(BadRequestError):
    code = "unknown_article_kind"
    message = N_("Unknown kind {kind}: use article or faq.")


class SearchQueryTooLongError(BadRequestError):
    code = "search_query_too_long"
    message = N_("The search text is too long (at most {limit} characters).")


class ContentRiskMismatchError(ConflictError):
    """The product centre's text states another risk level than the warehouse's product:
    showing it would misstate the risk to a customer, so nothing is installed."""

    code = "catalog_content_risk_mismatch"
    message = N_(
        "The content of product {code} states risk level R{stated}, the product is R{actual}."
    )
