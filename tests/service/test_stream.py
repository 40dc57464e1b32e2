"""The staff live stream (``GET /api/v1/events/stream``) over real HTTP: the app served by
uvicorn on this test run's loop, on a database of its own, with the in-process bus and with
Redis. Every wait is bounded; nothing asserts how long anything took."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from smartbranch.auth.service import logout
from smartbranch.credentials import CredentialHasher
from smartbranch.db import create_sessionmaker, unit_of_work
from smartbranch.main import create_app
from smartbranch.queueing import service as queue
from smartbranch.service import api, events, stream
from smartbranch.settings import Settings
from tests.conftest import isolated_engine
from tests.fixtures.bank import Bank, build_bank
from tests.fixtures.queue import build_floor
from tests.fixtures.service import (
    PLATINUM,
    PLATINUM_CARD,
    WANG_CARD,
    SignedIn,
    add_service_staff,
    bus_channel,
    redis_or_skip,
    sign_in,
)

#: Bounds every wait; a healthy stream answers in milliseconds.
TIMEOUT = 10.0


class _QuietServer(uvicorn.Server):
    """uvicorn without its signal handlers (the test run keeps its own), telling when it
    accepts requests."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.accepting = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.accepting.set()


@dataclass
class Live:
    url: str
    app: FastAPI
    sessions: async_sessionmaker[AsyncSession]
    bank: Bank

    async def sign_in(self, username: str, device: str) -> SignedIn:
        async with unit_of_work(self.sessions) as session:
            return await sign_in(session, self.bank, username, device)

    async def emit(self, staff_ids: list[int], **payload: Any) -> int:
        async with unit_of_work(self.sessions) as session:
            stored = await events.emit(session, "test.ping", staff_ids, payload=payload)
        assert stored is not None
        return stored.id


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("memory", id="in-process"),
        pytest.param("redis", id="redis", marks=pytest.mark.redis),
    ],
)
async def live(
    request: pytest.FixtureRequest, test_settings: Settings, hasher: CredentialHasher
) -> AsyncIterator[Live]:
    """The app on 127.0.0.1 and a free port, its bank committed in a database of its own."""
    redis_url = redis_or_skip() if request.param == "redis" else None
    settings = test_settings.model_copy(
        update={"redis_url": redis_url, "redis_channel": bus_channel()}
    )
    async with isolated_engine(settings) as engine:
        sessions = create_sessionmaker(engine)
        async with unit_of_work(sessions) as session:
            bank = await build_bank(session, hasher)
            await add_service_staff(session, bank, hasher)
            floor = await build_floor(session, bank)
            await queue.sign_in_counter(
                session, outlet_code="BJ001", counter_code="1", staff_id=floor.tellers["1"]
            )
        app = create_app(settings)
        app.state.sessionmaker = sessions
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        server = _QuietServer(uvicorn.Config(app, lifespan="on", log_config=None))
        serving = asyncio.create_task(server.serve(sockets=[listener]))
        await asyncio.wait_for(server.accepting.wait(), TIMEOUT)
        try:
            yield Live(f"http://127.0.0.1:{port}", app, sessions, bank)
        finally:
            server.should_exit = True
            await asyncio.wait_for(serving, TIMEOUT)
            listener.close()


@pytest.fixture
async def client(live: Live) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.url, timeout=TIMEOUT) as http:
        yield http


@dataclass
class Frame:
    id: int | None
    event: str | None
    data: dict[str, Any] | None
    comment: str | None


class Reader:
    """Reads an SSE body frame by frame, each read bounded by ``TIMEOUT``."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def frame(self) -> Frame | None:
        """The next frame, None when the stream has ended."""
        fields: dict[str, str] = {}
        comment = None
        while True:
            try:
                line = await asyncio.wait_for(anext(self._lines), TIMEOUT)
            except StopAsyncIteration:
                return None
            if line == "":
                if fields or comment is not None:
                    data = json.loads(fields["data"]) if "data" in fields else None
                    event_id = int(fields["id"]) if "id" in fields else None
                    return Frame(event_id, fields.get("event"), data, comment)
                continue
            if line.startswith(":"):
                comment = line[1:].strip()
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")

    async def until_live(self) -> list[Frame]:
        """The events sent before the stream said it is live (the catch-up)."""
        caught_up = []
        while True:
            frame = await self.frame()
            assert frame is not None, "the stream ended before it was live"
            if frame.comment == "live":
                return caught_up
            if frame.event is not None:
                caught_up.append(frame)

    async def event(self) -> Frame:
        """The next event (comments and the retry field skipped)."""
        while True:
            frame = await self.frame()
            assert frame is not None, "the stream ended"
            if frame.event is not None:
                return frame

    async def rest(self) -> list[Frame]:
        """Every frame until the stream ends (it must end within the bound)."""
        frames = []
        while (frame := await self.frame()) is not None:
            frames.append(frame)
        return frames


@contextlib.asynccontextmanager
async def opened(
    client: httpx.AsyncClient,
    who: SignedIn,
    *,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[Reader]:
    async with client.stream(
        "GET",
        "/api/v1/events/stream",
        params=params,
        headers={**who.headers, **(headers or {})},
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        yield Reader(response)


@contextlib.contextmanager
def overridden(app: FastAPI, dependency: Any, value: float) -> Iterator[None]:
    app.dependency_overrides[dependency] = lambda: value
    try:
        yield
    finally:
        app.dependency_overrides.pop(dependency, None)


class TestStream:
    async def test_stored_events_first_then_live_ones(
        self, live: Live, client: httpx.AsyncClient
    ) -> None:
        lobby = await live.sign_in("bj001.lobby1", "tablet_bj001")
        first = await live.emit([lobby.staff.id], n=1)
        async with opened(client, lobby, params={"after": first - 1}) as reader:
            caught_up = await reader.until_live()
            assert [f.id for f in caught_up] == [first]
            second = await live.emit([lobby.staff.id], n=2)
            frame = await reader.event()
        assert frame.id == second
        assert frame.event == "test.ping"
        assert frame.data is not None
        assert frame.data["id"] == second
        assert frame.data["kind"] == "test.ping"
        assert frame.data["data"] == {"n": 2}

    async def test_resume_with_last_event_id_delivers_exactly_the_missed_events(
        self, live: Live, client: httpx.AsyncClient
    ) -> None:
        lobby = await live.sign_in("bj001.lobby1", "tablet_bj001")
        wealth = await live.sign_in("bj001.wealth1", "tablet_bj001")
        async with opened(client, lobby) as reader:
            await reader.until_live()
            await live.emit([lobby.staff.id], n=0)
            seen = (await reader.event()).id
        assert seen is not None
        # Offline: two for the lobby manager, one for someone else.
        missed = [await live.emit([lobby.staff.id], n=1)]
        await live.emit([wealth.staff.id], n=2)
        missed.append(await live.emit([lobby.staff.id, wealth.staff.id], n=3))
        # The browser reconnects with Last-Event-ID, which wins over the page's ?after=.
        async with opened(
            client, lobby, params={"after": 0}, headers={"Last-Event-ID": str(seen)}
        ) as reader:
            caught_up = await reader.until_live()
            assert [f.id for f in caught_up] == missed
            assert [f.data["data"]["n"] for f in caught_up if f.data] == [1, 3]
            # And it is live again.
            later = await live.emit([lobby.staff.id], n=4)
            assert (await reader.event()).id == later

    async def test_a_member_of_staff_never_receives_anothers_events(
        self, live: Live, client: httpx.AsyncClient
    ) -> None:
        lobby = await live.sign_in("bj001.lobby1", "tablet_bj001")
        wealth = await live.sign_in("bj001.wealth1", "tablet_bj001")
        async with opened(client, lobby) as reader:
            await reader.until_live()
            await live.emit([wealth.staff.id], n="not yours")
            mine = await live.emit(
                [lobby.staff.id, wealth.staff.id],
                n="shared",
                reasons={
                    str(lobby.staff.id): [{"kind": "on_duty"}],
                    str(wealth.staff.id): [{"kind": "tier"}],
                },
            )
            frame = await reader.event()  # the bus keeps order: the other one was skipped
        assert frame.id == mine
        assert frame.data is not None
        assert frame.data["data"]["reasons"] == [{"kind": "on_duty"}]  # only her own reasons

    async def test_without_a_cursor_the_stream_starts_with_what_happens_next(
        self, live: Live, client: httpx.AsyncClient
    ) -> None:
        lobby = await live.sign_in("bj001.lobby1", "tablet_bj001")
        await live.emit([lobby.staff.id], n="before")
        async with opened(client, lobby) as reader:
            assert await reader.until_live() == []
            after = await live.emit([lobby.staff.id], n="after")
            assert (await reader.event()).id == after

    async def test_the_stream_ends_after_its_lifetime(
        self, live: Live, client: httpx.AsyncClient
    ) -> None:
        lobby = await live.sign_in("bj001.lobby1", "tablet_bj001")
        pending = await live.emit([lobby.staff.id])
        with overridden(live.app, api.stream_seconds, 0.0):
            async with opened(client, lobby, params={"after": pending - 1}) as reader:
                frames = await reader.rest()
        assert frames[0].comment is None  # the retry field comes first
        assert [f.id for f in frames if f.event] == [pending]
        assert frames[-1].comment == "live"

    async def test_signing_out_ends_the_stream(self, live: Live, client: httpx.AsyncClient) -> None:
        lobby = await live.sign_in("bj001.lobby2", "tablet_bj001")
        with overridden(live.app, api.heartbeat_seconds, 0.05):
            async with opened(client, lobby) as reader:
                await reader.until_live()
                async with unit_of_work(live.sessions) as session:
                    await logout(session, lobby.staff)
                frames = await reader.rest()  # ends: bounded by TIMEOUT per read
        assert all(f.event is None for f in frames)

    async def test_only_signed_in_staff(self, live: Live, client: httpx.AsyncClient) -> None:
        kiosk = await client.get(
            "/api/v1/events/stream", headers={"X-Device-Token": live.bank.tokens["kiosk_bj001"]}
        )
        assert kiosk.status_code == 401
        tablet = await client.get(
            "/api/v1/events/stream", headers={"X-Device-Token": live.bank.tokens["tablet_bj001"]}
        )
        assert tablet.status_code == 401
        assert tablet.json()["error"]["code"] == "not_authenticated"


class TestArrivalToTablet:
    async def test_a_kiosk_swipe_reaches_the_lobby_managers_tablet(
        self, live: Live, client: httpx.AsyncClient
    ) -> None:
        lobby = await live.sign_in("bj001.lobby1", "tablet_bj001")
        async with opened(client, lobby) as reader:
            await reader.until_live()
            response = await client.post(
                "/api/v1/identify",
                json={"outlet": "BJ001", "credential": {"kind": "debit_card", "value": WANG_CARD}},
                headers={"X-Device-Token": live.bank.tokens["kiosk_bj001"]},
            )
            assert response.status_code == 200, response.text
            frame = await reader.event()
        assert frame.event == "customer.arrived"
        assert frame.data is not None
        assert frame.data["customer_number"] == "C0000000001"
        assert frame.data["outlet"] == "BJ001"
        assert frame.data["visit_id"] is not None
        assert frame.data["data"]["name"] == "王**"
        assert frame.data["data"]["reasons"] == [{"kind": "on_duty", "role": "lobby_manager"}]
        assert WANG_CARD not in json.dumps(frame.data)

    async def test_a_ticket_call_reaches_the_teller(
        self, live: Live, client: httpx.AsyncClient
    ) -> None:
        teller = await live.sign_in("bj001.teller1", "counter_bj001")
        kiosk = {"X-Device-Token": live.bank.tokens["kiosk_bj001"]}
        identified = await client.post(
            "/api/v1/identify",
            json={"outlet": "BJ001", "credential": {"kind": "debit_card", "value": PLATINUM_CARD}},
            headers=kiosk,
        )
        assert identified.status_code == 200, identified.text
        ticket = await client.post(
            "/api/v1/outlets/BJ001/tickets",
            json={"service": "cash", "identification": identified.json()["reference"]},
            headers=kiosk,
        )
        assert ticket.status_code == 201, ticket.text
        async with opened(client, teller) as reader:
            await reader.until_live()
            called = await client.post(
                "/api/v1/outlets/BJ001/counters/1/call-next", json={}, headers=teller.headers
            )
            assert called.status_code == 200, called.text
            frame = await reader.event()
        assert frame.event == "customer.called"
        assert frame.data is not None
        assert frame.data["customer_number"] == PLATINUM
        assert frame.data["data"]["ticket_number"] == ticket.json()["number"]
        assert frame.data["data"]["counter"] == "1"
        assert frame.data["data"]["reasons"] == [{"kind": "counter"}]


def test_cursor_parsing() -> None:
    assert stream.parse_cursor("42", 7) == 42
    assert stream.parse_cursor(" 42 ", None) == 42
    assert stream.parse_cursor("junk", 7) == 7
    assert stream.parse_cursor(None, None) is None
