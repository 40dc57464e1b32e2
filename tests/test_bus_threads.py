"""The in-process bus across threads: the demo's simulated branch publishes from a thread
of its own, beside the server's event loop."""

from __future__ import annotations

import asyncio
import threading

from smartbranch.bus import InProcessBus, Message


class TestInProcessBusAcrossThreads:
    async def test_a_message_from_another_thread_reaches_the_subscriber_loop(self) -> None:
        # Debug mode makes asyncio refuse a non-thread-safe call from another thread, so a
        # bus that touched the queue directly would lose the message here.
        asyncio.get_running_loop().set_debug(True)
        bus = InProcessBus()
        async with bus.subscribe() as subscription:
            waiting = asyncio.create_task(subscription.queue.get())
            await asyncio.sleep(0)  # the subscriber is parked on its queue

            def publish_from_a_thread() -> None:
                async def publish() -> None:
                    bus.publish_soon([Message(7, "customer.arrived", (1,), {})])

                asyncio.run(publish())  # a loop of its own, as the simulator has

            thread = threading.Thread(target=publish_from_a_thread)
            thread.start()
            await asyncio.to_thread(thread.join, 10)
            message = await asyncio.wait_for(waiting, timeout=10)
        assert message.event_id == 7
        assert not subscription.overflowed

    async def test_a_message_from_a_thread_without_a_loop_is_delivered(self) -> None:
        bus = InProcessBus()
        async with bus.subscribe() as subscription:
            thread = threading.Thread(
                target=bus.publish_soon, args=([Message(8, "visit.updated", (1,), {})],)
            )
            thread.start()
            thread.join(10)
            message = await asyncio.wait_for(subscription.queue.get(), timeout=10)
        assert message.event_id == 8
