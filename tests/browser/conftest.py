"""Browser tests: the real app served by uvicorn, driven by a real Chromium.

- ``live_database``: a database of its own (``isolated_engine``) holding the test bank,
  committed, so another process can read it.
- ``live_server``: ``live_server.py`` in a subprocess on 127.0.0.1 and a free port, with
  settings pointing at that database. The async engine stays on the server's own loop.
- ``browser``: Debian's Chromium through Playwright (never ``playwright install``); skipped
  outside CI when ``/usr/bin/chromium`` is missing (under ``CI=true`` a skip is a failure).
- ``page``: a fresh context (no cookies) at 1280×800 whose console is watched: a
  Content-Security-Policy violation on any page a test visits fails the test.

Screenshots and the server's log go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Error,
    Page,
    ViewportSize,
    async_playwright,
    expect,
)
from sqlalchemy import text

from smartbranch.credentials import CredentialHasher
from smartbranch.db import create_sessionmaker, is_sqlite, unit_of_work
from smartbranch.settings import Settings
from tests.conftest import TEST_KEY, isolated_engine
from tests.fixtures.bank import build_bank

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
SERVER_SCRIPT = Path(__file__).with_name("live_server.py")
SERVER_START_TIMEOUT = 30.0

LANDSCAPE: ViewportSize = {"width": 1280, "height": 800}
PORTRAIT: ViewportSize = {"width": 1080, "height": 1920}

#: How Chromium reports a CSP violation on the console ("Refused to execute inline script
#: because it violates the following Content Security Policy directive: …").
_CSP_MARKERS = ("Content Security Policy", "Content-Security-Policy")


@dataclass(frozen=True)
class LiveDatabase:
    """Where the live server's data is, and the device tokens enrolled in it."""

    url: str
    schema: str | None
    tokens: dict[str, str]


@dataclass(frozen=True)
class LiveServer:
    """The running app: its base URL and the device tokens of the test bank."""

    url: str
    tokens: dict[str, str]


@dataclass
class Console:
    """What the pages of one browser context said on the console, and their uncaught errors."""

    messages: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    _news: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, message: ConsoleMessage) -> None:
        """Keep one console message, with its type and the page it came from."""
        self.messages.append(f"[{message.type}] {message.text} ({message.location.get('url')})")
        self._news.set()

    def record_error(self, error: Error) -> None:
        """Keep one uncaught page error."""
        self.page_errors.append(f"{error.name}: {error.message}")
        self._news.set()

    async def wait_for(self, condition: Callable[[], bool], seconds: float = 5.0) -> None:
        """Wait until ``condition()`` holds: console events arrive on their own schedule."""
        async with asyncio.timeout(seconds):
            while not condition():
                self._news.clear()
                await self._news.wait()

    @property
    def csp_violations(self) -> list[str]:
        """The messages that report a Content-Security-Policy violation."""
        return [m for m in self.messages if any(marker in m for marker in _CSP_MARKERS)]

    def take_csp_violations(self) -> list[str]:
        """The violations so far, forgotten afterwards (for a test that causes one on purpose)."""
        found = self.csp_violations
        self.messages = [m for m in self.messages if m not in found]
        return found

    def assert_clean(self) -> None:
        """No CSP violation and no uncaught script error on any page visited."""
        assert self.csp_violations == [], "\n".join(self.csp_violations)
        assert self.page_errors == [], "\n".join(self.page_errors)


@pytest.fixture(scope="session")
async def live_database(
    test_settings: Settings, hasher: CredentialHasher
) -> AsyncIterator[LiveDatabase]:
    """The test bank in a database of its own, committed (the server runs in another
    process) and dropped after the run."""
    async with isolated_engine(test_settings) as engine:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            bank = await build_bank(session, hasher)
        url = engine.url.render_as_string(hide_password=False)
        schema = None
        if not is_sqlite(url):
            async with engine.connect() as conn:
                schema = await conn.scalar(text("SELECT current_schema()"))
        yield LiveDatabase(url=url, schema=schema, tokens=dict(bank.tokens))


def _server_environment(settings: Settings, database: LiveDatabase) -> dict[str, str]:
    """The parent's environment without its ``SMARTBRANCH_*`` settings, plus the server's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTBRANCH_")}
    env.update(
        {
            "SMARTBRANCH_ENV": "test",
            "SMARTBRANCH_VAR_DIR": str(settings.var_dir),
            "SMARTBRANCH_DATABASE_URL": database.url,
            "SMARTBRANCH_CREDENTIAL_KEY": TEST_KEY.hex(),
            "SMARTBRANCH_SECRET_KEY": "browser-test-secret-key",
            # Chromium keeps Secure cookies from http://127.0.0.1 (a potentially trustworthy
            # origin), so the live server runs with production cookie flags.
            "SMARTBRANCH_COOKIE_SECURE": "true",
            "SMARTBRANCH_LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if database.schema:
        env["LIVE_SERVER_SCHEMA"] = database.schema
    # With SMARTBRANCH_TEST_REDIS_URL (``make test-postgres``, so CI's PostgreSQL pass) the
    # server announces events through Redis pub/sub, on a channel of its own.
    redis_url = os.environ.get("SMARTBRANCH_TEST_REDIS_URL")
    if redis_url:
        env["SMARTBRANCH_REDIS_URL"] = redis_url
        env["SMARTBRANCH_REDIS_CHANNEL"] = f"smartbranch:browser:{secrets.token_hex(6)}"
    return env


def _wait_for_port(process: subprocess.Popen[bytes], port_file: Path, log: Path) -> int:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if port_file.exists():
            return int(port_file.read_text(encoding="ascii"))
        if process.poll() is not None:
            break
        time.sleep(0.05)
    tail = log.read_text(encoding="utf-8", errors="replace")[-4000:]
    raise RuntimeError(f"the live server did not start (exit code {process.poll()}):\n{tail}")


@pytest.fixture(scope="session")
def live_server(test_settings: Settings, live_database: LiveDatabase) -> Iterator[LiveServer]:
    """The real app under uvicorn in a subprocess on 127.0.0.1 and a free port; its log is
    ``test-artifacts/live-server.log``. Stopped with SIGTERM after the run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "live-server.log"
    port_file = test_settings.var_dir / f"live-server-{secrets.token_hex(4)}.port"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(SERVER_SCRIPT), str(port_file)],
            env=_server_environment(test_settings, live_database),
            cwd=test_settings.var_dir,  # no stray .env file is read
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        port = _wait_for_port(process, port_file, log)
        url = f"http://127.0.0.1:{port}"
        # Started means listening; one real page proves the app and its database answer.
        response = httpx.get(f"{url}/device/activate", timeout=10)
        assert response.status_code == 200, response.text
        yield LiveServer(url=url, tokens=live_database.tokens)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium; the browser tests skip without it (under ``CI=true`` a skip fails)."""
    if not CHROMIUM.is_file():
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    """Debian's headless Chromium through Playwright, one for the whole run."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        await browser.close()


@pytest.fixture
def console() -> Console:
    """The console of the test's browser context."""
    return Console()


@pytest.fixture
async def page(browser: Browser, console: Console) -> AsyncIterator[Page]:
    """A page in a fresh browser context (no cookies) at 1280×800, its console recorded.

    Fails the test at teardown if any page it visited violated the CSP or threw."""
    context = await browser.new_context(
        viewport=LANDSCAPE, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(10_000)
    context.on("console", console.record)
    context.on("weberror", lambda web_error: console.record_error(web_error.error))
    page = await context.new_page()
    try:
        yield page
    finally:
        await context.close()
    console.assert_clean()


async def screenshot(page: Page, name: str) -> Path:
    """Save the viewport as ``test-artifacts/screenshots/<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=path, type="png", animations="disabled")
    return path


async def activate(page: Page, server: LiveServer, device: str, home: str) -> None:
    """Open the device's activation link, press Activate and land on the device's home."""
    token = server.tokens[device]
    await page.goto(f"{server.url}/device/activate#{token}")
    # activate.js moved the token from the fragment into the field and off the address bar.
    await expect(page.locator("#device-token")).to_have_value(token)
    assert page.url == f"{server.url}/device/activate"
    await page.locator("form[action='/device/activate'] button[type='submit']").click()
    await page.wait_for_url(f"{server.url}{home}")
