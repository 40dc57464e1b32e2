"""Batch feedback: what happened to earlier runs' leads.

* the **outcome history**: every outcome staff recorded, as exported by each published run
  into its lake folder (``outcomes.parquet``) plus the ones read by this run;
* **conversions**: a presented lead whose product the customer took (a new holding in the
  lake) on or after the presentation, within the rule's attribution window — credited to the
  staff member, outlet and campaign that presented it (the lead row carries them);
* the **training set** of the propensity models: each presented lead's final answer
  (accepted or converted = 1; declined, deferred or expired = 0, see
  :func:`smartbranch.analysis.scoring.outcome_labels`) with the customer's features as
  they were in the run that produced the lead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from smartbranch.analysis.engines import Engine
from smartbranch.analysis.inputs import OUTCOMES_SCHEMA, RUNS_FOLDER
from smartbranch.analysis.scoring import outcome_labels
from smartbranch.analysis.sqlmodels import bind
from smartbranch.customers.features import KEY_COLUMN

CONVERSIONS_SCHEMA = pa.schema(
    [
        pa.field("lead_id", pa.int64()),
        pa.field("converted_on", pa.date32()),
        pa.field("holding_id", pa.int64()),
    ]
)


def outcome_history(lake: Path, run_ids: Sequence[str], new: pa.Table) -> pa.Table:
    """Every outcome exported by the published runs ``run_ids``, plus ``new``."""
    parts = [
        pq.read_table(path, schema=OUTCOMES_SCHEMA)
        for run_id in run_ids
        # a lake generated anew since has lost the older runs' folders
        if (path := lake / RUNS_FOLDER / run_id / "outcomes.parquet").exists()
    ]
    return pa.concat_tables([*parts, new])


def conversions_so_far(lake: Path, run_ids: Sequence[str]) -> pa.Table:
    """Every conversion detected by the published runs ``run_ids``."""
    parts = [
        pq.read_table(path, schema=CONVERSIONS_SCHEMA)
        for run_id in run_ids
        if (path := lake / RUNS_FOLDER / run_id / "conversions.parquet").exists()
    ]
    return pa.concat_tables(parts) if parts else CONVERSIONS_SCHEMA.empty_table()


def detect_conversions(engine: Engine, presented: pa.Table, as_of: date) -> pa.Table:
    """The first purchase of each presented lead's product by its customer, opened on or
    after the presentation, within the rule's attribution window and by ``as_of``."""
    engine.register_arrow("presented_leads", presented)
    query = """
        SELECT lead_id, converted_on, holding_id FROM (
            SELECT p.lead_id, h.opened_on AS converted_on, h.holding_id,
                   ROW_NUMBER() OVER (PARTITION BY p.lead_id ORDER BY h.opened_on, h.holding_id)
                       AS n
            FROM presented_leads p
            JOIN holdings h
              ON h.customer_number = p.customer_number AND h.product_code = p.product_code
            WHERE h.opened_on >= p.presented_on
              AND h.opened_on <= $as_of
              AND DATE_DIFF('day', p.presented_on, h.opened_on) <= p.attribution_days
        ) AS firsts WHERE n = 1
        ORDER BY lead_id
    """
    return engine.fetch_arrow(bind(query, {"as_of": as_of})).cast(CONVERSIONS_SCHEMA)


def training_set(lake: Path, history: pa.Table, conversions: pa.Table) -> pa.Table:
    """One row per presented lead with a final answer: the features of its run, its rule
    and its label."""
    if not history.num_rows:
        return _empty_training()
    # The last word on each lead: its latest outcome, or "converted" when a purchase was
    # detected (that outranks a refusal: the customer bought after all).
    latest = history.group_by("lead_id").aggregate([("outcome_id", "max")])
    last = history.join(
        latest.rename_columns(["lead_id", "outcome_id"]), ["lead_id", "outcome_id"]
    ).select(["lead_id", "run_id", KEY_COLUMN, "rule_code", "kind"])
    converted = pc.is_in(last["lead_id"], value_set=conversions["lead_id"])
    kinds = pc.if_else(converted, "converted", last["kind"])
    last = last.set_column(last.schema.get_field_index("kind"), "kind", kinds)
    last = last.append_column("label", outcome_labels(last["kind"]))
    last = last.filter(pc.is_valid(last["label"]))
    parts = []
    for run_id in sorted(set(last["run_id"].to_pylist())):
        path = lake / RUNS_FOLDER / run_id / "features.parquet"
        if not path.exists():
            continue
        of_run = last.filter(pc.equal(last["run_id"], run_id))
        wanted = pa.array(sorted(set(of_run[KEY_COLUMN].to_pylist())))
        features = pq.read_table(path, filters=pc.is_in(pc.field(KEY_COLUMN), wanted))
        parts.append(of_run.select([KEY_COLUMN, "rule_code", "label"]).join(features, KEY_COLUMN))
    return pa.concat_tables(parts) if parts else _empty_training()


def _empty_training() -> pa.Table:
    return pa.table(
        {
            KEY_COLUMN: pa.array([], pa.string()),
            "rule_code": pa.array([], pa.string()),
            "label": pa.array([], pa.int8()),
        }
    )
