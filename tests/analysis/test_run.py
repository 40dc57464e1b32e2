"""A whole analysis run on a small generated bank, published to the test database.

The run commits, so these tests use a database of their own (``isolated_engine``) holding
the generated bank, shared by the module and used in order: first run, re-run, a failed
publish, a killed publisher.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from smartbranch.analysis.inputs import RUNS_FOLDER
from smartbranch.analysis.models import AnalysisRun, RunStatus
from smartbranch.analysis.run import MAX_LEADS_PER_CUSTOMER, STAGES, run_analysis
from smartbranch.customers.features import KEY_COLUMN as KEY
from smartbranch.customers.models import CustomerProfile
from smartbranch.db import is_sqlite
from smartbranch.lake import layout
from smartbranch.lake.load import load_lake
from smartbranch.marketing.library import install_default_library
from smartbranch.marketing.models import Lead, LeadRule
from smartbranch.settings import Settings
from smartbranch.simulation.bank import BankSpec, generate_bank
from smartbranch.simulation.lakeappend import max_holding_id, stage_part
from smartbranch.simulation.products import PRODUCT_SHELF
from smartbranch.simulation.schema import HOLDINGS
from tests.conftest import TEST_KEY, isolated_engine

AS_OF = date(2026, 11, 28)
pytestmark = pytest.mark.slow


@dataclass
class World:
    settings: Settings
    database: AsyncEngine
    search_path: str | None


@pytest.fixture(scope="module")
async def world(
    test_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    var = tmp_path_factory.mktemp("analysis-var")
    settings = test_settings.model_copy(update={"var_dir": var})
    generate_bank(
        BankSpec(customers=1500, outlets=3, as_of=AS_OF, test_cards=0),
        settings.resolved_lake_path,
        settings.resolved_simulation_path,
        TEST_KEY,
    )
    async with isolated_engine(settings) as database:
        await load_lake(
            database,
            settings.resolved_lake_path,
            tier_thresholds=settings.tier_thresholds_cny,
        )
        async with AsyncSession(database) as session:
            await install_default_library(session)
            await session.commit()
        search_path = None
        if not is_sqlite(settings.resolved_database_url):
            async with database.connect() as conn:
                search_path = (await conn.execute(text("SHOW search_path"))).scalar_one()
        yield World(settings, database, search_path)


async def _serving(database: AsyncEngine) -> tuple[str | None, int]:
    async with database.connect() as conn:
        run_id = (
            await conn.execute(
                select(AnalysisRun.id).where(AnalysisRun.status == RunStatus.PUBLISHED)
            )
        ).scalar_one_or_none()
        leads = (
            await conn.execute(select(func.count()).select_from(Lead).where(Lead.run_id == run_id))
        ).scalar_one()
    return run_id, leads


class TestRunAnalysis:
    async def test_first_run_grades_and_publishes_leads(self, world: World) -> None:
        summary = await run_analysis(world.settings, as_of=AS_OF, database=world.database)

        assert not summary.already_published
        assert summary.customers_graded == 1500
        assert summary.leads_published > 0
        assert sum(summary.tiers.values()) == 1500
        assert [s.name for s in summary.stages] == list(STAGES)
        run_id, leads = await _serving(world.database)
        assert run_id == summary.run_id
        assert leads == summary.leads_published
        async with world.database.connect() as conn:
            sources = (
                (await conn.execute(select(CustomerProfile.source).distinct())).scalars().all()
            )
            ranks = (
                await conn.execute(
                    select(func.max(Lead.rank), func.min(Lead.rank)).where(Lead.run_id == run_id)
                )
            ).one()
            scripts = (
                await conn.execute(
                    select(Lead.script_zh, Lead.script_en).where(Lead.run_id == run_id).limit(20)
                )
            ).all()
        # Profiles the run changed name it; the others were confirmed as the load left them.
        assert run_id in sources
        assert set(sources) <= {run_id, "load"}
        # Rank 1 is each customer's best; no customer gets more than three.
        assert ranks[1] == 1
        assert ranks[0] <= MAX_LEADS_PER_CUSTOMER
        assert all(zh and en and "{{" not in zh for zh, en in scripts)

        # The run's results sit in the lake, and control members got no lead of their rule.
        folder = world.settings.resolved_lake_path / RUNS_FOLDER / run_id
        leads_table = pq.read_table(folder / "leads.parquet")
        control = pq.read_table(folder / "control.parquet")
        assert leads_table.num_rows == summary.leads_published
        offered = set(
            zip(
                leads_table["customer_number"].to_pylist(),
                leads_table["rule_code"].to_pylist(),
                strict=True,
            )
        )
        held = set(
            zip(
                control["customer_number"].to_pylist(),
                control["rule_code"].to_pylist(),
                strict=True,
            )
        )
        assert control.num_rows > 0
        assert not offered & held

    async def test_rerun_with_the_same_inputs_changes_nothing(self, world: World) -> None:
        before = await _serving(world.database)
        summary = await run_analysis(world.settings, as_of=AS_OF, database=world.database)
        assert summary.already_published
        assert summary.run_id == before[0]
        assert await _serving(world.database) == before

    async def test_a_reload_leaves_the_analysis_profiles_alone(self, world: World) -> None:
        async def profiles() -> set[tuple[int, str, object, str]]:
            async with world.database.connect() as conn:
                rows = await conn.execute(
                    select(
                        CustomerProfile.customer_id,
                        CustomerProfile.tier,
                        CustomerProfile.aum,
                        CustomerProfile.source,
                    )
                )
                return {tuple(row) for row in rows.all()}  # type: ignore[misc]

        before = await profiles()
        await load_lake(
            world.database,
            world.settings.resolved_lake_path,
            tier_thresholds=world.settings.tier_thresholds_cny,
        )
        assert await profiles() == before

    async def test_a_failed_publish_leaves_the_previous_run_serving(self, world: World) -> None:
        before = await _serving(world.database)

        def fail_after_leads(step: str) -> None:
            if step == "profiles":
                raise RuntimeError("publisher lost")

        with pytest.raises(RuntimeError, match="publisher lost"):
            await run_analysis(
                world.settings,
                as_of=AS_OF + timedelta(days=1),
                database=world.database,
                checkpoint=fail_after_leads,
            )
        assert await _serving(world.database) == before
        async with world.database.connect() as conn:
            runs = (await conn.execute(select(func.count()).select_from(AnalysisRun))).scalar()
        assert runs == 1

    async def test_a_killed_publisher_leaves_the_previous_run_serving(
        self, world: World, tmp_path: Path
    ) -> None:
        before = await _serving(world.database)
        script = textwrap.dedent(
            f"""
            import asyncio, os, signal, sys
            from datetime import date
            from pathlib import Path
            from smartbranch.analysis.run import MAX_LEADS_PER_CUSTOMER, STAGES, run_analysis
            from smartbranch.db import create_engine
            from smartbranch.settings import Settings

            settings = Settings(
                env="test", var_dir=Path({str(world.settings.var_dir)!r}),
                database_url={world.settings.database_url!r},
                credential_key={TEST_KEY.hex()!r}, secret_key="x",
            )
            search_path = {world.search_path!r}
            extra = {{}}
            if search_path:
                extra["connect_args"] = {{"server_settings": {{"search_path": search_path}}}}

            def die(step):
                if step == "leads":
                    print("killing", flush=True)
                    os.kill(os.getpid(), signal.SIGKILL)

            async def main():
                database = create_engine(settings, **extra)
                await run_analysis(settings, as_of=date(2026, 11, 30), database=database,
                                   checkpoint=die)

            asyncio.run(main())
            """
        )
        if is_sqlite(world.settings.resolved_database_url):
            # The subprocess must open the module's own database file.
            script = script.replace(
                f"database_url={world.settings.database_url!r}",
                f"database_url={str(world.database.url)!r}",
            )
        done = subprocess.run(  # noqa: ASYNC221 - the test waits for the publisher on purpose
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "SMARTBRANCH_LOG_LEVEL": "WARNING"},
        )
        assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
        assert "killing" in done.stdout
        assert await _serving(world.database) == before

    async def test_purchases_after_a_run_count_towards_its_rules_uplift(self, world: World) -> None:
        """One customer given a lead and one held in control both buy the rule's product the
        day after the first run: the next run counts each once, in its own group."""
        first, _ = await _serving(world.database)
        lake = world.settings.resolved_lake_path
        folder = lake / RUNS_FOLDER / first
        leads_table = pq.read_table(folder / "leads.parquet")
        control = pq.read_table(folder / "control.parquet")
        rule = control["rule_code"][0].as_py()
        product = control["product_code"][0].as_py()
        treated = leads_table.filter(pc.equal(leads_table["rule_code"], rule))
        buyers = [treated[KEY][0].as_py(), control[KEY][0].as_py()]
        day = AS_OF + timedelta(days=1)
        next_id = max_holding_id(lake) + 1
        category = {p.code: p.category for p in PRODUCT_SHELF}[product]
        rows = pa.Table.from_pylist(
            [
                {
                    "holding_id": next_id + i,
                    "customer_number": number,
                    "product_code": product,
                    "category": category,
                    "balance": Decimal("50000.00"),
                    "opened_on": day,
                    "maturity_on": None,
                    "status": "active",
                    "closed_on": None,
                }
                for i, number in enumerate(buyers)
            ],
            schema=HOLDINGS,
        )
        stage_part(lake, layout.HOLDINGS, day, rows).commit()

        summary = await run_analysis(
            world.settings, as_of=AS_OF + timedelta(days=3), database=world.database
        )
        figures = summary.uplift[rule]
        assert figures.treated == treated.num_rows
        assert figures.control == sum(1 for c in control["rule_code"].to_pylist() if c == rule)
        assert figures.treated_converted == 1
        assert figures.control_converted == 1
        assert summary.as_json()["uplift"][rule]["control_rate"] == 1 / figures.control

    async def test_a_later_day_supersedes_and_the_rules_stay_in_force(self, world: World) -> None:
        first, _ = await _serving(world.database)
        summary = await run_analysis(
            world.settings, as_of=AS_OF + timedelta(days=2), database=world.database
        )
        assert not summary.already_published
        run_id, leads = await _serving(world.database)
        assert run_id == summary.run_id != first
        assert leads == summary.leads_published
        async with world.database.connect() as conn:
            statuses = dict((await conn.execute(select(AnalysisRun.id, AnalysisRun.status))).all())
            old_open = (
                await conn.execute(
                    select(func.count()).select_from(Lead).where(Lead.run_id == first)
                )
            ).scalar()
            rules = (await conn.execute(select(func.count()).select_from(LeadRule))).scalar()
        assert statuses[first] == RunStatus.SUPERSEDED
        assert statuses[run_id] == RunStatus.PUBLISHED
        # Untouched leads of the superseded run are gone from the serving side.
        assert old_open == 0
        assert rules and rules >= 11
