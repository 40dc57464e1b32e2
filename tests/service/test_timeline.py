"""The visit timeline: every step of a customer's day at an outlet, oldest first, read from
the rows that record each step."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.marketing.service import record_outcome
from smartbranch.queueing import service as queue
from smartbranch.service import collab
from smartbranch.service.models import Visit
from smartbranch.service.schemas import HandoffIn, NeedIn, TimelineEntry
from smartbranch.service.timeline import visit_timeline
from tests.fixtures.bank import Bank
from tests.fixtures.marketing import add_lead, add_run, default_rules
from tests.fixtures.queue import Floor, build_floor
from tests.fixtures.visits import add_visit, at_today, build_crew, sign_in, today

OUTLET = "BJ001"


@pytest.fixture
async def crew(session: AsyncSession, bank: Bank) -> Bank:
    return await build_crew(session, bank)


@pytest.fixture
async def floor(session: AsyncSession, crew: Bank) -> Floor:
    return await build_floor(session, crew)


@pytest.fixture
async def visit(session: AsyncSession, crew: Bank) -> Visit:
    return await add_visit(session, crew, arrived_at=at_today(9))


def steps(entries: list[TimelineEntry]) -> list[tuple[str, str]]:
    # A finished service may close the visit (the arrivals' queue hook, when an app has
    # registered it in this process): not this test's subject.
    return [(e.kind, e.text) for e in entries if e.kind != "visit_closed"]


@contextmanager
def counted(session: AsyncSession) -> Iterator[list[str]]:
    """The SQL statements the session runs inside the block."""
    statements: list[str] = []
    connection = session.bind.sync_connection  # type: ignore[union-attr]

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


class TestVisitTimeline:
    async def test_a_whole_visit_oldest_first(
        self, session: AsyncSession, crew: Bank, floor: Floor, visit: Visit
    ) -> None:
        customer = crew.customers["C0000000001"]
        teller = floor.tellers["4"]
        ticket = (
            await queue.issue_ticket(
                session,
                outlet_code=OUTLET,
                service_code="wealth",
                customer_id=customer.id,
                now=at_today(9, 1),
            )
        ).ticket
        lobby = await sign_in(session, crew, "bj001.lobby1")
        wealth = await sign_in(session, crew, "bj001.wealth1")
        await collab.capture_need(
            session,
            lobby,
            visit.id,
            NeedIn(category="wealth", amount=Decimal("500000"), note="low risk"),
            now=at_today(9, 2),
        )
        handoff = await collab.create_handoff(
            session, lobby, visit.id, HandoffIn(to_role="wealth_manager"), now=at_today(9, 3)
        )
        await collab.accept_handoff(session, wealth, handoff.id, now=at_today(9, 4))
        await queue.sign_in_counter(
            session, outlet_code=OUTLET, counter_code="4", staff_id=teller, now=at_today(9, 5)
        )
        await queue.call_next(
            session, outlet_code=OUTLET, counter_code="4", staff_id=teller, now=at_today(9, 6)
        )
        kw = {"outlet_code": OUTLET, "ticket_id": ticket.id, "staff_id": teller}
        await queue.recall(session, **kw, now=at_today(9, 7))
        await queue.start_service(session, **kw, now=at_today(9, 8))
        await queue.transfer(session, **kw, to_counter_code="3", now=at_today(9, 9))
        await collab.complete_handoff(session, wealth, handoff.id, now=at_today(9, 10))

        rules = await default_rules(session)
        run = await add_run(session, today())
        declined_rule = rules["REPEAT_MATURING_WEALTH"]
        deferred_rule = rules["QF_IDLE_CASH"]
        declined = await add_lead(session, run=run, rule=declined_rule, customer_id=customer.id)
        deferred = await add_lead(session, run=run, rule=deferred_rule, customer_id=customer.id)
        elsewhere = await add_lead(
            session, run=run, rule=rules["SEG_SENIOR"], customer_id=customer.id
        )
        wealth_id = crew.staff["bj001.wealth1"].id
        in_visit = await record_outcome(
            session,
            lead_id=declined.id,
            kind="declined",
            reason_code="return_too_low",
            staff_id=wealth_id,
            outlet_id=crew.orgs[OUTLET].id,
            channel="tablet",
            now=at_today(9, 11),
        )
        in_visit.visit_id = visit.id  # recorded from the customer page of the visit
        # Recorded without a visit, that day at that outlet: still this visit's step.
        await record_outcome(
            session,
            lead_id=deferred.id,
            kind="deferred",
            follow_up_on=today() + timedelta(days=7),
            staff_id=wealth_id,
            outlet_id=crew.orgs[OUTLET].id,
            channel="tablet",
            now=at_today(9, 12),
        )
        # At another outlet: not this visit's.
        await record_outcome(
            session,
            lead_id=elsewhere.id,
            kind="not_presented",
            staff_id=wealth_id,
            outlet_id=crew.orgs["BJ002"].id,
            channel="tablet",
            now=at_today(9, 13),
        )
        await session.flush()

        entries = await visit_timeline(session, visit, "en")
        number = ticket.number
        assert [e.at for e in entries] == sorted(e.at for e in entries)
        assert steps(entries) == [
            ("arrived", "Arrived: identified at the queue kiosk (Bank card)."),
            ("ticket_issued", f"Took ticket {number} for Wealth management."),
            ("need", "Need noted: Wealth management · 500,000.00 yuan · low risk."),
            ("handoff_created", "Handed off to Wealth manager."),
            ("handoff_accepted", "Hand-off to Wealth manager accepted by bj001.wealth1."),
            ("ticket_called", f"Ticket {number} called to counter 4 by bj001.counter4."),
            ("ticket_recalled", f"Ticket {number} called again at counter 4."),
            ("ticket_started", f"Service of ticket {number} began at counter 4."),
            ("ticket_transferred", f"Ticket {number} transferred to counter 3."),
            ("handoff_done", "Hand-off to Wealth manager completed by bj001.wealth1."),
            (
                "outcome",
                f"Offered {declined_rule.name_en}: declined (Return or rate too low).",
            ),
            (
                "outcome",
                f"Offered {deferred_rule.name_en}: deferred until "
                f"{(today() + timedelta(days=7)).isoformat()}.",
            ),
        ]
        by_kind = {e.kind: e for e in entries}
        assert (by_kind["ticket_called"].actor_name, by_kind["ticket_called"].actor_role_label) == (
            "bj001.counter4",
            "Teller",
        )
        assert (by_kind["need"].actor_name, by_kind["need"].actor_role_label) == (
            "bj001.lobby1",
            "Lobby manager",
        )
        assert by_kind["outcome"].actor_name == "bj001.wealth1"

    async def test_in_chinese_with_the_glossary_terms(
        self, session: AsyncSession, crew: Bank, floor: Floor, visit: Visit
    ) -> None:
        ticket = (
            await queue.issue_ticket(
                session,
                outlet_code=OUTLET,
                service_code="cash",
                customer_id=visit.customer_id,
                now=at_today(9, 1),
            )
        ).ticket
        teller = floor.tellers["1"]
        await queue.sign_in_counter(
            session, outlet_code=OUTLET, counter_code="1", staff_id=teller, now=at_today(9, 2)
        )
        await queue.call_next(
            session, outlet_code=OUTLET, counter_code="1", staff_id=teller, now=at_today(9, 3)
        )
        await queue.no_show(
            session, outlet_code=OUTLET, ticket_id=ticket.id, staff_id=teller, now=at_today(9, 9)
        )
        lobby = await sign_in(session, crew, "bj001.lobby1")
        await collab.create_handoff(
            session,
            lobby,
            visit.id,
            HandoffIn(to_role="teller", to_staff_id=teller, note="开户"),
            now=at_today(9, 10),
        )
        entries = await visit_timeline(session, visit, "zh_CN")
        assert steps(entries) == [
            ("arrived", "到店：在排队机识别（银行卡）。"),
            ("ticket_issued", f"取号 {ticket.number}（现金业务）。"),
            ("ticket_called", f"{ticket.number} 号已由 bj001.teller1 叫到 1 号窗口。"),
            ("ticket_no_show", f"{ticket.number} 号已过号。"),
            ("handoff_created", "已转介给bj001.teller1（柜员）：开户"),
        ]

    async def test_only_this_customers_tickets_of_this_day_at_this_outlet(
        self, session: AsyncSession, crew: Bank, floor: Floor, visit: Visit
    ) -> None:
        await build_floor(session, crew, outlet="BJ002")
        others = [
            ("BJ001", crew.customers["C0000000003"].id, at_today(9, 1)),  # someone else
            ("BJ002", visit.customer_id, at_today(9, 2)),  # another outlet
            ("BJ001", visit.customer_id, at_today(9, 3) - timedelta(days=1)),  # yesterday
            ("BJ001", None, at_today(9, 4)),  # anonymous
        ]
        for outlet, customer_id, moment in others:
            await queue.issue_ticket(
                session,
                outlet_code=outlet,
                service_code="cash",
                customer_id=customer_id,
                now=moment,
            )
        entries = await visit_timeline(session, visit, "en")
        assert [e.kind for e in entries] == ["arrived"]

    async def test_a_withdrawn_hand_off_and_a_closed_visit(
        self, session: AsyncSession, crew: Bank, visit: Visit
    ) -> None:
        lobby = await sign_in(session, crew, "bj001.lobby1")
        handoff = await collab.create_handoff(
            session, lobby, visit.id, HandoffIn(to_role="wealth_manager"), now=at_today(9, 1)
        )
        await collab.cancel_handoff(session, lobby, handoff.id, now=at_today(9, 2))
        visit.status, visit.closed_at = "closed", at_today(9, 30)
        await session.flush()
        entries = await visit_timeline(session, visit, "en")
        assert [(e.kind, e.text, e.actor_name) for e in entries[1:]] == [
            ("handoff_created", "Handed off to Wealth manager.", "bj001.lobby1"),
            (
                "handoff_cancelled",
                "Hand-off to Wealth manager withdrawn by bj001.lobby1.",
                "bj001.lobby1",
            ),
            ("visit_closed", "Visit closed.", None),
        ]

    async def test_a_few_queries_however_long_the_visit(
        self, session: AsyncSession, crew: Bank, floor: Floor, visit: Visit
    ) -> None:
        lobby = await sign_in(session, crew, "bj001.lobby1")
        for minute in range(1, 9):
            await queue.issue_ticket(
                session,
                outlet_code=OUTLET,
                service_code="cash",
                customer_id=visit.customer_id,
                now=at_today(9, minute),
            )
            await collab.capture_need(
                session, lobby, visit.id, NeedIn(note=f"need {minute}"), now=at_today(9, minute)
            )
        for role in ("wealth_manager", "teller", "account_manager", "outlet_manager"):
            await collab.create_handoff(
                session, lobby, visit.id, HandoffIn(to_role=role), now=at_today(9, 20)
            )
        session.expunge_all()  # nothing comes from the identity map
        reloaded = await session.get(Visit, visit.id)
        assert reloaded is not None
        with counted(session) as statements:
            entries = await visit_timeline(session, reloaded, "en")
        assert len(entries) == 1 + 8 + 8 + 4
        # Outlet, ticket events, the outlet's services, needs, hand-offs, outcomes.
        assert len(statements) <= 6, statements
