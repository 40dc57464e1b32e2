"""Real-time feedback: a sale completed on the spot converts its lead at once, the nightly
run reads the outcome like any other, and its batch conversion detection never counts the
lead a second time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pytest
from sqlalchemy import MetaData, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.analysis.inputs import outcomes_after, presented_leads
from smartbranch.analysis.publish import CONVERSION_COLUMNS, _apply_conversions
from smartbranch.marketing.errors import InvalidOutcomeError, NotSoldOnTheSpotError
from smartbranch.marketing.models import Lead, LeadRule, Outcome
from smartbranch.marketing.service import record_outcome
from tests.fixtures.bank import Bank
from tests.fixtures.briefs import sell_on_the_spot
from tests.fixtures.marketing import add_lead, add_run, default_rules

AS_OF = date(2026, 3, 2)
# 17:30 UTC on 3 March is 01:30 on the 4th in Beijing: the bank date is the 4th.
LATE_EVENING = datetime(2026, 3, 3, 17, 30, tzinfo=UTC)


@pytest.fixture
async def rules(session: AsyncSession, bank: Bank) -> dict[str, LeadRule]:
    return await default_rules(session)


@pytest.fixture
async def leads(session: AsyncSession, bank: Bank, rules: dict[str, LeadRule]) -> tuple[Lead, Lead]:
    """Two open leads of the same rule for two customers (a time deposit on the counter)."""
    run = await add_run(session, AS_OF)
    rule = rules["REPEAT_MATURING_DEPOSIT"]
    first = await add_lead(
        session, run=run, rule=rule, customer_id=bank.customers["C0000000001"].id
    )
    second = await add_lead(
        session, run=run, rule=rule, customer_id=bank.customers["C0000000003"].id
    )
    return first, second


async def accept(
    session: AsyncSession, bank: Bank, lead: Lead, *, completed: bool, kind: str = "accepted"
) -> Outcome:
    return await record_outcome(
        session,
        lead_id=lead.id,
        kind=kind,
        staff_id=bank.staff["bj001.teller1"].id,
        outlet_id=bank.orgs["BJ001"].id,
        channel="counter",
        completed=completed,
        now=LATE_EVENING,
    )


class TestCompletedOutcome:
    async def test_converts_the_lead_on_the_bank_date(
        self, session: AsyncSession, bank: Bank, leads: tuple[Lead, Lead]
    ) -> None:
        lead = leads[0]
        await sell_on_the_spot(session, lead.product_code)
        outcome = await accept(session, bank, lead, completed=True)
        await session.refresh(lead)
        assert (lead.status, lead.converted_on, lead.status_at) == (
            "converted",
            date(2026, 3, 4),
            LATE_EVENING,
        )
        assert lead.converted_holding_id is None
        assert outcome.kind == "accepted"
        assert outcome.detail["completed"] is True

    async def test_refused_unless_the_product_is_sold_on_the_spot(
        self, session: AsyncSession, bank: Bank, leads: tuple[Lead, Lead]
    ) -> None:
        lead = leads[0]
        with pytest.raises(NotSoldOnTheSpotError):
            await accept(session, bank, lead, completed=True)
        await session.refresh(lead)
        assert (lead.status, lead.presentations) == ("open", 0)
        assert await session.scalar(select(func.count()).select_from(Outcome)) == 0

    async def test_only_for_an_acceptance(
        self, session: AsyncSession, bank: Bank, leads: tuple[Lead, Lead]
    ) -> None:
        await sell_on_the_spot(session, leads[0].product_code)
        with pytest.raises(InvalidOutcomeError):
            await accept(session, bank, leads[0], completed=True, kind="declined")

    async def test_a_converted_lead_takes_no_more_outcomes(
        self, session: AsyncSession, bank: Bank, leads: tuple[Lead, Lead]
    ) -> None:
        from smartbranch.marketing.errors import LeadClosedError

        await sell_on_the_spot(session, leads[0].product_code)
        await accept(session, bank, leads[0], completed=True)
        with pytest.raises(LeadClosedError):
            await accept(session, bank, leads[0], completed=False)


class TestNightlyRun:
    async def test_the_outcome_feeds_the_next_run(
        self, session: AsyncSession, bank: Bank, leads: tuple[Lead, Lead]
    ) -> None:
        await sell_on_the_spot(session, leads[0].product_code)
        outcome = await accept(session, bank, leads[0], completed=True)
        conn = await session.connection()
        read = (await outcomes_after(conn, 0)).to_pylist()
        assert [(r["outcome_id"], r["lead_id"], r["kind"]) for r in read] == [
            (outcome.id, leads[0].id, "accepted")
        ]
        assert read[0]["customer_number"] == "C0000000001"
        assert read[0]["rule_code"] == "REPEAT_MATURING_DEPOSIT"
        assert read[0]["recorded_on"] == date(2026, 3, 4)

    async def test_batch_detection_never_counts_it_again(
        self, session: AsyncSession, bank: Bank, leads: tuple[Lead, Lead]
    ) -> None:
        converted, accepted = leads
        await sell_on_the_spot(session, converted.product_code)
        await accept(session, bank, converted, completed=True)
        await accept(session, bank, accepted, completed=False)
        conn = await session.connection()
        # The run looks for purchases only among leads not yet converted …
        presented = await presented_leads(conn, date(2026, 3, 10))
        assert presented["lead_id"].to_pylist() == [accepted.id]
        # … and publishing a conversion for an already converted lead changes nothing.
        table = pa.table(
            {
                "lead_id": pa.array([converted.id, accepted.id], pa.int64()),
                "converted_on": pa.array([date(2026, 3, 9)] * 2, pa.date32()),
                "holding_id": pa.array([501, 502], pa.int64()),
            }
        ).select(list(CONVERSION_COLUMNS))
        count = await _apply_conversions(conn, MetaData(), table, LATE_EVENING)
        assert count == 1
        await session.refresh(converted)
        await session.refresh(accepted)
        assert (converted.converted_on, converted.converted_holding_id) == (date(2026, 3, 4), None)
        assert (accepted.status, accepted.converted_on, accepted.converted_holding_id) == (
            "converted",
            date(2026, 3, 9),
            502,
        )
