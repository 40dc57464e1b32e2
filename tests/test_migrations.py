"""The migrations build exactly the schema the models describe, and go down and up again."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from smartbranch.migrations.runner import downgrade, upgrade
from smartbranch.models import Base
from smartbranch.settings import Settings


class TestMigrations:
    def test_head_matches_the_models_and_downgrades_cleanly(
        self, test_settings: Settings, tmp_path: Path
    ) -> None:
        settings = test_settings.model_copy(
            update={"database_url": f"sqlite:///{tmp_path}/migrations.db"}
        )
        upgrade(settings)
        engine = create_engine(f"sqlite:///{tmp_path}/migrations.db")
        try:
            with engine.connect() as conn:
                differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert differences == []
            downgrade(settings, "base")
            upgrade(settings)
        finally:
            engine.dispose()
