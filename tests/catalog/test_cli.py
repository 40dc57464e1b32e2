"""``smartbranch catalog install-content``, run as a user runs it, after ``load``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from smartbranch.catalog.content import ARTICLES
from smartbranch.simulation.products import PRODUCT_SHELF
from tests.test_cli import _run


class TestInstallContentCommand:
    def test_installs_once_then_changes_nothing(self, tmp_path: Path) -> None:
        assert _run(tmp_path, "generate", "--customers", "100", "--outlets", "1").returncode == 0
        assert _run(tmp_path, "load").returncode == 0

        first = _run(tmp_path, "catalog", "install-content")
        assert first.returncode == 0, first.stderr
        products, articles = len(PRODUCT_SHELF), len(ARTICLES)
        assert f"{products} products updated, {articles} articles added or updated" in first.stdout
        again = _run(tmp_path, "catalog", "install-content")
        assert "0 products updated, 0 articles added or updated" in again.stdout

        database = next(tmp_path.glob("**/*.db"))
        with sqlite3.connect(database) as conn:
            (with_content,) = conn.execute(
                "SELECT count(*) FROM products WHERE summary_zh != ''"
            ).fetchone()
            (installed,) = conn.execute("SELECT count(*) FROM knowledge_articles").fetchone()
        assert (with_content, installed) == (products, articles)
