"""Retention of the staff events: old events go with their recipient rows, recent ones stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.db import utcnow
from smartbranch.service import events
from smartbranch.service.models import StaffEvent, StaffEventRecipient
from tests.fixtures.bank import Bank


class TestPrune:
    async def test_old_events_go_with_their_recipients(
        self, session: AsyncSession, bank: Bank
    ) -> None:
        lobby = bank.staff["bj001.lobby1"].id
        teller = bank.staff["bj001.teller1"].id
        now = utcnow()
        old = await events.emit(
            session, "visit.updated", [lobby, teller], at=now - timedelta(days=9)
        )
        recent = await events.emit(session, "visit.updated", [lobby], at=now - timedelta(days=2))
        assert old is not None and recent is not None

        removed = await events.prune(session, now - timedelta(days=7))

        assert removed == 1
        assert list(await session.scalars(select(StaffEvent.id))) == [recent.id]
        recipients = await session.scalar(select(func.count()).select_from(StaffEventRecipient))
        assert recipients == 1
        assert [e.id for e in await events.events_after(session, lobby, 0)] == [recent.id]
        assert list(await events.events_after(session, teller, 0)) == []

    async def test_nothing_old_nothing_removed(self, session: AsyncSession, bank: Bank) -> None:
        lobby = bank.staff["bj001.lobby1"].id
        await events.emit(session, "visit.updated", [lobby])
        assert await events.prune(session, utcnow() - timedelta(days=7)) == 0
