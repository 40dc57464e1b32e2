"""Benchmark: rendering marketing scripts, as the nightly run does for every lead.

For N crafted customers, renders every default rule's script in Chinese and English and
prints microseconds per render (template compiled once and cached), microseconds per lead
including building its context (greeting, product, tier labels), and the first-render cost
(compile). The nightly run renders up to ~1M leads × 2 locales.

    .venv/bin/python benchmarks/bench_scripts.py --customers 20000
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date
from decimal import Decimal
from typing import Any

from smartbranch.customers.features import FEATURES, FeatureType
from smartbranch.marketing import scripts
from smartbranch.marketing.library import DEFAULT_RULES
from smartbranch.marketing.scripts import render_script, script_context
from smartbranch.simulation.products import PRODUCT_SHELF

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_BLANK = {
    FeatureType.INTEGER: 3,
    FeatureType.DECIMAL: Decimal("12345.67"),
    FeatureType.BOOLEAN: True,
    FeatureType.DATE: date(1980, 5, 17),
    FeatureType.TEXT: "x",
}


def customer(**values: Any) -> dict[str, Any]:
    """Every catalog feature, typed as the catalog says, with ``values`` on top."""
    row = {f.name: _BLANK[f.type] for f in FEATURES}
    row.update(tier="gold", segment="family_builder")
    row.update(values)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(7)
    products = {p.code: p for p in PRODUCT_SHELF}
    rows = [
        customer(
            aum=Decimal(rng.randrange(1_000, 8_000_000)),
            aum_avg_3m=Decimal(rng.randrange(1_000, 8_000_000)),
            card_spend_3m=Decimal(rng.randrange(0, 200_000)),
            age=rng.randrange(20, 80),
        )
        for _ in range(args.customers)
    ]
    names = [rng.choice(SURNAMES) + "小明" for _ in rows]

    started = time.perf_counter()
    for rule in DEFAULT_RULES:
        context = script_context(
            rows[0], customer_name=names[0], gender="M", product_name="x", locale="zh_CN"
        )
        render_script(rule.script_zh, context, "zh_CN")
        render_script(rule.script_en, {**context}, "en")
    compile_ms = (time.perf_counter() - started) * 1000 / (2 * len(DEFAULT_RULES))

    # Contexts built once, so the loop below times rendering alone.
    contexts = {
        locale: [
            script_context(row, customer_name=name, gender="F", product_name="x", locale=locale)
            for row, name in zip(rows, names, strict=True)
        ]
        for locale in ("zh_CN", "en")
    }
    renders = 0
    started = time.perf_counter()
    for i in range(args.customers):
        rule = DEFAULT_RULES[i % len(DEFAULT_RULES)]
        render_script(rule.script_zh, contexts["zh_CN"][i], "zh_CN")
        render_script(rule.script_en, contexts["en"][i], "en")
        renders += 2
    render_us = (time.perf_counter() - started) * 1e6 / renders

    started = time.perf_counter()
    for i, (row, name) in enumerate(zip(rows, names, strict=True)):
        rule = DEFAULT_RULES[i % len(DEFAULT_RULES)]
        product = products[rule.product_code]
        for locale, template, product_name in (
            ("zh_CN", rule.script_zh, product.name),
            ("en", rule.script_en, product.name_en),
        ):
            context = script_context(
                row, customer_name=name, gender="M", product_name=product_name, locale=locale
            )
            render_script(template, context, locale)
    lead_us = (time.perf_counter() - started) * 1e6 / args.customers

    print(f"customers: {args.customers:,}; rules: {len(DEFAULT_RULES)}")
    print(f"first render (compile) per template: {compile_ms:.2f} ms")
    print(f"render alone:                        {render_us:.1f} µs per script")
    print(f"lead (context + zh + en):            {lead_us:.1f} µs per lead")
    print(f"  → 1,000,000 leads in both languages: {lead_us:.0f} s single-threaded")
    print(f"compiled-template cache: {scripts._compiled.cache_info()}")


if __name__ == "__main__":
    main()
