"""``docs/features.md``, generated from the feature catalog
(``python -m smartbranch.analysis.featuredoc`` from the project root).

The catalog (:mod:`smartbranch.customers.features`) is the single source; the page is
regenerated from it and a test fails when the committed page is stale.
"""

from __future__ import annotations

from pathlib import Path

from smartbranch.customers.features import (
    BIRTHDAY_WEEK_DAYS,
    FEATURES,
    KEY_COLUMN,
    LONG_ABSENCE_DAYS,
    MATURITY_SOON_DAYS,
    SEGMENTS,
)

DOC_PATH = Path("docs") / "features.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_features_doc() -> str:
    """The Markdown text of ``docs/features.md``."""
    lines = [
        "# Customer features (客户特征)",
        "",
        "<!-- Generated from src/smartbranch/customers/features.py by "
        "`python -m smartbranch.analysis.featuredoc`; do not edit by hand. -->",
        "",
        "The nightly analysis computes these features for every customer as of the run's "
        f"as-of date, in the table `customer_features` keyed by `{KEY_COLUMN}`. Lead-rule "
        "conditions may use exactly these names; scripts see these values. Money is CNY; "
        "`*_3m` means the three months ending at the as-of date. *Derived* features are "
        "computed from the others (tier, segment, care events).",
        "",
        "| name | type | unit | 中文说明 | description | derived |",
        "|---|---|---|---|---|---|",
    ]
    for feature in FEATURES:
        lines.append(
            f"| `{feature.name}` | {feature.type.value} | {_cell(feature.unit)} | "
            f"{_cell(feature.description_zh)} | {_cell(feature.description_en)} | "
            f"{'yes' if feature.derived else ''} |"
        )
    lines += [
        "",
        "## Segments (客户分群)",
        "",
        "| code | 中文 | English |",
        "|---|---|---|",
    ]
    lines += [f"| `{code}` | {zh} | {en} |" for code, (zh, en) in SEGMENTS.items()]
    lines += [
        "",
        "## Care events",
        "",
        f"- `birthday_this_week`: the birthday falls within {BIRTHDAY_WEEK_DAYS} days, "
        "today included; a 29 February birthday is celebrated on 28 February in common years.",
        f"- `maturity_soon`: a time deposit or wealth product matures within "
        f"{MATURITY_SOON_DAYS} days.",
        f"- `long_absence`: no branch visit for more than {LONG_ABSENCE_DAYS} days "
        "(never visited included).",
        "",
    ]
    return "\n".join(lines)


def write_features_doc(root: Path) -> Path:
    """Write ``docs/features.md`` under the project ``root``; returns its path."""
    path = root / DOC_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_features_doc(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_features_doc(Path.cwd()))
