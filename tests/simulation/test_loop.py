"""Closing the loop: simulated days after a run, on a small generated bank.

The loop commits and appends to the lake, so each test builds a bank of its own (generated
into a temporary folder, loaded into a database of its own, the default rule library
installed). Most tests drive the days with :class:`PlainNight`, a stand-in for the nightly
analysis that publishes hand-made leads through the real ``publish_run`` and detects
conversions by reading the lake through the loader's reader; so they check the simulator's
mechanics whatever the analysis decides. ``TestWithTheAnalysis`` runs the real nightly run.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from smartbranch.analysis.inputs import RUNS_FOLDER, max_outcome_id, presented_leads
from smartbranch.analysis.publish import RunRecord, publish_run
from smartbranch.customers.models import Customer
from smartbranch.db import utcnow
from smartbranch.lake import layout
from smartbranch.lake.load import load_lake
from smartbranch.lake.reading import LakeSource
from smartbranch.marketing.library import install_default_library
from smartbranch.marketing.models import Lead, LeadRule, LeadStatus, Outcome
from smartbranch.marketing.service import DECLINE_REASONS
from smartbranch.orgs.models import Staff
from smartbranch.settings import Settings
from smartbranch.simulation.bank import BankSpec, generate_bank
from smartbranch.simulation.lakeappend import (
    DayAlreadyInLakeError,
    sim_part_name,
    stage_part,
)
from smartbranch.simulation.loop import LoopSpec, LoopSummary, NightResult, simulate_loop
from smartbranch.simulation.loop.serving import channel_for
from smartbranch.simulation.schema import HOLDINGS, LAKE_TABLES, OFFER_FAMILIES, VISITS
from tests.conftest import TEST_KEY, isolated_engine

AS_OF = datetime.date(2026, 11, 28)
CUSTOMERS = 800
# Rules the stand-in night offers: a card, a deposit and an insurance lead, presented by
# different roles on different channels.
PLAIN_RULES = ("CARD_UPGRADE_GOLD", "REPEAT_MATURING_DEPOSIT", "INSURANCE_PROTECTION")
pytestmark = pytest.mark.slow


@dataclass
class Bank:
    settings: Settings
    database: AsyncEngine

    @property
    def lake(self) -> Path:
        return self.settings.resolved_lake_path


@asynccontextmanager
async def _bank(test_settings: Settings, var: Path) -> AsyncIterator[Bank]:
    settings = test_settings.model_copy(update={"var_dir": var})
    generate_bank(
        BankSpec(customers=CUSTOMERS, outlets=2, branches=1, as_of=AS_OF, test_cards=0),
        settings.resolved_lake_path,
        settings.resolved_simulation_path,
        TEST_KEY,
    )
    async with isolated_engine(settings) as database:
        await load_lake(
            database, settings.resolved_lake_path, tier_thresholds=settings.tier_thresholds_cny
        )
        async with AsyncSession(database) as session:
            await install_default_library(session)
            await session.commit()
        yield Bank(settings, database)


@pytest.fixture
async def bank(test_settings: Settings, tmp_path: Path) -> AsyncIterator[Bank]:
    async with _bank(test_settings, tmp_path / "var") as made:
        yield made


# --- a stand-in for the nightly analysis --------------------------------------------------


@dataclass
class Night:
    run_id: str
    already_published: bool
    leads_published: int
    conversions: int


def _share(number: str) -> int:
    return int(hashlib.sha256(number.encode()).hexdigest()[:8], 16) % 5


@dataclass
class PlainNight:
    """Every customer gets the :data:`PLAIN_RULES` leads (ranked in that order), except one
    in five, who forms the control group (written to the run's ``control.parquet`` as the
    analysis does). Conversions: a presented lead's product bought, per the lake's holdings
    read through ``LakeSource``, on or after the presentation."""

    bank: Bank
    rules: tuple[str, ...] = PLAIN_RULES
    nights: list[Night] = field(default_factory=list)
    converted: dict[int, tuple[datetime.date, int]] = field(default_factory=dict)

    async def __call__(self, day: datetime.date) -> NightResult:
        lake = self.bank.lake
        async with self.bank.database.connect() as conn:
            numbers = sorted((await conn.execute(select(Customer.number))).scalars())
            products = dict(
                (await conn.execute(select(LeadRule.code, LeadRule.product_code))).all()
            )
            watermark = await max_outcome_id(conn)
            presented = await presented_leads(conn, day)
        treated = [n for n in numbers if _share(n)]
        control = [n for n in numbers if not _share(n)]
        rows = [(n, code, rank) for n in treated for rank, code in enumerate(self.rules, 1)]
        leads = pa.table(
            {
                "customer_number": [r[0] for r in rows],
                "rule_code": [r[1] for r in rows],
                "rank": pa.array([r[2] for r in rows], pa.int64()),
                "priority": [1.0 / r[2] for r in rows],
                "propensity": [0.05] * len(rows),
                "value": pa.array([Decimal("100.00")] * len(rows), pa.decimal128(18, 2)),
                "script_zh": ["您好"] * len(rows),
                "script_en": ["Hello"] * len(rows),
                "valid_from": pa.array([day] * len(rows), pa.date32()),
                "valid_until": pa.array([day + datetime.timedelta(days=7)] * len(rows)),
            }
        )
        conversions = self._conversions(presented, day)
        run_id = f"PLAIN{day:%Y%m%d}"
        folder = lake / RUNS_FOLDER / run_id
        folder.mkdir(parents=True)
        pq.write_table(
            pa.table(
                {
                    "customer_number": [n for n in control for _ in self.rules],
                    "rule_code": [code for _ in control for code in self.rules],
                    "product_code": [products[code] for _ in control for code in self.rules],
                }
            ),
            folder / "control.parquet",
        )
        result = await publish_run(
            self.bank.database,
            RunRecord(
                id=run_id,
                as_of=day,
                engine="duckdb",
                inputs_digest=run_id,
                started_at=utcnow(),
                outcomes_watermark=watermark,
            ),
            leads=leads,
            profiles=pa.table(
                {
                    "customer_number": pa.array([], pa.string()),
                    "tier": pa.array([], pa.string()),
                    "aum": pa.array([], pa.decimal128(18, 2)),
                }
            ),
            conversions=conversions,
        )
        night = Night(run_id, result.already_published, result.leads, result.converted)
        self.nights.append(night)
        return night

    def _conversions(self, presented: pa.Table, day: datetime.date) -> pa.Table:
        source = LakeSource.open(self.bank.lake, layout.HOLDINGS)
        bought: dict[tuple[str, str], list[tuple[datetime.date, int]]] = {}
        for batch in source.batches(source.table.columns, 10_000):
            for number, product, opened, holding in zip(
                batch.column("customer_number").to_pylist(),
                batch.column("product_code").to_pylist(),
                batch.column("opened_on").to_pylist(),
                batch.column("holding_id").to_pylist(),
                strict=True,
            ):
                bought.setdefault((number, product), []).append((opened, holding))
        found = []
        for lead_id, number, product, on in zip(
            presented["lead_id"].to_pylist(),
            presented["customer_number"].to_pylist(),
            presented["product_code"].to_pylist(),
            presented["presented_on"].to_pylist(),
            strict=True,
        ):
            hits = sorted(h for h in bought.get((number, product), []) if on <= h[0] <= day)
            if hits:
                found.append((lead_id, hits[0][0], hits[0][1]))
                self.converted[lead_id] = hits[0]
        return pa.table(
            {
                "lead_id": pa.array([f[0] for f in found], pa.int64()),
                "converted_on": pa.array([f[1] for f in found], pa.date32()),
                "holding_id": pa.array([f[2] for f in found], pa.int64()),
            }
        )


# --- helpers --------------------------------------------------------------------------------


async def _outcomes(database: AsyncEngine) -> list[tuple[object, ...]]:
    async with database.connect() as conn:
        rows = await conn.execute(
            select(
                Outcome.lead_id,
                Outcome.kind,
                Outcome.reason_code,
                Outcome.channel,
                Outcome.recorded_at,
                Staff.role,
                Staff.org_unit_id,
                Customer.home_outlet_id,
                Customer.number,
                Lead.product_code,
                Lead.status,
                Lead.run_id,
                Lead.rank,
                LeadRule.channels,
                LeadRule.roles,
            )
            .join(Lead, Lead.id == Outcome.lead_id)
            .join(LeadRule, LeadRule.id == Outcome.rule_id)
            .join(Customer, Customer.id == Outcome.customer_id)
            .join(Staff, Staff.id == Outcome.staff_id)
            .order_by(Outcome.id)
        )
        return [tuple(row) for row in rows.all()]


def _sim_table(lake: Path, name: str, day: datetime.date) -> pa.Table:
    return pq.read_table(lake / name / sim_part_name(day))


async def _loop(bank: Bank, days: int, night: PlainNight | None, **spec: float) -> LoopSummary:
    return await simulate_loop(
        bank.settings,
        LoopSpec(days=days, **spec),  # type: ignore[arg-type]
        database=bank.database,
        nightly=night,
    )


# --- tests ----------------------------------------------------------------------------------


class TestDayMechanics:
    async def test_days_record_outcomes_append_facts_and_convert(self, bank: Bank) -> None:
        night = PlainNight(bank)
        summary = await _loop(bank, 3, night, seed=7, visit_rate=20.0)

        # A first night ran (no run was serving), then one per simulated day.
        days = [AS_OF + datetime.timedelta(days=i) for i in (1, 2, 3)]
        assert [r.day for r in summary.day_results] == days
        assert [n.run_id for n in night.nights] == [f"PLAIN{d:%Y%m%d}" for d in [AS_OF, *days]]
        assert [r.serving_run for r in summary.day_results] == [
            f"PLAIN{d:%Y%m%d}" for d in [AS_OF, *days[:2]]
        ]

        outcomes = await _outcomes(bank.database)
        assert len(outcomes) == summary.presented > 0
        assert summary.accepted == sum(1 for o in outcomes if o[1] == "accepted") > 0
        assert summary.presented - summary.accepted == sum(
            1 for o in outcomes if o[1] == "declined"
        )
        for (
            _lead, kind, reason, channel, recorded, role, staff_outlet, home, _n, _p, _s, run,
            _rank, channels, roles,
        ) in outcomes:  # fmt: skip
            # Presented by home-outlet staff in a role and on a channel the rule allows,
            # from the run serving that day.
            assert staff_outlet == home
            assert role in roles and channel in channels
            assert (reason is None) == (kind == "accepted")
            assert reason is None or reason in DECLINE_REASONS
            day = recorded.date()
            assert run == f"PLAIN{day - datetime.timedelta(days=1):%Y%m%d}"
        per_visit: dict[tuple[str, datetime.date], list[int]] = {}
        for o in outcomes:
            per_visit.setdefault((str(o[8]), o[4].date()), []).append(int(o[12]))  # type: ignore[attr-defined]
        # At most two leads a visit, best rank first.
        assert all(ranks == sorted(ranks) and len(ranks) <= 2 for ranks in per_visit.values())
        assert any(ranks == [1, 2] for ranks in per_visit.values())

        # The lake got one visits part and one holdings part per day, read by the loader's
        # reader like any other part, with the generator's schema exactly.
        lake = bank.lake
        for day in days:
            visits = _sim_table(lake, "visits", day)
            holdings = _sim_table(lake, "holdings", day)
            assert visits.schema.equals(VISITS) and holdings.schema.equals(HOLDINGS)
            assert set(visits["visited_on"].to_pylist()) == {day}
            assert set(holdings["opened_on"].to_pylist()) == {day}
            assert set(holdings["status"].to_pylist()) == {"active"}
        generated = pq.read_schema(lake / "holdings" / "part-00000.parquet")
        assert generated.equals(HOLDINGS)
        for table in (layout.VISITS, layout.HOLDINGS):
            source = LakeSource.open(lake, table)
            assert sum(1 for p in source.files if p.name.startswith("part-sim-")) == 3
        ids = pa.concat_tables(
            pq.read_table(p, columns=["holding_id"]) for p in layout.HOLDINGS.files(lake)
        )["holding_id"]
        assert pc.count_distinct(ids).as_py() == len(ids)
        visits_of_day = {
            day: set(_sim_table(lake, "visits", day)["customer_number"].to_pylist()) for day in days
        }
        assert all(o[8] in visits_of_day[o[4].date()] for o in outcomes)  # type: ignore[attr-defined]

        # Every accepted lead was bought that day, and the next night converted it.
        accepted = [o for o in outcomes if o[1] == "accepted"]
        for lead_id, *_rest in accepted:
            assert night.converted[int(lead_id)][0] == _rest[3].date()  # type: ignore[index]
        async with bank.database.connect() as conn:
            statuses = dict(
                (
                    await conn.execute(
                        select(Lead.id, Lead.status).where(
                            Lead.id.in_([int(o[0]) for o in accepted])  # type: ignore[call-overload]
                        )
                    )
                ).all()
            )
        assert set(statuses.values()) == {LeadStatus.CONVERTED}
        assert summary.conversions_detected == sum(n.conversions for n in night.nights[1:])
        assert summary.conversions_detected >= summary.accepted

        # Control members of the same rules, measured against their new holdings.
        assert summary.control_size > 0
        assert summary.treated_size <= summary.presented
        assert summary.success_rate is not None and summary.control_conversion_rate is not None
        assert summary.success_rate > summary.control_conversion_rate
        assert set(summary.rules) <= set(PLAIN_RULES)
        data = summary.as_json()
        for key in (
            "days", "presented", "accepted", "success_rate", "conversions_detected",
            "control_size", "control_conversion_rate", "treated_conversion_rate", "uplift",
        ):  # fmt: skip
            assert key in data

    async def test_a_second_loop_continues_after_the_last_night(self, bank: Bank) -> None:
        night = PlainNight(bank)
        await _loop(bank, 1, night, visit_rate=10.0)
        summary = await _loop(bank, 2, night, visit_rate=10.0)

        assert summary.first_day == AS_OF + datetime.timedelta(days=2)
        assert [n.run_id[-8:] for n in night.nights] == [
            f"{AS_OF + datetime.timedelta(days=i):%Y%m%d}" for i in range(4)
        ]

    async def test_a_day_already_in_the_lake_only_gets_its_night(self, bank: Bank) -> None:
        night = PlainNight(bank)
        await _loop(bank, 1, night, visit_rate=10.0)
        day = AS_OF + datetime.timedelta(days=2)
        part = bank.lake / "visits" / sim_part_name(day)
        # An interrupted loop: day 2's facts are in the lake, its night never ran.
        pq.write_table(VISITS.empty_table(), part)
        before = part.stat().st_mtime_ns

        summary = await _loop(bank, 1, night, visit_rate=10.0)

        assert night.nights[-2].run_id == f"PLAIN{day:%Y%m%d}"
        assert summary.first_day == day + datetime.timedelta(days=1)
        assert part.stat().st_mtime_ns == before  # never rewritten

    async def test_same_seed_same_days(self, test_settings: Settings, tmp_path: Path) -> None:
        results = []
        for name in ("a", "b"):
            async with _bank(test_settings, tmp_path / name) as made:
                summary = await _loop(made, 2, PlainNight(made), seed=3, visit_rate=10.0)
                outcomes = [o[1:4] + o[8:10] for o in await _outcomes(made.database)]
                parts = {
                    (table, day): _sim_table(made.lake, table, day).to_pylist()
                    for table in ("visits", "holdings")
                    for day in (summary.first_day, summary.last_day)
                }
                results.append((summary.as_json(), outcomes, parts))
        assert results[0] == results[1]
        assert results[0][1]  # something happened

    async def test_an_unknown_family_accepts_at_the_default_rate(self, bank: Bank) -> None:
        async with AsyncSession(bank.database) as session:
            rule = await session.scalar(select(LeadRule).where(LeadRule.code == PLAIN_RULES[0]))
            assert rule is not None
            rule.family = "not_in_the_model"
            await session.commit()
        assert "not_in_the_model" not in OFFER_FAMILIES
        summary = await _loop(bank, 2, PlainNight(bank, rules=PLAIN_RULES[:1]), visit_rate=30)
        assert summary.presented > 0
        async with bank.database.connect() as conn:
            count = (await conn.execute(select(func.count()).select_from(Outcome))).scalar_one()
        assert count == summary.presented


class TestWithTheAnalysis:
    async def test_the_nightly_run_learns_from_the_days(self, bank: Bank) -> None:
        summary = await _loop(bank, 3, None, seed=11, visit_rate=10.0)

        nights = [r.night_run for r in summary.day_results]
        assert len(set(nights)) == 3
        assert [r.serving_run for r in summary.day_results][1:] == nights[:2]
        outcomes = await _outcomes(bank.database)
        assert len(outcomes) == summary.presented > 0
        # Every accepted lead was bought that day and converted by that night's run.
        accepted = [int(o[0]) for o in outcomes if o[1] == "accepted"]  # type: ignore[call-overload]
        assert len(accepted) == summary.accepted > 0
        async with bank.database.connect() as conn:
            statuses = (
                await conn.execute(select(Lead.status).where(Lead.id.in_(accepted)))
            ).scalars()
            assert set(statuses) == {LeadStatus.CONVERTED}
        assert summary.conversions_detected >= summary.accepted
        # The runs read the outcomes (their lake copy feeds the scoring's training set).
        exported = pa.concat_tables(
            pq.read_table(bank.lake / RUNS_FOLDER / run_id / "outcomes.parquet")
            for run_id in nights
        )
        assert exported.num_rows == len(outcomes)
        assert summary.control_size > 0
        assert summary.success_rate is not None and summary.control_conversion_rate is not None
        assert summary.success_rate > summary.control_conversion_rate


def _command(var: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTBRANCH_")}
    env.update({"SMARTBRANCH_VAR_DIR": str(var), "COLUMNS": "200"})
    command = str(Path(sys.executable).parent / "smartbranch")
    return subprocess.run(
        [command, *args], env=env, capture_output=True, text=True, timeout=600, check=False
    )


class TestCommand:
    def test_simulate_loop_prints_the_figures_as_json(self, tmp_path: Path) -> None:
        for step in (
            ("generate", "--customers", "500", "--outlets", "2", "--test-cards", "0"),
            ("load",),
            ("rules", "install-defaults"),
        ):
            done = _command(tmp_path, *step)
            assert done.returncode == 0, done.stderr
        result = _command(
            tmp_path, "simulate", "loop", "--days", "2", "--visit-rate", "10", "--json"
        )
        assert result.returncode == 0, result.stderr
        figures = json.loads(result.stdout)
        assert figures["days"] == 2
        for key in (
            "presented", "accepted", "success_rate", "conversions_detected", "control_size",
            "control_conversion_rate", "treated_conversion_rate", "uplift",
        ):  # fmt: skip
            assert key in figures
        assert figures["presented"] > 0

        table = _command(tmp_path, "simulate", "loop", "--days", "1", "--visit-rate", "10")
        assert table.returncode == 0, table.stderr
        assert "success rate" in table.stdout and "control group" in table.stdout

    def test_without_a_lake_it_is_a_clear_error(self, tmp_path: Path) -> None:
        result = _command(tmp_path, "simulate", "loop", "--days", "1")
        assert result.returncode == 1
        output = result.stdout + result.stderr
        assert "lake_missing" in output and "Traceback" not in output


class TestPieces:
    def test_spec_is_checked(self) -> None:
        for bad in (LoopSpec(days=0), LoopSpec(days=1, visit_rate=0), LoopSpec(days=1, seed=-1)):
            with pytest.raises(ValueError):
                bad.validate()

    def test_channel_follows_the_role_within_the_rule(self) -> None:
        assert channel_for("teller", ("tablet", "counter")) == "counter"
        assert channel_for("lobby_manager", ("counter", "tablet")) == "tablet"
        assert channel_for("account_manager", ("tablet", "crm")) == "crm"
        assert channel_for("account_manager", ("tablet",)) == "tablet"
        assert channel_for("wealth_manager", ("online",)) is None

    def test_parts_are_never_rewritten_and_keep_the_schema(self, tmp_path: Path) -> None:
        day = datetime.date(2026, 12, 1)
        rows = VISITS.empty_table()
        part = stage_part(tmp_path, layout.VISITS, day, rows)
        assert not (tmp_path / "visits" / sim_part_name(day)).exists()  # not visible yet
        assert _visible_parts(tmp_path) == []
        part.commit()
        assert _visible_parts(tmp_path) == [sim_part_name(day)]
        with pytest.raises(DayAlreadyInLakeError):
            stage_part(tmp_path, layout.VISITS, day, rows)
        wrong = rows.cast(pa.schema([f.with_nullable(True) for f in VISITS]))
        with pytest.raises(ValueError, match="schema"):
            stage_part(tmp_path, layout.VISITS, day + datetime.timedelta(days=1), wrong)
        assert LAKE_TABLES["visits"][0].equals(VISITS)


def _visible_parts(lake: Path) -> list[str]:
    """The visits parts a reader sees."""
    return [p.name for p in layout.VISITS.files(lake)]
