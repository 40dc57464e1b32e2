"""Never twice: many counters calling at the same moment, each in its own connection and
transaction, on the configured database (SQLite by default, PostgreSQL in CI); and the queue
surviving a restart."""

from __future__ import annotations

import asyncio
from collections import Counter as Tally
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from smartbranch.credentials import CredentialHasher
from smartbranch.db import create_engine, create_sessionmaker, is_sqlite, unit_of_work, utcnow
from smartbranch.main import create_app
from smartbranch.queueing import service
from smartbranch.queueing.models import Ticket, TicketEvent
from smartbranch.queueing.service import CounterSpec
from smartbranch.settings import Settings
from tests.conftest import isolated_engine
from tests.fixtures.bank import PASSWORD, build_bank
from tests.fixtures.queue import Floor, build_floor

OUTLET = "BJ001"
COUNTERS = tuple(CounterSpec(str(i), ("cash", "non_cash")) for i in range(1, 21))
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
async def own_engine(test_settings: Settings) -> AsyncIterator[AsyncEngine]:
    async with isolated_engine(test_settings) as engine:
        yield engine


async def _prepare(
    maker: async_sessionmaker[AsyncSession],
    hasher: CredentialHasher,
    tickets: int,
    now: datetime = NOW,
) -> tuple[Floor, dict[str, str]]:
    async with unit_of_work(maker) as session:
        bank = await build_bank(session, hasher)
        floor = await build_floor(session, bank, counters=COUNTERS)
        for code, staff_id in floor.tellers.items():
            await service.sign_in_counter(
                session, outlet_code=OUTLET, counter_code=code, staff_id=staff_id, now=now
            )
        for i in range(tickets):
            await service.issue_ticket(
                session,
                outlet_code=OUTLET,
                service_code="cash" if i % 2 else "non_cash",
                now=now + timedelta(seconds=i),
            )
        usernames = {
            code: s.username
            for s in bank.staff.values()
            for code, i in floor.tellers.items()
            if i == s.id
        }
    return floor, usernames


async def _double_calls(maker: async_sessionmaker[AsyncSession]) -> int:
    """Tickets the event log shows called more than once without a requeue in between."""
    async with maker() as session:
        kinds = (
            await session.execute(
                select(TicketEvent.ticket_id, TicketEvent.kind).order_by(TicketEvent.id)
            )
        ).all()
    open_calls: Tally[int] = Tally()
    doubles = 0
    for ticket_id, kind in kinds:
        if kind == "called":
            open_calls[ticket_id] += 1
            doubles += open_calls[ticket_id] > 1
        elif kind in ("requeued", "skipped", "transferred", "no_show", "finished", "cancelled"):
            open_calls[ticket_id] = 0
    return doubles


class TestNeverTwice:
    async def test_twenty_counters_ten_tickets(
        self, own_engine: AsyncEngine, hasher: CredentialHasher
    ) -> None:
        maker = create_sessionmaker(own_engine)
        floor, _ = await _prepare(maker, hasher, tickets=10)
        start = asyncio.Event()

        async def counter_calls(code: str) -> int | None:
            await start.wait()
            async with unit_of_work(maker) as session:
                result = await service.call_next(
                    session,
                    outlet_code=OUTLET,
                    counter_code=code,
                    staff_id=floor.tellers[code],
                    now=NOW + timedelta(minutes=1),
                )
                return result.ticket.id if result.ticket else None

        tasks = [asyncio.create_task(counter_calls(code)) for code in floor.tellers]
        await asyncio.sleep(0)
        start.set()
        answers = await asyncio.gather(*tasks)
        called = [a for a in answers if a is not None]
        assert len(called) == 10
        assert len(set(called)) == 10
        assert answers.count(None) == 10
        async with maker() as session:
            rows = (
                await session.execute(select(Ticket.id, Ticket.counter_id, Ticket.status))
            ).all()
        assert {r.status for r in rows} == {"called"}
        assert len({r.counter_id for r in rows}) == 10
        assert await _double_calls(maker) == 0

    async def test_twenty_counters_over_http(
        self, own_engine: AsyncEngine, hasher: CredentialHasher, test_settings: Settings
    ) -> None:
        """The same through the API, where each request's unit of work authenticates (reads)
        before it calls: the write lock must come first on SQLite."""
        maker = create_sessionmaker(own_engine)
        # The API runs on the wall clock: today's queue.
        floor, usernames = await _prepare(maker, hasher, tickets=10, now=utcnow())
        async with unit_of_work(maker) as session:
            from smartbranch.auth.service import enroll_device

            _device, device_token = await enroll_device(session, kind="counter", org_code=OUTLET)
        app = create_app(test_settings)
        app.state.sessionmaker = maker
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
            tokens = {}
            for code, username in usernames.items():
                response = await client.post(
                    "/api/v1/auth/login",
                    json={"username": username, "password": PASSWORD},
                    headers={"X-Device-Token": device_token},
                )
                assert response.status_code == 200, response.text
                tokens[code] = response.json()["session_token"]
            responses = await asyncio.gather(
                *(
                    client.post(
                        f"/api/v1/outlets/{OUTLET}/counters/{code}/call-next",
                        headers={
                            "X-Device-Token": device_token,
                            "Authorization": f"Bearer {tokens[code]}",
                        },
                    )
                    for code in floor.tellers
                )
            )
        assert [r.status_code for r in responses] == [200] * 20, [r.text for r in responses]
        tickets = [r.json()["ticket"] for r in responses]
        called = [t["id"] for t in tickets if t is not None]
        assert len(called) == len(set(called)) == 10
        assert await _double_calls(maker) == 0

    async def test_kiosks_issuing_at_once_draw_distinct_numbers(
        self, own_engine: AsyncEngine, hasher: CredentialHasher
    ) -> None:
        maker = create_sessionmaker(own_engine)
        await _prepare(maker, hasher, tickets=0)

        async def kiosk(i: int) -> str:
            async with unit_of_work(maker) as session:
                issued = await service.issue_ticket(
                    session, outlet_code=OUTLET, service_code="cash", idempotency_key=f"k{i % 10}"
                )
                return issued.ticket.number

        numbers = await asyncio.gather(*(kiosk(i) for i in range(20)))
        # Ten keys, each sent twice at once: ten tickets, numbered without gaps in use.
        assert len(set(numbers)) == 10
        async with maker() as session:
            count = await session.scalar(select(func.count()).select_from(Ticket))
        assert count == 10


class TestRestart:
    async def test_tickets_and_their_order_survive_a_new_engine(
        self, own_engine: AsyncEngine, hasher: CredentialHasher, test_settings: Settings
    ) -> None:
        maker = create_sessionmaker(own_engine)
        floor, _ = await _prepare(maker, hasher, tickets=0)
        async with unit_of_work(maker) as session:
            for minute, tier_customer in [(0, None), (1, None), (2, "C0000000001"), (3, None)]:
                customer_id = None
                if tier_customer:
                    customer_id = await session.scalar(
                        text("SELECT id FROM customers WHERE number = :n"), {"n": tier_customer}
                    )
                await service.issue_ticket(
                    session,
                    outlet_code=OUTLET,
                    service_code="cash",
                    customer_id=customer_id,
                    now=NOW + timedelta(minutes=minute),
                )
        url = own_engine.url.render_as_string(hide_password=False)
        connect_args = {}
        if not is_sqlite(url):
            async with own_engine.connect() as conn:
                path = (await conn.execute(text("SHOW search_path"))).scalar_one()
            connect_args = {"server_settings": {"search_path": path}}
        await own_engine.dispose()

        restarted_settings = test_settings.model_copy(update={"database_url": url})
        if connect_args:
            restarted = create_engine(restarted_settings, connect_args=connect_args)
        else:
            restarted = create_engine(restarted_settings)
        try:
            maker = create_sessionmaker(restarted)
            order = []
            for i in range(4):
                code = str(i + 1)
                async with unit_of_work(maker) as session:
                    result = await service.call_next(
                        session,
                        outlet_code=OUTLET,
                        counter_code=code,
                        staff_id=floor.tellers[code],
                        now=NOW + timedelta(minutes=4),
                    )
                    assert result.ticket is not None
                    order.append(result.ticket.number)
            # The gold customer (A003) counts as five minutes earlier.
            assert order == ["A003", "A001", "A002", "A004"]
        finally:
            await restarted.dispose()
