"""The display board in a real browser: a call made through the API appears on the board and
is announced, announcements one after another and never overlapping, under the real CSP.

``speechSynthesis.speak`` is replaced before the page loads by a recorder that "speaks" for
a while (firing ``onend`` later, as a real engine does) and notes every start and end, so
the test can see the order of the announcements and that none began before the previous
one had ended.
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from smartbranch.db import create_engine, create_sessionmaker, unit_of_work
from smartbranch.queueing import service as queue
from smartbranch.settings import Settings
from tests.browser.conftest import Console, LiveDatabase, LiveServer, activate, screenshot
from tests.fixtures.bank import PASSWORD

pytestmark = pytest.mark.browser

BOARD = "/board/BJ001"

# Each utterance "lasts" 400 ms; speak() while another is speaking counts as an overlap.
SPEECH_RECORDER = """
(() => {
  const log = { spoken: [], overlaps: 0 };
  let current = null;
  const fake = {
    get speaking() { return current !== null; },
    get pending() { return false; },
    getVoices() { return []; },
    cancel() {},
    speak(utterance) {
      if (current !== null) { log.overlaps += 1; }
      current = utterance;
      log.spoken.push({ text: utterance.text, lang: utterance.lang, start: performance.now() });
      setTimeout(() => {
        log.spoken[log.spoken.length - 1].end = performance.now();
        current = null;
        if (utterance.onend) { utterance.onend({}); }
      }, 400);
    },
  };
  Object.defineProperty(window, "speechSynthesis", { value: fake, configurable: true });
  window.__speech = log;
})();
"""


async def _setup_floor(database: LiveDatabase) -> None:
    """BJ001 set up for queuing, English announcements on (committed: the server reads it)."""
    from smartbranch.queueing.policy import PolicyConfig

    connect: dict[str, Any] = {}
    if database.schema:
        connect = {"connect_args": {"server_settings": {"search_path": database.schema}}}
    engine = create_engine(Settings(database_url=database.url), **connect)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            await queue.setup_outlet(
                session,
                outlet_code="BJ001",
                counters=[queue.CounterSpec(code="1", services=("cash", "non_cash"))],
                policy=PolicyConfig(announce_english=True),
            )
    finally:
        await engine.dispose()


async def _teller(api: httpx.AsyncClient, tokens: dict[str, str]) -> dict[str, str]:
    login = await api.post(
        "/api/v1/auth/login",
        json={"username": "bj001.teller1", "password": PASSWORD},
        headers={"X-Device-Token": tokens["counter_bj001"]},
    )
    assert login.status_code == 200, login.text
    return {
        "X-Device-Token": tokens["counter_bj001"],
        "Authorization": f"Bearer {login.json()['session_token']}",
    }


class TestBoardJourney:
    async def test_calls_appear_and_are_announced_in_turn(
        self,
        page: Page,
        console: Console,
        live_server: LiveServer,
        live_database: LiveDatabase,
    ) -> None:
        await _setup_floor(live_database)
        await page.add_init_script(SPEECH_RECORDER)
        await activate(page, live_server, "board_bj001", BOARD)
        await expect(page.locator("#board-now-title")).to_have_text("正在叫号")
        # Speech works, so the button to turn it on stays hidden.
        await expect(page.locator("#board-sound")).to_be_hidden()

        kiosk = {"X-Device-Token": live_server.tokens["kiosk_bj001"]}
        async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as api:
            teller = await _teller(api, live_server.tokens)
            counter = "/api/v1/outlets/BJ001/counters/1"
            assert (await api.post(f"{counter}/sign-in", headers=teller)).status_code == 200
            numbers = []
            for _ in range(2):
                issued = await api.post(
                    "/api/v1/outlets/BJ001/tickets", json={"service": "cash"}, headers=kiosk
                )
                assert issued.status_code == 201, issued.text
                numbers.append(issued.json()["number"])
            first = await api.post(f"{counter}/call-next", headers=teller)
            assert first.status_code == 200, first.text
            ticket = first.json()["ticket"]
            assert ticket["number"] == numbers[0]
            await expect(page.locator(".board-now__item--latest .board-now__number")).to_have_text(
                numbers[0]
            )
            # Recalled, then the next customer: three calls announced in quick succession.
            tickets = "/api/v1/outlets/BJ001/tickets"
            recall = await api.post(f"{tickets}/{ticket['id']}/recall", headers=teller)
            assert recall.status_code == 200, recall.text
            for step in ("start", "finish"):
                done = await api.post(f"{tickets}/{ticket['id']}/{step}", headers=teller)
                assert done.status_code == 200, done.text
            second = await api.post(f"{counter}/call-next", headers=teller)
            assert second.json()["ticket"]["number"] == numbers[1]

        await expect(page.locator(".board-now__item--latest .board-now__number")).to_have_text(
            numbers[1]
        )
        await expect(page.locator(".board-recent__item")).to_have_count(3)
        # Chinese then English for each call: six sentences, spoken one after another.
        # Polled from here: wait_for_function evaluates a string, which the CSP forbids.
        speech: dict[str, Any] = {}
        for _ in range(200):
            speech = await page.evaluate("() => window.__speech")
            if sum(1 for s in speech["spoken"] if "end" in s) >= 6:
                break
            await page.wait_for_timeout(100)
        texts = [s["text"] for s in speech["spoken"]]
        a, b = numbers
        assert texts == [
            f"请 {a} 号到 1 号窗口",
            f"Number {a}, please go to counter 1.",
            f"请 {a} 号到 1 号窗口",
            f"Number {a}, please go to counter 1.",
            f"请 {b} 号到 1 号窗口",
            f"Number {b}, please go to counter 1.",
        ]
        assert [s["lang"] for s in speech["spoken"]][:2] == ["zh-CN", "en-US"]
        assert speech["overlaps"] == 0
        spoken = speech["spoken"]
        for before, after in itertools.pairwise(spoken):
            assert after["start"] >= before["end"]
        await screenshot(page, "board-calls")
        console.assert_clean()
