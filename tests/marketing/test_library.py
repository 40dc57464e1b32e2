"""The default rule library: complete, valid, suitable, and each rule fires where it should."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.marketing.library import (
    DEFAULT_CAMPAIGN_CODE,
    DEFAULT_RULE_BY_CODE,
    DEFAULT_RULES,
    install_default_library,
    library_markdown,
)
from smartbranch.marketing.models import Campaign, LeadRule
from smartbranch.marketing.rules import RULE_FAMILIES, validate_rule
from smartbranch.marketing.scripts import render_script, script_context
from smartbranch.orgs.service import OrgNotFoundError
from smartbranch.simulation.products import PRODUCT_SHELF
from smartbranch.simulation.schema import OFFER_FAMILIES
from tests.fixtures.bank import Bank
from tests.fixtures.marketing import add_shelf
from tests.marketing.cases import CASES
from tests.marketing.customers import BASELINE, customer, evaluate, fires

PRODUCTS = {p.code: p for p in PRODUCT_SHELF}
ROOT = Path(__file__).resolve().parents[2]
SEED_LEAD_TYPES = (
    "card_upgrade",
    "repeat_maturing",
    "quick_feature",
    "segment_mix",
    "near_threshold",
    "payroll",
    "loan_prepaid",
    "platinum_card_value",
    "counter_card_fast",
)


class TestLibraryShape:
    def test_every_rule_is_valid_against_the_synthetic_shelf(self) -> None:
        for rule in DEFAULT_RULES:
            validate_rule(rule, product_codes=PRODUCTS)

    def test_codes_are_unique(self) -> None:
        assert len(DEFAULT_RULE_BY_CODE) == len(DEFAULT_RULES)

    def test_the_seeds_eleven_lead_types_are_covered(self) -> None:
        families = [rule.family for rule in DEFAULT_RULES]
        # Seven named types, six feature groups, six kinds of value uplift (four named, two
        # of ours from the wealth/fund/insurance families).
        for family in SEED_LEAD_TYPES:
            assert family in families, family
        assert families.count("quick_feature") == 6
        uplift = {"near_threshold", "payroll", "loan_prepaid", "platinum_card_value"}
        extra = {f for f in families if f in ("wealth", "fund", "insurance")}
        assert len(uplift | extra) == 6
        assert families.count("segment_mix") >= 1

    def test_families_are_the_simulators_offer_families(self) -> None:
        assert set(RULE_FAMILIES) == set(OFFER_FAMILIES)

    def test_control_share_is_ten_percent(self) -> None:
        assert {rule.control_share for rule in DEFAULT_RULES} == {0.1}

    def test_tellers_see_no_wealth_fund_or_insurance_leads(self) -> None:
        for rule in DEFAULT_RULES:
            if PRODUCTS[rule.product_code].category in ("wealth", "fund", "insurance"):
                assert "teller" not in rule.roles, rule.code
                assert "counter" not in rule.channels, rule.code


class TestSuitability:
    """A rule never reaches a customer whose risk tolerance or tier its product exceeds."""

    @pytest.mark.parametrize("code", [r.code for r in DEFAULT_RULES])
    def test_below_the_products_risk_level_or_tier_never_fires(self, code: str) -> None:
        rule = DEFAULT_RULE_BY_CODE[code]
        product = PRODUCTS[rule.product_code]
        firing = [c[2] for c in CASES if c[0] == code and c[3]]
        assert firing, f"{code} has no firing case"
        for overrides in firing:
            assert fires(rule.condition, customer(**overrides))
            if product.risk_level >= 2:
                unsuitable = {**overrides, "risk_tolerance": product.risk_level - 1}
                assert not fires(rule.condition, customer(**unsuitable)), code
                assert not fires(rule.condition, customer(**{**overrides, "risk_tolerance": None}))
            if product.min_tier >= 1:
                too_low = {**overrides, "tier_rank": product.min_tier - 1}
                assert not fires(rule.condition, customer(**too_low)), code


class TestRulesFire:
    def test_the_baseline_customer_triggers_no_rule(self) -> None:
        fired = [r.code for r in DEFAULT_RULES if fires(r.condition, BASELINE)]
        assert fired == []

    def test_every_rule_has_a_firing_case_and_a_near_miss(self) -> None:
        for rule in DEFAULT_RULES:
            outcomes = {expected for code, _, _, expected in CASES if code == rule.code}
            assert outcomes == {True, False}, rule.code

    @pytest.mark.parametrize(
        ("code", "overrides", "expected"),
        [(code, overrides, expected) for code, _, overrides, expected in CASES],
        ids=[f"{code}-{label}" for code, label, _, _ in CASES],
    )
    def test_case(self, code: str, overrides: dict[str, Any], expected: bool) -> None:
        assert fires(DEFAULT_RULE_BY_CODE[code].condition, customer(**overrides)) is expected

    def test_missing_values_do_not_fire(self) -> None:
        # A feature the warehouse could not compute is NULL: a rule on it stays quiet.
        row = customer(maturing_30d_amount=None, matured_60d_amount=None, risk_tolerance=1)
        assert evaluate(DEFAULT_RULE_BY_CODE["REPEAT_MATURING_DEPOSIT"].condition, [row]) == [None]


class TestScripts:
    @pytest.mark.parametrize("code", [r.code for r in DEFAULT_RULES])
    def test_scripts_render_in_both_languages(self, code: str) -> None:
        rule = DEFAULT_RULE_BY_CODE[code]
        product = PRODUCTS[rule.product_code]
        overrides = next(c[2] for c in CASES if c[0] == code and c[3])
        features = customer(**overrides)
        zh = render_script(
            rule.script_zh,
            script_context(
                features,
                customer_name="王小明",
                gender="M",
                product_name=product.name,
                locale="zh_CN",
            ),
            "zh_CN",
        )
        en = render_script(
            rule.script_en,
            script_context(
                features,
                customer_name="王小明",
                gender="M",
                product_name=product.name_en,
                locale="en",
            ),
            "en",
        )
        assert zh.startswith("王先生") or "王先生" in zh[:12]
        assert product.name in zh
        assert "Mr Wang" in en
        assert product.name_en in en
        for text in (zh, en):
            assert "{{" not in text and "{%" not in text and "None" not in text

    def test_amounts_read_naturally(self) -> None:
        rule = DEFAULT_RULE_BY_CODE["NEAR_THRESHOLD"]
        features = customer(aum_avg_3m=452000, next_tier_gap=48000)
        zh = render_script(
            rule.script_zh,
            script_context(
                features,
                customer_name="欧阳娜",
                gender="F",
                product_name="定期存款（六个月）",
                locale="zh_CN",
            ),
            "zh_CN",
        )
        en = render_script(
            rule.script_en,
            script_context(
                features,
                customer_name="欧阳娜",
                gender="F",
                product_name="Time Deposit, 6 Months",
                locale="en",
            ),
            "en",
        )
        assert zh.startswith("欧阳女士您好！")
        assert "45.2 万元" in zh and "4.8 万元" in zh and "白金卡客户" in zh
        assert en.startswith("Hello Ms Ouyang.")
        assert "CNY 452,000" in en and "CNY 48,000" in en and "a Platinum customer" in en

    def test_maturing_script_chooses_its_sentence(self) -> None:
        rule = DEFAULT_RULE_BY_CODE["REPEAT_MATURING_DEPOSIT"]

        def render(**overrides: Any) -> str:
            features = customer(risk_tolerance=1, **overrides)
            context = script_context(
                features,
                customer_name="李静",
                gender="F",
                product_name="定期存款（一年）",
                locale="zh_CN",
            )
            return render_script(rule.script_zh, context, "zh_CN")

        assert "30 天内到期" in render(maturing_30d_amount=20000)
        assert "已经到期" in render(matured_60d_amount=20000)


class TestDocs:
    def test_docs_rules_md_is_current(self) -> None:
        current = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
        assert current == library_markdown(), (
            "docs/rules.md is stale: .venv/bin/python -m smartbranch.marketing.library "
            "> docs/rules.md"
        )


class TestInstall:
    async def test_installs_the_campaign_and_every_rule(
        self, session: AsyncSession, bank: Bank
    ) -> None:
        await add_shelf(session)
        added = await install_default_library(session)
        assert added == len(DEFAULT_RULES)
        campaign = await session.scalar(
            select(Campaign).where(Campaign.code == DEFAULT_CAMPAIGN_CODE)
        )
        assert campaign is not None and campaign.owner_org_id == bank.orgs["HO"].id
        rules = {r.code: r for r in await session.scalars(select(LeadRule))}
        assert set(rules) == set(DEFAULT_RULE_BY_CODE)
        near = rules["NEAR_THRESHOLD"]
        spec = DEFAULT_RULE_BY_CODE["NEAR_THRESHOLD"]
        assert (near.condition, near.product_code, near.value, near.channels) == (
            spec.condition,
            spec.product_code,
            spec.value,
            list(spec.channels),
        )
        assert near.campaign_id == campaign.id and near.owner_org_id == bank.orgs["HO"].id

    async def test_rerunning_adds_only_missing_rules_and_keeps_edits(
        self, session: AsyncSession, bank: Bank
    ) -> None:
        await add_shelf(session)
        await install_default_library(session)
        edited = await session.scalar(select(LeadRule).where(LeadRule.code == "QF_BIRTHDAY"))
        assert edited is not None
        edited.script_zh = "{{ greeting }}，生日快乐！"
        removed = await session.scalar(select(LeadRule).where(LeadRule.code == "SEG_SENIOR"))
        await session.delete(removed)
        await session.flush()

        assert await install_default_library(session) == 1
        assert await install_default_library(session) == 0
        await session.refresh(edited)
        assert edited.script_zh == "{{ greeting }}，生日快乐！"
        assert await session.scalar(select(func.count()).select_from(LeadRule)) == len(
            DEFAULT_RULES
        )
        assert await session.scalar(select(func.count()).select_from(Campaign)) == 1

    async def test_a_shelf_without_the_products_is_refused_before_writing(
        self, session: AsyncSession, bank: Bank
    ) -> None:
        from smartbranch.marketing.errors import InvalidRuleError

        with pytest.raises(InvalidRuleError) as caught:
            await install_default_library(session)  # the bank fixture sells one product only
        assert caught.value.part == DEFAULT_RULES[0].product_code
        assert await session.scalar(select(func.count()).select_from(Campaign)) == 0

    async def test_unknown_owner(self, session: AsyncSession, bank: Bank) -> None:
        with pytest.raises(OrgNotFoundError):
            await install_default_library(session, owner_org_code="NOPE")
