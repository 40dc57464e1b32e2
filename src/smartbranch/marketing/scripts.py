"""Marketing scripts (营销话术): sandboxed Jinja templates over a customer's features.

A script is plain text with ``{{ variables }}``, a few filters (``cny`` for money, ``days``)
and ``{% if %}`` blocks. It is written by marketing admins, so it runs in Jinja's immutable
sandbox *and* is checked before it is saved: only known variables (the feature catalog plus
``customer_name``, ``greeting``, ``product_name``, ``tier_label``, ``next_tier_label``), only
whitelisted filters and tests, and no attribute or item access, calls, loops, macros or
imports — so a template cannot reach Python objects, and an error names the offending part.

The nightly run renders up to a million scripts per locale: templates are compiled once per
(template, locale) and rendered with a plain dict (``benchmarks/bench_scripts.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any, cast

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from smartbranch.customers.features import FEATURE_NAMES
from smartbranch.customers.greeting import greeting, surname_of
from smartbranch.customers.models import TIER_ORDER, Tier
from smartbranch.customers.tiers import TIER_LABELS
from smartbranch.i18n import N_, translate
from smartbranch.marketing.errors import InvalidScriptError

MAX_SCRIPT_LENGTH = 2000

CONTEXT_VARIABLES: tuple[str, ...] = (
    "customer_name",
    "greeting",
    "product_name",
    "tier_label",
    "next_tier_label",
)
"""Variables a script may use besides the catalog's features."""

SCRIPT_VARIABLES: frozenset[str] = frozenset(FEATURE_NAMES) | frozenset(CONTEXT_VARIABLES)
ALLOWED_FILTERS: tuple[str, ...] = ("cny", "days", "int", "round", "default", "lower", "upper")
ALLOWED_TESTS: tuple[str, ...] = ("none", "defined")

# Expression and statement nodes a script may contain; anything else is rejected.
_ALLOWED_NODES: tuple[type[nodes.Node], ...] = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Name,
    nodes.Const,
    nodes.Filter,
    nodes.Test,
    nodes.If,
    nodes.CondExpr,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
    nodes.Neg,
    nodes.Add,
    nodes.Sub,
    nodes.Mul,
    nodes.Div,
    nodes.Concat,
)


# --- filters ------------------------------------------------------------------------------

_WAN = Decimal(10_000)
_YI = Decimal(100_000_000)
_THOUSAND = Decimal(1_000)


def _decimal(value: object) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int | str):
        return Decimal(value)
    raise TypeError(f"not a number: {type(value).__name__}")


def _trimmed(value: Decimal, places: str) -> str:
    text = f"{value.quantize(Decimal(places), ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_cny(value: object, locale: str) -> str:
    """Money as a customer hears it: ``45.2 万元`` / ``8,500 元`` in Chinese, ``CNY 452,000``
    in English; ``—`` when unknown."""
    if value is None:
        return "—"
    amount = _decimal(value)
    if locale == "en":
        return f"CNY {_whole(amount):,}"
    size = abs(amount)
    if size < _WAN:
        return f"{_whole(amount):,} 元"
    tenths_of_wan = _whole(amount / _THOUSAND)  # 45.2 万 = 452 tenths
    if abs(tenths_of_wan) < 100_000:  # under 1 亿 (9,999.96 万 rounds up to 1 亿)
        whole, tenth = divmod(abs(tenths_of_wan), 10)
        sign = "-" if tenths_of_wan < 0 else ""
        return f"{sign}{whole}.{tenth} 万元" if tenth else f"{sign}{whole} 万元"
    return f"{_trimmed(amount / _YI, '0.01')} 亿元"


def _whole(amount: Decimal) -> int:
    return int(amount.to_integral_value(ROUND_HALF_UP))


def format_days(value: object, locale: str) -> str:
    """A number of days: ``30 天`` / ``30 days`` (``1 day``)."""
    if value is None:
        return "—"
    count = int(_decimal(value))
    if locale == "en":
        return f"{count} day" if count == 1 else f"{count} days"
    return f"{count} 天"


# --- the environment ----------------------------------------------------------------------


class _ScriptEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, also refusing string repetition (``'x' * 10**9`` would exhaust memory)."""

    intercepted_binops = frozenset({"*"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """Multiply numbers only."""
        if operator == "*" and (isinstance(left, str | list) or isinstance(right, str | list)):
            raise SecurityError("string repetition is not allowed in a script")
        return super().call_binop(context, operator, left, right)


def _finalize(value: object) -> object:
    # A missing value prints as nothing rather than "None".
    return "" if value is None else value


@lru_cache(maxsize=4)
def _environment(locale: str) -> _ScriptEnvironment:
    env = _ScriptEnvironment(
        autoescape=False,
        undefined=StrictUndefined,
        finalize=_finalize,
        cache_size=0,
        auto_reload=False,
    )
    keep = {name: env.filters[name] for name in ("int", "round", "default", "lower", "upper")}
    env.filters.clear()
    env.filters.update(keep)
    env.filters["cny"] = lambda value: format_cny(value, locale)
    env.filters["days"] = lambda value: format_days(value, locale)
    env.tests = {name: env.tests[name] for name in ALLOWED_TESTS}
    env.globals.clear()
    return env


def _fail(message: str, part: str, **params: str) -> InvalidScriptError:
    return InvalidScriptError(message, part=part, **params)


def validate_script(template: str) -> None:
    """Check a script: it parses, and uses only known variables, whitelisted filters and
    tests, and no attribute access, calls or other constructs. Raises
    :class:`InvalidScriptError` naming the offending part."""
    if not template.strip():
        raise _fail(N_("The script is empty."), "")
    if len(template) > MAX_SCRIPT_LENGTH:
        raise _fail(
            N_("The script is too long: {length} characters (at most {limit})."),
            template[:40] + "…",
            length=str(len(template)),
            limit=str(MAX_SCRIPT_LENGTH),
        )
    env = _environment("zh_CN")
    try:
        tree = env.parse(template)
    except TemplateSyntaxError as error:
        raise _fail(
            N_("The script cannot be read at line {line}: {part}"),
            error.message or "",
            line=str(error.lineno),
        ) from None
    for node in tree.find_all(nodes.Node):
        if not isinstance(node, _ALLOWED_NODES):
            raise _fail(N_("This is not allowed in a script: {part}"), _describe(node))
        if isinstance(node, nodes.Name):
            if node.ctx != "load" or node.name not in SCRIPT_VARIABLES:
                raise _fail(
                    N_(
                        "Unknown variable “{part}” in the script "
                        "(known: the catalog's features, {extra})."
                    ),
                    node.name,
                    extra=", ".join(CONTEXT_VARIABLES),
                )
        elif isinstance(node, nodes.Filter) and node.name not in ALLOWED_FILTERS:
            raise _fail(
                N_("The filter {part} is not allowed in a script (allowed: {allowed})."),
                node.name,
                allowed=", ".join(ALLOWED_FILTERS),
            )
        elif isinstance(node, nodes.Test) and node.name not in ALLOWED_TESTS:
            raise _fail(
                N_("The test {part} is not allowed in a script (allowed: {allowed})."),
                node.name,
                allowed=", ".join(ALLOWED_TESTS),
            )
        if isinstance(node, nodes.Filter | nodes.Test) and (node.dyn_args or node.dyn_kwargs):
            raise _fail(N_("This is not allowed in a script: {part}"), node.name)


def script_features(template: str) -> frozenset[str]:
    """The catalog features a (validated) script reads: the only ones a renderer needs to
    put into its context, besides the context variables."""
    names = meta.find_undeclared_variables(_environment("zh_CN").parse(template))
    return frozenset(names) & frozenset(FEATURE_NAMES)


_STATEMENTS = {
    nodes.For: "{% for %}",
    nodes.Assign: "{% set %}",
    nodes.AssignBlock: "{% set %}",
    nodes.Macro: "{% macro %}",
    nodes.CallBlock: "{% call %}",
    nodes.FilterBlock: "{% filter %}",
    nodes.With: "{% with %}",
    nodes.Block: "{% block %}",
    nodes.Extends: "{% extends %}",
    nodes.Include: "{% include %}",
    nodes.Import: "{% import %}",
    nodes.FromImport: "{% from … import %}",
}


def _describe(node: nodes.Node) -> str:
    """How the author wrote the rejected construct."""
    for kind, text in _STATEMENTS.items():
        if isinstance(node, kind):
            return text
    if isinstance(node, nodes.Getattr):
        return f".{node.attr}"
    if isinstance(node, nodes.Call):
        return "()"
    if isinstance(node, nodes.Getitem):
        return "[…]"
    return type(node).__name__


@lru_cache(maxsize=4096)
def _compiled(template: str, locale: str) -> Template:
    return _environment(locale).from_string(template)


def render_script(template: str, context: Mapping[str, object], locale: str) -> str:
    """Render a (validated) script with ``context`` — the customer's features and the
    context variables, see :func:`script_context` — in ``locale``'s money and day formats.

    Compiled templates are cached per (template, locale); an unknown variable raises
    ``jinja2.UndefinedError`` rather than printing nothing.
    """
    compiled = _compiled(template, "en" if locale == "en" else "zh_CN")
    # Rendering over the caller's mapping (``shared``) skips the copy ``Template.render``
    # makes; a script cannot assign variables, so the mapping is only read.
    scope = compiled.new_context(cast(dict[str, Any], context), shared=True)
    return "".join(compiled.root_render_func(scope))


# --- the context --------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _greeting(surname: str, gender: str, locale: str) -> str:
    # Romanising a surname costs tens of microseconds; a bank has a few hundred surnames.
    return greeting(surname, gender, locale)


@lru_cache(maxsize=32)
def _tier_labels(tier: str | None, locale: str) -> tuple[str, str]:
    try:
        current = Tier(tier) if tier else Tier.STANDARD
    except ValueError:
        return "", ""
    position = TIER_ORDER.index(current)
    upper = TIER_ORDER[position + 1] if position + 1 < len(TIER_ORDER) else None
    return (
        translate(TIER_LABELS[current], locale),
        translate(TIER_LABELS[upper], locale) if upper else "",
    )


def script_context(
    features: Mapping[str, object],
    *,
    customer_name: str,
    gender: str,
    product_name: str,
    locale: str,
) -> dict[str, object]:
    """The variables of a script: the customer's features plus the greeting (王先生 /
    Mr Wang), product name and tier labels in ``locale``."""
    context = dict(features)
    tier = features.get("tier")
    tier_label, next_tier_label = _tier_labels(tier if isinstance(tier, str) else None, locale)
    context["customer_name"] = customer_name
    context["greeting"] = _greeting(surname_of(customer_name), gender, locale)
    context["product_name"] = product_name
    context["tier_label"] = tier_label
    context["next_tier_label"] = next_tier_label
    return context
