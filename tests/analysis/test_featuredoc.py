"""``docs/features.md`` is generated from the catalog and committed up to date."""

from __future__ import annotations

from pathlib import Path

from smartbranch.analysis.featuredoc import DOC_PATH, render_features_doc
from smartbranch.customers.features import FEATURES, SEGMENTS

ROOT = Path(__file__).resolve().parents[2]


class TestFeaturesDoc:
    def test_the_committed_page_is_current(self) -> None:
        committed = (ROOT / DOC_PATH).read_text(encoding="utf-8")
        assert committed == render_features_doc(), (
            "docs/features.md is stale: run `python -m smartbranch.analysis.featuredoc`"
        )

    def test_every_feature_and_segment_is_listed(self) -> None:
        text = render_features_doc()
        for feature in FEATURES:
            assert f"| `{feature.name}` | {feature.type.value} |" in text
            assert feature.description_zh in text
        for code, (zh, en) in SEGMENTS.items():
            assert f"| `{code}` | {zh} | {en} |" in text
