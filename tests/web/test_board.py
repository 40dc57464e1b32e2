"""The display board: its page and fragment, the live event stream and the announcements."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.queueing import board
from smartbranch.queueing import service as queue
from smartbranch.queueing.policy import PolicyConfig
from smartbranch.web.board import routes
from tests.fixtures.bank import Bank
from tests.web.html import audit

BOARD = "/board/BJ001"


def _as(client: httpx.AsyncClient, bank: Bank, device: str = "board_bj001") -> None:
    client.cookies.set("sb_device", bank.tokens[device])


async def _floor(session: AsyncSession, bank: Bank, **policy: bool) -> None:
    """BJ001 set up for queuing, teller1 signed in at counter 3."""
    await queue.setup_outlet(
        session,
        outlet_code="BJ001",
        counters=[queue.CounterSpec(code="3", services=("cash", "wealth"))],
        policy=PolicyConfig(**policy) if policy else None,
    )
    await queue.sign_in_counter(
        session, outlet_code="BJ001", counter_code="3", staff_id=bank.staff["bj001.teller1"].id
    )


async def _call(session: AsyncSession, bank: Bank) -> int:
    result = await queue.call_next(
        session, outlet_code="BJ001", counter_code="3", staff_id=bank.staff["bj001.teller1"].id
    )
    assert result.ticket is not None
    return result.ticket.id


def _events(body: str) -> list[tuple[int, dict[str, object]]]:
    """(id, data) of each ``ticket`` event of an SSE body."""
    found = []
    for block in body.split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != ":"
        )
        if fields.get("event") == "ticket":
            found.append((int(fields["id"]), json.loads(fields["data"])))
    return found


@pytest.fixture
def stream_once(client: httpx.AsyncClient, session: AsyncSession) -> None:
    """The event stream on the test's session, ending after its first look."""
    app = client._transport.app  # type: ignore[attr-defined]

    @asynccontextmanager
    async def _same_session() -> AsyncIterator[AsyncSession]:
        yield session

    app.dependency_overrides[routes.feed_sessions] = lambda: _same_session
    app.dependency_overrides[routes.stream_seconds] = lambda: 0.0


class TestAnnouncement:
    def test_chinese_by_default(self) -> None:
        [sentence] = board.call_sentences("V012", "3", english=False)
        assert sentence.lang == "zh-CN"
        assert sentence.text == "请 V012 号到 3 号窗口"

    def test_english_after_chinese_when_enabled(self) -> None:
        zh, en = board.call_sentences("V012", "3", english=True)
        assert zh.text == "请 V012 号到 3 号窗口"
        assert (en.lang, en.text) == ("en-US", "Number V012, please go to counter 3.")

    def test_honorific_only_surname(self) -> None:
        zh, en = board.call_sentences("A001", "2", english=True, honorific=("王小明", "M"))
        assert zh.text == "请王先生 A001 号到 2 号窗口"
        assert en.text == "Mr Wang, number A001, please go to counter 2."
        assert "小明" not in zh.text


class TestBoardPage:
    async def test_shows_the_called_ticket_and_the_queue(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await _floor(session, bank)
        first = await queue.issue_ticket(session, outlet_code="BJ001", service_code="cash")
        await queue.issue_ticket(session, outlet_code="BJ001", service_code="cash")
        await _call(session, bank)
        _as(client, bank)
        response = await client.get(BOARD)
        assert response.status_code == 200, response.text
        page = audit(response)
        assert page.violations == []
        assert any("/static/js/board.js" in src for src in page.scripts)
        [now] = page.find("li", **{"data-ticket": first.ticket.number})[:1]
        assert now["data-counter"] == "3"
        assert "正在叫号" in response.text
        assert "3 号窗口" in response.text
        assert "1 人等候" in response.text  # the second cash ticket
        [root] = page.find("div", id="board")
        assert root["data-events-url"] == f"{BOARD}/events?after={_last(page)}"
        assert response.headers["cache-control"] == "no-store"

    async def test_no_customer_name_on_the_board(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await _floor(session, bank, announce_honorific=True)
        customer = bank.customers["C0000000001"]
        await queue.issue_ticket(
            session, outlet_code="BJ001", service_code="cash", customer_id=customer.id
        )
        await _call(session, bank)
        _as(client, bank)
        response = await client.get(BOARD)
        assert "王" not in response.text
        fragment = await client.get(f"{BOARD}/calls", headers={"HX-Request": "true"})
        assert fragment.status_code == 200
        assert "<html" not in fragment.text
        assert "王" not in fragment.text

    async def test_english_page(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await _floor(session, bank)
        _as(client, bank)
        response = await client.get(f"{BOARD}?lang=en")
        assert "Now calling" in response.text
        assert "Please wait for your number to be called." in response.text

    @pytest.mark.parametrize("device", ["kiosk_bj001", "tablet_bj001"])
    async def test_only_a_display_board_device(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank, device: str
    ) -> None:
        await _floor(session, bank)
        _as(client, bank, device)
        response = await client.get(BOARD)
        assert response.status_code == 403
        assert 'data-code="device_kind_not_allowed"' in response.text or (
            "device_kind_not_allowed" in response.text
        )

    # One refused request per test: a failed request rolls the test's unit of work back.
    @pytest.mark.parametrize(("url", "status"), [("/board/SH001", 403), ("/board/NOPE", 404)])
    async def test_only_the_board_of_its_own_outlet(
        self, client: httpx.AsyncClient, bank: Bank, url: str, status: int
    ) -> None:
        _as(client, bank)
        assert (await client.get(url)).status_code == status

    async def test_without_a_device_the_enrolment_page(self, client: httpx.AsyncClient) -> None:
        response = await client.get(BOARD)
        assert response.status_code == 401


def _last(page: object) -> str:
    [root] = page.find("div", id="board")  # type: ignore[attr-defined]
    return str(root["data-last-event-id"])


class TestEventStream:
    @pytest.mark.usefixtures("stream_once")
    async def test_calls_and_recalls_carry_their_announcement(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await _floor(session, bank, announce_english=True)
        issued = await queue.issue_ticket(session, outlet_code="BJ001", service_code="wealth")
        ticket_id = await _call(session, bank)
        await queue.recall(
            session,
            outlet_code="BJ001",
            ticket_id=ticket_id,
            staff_id=bank.staff["bj001.teller1"].id,
        )
        _as(client, bank)
        response = await client.get(f"{BOARD}/events")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.text.startswith("retry: ")
        events = _events(response.text)
        assert [e["kind"] for _id, e in events] == ["issued", "called", "recalled"]
        ids = [i for i, _e in events]
        assert ids == sorted(ids)
        number = issued.ticket.number
        assert number.startswith("V")
        issued_event, called, recalled = (e for _id, e in events)
        assert issued_event["announce"] == []
        for event in (called, recalled):
            assert event["counter"] == "3"
            assert event["announce"] == [
                {"lang": "zh-CN", "text": f"请 {number} 号到 3 号窗口"},
                {"lang": "en-US", "text": f"Number {number}, please go to counter 3."},
            ]

    @pytest.mark.usefixtures("stream_once")
    async def test_resumes_after_the_cursor(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await _floor(session, bank)
        await queue.issue_ticket(session, outlet_code="BJ001", service_code="cash")
        _as(client, bank)
        [(first_id, _e)] = _events((await client.get(f"{BOARD}/events")).text)
        await _call(session, bank)
        # The page's cursor (?after=) and a reconnecting browser's Last-Event-ID agree.
        by_query = _events((await client.get(f"{BOARD}/events?after={first_id}")).text)
        by_header = _events(
            (await client.get(f"{BOARD}/events", headers={"Last-Event-ID": str(first_id)})).text
        )
        assert [e["kind"] for _i, e in by_query] == ["called"]
        assert by_header == by_query

    @pytest.mark.usefixtures("stream_once")
    async def test_honorific_only_when_the_outlet_enables_it(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        customer = bank.customers["C0000000001"]
        await _floor(session, bank)
        await queue.issue_ticket(
            session, outlet_code="BJ001", service_code="cash", customer_id=customer.id
        )
        await _call(session, bank)
        _as(client, bank)
        plain = _events((await client.get(f"{BOARD}/events")).text)
        assert "王" not in json.dumps(plain, ensure_ascii=False)
        await queue.set_policy(
            session, outlet_id=bank.orgs["BJ001"].id, config=PolicyConfig(announce_honorific=True)
        )
        polite = _events((await client.get(f"{BOARD}/events")).text)
        [called] = [e for _i, e in polite if e["kind"] == "called"]
        assert called["announce"][0]["text"].startswith("请王先生 ")  # type: ignore[index]
        assert "小明" not in json.dumps(polite, ensure_ascii=False)

    async def test_the_stream_needs_a_board_device(
        self, client: httpx.AsyncClient, bank: Bank
    ) -> None:
        _as(client, bank, "kiosk_bj001")
        assert (await client.get(f"{BOARD}/events")).status_code == 403


class TestBoardState:
    async def test_recent_calls_latest_first(self, session: AsyncSession, bank: Bank) -> None:
        await _floor(session, bank)
        staff = bank.staff["bj001.teller1"].id
        numbers = []
        base = datetime.now(UTC)
        for i in range(3):
            issued = await queue.issue_ticket(
                session, outlet_code="BJ001", service_code="cash", now=base + timedelta(seconds=i)
            )
            numbers.append(issued.ticket.number)
        for i in range(3):
            tid = await _call(session, bank)
            if i < 2:
                await queue.start_service(
                    session, outlet_code="BJ001", ticket_id=tid, staff_id=staff
                )
                await queue.finish_service(
                    session, outlet_code="BJ001", ticket_id=tid, staff_id=staff
                )
        state = await board.board_state(session, outlet_code="BJ001")
        assert [c.number for c in state.recent] == numbers[::-1]
        assert [c.number for c in state.now_called] == [numbers[2]]
        assert state.last_event_id > 0
