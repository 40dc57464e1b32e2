"""``smartbranch demo``: a small synthetic bank, ready to try, on the embedded defaults.

The first run generates and loads the bank, enrolls demo devices and gives demo staff a
password; later runs reuse all of it. The demo's device tokens are kept in a file under the
simulation folder (owner-only), because a demo must be able to print its links again; a real
installation shows a device token once, at enrolment.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.passwords import hash_password
from smartbranch.auth.service import authenticate_device, enroll_device
from smartbranch.customers.models import Customer
from smartbranch.db import create_engine, create_sessionmaker, unit_of_work
from smartbranch.errors import DeviceNotEnrolledError
from smartbranch.migrations.runner import upgrade
from smartbranch.orgs.models import OrgKind, OrgUnit, Staff
from smartbranch.settings import Settings

Progress = Callable[[str, int, int], None]
DEMO_ROLES = (
    "lobby_manager",
    "wealth_manager",
    "account_manager",
    "teller",
    "outlet_manager",
)
DEMO_DEVICE_KINDS = ("kiosk", "tablet", "counter", "board")


@dataclass
class DemoInfo:
    """What the demo prints."""

    summary: str
    kiosk_outlet: str
    devices: list[dict[str, str]] = field(default_factory=list)
    logins: list[dict[str, str]] = field(default_factory=list)
    test_cards: list[dict[str, str]] = field(default_factory=list)


def prepare_demo(
    settings: Settings,
    *,
    customers: int,
    outlets: int,
    branches: int,
    password: str,
    progress: Progress | None = None,
) -> DemoInfo:
    """Make sure the demo bank exists, is loaded and has devices and logins."""
    from smartbranch.simulation.bank import BankSpec, generate_bank

    upgrade(settings)
    lake = settings.resolved_lake_path
    if not (lake / "_manifest.json").exists():
        generate_bank(
            BankSpec(customers=customers, outlets=outlets, branches=branches),
            lake,
            settings.resolved_simulation_path,
            settings.credential_key_bytes(),
            progress=progress,
        )
    return asyncio.run(_prepare(settings, password, progress))


async def _prepare(settings: Settings, password: str, progress: Progress | None) -> DemoInfo:
    from smartbranch.analysis.run import run_analysis
    from smartbranch.catalog.content import install_content
    from smartbranch.lake.load import load_lake
    from smartbranch.marketing.library import install_default_library
    from smartbranch.queueing.service import setup_outlet

    lake = settings.resolved_lake_path
    manifest = json.loads((lake / "_manifest.json").read_text())
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    try:
        async with sessionmaker() as session:
            loaded = await session.scalar(select(func.count()).select_from(Customer))
        if not loaded:
            await load_lake(
                engine, lake, tier_thresholds=settings.tier_thresholds_cny, progress=progress
            )
        async with unit_of_work(sessionmaker) as session:
            await install_default_library(session)
            # The product centre and the knowledge base the workbench shows.
            await install_content(session)
        # The demo opens with graded customers and leads: a first analysis run (a no-op
        # when the same lake and rules were analysed before).
        run = await run_analysis(settings, database=engine)
        async with unit_of_work(sessionmaker) as session:
            outlet = await session.scalar(
                select(OrgUnit).where(OrgUnit.kind == OrgKind.OUTLET).order_by(OrgUnit.code)
            )
            assert outlet is not None, "the demo bank has no outlet"
            # The kiosk's outlet queues: services (cash, non-cash, wealth …) and counters.
            await setup_outlet(session, outlet_code=outlet.code)
            devices = await _demo_devices(session, settings, outlet)
            logins = await _demo_logins(session, outlet, password)
            total = await session.scalar(select(func.count()).select_from(Customer))
    finally:
        await engine.dispose()
    return DemoInfo(
        summary=(
            f"{total} customers loaded (seed {manifest.get('seed')}), lake at {lake}; "
            f"analysis run {run.run_id}"
            + (
                " (already published)"
                if run.already_published
                else f": {run.leads_published} leads"
            )
        ),
        kiosk_outlet=outlet.code,
        devices=devices,
        logins=logins,
        test_cards=_test_cards(settings.resolved_simulation_path),
    )


async def _demo_devices(
    session: AsyncSession, settings: Settings, outlet: OrgUnit
) -> list[dict[str, str]]:
    path = settings.resolved_simulation_path / "demo" / "DEMO-DEVICES.json"
    if path.exists():
        devices: list[dict[str, str]] = json.loads(path.read_text())
        try:
            for device in devices:
                await authenticate_device(session, device["token"])
        except DeviceNotEnrolledError:
            devices = []  # the database was reset since: enroll afresh
        if devices:
            return devices
    devices = []
    for kind in DEMO_DEVICE_KINDS:
        _device, token = await enroll_device(
            session, kind=kind, org_code=outlet.code, name=f"demo {kind}"
        )
        devices.append({"kind": kind, "org": outlet.code, "token": token})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(devices, indent=2))
    os.chmod(path, 0o600)
    return devices


async def _demo_logins(
    session: AsyncSession, outlet: OrgUnit, password: str
) -> list[dict[str, str]]:
    logins: list[dict[str, str]] = []
    password_hash: str | None = None
    for role in DEMO_ROLES:
        staff = await session.scalar(
            select(Staff)
            .where(Staff.org_unit_id == outlet.id, Staff.role == role)
            .order_by(Staff.username)
        )
        if staff is None:
            continue
        if staff.password_hash is None:
            password_hash = password_hash or hash_password(password)
            staff.password_hash = password_hash
        logins.append({"username": staff.username, "role": role})
    return logins


def _test_cards(simulation: Path, per_tier: int = 2) -> list[dict[str, str]]:
    """A few of the generator's test cards, covering the tiers and a lost card."""
    from smartbranch.simulation.bank import TEST_CARDS
    from smartbranch.simulation.testcards import read_test_cards

    path = simulation / TEST_CARDS
    if not path.exists():
        return []
    rows = read_test_cards(path)
    chosen: list[dict[str, str]] = []
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["tier"], row["status"])
        if seen.get(key, 0) < (per_tier if row["status"] == "active" else 1):
            seen[key] = seen.get(key, 0) + 1
            chosen.append(row)
    return chosen
