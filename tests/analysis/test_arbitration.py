"""Control draws, contact policy and arbitration."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest

from smartbranch.analysis.arbitration import arbitrate, control_draw, control_mask, held_back
from smartbranch.marketing.models import LeadRule

AS_OF = date(2026, 3, 31)


def numbers(n: int) -> pa.Array:
    return pa.array([f"62{i:08d}" for i in range(n)])


class TestControlDraw:
    def test_the_draw_is_the_documented_hash(self) -> None:
        """Recomputed from the definition alone, so any engine can reproduce it."""
        digest = hashlib.sha256(b"SPRING26:6200000042").hexdigest()
        expected = int(digest[:13], 16) / 16**13
        assert control_draw(pa.array(["6200000042"]), "SPRING26")[0] == expected

    def test_same_customer_same_draw_whatever_the_row_order_or_repetition(self) -> None:
        customers = numbers(1000)
        draws = control_draw(customers, "C1")
        order = np.random.default_rng(0).permutation(1000)
        shuffled = control_draw(customers.take(pa.array(order)), "C1")
        assert np.array_equal(shuffled, draws[order])
        chunked = pa.chunked_array([customers.slice(0, 10), customers.slice(0, 10)])
        assert np.array_equal(control_draw(chunked, "C1"), np.tile(draws[:10], 2))
        assert np.array_equal(control_draw(customers.dictionary_encode(), "C1"), draws)

    def test_draws_are_roughly_uniform(self) -> None:
        draws = control_draw(numbers(100_000), "C1")
        assert draws.min() >= 0.0
        assert draws.max() < 1.0
        # each decile holds 10 % ± 0.5 pt (about 5 standard deviations)
        deciles = np.bincount((draws * 10).astype(int), minlength=10) / len(draws)
        assert np.all(np.abs(deciles - 0.1) < 0.005)
        assert (draws < 0.05).mean() == pytest.approx(0.05, abs=0.003)

    def test_campaigns_draw_independently(self) -> None:
        customers = numbers(100_000)
        first, second = control_draw(customers, "C1"), control_draw(customers, "C2")
        assert abs(np.corrcoef(first, second)[0, 1]) < 0.02
        both = ((first < 0.1) & (second < 0.1)).mean()
        assert both == pytest.approx(0.01, abs=0.002)

    def test_null_customer_numbers_are_refused(self) -> None:
        with pytest.raises(ValueError, match="null"):
            control_draw(pa.array(["1", None]), "C1")


class TestControlMask:
    def test_rows_use_their_own_campaign_and_share_and_shares_nest(self) -> None:
        customers = numbers(20_000)
        doubled = pa.concat_arrays([customers, customers])
        campaigns = pa.array(["C1"] * 20_000 + ["C2"] * 20_000)
        shares = np.r_[np.full(20_000, 0.1), np.full(20_000, 0.2)]
        mask = control_mask(doubled, campaigns, shares)
        assert np.array_equal(mask[:20_000], control_draw(customers, "C1") < 0.1)
        assert np.array_equal(mask[20_000:], control_draw(customers, "C2") < 0.2)
        wider = control_mask(customers, pa.array(["C1"] * 20_000), np.full(20_000, 0.2))
        assert np.all(wider[mask[:20_000]])  # in control at 10 % ⇒ in control at 20 %
        assert mask[:20_000].mean() == pytest.approx(0.1, abs=0.01)


@dataclass(frozen=True)
class Policy:
    code: str
    cooldown_days: int = 30
    max_presentations: int = 3


def outcomes(*rows: tuple[str, str, str, date | datetime]) -> pa.Table:
    customer, rule, kind, recorded = zip(*rows, strict=True) if rows else ((), (), (), ())
    return pa.table(
        {
            "customer_number": pa.array(customer, pa.string()),
            "rule_code": pa.array(rule, pa.string()),
            "kind": pa.array(kind, pa.string()),
            "recorded_on": pa.array(recorded, pa.date32()),
        }
    )


def candidates(*pairs: tuple[str, str]) -> pa.Table:
    return pa.table({"customer_number": [p[0] for p in pairs], "rule_code": [p[1] for p in pairs]})


def days_ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


class TestHeldBack:
    def test_cooldown_holds_a_decline_for_cooldown_days_then_lets_go(self) -> None:
        rules = [Policy("A", cooldown_days=30)]
        asked = candidates(("c0", "A"), ("c29", "A"), ("c30", "A"), ("c31", "A"), ("new", "A"))
        history = outcomes(
            ("c0", "A", "declined", days_ago(0)),
            ("c29", "A", "declined", days_ago(29)),
            ("c30", "A", "declined", days_ago(30)),
            ("c31", "A", "declined", days_ago(31)),
        )
        assert held_back(asked, history, rules, AS_OF).tolist() == [True, True, False, False, False]

    def test_the_latest_decline_counts_and_later_outcomes_are_ignored(self) -> None:
        history = outcomes(
            ("c", "A", "declined", days_ago(90)),
            ("c", "A", "declined", days_ago(5)),
            ("d", "A", "declined", AS_OF + timedelta(days=1)),  # after as-of: a re-run
        )
        mask = held_back(candidates(("c", "A"), ("d", "A")), history, [Policy("A")], AS_OF)
        assert mask.tolist() == [True, False]

    def test_a_zero_cooldown_never_holds_a_decline_back(self) -> None:
        history = outcomes(("c", "A", "declined", AS_OF))
        assert held_back(candidates(("c", "A")), history, [Policy("A", 0)], AS_OF).tolist() == [
            False
        ]

    def test_declines_and_deferrals_other_than_for_this_rule_and_customer_do_not_count(
        self,
    ) -> None:
        history = outcomes(
            ("c", "B", "declined", days_ago(1)),
            ("d", "A", "declined", days_ago(1)),
            ("c", "A", "deferred", days_ago(1)),
        )
        rules = [Policy("A"), Policy("B")]
        assert held_back(candidates(("c", "A")), history, rules, AS_OF).tolist() == [False]

    def test_max_presentations_counts_accepted_declined_and_deferred(self) -> None:
        rules = [Policy("A", cooldown_days=0, max_presentations=3)]
        history = outcomes(
            ("two", "A", "deferred", days_ago(60)),
            ("two", "A", "declined", days_ago(50)),
            ("two", "A", "not_presented", days_ago(40)),
            ("two", "A", "already_has", days_ago(40)),
            ("three", "A", "deferred", days_ago(60)),
            ("three", "A", "declined", days_ago(50)),
            ("three", "A", "accepted", days_ago(40)),
        )
        mask = held_back(candidates(("two", "A"), ("three", "A")), history, rules, AS_OF)
        assert mask.tolist() == [False, True]

    def test_lead_rules_are_policies_and_timestamps_are_taken_at_their_utc_date(self) -> None:
        rule = LeadRule(code="A", cooldown_days=7, max_presentations=5)
        history = pa.table(
            {
                "customer_number": ["held", "free"],
                "rule_code": ["A", "A"],
                "kind": ["declined", "declined"],
                "recorded_on": pa.array(
                    [
                        datetime.combine(days_ago(6), datetime.min.time(), UTC)
                        + timedelta(hours=23, minutes=59),
                        datetime.combine(days_ago(7), datetime.min.time(), UTC),
                    ],
                    pa.timestamp("us", "UTC"),
                ),
            }
        )
        mask = held_back(candidates(("held", "A"), ("free", "A")), history, [rule], AS_OF)
        assert mask.tolist() == [True, False]

    def test_the_answer_follows_the_candidates_row_order(self) -> None:
        rng = np.random.default_rng(1)
        pairs = [(f"c{i}", "AB"[i % 2]) for i in range(500)]
        history = outcomes(
            *[(c, r, "declined", days_ago(int(rng.integers(0, 60)))) for c, r in pairs[::3]]
        )
        rules = [Policy("A"), Policy("B")]
        expected = held_back(candidates(*pairs), history, rules, AS_OF)
        order = rng.permutation(500)
        shuffled = held_back(candidates(*[pairs[i] for i in order]), history, rules, AS_OF)
        assert np.array_equal(shuffled, expected[order])
        assert 0 < expected.sum() < 500

    def test_an_empty_history_holds_nothing_and_an_unknown_rule_is_an_error(self) -> None:
        asked = candidates(("c", "A"))
        assert held_back(asked, outcomes(), [Policy("A")], AS_OF).tolist() == [False]
        with pytest.raises(ValueError, match="Z"):
            held_back(candidates(("c", "Z")), outcomes(), [Policy("A")], AS_OF)


def scored(rows: list[tuple[str, str, float, float, float]]) -> pa.Table:
    customer, rule, propensity, value, weight = zip(*rows, strict=True)
    return pa.table(
        {
            "customer_number": customer,
            "rule_code": rule,
            "propensity": propensity,
            "value": value,
            "weight": weight,
        }
    )


class TestArbitrate:
    def test_keeps_the_n_best_per_customer_ranked_by_propensity_value_weight(self) -> None:
        table = scored(
            [
                ("c1", "A", 0.10, 100.0, 1.0),  # 10
                ("c1", "B", 0.50, 100.0, 1.0),  # 50
                ("c1", "C", 0.20, 100.0, 2.0),  # 40
                ("c1", "D", 0.90, 10.0, 1.0),  # 9
                ("c2", "A", 0.30, 100.0, 1.0),  # 30
            ]
        )
        result = arbitrate(table, max_per_customer=2)
        rows = list(
            zip(
                result.column("customer_number").to_pylist(),
                result.column("rule_code").to_pylist(),
                result.column("rank").to_pylist(),
                result.column("priority").to_pylist(),
                strict=True,
            )
        )
        assert rows == [
            ("c1", "B", 1, pytest.approx(50.0)),
            ("c1", "C", 2, pytest.approx(40.0)),
            ("c2", "A", 1, pytest.approx(30.0)),
        ]

    def test_ties_go_to_the_smaller_rule_code_whatever_the_row_order(self) -> None:
        rows = [("c1", code, 0.5, 100.0, 1.0) for code in ("D", "B", "C", "A")]
        for order in ([0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1]):
            result = arbitrate(scored([rows[i] for i in order]), max_per_customer=2)
            assert result.column("rule_code").to_pylist() == ["A", "B"]
            assert result.column("rank").to_pylist() == [1, 2]

    def test_other_columns_come_along_and_decimal_values_work(self) -> None:
        table = pa.table(
            {
                "customer_number": ["c1", "c1"],
                "rule_code": ["A", "B"],
                "propensity": [0.2, 0.1],
                "value": pa.array([Decimal("100.00"), Decimal("500.00")], pa.decimal128(18, 2)),
                "weight": [1.0, 1.0],
                "script_zh": ["甲", "乙"],
            }
        )
        result = arbitrate(table, max_per_customer=1)
        assert result.column("script_zh").to_pylist() == ["乙"]
        assert result.column("priority").to_pylist() == [pytest.approx(50.0)]

    def test_large_random_candidates_keep_exactly_the_top_n(self) -> None:
        rng = np.random.default_rng(3)
        n = 50_000
        customer = rng.integers(0, 8_000, n)
        table = pa.table(
            {
                "customer_number": pa.array([f"c{c}" for c in customer]),
                "rule_code": pa.array([f"R{i}" for i in range(n)]),
                "propensity": rng.random(n),
                "value": rng.random(n) * 1000,
                "weight": np.ones(n),
            }
        )
        result = arbitrate(table, max_per_customer=3)
        priority = table.column("propensity").to_numpy() * table.column("value").to_numpy()
        expected = {
            f"c{c}": sorted(priority[customer == c], reverse=True)[:3] for c in np.unique(customer)
        }
        got: dict[str, list[float]] = {}
        for c, p, r in zip(
            result.column("customer_number").to_pylist(),
            result.column("priority").to_pylist(),
            result.column("rank").to_pylist(),
            strict=True,
        ):
            got.setdefault(c, []).append(p)
            assert r == len(got[c])
        assert got.keys() == expected.keys()
        assert all(np.allclose(got[c], expected[c]) for c in expected)

    def test_bad_input_is_refused(self) -> None:
        table = scored([("c1", "A", 0.1, 1.0, 1.0)])
        with pytest.raises(ValueError, match="at least 1"):
            arbitrate(table, max_per_customer=0)
        with pytest.raises(ValueError, match="NaN"):
            arbitrate(scored([("c1", "A", float("nan"), 1.0, 1.0)]), max_per_customer=1)

    def test_no_candidates_no_leads(self) -> None:
        empty = scored([("c1", "A", 0.1, 1.0, 1.0)]).slice(0, 0)
        result = arbitrate(empty, max_per_customer=3)
        assert result.num_rows == 0
        assert {"priority", "rank"} <= set(result.column_names)
