"""A staff device's live stream: the stored events it missed, then what the bus announces,
as Server-Sent Events frames. No HTTP here: ``service.api`` wraps it in a response.

Order of work on connect — subscribe to the bus *first*, then read the store after the
cursor — so an event committed in between is delivered (by one or the other; ids already
sent are skipped). A stream never holds a database session: each read takes a short one.

Every ``HEARTBEAT_SECONDS`` the stream sends a comment (proxies keep the connection), checks
that the staff session is still live (a signed-out tablet stops receiving at once, not at the
next reconnect) and reads the store again, so a message the bus lost arrives late rather than
never. After ``lifetime`` seconds it ends; the browser reconnects with ``Last-Event-ID``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch import bus
from smartbranch.auth.models import StaffSession
from smartbranch.db import utcnow
from smartbranch.service import events
from smartbranch.service.schemas import StreamEvent

HEARTBEAT_SECONDS = 15.0
#: How long the browser waits before reconnecting (the SSE ``retry`` field).
RETRY_MILLISECONDS = 3000
#: Sent once the stream has caught up and is live (a comment: browsers ignore it).
LIVE_COMMENT = ": live\n\n"
HEARTBEAT_COMMENT = ": keep-alive\n\n"

Sessions = Callable[[], AbstractAsyncContextManager[AsyncSession]]

# Top-level fields of ``StreamEvent``; the rest of the stored data goes into ``data``.
_ENVELOPE = frozenset({"at", "outlet", "outlet_id", "customer_id", "customer_number", "visit_id"})


def stream_event(event_id: int, kind: str, data: dict[str, Any], staff_id: int) -> StreamEvent:
    """The event as ``staff_id`` receives it: the envelope, and the payload with only this
    recipient's own reasons."""
    body = {k: v for k, v in data.items() if k not in _ENVELOPE}
    reasons = body.get("reasons")
    if isinstance(reasons, dict):
        body["reasons"] = reasons.get(str(staff_id), [])
    return StreamEvent(
        id=event_id,
        kind=kind,
        at=data["at"],
        outlet=data.get("outlet"),
        customer_number=data.get("customer_number"),
        visit_id=data.get("visit_id"),
        data=body,
    )


def frame(event: StreamEvent) -> str:
    """One SSE frame: ``id``, ``event`` (the kind) and ``data`` (the JSON, one line)."""
    data = json.dumps(event.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":"))
    return f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n"


def parse_cursor(last_event_id: str | None, after: int | None) -> int | None:
    """Where to resume: ``Last-Event-ID`` (a reconnect) wins over ``?after=`` (the page's
    first connect); None when neither is given (start with what happens next)."""
    if last_event_id and last_event_id.strip().isdigit():
        return int(last_event_id.strip())
    return after


async def session_live(session: AsyncSession, session_id: int) -> bool:
    """Whether a staff session is still signed in (not revoked, not expired)."""
    found = await session.scalar(
        select(StaffSession.id).where(
            StaffSession.id == session_id,
            StaffSession.revoked_at.is_(None),
            StaffSession.expires_at > utcnow(),
        )
    )
    return found is not None


async def staff_stream(
    *,
    sessions: Sessions,
    staff_id: int,
    session_id: int,
    cursor: int,
    lifetime: float,
    heartbeat: float = HEARTBEAT_SECONDS,
    event_bus: bus.EventBus | None = None,
) -> AsyncIterator[str]:
    """SSE frames for ``staff_id``: stored events after ``cursor``, then live ones, until
    ``lifetime`` seconds have passed or the staff session ends."""
    event_bus = event_bus or bus.current()
    await event_bus.start()  # idempotent; starts Redis listening under a test client
    sent: set[int] = set()
    high = cursor

    async def catch_up() -> AsyncIterator[str]:
        nonlocal high
        while True:
            async with sessions() as session:
                stored = await events.events_after(session, staff_id, high)
            for event in stored:
                high = max(high, event.id)
                if event.id not in sent:
                    sent.add(event.id)
                    data = events.message_data(event)
                    yield frame(stream_event(event.id, event.kind, data, staff_id))
            if len(stored) < events.CATCH_UP_LIMIT:
                return

    loop = asyncio.get_running_loop()
    deadline = loop.time() + lifetime
    yield f"retry: {RETRY_MILLISECONDS}\n\n"
    async with event_bus.subscribe() as subscription:
        async for chunk in catch_up():
            yield chunk
        yield LIVE_COMMENT
        next_beat = loop.time() + heartbeat
        while True:
            now = loop.time()
            if now >= deadline:
                return
            if subscription.overflowed:
                # Messages were dropped: the store has them. Queued ones stay (deduplicated).
                subscription.overflowed = False
                async for chunk in catch_up():
                    yield chunk
                continue
            try:
                message = await asyncio.wait_for(
                    subscription.queue.get(), timeout=min(deadline, next_beat) - now
                )
            except TimeoutError:
                if loop.time() < next_beat:
                    continue  # the deadline: checked at the top
                async with sessions() as session:
                    live = await session_live(session, session_id)
                if not live:
                    return
                async for chunk in catch_up():
                    yield chunk
                yield HEARTBEAT_COMMENT
                next_beat = loop.time() + heartbeat
                continue
            if staff_id not in message.recipients or message.event_id in sent:
                continue
            sent.add(message.event_id)
            high = max(high, message.event_id)
            yield frame(stream_event(message.event_id, message.kind, message.data, staff_id))
