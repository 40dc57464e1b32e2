"""Marketing scripts: known variables only, no way out of the sandbox, money read naturally."""

from __future__ import annotations

from decimal import Decimal

import pytest
from jinja2 import UndefinedError
from jinja2.exceptions import SecurityError

from smartbranch.marketing.errors import InvalidScriptError
from smartbranch.marketing.scripts import (
    MAX_SCRIPT_LENGTH,
    format_cny,
    format_days,
    render_script,
    script_context,
    script_features,
    validate_script,
)
from tests.marketing.customers import customer


def rejected(template: str) -> InvalidScriptError:
    with pytest.raises(InvalidScriptError) as caught:
        validate_script(template)
    assert caught.value.code == "invalid_rule_script"
    assert caught.value.status_code == 422
    return caught.value


class TestMoney:
    @pytest.mark.parametrize(
        ("value", "zh", "en"),
        [
            (Decimal("452000"), "45.2 万元", "CNY 452,000"),
            (Decimal("452345.67"), "45.2 万元", "CNY 452,346"),
            (Decimal("10000"), "1 万元", "CNY 10,000"),
            (Decimal("8500"), "8,500 元", "CNY 8,500"),
            (Decimal("9999.60"), "10,000 元", "CNY 10,000"),
            (Decimal("99999"), "10 万元", "CNY 99,999"),
            (Decimal("6000000"), "600 万元", "CNY 6,000,000"),
            (Decimal("99999999"), "1 亿元", "CNY 99,999,999"),
            (Decimal("123456789"), "1.23 亿元", "CNY 123,456,789"),
            (Decimal("0"), "0 元", "CNY 0"),
            (Decimal("-50000"), "-5 万元", "CNY -50,000"),
            (452000, "45.2 万元", "CNY 452,000"),
            (452000.0, "45.2 万元", "CNY 452,000"),
            (None, "—", "—"),
        ],
    )
    def test_cny(self, value: object, zh: str, en: str) -> None:
        assert format_cny(value, "zh_CN") == zh
        assert format_cny(value, "en") == en

    def test_days(self) -> None:
        assert format_days(30, "zh_CN") == "30 天"
        assert format_days(30, "en") == "30 days"
        assert format_days(1, "en") == "1 day"
        assert format_days(None, "en") == "—"


class TestValidate:
    def test_a_good_script(self) -> None:
        validate_script(
            "{{ greeting }}您好！您的资产 {{ aum|cny }}{% if maturity_soon %}，"
            "{{ maturing_30d_amount|cny }} 将在 {{ 30|days }} 内到期{% endif %}。"
            "{{ product_name }} / {{ tier_label }} → {{ next_tier_label }}"
            "{{ (aum * 0.1)|round(0)|int }} {{ home_city|default('—')|upper }}"
            "{% if risk_tolerance is none %}?{% endif %}"
        )

    @pytest.mark.parametrize("name", ["secret", "customer", "request", "config", "lipsum", "range"])
    def test_unknown_variable_is_named(self, name: str) -> None:
        error = rejected(f"{{{{ greeting }}}} {{{{ {name} }}}}")
        assert error.part == name
        assert f"“{name}”" in error.localized("en")
        assert f"“{name}”" in error.localized("zh_CN")

    @pytest.mark.parametrize(
        ("template", "part"),
        [
            ("{{ ''.__class__ }}", ".__class__"),
            ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "()"),
            ("{{ greeting.upper() }}", "()"),
            ("{{ greeting['__class__'] }}", "[…]"),
            ("{{ aum|attr('__class__') }}", "attr"),
            ("{{ cycler.__init__.__globals__ }}", ".__globals__"),
            ("{% for x in aum %}{% endfor %}", "{% for %}"),
            ("{% set x = 1 %}", "{% set %}"),
            ("{% macro m() %}{% endmacro %}", "{% macro %}"),
            ("{% include 'x' %}", "{% include %}"),
            ("{% extends 'x' %}", "{% extends %}"),
            ("{% import 'x' as y %}", "{% import %}"),
            ("{{ 9 ** 9 ** 9 }}", "Pow"),
            ("{{ [1, 2] }}", "List"),
            ("{{ aum|format('%s') }}", "format"),
            ("{% if aum is callable %}x{% endif %}", "callable"),
            ("{{ aum|cny(*x) }}", "cny"),
        ],
    )
    def test_escape_attempts_are_rejected(self, template: str, part: str) -> None:
        assert rejected(template).part == part

    def test_syntax_error_names_the_line(self) -> None:
        error = rejected("您好\n{{ greeting ")
        assert "line 2" in error.localized("en")

    def test_empty_and_too_long(self) -> None:
        assert rejected(" ").localized("en") == "The script is empty."
        assert "too long" in rejected("x" * (MAX_SCRIPT_LENGTH + 1)).localized("en")


class TestRender:
    def context(self, locale: str, **overrides: object) -> dict[str, object]:
        return script_context(
            customer(**overrides),
            customer_name="欧阳娜",
            gender="F",
            product_name="稳盈季季红" if locale != "en" else "Steady Income Quarterly",
            locale=locale,
        )

    def test_both_languages(self) -> None:
        template = (
            "{{ greeting }}: {{ aum|cny }}, {{ tier_label }}→{{ next_tier_label }}, "
            "{{ product_name }}"
        )
        assert (
            render_script(template, self.context("zh_CN", aum=452000), "zh_CN")
            == "欧阳女士: 45.2 万元, 金卡→白金卡, 稳盈季季红"
        )
        assert (
            render_script(template, self.context("en", aum=452000), "en")
            == "Ms Ouyang: CNY 452,000, Gold→Platinum, Steady Income Quarterly"
        )

    def test_private_banking_has_no_next_tier(self) -> None:
        context = self.context("zh_CN", tier="private", tier_rank=4)
        assert (
            render_script("{{ tier_label }}|{{ next_tier_label }}", context, "zh_CN") == "私人银行|"
        )

    def test_missing_value_prints_nothing_and_money_a_dash(self) -> None:
        context = self.context("en", home_city=None, aum=None)
        assert render_script("[{{ home_city }}] {{ aum|cny }}", context, "en") == "[] —"

    def test_the_sandbox_holds_at_render_time_too(self) -> None:
        # Validation is the first line; the immutable sandbox is the second.
        with pytest.raises(SecurityError):
            render_script("{{ greeting * 100000000 }}", self.context("en"), "en")
        with pytest.raises(SecurityError):
            render_script("{{ ''.__class__ }}", {}, "en")

    def test_a_variable_missing_from_the_context_raises(self) -> None:
        with pytest.raises(UndefinedError):
            render_script("{{ greeting }}", {}, "zh_CN")

    def test_compiled_once_per_template_and_locale(self) -> None:
        from smartbranch.marketing import scripts

        template = "{{ greeting }} cache probe"
        render_script(template, self.context("en"), "en")
        before = scripts._compiled.cache_info()
        for _ in range(5):
            render_script(template, self.context("en"), "en")
        after = scripts._compiled.cache_info()
        assert after.misses == before.misses
        assert after.hits == before.hits + 5


class TestScriptFeatures:
    def test_names_the_catalog_features_a_script_reads_and_nothing_else(self) -> None:
        template = (
            "{{ greeting }}，您的资产 {{ aum | cny }}，"
            "{% if aum_avg_3m > 0 %}距{{ next_tier_label }}"
            "还差 {{ next_tier_gap | cny }}{% endif %}"
        )
        # ``aum`` is read on its own, not only as part of ``aum_avg_3m``; context variables
        # (greeting, next_tier_label) are not features.
        assert script_features(template) == {"aum", "aum_avg_3m", "next_tier_gap"}
        assert script_features("{{ greeting }}") == frozenset()
