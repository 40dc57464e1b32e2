"""Lead rules: their specification and the validation of their conditions.

A rule's condition is a SQL boolean expression over the feature catalog, written by a
marketing admin and executed by the nightly engines (DuckDB, Spark) inside their own SQL.
It is therefore parsed with SQLGlot and checked against a whitelist — catalog features as
bare columns, literals, comparison/boolean/arithmetic operators, ``BETWEEN``, ``IN`` over
literals, ``IS [NOT] NULL``, ``LIKE``, ``CASE``, ``COALESCE`` and a few pure functions — with
a light type check, so that a condition that passes here cannot read another table, call a
function with side effects, or fail at run time on a type mismatch. Anything else is
rejected with an error that names the offending part.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokenizer_core import TokenType

from smartbranch.customers.features import FEATURE_BY_NAME, FeatureType
from smartbranch.i18n import N_
from smartbranch.marketing.errors import InvalidRuleConditionError, InvalidRuleError
from smartbranch.marketing.models import CHANNELS
from smartbranch.marketing.scripts import validate_script
from smartbranch.orgs.models import Role

MAX_CONDITION_LENGTH = 2000
MAX_CONDITION_NODES = 400
"""Generous for any real rule; bounds the work a hostile condition can cause."""

Dialect = Literal["duckdb", "spark"]

RULE_FAMILIES: tuple[str, ...] = (
    "card_upgrade",
    "repeat_maturing",
    "quick_feature",
    "segment_mix",
    "near_threshold",
    "payroll",
    "loan_prepaid",
    "platinum_card_value",
    "counter_card_fast",
    "wealth",
    "fund",
    "insurance",
)
"""The seed's lead types (GLOSSARY), the same names as the simulator's offer families."""

SERVING_ROLES: tuple[str, ...] = (
    Role.LOBBY_MANAGER,
    Role.WEALTH_MANAGER,
    Role.ACCOUNT_MANAGER,
    Role.TELLER,
    Role.OUTLET_MANAGER,
)
"""Roles that meet customers and may be shown leads."""

_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,47}$")


@dataclass(frozen=True)
class RuleSpec:
    """A lead rule as authored: the columns of ``LeadRule`` without ownership and ids."""

    code: str
    name: str
    name_en: str
    family: str
    condition: str
    product_code: str
    value: Decimal
    """Expected value of a conversion to the bank, CNY."""
    channels: tuple[str, ...]
    roles: tuple[str, ...]
    script_zh: str
    script_en: str
    weight: float = 1.0
    cooldown_days: int = 30
    max_presentations: int = 3
    control_share: float = 0.1
    attribution_days: int = 30
    valid_days: int = 7
    prior_propensity: float = 0.05


# --- condition validation ---------------------------------------------------------------

# Kinds of value, for the type check; each is a message id (shown in errors).
NUMBER = N_("a number")
TEXT = N_("text")
BOOLEAN = N_("true/false")
DATE = N_("a date")
NULL = N_("NULL")

_FEATURE_KIND = {
    FeatureType.INTEGER: NUMBER,
    FeatureType.DECIMAL: NUMBER,
    FeatureType.BOOLEAN: BOOLEAN,
    FeatureType.DATE: DATE,
    FeatureType.TEXT: TEXT,
}

ALLOWED_FUNCTIONS: tuple[str, ...] = (
    "ABS",
    "ROUND",
    "FLOOR",
    "CEIL",
    "LEAST",
    "GREATEST",
    "COALESCE",
    "LOWER",
    "UPPER",
    "LENGTH",
)
"""Pure, deterministic functions that DuckDB and Spark evaluate alike."""

_MISMATCH = N_("In “{part}”, {operand} is {found} where {expected} is needed.")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _fail(message: str, node: exp.Expr | str, **params: str) -> InvalidRuleConditionError:
    part = node if isinstance(node, str) else node.sql(dialect="duckdb")
    return InvalidRuleConditionError(message, part=part, **params)


class _Checker:
    """Walks a parsed condition, checking each node against the whitelist and inferring
    the kind of value it yields."""

    def __init__(self) -> None:
        self.visited: set[int] = set()
        self._handlers: dict[type[exp.Expr], Callable[[exp.Expr], str]] = {
            exp.Column: self._column,
            exp.Literal: self._literal,
            exp.Boolean: lambda _node: BOOLEAN,
            exp.Null: lambda _node: NULL,
            exp.Paren: lambda node: self.kind(node.this),
            exp.Neg: lambda node: self._expect(node.this, NUMBER, node),
            exp.Cast: self._date_literal,
            exp.And: self._connector,
            exp.Or: self._connector,
            exp.Not: lambda node: self._expect(node.this, BOOLEAN, node) and BOOLEAN,
            exp.Is: self._is,
            exp.Between: self._between,
            exp.In: self._in,
            exp.Like: self._like,
            exp.Case: self._case,
            exp.Coalesce: self._same_kind_function,
            exp.Least: self._same_kind_function,
            exp.Greatest: self._same_kind_function,
            exp.Abs: self._numeric_function,
            exp.Floor: self._numeric_function,
            exp.Ceil: self._numeric_function,
            exp.Round: self._round,
            exp.Lower: lambda node: self._expect(node.this, TEXT, node),
            exp.Upper: lambda node: self._expect(node.this, TEXT, node),
            exp.Length: lambda node: self._expect(node.this, TEXT, node) and NUMBER,
        }
        for comparison in (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE):
            self._handlers[comparison] = self._comparison
        for arithmetic in (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod):
            self._handlers[arithmetic] = self._arithmetic

    def kind(self, node: exp.Expr) -> str:
        """The kind of value ``node`` yields; raises on anything not whitelisted."""
        self.visited.add(id(node))
        handler = self._handlers.get(type(node))
        if handler is None:
            raise self._not_allowed(node)
        return handler(node)

    # -- the building blocks

    @staticmethod
    def _not_allowed(node: exp.Expr) -> InvalidRuleConditionError:
        if isinstance(node, exp.Subquery | exp.Query | exp.Exists | exp.Any | exp.All):
            return _fail(N_("Subqueries are not allowed in a rule condition: {part}"), node)
        if isinstance(node, exp.Anonymous):
            name = node.name.upper()
        elif isinstance(node, exp.Func):
            name = node.sql_name()
        else:
            name = ""
        if name:
            return _fail(
                N_("The function {name} is not allowed in a rule condition (allowed: {allowed})."),
                name,
                name=name,
                allowed=", ".join(ALLOWED_FUNCTIONS),
            )
        if isinstance(node, exp.Placeholder | exp.Parameter):
            return _fail(N_("Parameters are not allowed in a rule condition: {part}"), node)
        return _fail(N_("This is not allowed in a rule condition: {part}"), node)

    def _expect(self, node: exp.Expr, expected: str, context: exp.Expr) -> str:
        found = self.kind(node)
        if found not in (expected, NULL):
            raise _fail(
                _MISMATCH,
                context,
                operand=node.sql(dialect="duckdb"),
                found=found,
                expected=expected,
            )
        return expected

    def _same_kind(self, nodes: list[exp.Expr], context: exp.Expr) -> str:
        """The common kind of ``nodes`` (NULL fits any)."""
        common = NULL
        for node in nodes:
            found = self.kind(node)
            if found == NULL:
                continue
            if common == NULL:
                common = found
            elif found != common:
                raise _fail(
                    _MISMATCH,
                    context,
                    operand=node.sql(dialect="duckdb"),
                    found=found,
                    expected=common,
                )
        return common

    def _column(self, node: exp.Expr) -> str:
        assert isinstance(node, exp.Column)
        if node.table or node.args.get("db") or node.args.get("catalog"):
            raise _fail(N_("Write the feature name alone, without a table or prefix: {part}"), node)
        if not isinstance(node.this, exp.Identifier):
            raise self._not_allowed(node.this)
        self.visited.add(id(node.this))
        name = node.name.lower()
        feature = FEATURE_BY_NAME.get(name)
        if feature is None:
            raise _fail(
                N_(
                    "Unknown feature “{name}” in the rule condition "
                    "(text values need single quotes: 'gold')."
                ),
                node.name,
                name=node.name,
            )
        # One spelling for both engines: the catalog's name, unquoted.
        node.set("this", exp.to_identifier(name))
        self.visited.add(id(node.this))
        return _FEATURE_KIND[feature.type]

    def _literal(self, node: exp.Expr) -> str:
        assert isinstance(node, exp.Literal)
        if node.is_string:
            return TEXT
        try:
            Decimal(node.this)
        except InvalidOperation:
            raise _fail(N_("This is not a number: {part}"), node) from None
        return NUMBER

    def _date_literal(self, node: exp.Expr) -> str:
        assert isinstance(node, exp.Cast)
        value = node.this
        target = node.to
        if (
            target.is_type(exp.DataType.Type.DATE)
            and isinstance(value, exp.Literal)
            and value.is_string
            and _ISO_DATE.match(value.this)
        ):
            try:
                date.fromisoformat(value.this)
            except ValueError:
                raise _fail(N_("This is not a valid date: {part}"), node) from None
            self.visited.update({id(value), id(target)})
            return DATE
        raise _fail(N_("Casts are not allowed; write dates as DATE 'yyyy-mm-dd': {part}"), node)

    def _connector(self, node: exp.Expr) -> str:
        assert isinstance(node, exp.Binary)
        self._expect(node.left, BOOLEAN, node)
        self._expect(node.right, BOOLEAN, node)
        return BOOLEAN

    def _comparison(self, node: exp.Expr) -> str:
        assert isinstance(node, exp.Binary)
        if isinstance(node.left, exp.Null) or isinstance(node.right, exp.Null):
            raise _fail(N_("Compare with NULL using IS NULL or IS NOT NULL: {part}"), node)
        self._same_kind([node.left, node.right], node)
        return BOOLEAN

    def _arithmetic(self, node: exp.Expr) -> str:
        assert isinstance(node, exp.Binary)
        self._expect(node.left, NUMBER, node)
        self._expect(node.right, NUMBER, node)
        return NUMBER

    def _is(self, node: exp.Expr) -> str:
        right = node.expression
        if not isinstance(right, exp.Null | exp.Boolean):
            raise _fail(N_("Use IS only with NULL, TRUE or FALSE: {part}"), node)
        self.kind(right)
        if isinstance(right, exp.Boolean):
            self._expect(node.this, BOOLEAN, node)
        else:
            self.kind(node.this)
        return BOOLEAN

    def _between(self, node: exp.Expr) -> str:
        if node.args.get("symmetric"):
            raise _fail(N_("This is not allowed in a rule condition: {part}"), "SYMMETRIC")
        self._same_kind([node.this, node.args["low"], node.args["high"]], node)
        return BOOLEAN

    def _in(self, node: exp.Expr) -> str:
        if node.args.get("query") is not None:
            raise _fail(N_("Subqueries are not allowed in a rule condition: {part}"), node)
        items = node.expressions
        if not items or any(key in node.args for key in ("unnest", "field")):
            raise _fail(N_("IN takes a list of fixed values: {part}"), node)
        for item in items:
            if not _is_constant(item):
                raise _fail(N_("IN takes a list of fixed values: {part}"), item)
        self._same_kind([node.this, *items], node)
        return BOOLEAN

    def _like(self, node: exp.Expr) -> str:
        pattern = node.expression
        if not (isinstance(pattern, exp.Literal) and pattern.is_string):
            raise _fail(N_("LIKE takes a fixed pattern in single quotes: {part}"), node)
        if "\\" in pattern.this:
            # Spark treats a backslash in a pattern as an escape, DuckDB does not.
            raise _fail(N_("A LIKE pattern may not contain a backslash: {part}"), pattern)
        self._expect(node.this, TEXT, node)
        self.kind(pattern)
        return BOOLEAN

    def _case(self, node: exp.Expr) -> str:
        # CASE WHEN cond THEN … or CASE subject WHEN value THEN …
        subject = node.this
        results: list[exp.Expr] = []
        for branch in node.args.get("ifs") or []:
            if not isinstance(branch, exp.If):
                raise self._not_allowed(branch)
            self.visited.add(id(branch))
            if subject is None:
                self._expect(branch.this, BOOLEAN, branch)
            else:
                self._same_kind([subject, branch.this], branch)
            results.append(branch.args["true"])
        if node.args.get("default") is not None:
            results.append(node.args["default"])
        return self._same_kind(results, node)

    def _same_kind_function(self, node: exp.Expr) -> str:
        return self._same_kind([node.this, *node.expressions], node)

    def _numeric_function(self, node: exp.Expr) -> str:
        if any(key != "this" and value is not None for key, value in node.args.items()):
            raise self._not_allowed(node)
        return self._expect(node.this, NUMBER, node)

    def _round(self, node: exp.Expr) -> str:
        decimals = node.args.get("decimals")
        extra = [k for k, v in node.args.items() if k not in ("this", "decimals") and v]
        if extra:
            raise self._not_allowed(node)
        if decimals is not None:
            if not (isinstance(decimals, exp.Literal) and decimals.is_int):
                raise _fail(N_("ROUND takes a whole number of decimals: {part}"), node)
            self.kind(decimals)
        return self._expect(node.this, NUMBER, node)


def _is_constant(node: exp.Expr) -> bool:
    if isinstance(node, exp.Literal | exp.Boolean | exp.Null):
        return True
    if isinstance(node, exp.Neg):
        return isinstance(node.this, exp.Literal) and not node.this.is_string
    return isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal)


def validate_condition(text: str) -> exp.Expr:
    """Parse ``text`` as a rule condition and check it; the checked expression (feature
    names normalised) or :class:`InvalidRuleConditionError` naming the offending part."""
    stripped = (text or "").strip()
    if not stripped:
        raise InvalidRuleConditionError(N_("The rule condition is empty."), part="")
    if len(stripped) > MAX_CONDITION_LENGTH:
        raise _fail(
            N_("The rule condition is too long: {length} characters (at most {limit})."),
            stripped[:40] + "…",
            length=str(len(stripped)),
            limit=str(MAX_CONDITION_LENGTH),
        )
    dialect = sqlglot.Dialect.get_or_raise("duckdb")
    try:
        tokens = dialect.tokenize(stripped)
    except TokenError as error:
        raise _fail(N_("The rule condition cannot be read: {part}"), str(error)) from None
    for index, token in enumerate(tokens):
        if token.comments:
            raise _fail(
                N_("Comments are not allowed in a rule condition: {part}"),
                " ".join(c.strip() for c in token.comments),
            )
        if token.token_type == TokenType.SEMICOLON:
            rest = " ".join(t.text for t in tokens[index + 1 :]) or ";"
            raise _fail(
                N_("A rule condition is one expression; remove “;” and what follows: {part}"),
                rest,
            )
    try:
        statements = [s for s in sqlglot.parse(stripped, read="duckdb") if s is not None]
    except ParseError as error:
        near = error.errors[0].get("highlight") if error.errors else None
        raise _fail(
            N_("The rule condition cannot be read near “{part}”."), str(near or stripped[:40])
        ) from None
    except RecursionError:
        raise _fail(N_("The rule condition is nested too deeply: {part}"), stripped[:40]) from None
    if len(statements) != 1:
        raise _fail(
            N_("A rule condition is one expression; remove “;” and what follows: {part}"),
            statements[-1] if statements else stripped,
        )
    expression = statements[0]
    nodes = list(expression.walk())
    if len(nodes) > MAX_CONDITION_NODES:
        raise _fail(
            N_("The rule condition is too long: {length} characters (at most {limit})."),
            stripped[:40] + "…",
            length=str(len(stripped)),
            limit=str(MAX_CONDITION_LENGTH),
        )
    checker = _Checker()
    kind = checker.kind(expression)
    if kind != BOOLEAN:
        raise _fail(
            N_(
                "A rule condition must be true or false (e.g. aum_avg_3m >= 50000), "
                "but this is {found}: {part}"
            ),
            expression,
            found=kind,
        )
    # Defence in depth: every node must have been seen by a handler, so nothing hides in an
    # argument the checker does not know about.
    for node in expression.walk():
        if id(node) not in checker.visited and not isinstance(node, exp.Identifier | exp.DataType):
            raise _fail(N_("This is not allowed in a rule condition: {part}"), node)
    return expression


def condition_sql(expression: exp.Expr, dialect: Dialect) -> str:
    """The checked condition as SQL for one of the engines.

    A division or remainder by zero is NULL on DuckDB but an error on Spark in ANSI mode
    (which the analysis uses), so a divisor that is not a non-zero number is wrapped in
    ``NULLIF(…, 0)``: both engines then give NULL, and the rule does not fire.
    """
    guarded = expression.copy()
    for node in list(guarded.find_all(exp.Div, exp.Mod)):
        divisor = node.expression
        if isinstance(divisor, exp.Literal) and not divisor.is_string and Decimal(divisor.this):
            continue
        node.set("expression", exp.Nullif(this=divisor.copy(), expression=exp.Literal.number(0)))
    return guarded.sql(dialect=dialect)


def condition_features(expression: exp.Expr) -> frozenset[str]:
    """The catalog features a checked condition reads."""
    return frozenset(column.name for column in expression.find_all(exp.Column))


# --- whole-rule validation --------------------------------------------------------------


def _rule_error(message: str, part: str, **params: str) -> InvalidRuleError:
    return InvalidRuleError(message, part=part, **params)


_OUT_OF_RANGE = N_("{field} is out of range: {part} (allowed {low} to {high}).")
_MAX_VALUE = Decimal(10) ** 16


def validate_rule(spec: RuleSpec, *, product_codes: Collection[str]) -> None:
    """Check every field of ``spec``; ``product_codes`` are the products on sale.

    Raises :class:`InvalidRuleConditionError`, :class:`InvalidScriptError` or
    :class:`InvalidRuleError` naming the first problem found.
    """
    if not _CODE.match(spec.code):
        raise _rule_error(
            N_("A rule code is 2–48 capital letters, digits or underscores: {part}"), spec.code
        )
    if not spec.name.strip() or len(spec.name) > 128 or len(spec.name_en) > 128:
        raise _rule_error(N_("A rule needs a name of at most 128 characters: {part}"), spec.name)
    if spec.family not in RULE_FAMILIES:
        raise _rule_error(
            N_("Unknown rule family {part} (known: {known})."),
            spec.family,
            known=", ".join(RULE_FAMILIES),
        )
    validate_condition(spec.condition)
    if spec.product_code not in product_codes:
        raise _rule_error(N_("No product with code {part} is on the shelf."), spec.product_code)
    if not Decimal(0) <= spec.value < _MAX_VALUE:
        raise _rule_error(
            _OUT_OF_RANGE, str(spec.value), field="value", low="0", high=str(_MAX_VALUE)
        )
    _check_choices(spec.channels, CHANNELS, N_("Unknown channel {part} (known: {known})."))
    _check_choices(spec.roles, SERVING_ROLES, N_("Unknown role {part} (known: {known})."))
    ranges: list[tuple[str, float, float, float]] = [
        ("weight", spec.weight, 0.01, 100),
        ("cooldown_days", spec.cooldown_days, 0, 3650),
        ("max_presentations", spec.max_presentations, 1, 100),
        ("control_share", spec.control_share, 0, 0.5),
        ("attribution_days", spec.attribution_days, 1, 365),
        ("valid_days", spec.valid_days, 1, 90),
        ("prior_propensity", spec.prior_propensity, 0.0001, 0.9999),
    ]
    for field, number, low, high in ranges:
        if not low <= number <= high:
            raise _rule_error(
                _OUT_OF_RANGE,
                str(number),
                field=field,
                low=str(low),
                high=str(high),
            )
    if not spec.script_zh.strip():
        raise _rule_error(N_("A rule needs a Chinese script: {part}"), spec.code)
    validate_script(spec.script_zh)
    if spec.script_en:
        validate_script(spec.script_en)


def _check_choices(values: Collection[str], known: Collection[str], message: str) -> None:
    if not values:
        raise _rule_error(message, "—", known=", ".join(known))
    for value in values:
        if value not in known:
            raise _rule_error(message, value, known=", ".join(known))
    if len(set(values)) != len(values):
        raise _rule_error(N_("A value is listed twice: {part}"), ", ".join(values))
