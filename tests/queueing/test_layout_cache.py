"""The per-process layout cache (services, counters, policy) never hides a change: a counter
that closes or signs in is seen by the next call (its state is never cached), and a change of
policy or work profile is seen even by a worker process still holding the old layout, through
the outlet's layout token."""

from __future__ import annotations

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.queueing import errors, service
from smartbranch.queueing.models import QueueLayout
from smartbranch.queueing.policy import PolicyConfig
from smartbranch.queueing.service import CounterSpec, setup_outlet
from smartbranch.queueing.service.layout import _LAYOUTS, Layout
from tests.fixtures.bank import Bank
from tests.fixtures.queue import COUNTERS, SERVICES, Floor, build_floor
from tests.queueing.test_service import OUTLET, at, call, issue, open_counter


@pytest.fixture
async def floor(session: AsyncSession, bank: Bank) -> Floor:
    return await build_floor(session, bank)


class TestCounterStateIsLive:
    async def test_a_closed_counter_is_not_called_from(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        staff = await open_counter(session, floor, "1")
        await issue(session, "cash", 0)
        await issue(session, "cash", 1)
        first = await call(session, floor, "1", 2)  # the layout is now cached
        assert first.ticket is not None
        await service.close_counter(session, outlet_code=OUTLET, counter_code="1", staff_id=staff)
        with pytest.raises(errors.CounterClosedError):
            await call(session, floor, "1", 3)
        # The closed counter's called ticket went back and the remaining one waits on.
        await open_counter(session, floor, "2")
        again = await call(session, floor, "2", 4)
        assert again.ticket is not None and again.ticket.id == first.ticket.id

    async def test_a_counter_signing_in_is_called_from_at_once(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        await open_counter(session, floor, "1")
        await issue(session, "cash", 0)
        await issue(session, "cash", 1)
        await call(session, floor, "1", 2)
        with pytest.raises(errors.CounterClosedError):
            await call(session, floor, "2", 2)
        await open_counter(session, floor, "2", 3)
        called = await call(session, floor, "2", 3)
        assert called.ticket is not None


class TestLayoutChanges:
    async def test_a_policy_change_is_seen_by_a_process_holding_the_old_layout(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        await open_counter(session, floor, "1")
        await open_counter(session, floor, "2")
        await issue(session, "cash", 0)
        await issue(session, "cash", 1)
        first = await call(session, floor, "1", 2)
        assert first.ticket is not None and first.ticket.lease_expires_at == at(5)  # 180 s
        stale = _LAYOUTS[floor.outlet.id]
        await service.set_policy(
            session, outlet_id=floor.outlet.id, config=PolicyConfig(lease_seconds=60)
        )
        _hold_stale(floor.outlet.id, stale)
        second = await call(session, floor, "2", 2)
        assert second.ticket is not None and second.ticket.lease_expires_at == at(3)

    async def test_a_new_work_profile_is_seen_by_a_process_holding_the_old_layout(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        await open_counter(session, floor, "1")
        await issue(session, "cash", 0)
        await issue(session, "cash", 1)
        first = await call(session, floor, "1", 2)
        assert first.ticket is not None
        await service.skip(
            session, outlet_code=OUTLET, ticket_id=first.ticket.id, staff_id=floor.tellers["1"]
        )
        stale = _LAYOUTS[floor.outlet.id]
        counters = tuple(CounterSpec("1", ("non_cash",)) if c.code == "1" else c for c in COUNTERS)
        await setup_outlet(session, outlet_code=OUTLET, services=SERVICES, counters=counters)
        _hold_stale(floor.outlet.id, stale)
        # Counter 1 no longer serves cash: nothing for it, though two cash tickets wait.
        assert (await call(session, floor, "1", 3)).ticket is None
        snapshot = await service.queue_snapshot(session, outlet_code=OUTLET, now=at(3))
        assert {c.code: c.service_codes for c in snapshot.counters}["1"] == ("non_cash",)

    async def test_an_outlet_without_a_token_is_read_every_time(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        await session.execute(delete(QueueLayout).where(QueueLayout.outlet_id == floor.outlet.id))
        session.info.clear()
        _LAYOUTS.pop(floor.outlet.id, None)
        await open_counter(session, floor, "1")
        await issue(session, "cash", 0)
        assert (await call(session, floor, "1", 1)).ticket is not None
        assert floor.outlet.id not in _LAYOUTS


def _hold_stale(outlet_id: int, stale: Layout) -> None:
    """Put back the layout held before a change, as another worker process still holds it."""
    _LAYOUTS[outlet_id] = stale
