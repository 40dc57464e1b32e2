"""One analysis run, stage by stage (``smartbranch analyze``).

    prepare → features → feedback → eligibility → scoring → arbitration → scripts
            → write (the run's results into the lake) → publish (the serving database)

The stages that touch the warehouse's volume (features, feedback, eligibility) are SQL run
by the engine (DuckDB by default, Spark at scale; written once, transpiled by SQLGlot).
Scoring, arbitration and scripts work on the candidates in Python/numpy, the same code
whatever the engine, so both engines give the same leads.

A run is immutable and named by its inputs (:mod:`smartbranch.analysis.inputs`): the lake
files, the active rules, the outcomes recorded so far, the parameters and the as-of date.
Re-running with the same inputs finds the run already published and does nothing. The
results are first written to a hidden folder and renamed into ``analysis/runs/<id>/`` in
the lake, then published in one transaction; a failure anywhere leaves the previous run
serving.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy.ext.asyncio import AsyncEngine

from smartbranch.analysis import feedback, scoring
from smartbranch.analysis import leads as leads_stage
from smartbranch.analysis.engines import EngineKind, open_engine
from smartbranch.analysis.features import FEATURES_TABLE, compute_features
from smartbranch.analysis.inputs import (
    RUNS_FOLDER,
    ActiveRule,
    active_rules,
    inputs_digest,
    lake_fingerprint,
    max_outcome_id,
    outcomes_after,
    presented_leads,
    published_runs,
    run_id_for,
)
from smartbranch.analysis.leads import RuleResult
from smartbranch.analysis.measure import StageReport, measured
from smartbranch.analysis.publish import Checkpoint, PublishResult, RunRecord, publish_run
from smartbranch.customers.features import KEY_COLUMN
from smartbranch.db import create_engine, utcnow
from smartbranch.lake import layout
from smartbranch.settings import Settings

STAGES = (  # in the order a run reports them
    "prepare",
    "features",
    "feedback",
    "eligibility",
    "scoring",
    "arbitration",
    "scripts",
    "write",
    "publish",
)
MAX_LEADS_PER_CUSTOMER = 3


class Reporter(Protocol):
    """Where a run reports its progress (the CLI draws a bar per stage)."""

    def stage_started(self, stage: str, total: int) -> None: ...

    def stage_advanced(self, stage: str, done: int) -> None: ...

    def stage_finished(self, report: StageReport) -> None: ...


class _Silent:
    def stage_started(self, stage: str, total: int) -> None:
        """Nothing to show."""

    def stage_advanced(self, stage: str, done: int) -> None:
        """Nothing to show."""

    def stage_finished(self, report: StageReport) -> None:
        """Nothing to show."""


@dataclass
class RunSummary:
    """What a run did (printed by ``smartbranch analyze``, kept in ``analysis_runs``)."""

    run_id: str
    as_of: date
    engine: str
    already_published: bool = False
    customers_graded: int = 0
    tiers: dict[str, int] = field(default_factory=dict)
    rules: dict[str, RuleResult] = field(default_factory=dict)
    leads_published: int = 0
    outcomes_read: int = 0
    conversions: int = 0
    expired: int = 0
    models: dict[str, Any] = field(default_factory=dict)
    uplift: dict[str, feedback.Uplift] = field(default_factory=dict)
    stages: list[StageReport] = field(default_factory=list)
    publish: PublishResult | None = None

    @property
    def seconds(self) -> float:
        """Wall time of all stages."""
        return sum(stage.seconds for stage in self.stages)

    @property
    def leads_per_second(self) -> float:
        """Leads published per second of the publish stage."""
        publish = next((s for s in self.stages if s.name == "publish"), None)
        return self.leads_published / publish.seconds if publish and publish.seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        """The summary as plain JSON values (stored with the run, printed by ``--json``)."""
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "engine": self.engine,
            "already_published": self.already_published,
            "customers_graded": self.customers_graded,
            "tiers": self.tiers,
            "rules": {code: asdict(result) for code, result in self.rules.items()},
            "leads_published": self.leads_published,
            "outcomes_read": self.outcomes_read,
            "conversions": self.conversions,
            "expired": self.expired,
            "models": self.models,
            "uplift": {
                code: {
                    **asdict(figures),
                    "treated_rate": figures.treated_rate,
                    "control_rate": figures.control_rate,
                    "uplift": figures.uplift,
                }
                for code, figures in self.uplift.items()
            },
            "publish_steps": (
                {k: round(v, 3) for k, v in self.publish.steps.items()} if self.publish else {}
            ),
            "stages": [
                {
                    "name": s.name,
                    "seconds": round(s.seconds, 3),
                    "peak_rss_mib": round(s.peak_rss_bytes / 2**20, 1),
                    "rows": s.rows,
                }
                for s in self.stages
            ],
        }


def lake_as_of(lake: Path) -> date:
    """The warehouse's as-of date, from the lake's manifest."""
    manifest = json.loads((lake / layout.MANIFEST_FILE).read_text(encoding="utf-8"))
    return date.fromisoformat(manifest["as_of"])


@dataclass
class Prepared:
    """The serving side's inputs of a run, and its name."""

    summary: RunSummary
    digest: str
    watermark: int
    rules: list[ActiveRule]
    run_ids: list[str]
    """The runs published before this one, oldest first."""
    run_dates: list[tuple[str, date]]
    """The same runs with their as-of dates."""
    history: pa.Table
    new_outcomes: pa.Table
    presented: pa.Table


@dataclass
class Computed:
    """A run's results before they are written and published."""

    features: pa.Table
    leads: pa.Table
    control: pa.Table
    conversions: pa.Table

    @property
    def profiles(self) -> pa.Table:
        """What is published about every customer: tier and assets."""
        return self.features.select([KEY_COLUMN, "tier", "aum"])


async def prepare_run(
    database: AsyncEngine,
    lake: Path,
    *,
    as_of: date,
    engine_kind: EngineKind,
    parameters: dict[str, Any],
) -> Prepared:
    """Read the rules, outcomes and presented leads; name the run after its inputs."""
    async with database.connect() as conn:
        rules = await active_rules(conn)
        history_runs = await published_runs(conn)
        watermark = await max_outcome_id(conn)
        previous_mark = history_runs[-1][2] if history_runs else 0
        new_outcomes = await outcomes_after(conn, previous_mark)
        presented = await presented_leads(conn, as_of)
    # Outcomes recorded while this run was reading belong to the next one.
    new_outcomes = new_outcomes.filter(pc.less_equal(new_outcomes["outcome_id"], watermark))
    digest = inputs_digest(
        as_of=as_of,
        lake=lake_fingerprint(lake),
        rules=rules,
        outcomes_watermark=watermark,
        parameters=parameters,
    )
    summary = RunSummary(run_id=run_id_for(as_of, digest), as_of=as_of, engine=engine_kind)
    summary.outcomes_read = new_outcomes.num_rows
    summary.already_published = any(run_id == summary.run_id for run_id, _, _ in history_runs)
    run_ids = [run_id for run_id, _, _ in history_runs]
    history = feedback.outcome_history(lake, run_ids, new_outcomes)
    run_dates = [(run_id, run_as_of) for run_id, run_as_of, _ in history_runs]
    return Prepared(
        summary, digest, watermark, rules, run_ids, run_dates, history, new_outcomes, presented
    )


def compute_run(
    prepared: Prepared,
    lake: Path,
    settings: Settings,
    *,
    engine_kind: EngineKind,
    segments: Literal["rules", "kmeans"],
    max_leads_per_customer: int,
    reporter: Reporter,
) -> Computed:
    """The stages from features to scripts, on ``engine_kind``."""
    summary, rules, as_of = prepared.summary, prepared.rules, prepared.summary.as_of
    with open_engine(engine_kind, lake_path=lake, settings=settings) as engine:
        engine.register_lake()
        # -- features, tiers, segments, care events
        with measured("features") as stage:
            reporter.stage_started("features", 1)
            compute_features(
                engine, as_of=as_of, thresholds=settings.tier_thresholds_cny, segments=segments
            )
            features = engine.fetch_arrow(
                f"SELECT * FROM {FEATURES_TABLE} ORDER BY {KEY_COLUMN}"  # noqa: S608
            )
            names = engine.fetch_arrow(
                "SELECT c.customer_number, c.name, c.gender FROM customers c "  # noqa: S608
                f"JOIN {FEATURES_TABLE} f ON f.customer_number = c.customer_number "
                "ORDER BY c.customer_number"
            )
            stage.rows = features.num_rows
            summary.customers_graded = features.num_rows
            summary.tiers = _counts(features["tier"])
        _finish(summary, reporter, stage)

        # -- feedback: purchases that convert presented leads
        with measured("feedback") as stage:
            reporter.stage_started("feedback", 1)
            conversions = feedback.detect_conversions(engine, prepared.presented, as_of)
            stage.rows = conversions.num_rows
            summary.conversions = conversions.num_rows
            summary.uplift = feedback.uplift_by_rule(engine, lake, prepared.run_dates, rules, as_of)
        _finish(summary, reporter, stage)

        # -- eligibility: every active rule's condition over the features
        with measured("eligibility") as stage:
            reporter.stage_started("eligibility", len(rules))
            candidates = leads_stage.eligible(engine, rules, as_of)
            stage.rows = candidates.num_rows
        _finish(summary, reporter, stage)

    # -- scoring: propensities learned from outcome history
    with measured("scoring") as stage:
        reporter.stage_started("scoring", len(rules))
        training = feedback.training_set(
            lake, prepared.history, feedback.conversions_so_far(lake, prepared.run_ids)
        )
        models = scoring.train_propensity(
            training, priors={rule.code: rule.prior_propensity for rule in rules}
        )
        summary.models = {model.rule_code: asdict(model) for model in models.describe()}
        propensity = leads_stage.score(
            models,
            rules,
            candidates,
            features,
            lambda done: reporter.stage_advanced("scoring", done),
        )
        stage.rows = training.num_rows
    _finish(summary, reporter, stage)

    # -- arbitration: control group, contact policy, best N per customer
    with measured("arbitration") as stage:
        reporter.stage_started("arbitration", 1)
        leads, control, summary.rules = leads_stage.arbitrate(
            rules,
            features[KEY_COLUMN],
            candidates,
            propensity,
            prepared.history,
            as_of,
            max_leads_per_customer,
        )
        stage.rows = leads.num_rows
    _finish(summary, reporter, stage)

    # -- scripts: what to say, in Chinese and English
    with measured("scripts") as stage:
        reporter.stage_started("scripts", leads.num_rows)
        leads = leads_stage.with_scripts(
            leads,
            rules,
            features,
            names,
            lambda done: reporter.stage_advanced("scripts", done),
        )
        stage.rows = leads.num_rows
    _finish(summary, reporter, stage)
    return Computed(features=features, leads=leads, control=control, conversions=conversions)


async def run_analysis(
    settings: Settings,
    *,
    as_of: date | None = None,
    engine_kind: EngineKind = "duckdb",
    segments: Literal["rules", "kmeans"] = "rules",
    max_leads_per_customer: int = MAX_LEADS_PER_CUSTOMER,
    reporter: Reporter | None = None,
    checkpoint: Checkpoint | None = None,
    database: AsyncEngine | None = None,
) -> RunSummary:
    """Run the analysis for ``as_of`` (default: the lake's as-of date) and publish it.

    ``database`` is the serving database (default: the one ``settings`` names)."""
    lake = settings.resolved_lake_path
    as_of = as_of or lake_as_of(lake)
    report = reporter or _Silent()
    own_database = database is None
    database = database or create_engine(settings)
    parameters = {
        "thresholds": [str(t) for t in settings.tier_thresholds_cny],
        "segments": segments,
        "max_leads_per_customer": max_leads_per_customer,
    }
    try:
        with measured("prepare") as stage:
            report.stage_started("prepare", 1)
            started_at = utcnow()
            prepared = await prepare_run(
                database, lake, as_of=as_of, engine_kind=engine_kind, parameters=parameters
            )
            stage.rows = len(prepared.rules)
        summary = prepared.summary
        _finish(summary, report, stage)
        if summary.already_published:
            return summary
        computed = compute_run(
            prepared,
            lake,
            settings,
            engine_kind=engine_kind,
            segments=segments,
            max_leads_per_customer=max_leads_per_customer,
            reporter=report,
        )
        # -- write: the run's results into the lake, all or nothing
        with measured("write") as stage:
            report.stage_started("write", 1)
            _write_run(
                lake / RUNS_FOLDER / summary.run_id,
                {
                    "features": computed.features,
                    "leads": computed.leads,
                    "control": computed.control,
                    "outcomes": prepared.new_outcomes,
                    "conversions": computed.conversions,
                },
                summary,
            )
        _finish(summary, report, stage)

        # -- publish: one transaction into the serving database
        with measured("publish") as stage:
            report.stage_started("publish", 1)
            record = RunRecord(
                id=summary.run_id,
                as_of=as_of,
                engine=engine_kind,
                inputs_digest=prepared.digest,
                started_at=started_at,
                outcomes_watermark=prepared.watermark,
                summary=summary.as_json(),
            )
            result = await publish_run(
                database,
                record,
                leads=computed.leads,
                profiles=computed.profiles,
                conversions=computed.conversions,
                checkpoint=checkpoint,
            )
            summary.publish = result
            summary.already_published = result.already_published
            summary.leads_published = result.leads
            summary.expired = result.expired
            stage.rows = result.leads
        _finish(summary, report, stage)
        return summary
    finally:
        if own_database:
            await database.dispose()


def _finish(summary: RunSummary, reporter: Reporter, stage: StageReport) -> None:
    summary.stages.append(stage)
    reporter.stage_finished(stage)


def _counts(column: pa.ChunkedArray) -> dict[str, int]:
    counts = pc.value_counts(column).to_pylist()
    return {str(item["values"]): int(item["counts"]) for item in counts}


# --- write --------------------------------------------------------------------------------


def _write_run(folder: Path, tables: dict[str, pa.Table], summary: RunSummary) -> None:
    """Write the run's tables into ``folder`` atomically: into a hidden sibling first, then
    renamed. A folder that exists already came from the same inputs (the id is their
    digest) and is kept as it is: runs are immutable."""
    if folder.exists():
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for name, table in tables.items():
        pq.write_table(table, staging / f"{name}.parquet", compression="zstd")
    (staging / "summary.json").write_text(
        json.dumps(summary.as_json(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    staging.rename(folder)
