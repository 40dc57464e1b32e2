"""From features to leads: which customers each rule selects, how likely each is to
accept, who is held back (control group, contact policy), which leads each customer gets
(best N by priority) and what staff should say.

Eligibility is SQL on the engine (a rule's condition is a checked SQL boolean over the
feature catalog); the rest is vectorised Python over the candidates, the same code whatever
the engine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from smartbranch.analysis import arbitration, scoring
from smartbranch.analysis.engines import Engine
from smartbranch.analysis.features import FEATURES_TABLE
from smartbranch.analysis.inputs import ActiveRule
from smartbranch.analysis.sqlmodels import bind
from smartbranch.customers.features import FEATURE_NAMES, KEY_COLUMN
from smartbranch.marketing.rules import condition_sql, validate_condition
from smartbranch.marketing.scripts import render_script, script_context, script_features


@dataclass
class RuleResult:
    """One rule's figures in a run."""

    eligible: int = 0
    held_back: int = 0
    control: int = 0
    leads: int = 0


# --- eligibility --------------------------------------------------------------------------


def eligible(engine: Engine, rules: Sequence[ActiveRule], as_of: date) -> pa.Table:
    """(customer row, rule index) of every customer a rule's condition selects, who does not
    already hold the rule's product."""
    if not rules:
        return pa.table({"_row": pa.array([], pa.int64()), "_rule": pa.array([], pa.int64())})
    # Each customer's row number in the features' order, and who already holds one of the
    # rules' products on the as-of date: computed once, not once per rule.
    engine.create_table(
        "analysis_rows",
        f"SELECT *, ROW_NUMBER() OVER (ORDER BY {KEY_COLUMN}) - 1 AS _row "  # noqa: S608
        f"FROM {FEATURES_TABLE}",
    )
    products = sorted({rule.product_code for rule in rules})
    engine.create_table(
        "analysis_held",
        bind(
            "SELECT DISTINCT customer_number, product_code FROM holdings "  # noqa: S608 - placeholders only
            f"WHERE product_code IN ({', '.join(f'$p{i}' for i in range(len(products)))}) "
            "AND opened_on <= $as_of AND (closed_on IS NULL OR closed_on > $as_of)",
            {"as_of": as_of, **{f"p{i}": code for i, code in enumerate(products)}},
        ),
    )
    selects = []
    for index, rule in enumerate(rules):
        condition = condition_sql(validate_condition(rule.condition), "duckdb")
        # The condition is checked SQL over catalog columns only; the product code goes in
        # as a literal through the binder.
        selects.append(
            bind(
                f"SELECT f._row, {index} AS _rule FROM analysis_rows f "  # noqa: S608
                f"WHERE ({condition}) AND NOT EXISTS (SELECT 1 FROM analysis_held h "
                f"WHERE h.customer_number = f.{KEY_COLUMN} AND h.product_code = $product)",
                {"product": rule.product_code},
            )
        )
    query = " UNION ALL ".join(selects) + " ORDER BY _row, _rule"
    result = engine.fetch_arrow(query)
    return result.cast(pa.schema([pa.field("_row", pa.int64()), pa.field("_rule", pa.int64())]))


# --- scoring ------------------------------------------------------------------------------


def score(
    models: scoring.PropensityModels,
    rules: Sequence[ActiveRule],
    candidates: pa.Table,
    features: pa.Table,
    advance: Callable[[int], None] = lambda _done: None,
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """The propensity of every candidate, rule by rule."""
    rows = candidates["_row"].to_numpy()
    rule_index = candidates["_rule"].to_numpy()
    propensity = np.zeros(len(rows), np.float64)
    feature_view = features.select(list(FEATURE_NAMES))
    for index, rule in enumerate(rules):
        mask = rule_index == index
        if mask.any():
            propensity[mask] = models.predict(rule.code, feature_view.take(rows[mask]))
        advance(index + 1)
    return propensity


# --- arbitration --------------------------------------------------------------------------


def arbitrate(
    rules: Sequence[ActiveRule],
    customers: pa.ChunkedArray,
    candidates: pa.Table,
    propensity: np.ndarray[Any, np.dtype[np.float64]],
    history: pa.Table,
    as_of: date,
    max_per_customer: int,
) -> tuple[pa.Table, pa.Table, dict[str, RuleResult]]:
    """Leads to publish (best ``max_per_customer`` per customer), the control group and
    each rule's figures."""
    rows = candidates["_row"].to_numpy()
    rule_index = candidates["_rule"].to_numpy()
    codes = np.array([rule.code for rule in rules], dtype=object)
    rule_codes = pa.array(codes[rule_index] if len(rule_index) else [], pa.string())
    customer_numbers = pc.take(customers, pa.array(rows, pa.int64())).combine_chunks()

    in_control = np.zeros(len(rows), np.bool_)
    for campaign in sorted({rule.campaign_code for rule in rules}):
        of_campaign = np.isin(
            rule_index, [i for i, rule in enumerate(rules) if rule.campaign_code == campaign]
        )
        if not of_campaign.any():
            continue
        draw = arbitration.control_draw(customer_numbers.filter(pa.array(of_campaign)), campaign)
        shares = np.array([rules[i].control_share for i in rule_index[of_campaign]])
        in_control[of_campaign] = draw < shares

    candidate_table = pa.table({KEY_COLUMN: customer_numbers, "rule_code": rule_codes})
    held = arbitration.held_back(candidate_table, history, rules, as_of)
    held = np.asarray(held, np.bool_) & ~in_control

    results = {rule.code: RuleResult() for rule in rules}
    for index, rule in enumerate(rules):
        mask = rule_index == index
        results[rule.code].eligible = int(mask.sum())
        results[rule.code].control = int((mask & in_control).sum())
        results[rule.code].held_back = int((mask & held).sum())

    offered = ~in_control & ~held
    values = np.array([float(rule.value) for rule in rules])
    weights = np.array([rule.weight for rule in rules])
    offer_rules = rule_index[offered]
    pool = pa.table(
        {
            KEY_COLUMN: customer_numbers.filter(pa.array(offered)),
            "rule_code": rule_codes.filter(pa.array(offered)),
            "_row": pa.array(rows[offered], pa.int64()),
            "propensity": pa.array(propensity[offered], pa.float64()),
            "value": pa.array(values[offer_rules], pa.float64()),
            "weight": pa.array(weights[offer_rules], pa.float64()),
        }
    )
    leads = arbitration.arbitrate(pool, max_per_customer=max_per_customer)
    for code, count in Counter(leads["rule_code"].to_pylist()).items():
        results[code].leads = count

    valid_days = {rule.code: rule.valid_days for rule in rules}
    by_code = {rule.code: rule for rule in rules}
    leads = leads.append_column(
        "valid_from", pa.array([as_of] * leads.num_rows, pa.date32())
    ).append_column(
        "valid_until",
        pa.array(
            [as_of + timedelta(days=valid_days[c]) for c in leads["rule_code"].to_pylist()],
            pa.date32(),
        ),
    )
    leads = leads.set_column(
        leads.schema.get_field_index("value"),
        "value",
        pa.array([by_code[c].value for c in leads["rule_code"].to_pylist()], pa.decimal128(18, 2)),
    )
    control_codes = rule_codes.filter(pa.array(in_control))
    control = pa.table(
        {
            KEY_COLUMN: customer_numbers.filter(pa.array(in_control)),
            "rule_code": control_codes,
            "product_code": pa.array(
                [by_code[c].product_code for c in control_codes.to_pylist()], pa.string()
            ),
            "as_of": pa.array([as_of] * int(in_control.sum()), pa.date32()),
        }
    )
    return leads, control, results


# --- scripts ------------------------------------------------------------------------------


def with_scripts(
    leads: pa.Table,
    rules: Sequence[ActiveRule],
    features: pa.Table,
    names: pa.Table,
    advance: Callable[[int], None] = lambda _done: None,
) -> pa.Table:
    """Render each lead's script in Chinese and English from the customer's features, their
    greeting and the product's name. Only the features a rule's templates use are turned into
    Python values, and only for that rule's leads."""
    rows = leads["_row"].to_numpy()
    codes = np.array(leads["rule_code"].to_pylist(), dtype=object)
    zh: list[str] = [""] * leads.num_rows
    en: list[str] = [""] * leads.num_rows
    name_column = names["name"]
    gender_column = names["gender"]
    done = 0
    for rule in rules:
        positions = np.flatnonzero(codes == rule.code)
        if not len(positions):
            continue
        take = pa.array(rows[positions], pa.int64())
        # The tier is always there: the tier labels are derived from it.
        used = sorted(script_features(rule.script_zh) | script_features(rule.script_en) | {"tier"})
        columns = {n: pc.take(features[n], take).to_pylist() for n in used}
        people = zip(
            pc.take(name_column, take).to_pylist(),
            pc.take(gender_column, take).to_pylist(),
            strict=True,
        )
        for i, (position, (name, gender)) in enumerate(zip(positions, people, strict=True)):
            values = {n: column[i] for n, column in columns.items()}
            for locale, out, template, product in (
                ("zh_CN", zh, rule.script_zh, rule.product_name),
                ("en", en, rule.script_en, rule.product_name_en),
            ):
                context = script_context(
                    values, customer_name=name, gender=gender, product_name=product, locale=locale
                )
                out[position] = render_script(template, context, locale)
        done += len(positions)
        advance(done)
    return leads.append_column("script_zh", pa.array(zh, pa.string())).append_column(
        "script_en", pa.array(en, pa.string())
    )
