"""How ``smartbranch analyze`` shows a run: a progress bar per stage, then a summary."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from smartbranch.analysis.measure import StageReport
from smartbranch.analysis.run import RunSummary
from smartbranch.customers.models import TIER_ORDER


class RichReporter:
    """Draws one Rich progress bar per stage (use as a context manager)."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichReporter:
        self.progress.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.progress.stop()

    def stage_started(self, stage: str, total: int) -> None:
        """A bar for ``stage``."""
        self.tasks[stage] = self.progress.add_task(stage, total=max(total, 1))

    def stage_advanced(self, stage: str, done: int) -> None:
        """Move ``stage``'s bar to ``done``."""
        if stage in self.tasks:
            self.progress.update(self.tasks[stage], completed=done)

    def stage_finished(self, report: StageReport) -> None:
        """Fill ``stage``'s bar."""
        task = self.tasks.get(report.name)
        if task is not None:
            total = self.progress.tasks[self.tasks[report.name]].total or 1
            self.progress.update(task, completed=total)


def print_summary(console: Console, summary: RunSummary) -> None:
    """The run's figures: stages (time, memory), tiers, leads and control by rule."""
    if summary.already_published:
        console.print(
            f"run [bold]{summary.run_id}[/] (as of {summary.as_of}) is already published:"
            " nothing changed"
        )
        return
    console.print(
        f"run [bold]{summary.run_id}[/] as of {summary.as_of} on {summary.engine}: "
        f"{summary.customers_graded:,} customers graded, {summary.leads_published:,} leads "
        f"published, {summary.conversions:,} conversions detected, "
        f"{summary.outcomes_read:,} new outcomes read, {summary.expired:,} leads expired"
    )
    stages = Table("stage", "seconds", "peak memory (MiB)", "rows", title="stages")
    for stage in summary.stages:
        stages.add_row(
            stage.name,
            f"{stage.seconds:.2f}",
            f"{stage.peak_rss_bytes / 2**20:,.0f}",
            f"{stage.rows:,}",
        )
    stages.add_row("total", f"{summary.seconds:.2f}", "", "")
    console.print(stages)
    tiers = Table("tier", "customers", title="tiers")
    order = [tier.value for tier in TIER_ORDER]
    for tier, count in sorted(
        summary.tiers.items(), key=lambda item: order.index(item[0]) if item[0] in order else 9
    ):
        tiers.add_row(tier, f"{count:,}")
    console.print(tiers)
    rules = Table(
        "rule", "eligible", "control", "held back", "leads", "model", title="leads by rule"
    )
    for code, result in sorted(summary.rules.items()):
        model = summary.models.get(code, {})
        method = model.get("method", "") if isinstance(model, dict) else str(model)
        rules.add_row(
            code,
            f"{result.eligible:,}",
            f"{result.control:,}",
            f"{result.held_back:,}",
            f"{result.leads:,}",
            str(method),
        )
    console.print(rules)
    if summary.uplift:
        effect = Table(
            "rule", "given the lead", "took it", "control", "took it", "uplift",
            title="conversion against the control group (runs in their attribution window)",
        )  # fmt: skip
        for code, figures in sorted(summary.uplift.items()):
            effect.add_row(
                code,
                f"{figures.treated:,}",
                _rate(figures.treated_rate),
                f"{figures.control:,}",
                _rate(figures.control_rate),
                "—" if figures.uplift is None else f"{figures.uplift:.2f}×",
            )
        console.print(effect)
    if summary.leads_per_second:
        console.print(f"published {summary.leads_per_second:,.0f} leads/s")


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.2%}"
