"""Propensity models: labels from outcomes, cold start below the threshold, a learned model
above it that ranks a planted signal, determinism, and the catalog's column types."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pytest
from sklearn.metrics import roc_auc_score

from smartbranch.analysis.scoring import (
    MIN_POSITIVES,
    MIN_PRESENTED,
    PRIOR_STRENGTH,
    FeatureEncoder,
    outcome_labels,
    shrunk_rate,
    train_propensity,
)

TIERS = np.array(["standard", "gold", "platinum", "diamond"])


def customers(n: int, seed: int) -> dict[str, np.ndarray]:
    """Catalog-like features; the hidden propensity rises with payroll and platinum tier and
    falls with age — the planted signal."""
    rng = np.random.default_rng(seed)
    return {
        "age": rng.integers(20, 80, n),
        "aum": rng.lognormal(11, 1.2, n).round(2),
        "is_payroll": rng.random(n) < 0.3,
        "tier": TIERS[rng.integers(0, 4, n)],
        "digital_txn_3m": rng.poisson(20, n),
    }


def true_propensity(columns: dict[str, np.ndarray]) -> np.ndarray:
    logit = (
        -2.2
        + 1.6 * columns["is_payroll"]
        + 1.2 * (columns["tier"] == "platinum")
        - 0.04 * (columns["age"] - 50)
    )
    return 1 / (1 + np.exp(-logit))


def history(rule: str, n: int, seed: int) -> pa.Table:
    columns = customers(n, seed)
    rng = np.random.default_rng(seed + 1)
    labels = (rng.random(n) < true_propensity(columns)).astype(np.int8)
    return pa.table({**columns, "rule_code": [rule] * n, "label": labels})


def fixed(rule: str, n: int, positives: int) -> pa.Table:
    """``n`` presentations of ``rule`` with exactly ``positives`` positives."""
    columns = customers(n, 99)
    labels = np.zeros(n, dtype=np.int8)
    labels[:positives] = 1
    return pa.table({**columns, "rule_code": [rule] * n, "label": labels})


class TestOutcomeLabels:
    def test_accepted_and_converted_count_as_success_declines_and_expiries_as_failure(
        self,
    ) -> None:
        settled = ["accepted", "converted", "declined", "deferred", "expired"]
        kinds = pa.array([*settled, "not_presented", "already_has", "open", "presented"])
        assert outcome_labels(kinds).to_pylist() == [1, 1, 0, 0, 0, None, None, None, None]

    def test_an_unknown_kind_is_named(self) -> None:
        with pytest.raises(ValueError, match="maybe"):
            outcome_labels(pa.array(["accepted", "maybe"]))


class TestColdStart:
    def test_a_rule_without_history_gets_its_prior(self) -> None:
        models = train_propensity(history("A", 500, 1), priors={"A": 0.1, "NEW": 0.07})
        features = pa.table(customers(10, 5))
        assert models.method("NEW") == "prior"
        assert models.predict("NEW", features).tolist() == [0.07] * 10

    def test_below_the_threshold_the_rate_is_shrunk_towards_the_prior(self) -> None:
        models = train_propensity(fixed("A", 150, 30), priors={"A": 0.05})
        summary = models.describe()[0]
        assert (summary.method, summary.n, summary.positives) == ("prior", 150, 30)
        # (30 + 50 × 0.05) / (150 + 50), by hand
        assert summary.propensity == pytest.approx(32.5 / 200)
        assert PRIOR_STRENGTH == 50
        assert summary.holdout_auc is None
        assert (
            models.predict("A", pa.table(customers(3, 5))).tolist() == [pytest.approx(0.1625)] * 3
        )

    @pytest.mark.parametrize(
        ("n", "positives", "method"),
        [
            (MIN_PRESENTED - 1, 60, "prior"),
            (MIN_PRESENTED, MIN_POSITIVES - 1, "prior"),
            (MIN_PRESENTED, MIN_PRESENTED - MIN_POSITIVES + 1, "prior"),  # too few negatives
            (MIN_PRESENTED, MIN_POSITIVES, "learned"),
        ],
    )
    def test_the_threshold_is_presentations_and_positives(
        self, n: int, positives: int, method: str
    ) -> None:
        models = train_propensity(fixed("A", n, positives), priors={"A": 0.05})
        assert models.method("A") == method

    def test_shrinkage_moves_from_prior_to_observed_rate(self) -> None:
        assert shrunk_rate(0, 0, 0.05) == 0.05
        assert shrunk_rate(300, 1000, 0.05) == pytest.approx((300 + 2.5) / 1050)


class TestLearnedModel:
    def test_the_learned_model_ranks_a_planted_signal_better_than_the_prior(self) -> None:
        training = pa.concat_tables([history("A", 4000, 1), history("B", 120, 2)])
        models = train_propensity(training, priors={"A": 0.05, "B": 0.05})
        assert models.method("A") == "learned"
        assert models.method("B") == "prior"

        fresh = customers(5000, 7)
        outcome = np.random.default_rng(8).random(5000) < true_propensity(fresh)
        learned = models.predict("A", pa.table(fresh))
        cold = models.predict("B", pa.table(fresh))
        assert roc_auc_score(outcome, learned) > 0.72
        assert roc_auc_score(outcome, cold) == 0.5  # a constant ranks nobody
        # calibrated enough to compare rules: mean propensity near the observed rate
        assert learned.mean() == pytest.approx(outcome.mean(), abs=0.03)
        described = {summary.rule_code: summary for summary in models.describe()}
        assert list(described) == ["A", "B"]
        assert described["A"].method == "learned"
        assert described["A"].holdout_auc is not None
        assert described["A"].holdout_auc > 0.7
        cold = described["B"]
        assert (cold.method, cold.n, cold.prior, cold.holdout_auc) == ("prior", 120, 0.05, None)
        assert cold.propensity == pytest.approx(shrunk_rate(cold.positives, 120, 0.05))

    def test_training_is_deterministic(self) -> None:
        training = history("A", 2000, 3)
        features = pa.table(customers(1000, 4))
        first = train_propensity(training, priors={"A": 0.05}).predict("A", features)
        second = train_propensity(training, priors={"A": 0.05}).predict("A", features)
        assert np.array_equal(first, second)

    def test_prediction_reads_its_columns_by_name_and_tolerates_new_categories(self) -> None:
        models = train_propensity(history("A", 2000, 3), priors={"A": 0.05})
        features = customers(6, 4)
        features["tier"] = np.array(["private", "gold", "gold", "gold", "gold", "gold"])
        reordered = pa.table({name: features[name] for name in reversed(list(features))})
        with_extra = reordered.append_column("customer_number", pa.array(["C1"] * 6))
        prediction = models.predict("A", with_extra)
        assert prediction.shape == (6,)
        assert np.all((prediction > 0) & (prediction < 1))
        assert np.array_equal(prediction, models.predict("A", pa.table(features)))

    def test_a_missing_feature_column_is_an_error(self) -> None:
        models = train_propensity(history("A", 2000, 3), priors={"A": 0.05})
        with pytest.raises(ValueError, match="age"):
            models.predict("A", pa.table(customers(3, 4)).drop_columns(["age"]))

    def test_an_unknown_rule_is_a_key_error(self) -> None:
        models = train_propensity(history("A", 300, 3), priors={"A": 0.05})
        with pytest.raises(KeyError):
            models.predict("Z", pa.table(customers(3, 4)))

    def test_labels_other_than_zero_and_one_are_refused(self) -> None:
        table = fixed("A", 10, 2).set_column(6, "label", pa.array([2] * 10, pa.int8()))
        with pytest.raises(ValueError, match="0 and 1"):
            train_propensity(table, priors={"A": 0.05})

    def test_rows_without_a_label_are_skipped(self) -> None:
        table = fixed("A", 10, 2)
        labels = pa.array([None, None, 1, 0, 0, 0, 0, 0, 0, 0], pa.int8())
        models = train_propensity(table.set_column(6, "label", labels), priors={"A": 0.05})
        assert (models.describe()[0].n, models.describe()[0].positives) == (8, 1)


class TestFeatureEncoder:
    def test_catalog_types_encode_as_numbers_dates_as_days_text_as_codes(self) -> None:
        table = pa.table(
            {
                "aum": pa.array([Decimal("1234.50"), None], pa.decimal128(18, 2)),
                "is_payroll": pa.array([True, None]),
                "birth_date": pa.array([date(1970, 1, 11), date(1970, 1, 1) + timedelta(1)]),
                "tier": pa.array(["gold", None]),
                "age": pa.array([40, 41], pa.int16()),
            }
        )
        encoder = FeatureEncoder.fit(table, table.column_names)
        matrix = encoder.transform(table)
        assert encoder.categorical_mask.tolist() == [False, False, False, True, False]
        assert matrix[0].tolist() == [1234.5, 1.0, 10.0, 0.0, 40.0]
        assert np.isnan(matrix[1, [0, 1, 3]]).all()
        assert matrix[1, 2] == 1.0
