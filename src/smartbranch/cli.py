"""The ``smartbranch`` command."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
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
from sqlalchemy.ext.asyncio import AsyncSession

if TYPE_CHECKING:
    from smartbranch.lake.load import LoadSummary

# Every table's class, so the ORM can resolve any foreign key whichever command runs
# (outcomes point at visits, a model no marketing command imports itself).
import smartbranch.models  # noqa: F401
from smartbranch.analysis.cli import scoring_app
from smartbranch.catalog.cli import catalog_app
from smartbranch.db import create_engine, create_sessionmaker, unit_of_work
from smartbranch.errors import AppError
from smartbranch.service.cli import events_app
from smartbranch.settings import Settings, get_settings

app = typer.Typer(help="smartbranch: branch intelligence for retail banks.", no_args_is_help=True)
db_app = typer.Typer(help="The serving database.", no_args_is_help=True)
devices_app = typer.Typer(help="Enrolled devices.", no_args_is_help=True)
staff_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(devices_app, name="devices")
app.add_typer(staff_app, name="staff")
app.add_typer(scoring_app, name="scoring")
app.add_typer(catalog_app, name="catalog")
app.add_typer(events_app, name="events")
rules_app = typer.Typer(help="Lead rules.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
simulate_app = typer.Typer(
    help="Simulate the synthetic bank: a branch day, days after a run.", no_args_is_help=True
)
app.add_typer(simulate_app, name="simulate")
console = Console()

DEMO_PASSWORD = "demo-2026"  # noqa: S105 - printed by `smartbranch demo` for demo staff only


@contextmanager
def progress_bars() -> Iterator[Callable[[str, int, int], None]]:
    """A ``progress(stage, done, total)`` callback drawing one Rich bar per stage."""
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        yield update


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply the migrations up to REVISION (default: the newest)."""
    from smartbranch.migrations.runner import upgrade

    upgrade(get_settings(), revision)
    console.print(f"database at [bold]{revision}[/]")


@db_app.command("downgrade")
def db_downgrade(revision: str) -> None:
    """Revert the migrations down to REVISION."""
    from smartbranch.migrations.runner import downgrade

    downgrade(get_settings(), revision)


@app.command()
def generate(
    customers: Annotated[int, typer.Option(min=100, help="How many customers.")] = 20_000,
    outlets: Annotated[int, typer.Option(min=1, help="How many outlets.")] = 12,
    branches: Annotated[int | None, typer.Option(min=1, help="How many branches.")] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same bank, byte for byte.")] = 42,
    as_of: Annotated[str | None, typer.Option(help="Last day of history (YYYY-MM-DD).")] = None,
    test_cards: Annotated[
        int, typer.Option(min=0, help="Customers whose clear test cards go to TEST-CARDS.csv.")
    ] = 200,
) -> None:
    """Write a synthetic bank into the lake (Parquet)."""
    from smartbranch.simulation.bank import BankSpec, generate_bank

    settings = get_settings()
    spec = BankSpec(
        customers=customers,
        outlets=outlets,
        branches=branches,
        seed=seed,
        test_cards=test_cards,
        as_of=date.fromisoformat(as_of) if as_of else BankSpec.as_of,
    )
    with progress_bars() as progress:
        summary = generate_bank(
            spec,
            settings.resolved_lake_path,
            settings.resolved_simulation_path,
            settings.credential_key_bytes(),
            progress=progress,
        )
    table = Table("lake table", "rows", title=f"generated in {summary.elapsed_seconds:.1f} s")
    for name, rows in summary.counts.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    tiers = Table("tier", "customers", "share")
    for tier, count in summary.tier_counts.items():
        tiers.add_row(tier, f"{count:,}", f"{summary.tier_shares[tier]:.2%}")
    console.print(tiers)


@app.command()
def load(
    lake: Annotated[Path | None, typer.Option(help="Lake folder (default: settings).")] = None,
) -> None:
    """Bring master data from the lake into the serving database (idempotent)."""
    settings = get_settings()
    summary = asyncio.run(_load(settings, lake or settings.resolved_lake_path))
    table = Table("table", "rows", "seconds", title=f"loaded in {summary.elapsed_seconds:.1f} s")
    for name, rows in summary.rows.items():
        table.add_row(name, f"{rows:,}", f"{summary.seconds.get(name, 0.0):.1f}")
    console.print(table)


def _upgrade(settings: Settings) -> None:
    from smartbranch.migrations.runner import upgrade

    upgrade(settings)


async def _load(settings: Settings, lake: Path) -> LoadSummary:
    from smartbranch.lake.load import load_lake

    await asyncio.to_thread(_upgrade, settings)
    engine = create_engine(settings)
    try:
        with progress_bars() as progress:
            return await load_lake(
                engine, lake, tier_thresholds=settings.tier_thresholds_cny, progress=progress
            )
    finally:
        await engine.dispose()


@devices_app.command("enroll")
def devices_enroll(
    kind: Annotated[str, typer.Option(help="kiosk, tablet, counter, board or channel.")],
    org: Annotated[str, typer.Option(help="Code of the org unit the device belongs to.")],
    name: Annotated[str, typer.Option(help="A name staff recognise.")] = "",
) -> None:
    """Enroll a device and print its token. The token is shown once and stored hashed."""
    device_id, token = asyncio.run(_enroll(get_settings(), kind, org, name))
    console.print(f"device [bold]{device_id}[/] enrolled; its token (shown once):")
    typer.echo(token)


async def _enroll(settings: Settings, kind: str, org: str, name: str) -> tuple[int, str]:
    from smartbranch.auth.service import enroll_device

    async with _session(settings) as session:
        device, token = await enroll_device(session, kind=kind, org_code=org, name=name)
        return device.id, token


@devices_app.command("list")
def devices_list() -> None:
    """List enrolled devices (never their tokens)."""
    rows = asyncio.run(_devices(get_settings()))
    table = Table("id", "kind", "org", "name", "token starts", "active")
    for row in rows:
        table.add_row(*[str(v) for v in row])
    console.print(table)


async def _devices(settings: Settings) -> list[tuple[object, ...]]:
    from sqlalchemy import select

    from smartbranch.auth.models import Device
    from smartbranch.orgs.models import OrgUnit

    async with _session(settings) as session:
        result = await session.execute(
            select(
                Device.id, Device.kind, OrgUnit.code, Device.name, Device.token_hint, Device.active
            )
            .join(OrgUnit, OrgUnit.id == Device.org_unit_id)
            .order_by(Device.id)
        )
        return [tuple(r) for r in result.all()]


@devices_app.command("deactivate")
def devices_deactivate(device_id: int) -> None:
    """Stop a device from calling the API."""
    asyncio.run(_deactivate(get_settings(), device_id))


async def _deactivate(settings: Settings, device_id: int) -> None:
    from smartbranch.auth.service import deactivate_device

    async with _session(settings) as session:
        await deactivate_device(session, device_id)


@staff_app.command("set-password")
def staff_set_password(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Set a member of staff's password (argon2id)."""
    asyncio.run(_set_passwords(get_settings(), {username: password}))


async def _set_passwords(settings: Settings, passwords: dict[str, str]) -> None:
    from sqlalchemy import select

    from smartbranch.auth.passwords import hash_password
    from smartbranch.orgs.models import Staff

    async with _session(settings) as session:
        for username, password in passwords.items():
            staff = await session.scalar(select(Staff).where(Staff.username == username))
            if staff is None:
                raise typer.BadParameter(f"no staff member {username}")
            staff.password_hash = hash_password(password)


@asynccontextmanager
async def _session(settings: Settings) -> AsyncIterator[AsyncSession]:
    """A unit of work on a fresh engine (commands run once, so the engine goes with them),
    on a database brought up to date first."""
    await asyncio.to_thread(_upgrade, settings)
    engine = create_engine(settings)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            yield session
    finally:
        await engine.dispose()


@rules_app.command("install-defaults")
def rules_install_defaults(
    owner: Annotated[str, typer.Option(help="Org unit that owns the rules.")] = "HO",
) -> None:
    """Install the default rule library (rules already present are left as they are)."""
    from smartbranch.marketing.library import install_default_library

    async def install() -> int:
        async with _session(get_settings()) as session:
            return await install_default_library(session, owner_org_code=owner)

    added = asyncio.run(install())
    console.print(f"{added} rules added")


@app.command()
def analyze(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Date the run is as of (default: the lake's).")
    ] = None,
    engine: Annotated[str, typer.Option(help="duckdb (default) or spark.")] = "duckdb",
    segments: Annotated[str, typer.Option(help="rules (default) or kmeans.")] = "rules",
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run the nightly analysis: grade customers, produce leads with scripts, publish them."""
    import json

    from smartbranch.analysis.console import RichReporter, print_summary
    from smartbranch.analysis.run import run_analysis

    if engine not in ("duckdb", "spark"):
        raise typer.BadParameter("engine must be duckdb or spark", param_hint="--engine")
    if segments not in ("rules", "kmeans"):
        raise typer.BadParameter("segments must be rules or kmeans", param_hint="--segments")
    day = date.fromisoformat(as_of) if as_of else None
    settings = get_settings()
    _upgrade(settings)
    with RichReporter(Console(stderr=True) if as_json else console) as reporter:
        summary = asyncio.run(
            run_analysis(
                settings,
                as_of=day,
                engine_kind=engine,  # type: ignore[arg-type]
                segments=segments,  # type: ignore[arg-type]
                reporter=reporter,
            )
        )
    if as_json:
        print(json.dumps(summary.as_json(), ensure_ascii=False))
    else:
        print_summary(console, summary)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Serve the API and the pages."""
    import uvicorn

    from smartbranch.migrations.runner import upgrade

    upgrade(get_settings())
    uvicorn.run(
        "smartbranch.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,
        access_log=True,
        proxy_headers=False,
    )


@app.command()
def demo(
    customers: Annotated[int, typer.Option(min=100)] = 20_000,
    outlets: Annotated[int, typer.Option(min=1)] = 12,
    branches: Annotated[int, typer.Option(min=1)] = 3,
    port: int = 8000,
    serve_: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
) -> None:
    """First run: generate and load a small bank, enroll devices, set demo passwords.
    Every run: print the URLs, logins and test cards, then serve on 127.0.0.1."""
    from smartbranch.demo import prepare_demo

    settings = get_settings()
    with progress_bars() as progress:
        info = prepare_demo(
            settings,
            customers=customers,
            outlets=outlets,
            branches=branches,
            password=DEMO_PASSWORD,
            progress=progress,
        )
    base = f"http://127.0.0.1:{port}"
    console.rule("[bold]smartbranch demo")
    console.print(f"Data: {info.summary}")
    console.print("[bold]Devices[/] — open a link once in the browser that plays the device:")
    for device in info.devices:
        console.print(f"  {device['kind']:<8} @ {device['org']}  ", end="")
        typer.echo(f"{base}/device/activate#{device['token']}")
    staff = Table("staff login", "role", "password")
    for login in info.logins:
        staff.add_row(login["username"], login["role"], DEMO_PASSWORD)
    console.print(staff)
    cards = Table("TEST CARD (synthetic)", "kind", "tier", "status")
    for card in info.test_cards:
        cards.add_row(card["number"], card["kind"], card["tier"], card["status"])
    console.print(cards)
    console.print(f"API docs: {base}/docs    Kiosk: {base}/kiosk/{info.kiosk_outlet}")
    console.print(
        f"Board: {base}/board/{info.kiosk_outlet}    "
        f"Teller panel: {base}/counter/{info.kiosk_outlet}/1"
    )
    if serve_:
        # Simulated customers and tellers keep the outlet's queue and board alive (ten
        # times faster than life); counter 1 is left for you.
        import threading

        from smartbranch.simulation.live import run_live

        stop = threading.Event()
        threading.Thread(
            target=run_live,
            args=(settings,),
            kwargs={"outlet_code": info.kiosk_outlet, "stop": stop},
            daemon=True,
            name="demo-queue",
        ).start()
        try:
            serve(port=port)
        finally:
            stop.set()


@simulate_app.command("day")
def simulate_day(
    outlet: Annotated[
        str | None, typer.Option(help="Outlet code (default: the first outlet by code).")
    ] = None,
    counters: Annotated[
        int | None,
        typer.Option(min=1, max=12, help="Open counters (default: the outlet's, else 4)."),
    ] = None,
    arrivals: Annotated[
        str, typer.Option(help="Arrival profile: quiet, standard, busy or payday.")
    ] = "standard",
    days: Annotated[int, typer.Option(min=1, max=60, help="Consecutive weekdays.")] = 1,
    visits: Annotated[
        int | None, typer.Option(min=1, max=2000, help="Visits a day (default: the profile's).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same customers and times.")] = 1,
    what_if: Annotated[
        bool, typer.Option("--what-if/--no-what-if", help="Find the counters needed.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Simulate branch days at an outlet through the real queue service (on a scratch copy
    of the outlet): KPIs, wait-estimate accuracy and the counters needed to call 85% of
    customers within the target."""
    import json

    from smartbranch.simulation.arrivals import profile_named
    from smartbranch.simulation.branchday import DaySpec, simulate

    try:
        profile_named(arrivals)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--arrivals") from None
    population = asyncio.run(_population(get_settings(), outlet))
    spec = DaySpec(
        counters=counters or population.counters_configured or 4,
        profile=arrivals,
        visits_per_day=float(visits) if visits else None,
        seed=seed,
    )
    if not as_json:
        console.print(
            f"simulating {days} day(s) at [bold]{population.outlet_code}[/] with "
            f"{spec.counters} counter(s), {arrivals} arrivals, seed {seed} …"
        )
    report = simulate(population, spec, days=days, what_if=what_if)
    data = report.as_json()
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False))
        return
    _print_simulation(data)


async def _population(settings: Settings, outlet: str | None) -> Any:
    from smartbranch.simulation.branchday import load_population

    async with _session(settings) as session:
        return await load_population(session, outlet)


def _print_simulation(data: dict[str, Any]) -> None:
    kpis = data["kpis"]
    table = Table("figure", "value", title=f"{data['outlet']}: {data['tickets']} tickets")
    for key in (
        "visits",
        "served",
        "no_shows",
        "mean_wait_minutes",
        "p90_wait_minutes",
        "max_wait_minutes",
        "mean_service_minutes",
        "no_show_share",
        "share_within_target",
        "counter_utilisation",
    ):
        table.add_row(key.replace("_", " "), str(kpis[key]))
    table.add_row("double calls", str(data["double_calls"]))
    console.print(table)
    tiers = Table("tier", "longest wait (min)")
    for tier, minutes in data["max_wait_minutes_by_tier"].items():
        tiers.add_row(tier, f"{minutes:.1f}")
    console.print(tiers)
    accuracy = Table("wait estimate", "mean absolute error (min)")
    accuracy.add_row("ours (policy run forward)", str(data["eta_mae_minutes"]))
    accuracy.add_row("naive (ahead × mean ÷ counters)", str(data["naive_eta_mae_minutes"]))
    reduction = data["eta_error_reduction"]
    if reduction is not None:
        accuracy.add_row("error reduction", f"{reduction:.0%}")
    console.print(accuracy)
    what_if = data["what_if"]
    if what_if["share_within_target_by_counters"]:
        plan = Table("counters", "share called within target")
        for n, share in what_if["share_within_target_by_counters"].items():
            plan.add_row(n, f"{share:.1%}")
        console.print(plan)
        needed = what_if["counters_needed"]
        console.print(
            f"counters needed for {what_if['target_share']:.0%} within target: "
            f"[bold]{needed if needed is not None else 'more than 12'}[/]"
        )


@simulate_app.command("loop")
def simulate_loop(
    days: Annotated[int, typer.Option(min=1, help="How many days to simulate.")],
    seed: Annotated[int, typer.Option(min=0, help="Same seed, same days.")] = 42,
    visit_rate: Annotated[
        float, typer.Option(min=0.01, max=50, help="Multiplies every customer's visit rate.")
    ] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Days after the serving run: visits, leads presented and answered, purchases, and the
    nightly analysis after each day; then success rate against the control group."""
    import json

    from smartbranch.simulation.loop import LoopSpec
    from smartbranch.simulation.loop import simulate_loop as run_loop

    spec = LoopSpec(days=days, seed=seed, visit_rate=visit_rate)
    settings = get_settings()
    if as_json:
        summary = asyncio.run(run_loop(settings, spec))
        print(json.dumps(summary.as_json(), ensure_ascii=False))
        return
    with progress_bars() as progress:
        summary = asyncio.run(run_loop(settings, spec, progress=progress))
    table = Table("day", "visitors", "presented", "accepted", "bought", "night run", "conversions")
    for r in summary.day_results:
        bought = r.purchases_accepted + r.purchases_late + r.purchases_spontaneous
        table.add_row(
            r.day.isoformat(), f"{r.visitors:,}", f"{r.presented:,}", f"{r.accepted:,}",
            f"{bought:,}", r.night_run, f"{r.conversions:,}",
        )  # fmt: skip
    console.print(table)

    def rate(value: float | None) -> str:
        return "—" if value is None else f"{value:.2%}"

    uplift = "—" if summary.uplift is None else f"{summary.uplift:.2f}×"
    console.print(
        f"leads presented {summary.presented:,}, accepted {summary.accepted:,}: "
        f"success rate [bold]{rate(summary.success_rate)}[/]\n"
        f"conversions detected by the nightly runs: {summary.conversions_detected:,}\n"
        f"customers presented a lead who bought its product: "
        f"{rate(summary.treated_conversion_rate)} of {summary.treated_size:,}\n"
        f"control group of the same rules who bought it: "
        f"[bold]{rate(summary.control_conversion_rate)}[/] of {summary.control_size:,}\n"
        f"uplift (presented ÷ control conversion): [bold]{uplift}[/]"
    )


def main() -> None:
    """Entry point: a user error (an :class:`AppError`) prints its code and message in the
    configured language and exits with status 1, without a traceback."""
    try:
        app(standalone_mode=True)
    except AppError as error:
        locale = get_settings().default_locale
        console.print(f"[bold red]{error.code}[/]: {error.localized(locale)}")
        raise SystemExit(1) from None
