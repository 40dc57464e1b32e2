"""``smartbranch scoring …``: the scoring model from the command line.

Registered in :mod:`smartbranch.cli` as ``app.add_typer(scoring_app, name="scoring")``.
Scikit-learn is imported only when a command runs, so other commands start as fast as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from smartbranch.errors import AppError
from smartbranch.i18n import LOCALES, N_, negotiate_locale, translate

if TYPE_CHECKING:
    from smartbranch.analysis.backtest import BacktestResult

scoring_app = typer.Typer(help="Propensity scoring of marketing leads.", no_args_is_help=True)


def _locale(requested: str | None) -> str:
    if requested:
        return negotiate_locale(requested)
    from smartbranch.settings import get_settings

    return get_settings().default_locale


def _split_exclude(values: list[str] | None) -> tuple[str, ...]:
    """``--exclude a,b --exclude c`` → ``("a", "b", "c")``."""
    names = [part.strip() for value in values or [] for part in value.split(",")]
    return tuple(name for name in names if name)


@scoring_app.command("backtest")
def backtest(
    data: Annotated[Path, typer.Option("--data", help="CSV or Parquet of past outcomes.")],
    label: Annotated[str, typer.Option("--label", help="Column with the outcome (1/0, yes/no…).")],
    time_column: Annotated[
        str | None,
        typer.Option("--time-column", help="Train on the earliest 80%, test on the latest 20%."),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option("--exclude", help="Columns to leave out (comma-separated, repeatable)."),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    locale: Annotated[
        str | None,
        typer.Option(
            "--locale",
            help=f"Language of the output ({', '.join(LOCALES)}; default: settings).",
        ),
    ] = None,
) -> None:
    """Train and evaluate the scoring model on a file of past campaign outcomes: AUC, success
    rate, lift in the top 10% and 20%, cumulative-gains area, and leakage warnings."""
    from smartbranch.analysis.backtest import run_backtest

    language = _locale(locale)
    try:
        result = run_backtest(
            data, label=label, time_column=time_column, exclude=_split_exclude(exclude)
        )
    except AppError as error:
        if json_output:
            typer.echo(json.dumps(error.to_dict(language), ensure_ascii=False))
        else:
            Console(stderr=True).print(f"[bold red]{error.code}[/]: {error.localized(language)}")
        raise typer.Exit(1) from None
    if json_output:
        typer.echo(json.dumps(result.to_json(language), ensure_ascii=False))
    else:
        _print(result, data, language)


def _print(result: BacktestResult, data: Path, locale: str) -> None:
    def t(message: str) -> str:
        return translate(message, locale)

    console = Console()
    if result.split == "time":
        split = t(N_("time-ordered by {column}: earliest 80% trained, latest 20% tested"))
        split = split.format(column=result.time_column)
    else:
        split = t(N_("stratified 5-fold, every row scored by a model that did not see it"))
    figures = Table(
        t(N_("Measure")), t(N_("Value")), title=t(N_("Backtest of {file}")).format(file=data.name)
    )
    figures.add_row(t(N_("Rows")), f"{result.n:,}")
    figures.add_row(t(N_("Rows trained / tested")), f"{result.n_train:,} / {result.n_test:,}")
    figures.add_row(t(N_("Split")), split)
    figures.add_row(t(N_("Success rate (base rate)")), f"{result.base_rate:.2%}")
    figures.add_row("AUC", f"{result.auc:.3f}")
    figures.add_row(t(N_("Lift, top 10%")), f"{result.lift_top10:.2f}")
    figures.add_row(t(N_("Lift, top 20%")), f"{result.lift_top20:.2f}")
    figures.add_row(t(N_("Cumulative-gains area (random 0.5)")), f"{result.gains_area:.3f}")
    figures.add_row(t(N_("Accuracy ratio (Gini)")), f"{result.accuracy_ratio:.3f}")
    figures.add_row(t(N_("Features")), str(len(result.features)))
    console.print(figures)
    strongest = Table(t(N_("Column")), t(N_("AUC alone")), title=t(N_("Strongest single columns")))
    for name, strength in list(result.single_feature_auc.items())[:5]:
        strongest.add_row(name, f"{strength:.3f}")
    console.print(strongest)
    caution = t(N_("Warning"))
    for warning in result.warnings:
        console.print(f"[bold yellow]{caution}[/]: {warning.localized(locale)}")
