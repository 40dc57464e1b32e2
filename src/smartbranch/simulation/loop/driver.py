"""The loop: simulated days, each followed by the nightly analysis."""

from __future__ import annotations

import datetime
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from smartbranch.db import create_engine
from smartbranch.errors import NotFoundError
from smartbranch.i18n import N_
from smartbranch.lake import layout
from smartbranch.lake.errors import LakeMissingError
from smartbranch.settings import Settings
from smartbranch.simulation.bank import HIDDEN_BEHAVIOUR
from smartbranch.simulation.lakeappend import sim_days
from smartbranch.simulation.loop.day import LoopState, simulate_day
from smartbranch.simulation.loop.serving import rule_infos, serving_run
from smartbranch.simulation.loop.summary import LoopSpec, LoopSummary, measure
from smartbranch.simulation.loop.world import read_bank, read_pending, write_pending


class BehaviourModelMissingError(NotFoundError):
    """The simulator needs the generator's hidden behaviour model."""

    code = "behaviour_model_missing"
    message = N_(
        "No hidden behaviour model at {path}: generate the synthetic bank first "
        "(smartbranch generate)."
    )


class NightResult(Protocol):
    """What the loop needs from a nightly run (``analysis.run.RunSummary`` has it)."""

    run_id: str
    already_published: bool
    leads_published: int
    conversions: int


Nightly = Callable[[datetime.date], Awaitable[NightResult]]
"""Runs the nightly analysis as of a day and publishes it."""
Progress = Callable[[str, int, int], None]


# --- the loop -----------------------------------------------------------------------------


def _manifest_as_of(lake: Path) -> datetime.date:
    manifest = json.loads((lake / layout.MANIFEST_FILE).read_text(encoding="utf-8"))
    return datetime.date.fromisoformat(manifest["as_of"])


def _last_fact_day(lake: Path) -> datetime.date:
    """The last day the lake has facts for: the generated history or a simulated day."""
    days = sim_days(lake, layout.VISITS)
    return max([_manifest_as_of(lake), *days])


async def simulate_loop(
    settings: Settings,
    spec: LoopSpec,
    *,
    database: AsyncEngine | None = None,
    nightly: Nightly | None = None,
    progress: Progress | None = None,
) -> LoopSummary:
    """Simulate ``spec.days`` days after the serving run, each followed by a nightly run.

    ``database`` is the serving database (default: the one ``settings`` names); ``nightly``
    runs the analysis as of a day (default: ``analysis.run.run_analysis``). When no run
    serves yet, or the serving run is older than the lake's last day of facts (an earlier
    loop was interrupted after a day), the night of that last day is run first.
    """
    spec.validate()
    lake = settings.resolved_lake_path
    simulation = settings.resolved_simulation_path
    if not (lake / layout.MANIFEST_FILE).is_file():
        raise LakeMissingError(N_("No lake found at {path}."), path=str(lake))
    if not (simulation / HIDDEN_BEHAVIOUR).is_file():
        raise BehaviourModelMissingError(path=str(simulation / HIDDEN_BEHAVIOUR))
    report = progress or (lambda stage, done, total: None)
    own_database = database is None
    database = database or create_engine(settings)
    if nightly is None:
        nightly = _default_nightly(settings, database)
    try:
        rules = await rule_infos(database)
        last = _last_fact_day(lake)
        serving = await serving_run(database)
        if serving is None or serving[1] < last:
            await nightly(last)
            serving = await serving_run(database)
        if serving is None:  # pragma: no cover - a night always leaves a run serving
            raise RuntimeError("the nightly run left no run serving")
        first = max(serving[1], last) + datetime.timedelta(days=1)
        state = LoopState(
            bank=read_bank(lake, simulation, first, spec.visit_rate),
            pending=[p for p in read_pending(simulation, lake) if p[2] >= first],
        )
        summary = LoopSummary(
            days=spec.days,
            first_day=first,
            last_day=first + datetime.timedelta(days=spec.days - 1),
        )
        report("days", 0, spec.days)
        for offset in range(spec.days):
            day = first + datetime.timedelta(days=offset)
            run_id = serving[0]
            state.serving_by_day[day] = run_id
            day_result = await simulate_day(day, run_id, spec, state, rules, database, lake)
            write_pending(simulation, lake, state.pending)
            night = await nightly(day)
            day_result.night_run = night.run_id
            day_result.leads_published = night.leads_published
            day_result.conversions = night.conversions
            summary.day_results.append(day_result)
            serving = await serving_run(database)
            if serving is None:  # pragma: no cover - a night always leaves a run serving
                raise RuntimeError("the nightly run left no run serving")
            report("days", offset + 1, spec.days)
        # The nights after this loop's days (a catch-up night before them credits days this
        # loop did not play).
        summary.conversions_detected = sum(r.conversions for r in summary.day_results)
        summary.presented = sum(r.presented for r in summary.day_results)
        summary.accepted = sum(r.accepted for r in summary.day_results)
        measure(summary, state, rules, lake)
        return summary
    finally:
        if own_database:
            await database.dispose()


def _default_nightly(settings: Settings, database: AsyncEngine) -> Nightly:
    async def night(day: datetime.date) -> NightResult:
        from smartbranch.analysis.run import run_analysis

        return await run_analysis(settings, as_of=day, database=database)

    return night
