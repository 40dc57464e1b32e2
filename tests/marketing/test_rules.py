"""Rule conditions: only safe boolean expressions over catalog features get through."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from smartbranch.marketing.errors import (
    InvalidRuleConditionError,
    InvalidRuleError,
    InvalidScriptError,
)
from smartbranch.marketing.library import DEFAULT_RULE_BY_CODE
from smartbranch.marketing.rules import (
    MAX_CONDITION_LENGTH,
    condition_features,
    condition_sql,
    validate_condition,
    validate_rule,
)
from smartbranch.simulation.products import PRODUCT_CODES
from tests.marketing.customers import customer, evaluate


def rejected(text: str) -> InvalidRuleConditionError:
    with pytest.raises(InvalidRuleConditionError) as caught:
        validate_condition(text)
    return caught.value


class TestInjection:
    @pytest.mark.parametrize(
        ("text", "part"),
        [
            ("1=1; DROP TABLE customers", "DROP TABLE customers"),
            ("aum > 1; SELECT * FROM customers", "SELECT * FROM customers"),
            ("aum > 1;", ";"),
            ("aum > (SELECT 1)", "(SELECT 1)"),
            ("aum IN (SELECT aum FROM customers)", "aum IN (SELECT aum FROM customers)"),
            ("EXISTS (SELECT 1)", "EXISTS(SELECT 1)"),
            ("aum > 1 UNION SELECT 1", "aum > 1 UNION SELECT 1"),
            ("aum = ANY(SELECT 1)", "(SELECT 1)"),
        ],
    )
    def test_statements_and_subqueries(self, text: str, part: str) -> None:
        error = rejected(text)
        assert error.code == "invalid_rule_condition"
        assert error.status_code == 422
        assert part in error.part

    @pytest.mark.parametrize(
        ("text", "name"),
        [
            ("read_csv('x') IS NULL", "READ_CSV"),
            ("pg_sleep(10) IS NULL", "PG_SLEEP"),
            ("system('rm -rf /') IS NULL", "SYSTEM"),
            ("getenv('HOME') = 'x'", "GETENV"),
            ("random() < 0.5", "RAND"),
            ("current_date > birth_date", "CURRENT_DATE"),
            ("IF(is_payroll, TRUE, FALSE)", "IF"),
            ("length(read_text('/etc/passwd')) > 0", "READ_TEXT"),
        ],
    )
    def test_disallowed_functions_are_named(self, text: str, name: str) -> None:
        error = rejected(text)
        assert error.part == name
        assert f"The function {name} is not allowed" in error.localized("en")
        assert f"函数 {name}" in error.localized("zh_CN")

    @pytest.mark.parametrize(
        ("text", "part"),
        [
            ("aum > 1 -- AND 1=1", "AND 1=1"),
            ("aum /* hidden */ > 1", "hidden"),
            ("aum > 1 /* ; DROP TABLE customers */", "; DROP TABLE customers"),
        ],
    )
    def test_comments_are_refused(self, text: str, part: str) -> None:
        assert rejected(text).part == part

    def test_unknown_column_is_named(self) -> None:
        error = rejected("aum > 1 AND password_hash IS NOT NULL")
        assert error.part == "password_hash"
        assert "“password_hash”" in error.localized("en")
        assert "“password_hash”" in error.localized("zh_CN")

    def test_bare_word_hints_at_quotes(self) -> None:
        assert "single quotes" in rejected("tier = gold").localized("en")

    @pytest.mark.parametrize("text", ["customers.aum > 1", "main.customers.aum > 1", "c.aum > 1"])
    def test_qualified_columns(self, text: str) -> None:
        error = rejected(text)
        assert "aum" in error.part and "." in error.part
        assert "without a table" in error.localized("en")

    @pytest.mark.parametrize(
        "text",
        [
            "$1 > 1",
            "? > 1",
            "* > 1",
            "aum::int > 1",
            "CAST(aum AS VARCHAR) = '1'",
            "aum // 2 > 1",
            "tier || 'x' = 'goldx'",
            "aum BETWEEN SYMMETRIC 1 AND 2",
            "home_city LIKE 'a\\%'",
            "home_city LIKE home_city",
            "aum IN (1, aum)",
            "ROUND(aum, age) > 1",
            "[1, 2] IS NULL",
            "{'a': 1} IS NULL",
        ],
    )
    def test_other_constructs(self, text: str) -> None:
        assert rejected(text).part

    def test_empty_and_too_long(self) -> None:
        assert rejected("   ").localized("en") == "The rule condition is empty."
        long = " OR ".join(["aum > 1"] * 400)
        assert len(long) > MAX_CONDITION_LENGTH
        assert "too long" in rejected(long).localized("en")

    def test_deep_nesting(self) -> None:
        assert rejected("(" * 900 + "aum > 1" + ")" * 900).part

    def test_unreadable(self) -> None:
        assert "cannot be read" in rejected("aum > 1 OR (").localized("en")
        assert rejected("aum >").part


class TestTypes:
    @pytest.mark.parametrize(
        ("text", "found"),
        [
            ("aum", "a number"),
            ("aum + 1", "a number"),
            ("tier", "text"),
            ("birth_date", "a date"),
            ("CASE WHEN is_payroll THEN 1 ELSE 0 END", "a number"),
        ],
    )
    def test_must_be_true_or_false(self, text: str, found: str) -> None:
        message = rejected(text).localized("en")
        assert "must be true or false" in message and found in message

    @pytest.mark.parametrize(
        "text",
        [
            "tier > 5",
            "aum = 'gold'",
            "is_payroll AND aum",
            "NOT aum",
            "aum LIKE '1%'",
            "tier + 1 > 2",
            "birth_date > 5",
            "tier IN ('gold', 3)",
            "aum BETWEEN 'a' AND 'b'",
            "COALESCE(aum, 'x') > 1",
            "CASE WHEN aum THEN TRUE END",
            "LOWER(aum) = 'x'",
        ],
    )
    def test_mismatched_kinds(self, text: str) -> None:
        error = rejected(text)
        assert "needed" in error.localized("en")
        # The kinds are translated with the message.
        zh = error.localized("zh_CN")
        assert any(word in zh for word in ("数值", "文本", "真/假", "日期"))

    def test_null_comparisons_point_to_is_null(self) -> None:
        assert "IS NULL" in rejected("tier = NULL").localized("en")


class TestAccepted:
    @pytest.mark.parametrize(
        "text",
        [
            "aum_avg_3m >= 50000",
            "tier IN ('gold', 'platinum') AND NOT has_credit_card",
            "is_payroll",
            "is_payroll = TRUE",
            "is_payroll IS TRUE",
            "risk_tolerance IS NOT NULL AND risk_tolerance BETWEEN 2 AND 5",
            "aum NOT BETWEEN 1 AND 2",
            "home_city LIKE '上海%' OR home_city NOT LIKE '北%'",
            "birth_date < DATE '1990-01-01'",
            "CASE WHEN tier = 'gold' THEN aum > 100000 ELSE FALSE END",
            "CASE tier WHEN 'gold' THEN 1 WHEN 'platinum' THEN 2 ELSE 0 END >= 1",
            "COALESCE(payroll_monthly, 0) * 12 > 100000",
            "ABS(aum - aum_avg_3m) / GREATEST(aum_avg_3m, 1) > 0.2",
            "LEAST(aum, aum_peak_12m) > 1e5 AND ROUND(aum / 3, 2) > -5",
            "CEIL(aum) >= FLOOR(aum) AND aum % 2 = 0",
            "LENGTH(LOWER(UPPER(home_city))) >= 2",
            "(aum > 1 OR aum < -1) AND NOT (tier = 'private')",
        ],
    )
    def test_valid_conditions(self, text: str) -> None:
        expression = validate_condition(text)
        for dialect in ("duckdb", "spark"):
            assert condition_sql(expression, dialect)  # type: ignore[arg-type]
        evaluate(text, [customer()])  # DuckDB binds and runs it

    def test_names_are_normalised_to_the_catalog(self) -> None:
        expression = validate_condition("AUM > 1 AND \"Tier\" = 'gold'")
        assert condition_sql(expression, "duckdb") == "aum > 1 AND tier = 'gold'"
        assert condition_sql(expression, "spark") == "aum > 1 AND tier = 'gold'"
        assert condition_features(expression) == {"aum", "tier"}

    def test_spark_sql_spells_dates_and_strings_for_spark(self) -> None:
        expression = validate_condition("birth_date < DATE '1990-01-01' AND home_city = 'O''Hare'")
        spark = condition_sql(expression, "spark")
        assert "CAST('1990-01-01' AS DATE)" in spark
        assert "'O\\'Hare'" in spark


class TestValidateRule:
    spec = DEFAULT_RULE_BY_CODE["NEAR_THRESHOLD"]

    def problem(self, **changes: object) -> InvalidRuleError:
        with pytest.raises(InvalidRuleError) as caught:
            validate_rule(replace(self.spec, **changes), product_codes=PRODUCT_CODES)  # type: ignore[arg-type]
        return caught.value

    def test_a_valid_rule_passes(self) -> None:
        validate_rule(self.spec, product_codes=PRODUCT_CODES)

    def test_unknown_product(self) -> None:
        assert self.problem(product_code="GOLD-BAR").part == "GOLD-BAR"

    def test_channels_and_roles(self) -> None:
        assert self.problem(channels=("tablet", "fax")).part == "fax"
        assert self.problem(channels=()).part == "—"
        assert self.problem(channels=("tablet", "tablet")).part == "tablet, tablet"
        assert self.problem(roles=("auditor",)).part == "auditor"

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("control_share", 0.6),
            ("control_share", -0.1),
            ("cooldown_days", -1),
            ("max_presentations", 0),
            ("valid_days", 0),
            ("attribution_days", 400),
            ("weight", 0),
            ("prior_propensity", 1.0),
            ("value", Decimal("-1")),
        ],
    )
    def test_numbers_in_range(self, field: str, value: object) -> None:
        error = self.problem(**{field: value})
        assert field in error.localized("en")

    def test_code_family_and_name(self) -> None:
        assert self.problem(code="near threshold").part == "near threshold"
        assert self.problem(family="lottery").part == "lottery"
        assert self.problem(name=" ").code == "invalid_rule"

    def test_condition_and_script_errors_surface(self) -> None:
        with pytest.raises(InvalidRuleConditionError):
            validate_rule(
                replace(self.spec, condition="aum > (SELECT 1)"), product_codes=PRODUCT_CODES
            )
        with pytest.raises(InvalidScriptError):
            validate_rule(replace(self.spec, script_en="{{ secret }}"), product_codes=PRODUCT_CODES)
        assert self.problem(script_zh="").code == "invalid_rule"


class TestDivision:
    def test_a_zero_divisor_gives_null_not_an_error(self) -> None:
        # Spark in ANSI mode raises on division by zero; the generated SQL guards it.
        expression = validate_condition("aum / aum_avg_3m > 1.1 AND aum % 3 = 0")
        spark = condition_sql(expression, "spark")
        assert "aum / NULLIF(aum_avg_3m, 0)" in spark and "aum % 3" in spark
        rows = [customer(aum=120000, aum_avg_3m=0), customer(aum=150000, aum_avg_3m=100000)]
        assert evaluate("aum / aum_avg_3m > 1.1", rows) == [None, True]

    def test_the_checked_expression_itself_is_unchanged(self) -> None:
        expression = validate_condition("aum / aum_avg_3m > 1.1")
        condition_sql(expression, "duckdb")
        assert validate_condition(expression.sql(dialect="duckdb")) == expression
