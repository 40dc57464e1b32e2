"""The queue's hooks: what a call, a recall and a finished service tell the domains above the
queue, in the same unit of work."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.queueing import service as queue
from smartbranch.queueing.service import hooks
from tests.fixtures.bank import Bank
from tests.fixtures.queue import build_floor


@pytest.fixture
def calls() -> Iterator[list[tuple[str, tuple[int, ...]]]]:
    """Record every hook run; registered twice to show that registering is idempotent."""
    seen: list[tuple[str, tuple[int, ...]]] = []

    async def called(
        _session: AsyncSession, ticket_id: int, counter_id: int, staff_id: int
    ) -> None:
        seen.append(("called", (ticket_id, counter_id, staff_id)))

    async def finished(_session: AsyncSession, ticket_id: int, staff_id: int) -> None:
        seen.append(("finished", (ticket_id, staff_id)))

    for _ in range(2):
        hooks.on_called(called)
        hooks.on_finished(finished)
    try:
        yield seen
    finally:
        hooks.remove(called)
        hooks.remove(finished)


class TestHooks:
    async def test_call_recall_and_finish_run_the_hooks(
        self, session: AsyncSession, bank: Bank, calls: list[tuple[str, tuple[int, ...]]]
    ) -> None:
        floor = await build_floor(session, bank)
        teller = floor.tellers["1"]
        await queue.sign_in_counter(session, outlet_code="BJ001", counter_code="1", staff_id=teller)
        issued = await queue.issue_ticket(session, outlet_code="BJ001", service_code="cash")
        ticket = issued.ticket.id
        counter = floor.counters["1"].id
        result = await queue.call_next(
            session, outlet_code="BJ001", counter_code="1", staff_id=teller
        )
        assert result.ticket is not None
        await queue.recall(session, outlet_code="BJ001", ticket_id=ticket, staff_id=teller)
        await queue.start_service(session, outlet_code="BJ001", ticket_id=ticket, staff_id=teller)
        await queue.finish_service(session, outlet_code="BJ001", ticket_id=ticket, staff_id=teller)
        assert calls == [
            ("called", (ticket, counter, teller)),
            ("called", (ticket, counter, teller)),
            ("finished", (ticket, teller)),
        ]

    async def test_no_hook_runs_when_nobody_is_waiting(
        self, session: AsyncSession, bank: Bank, calls: list[tuple[str, tuple[int, ...]]]
    ) -> None:
        floor = await build_floor(session, bank)
        teller = floor.tellers["1"]
        await queue.sign_in_counter(session, outlet_code="BJ001", counter_code="1", staff_id=teller)
        result = await queue.call_next(
            session, outlet_code="BJ001", counter_code="1", staff_id=teller
        )
        assert result.ticket is None
        assert calls == []
