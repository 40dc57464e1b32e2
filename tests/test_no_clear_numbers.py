"""Data rule: no card or ID number in clear in the serving database or the logs.

Generates a demo-sized synthetic bank, loads it into its own database (a separate SQLite file
or PostgreSQL schema), identifies customers over the API with their clear test cards (at DEBUG
log level, SQL echo on), then scans every value of every table and every log line for a
Luhn-valid 16–19-digit number or a valid resident ID number.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from smartbranch.auth.service import enroll_device
from smartbranch.credentials import gb11643_check_char, is_luhn_valid
from smartbranch.db import create_sessionmaker, unit_of_work
from smartbranch.lake.load import load_lake
from smartbranch.logs import configure_logging
from smartbranch.main import create_app
from smartbranch.orgs.models import OrgUnit
from smartbranch.settings import Settings
from smartbranch.simulation.bank import TEST_CARDS, BankSpec, generate_bank
from smartbranch.simulation.testcards import read_test_cards
from tests.conftest import TEST_KEY, isolated_engine

DEMO_CUSTOMERS = 20_000
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]{16,19}(?![0-9])")
_ID_SHAPE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")


_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def clear_numbers_in(value: str) -> list[str]:
    """Valid resident ID numbers and Luhn-valid 16–19-digit runs inside ``value``.

    A SHA-256 hex digest (lookup and token hashes) is skipped whole: hex text often holds
    long digit runs, and one in ten of those passes Luhn by chance.
    """
    value = _HEX_DIGEST.sub(" ", value)
    found = [c for c in _ID_SHAPE.findall(value) if gb11643_check_char(c[:17]) == c[17].upper()]
    for number in found:
        value = value.replace(number, " ")
    found.extend(m for m in _DIGIT_RUN.findall(value) if is_luhn_valid(m))
    return found


class TestScanner:
    def test_finds_what_it_looks_for(self) -> None:
        from datetime import date

        from smartbranch.credentials import make_card_number, make_id_number

        card = make_card_number("622848", 19, 12345)
        ident = make_id_number("110105", date(1980, 5, 17), 123)
        assert clear_numbers_in(f"x {card} y") == [card]
        assert clear_numbers_in(f"id:{ident}") == [ident]
        assert clear_numbers_in("622848*********1234 and hash " + "ab" * 32) == []


@pytest.fixture(scope="module")
async def loaded(
    tmp_path_factory: pytest.TempPathFactory, test_settings: Settings
) -> AsyncIterator[tuple[AsyncEngine, Settings, io.StringIO]]:
    var = tmp_path_factory.mktemp("demo-var")
    settings = test_settings.model_copy(update={"var_dir": var})
    logs = io.StringIO()
    configure_logging(json=True, level="DEBUG")
    logging.getLogger().handlers[0].setStream(logs)  # type: ignore[attr-defined]
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # every statement + params
    generate_bank(
        BankSpec(customers=DEMO_CUSTOMERS, outlets=12, branches=3),
        settings.resolved_lake_path,
        settings.resolved_simulation_path,
        TEST_KEY,
    )
    async with isolated_engine(settings) as engine:
        await load_lake(
            engine, settings.resolved_lake_path, tier_thresholds=settings.tier_thresholds_cny
        )
        yield engine, settings, logs
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


def _test_cards(simulation: Path) -> list[dict[str, str]]:
    return read_test_cards(simulation / TEST_CARDS)


class TestNoClearNumbers:
    async def test_identify_with_test_cards_then_scan_database_and_logs(
        self, loaded: tuple[AsyncEngine, Settings, io.StringIO]
    ) -> None:
        engine, settings, logs = loaded
        cards = _test_cards(settings.resolved_simulation_path)
        assert len(cards) >= 50
        sessionmaker = create_sessionmaker(engine)
        async with unit_of_work(sessionmaker) as session:
            outlet = await session.scalar(
                select(OrgUnit.code).where(OrgUnit.kind == "outlet").order_by(OrgUnit.code)
            )
            assert outlet is not None
            _device, token = await enroll_device(session, kind="kiosk", org_code=outlet)

        app = create_app(settings)
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker
        statuses: dict[int, int] = {}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://t") as client:
            for card in cards:
                response = await client.post(
                    "/api/v1/identify",
                    json={
                        "outlet": outlet,
                        "credential": {"kind": card["kind"], "value": card["number"]},
                    },
                    headers={"X-Device-Token": token},
                )
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                assert card["number"] not in response.text
            # A mistyped card (one digit off) goes down the error path with the digits.
            wrong = cards[0]["number"][:-1] + str((int(cards[0]["number"][-1]) + 1) % 10)
            await client.post(
                "/api/v1/identify",
                json={"outlet": outlet, "credential": {"kind": "debit_card", "value": wrong}},
                headers={"X-Device-Token": token},
            )
        assert statuses.get(200, 0) > 0 and statuses.get(409, 0) > 0, statuses

        # Every value of every table, as text.
        hits: list[tuple[str, str]] = []
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
            assert {"customers", "credentials", "audit_entries", "identifications"} <= set(tables)
            for table in tables:
                result = await conn.execute(text(f'SELECT * FROM "{table}"'))  # noqa: S608
                for row in result:
                    for value in row:
                        if value is not None:
                            hits.extend((table, n) for n in clear_numbers_in(str(value)))
        assert hits == [], f"clear numbers stored: {hits[:5]}"

        output = logs.getvalue()
        assert "credentials" in output, "SQL echo should have been captured"
        assert clear_numbers_in(output) == []
        for card in cards:
            assert card["number"] not in output
