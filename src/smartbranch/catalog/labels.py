"""User-facing names in the product centre and the knowledge base (msgids; translated where
shown): product categories, risk levels, article topics and kinds, terms."""

from __future__ import annotations

from smartbranch.i18n import N_, translate

CATEGORY_LABELS: dict[str, str] = {
    "deposit": N_("Current deposits"),
    "time_deposit": N_("Time deposits"),
    "wealth": N_("Wealth management"),
    "fund": N_("Funds"),
    "insurance": N_("Insurance"),
    "credit_card": N_("Credit cards"),
    "loan": N_("Loans"),
}
"""Every product category, in the order the product centre lists them."""

RISK_LABELS: dict[int, str] = {
    1: N_("Cautious"),
    2: N_("Steady"),
    3: N_("Balanced"),
    4: N_("Progressive"),
    5: N_("Aggressive"),
}
"""The bank's product risk levels R1–R5 (谨慎型, 稳健型, 平衡型, 进取型, 激进型)."""

RISK_LEVELS: tuple[int, ...] = tuple(RISK_LABELS)

TOPIC_LABELS: dict[str, str] = {
    "deposit": N_("Deposits"),
    "wealth": N_("Wealth and funds"),
    "card": N_("Bank cards"),
    "loan": N_("Loans"),
    "service": N_("Customer service"),
    "compliance": N_("Compliance"),
}
"""Knowledge-base topics, in the order the knowledge base lists them."""

KIND_LABELS: dict[str, str] = {
    "article": N_("Article"),
    "faq": N_("FAQ"),
}


def category_label(category: str, locale: str) -> str:
    """The name of a product category in ``locale`` (the identifier itself if unknown)."""
    label = CATEGORY_LABELS.get(category)
    return translate(label, locale) if label else category


def risk_label(level: int, locale: str) -> str:
    """``R2 稳健型`` / ``R2 Steady``: the code and the word of a risk level."""
    label = RISK_LABELS.get(level)
    return f"R{level} {translate(label, locale)}" if label else f"R{level}"


def topic_label(topic: str, locale: str) -> str:
    """The name of a knowledge-base topic in ``locale`` (the identifier itself if unknown)."""
    label = TOPIC_LABELS.get(topic)
    return translate(label, locale) if label else topic


def kind_label(kind: str, locale: str) -> str:
    """``Article`` or ``FAQ`` in ``locale``."""
    label = KIND_LABELS.get(kind)
    return translate(label, locale) if label else kind


def term_label(term_days: int | None, locale: str) -> str:
    """A product's term as staff say it: years when whole, else months (a bank quarter is 91
    days, a half-year 182), else days; open-ended products have no fixed term."""
    if term_days is None or term_days <= 0:
        return translate(N_("No fixed term"), locale)
    if term_days % 365 == 0:
        return _count(term_days // 365, N_("1 year"), N_("{count} years"), locale)
    months = round(term_days / 30.4)
    if months >= 1 and abs(months * 30.4 - term_days) <= 3:
        return _count(months, N_("1 month"), N_("{count} months"), locale)
    return _count(term_days, N_("1 day"), N_("{count} days"), locale)


def _count(count: int, one: str, many: str, locale: str) -> str:
    # English says "1 year" but "3 years"; Chinese has one form, so each has its msgid.
    return translate(one, locale) if count == 1 else translate(many, locale).format(count=count)
