"""Propensity per lead rule, learned from what happened to past leads (issue 3, item 4).

**Training rows.** One row per *settled* presented lead: the customer's catalog features as
they were in the run that produced the lead (the run's feature snapshot, so nothing learned
after the presentation leaks in), the rule code and a label. :func:`outcome_labels` turns the
lead's final outcome into the label:

* ``1`` — ``accepted`` on the spot, or ``converted`` (a purchase within the rule's
  attribution window, whatever was recorded at the counter before);
* ``0`` — ``declined``, ``deferred`` (and not converted later), or ``expired`` (presented,
  never accepted, no purchase in the window);
* excluded — ``not_presented`` (the customer never answered), ``already_has`` (the rule
  should not have fired: a data problem, not a propensity), and leads still ``open`` or
  ``presented`` whose attribution window has not closed.

**Model.** Scikit-learn's :class:`~sklearn.ensemble.HistGradientBoostingClassifier`, chosen
over a logistic-regression pipeline because the catalog is mixed and skewed: money columns
span six orders of magnitude, counts are sparse, text features (tier, segment, city) are
categories, and snapshots have missing values. Gradient-boosted trees take all of that as it
is (native categorical splits, missing values routed per split, invariance to monotone
transforms, interactions such as "payroll *and* near a tier threshold" found without
hand-made crosses), where a logistic model would need log transforms, scaling, one-hot
encoding and imputation to do worse. Its log-loss probabilities are close enough to
calibrated for ``priority = propensity × value × weight`` to compare rules. It predicts a
million rows in about a second. It is deterministic: fixed ``random_state`` for the
early-stopping split and the holdout.

**One model per rule** when the rule has at least :data:`MIN_PRESENTED` settled
presentations with at least :data:`MIN_POSITIVES` positives and as many negatives. Its
``holdout_auc`` comes from a stratified 80/20 split; the served model is then refit on all
rows.

**Cold start.** Below that threshold a rule gets one constant propensity: its observed rate
shrunk towards the rule's ``prior_propensity`` with a Beta prior worth
:data:`PRIOR_STRENGTH` presentations, ``(positives + k·prior) / (n + k)``. With no history
that is the prior itself; with 150 presentations the data weighs three times the prior.
A constant cannot rank customers *within* a rule — the rule condition already selected
them — but it ranks the rule against the others in arbitration by what it has shown so far.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from smartbranch.analysis.columns import float_values
from smartbranch.customers.features import KEY_COLUMN

MIN_PRESENTED = 200
"""Settled presentations a rule needs before it gets a model of its own."""
MIN_POSITIVES = 20
"""… of which at least this many positives (and this many negatives)."""
PRIOR_STRENGTH = 50.0
"""Weight of ``prior_propensity`` in the cold-start estimate, in presentations."""
HOLDOUT_SHARE = 0.2
RANDOM_STATE = 20260101
MAX_CATEGORIES = 250
"""Text values kept per feature (the most frequent); rarer ones count as missing. Must stay
below the classifier's ``max_bins`` (255)."""
OPENMP_THREADS = 1
"""Threads the classifier may use. One: on a shared two-core machine OpenMP's busy-waiting
threads made fitting 5–10× *slower* whenever another process held a core (measured: 2.3 s
against 0.07 s for 2,400 rows), and the nightly run has DuckDB competing anyway."""
PREDICT_CHUNK = 262_144
"""Rows encoded at a time in :meth:`PropensityModels.predict`, to bound memory."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class LabelledKind(StrEnum):
    """Outcome kinds and final lead statuses that can label a presented lead."""

    ACCEPTED = "accepted"
    CONVERTED = "converted"
    DECLINED = "declined"
    DEFERRED = "deferred"
    EXPIRED = "expired"
    NOT_PRESENTED = "not_presented"
    ALREADY_HAS = "already_has"
    OPEN = "open"
    PRESENTED = "presented"


POSITIVE_KINDS = frozenset({LabelledKind.ACCEPTED, LabelledKind.CONVERTED})
NEGATIVE_KINDS = frozenset({LabelledKind.DECLINED, LabelledKind.DEFERRED, LabelledKind.EXPIRED})
EXCLUDED_KINDS = frozenset(
    {
        LabelledKind.NOT_PRESENTED,
        LabelledKind.ALREADY_HAS,
        LabelledKind.OPEN,
        LabelledKind.PRESENTED,
    }
)


def outcome_labels(kinds: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The training label of each lead from its final outcome kind or status: ``1``, ``0``,
    or null for a lead that must not be trained on (see the module docstring).

    Raises ``ValueError`` naming any kind that is none of :class:`LabelledKind`."""
    values = pc.cast(kinds, pa.string())
    known = pa.array(sorted(k.value for k in LabelledKind))
    unknown = pc.unique(pc.filter(values, pc.invert(pc.is_in(values, value_set=known))))
    if len(unknown):
        raise ValueError(f"unknown outcome kinds: {sorted(str(v) for v in unknown.to_pylist())}")
    positive = pc.is_in(values, value_set=pa.array(sorted(POSITIVE_KINDS)))
    negative = pc.is_in(values, value_set=pa.array(sorted(NEGATIVE_KINDS)))
    labels = pc.if_else(positive, 1, pc.if_else(negative, 0, pa.scalar(None, pa.int8())))
    result = pc.cast(labels, pa.int8())
    return result.combine_chunks() if isinstance(result, pa.ChunkedArray) else result


# --- encoding features for the classifier -------------------------------------------------


@dataclass(frozen=True)
class EncodedColumn:
    """How one input column becomes one numeric column of the model's matrix."""

    name: str
    categorical: bool
    categories: tuple[str, ...] = ()
    """Category ``i`` is encoded as ``i``; anything else as missing (NaN)."""


def _is_numeric(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_null(kind)
    )


def _is_temporal(kind: pa.DataType) -> bool:
    return bool(pa.types.is_date(kind) or pa.types.is_timestamp(kind))


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _as_text(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    if pa.types.is_dictionary(column.type):
        return pc.cast(column, pa.string())
    return column


@dataclass(frozen=True)
class FeatureEncoder:
    """Turns an Arrow table into the float matrix the classifier takes, the same way at
    training and at prediction time: numbers and booleans as they are, dates as days since
    1970-01-01, text as category codes learned at training (top :data:`MAX_CATEGORIES`)."""

    columns: tuple[EncodedColumn, ...]

    @classmethod
    def fit(cls, table: pa.Table, names: Sequence[str]) -> FeatureEncoder:
        """Learn the encoding of ``names`` from ``table``."""
        columns = []
        for name in names:
            column = _as_text(table.column(name))
            if _is_numeric(column.type) or _is_temporal(column.type):
                columns.append(EncodedColumn(name, categorical=False))
            elif _is_text(column.type):
                counts = pc.value_counts(pc.drop_null(column))
                values = counts.field("values").to_pylist()
                frequency = counts.field("counts").to_pylist()
                # most frequent first, ties by value, so the same data gives the same codes
                ranked = sorted(zip(frequency, values, strict=True), key=lambda p: (-p[0], p[1]))
                categories = tuple(sorted(v for _, v in ranked[:MAX_CATEGORIES]))
                columns.append(EncodedColumn(name, categorical=True, categories=categories))
            else:
                raise ValueError(f"feature {name} has an unsupported type {column.type}")
        return cls(tuple(columns))

    @property
    def names(self) -> tuple[str, ...]:
        """The input columns, in matrix order."""
        return tuple(column.name for column in self.columns)

    @property
    def categorical_mask(self) -> npt.NDArray[np.bool_]:
        """Which matrix columns are category codes."""
        return np.array([column.categorical for column in self.columns], dtype=bool)

    def transform(self, table: pa.Table) -> FloatArray:
        """The ``(rows, features)`` float64 matrix of ``table`` (NaN = missing)."""
        missing = [name for name in self.names if name not in table.column_names]
        if missing:
            raise ValueError(f"the features table lacks the columns {missing}")
        matrix = np.empty((table.num_rows, len(self.columns)), dtype=np.float64)
        for j, spec in enumerate(self.columns):
            matrix[:, j] = _encode_column(_as_text(table.column(spec.name)), spec)
        return matrix


_UNITS_PER_SECOND = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}


def _encode_column(column: pa.ChunkedArray | pa.Array, spec: EncodedColumn) -> FloatArray:
    if spec.categorical:
        if not _is_text(column.type):
            column = pc.cast(column, pa.string())
        codes = pc.index_in(column, value_set=pa.array(spec.categories, pa.string()))
        return float_values(codes)
    if pa.types.is_date(column.type):
        column = pc.cast(pc.cast(column, pa.date32()), pa.int32())
    elif pa.types.is_timestamp(column.type):
        # → days, so a timestamp and a date of the same day encode alike
        per_day = 86_400.0 * _UNITS_PER_SECOND[column.type.unit]
        return float_values(pc.cast(column, pa.int64())) / per_day
    return float_values(column)


def classifier_threads() -> threadpool_limits:
    """A context limiting the classifier to :data:`OPENMP_THREADS` while fitting or
    predicting."""
    return threadpool_limits(limits=OPENMP_THREADS, user_api="openmp")


def make_classifier(categorical: npt.NDArray[np.bool_]) -> HistGradientBoostingClassifier:
    """The scoring model, shared by the nightly propensities and ``scoring backtest``.

    Shallow trees, a small learning rate and L2 regularisation because many rules have only
    a few hundred presentations; early stopping on a stratified validation split (seeded)
    picks the number of trees."""
    return HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_iter=300,
        max_leaf_nodes=15,
        min_samples_leaf=20,
        l2_regularization=1.0,
        categorical_features=categorical if categorical.any() else None,
        early_stopping=True,
        validation_fraction=0.15,
        n_iter_no_change=20,
        random_state=RANDOM_STATE,
    )


def positive_probability(model: HistGradientBoostingClassifier, matrix: FloatArray) -> FloatArray:
    """``P(label = 1)`` for each row of ``matrix``."""
    with classifier_threads():
        probabilities = model.predict_proba(matrix)
    column = list(model.classes_).index(1)
    return np.asarray(probabilities[:, column], dtype=np.float64)


# --- per-rule models ----------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSummary:
    """What :meth:`PropensityModels.describe` says about one rule."""

    rule_code: str
    method: Literal["learned", "prior"]
    n: int
    """Settled presentations in the training history."""
    positives: int
    prior: float
    propensity: float | None
    """The constant propensity of a cold-start rule; ``None`` when learned."""
    holdout_auc: float | None
    """AUC on a stratified 20 % holdout; ``None`` for a cold-start rule."""


@dataclass(frozen=True)
class _Learned:
    encoder: FeatureEncoder
    model: HistGradientBoostingClassifier


class PropensityModels:
    """The propensity of every rule the run scores: a model or a cold-start constant."""

    def __init__(self, summaries: Mapping[str, RuleSummary], learned: Mapping[str, _Learned]):
        self._summaries = dict(summaries)
        self._learned = dict(learned)

    def predict(self, rule_code: str, features: pa.Table) -> FloatArray:
        """The propensity of each row of ``features`` (catalog columns) for ``rule_code``.

        A learned rule reads the feature columns it was trained on (extra columns are
        ignored); a cold-start rule gives its constant. ``KeyError`` for a rule that was not
        among the ``priors`` at training."""
        summary = self._summaries[rule_code]
        learned = self._learned.get(rule_code)
        if learned is None:
            assert summary.propensity is not None
            return np.full(features.num_rows, summary.propensity, dtype=np.float64)
        result = np.empty(features.num_rows, dtype=np.float64)
        for start in range(0, features.num_rows, PREDICT_CHUNK):
            chunk = features.slice(start, PREDICT_CHUNK)
            matrix = learned.encoder.transform(chunk)
            result[start : start + chunk.num_rows] = positive_probability(learned.model, matrix)
        return result

    def method(self, rule_code: str) -> Literal["learned", "prior"]:
        """How ``rule_code`` is scored."""
        return self._summaries[rule_code].method

    def describe(self) -> list[RuleSummary]:
        """Per rule (sorted by code): method, history size, positives, holdout AUC."""
        return [self._summaries[code] for code in sorted(self._summaries)]


def shrunk_rate(positives: int, n: int, prior: float) -> float:
    """The cold-start propensity: the observed rate shrunk towards ``prior`` (Beta prior
    worth :data:`PRIOR_STRENGTH` presentations)."""
    return (positives + PRIOR_STRENGTH * prior) / (n + PRIOR_STRENGTH)


def default_feature_columns(table: pa.Table, *, exclude: Sequence[str] = ()) -> tuple[str, ...]:
    """Every column of ``table`` but ``exclude`` and the customer number, in table order."""
    skip = {*exclude, KEY_COLUMN}
    return tuple(name for name in table.column_names if name not in skip)


def train_propensity(
    training: pa.Table,
    *,
    label_column: str = "label",
    rule_column: str = "rule_code",
    priors: Mapping[str, float],
    feature_columns: Sequence[str] | None = None,
    min_presented: int = MIN_PRESENTED,
    min_positives: int = MIN_POSITIVES,
) -> PropensityModels:
    """Learn a propensity for every rule in ``priors`` from ``training`` (one row per settled
    presented lead: features, rule code, label 1/0; rows with a null label are skipped).

    The features are ``feature_columns`` (pass the catalog names when the history carries
    bookkeeping columns such as a lead id or a date), or else every column but the label, the
    rule and the customer number; :meth:`PropensityModels.predict` then needs the same
    columns. Rules not in ``priors`` are ignored (retired rules are not scored). Raises
    ``ValueError`` for a missing column or a label other than 0/1."""
    for name in (label_column, rule_column):
        if name not in training.column_names:
            raise ValueError(f"the training table has no column {name}")
    bad_priors = {code: p for code, p in priors.items() if not 0.0 <= p <= 1.0}
    if bad_priors:
        raise ValueError(f"priors must be within [0, 1]: {bad_priors}")
    training = training.filter(pc.is_valid(training.column(label_column)))
    labels = float_values(training.column(label_column))
    if not np.isin(labels, (0.0, 1.0)).all():
        raise ValueError(f"the label column {label_column} must hold only 0 and 1")
    names = (
        tuple(feature_columns)
        if feature_columns is not None
        else default_feature_columns(training, exclude=(label_column, rule_column))
    )
    rules = _as_text(training.column(rule_column))
    rule_codes = np.asarray(pc.fill_null(pc.cast(rules, pa.string()), "").to_numpy(False))

    summaries: dict[str, RuleSummary] = {}
    learned: dict[str, _Learned] = {}
    for code in sorted(priors):
        rows = np.flatnonzero(rule_codes == code)
        y = labels[rows].astype(np.int64)
        n, positives = len(rows), int(y.sum())
        enough = (
            n >= min_presented
            and positives >= min_positives
            and n - positives >= min_positives
            and bool(names)
        )
        if not enough:
            summaries[code] = RuleSummary(
                code,
                "prior",
                n,
                positives,
                priors[code],
                shrunk_rate(positives, n, priors[code]),
                None,
            )
            continue
        subset = training.take(pa.array(rows)).select(list(names))
        encoder = FeatureEncoder.fit(subset, names)
        matrix = encoder.transform(subset)
        auc = _holdout_auc(matrix, y, encoder.categorical_mask)
        with classifier_threads():
            model = make_classifier(encoder.categorical_mask).fit(matrix, y)
        learned[code] = _Learned(encoder, model)
        summaries[code] = RuleSummary(code, "learned", n, positives, priors[code], None, auc)
    return PropensityModels(summaries, learned)


def _holdout_auc(matrix: FloatArray, y: IntArray, categorical: npt.NDArray[np.bool_]) -> float:
    train_rows, test_rows = train_test_split(
        np.arange(len(y)), test_size=HOLDOUT_SHARE, stratify=y, random_state=RANDOM_STATE
    )
    with classifier_threads():
        model = make_classifier(categorical).fit(matrix[train_rows], y[train_rows])
    scores = positive_probability(model, matrix[test_rows])
    return float(roc_auc_score(y[test_rows], scores))
