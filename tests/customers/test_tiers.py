"""Tiers from assets under management."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smartbranch.customers.models import Tier
from smartbranch.customers.tiers import tier_for_aum
from smartbranch.settings import Settings

THRESHOLDS = Settings().tier_thresholds_cny


class TestTierForAum:
    @pytest.mark.parametrize(
        ("aum", "tier"),
        [
            ("0", Tier.STANDARD),
            ("49999.99", Tier.STANDARD),
            ("50000", Tier.GOLD),
            ("499999.99", Tier.GOLD),
            ("500000", Tier.PLATINUM),
            ("2000000", Tier.DIAMOND),
            ("5999999.99", Tier.DIAMOND),
            ("6000000", Tier.PRIVATE),
        ],
    )
    def test_default_thresholds(self, aum: str, tier: Tier) -> None:
        assert tier_for_aum(Decimal(aum), THRESHOLDS) == tier
