"""Customer tiers from assets under management."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from smartbranch.customers.models import TIER_ORDER, Tier
from smartbranch.i18n import N_

TIER_LABELS = {
    Tier.STANDARD: N_("Standard"),
    Tier.GOLD: N_("Gold"),
    Tier.PLATINUM: N_("Platinum"),
    Tier.DIAMOND: N_("Diamond"),
    Tier.PRIVATE: N_("Private Banking"),
}


def tier_for_aum(aum: Decimal, thresholds: Sequence[Decimal]) -> Tier:
    """The tier of a customer with ``aum`` CNY, given the lower bounds of gold, platinum,
    diamond and private banking."""
    tier = Tier.STANDARD
    for candidate, bound in zip(TIER_ORDER[1:], thresholds, strict=True):
        if aum >= bound:
            tier = candidate
    return tier
