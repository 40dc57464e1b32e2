"""Queue KPIs: the figures over plain ticket facts, and the stats API over real tickets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.queueing import service as queue
from smartbranch.queueing.kpis import TicketFact, counter_utilisation, percentile, summarise
from tests.fixtures.bank import PASSWORD, Bank
from tests.fixtures.queue import build_floor

DAY = date(2026, 3, 2)
OPEN = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Beijing


def fact(
    *,
    wait: float | None,
    service: float | None = 5.0,
    status: str = "done",
    issued: float = 0.0,
    counter: int | None = 1,
    tier: str = "standard",
    service_code: str = "cash",
    outlet: int = 1,
    target: float = 15.0,
) -> TicketFact:
    """A ticket issued ``issued`` minutes after opening, called ``wait`` minutes later and
    served for ``service`` minutes."""
    issued_at = OPEN + timedelta(minutes=issued)
    called_at = issued_at + timedelta(minutes=wait) if wait is not None else None
    started_at = called_at + timedelta(minutes=1) if called_at and status == "done" else None
    finished_at = None
    if status == "done" and started_at is not None and service is not None:
        finished_at = started_at + timedelta(minutes=service)
    elif status == "no_show" and called_at is not None:
        finished_at = called_at + timedelta(minutes=2)
    return TicketFact(
        outlet_id=outlet,
        business_day=DAY,
        service_code=service_code,
        tier=tier,
        status=status,
        issued_at=issued_at,
        called_at=called_at,
        started_at=started_at,
        finished_at=finished_at,
        counter_id=counter if called_at else None,
        target_minutes=target,
    )


class TestPercentile:
    def test_linear_interpolation_between_closest_ranks(self) -> None:
        # PostgreSQL: percentile_cont(0.9) of 1..10 is 9.1.
        assert percentile([float(v) for v in range(1, 11)], 90) == pytest.approx(9.1)
        assert percentile([3.0, 1.0, 2.0], 50) == 2.0
        assert percentile([7.0], 90) == 7.0
        assert percentile([1.0, 2.0], 0) == 1.0
        assert percentile([1.0, 2.0], 100) == 2.0

    @given(
        st.lists(st.floats(min_value=0, max_value=1e4, allow_nan=False), min_size=1),
        st.floats(min_value=0, max_value=100),
    )
    def test_agrees_with_numpy(self, values: list[float], q: float) -> None:
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)), abs=1e-6)

    def test_refuses_nothing_and_out_of_range(self) -> None:
        with pytest.raises(ValueError):
            percentile([], 90)
        with pytest.raises(ValueError):
            percentile([1.0], 101)


class TestSummarise:
    def test_figures_of_a_small_day(self) -> None:
        facts = [
            fact(wait=2.0, service=4.0),
            fact(wait=10.0, service=6.0, issued=5),
            fact(wait=20.0, service=8.0, issued=10, tier="gold"),
            fact(wait=30.0, status="no_show", issued=12),
            fact(wait=None, status="waiting", issued=40),
        ]
        kpis = summarise(facts, with_utilisation=False)
        assert kpis.visits == 5
        assert kpis.served == 3
        assert kpis.no_shows == 1
        assert kpis.mean_wait_minutes == pytest.approx(15.5)
        assert kpis.p90_wait_minutes == pytest.approx(percentile([2, 10, 20, 30], 90))
        assert kpis.max_wait_minutes == pytest.approx(30.0)
        assert kpis.mean_service_minutes == pytest.approx(6.0)
        assert kpis.no_show_share == pytest.approx(0.25)
        # Called within 15 minutes: 2 of the 4 called (the waiting ticket is not judged).
        assert kpis.share_within_target == pytest.approx(0.5)
        assert kpis.counter_utilisation is None

    def test_each_outlet_keeps_its_own_target(self) -> None:
        facts = [fact(wait=12.0, target=10.0), fact(wait=12.0, outlet=2, target=15.0)]
        assert summarise(facts).share_within_target == pytest.approx(0.5)

    def test_a_customer_who_gave_up_after_the_target_missed_it(self) -> None:
        left_late = TicketFact(
            outlet_id=1,
            business_day=DAY,
            service_code="cash",
            tier="standard",
            status="cancelled",
            issued_at=OPEN,
            called_at=None,
            started_at=None,
            finished_at=OPEN + timedelta(minutes=40),
            counter_id=None,
        )
        left_early = TicketFact(
            outlet_id=1,
            business_day=DAY,
            service_code="cash",
            tier="standard",
            status="cancelled",
            issued_at=OPEN,
            called_at=None,
            started_at=None,
            finished_at=OPEN + timedelta(minutes=3),
            counter_id=None,
        )
        kpis = summarise([fact(wait=5.0), left_late, left_early])
        assert kpis.cancelled == 2
        assert kpis.share_within_target == pytest.approx(0.5)
        assert kpis.mean_wait_minutes == pytest.approx(5.0)

    def test_nothing_gives_empty_figures(self) -> None:
        kpis = summarise([])
        assert kpis.visits == 0
        assert kpis.mean_wait_minutes is None
        assert kpis.p90_wait_minutes is None
        assert kpis.share_within_target is None
        assert kpis.counter_utilisation is None


class TestUtilisation:
    def test_busy_over_span_from_first_call_to_last_finish(self) -> None:
        # Counter 1: called at 0 and 20 (waits 0), each occupies 1 + 9 = 10 minutes:
        # busy 20 of the 30 minutes from its first call to its last finish.
        facts = [fact(wait=0.0, service=9.0), fact(wait=0.0, service=9.0, issued=20)]
        assert counter_utilisation(facts) == pytest.approx(20 / 30)

    def test_known_staffed_minutes_take_precedence(self) -> None:
        facts = [fact(wait=0.0, service=9.0), fact(wait=0.0, service=9.0, issued=20)]
        assert counter_utilisation(facts, {(1, DAY, 1): 80.0}) == pytest.approx(20 / 80)

    def test_no_counter_work_has_no_utilisation(self) -> None:
        assert counter_utilisation([fact(wait=None, status="waiting")]) is None


# --- the stats API over real tickets ---------------------------------------------------------

STATS = "/api/v1/orgs/{org}/queue-stats"


async def _served_day(session: AsyncSession, bank: Bank) -> None:
    """At BJ001 on DAY: a cash ticket called after 5 minutes and served for 10, a gold wealth
    ticket called after 20 minutes and served for 5, and a no-show after 30 minutes; at
    SH001 one cash ticket called at once."""
    floor = await build_floor(session, bank)
    teller = floor.tellers["4"]  # the VIP counter serves every service here
    await queue.sign_in_counter(
        session, outlet_code="BJ001", counter_code="4", staff_id=teller, now=OPEN
    )

    async def visit(
        service: str, issued: float, wait: float, served: float | None, **kw: int
    ) -> None:
        issue_at = OPEN + timedelta(minutes=issued)
        ticket = (
            await queue.issue_ticket(
                session, outlet_code="BJ001", service_code=service, now=issue_at, **kw
            )
        ).ticket
        call_at = issue_at + timedelta(minutes=wait)
        result = await queue.call_next(
            session, outlet_code="BJ001", counter_code="4", staff_id=teller, now=call_at
        )
        assert result.ticket is not None and result.ticket.id == ticket.id
        common = {"outlet_code": "BJ001", "ticket_id": ticket.id, "staff_id": teller}
        if served is None:
            await queue.no_show(session, **common, now=call_at + timedelta(minutes=3))
            return
        await queue.start_service(session, **common, now=call_at)
        await queue.finish_service(session, **common, now=call_at + timedelta(minutes=served))

    await visit("cash", 0, 5, 10)
    await visit("wealth", 0, 20, 5, customer_id=bank.customers["C0000000001"].id)
    await visit("cash", 0, 30, None)
    sh_teller = (await build_floor(session, bank, outlet="SH001")).tellers["1"]
    await queue.sign_in_counter(
        session, outlet_code="SH001", counter_code="1", staff_id=sh_teller, now=OPEN
    )
    await queue.issue_ticket(session, outlet_code="SH001", service_code="cash", now=OPEN)
    await queue.call_next(
        session, outlet_code="SH001", counter_code="1", staff_id=sh_teller, now=OPEN
    )


async def _as_staff(client: httpx.AsyncClient, bank: Bank, username: str) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": PASSWORD},
        headers={"X-Device-Token": bank.tokens["tablet_bj001"]},
    )
    assert response.status_code == 200, response.text
    client.headers["X-Device-Token"] = bank.tokens["tablet_bj001"]
    client.headers["Authorization"] = f"Bearer {response.json()['session_token']}"


def _unit(body: dict[str, Any], code: str) -> dict[str, Any]:
    [unit] = [u for u in body["units"] if u["code"] == code]
    return unit


class TestQueueStatsApi:
    async def test_outlet_figures_rolled_up_to_branch_and_head_office(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await _served_day(session, bank)
        await _as_staff(client, bank, "ho.admin")
        response = await client.get(
            STATS.format(org="HO"), params={"from": DAY.isoformat(), "to": DAY.isoformat()}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["org"], body["from"], body["to"]) == ("HO", "2026-03-02", "2026-03-02")
        assert [u["code"] for u in body["units"]][:2] == ["HO", "BJ"]
        outlet = _unit(body, "BJ001")["totals"]
        assert outlet["visits"] == 3
        assert outlet["served"] == 2
        assert outlet["no_shows"] == 1
        assert outlet["mean_wait_minutes"] == pytest.approx((5 + 20 + 30) / 3, abs=0.01)
        assert outlet["p90_wait_minutes"] == pytest.approx(percentile([5, 20, 30], 90), abs=0.01)
        assert outlet["mean_service_minutes"] == pytest.approx(7.5)
        assert outlet["no_show_share"] == pytest.approx(1 / 3, abs=1e-4)
        assert outlet["share_within_target"] == pytest.approx(1 / 3, abs=1e-4)
        assert 0 < outlet["counter_utilisation"] <= 1
        by_tier = {t["tier"]: t for t in _unit(body, "BJ001")["by_tier"]}
        assert by_tier["gold"]["visits"] == 1
        assert by_tier["gold"]["mean_wait_minutes"] == pytest.approx(20.0)
        assert by_tier["gold"]["counter_utilisation"] is None
        by_service = {s["service"]: s for s in _unit(body, "BJ001")["by_service"]}
        assert by_service["cash"]["visits"] == 2
        # The branch is its outlets, the head office everything (4 tickets, waits 5..30, 0).
        assert _unit(body, "BJ")["totals"]["visits"] == 3
        head = _unit(body, "HO")["totals"]
        assert head["visits"] == 4
        assert head["p90_wait_minutes"] == pytest.approx(percentile([0, 5, 20, 30], 90), abs=0.01)
        assert head["share_within_target"] == pytest.approx(2 / 4)
        rows = {(r["outlet"], r["service"], r["tier"]) for r in body["rows"]}
        assert ("BJ001", "wealth", "gold") in rows
        assert ("SH001", "cash", "standard") in rows

    async def test_staff_see_only_their_part_of_the_bank(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await _as_staff(client, bank, "bj001.lobby1")
        response = await client.get(STATS.format(org="BJ"))
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "org_out_of_scope"

    async def test_own_outlet_by_default_over_the_last_week(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await _as_staff(client, bank, "bj001.lobby1")
        response = await client.get(STATS.format(org="BJ001"))
        assert response.status_code == 200
        body = response.json()
        assert (date.fromisoformat(body["to"]) - date.fromisoformat(body["from"])).days == 6
        assert [u["code"] for u in body["units"]] == ["BJ001"]
        assert body["units"][0]["totals"]["visits"] == 0

    @pytest.mark.parametrize(
        ("params", "status", "code"),
        [
            ({"from": "2026-03-05", "to": "2026-03-01"}, 400, "stats_range_invalid"),
            ({"from": "2024-01-01", "to": "2026-03-01"}, 400, "stats_range_invalid"),
            ({"from": "yesterday"}, 422, "validation_error"),
        ],
    )
    async def test_bad_periods(
        self,
        client: httpx.AsyncClient,
        bank: Bank,
        params: dict[str, str],
        status: int,
        code: str,
    ) -> None:
        await _as_staff(client, bank, "ho.admin")
        response = await client.get(STATS.format(org="HO"), params=params)
        assert response.status_code == status
        assert response.json()["error"]["code"] == code

    # One refused request per test: a failed request rolls the test's unit of work back.
    async def test_a_device_alone_may_not(self, client: httpx.AsyncClient, bank: Bank) -> None:
        client.headers["X-Device-Token"] = bank.tokens["kiosk_bj001"]
        assert (await client.get(STATS.format(org="HO"))).status_code == 401

    async def test_unknown_org(self, client: httpx.AsyncClient, bank: Bank) -> None:
        await _as_staff(client, bank, "ho.admin")
        response = await client.get(STATS.format(org="NOPE"))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "org_not_found"
