"""The event bus: messages announced only after their transaction commits (dropped by a
rollback, also of a savepoint), on the in-process bus and on Redis; Redis fan-out with one
pub/sub connection per process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch import bus
from smartbranch.bus import Message, Subscription
from tests.fixtures.service import bus_channel, redis_or_skip

#: Bounds every wait for a message; a healthy bus answers in milliseconds.
TIMEOUT = 10.0

BUSES = [
    pytest.param("memory", id="in-process"),
    pytest.param("redis", id="redis", marks=pytest.mark.redis),
]


@pytest.fixture(params=BUSES)
async def event_bus(request: pytest.FixtureRequest) -> AsyncIterator[bus.EventBus]:
    """The process's bus for the test (restored afterwards)."""
    if request.param == "memory":
        installed: bus.EventBus = bus.InProcessBus()
    else:
        installed = bus.RedisBus(redis_or_skip(), channel=bus_channel())
    await installed.start()
    previous = bus.current()
    bus.install(installed)
    try:
        yield installed
    finally:
        bus.install(previous)
        await installed.close()


@pytest.fixture
async def subscription(event_bus: bus.EventBus) -> AsyncIterator[Subscription]:
    async with event_bus.subscribe() as subscribed:
        yield subscribed


async def next_id(subscription: Subscription) -> int:
    """The id of the next message the subscriber receives (bounded wait)."""
    message = await asyncio.wait_for(subscription.queue.get(), TIMEOUT)
    return message.event_id


def stage(session: AsyncSession, event_id: int) -> None:
    bus.publish_on_commit(
        session.sync_session, Message(event_id, "test.event", (1,), {"n": event_id})
    )


async def begin(session: AsyncSession) -> None:
    await session.execute(text("SELECT 1"))  # a transaction to stage in


class TestPublishOnCommit:
    async def test_commit_sends_in_order(
        self, session: AsyncSession, subscription: Subscription
    ) -> None:
        await begin(session)
        stage(session, 1)
        stage(session, 2)
        await session.commit()
        assert [await next_id(subscription), await next_id(subscription)] == [1, 2]

    async def test_nothing_is_sent_before_commit(
        self, session: AsyncSession, event_bus: bus.EventBus, subscription: Subscription
    ) -> None:
        await begin(session)
        stage(session, 1)
        await session.flush()
        # A message published now overtakes the staged one: it was not sent yet.
        await event_bus.publish([Message(99, "marker", (1,))])
        assert await next_id(subscription) == 99
        await session.commit()
        assert await next_id(subscription) == 1

    async def test_rollback_drops(self, session: AsyncSession, subscription: Subscription) -> None:
        await begin(session)
        stage(session, 1)
        await session.rollback()
        await begin(session)
        stage(session, 2)
        await session.commit()
        # Had 1 survived the rollback, the commit would have sent it first.
        assert await next_id(subscription) == 2

    async def test_savepoint_rollback_drops_only_its_events(
        self, session: AsyncSession, subscription: Subscription
    ) -> None:
        await begin(session)
        stage(session, 1)
        savepoint = await session.begin_nested()
        stage(session, 2)
        inner = await session.begin_nested()
        stage(session, 3)
        await inner.commit()
        await savepoint.rollback()  # drops 2 and 3, staged inside it (3 in a released one)
        stage(session, 4)
        await session.commit()
        assert [await next_id(subscription), await next_id(subscription)] == [1, 4]
        await begin(session)
        stage(session, 5)
        await session.commit()
        assert await next_id(subscription) == 5  # nothing else was queued in between

    async def test_released_savepoint_is_sent_with_the_commit(
        self, session: AsyncSession, subscription: Subscription
    ) -> None:
        await begin(session)
        savepoint = await session.begin_nested()
        stage(session, 1)
        await savepoint.commit()
        await session.commit()
        assert await next_id(subscription) == 1


class TestMessage:
    def test_round_trip(self) -> None:
        message = Message(7, "customer.arrived", (1, 2), {"name": "王**", "tier": "gold"})
        assert Message.decode(message.encode()) == message
        assert Message.decode(message.encode().encode()) == message


class TestLocalFanout:
    async def test_every_subscriber_receives(self) -> None:
        local = bus.InProcessBus()
        async with local.subscribe() as first, local.subscribe() as second:
            await local.publish([Message(1, "k", (1,))])
            assert [await next_id(first), await next_id(second)] == [1, 1]
        assert local.subscribers == 0

    async def test_a_slow_subscriber_is_told_to_resynchronise(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(bus, "SUBSCRIBER_BUFFER", 2)
        local = bus.InProcessBus()
        async with local.subscribe() as slow:
            await local.publish([Message(1, "k", (1,)), Message(2, "k", (1,))])
            assert not slow.overflowed
            await local.publish([Message(3, "k", (1,))])
            assert slow.overflowed
            assert [await next_id(slow), await next_id(slow)] == [1, 2]


@pytest.mark.redis
class TestRedisBus:
    async def test_one_connection_per_process_fans_out_to_every_stream(self) -> None:
        url, channel = redis_or_skip(), bus_channel()
        worker = bus.RedisBus(url, channel=channel)
        await worker.start()
        client = aioredis.from_url(url)
        try:
            async with (
                worker.subscribe() as first,
                worker.subscribe() as second,
                worker.subscribe() as third,
            ):
                counts = await client.pubsub_numsub(channel)
                assert [int(n) for _channel, n in counts] == [1]
                await worker.publish([Message(1, "k", (1,))])
                ids = [await next_id(s) for s in (first, second, third)]
                assert ids == [1, 1, 1]
        finally:
            await worker.close()
            await client.aclose()

    async def test_another_worker_receives_what_one_commits(self, session: AsyncSession) -> None:
        url, channel = redis_or_skip(), bus_channel()
        one, other = bus.RedisBus(url, channel=channel), bus.RedisBus(url, channel=channel)
        await one.start()
        await other.start()
        previous = bus.current()
        bus.install(one)
        try:
            async with other.subscribe() as listening:
                await begin(session)
                stage(session, 1)
                await session.commit()
                assert await next_id(listening) == 1
        finally:
            bus.install(previous)
            await one.close()
            await other.close()

    async def test_a_commit_outside_an_event_loop_does_not_fail(self) -> None:
        worker = bus.RedisBus(redis_or_skip(), channel=bus_channel())
        try:
            # A synchronous script's commit: no loop to send with; the store keeps the event.
            await asyncio.to_thread(worker.publish_soon, [Message(1, "k", (1,))])
        finally:
            await worker.close()
