"""Queue KPIs: the figures over plain ticket facts, and the stats API over real tickets."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartbranch.queueing.kpis import TicketFact, counter_utilisation, percentile, summarise

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
