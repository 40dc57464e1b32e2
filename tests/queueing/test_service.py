"""The queue's actions on the real database: numbering, priority classes, idempotency, the
ticket's life, leases, transfers, appointments and the errors a teller can meet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.models import Device, Identification
from smartbranch.auth.tokens import token_hash
from smartbranch.orgs.service import OutletNotFoundError
from smartbranch.queueing import errors, service
from smartbranch.queueing.handling import load_handling_times
from smartbranch.queueing.models import HandlingStat, Ticket
from smartbranch.queueing.policy import (
    APPOINTMENT_DUE,
    MAX_WAIT_EXCEEDED,
    TRANSFERRED_TO_COUNTER,
    PolicyConfig,
)
from tests.fixtures.bank import Bank
from tests.fixtures.queue import Floor, build_floor

# 10:00 in Beijing on a Monday.
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
OUTLET = "BJ001"


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


@pytest.fixture
async def floor(session: AsyncSession, bank: Bank) -> Floor:
    return await build_floor(session, bank)


async def issue(
    session: AsyncSession, service_code: str = "cash", minute: float = 0, **kw: object
) -> Ticket:
    issued = await service.issue_ticket(
        session,
        outlet_code=OUTLET,
        service_code=service_code,
        now=at(minute),
        **kw,  # type: ignore[arg-type]
    )
    return issued.ticket


async def open_counter(session: AsyncSession, floor: Floor, code: str, minute: float = 0) -> int:
    staff_id = floor.tellers[code]
    await service.sign_in_counter(
        session, outlet_code=OUTLET, counter_code=code, staff_id=staff_id, now=at(minute)
    )
    return staff_id


async def call(session: AsyncSession, floor: Floor, code: str, minute: float) -> service.CallResult:
    return await service.call_next(
        session, outlet_code=OUTLET, counter_code=code, staff_id=floor.tellers[code], now=at(minute)
    )


async def identification(
    session: AsyncSession, bank: Bank, number: str, outlet: str, *, expires: datetime
) -> str:
    device_id = await session.scalar(
        select(Device.id).where(Device.org_unit_id == bank.orgs[outlet].id)
    )
    reference = f"idr_test_{number}_{outlet}"
    session.add(
        Identification(
            reference_hash=token_hash(reference),
            customer_id=bank.customers[number].id,
            outlet_id=bank.orgs[outlet].id,
            device_id=device_id,
            credential_kind="debit_card",
            created_at=NOW - timedelta(minutes=1),
            expires_at=expires,
        )
    )
    await session.flush()
    return reference


class TestIssue:
    async def test_numbers_run_per_outlet_prefix_and_day(
        self, session: AsyncSession, bank: Bank, floor: Floor
    ) -> None:
        numbers = [(await issue(session, "cash", i)).number for i in range(3)]
        assert numbers == ["A001", "A002", "A003"]
        assert (await issue(session, "wealth", 4)).number == "V001"
        await build_floor(session, bank, outlet="BJ002")
        other = await service.issue_ticket(
            session, outlet_code="BJ002", service_code="cash", now=at(5)
        )
        assert other.ticket.number == "A001"
        # 16:00 UTC is midnight in Beijing: a new business day starts again at 001.
        tomorrow = await service.issue_ticket(
            session,
            outlet_code=OUTLET,
            service_code="cash",
            now=datetime(2026, 3, 2, 16, 1, tzinfo=UTC),
        )
        assert tomorrow.ticket.number == "A001"
        assert tomorrow.ticket.business_day.isoformat() == "2026-03-03"

    async def test_the_identified_customer_gets_their_tier(
        self, session: AsyncSession, bank: Bank, floor: Floor
    ) -> None:
        reference = await identification(session, bank, "C0000000001", OUTLET, expires=at(10))
        issued = await service.issue_ticket(
            session,
            outlet_code=OUTLET,
            service_code="wealth",
            identification_ref=reference,
            now=at(1),
        )
        assert issued.ticket.tier == "gold"
        assert issued.ticket.customer_id == bank.customers["C0000000001"].id
        assert issued.ticket.identification_ref == token_hash(reference)  # never the reference
        anonymous = await issue(session, "cash", 2)
        assert (anonymous.tier, anonymous.customer_id) == ("standard", None)

    async def test_an_identification_must_be_from_this_outlet_and_fresh(
        self, session: AsyncSession, bank: Bank, floor: Floor
    ) -> None:
        elsewhere = await identification(session, bank, "C0000000002", "SH001", expires=at(10))
        stale = await identification(session, bank, "C0000000001", OUTLET, expires=at(1))
        with pytest.raises(errors.IdentificationUnknownError):
            await issue(session, "cash", 2, identification_ref=elsewhere)
        with pytest.raises(errors.IdentificationUnknownError):
            await issue(session, "cash", 2, identification_ref="idr_made_up")
        with pytest.raises(errors.IdentificationExpiredError):
            await issue(session, "cash", 2, identification_ref=stale)

    async def test_same_idempotency_key_same_ticket_one_row(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        first = await service.issue_ticket(
            session, outlet_code=OUTLET, service_code="cash", idempotency_key="k-1", now=at(0)
        )
        again = await service.issue_ticket(
            session, outlet_code=OUTLET, service_code="cash", idempotency_key="k-1", now=at(1)
        )
        assert (first.created, again.created) == (True, False)
        assert again.ticket.id == first.ticket.id
        assert (again.people_ahead, again.eta) == (first.people_ahead, first.eta)
        count = await session.scalar(
            select(func.count()).select_from(Ticket).where(Ticket.idempotency_key == "k-1")
        )
        assert count == 1
        with pytest.raises(errors.IdempotencyKeyReusedError):
            await service.issue_ticket(
                session, outlet_code=OUTLET, service_code="wealth", idempotency_key="k-1", now=at(2)
            )

    async def test_people_ahead_and_estimates(self, session: AsyncSession, floor: Floor) -> None:
        await open_counter(session, floor, "1")
        await open_counter(session, floor, "2")
        for i in range(4):
            await issue(session, "cash", i * 0.1)
        issued = await service.issue_ticket(
            session, outlet_code=OUTLET, service_code="cash", now=at(1)
        )
        assert issued.people_ahead == 4
        # Two idle counters, four cash tickets of 4 minutes ahead: called after 8 minutes.
        assert issued.eta == timedelta(minutes=8)
        assert issued.naive_eta == timedelta(minutes=8)
        assert issued.ticket.eta_minutes_at_issue == 8.0

    async def test_unknown_outlet_and_service(self, session: AsyncSession, floor: Floor) -> None:
        with pytest.raises(OutletNotFoundError):
            await service.issue_ticket(session, outlet_code="XX999", service_code="cash")
        with pytest.raises(errors.ServiceNotFoundError):
            await service.issue_ticket(session, outlet_code=OUTLET, service_code="gold_bars")


class TestCalling:
    async def test_call_start_finish_records_every_transition(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        ticket = await issue(session)
        staff = await open_counter(session, floor, "1")
        result = await call(session, floor, "1", 2)
        assert result.ticket is not None and result.ticket.id == ticket.id
        assert result.ticket.status == "called"
        assert result.ticket.lease_expires_at == at(2) + timedelta(seconds=180)
        await service.start_service(
            session, outlet_code=OUTLET, ticket_id=ticket.id, staff_id=staff, now=at(3)
        )
        done = await service.finish_service(
            session, outlet_code=OUTLET, ticket_id=ticket.id, staff_id=staff, now=at(9)
        )
        assert (done.status, done.finished_at) == ("done", at(9))
        events = await service.events_since(session, outlet_code=OUTLET, after_id=0)
        assert [e.kind for e in events] == ["issued", "called", "started", "finished"]
        assert all(e.detail["number"] == "A001" for e in events)
        called = events[1]
        assert (called.actor_staff_id, called.counter_id) == (staff, floor.counters["1"].id)
        assert called.detail["reason"] == "fifo"
        later = await service.events_since(session, outlet_code=OUTLET, after_id=events[1].id)
        assert [e.kind for e in later] == ["started", "finished"]

    async def test_nothing_to_call(self, session: AsyncSession, floor: Floor) -> None:
        await open_counter(session, floor, "3")
        await issue(session, "wealth")
        result = await call(session, floor, "3", 1)
        assert (result.ticket, result.choice) == (None, None)

    async def test_a_counter_calls_only_its_services_and_vips_first(
        self, session: AsyncSession, bank: Bank, floor: Floor
    ) -> None:
        await issue(session, "cash", 0)
        reference = await identification(session, bank, "C0000000001", OUTLET, expires=at(10))
        gold = await issue(session, "cash", 1, identification_ref=reference)
        await open_counter(session, floor, "4")
        result = await call(session, floor, "4", 2)
        assert result.ticket is not None and result.ticket.id == gold.id

    async def test_calling_from_a_closed_paused_busy_or_taken_counter(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        await issue(session, "cash", 0)
        await issue(session, "cash", 0.5)
        with pytest.raises(errors.CounterClosedError):
            await call(session, floor, "1", 1)
        staff = await open_counter(session, floor, "1")
        with pytest.raises(errors.CounterTakenError):
            await service.call_next(
                session,
                outlet_code=OUTLET,
                counter_code="1",
                staff_id=floor.tellers["2"],
                now=at(1),
            )
        with pytest.raises(errors.CounterTakenError):
            await service.sign_in_counter(
                session,
                outlet_code=OUTLET,
                counter_code="1",
                staff_id=floor.tellers["2"],
                now=at(1),
            )
        await service.pause_counter(
            session, outlet_code=OUTLET, counter_code="1", staff_id=staff, now=at(1)
        )
        with pytest.raises(errors.CounterPausedError):
            await call(session, floor, "1", 2)
        await service.resume_counter(
            session, outlet_code=OUTLET, counter_code="1", staff_id=staff, now=at(2)
        )
        assert (await call(session, floor, "1", 2)).ticket is not None
        with pytest.raises(errors.CounterBusyError):
            await call(session, floor, "1", 3)
        with pytest.raises(errors.CounterNotFoundError):
            await service.call_next(
                session, outlet_code=OUTLET, counter_code="99", staff_id=staff, now=at(3)
            )

    async def test_asking_for_a_service_the_counter_does_not_serve(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        await issue(session, "wealth")
        await open_counter(session, floor, "1")
        with pytest.raises(errors.ServiceNotServedError):
            await service.call_next(
                session,
                outlet_code=OUTLET,
                counter_code="1",
                staff_id=floor.tellers["1"],
                service_code="wealth",
                now=at(1),
            )
        cash = await issue(session, "cash", 1)
        await issue(session, "non_cash", 0.5)
        result = await service.call_next(
            session,
            outlet_code=OUTLET,
            counter_code="1",
            staff_id=floor.tellers["1"],
            service_code="cash",
            now=at(2),
        )
        assert result.ticket is not None and result.ticket.id == cash.id

    async def test_max_wait_is_the_reason_when_it_decides(
        self, session: AsyncSession, bank: Bank, floor: Floor
    ) -> None:
        first = await issue(session, "cash", 0)
        reference = await identification(session, bank, "C0000000001", OUTLET, expires=at(40))
        await issue(session, "cash", 31, identification_ref=reference)
        await open_counter(session, floor, "1")
        result = await call(session, floor, "1", 32)
        assert result.ticket is not None and result.ticket.id == first.id
        assert result.choice is not None and result.choice.reason == MAX_WAIT_EXCEEDED


class TestTicketLife:
    async def test_recall_up_to_the_limit_then_no_show(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        ticket = await issue(session)
        staff = await open_counter(session, floor, "1")
        await call(session, floor, "1", 1)
        for n in range(1, 4):
            recalled = await service.recall(
                session, outlet_code=OUTLET, ticket_id=ticket.id, staff_id=staff, now=at(1 + n)
            )
            assert recalled.recall_count == n
            assert recalled.lease_expires_at == at(1 + n) + timedelta(seconds=180)
        with pytest.raises(errors.RecallLimitError):
            await service.recall(
                session, outlet_code=OUTLET, ticket_id=ticket.id, staff_id=staff, now=at(5)
            )
        gone = await service.no_show(
            session, outlet_code=OUTLET, ticket_id=ticket.id, staff_id=staff, now=at(6)
        )
        assert gone.status == "no_show"
        with pytest.raises(errors.TicketNotCalledError):
            await service.start_service(
                session, outlet_code=OUTLET, ticket_id=ticket.id, staff_id=staff, now=at(7)
            )

    async def test_only_the_calling_counter_acts_on_its_ticket(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        ticket = await issue(session)
        await open_counter(session, floor, "1")
        await open_counter(session, floor, "2")
        await call(session, floor, "1", 1)
        with pytest.raises(errors.TicketAtOtherCounterError):
            await service.start_service(
                session,
                outlet_code=OUTLET,
                ticket_id=ticket.id,
                staff_id=floor.tellers["2"],
                now=at(2),
            )
        with pytest.raises(errors.TicketNotServingError):
            await service.finish_service(
                session,
                outlet_code=OUTLET,
                ticket_id=ticket.id,
                staff_id=floor.tellers["1"],
                now=at(2),
            )
        with pytest.raises(errors.TicketNotFoundError):
            await service.start_service(
                session,
                outlet_code=OUTLET,
                ticket_id=ticket.id + 1000,
                staff_id=floor.tellers["1"],
                now=at(2),
            )

    async def test_skip_sends_the_ticket_to_the_back(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        first = await issue(session, "cash", 0)
        second = await issue(session, "cash", 1)
        staff = await open_counter(session, floor, "1")
        await call(session, floor, "1", 2)
        skipped = await service.skip(
            session, outlet_code=OUTLET, ticket_id=first.id, staff_id=staff, now=at(3)
        )
        assert (skipped.status, skipped.queued_at, skipped.counter_id) == ("waiting", at(3), None)
        result = await call(session, floor, "1", 4)
        assert result.ticket is not None and result.ticket.id == second.id

    async def test_transfer_keeps_the_place_in_the_queue(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        moved = await issue(session, "non_cash", 0)
        later = await issue(session, "credit_card", 2)
        staff = await open_counter(session, floor, "1")
        await call(session, floor, "1", 3)
        await service.start_service(
            session, outlet_code=OUTLET, ticket_id=moved.id, staff_id=staff, now=at(4)
        )
        transferred = await service.transfer(
            session,
            outlet_code=OUTLET,
            ticket_id=moved.id,
            staff_id=staff,
            to_service_code="credit_card",
            now=at(10),
        )
        assert (transferred.status, transferred.queued_at, transferred.number) == (
            "waiting",
            at(0),
            "B001",
        )
        await open_counter(session, floor, "3", 10)
        result = await call(session, floor, "3", 11)
        assert result.ticket is not None and result.ticket.id == moved.id
        assert later.status == "waiting"
        # The first leg counted as handled: six minutes of non-cash.
        stat = await session.get(HandlingStat, (floor.services["non_cash"].id, -1))
        assert stat is not None and stat.mean_seconds == 360.0

    async def test_transfer_to_a_counter_or_a_named_teller(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        ticket = await issue(session, "cash", 0)
        await issue(session, "cash", 0.5)
        staff = await open_counter(session, floor, "1")
        await open_counter(session, floor, "4")
        await call(session, floor, "1", 1)
        await service.transfer(
            session,
            outlet_code=OUTLET,
            ticket_id=ticket.id,
            staff_id=staff,
            to_counter_code="4",
            now=at(2),
        )
        result = await call(session, floor, "4", 3)
        assert result.ticket is not None and result.ticket.id == ticket.id
        assert result.choice is not None and result.choice.reason == TRANSFERRED_TO_COUNTER
        with pytest.raises(errors.ServiceNotServedError):
            await service.transfer(
                session,
                outlet_code=OUTLET,
                ticket_id=ticket.id,
                staff_id=staff,
                to_counter_code="1",
                to_service_code="wealth",
                now=at(4),
            )
        with pytest.raises(errors.StaffNotAtOutletError):
            await service.transfer(
                session,
                outlet_code=OUTLET,
                ticket_id=ticket.id,
                staff_id=staff,
                to_staff_id=10_000,
                now=at(4),
            )
        with pytest.raises(errors.TransferTargetMissingError):
            await service.transfer(
                session, outlet_code=OUTLET, ticket_id=ticket.id, staff_id=staff, now=at(4)
            )

    async def test_a_finished_ticket_cannot_be_transferred_or_cancelled(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        ticket = await issue(session)
        staff = await open_counter(session, floor, "1")
        await call(session, floor, "1", 1)
        await service.start_service(
            session, outlet_code=OUTLET, ticket_id=ticket.id, staff_id=staff, now=at(2)
        )
        with pytest.raises(errors.TicketBeingServedError):
            await service.cancel(
                session, outlet_code=OUTLET, ticket_id=ticket.id, staff_id=staff, now=at(3)
            )
        await service.finish_service(
            session, outlet_code=OUTLET, ticket_id=ticket.id, staff_id=staff, now=at(4)
        )
        with pytest.raises(errors.TicketClosedError):
            await service.transfer(
                session,
                outlet_code=OUTLET,
                ticket_id=ticket.id,
                staff_id=staff,
                to_service_code="wealth",
                now=at(5),
            )
        with pytest.raises(errors.TicketClosedError):
            await service.cancel(
                session, outlet_code=OUTLET, ticket_id=ticket.id, staff_id=staff, now=at(5)
            )

    async def test_closing_a_counter_returns_its_called_ticket(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        ticket = await issue(session, "cash", 0)
        staff = await open_counter(session, floor, "1")
        await call(session, floor, "1", 1)
        closed = await service.close_counter(
            session, outlet_code=OUTLET, counter_code="1", staff_id=staff, now=at(2)
        )
        assert (closed.state, closed.staff_id) == ("closed", None)
        await session.refresh(ticket)
        assert (ticket.status, ticket.counter_id, ticket.queued_at) == ("waiting", None, at(0))
        events = await service.events_since(session, outlet_code=OUTLET, after_id=0)
        assert events[-1].kind == "requeued" and events[-1].detail["reason"] == "counter_closed"

    async def test_a_silent_counter_loses_its_ticket_when_the_lease_expires(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        ticket = await issue(session, "cash", 0)
        await issue(session, "cash", 1)
        await open_counter(session, floor, "1")
        await open_counter(session, floor, "2")
        await call(session, floor, "1", 2)
        assert await service.release_expired_leases(session, outlet_code=OUTLET, now=at(4)) == 0
        # Lazily at the next call: counter 2 gets the first ticket back, in its old place.
        result = await call(session, floor, "2", 5.1)
        assert result.ticket is not None and result.ticket.id == ticket.id
        assert result.ticket.queued_at == at(0)
        kinds = [
            e.kind for e in await service.events_since(session, outlet_code=OUTLET, after_id=0)
        ]
        assert kinds[-2:] == ["requeued", "called"]
        with pytest.raises(errors.TicketAtOtherCounterError):
            await service.start_service(
                session,
                outlet_code=OUTLET,
                ticket_id=ticket.id,
                staff_id=floor.tellers["1"],
                now=at(6),
            )


class TestAppointments:
    async def test_checked_in_appointment_is_served_at_its_slot(
        self, session: AsyncSession, bank: Bank, floor: Floor
    ) -> None:
        customer = bank.customers["C0000000001"]
        appointment = await service.create_appointment(
            session,
            outlet_code=OUTLET,
            service_code="cash",
            customer_id=customer.id,
            slot_at=at(30),
            now=at(0),
        )
        walk_in = await issue(session, "cash", 1)
        reference = await identification(session, bank, "C0000000001", OUTLET, expires=at(40))
        issued = await service.check_in_appointment(
            session,
            outlet_code=OUTLET,
            appointment_id=appointment.id,
            identification_ref=reference,
            now=at(20),
        )
        assert issued.ticket.appointment_id == appointment.id
        assert appointment.status == "checked_in"
        with pytest.raises(errors.AppointmentClosedError):
            await service.check_in_appointment(
                session, outlet_code=OUTLET, appointment_id=appointment.id, now=at(21)
            )
        await open_counter(session, floor, "1")
        result = await call(session, floor, "1", 26)
        assert result.ticket is not None and result.ticket.id == issued.ticket.id
        assert result.choice is not None and result.choice.reason == APPOINTMENT_DUE
        assert walk_in.status == "waiting"

    async def test_appointment_errors(
        self, session: AsyncSession, bank: Bank, floor: Floor
    ) -> None:
        customer = bank.customers["C0000000001"]
        with pytest.raises(errors.AppointmentSlotPastError):
            await service.create_appointment(
                session,
                outlet_code=OUTLET,
                service_code="cash",
                customer_id=customer.id,
                slot_at=at(-1),
                now=at(0),
            )
        tomorrow = await service.create_appointment(
            session,
            outlet_code=OUTLET,
            service_code="cash",
            customer_id=customer.id,
            slot_at=at(24 * 60),
            now=at(0),
        )
        with pytest.raises(errors.AppointmentNotTodayError):
            await service.check_in_appointment(
                session, outlet_code=OUTLET, appointment_id=tomorrow.id, now=at(1)
            )
        today = await service.create_appointment(
            session,
            outlet_code=OUTLET,
            service_code="cash",
            customer_id=customer.id,
            slot_at=at(60),
            now=at(0),
        )
        stranger = await identification(session, bank, "C0000000003", OUTLET, expires=at(40))
        with pytest.raises(errors.AppointmentOtherCustomerError):
            await service.check_in_appointment(
                session,
                outlet_code=OUTLET,
                appointment_id=today.id,
                identification_ref=stranger,
                now=at(1),
            )
        with pytest.raises(errors.AppointmentNotFoundError):
            await service.check_in_appointment(
                session, outlet_code=OUTLET, appointment_id=99_999, now=at(1)
            )
        late = await service.check_in_appointment(
            session, outlet_code=OUTLET, appointment_id=today.id, now=at(80)
        )
        assert today.status == "checked_in_late"
        assert late.ticket.appointment_id == today.id


class TestLearnedHandling:
    async def test_finished_tickets_teach_the_estimate(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        staff = await open_counter(session, floor, "1")
        for i in range(3):
            ticket = await issue(session, "cash", i * 10)
            await call(session, floor, "1", i * 10 + 1)
            await service.start_service(
                session, outlet_code=OUTLET, ticket_id=ticket.id, staff_id=staff, now=at(i * 10 + 2)
            )
            await service.finish_service(
                session,
                outlet_code=OUTLET,
                ticket_id=ticket.id,
                staff_id=staff,
                now=at(i * 10 + 12),
            )
        times = await load_handling_times(session, floor.outlet.id, floor.outlet.tz)
        assert times.stats[("cash", -1)] == (600.0, 3)
        assert times.stats[("cash", 10)] == (600.0, 3)  # 10:00 Beijing time
        # Three tickets of 10 minutes against a prior of 4 minutes weighted as five: 6.25.
        assert times.for_service("cash", at(0)) > timedelta(minutes=5)
        assert times.service_mean("wealth") == timedelta(minutes=15)

    async def test_the_policy_comes_from_the_outlet(
        self, session: AsyncSession, bank: Bank
    ) -> None:
        floor = await build_floor(
            session, bank, policy=PolicyConfig(recall_limit=1, lease_seconds=60)
        )
        config = await service.load_policy(session, floor.outlet.id)
        assert (config.recall_limit, config.lease_seconds) == (1, 60)
        assert config.weight("private") == 20.0


class TestSnapshot:
    async def test_waiting_lines_counters_and_calls(
        self, session: AsyncSession, floor: Floor
    ) -> None:
        await issue(session, "cash", 0)
        await issue(session, "cash", 1)
        await issue(session, "wealth", 2)
        await open_counter(session, floor, "1")
        await call(session, floor, "1", 3)
        snapshot = await service.queue_snapshot(session, outlet_code=OUTLET, now=at(4))
        by_code = {q.code: q for q in snapshot.services}
        assert [t.number for t in by_code["cash"].waiting] == ["A002"]
        assert by_code["wealth"].waiting_count == 1
        assert [c.number for c in snapshot.called] == ["A001"]
        counters = {c.code: c for c in snapshot.counters}
        assert counters["1"].state == "open" and counters["1"].ticket is not None
        assert counters["4"].is_vip and counters["4"].service_codes[0] == "wealth"
        assert [c.code for c in snapshot.open_counters] == ["1"]
