"""The event bus: in-process by default, Redis pub/sub in production.

Events are *stored* first (``service.models.StaffEvent`` rows, in the transaction that made
them) and *announced* after that transaction commits (Zulip's ``send_event_on_commit``):
:func:`publish_on_commit` stages a message on the session; a commit sends the staged
messages, a rollback — also of a savepoint — drops the ones it undoes. A device that
reconnects reads what it missed from the stored rows, so the bus may lose a message without
anyone missing an event.

One process holds one bus. Its subscribers are the process's open live streams; with Redis,
one pub/sub connection per process receives every message and fans it out locally, so 500
open streams cost one Redis connection, not 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from smartbranch.logs import get_logger

_log = get_logger(__name__)

CHANNEL = "smartbranch:events"
#: Messages a slow subscriber may fall behind before it is told to resynchronise.
SUBSCRIBER_BUFFER = 1000
_STAGED = "smartbranch.bus.staged"


@dataclass(frozen=True, slots=True)
class Message:
    """One stored event, announced: its id, kind, who receives it and what they show."""

    event_id: int
    kind: str
    recipients: tuple[int, ...]
    """Staff ids."""
    data: dict[str, Any] = field(default_factory=dict)

    def encode(self) -> str:
        return json.dumps(
            {"id": self.event_id, "kind": self.kind, "to": self.recipients, "data": self.data},
            ensure_ascii=False,
            separators=(",", ":"),
            default=str,
        )

    @classmethod
    def decode(cls, raw: str | bytes) -> Message:
        body = json.loads(raw)
        return cls(body["id"], body["kind"], tuple(body["to"]), body.get("data") or {})


class Subscription:
    """A subscriber's queue. ``overflowed`` means messages were dropped: read the store.

    The queue belongs to the subscriber's event loop; a message published from another
    thread (the demo's simulated branch runs beside the server in one process) is handed
    over through that loop, since an asyncio queue is not thread-safe.
    """

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Message] = asyncio.Queue(SUBSCRIBER_BUFFER)
        self.overflowed = False
        self._loop = asyncio.get_running_loop()

    def offer(self, message: Message) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._put(message)
        elif not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._put, message)

    def _put(self, message: Message) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True


class EventBus(Protocol):
    """What the rest of the house needs from a bus."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    def publish_soon(self, messages: list[Message]) -> None:
        """Send messages without waiting (called from a commit hook)."""

    async def publish(self, messages: list[Message]) -> None: ...

    def subscribe(self) -> contextlib.AbstractAsyncContextManager[Subscription]: ...


class _LocalFanout:
    """Hands each message to every subscription of this process."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()

    def deliver(self, message: Message) -> None:
        for subscription in tuple(self._subscriptions):
            subscription.offer(message)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        subscription = Subscription()
        self._subscriptions.add(subscription)
        try:
            yield subscription
        finally:
            self._subscriptions.discard(subscription)

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)


class InProcessBus(_LocalFanout):
    """The embedded default: one process, messages handed over in memory."""

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def publish_soon(self, messages: list[Message]) -> None:
        for message in messages:
            self.deliver(message)

    async def publish(self, messages: list[Message]) -> None:
        self.publish_soon(messages)


class RedisBus(_LocalFanout):
    """Redis pub/sub: every worker process receives every message and fans it out to its own
    streams. A lost connection is retried; streams resynchronise from the store."""

    def __init__(self, url: str, channel: str = CHANNEL) -> None:
        super().__init__()
        import redis.asyncio as redis

        self._redis = redis.from_url(url)
        self._channel = channel
        self._reader: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._ready = asyncio.Event()

    async def start(self) -> None:
        """Start listening (idempotent: the first stream starts it if the app's start-up
        did not, as under a test client)."""
        if self._reader is None:
            self._reader = asyncio.create_task(self._read(), name="smartbranch-bus-reader")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def _read(self) -> None:
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self._channel)
                    self._ready.set()
                    async for raw in pubsub.listen():
                        if raw.get("type") == "message":
                            self.deliver(Message.decode(raw["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as error:
                _log.warning("bus.redis_reconnect", error=str(error))
                # Streams may have missed messages meanwhile: tell them to read the store.
                for subscription in tuple(self._subscriptions):
                    subscription.overflowed = True
                await asyncio.sleep(1.0)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        await self._redis.aclose()

    async def publish(self, messages: list[Message]) -> None:
        async with self._redis.pipeline(transaction=False) as pipe:
            for message in messages:
                pipe.publish(self._channel, message.encode())
            await pipe.execute()

    def publish_soon(self, messages: list[Message]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            # A commit outside an event loop (a synchronous script): nothing to send with.
            # The events are stored; devices read them when they next catch up.
            _log.warning("bus.publish_without_loop", count=len(messages))
            return
        task = loop.create_task(self._publish_logged(messages))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _publish_logged(self, messages: list[Message]) -> None:
        try:
            await self.publish(messages)
        except Exception as error:
            _log.warning("bus.publish_failed", error=str(error), count=len(messages))


def create_bus(redis_url: str | None, channel: str = CHANNEL) -> EventBus:
    """Redis when a URL is configured, else in-process."""
    return RedisBus(redis_url, channel) if redis_url else InProcessBus()


_current: EventBus = InProcessBus()


def install(bus: EventBus) -> None:
    """Make ``bus`` the one this process announces committed events on."""
    global _current
    _current = bus


def current() -> EventBus:
    """The process's bus."""
    return _current


# --- publishing on commit -----------------------------------------------------------------


def publish_on_commit(session: Session, message: Message) -> None:
    """Announce ``message`` once the session's transaction commits; drop it if the
    transaction — or the savepoint it was staged in — rolls back."""
    marker = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_STAGED, []).append((marker, message))


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    staged = session.info.get(_STAGED)
    if not staged:
        return
    if not previous.nested:
        session.info.pop(_STAGED, None)
        return
    session.info[_STAGED] = [(m, msg) for m, msg in staged if not _within(m, previous)]


@event.listens_for(Session, "after_commit")
def _send_committed(session: Session) -> None:
    # SQLAlchemy also fires after_commit when a savepoint is released; the committing
    # transaction is then still the session's innermost (nested) one. Its messages wait for
    # the real commit: an enclosing rollback may yet undo them.
    if session.get_nested_transaction() is not None:
        return
    staged = session.info.pop(_STAGED, None)
    if staged:
        _current.publish_soon([message for _marker, message in staged])
