"""Product-mix segments by clustering (the ``kmeans`` option of ``compute_features``).

Customers are clustered with scikit-learn's k-means on a few standardised features that
describe wealth, life stage, appetite for risk and how they bank; there are as many
clusters as named segments (:data:`smartbranch.customers.features.SEGMENTS`).

**Naming the clusters.** A cluster number means nothing to staff, so each cluster takes the
name of a rule-defined segment (``sql/segments_rules.sql``): we count how many customers of
each cluster fall in each rule segment and pick the one-to-one assignment of clusters to
segment names that covers the most customers (the Hungarian method,
``scipy.optimize.linear_sum_assignment``). Clusters therefore carry the name whose rule
they resemble most, every name is used once, and ties are broken by the fixed order of
the names. Everything is deterministic: the rows are read in customer-number order, the
sample that fits the model is drawn with a fixed seed, and k-means has a fixed
``random_state`` — the same features give the same segments on either engine.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

from smartbranch.analysis.engines import Engine
from smartbranch.customers.features import KEY_COLUMN, SEGMENTS

RANDOM_STATE = 20260101
FIT_SAMPLE = 200_000
"""At most this many customers (a seeded sample) fit the model; all are then assigned."""

_INPUT_SQL = """
SELECT
    f.{key},
    CAST(f.age AS DOUBLE) AS age,
    CAST(f.risk_tolerance AS DOUBLE) AS risk_tolerance,
    CAST(f.aum_avg_3m AS DOUBLE) AS aum_avg_3m,
    CAST(f.balance_deposit + f.balance_time_deposit AS DOUBLE) AS savings,
    CAST(f.balance_wealth + f.balance_fund AS DOUBLE) AS investments,
    CAST(f.loan_balance AS DOUBLE) AS loans,
    CAST(f.card_spend_3m AS DOUBLE) AS card_spend,
    CAST(f.digital_txn_3m AS DOUBLE) AS digital,
    CAST(f.counter_txn_3m AS DOUBLE) AS counter,
    s.segment AS rule_segment
FROM {features} AS f
JOIN ({rules}) AS s ON s.{key} = f.{key}
ORDER BY f.{key}
"""


def _matrix(table: pa.Table) -> np.ndarray:
    """The clustering inputs: money on a log scale, shares of assets, counts as they are."""

    def column(name: str) -> np.ndarray:
        return np.asarray(table.column(name).to_numpy(zero_copy_only=False), np.float64)

    aum = np.maximum(column("aum_avg_3m"), 0.0)
    assets = np.maximum(column("savings") + column("investments"), 1.0)
    transactions = column("digital") + column("counter")
    return np.column_stack(
        [
            column("age"),
            column("risk_tolerance"),
            np.log1p(aum),
            column("investments") / assets,
            np.log1p(np.maximum(column("loans"), 0.0)),
            np.log1p(np.maximum(column("card_spend"), 0.0)),
            column("digital") / np.maximum(transactions, 1.0),
        ]
    )


def name_clusters(clusters: np.ndarray, rule_segments: np.ndarray) -> dict[int, str]:
    """Cluster number → segment code, by the largest one-to-one overlap with the rule
    segments (see the module docstring)."""
    names = list(SEGMENTS)
    overlap = np.zeros((len(names), len(names)), np.int64)
    index = {name: i for i, name in enumerate(names)}
    rule_index = np.array([index[name] for name in rule_segments], np.int64)
    np.add.at(overlap, (clusters, rule_index), 1)
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    return {int(row): names[col] for row, col in zip(rows, cols, strict=True)}


def kmeans_segments(engine: Engine, features_view: str, rule_segments_sql: str) -> pa.Table:
    """``customer_number`` and ``segment`` for every row of ``features_view``, by k-means
    clusters named after the segments of ``rule_segments_sql`` (a SELECT of
    ``customer_number, segment``)."""
    table = engine.fetch_arrow(
        _INPUT_SQL.format(key=KEY_COLUMN, features=features_view, rules=rule_segments_sql)
    )
    keys = table.column(KEY_COLUMN)
    if table.num_rows == 0:
        return pa.table({KEY_COLUMN: keys, "segment": pa.array([], pa.string())})
    values = _matrix(table)
    scaled = StandardScaler().fit_transform(values)
    k = min(len(SEGMENTS), table.num_rows)
    rng = np.random.default_rng(RANDOM_STATE)
    sample = (
        np.sort(rng.choice(table.num_rows, FIT_SAMPLE, replace=False))
        if table.num_rows > FIT_SAMPLE
        else np.arange(table.num_rows)
    )
    model = KMeans(n_clusters=k, random_state=RANDOM_STATE, n_init=4).fit(scaled[sample])
    clusters = model.predict(scaled)
    rules = np.asarray(table.column("rule_segment").to_pylist(), dtype=object)
    names = name_clusters(clusters, rules)
    segment = pc.take(
        pa.array([names.get(i, "") for i in range(len(SEGMENTS))], pa.string()),
        pa.array(clusters, pa.int64()),
    )
    return pa.table({KEY_COLUMN: keys, "segment": segment})
