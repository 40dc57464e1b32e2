"""Test harness: one real database for the run (SQLite by default, PostgreSQL when
``SMARTBRANCH_TEST_DATABASE_URL`` is set), each test inside a transaction that is rolled back.

With ``CI=true`` a skipped test counts as a failure: a missing service must not pass quietly.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from smartbranch.credentials import CredentialHasher
from smartbranch.db import create_engine, is_sqlite
from smartbranch.http import get_session
from smartbranch.main import create_app
from smartbranch.settings import Settings
from tests.fixtures.bank import Bank, build_bank

TEST_KEY = bytes(range(32))
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which counts as a failure: {report.longrepr}"


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    var_dir = tmp_path_factory.mktemp("var")
    url = os.environ.get("SMARTBRANCH_TEST_DATABASE_URL") or f"sqlite:///{var_dir}/test.db"
    return Settings(
        env="test",
        var_dir=var_dir,
        database_url=url,
        credential_key=TEST_KEY.hex(),  # type: ignore[arg-type]
        secret_key="test-secret-key",  # type: ignore[arg-type]
        cookie_secure=True,
    )


@pytest.fixture(scope="session")
def hasher() -> CredentialHasher:
    return CredentialHasher(TEST_KEY)


@asynccontextmanager
async def isolated_engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """An engine on a database of its own, migrated to head: on SQLite a file under
    ``settings.var_dir``, on PostgreSQL a fresh schema dropped afterwards. Runs side by side
    on one PostgreSQL database never see each other."""
    schema = None
    if is_sqlite(settings.resolved_database_url):
        settings = settings.model_copy(
            update={"database_url": f"sqlite:///{settings.var_dir}/{secrets.token_hex(4)}.db"}
        )
        engine = create_engine(settings)
    else:
        schema = f"test_{os.getpid()}_{secrets.token_hex(3)}"
        admin = create_engine(settings)
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await admin.dispose()
        engine = create_engine(settings, connect_args={"server_settings": {"search_path": schema}})
    # The schema comes from the migrations, so every run also tests them.
    async with engine.connect() as conn:
        await conn.run_sync(_upgrade_on, settings)
        await conn.commit()
    try:
        yield engine
    finally:
        if schema is not None:
            async with engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()


@pytest.fixture(scope="session")
async def engine(test_settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The run's engine, on a database of its own."""
    async with isolated_engine(test_settings) as engine:
        yield engine


def _upgrade_on(sync_conn: object, settings: Settings) -> None:
    from alembic import command

    from smartbranch.migrations.runner import alembic_config

    config = alembic_config(settings)
    config.attributes["connection"] = sync_conn
    command.upgrade(config, "head")


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        if transaction.is_active:
            await transaction.rollback()


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """A session whose commits only release savepoints of the test's outer transaction."""
    session = AsyncSession(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    yield session
    await session.close()


@pytest.fixture
async def bank(session: AsyncSession, hasher: CredentialHasher) -> Bank:
    return await build_bank(session, hasher)


@pytest.fixture
async def client(
    session: AsyncSession, test_settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    """HTTP client over the real ASGI app, its unit of work bound to the test's session."""
    app = create_app(test_settings)

    async def _session() -> AsyncIterator[AsyncSession]:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()

    app.dependency_overrides[get_session] = _session
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
        yield c
