"""``smartbranch catalog …``: the product centre and the knowledge base from the command line.

Registered in :mod:`smartbranch.cli` as ``app.add_typer(catalog_app, name="catalog")``.
"""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

from smartbranch.db import create_engine, create_sessionmaker, unit_of_work
from smartbranch.settings import Settings, get_settings

catalog_app = typer.Typer(help="The product centre and the knowledge base.", no_args_is_help=True)
console = Console()


async def _install(settings: Settings) -> tuple[int, int]:
    from smartbranch.catalog.content import install_content
    from smartbranch.migrations.runner import upgrade

    # The content columns come with a migration: bring the database up to date first.
    await asyncio.to_thread(upgrade, settings)
    engine = create_engine(settings)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            return await install_content(session)
    finally:
        await engine.dispose()


@catalog_app.command("install-content")
def install_content_command() -> None:
    """Write the product centre's summaries and selling points onto the loaded products and
    install the knowledge base (run after ``smartbranch load``; running it again changes
    nothing)."""
    products, articles = asyncio.run(_install(get_settings()))
    console.print(f"{products} products updated, {articles} articles added or updated")
