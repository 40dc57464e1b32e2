"""``smartbranch events …``: housekeeping of the staff events behind the live streams.

Registered in :mod:`smartbranch.cli` as ``app.add_typer(events_app, name="events")``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console

from smartbranch.db import create_engine, create_sessionmaker, unit_of_work, utcnow
from smartbranch.settings import Settings, get_settings

events_app = typer.Typer(help="Staff events (the live streams' store).", no_args_is_help=True)
console = Console()


async def _prune(settings: Settings, days: int) -> int:
    from smartbranch.service.events import prune

    engine = create_engine(settings)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            return await prune(session, utcnow() - timedelta(days=days))
    finally:
        await engine.dispose()


@events_app.command("prune")
def prune_command(
    days: Annotated[
        int, typer.Option("--older-than-days", min=1, help="Keep the events of these last days.")
    ] = 7,
) -> None:
    """Delete staff events (and who received them) older than the given number of days; a
    device reconnecting after that long reloads its pages instead of catching up. Run it
    daily, e.g. after the nightly analysis."""
    removed = asyncio.run(_prune(get_settings(), days))
    console.print(f"{removed} events older than {days} days removed")
