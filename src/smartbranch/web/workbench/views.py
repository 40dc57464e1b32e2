"""How the workbench and the counter brief show values: times in the outlet's time zone,
amounts in yuan, the names of tiers, categories and credentials in the page's language.

Templates receive these as functions (:func:`formatters`), so what a page shows is decided
on the server and the pages' script never formats or translates anything.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from smartbranch.catalog.labels import category_label
from smartbranch.customers.models import Tier
from smartbranch.customers.tiers import TIER_LABELS
from smartbranch.i18n import N_, translate

#: The glossary's names of what a customer presents (借记卡, 信用卡, 存折, 二代身份证).
CREDENTIAL_LABELS = {
    "debit_card": N_("Debit card"),
    "credit_card": N_("Credit card"),
    "passbook": N_("Passbook"),
    "id_card": N_("Resident ID card"),
}

CREDENTIAL_STATUS_LABELS = {
    "active": N_("In use"),
    "lost": N_("Reported lost"),
    "closed": N_("Closed"),
}


def tier_labels(locale: str) -> dict[str, str]:
    """Every tier's name in ``locale`` (the live toasts name the tier an event carries)."""
    return {tier.value: translate(label, locale) for tier, label in TIER_LABELS.items()}


def formatters(locale: str, timezone: str) -> dict[str, Callable[..., str]]:
    """The functions the workbench templates format values with."""
    zone = ZoneInfo(timezone)

    def hhmm(moment: datetime) -> str:
        """A time of today at the outlet, as staff read a clock."""
        return moment.astimezone(zone).strftime("%H:%M")

    def day(moment: datetime) -> str:
        """The outlet-local date of a moment (ISO, as the date inputs show dates)."""
        return moment.astimezone(zone).date().isoformat()

    def money(amount: Decimal | int | float) -> str:
        """Yuan with thousands separators and fen (the value is never rounded further)."""
        return f"{Decimal(amount):,.2f}"

    def tier_label(tier: str) -> str:
        try:
            return translate(TIER_LABELS[Tier(tier)], locale)
        except ValueError:
            return tier

    def credential_label(kind: str) -> str:
        label = CREDENTIAL_LABELS.get(kind)
        return translate(label, locale) if label else kind

    def credential_status(status: str) -> str:
        label = CREDENTIAL_STATUS_LABELS.get(status)
        return translate(label, locale) if label else status

    def category(code: str) -> str:
        return category_label(code, locale)

    return {
        "hhmm": hhmm,
        "day": day,
        "money": money,
        "tier_label": tier_label,
        "credential_label": credential_label,
        "credential_status": credential_status,
        "category_label": category,
    }


def merge(*parts: dict[str, Any]) -> dict[str, Any]:
    """One template context from several (later keys win)."""
    context: dict[str, Any] = {}
    for part in parts:
        context.update(part)
    return context
