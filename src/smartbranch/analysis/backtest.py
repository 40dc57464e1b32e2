"""Backtest of the scoring model on any file of past campaign outcomes (issue 3, item 5).

``smartbranch scoring backtest --data FILE --label COLUMN`` reads a CSV or Parquet export (one
row per contacted customer: their attributes at the time and whether they took the offer),
trains the same classifier the nightly propensities use (:func:`scoring.make_classifier`)
and measures how well it would have ranked the customers.

**Split.** With ``--time-column`` the rows are ordered by that column; the model is trained on
the earliest 80 % and scored on the latest 20 % (rows sharing the boundary time all go to the
test side unless that would leave less than half for training). Otherwise stratified 5-fold
cross-validation (shuffled, seeded) and every row is scored by the model that did not see it.
The time column is never a feature.

**Figures** (on the scored rows):

* ``auc`` — area under the ROC curve (0.5 random, 1 perfect).
* ``base_rate`` — the success rate: share of positive labels among the scored rows.
* ``lift_top10`` / ``lift_top20`` — success rate among the 10 % / 20 % best-scored rows
  divided by ``base_rate``. Rows tied at the cut count by their share (the expected value
  under a random order of ties), so a model that scores everyone alike has lift 1.
* ``gains_area`` — the area under the cumulative-gains curve *G(x)* = share of all positives
  found in the best-scored share *x* of rows, for *x* from 0 to 1 (ties interpolated
  linearly). Random ranking gives 0.5, a perfect one ``1 − base_rate / 2``; it equals
  ``0.5 + (auc − 0.5) × (1 − base_rate)``.
* ``accuracy_ratio`` — the Gini-style ratio of the model's gains area above random to the
  perfect model's: ``(gains_area − 0.5) / (0.5 − base_rate / 2)`` = ``2 × auc − 1``.

**Leakage warnings.** A column known only after the outcome (a conversion date, a product
count taken later) makes a backtest look brilliant and the live model useless. We warn when
the model's AUC is above 0.9 (naming the strongest single column) and when one column alone
reaches an AUC of 0.95 or more (either direction; a text column is target-encoded out of
fold, missing values count as their own value), which includes perfect separation.

**Reading what banks export.** Parquet, or CSV in UTF-8 (with or without BOM) or GB18030 with
the delimiter sniffed among comma, semicolon, tab and ``|``, a header row, missing values
written as empty, ``NA``, ``N/A``, ``null``, ``-`` …; labels as 1/0, true/false, yes/no,
y/n, t/f (any case) or 是/否; numbers with thousands separators (``1,234.50``) and percentages
(``12.5%``); dates as ``YYYY-MM-DD``, ``YYYY/MM/DD`` (optionally with a time); everything
else is a text category. Text columns whose values are almost all distinct (identifiers) are
ignored with a warning. Decimal commas (``1,5``) are not recognised.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from smartbranch.analysis.columns import float_values, string_values
from smartbranch.analysis.scoring import (
    RANDOM_STATE,
    FeatureEncoder,
    classifier_threads,
    make_classifier,
    positive_probability,
)
from smartbranch.errors import AppError
from smartbranch.i18n import N_, translate

MIN_ROWS = 50
MIN_CLASS_ROWS = 5
"""Rows of each outcome needed for five stratified folds."""
FOLDS = 5
TEST_SHARE = 0.2
LEAKAGE_MODEL_AUC = 0.9
LEAKAGE_FEATURE_AUC = 0.95
IDENTIFIER_SHARE = 0.5
"""A text column with more distinct values than this share of its rows is an identifier…"""
IDENTIFIER_MIN_DISTINCT = 50
"""… provided it has more than this many distinct values."""
FEATURE_CHECK_ROWS = 200_000
"""Single-column checks look at a seeded sample of at most this many rows."""
TOP_FEATURES = 10

SNIFF_BYTES = 65_536
DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8-sig", "gb18030")
MISSING_TOKENS = ("", "na", "n/a", "nan", "null", "none", "nil", "-", "--", "#n/a", "?", "空", "无")
TRUE_TOKENS = ("1", "1.0", "true", "t", "yes", "y", "是")
FALSE_TOKENS = ("0", "0.0", "false", "f", "no", "n", "否")
_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"
_PERCENT = r"^[+-]?\d+(\.\d+)?%$"
_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


# --- errors -------------------------------------------------------------------------------


class BacktestError(AppError):
    """Base of the problems with a backtest's input file; nothing is written anywhere."""

    code = "backtest_error"
    status_code = 422
    message = N_("The backtest cannot run on this file.")


class BacktestFileMissingError(BacktestError):
    code = "backtest_file_missing"
    status_code = 404
    message = N_("The file {path} does not exist.")


class BacktestFileFormatError(BacktestError):
    code = "backtest_file_format"
    message = N_("{path} is neither a CSV nor a Parquet file (export the sheet as CSV).")


class BacktestFileUnreadableError(BacktestError):
    code = "backtest_file_unreadable"
    message = N_("{path} cannot be read: {reason}")


class BacktestHeaderError(BacktestError):
    code = "backtest_header"
    message = N_("The header row of {path} has empty or repeated column names.")


class BacktestColumnMissingError(BacktestError):
    code = "backtest_column_missing"
    message = N_("The file has no column {column}; its columns are: {columns}.")


class BacktestLabelValuesError(BacktestError):
    code = "backtest_label_values"
    message = N_(
        "The label column {column} must hold 1/0, true/false or yes/no; it also holds: {values}."
    )


class BacktestTooFewRowsError(BacktestError):
    code = "backtest_too_few_rows"
    message = N_("The file has {count} labelled rows; at least {minimum} are needed.")


class BacktestSingleClassError(BacktestError):
    code = "backtest_single_class"
    message = N_("The label column {column} holds only {value}: a model needs both outcomes.")


class BacktestClassTooSmallError(BacktestError):
    code = "backtest_class_too_small"
    message = N_(
        "The label column {column} has only {count} rows of one outcome; "
        "at least {minimum} of each are needed."
    )


class BacktestSplitSingleClassError(BacktestError):
    code = "backtest_split_single_class"
    message = N_(
        "Ordered by {column}, the earliest 80% of rows (for training) hold only one outcome; "
        "the time-ordered split cannot be evaluated."
    )
    test_message = N_(
        "Ordered by {column}, the latest 20% of rows (for testing) hold only one outcome; "
        "the time-ordered split cannot be evaluated."
    )


class BacktestTimeColumnError(BacktestError):
    code = "backtest_time_column"
    message = N_(
        "The time column {column} holds values that are neither dates nor numbers: {values}."
    )


class BacktestNoFeaturesError(BacktestError):
    code = "backtest_no_features"
    message = N_("No feature columns are left besides the label.")


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BacktestWarning:
    """Something the user should look at; the figures are still printed."""

    code: str
    msgid: str
    params: dict[str, Any] = field(default_factory=dict)

    def localized(self, locale: str) -> str:
        """The warning in ``locale``."""
        return translate(self.msgid, locale).format(**self.params)


@dataclass(frozen=True)
class BacktestResult:
    """The figures of one backtest (see the module docstring for their definitions)."""

    n: int
    """Labelled rows used."""
    n_train: int
    n_test: int
    """Rows scored by a model that did not see them (all of them with cross-validation)."""
    base_rate: float
    auc: float
    lift_top10: float
    lift_top20: float
    gains_area: float
    accuracy_ratio: float
    split: Literal["time", "stratified_5fold"]
    time_column: str | None
    features: tuple[str, ...]
    ignored_columns: tuple[str, ...]
    single_feature_auc: dict[str, float]
    """The strongest columns alone (max of AUC and 1 − AUC), best first."""
    warnings: tuple[BacktestWarning, ...]
    test_rows: IntArray = field(repr=False)
    """Row numbers (0 = first data row of the file) that were scored."""

    def to_json(self, locale: str) -> dict[str, Any]:
        """The result as one JSON-ready object, warnings in ``locale``."""
        return {
            "n": self.n,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "base_rate": self.base_rate,
            "auc": self.auc,
            "lift_top10": self.lift_top10,
            "lift_top20": self.lift_top20,
            "gains_area": self.gains_area,
            "accuracy_ratio": self.accuracy_ratio,
            "split": self.split,
            "time_column": self.time_column,
            "features": list(self.features),
            "ignored_columns": list(self.ignored_columns),
            "single_feature_auc": self.single_feature_auc,
            "warnings": [
                {"code": w.code, **w.params, "message": w.localized(locale)} for w in self.warnings
            ],
        }


# --- reading ------------------------------------------------------------------------------


def read_outcomes(path: Path) -> pa.Table:
    """The table in ``path``: Parquet as typed, CSV as text columns (typed by
    :func:`infer_column` later). Raises a :class:`BacktestError` when it cannot."""
    if not path.is_file():
        raise BacktestFileMissingError(path=str(path))
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith(b"PAR1"):
        try:
            return pq.read_table(path)
        except (pa.ArrowException, OSError) as error:
            raise BacktestFileUnreadableError(path=str(path), reason=str(error)) from None
    if b"\x00" in head:  # spreadsheets, archives, anything binary
        raise BacktestFileFormatError(path=str(path))
    encoding, text = _decode(head, path)
    delimiter = sniff_delimiter(text)
    header = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    names = [name.strip() for name in header]
    if len(set(names)) != len(names) or "" in names:
        raise BacktestHeaderError(path=str(path))
    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=encoding, column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, OSError) as error:
        raise BacktestFileUnreadableError(path=str(path), reason=str(error)) from None


def _decode(head: bytes, path: Path) -> tuple[str, str]:
    """The encoding of the file and its first block as text."""
    for encoding in ENCODINGS:
        # a full block may end inside a multi-byte character: allow dropping that tail
        cuts = range(4) if len(head) == SNIFF_BYTES else range(1)
        for cut in cuts:
            try:
                return encoding, head[: len(head) - cut].decode(encoding)
            except UnicodeDecodeError:
                continue
    raise BacktestFileFormatError(path=str(path))


def sniff_delimiter(text: str) -> str:
    """The delimiter among :data:`DELIMITERS` that splits the first lines into the same
    number (≥ 2) of fields most consistently, most fields winning a tie; comma when none."""
    lines = text.splitlines()[:50]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sniffed block may cut the last line
    best, best_score = ",", (0.0, 0)
    for delimiter in DELIMITERS:
        rows = [row for row in csv.reader(lines, delimiter=delimiter) if row]
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        consistent = sum(len(row) == width for row in rows) / len(rows)
        if (consistent, width) > best_score:
            best, best_score = delimiter, (consistent, width)
    return best


def _lowered(values: pa.Array) -> pa.Array:
    return pc.utf8_lower(pc.utf8_trim_whitespace(values))


def _missing(values: pa.Array) -> pa.Array:
    return pc.or_kleene(pc.is_null(values), pc.is_in(_lowered(values), pa.array(MISSING_TOKENS)))


def infer_column(values: pa.Array) -> pa.Array:
    """A text column as what it holds: float64 numbers, booleans, timestamps, or text with
    missing values as null (the rules in the module docstring)."""
    values = string_values(values)
    trimmed = pc.utf8_trim_whitespace(values)
    present = pc.if_else(_missing(values), pa.scalar(None, pa.string()), trimmed)
    if present.null_count == len(present):
        return pa.nulls(len(present), pa.float64())
    number = _as_number(present)
    if number is not None:
        return number
    lowered = pc.utf8_lower(present)
    if pc.all(pc.is_in(pc.drop_null(lowered), pa.array(TRUE_TOKENS + FALSE_TOKENS))).as_py():
        flags = pc.is_in(lowered, pa.array(TRUE_TOKENS))
        return pc.if_else(pc.is_null(lowered), pa.scalar(None, pa.bool_()), flags)
    for date_format in _DATE_FORMATS:
        try:
            return pc.strptime(present, format=date_format, unit="s")
        except pa.ArrowInvalid:
            continue
    return present


def _as_number(present: pa.Array) -> pa.Array | None:
    try:
        return pc.cast(present, pa.float64())
    except pa.ArrowInvalid:
        pass
    non_null = pc.drop_null(present)
    if pc.all(pc.match_substring_regex(non_null, _THOUSANDS + "|" + r"^[+-]?\d+(\.\d+)?$")).as_py():
        return pc.cast(pc.replace_substring(present, ",", ""), pa.float64())
    if pc.all(pc.match_substring_regex(non_null, _PERCENT)).as_py():
        return pc.divide(pc.cast(pc.replace_substring(present, "%", ""), pa.float64()), 100.0)
    return None


def parse_labels(column: pa.Array | pa.ChunkedArray, name: str) -> FloatArray:
    """The label column as 1.0 / 0.0, NaN where it is missing; a
    :class:`BacktestLabelValuesError` naming the other values when there are any."""
    text = string_values(column)
    lowered = _lowered(text)
    missing = _missing(text)
    known = pc.is_in(lowered, pa.array(TRUE_TOKENS + FALSE_TOKENS))
    other = pc.and_(pc.invert(missing), pc.invert(known))
    if pc.any(other).as_py():
        values = sorted(str(v) for v in pc.unique(pc.filter(text, other)).to_pylist())
        shown = ", ".join(values[:5]) + (" …" if len(values) > 5 else "")
        raise BacktestLabelValuesError(column=name, values=shown)
    positive = np.asarray(pc.is_in(lowered, pa.array(TRUE_TOKENS)).to_numpy(False), dtype=bool)
    labels = np.where(positive, 1.0, 0.0)
    labels[np.asarray(missing.to_numpy(False), dtype=bool)] = np.nan
    return labels


def _time_values(column: pa.Array | pa.ChunkedArray, name: str) -> FloatArray:
    """A sortable number per row (NaN when missing) from a date, timestamp or number column."""
    typed = infer_column(column) if _is_text(column.type) else column
    if pa.types.is_timestamp(typed.type) or pa.types.is_date(typed.type):
        typed = pc.cast(pc.cast(typed, pa.timestamp("s")), pa.int64())
    if not (pa.types.is_integer(typed.type) or pa.types.is_floating(typed.type)):
        text = string_values(column)
        bad = pc.unique(pc.drop_null(text)).to_pylist()[:5]
        raise BacktestTimeColumnError(column=name, values=", ".join(str(v) for v in bad))
    return float_values(typed)


def _is_text(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_dictionary(kind)
    )


@dataclass(frozen=True)
class _Prepared:
    features: pa.Table
    labels: FloatArray
    times: FloatArray | None
    rows: IntArray
    """Row number in the file of each kept row."""
    ignored: tuple[str, ...]
    warnings: list[BacktestWarning]


def _prepare(
    table: pa.Table, label: str, time_column: str | None, exclude: tuple[str, ...]
) -> _Prepared:
    columns = ", ".join(table.column_names)
    for name in (label, *((time_column,) if time_column else ()), *exclude):
        if name not in table.column_names:
            raise BacktestColumnMissingError(column=name, columns=columns)
    warnings: list[BacktestWarning] = []
    labels = parse_labels(table.column(label), label)
    keep = ~np.isnan(labels)
    if not keep.all():
        count = int((~keep).sum())
        warnings.append(
            BacktestWarning(
                "labels_missing", N_("{count} rows without a label were skipped."), {"count": count}
            )
        )
    times = _time_values(table.column(time_column), time_column) if time_column else None
    if times is not None and np.isnan(times[keep]).any():
        count = int(np.isnan(times[keep]).sum())
        warnings.append(
            BacktestWarning(
                "times_missing", N_("{count} rows without a time were skipped."), {"count": count}
            )
        )
        keep &= ~np.isnan(times)
    rows = np.flatnonzero(keep)
    kept = table.take(pa.array(rows))
    labels = labels[rows]
    _check_classes(labels, label)

    skip = {label, *exclude, *((time_column,) if time_column else ())}
    features: dict[str, pa.Array] = {}
    ignored: list[str] = []
    for name in kept.column_names:
        if name in skip:
            continue
        column = kept.column(name)
        typed = infer_column(column) if _is_text(column.type) else column.combine_chunks()
        if _is_text(typed.type) and _looks_like_identifier(typed):
            ignored.append(name)
            warnings.append(
                BacktestWarning(
                    "identifier_ignored",
                    N_(
                        "The column {feature} looks like an identifier (almost every value "
                        "distinct) and was ignored."
                    ),
                    {"feature": name},
                )
            )
            continue
        features[name] = typed
    if not features:
        raise BacktestNoFeaturesError()
    return _Prepared(
        pa.table(features),
        labels,
        times[rows] if times is not None else None,
        rows.astype(np.int64),
        tuple(ignored),
        warnings,
    )


def _check_classes(labels: FloatArray, name: str) -> None:
    if len(labels) < MIN_ROWS:
        raise BacktestTooFewRowsError(count=len(labels), minimum=MIN_ROWS)
    positives = int(labels.sum())
    if positives in (0, len(labels)):
        raise BacktestSingleClassError(column=name, value=int(labels[0]))
    smaller = min(positives, len(labels) - positives)
    if smaller < MIN_CLASS_ROWS:
        raise BacktestClassTooSmallError(column=name, count=smaller, minimum=MIN_CLASS_ROWS)


def _looks_like_identifier(column: pa.Array) -> bool:
    present = pc.drop_null(column)
    distinct = len(pc.unique(present))
    return distinct > IDENTIFIER_MIN_DISTINCT and distinct > IDENTIFIER_SHARE * len(present)


# --- evaluation ---------------------------------------------------------------------------


def run_backtest(
    path: Path,
    *,
    label: str,
    time_column: str | None = None,
    exclude: tuple[str, ...] = (),
) -> BacktestResult:
    """Read ``path``, train and evaluate the scoring model, and check for leakage."""
    prepared = _prepare(read_outcomes(path), label, time_column, exclude)
    return evaluate(prepared, label=label, time_column=time_column)


def evaluate(prepared: _Prepared, *, label: str, time_column: str | None) -> BacktestResult:
    """Out-of-sample scores (time split or 5 folds), the figures and the warnings."""
    y = prepared.labels.astype(np.int64)
    features = prepared.features
    if prepared.times is not None:
        assert time_column is not None
        train, test = time_split(prepared.times)
        if len(np.unique(y[train])) < 2:
            raise BacktestSplitSingleClassError(column=time_column)
        if len(np.unique(y[test])) < 2:
            raise BacktestSplitSingleClassError(
                BacktestSplitSingleClassError.test_message, column=time_column
            )
        scores = _fit_and_score(features, y, train, test)
        split: Literal["time", "stratified_5fold"] = "time"
        scored, n_train = test, len(train)
    else:
        scores = np.empty(len(y), dtype=np.float64)
        folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=RANDOM_STATE)
        for train, test in folds.split(np.zeros(len(y)), y):
            scores[test] = _fit_and_score(features, y, train, test)
        split = "stratified_5fold"
        scored, n_train = np.arange(len(y)), len(y)
        scores = scores[scored]
    y_scored = y[scored]
    auc = float(roc_auc_score(y_scored, scores))
    base_rate = float(y_scored.mean())
    area = gains_area(y_scored, scores)
    single = single_feature_auc(features, y)
    warnings = list(prepared.warnings)
    for name, strength in single.items():
        if strength >= LEAKAGE_FEATURE_AUC:
            warnings.append(
                BacktestWarning(
                    "leakage_feature",
                    N_(
                        "The column {feature} alone predicts the label (AUC {auc}): it may be "
                        "known only after the outcome (leakage). If so, leave it out with "
                        "--exclude."
                    ),
                    {"feature": name, "auc": round(strength, 3)},
                )
            )
    if auc > LEAKAGE_MODEL_AUC:
        strongest = next(iter(single), "")
        warnings.append(
            BacktestWarning(
                "leakage_model",
                N_(
                    "The AUC is {auc}, above 0.9: too good for campaign outcomes. Check the "
                    "columns for leakage; the strongest single column is {feature}."
                ),
                {"auc": round(auc, 3), "feature": strongest},
            )
        )
    return BacktestResult(
        n=len(y),
        n_train=n_train,
        n_test=len(scored),
        base_rate=base_rate,
        auc=auc,
        lift_top10=lift_at(y_scored, scores, 0.1),
        lift_top20=lift_at(y_scored, scores, 0.2),
        gains_area=area,
        accuracy_ratio=(area - 0.5) / (0.5 - base_rate / 2),
        split=split,
        time_column=time_column,
        features=tuple(features.column_names),
        ignored_columns=prepared.ignored,
        single_feature_auc=dict(list(single.items())[:TOP_FEATURES]),
        warnings=tuple(warnings),
        test_rows=prepared.rows[scored],
    )


def time_split(times: FloatArray) -> tuple[IntArray, IntArray]:
    """Row indices of the earliest 80 % (training) and the latest 20 % (test) by ``times``;
    rows sharing the boundary time go to the test side while training keeps at least half."""
    order = np.argsort(times, kind="stable")
    cut = int(np.floor(len(times) * (1 - TEST_SHARE)))
    ordered = times[order]
    first_of_boundary = int(np.searchsorted(ordered, ordered[cut], side="left"))
    if first_of_boundary >= len(times) / 2:
        cut = first_of_boundary
    return order[:cut].astype(np.int64), order[cut:].astype(np.int64)


def _fit_and_score(features: pa.Table, y: IntArray, train: IntArray, test: IntArray) -> FloatArray:
    train_table = features.take(pa.array(train))
    encoder = FeatureEncoder.fit(train_table, features.column_names)
    with classifier_threads():
        model = make_classifier(encoder.categorical_mask).fit(
            encoder.transform(train_table), y[train]
        )
    return positive_probability(model, encoder.transform(features.take(pa.array(test))))


# --- figures ------------------------------------------------------------------------------


def cumulative_gains(y: IntArray, scores: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The cumulative-gains curve's corners: share of rows taken best-first (x) and share of
    positives found (y), from (0, 0) to (1, 1), one point per distinct score (ties are one
    straight segment)."""
    order = np.argsort(-scores, kind="stable")
    ranked_scores, ranked_y = scores[order], y[order]
    starts = np.r_[0, np.flatnonzero(np.diff(ranked_scores)) + 1]
    rows = np.diff(np.r_[starts, len(y)])
    positives = np.add.reduceat(ranked_y, starts)
    x = np.r_[0.0, np.cumsum(rows) / len(y)]
    found = np.r_[0.0, np.cumsum(positives) / max(int(y.sum()), 1)]
    return x, found


def lift_at(y: IntArray, scores: FloatArray, share: float) -> float:
    """Success rate among the best-scored ``share`` of rows over the overall rate."""
    x, found = cumulative_gains(y, scores)
    return float(np.interp(share, x, found) / share)


def gains_area(y: IntArray, scores: FloatArray) -> float:
    """Area under the cumulative-gains curve (random 0.5, perfect ``1 − base_rate / 2``)."""
    x, found = cumulative_gains(y, scores)
    return float(np.sum(np.diff(x) * (found[1:] + found[:-1]) / 2))


def single_feature_auc(features: pa.Table, y: IntArray) -> dict[str, float]:
    """How well each column alone separates the labels: ``max(AUC, 1 − AUC)``, strongest
    first. Missing values rank below every value; text is target-encoded out of fold."""
    rows = np.arange(len(y))
    if len(y) > FEATURE_CHECK_ROWS:
        rows = np.sort(
            np.random.default_rng(RANDOM_STATE).choice(rows, FEATURE_CHECK_ROWS, replace=False)
        )
    sample = features.take(pa.array(rows))
    labels = y[rows]
    encoder = FeatureEncoder.fit(sample, sample.column_names)
    matrix = encoder.transform(sample)
    strengths: dict[str, float] = {}
    for j, spec in enumerate(encoder.columns):
        values = matrix[:, j]
        if spec.categorical:
            values = _target_encoded(values, labels)
        elif np.isnan(values).all():
            values = np.zeros(len(values))
        else:
            values = np.where(np.isnan(values), np.nanmin(values) - 1.0, values)
        auc = float(roc_auc_score(labels, values))
        strengths[spec.name] = max(auc, 1.0 - auc)
    return dict(sorted(strengths.items(), key=lambda item: (-item[1], item[0])))


def _target_encoded(codes: FloatArray, y: IntArray) -> FloatArray:
    """Each row's category replaced by the success rate of its category in the other folds
    (the overall rate for a category those folds never saw); missing is its own category."""
    categories = np.where(np.isnan(codes), -1, codes).astype(np.int64) + 1
    width = int(categories.max()) + 1
    encoded = np.empty(len(y), dtype=np.float64)
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=RANDOM_STATE)
    for train, test in folds.split(np.zeros(len(y)), y):
        counts = np.bincount(categories[train], minlength=width)
        positives = np.bincount(categories[train], weights=y[train], minlength=width)
        rate = float(y[train].mean())
        seen = counts[categories[test]] > 0
        per_category = np.divide(positives, counts, out=np.full(width, rate), where=counts > 0)
        encoded[test] = np.where(seen, per_category[categories[test]], rate)
    return encoded
