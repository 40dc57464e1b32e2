"""The display board (叫号屏): the tickets now called, the last calls and the queue per
service, updated live, with spoken announcements.

- ``GET /board/{outlet}``: the page, rendered with the current state.
- ``GET /board/{outlet}/calls``: the same content as an HTMX fragment, fetched by board.js
  whenever something changes.
- ``GET /board/{outlet}/events``: Server-Sent Events, one ``ticket`` event per ticket change
  (its id is the event cursor, so a reconnecting browser resumes with ``Last-Event-ID``),
  carrying the announcement of calls and recalls. The stream ends after a while and the
  browser reconnects, so no connection (or proxy) is held for ever.

Only a display-board device enrolled at this very outlet may open them. The board is a
public screen: ticket numbers and counters, never a name (an honorific in an announcement
only when the outlet enables it).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response, StreamingResponse

from smartbranch.auth.dependencies import DEVICE_COOKIE
from smartbranch.auth.models import DeviceKind
from smartbranch.auth.service import DeviceInfo, DeviceKindNotAllowedError
from smartbranch.customers.service import DeviceOutletMismatchError
from smartbranch.http import SessionDep, SettingsDep
from smartbranch.orgs.service import get_outlet_by_code
from smartbranch.queueing import board
from smartbranch.web.cookies import set_device_cookie
from smartbranch.web.deps import PageDeviceDep
from smartbranch.web.labels import org_name
from smartbranch.web.navigation import board_url
from smartbranch.web.templating import PageLocaleDep, render

router = APIRouter(prefix="/board", include_in_schema=False)

#: How often the stream looks for new events, and how long one connection lasts.
POLL_SECONDS = 1.0
STREAM_SECONDS = 300.0
#: How long the browser waits before reconnecting (the SSE ``retry`` field).
RETRY_MILLISECONDS = 3000


@dataclass(frozen=True, slots=True)
class BoardScreen:
    """A display-board device at the outlet whose board it shows."""

    device: DeviceInfo
    outlet_code: str
    url: str


async def board_screen(outlet: str, device: PageDeviceDep, session: SessionDep) -> BoardScreen:
    """The display-board device of this browser, which must stand at ``outlet``."""
    if device.kind != DeviceKind.BOARD:
        raise DeviceKindNotAllowedError()
    unit = await get_outlet_by_code(session, outlet)
    if unit.id != device.org_unit_id:
        raise DeviceOutletMismatchError(code=outlet)
    return BoardScreen(device=device, outlet_code=unit.code, url=board_url(unit.code))


BoardScreenDep = Annotated[BoardScreen, Depends(board_screen)]

FeedSession = Callable[[], AbstractAsyncContextManager[AsyncSession]]


def feed_sessions(request: Request) -> FeedSession:
    """Short read-only sessions for the live stream: one per poll, so a long-lived
    connection never holds a transaction (or a SQLite read snapshot) open."""
    maker: FeedSession = request.app.state.sessionmaker
    return maker


def stream_seconds() -> float:
    """How long one stream connection lasts before the browser reconnects."""
    return STREAM_SECONDS


FeedSessionDep = Annotated[FeedSession, Depends(feed_sessions)]
StreamSecondsDep = Annotated[float, Depends(stream_seconds)]


def _context(screen: BoardScreen, state: board.BoardState, locale: str) -> dict[str, Any]:
    return {
        "screen": screen,
        "state": state,
        "outlet_name": org_name(state.outlet_name, state.outlet_name_en, locale),
        "counters": board.calls_by_counter(state.now_called),
    }


@router.get("/{outlet}")
async def board_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    locale: PageLocaleDep,
    screen: BoardScreenDep,
) -> Response:
    """The board: now called, recent calls and queues, then live updates."""
    state = await board.board_state(session, outlet_code=screen.outlet_code)
    response = render(request, "board/page.html", _context(screen, state, locale))
    # Like the kiosk, the board's home page renews its device cookie.
    token = request.cookies.get(DEVICE_COOKIE)
    if token:
        set_device_cookie(response, token, settings)
    return response


@router.get("/{outlet}/calls")
async def board_calls(
    request: Request, session: SessionDep, locale: PageLocaleDep, screen: BoardScreenDep
) -> Response:
    """The board's content as a fragment (what board.js swaps in after a change)."""
    state = await board.board_state(session, outlet_code=screen.outlet_code)
    return render(request, "board/_calls.html", _context(screen, state, locale))


def _sse(event: board.BoardEvent) -> str:
    data = json.dumps(event.as_json(), ensure_ascii=False, separators=(",", ":"))
    return f"id: {event.id}\nevent: ticket\ndata: {data}\n\n"


def _cursor(after: int | None, last_event_id: str | None) -> int:
    # A reconnecting EventSource sends Last-Event-ID, which wins over the page's cursor.
    if last_event_id and last_event_id.strip().isdigit():
        return int(last_event_id.strip())
    return max(after or 0, 0)


async def _stream(
    request: Request,
    sessions: FeedSession,
    outlet_code: str,
    cursor: int,
    lifetime: float,
) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MILLISECONDS}\n\n"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + lifetime
    while True:
        async with sessions() as session:
            events = await board.board_events(session, outlet_code=outlet_code, after_id=cursor)
        for event in events:
            cursor = event.id
            yield _sse(event)
        if len(events) == board.FEED_BATCH:
            continue  # more are waiting: send them before sleeping
        if loop.time() >= deadline or await request.is_disconnected():
            return
        # A comment line keeps proxies from closing an idle connection.
        yield ": keep-alive\n\n"
        await asyncio.sleep(POLL_SECONDS)


@router.get("/{outlet}/events")
async def board_events(
    request: Request,
    screen: BoardScreenDep,
    sessions: FeedSessionDep,
    lifetime: StreamSecondsDep,
    after: Annotated[int | None, Query(ge=0)] = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Server-Sent Events: the outlet's ticket changes after the cursor, as they happen."""
    cursor = _cursor(after, last_event_id)
    return StreamingResponse(
        _stream(request, sessions, screen.outlet_code, cursor, lifetime),
        media_type="text/event-stream",
        headers={"X-Accel-Buffering": "no"},
    )
