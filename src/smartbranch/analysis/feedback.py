"""Batch feedback: what happened to earlier runs' leads.

* the **outcome history**: every outcome staff recorded, as exported by each published run
  into its lake folder (``outcomes.parquet``) plus the ones read by this run;
* **conversions**: a presented lead whose product the customer took (a new holding in the
  lake) on or after the presentation, within the rule's attribution window — credited to the
  staff member, outlet and campaign that presented it (the lead row carries them);
* the **training set** of the propensity models: each presented lead's final answer
  (accepted or converted = 1; declined, deferred or expired = 0, see
  :func:`smartbranch.analysis.scoring.outcome_labels`) with the customer's features as
  they were in the run that produced the lead;
* **uplift**: per rule, the share of the control group who took the product anyway against
  the share of those given the lead, over the runs whose attribution window is open.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from smartbranch.analysis.engines import Engine
from smartbranch.analysis.inputs import OUTCOMES_SCHEMA, RUNS_FOLDER, ActiveRule
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


@dataclass
class Uplift:
    """One rule's treated and control groups over the recent runs, and what they bought."""

    treated: int = 0
    treated_converted: int = 0
    control: int = 0
    control_converted: int = 0

    @property
    def treated_rate(self) -> float | None:
        """Share of customers given the lead who took the product."""
        return self.treated_converted / self.treated if self.treated else None

    @property
    def control_rate(self) -> float | None:
        """Share of the control group who took the product anyway."""
        return self.control_converted / self.control if self.control else None

    @property
    def uplift(self) -> float | None:
        """Treated rate ÷ control rate (× as the seed reports it)."""
        treated, control = self.treated_rate, self.control_rate
        return treated / control if treated is not None and control else None


def uplift_by_rule(
    engine: Engine,
    lake: Path,
    runs: Sequence[tuple[str, date]],
    rules: Sequence[ActiveRule],
    as_of: date,
) -> dict[str, Uplift]:
    """Control-group conversion against the treated group's, per rule, over the published
    ``runs`` (id, as-of date) whose attribution window is still open on ``as_of``.

    A customer counts once per rule and group, from the first run within the window that
    gave them the lead (treated: every lead published, whether presented or not — intent to
    treat) or held them in control; they converted when they took the rule's product after
    that run's as-of date and by the end of its window (cut at ``as_of``)."""
    by_code = {rule.code: rule for rule in rules}
    if not by_code:
        return {}
    horizon = max(rule.attribution_days for rule in rules)
    parts = []
    for run_id, run_as_of in runs:
        if not as_of - timedelta(days=horizon) <= run_as_of < as_of:
            continue
        folder = lake / RUNS_FOLDER / run_id
        for group, name in (("treated", "leads.parquet"), ("control", "control.parquet")):
            if (folder / name).exists():
                table = pq.read_table(folder / name, columns=[KEY_COLUMN, "rule_code"])
                parts.append(_exposures(table, group, run_as_of, by_code, as_of))
    if not parts:
        return {}
    engine.register_arrow("analysis_exposures", pa.concat_tables(parts))
    query = """
        WITH firsts AS (
            SELECT customer_number, rule_code, grp, product_code,
                   MIN(run_as_of) AS run_as_of, MIN(window_end) AS window_end
            FROM analysis_exposures
            GROUP BY customer_number, rule_code, grp, product_code
        ), hits AS (
            SELECT DISTINCT f.customer_number, f.rule_code, f.grp
            FROM firsts f JOIN holdings h
              ON h.customer_number = f.customer_number AND h.product_code = f.product_code
            WHERE h.opened_on > f.run_as_of AND h.opened_on <= f.window_end
        )
        SELECT f.rule_code, f.grp, COUNT(*) AS n, COUNT(x.customer_number) AS converted
        FROM firsts f LEFT JOIN hits x
          ON x.customer_number = f.customer_number AND x.rule_code = f.rule_code
         AND x.grp = f.grp
        GROUP BY f.rule_code, f.grp
        ORDER BY f.rule_code, f.grp
    """
    result: dict[str, Uplift] = {}
    for row in engine.fetch_arrow(query).to_pylist():
        figures = result.setdefault(row["rule_code"], Uplift())
        if row["grp"] == "treated":
            figures.treated, figures.treated_converted = row["n"], row["converted"]
        else:
            figures.control, figures.control_converted = row["n"], row["converted"]
    return result


def _exposures(
    table: pa.Table,
    group: str,
    run_as_of: date,
    rules: dict[str, ActiveRule],
    as_of: date,
) -> pa.Table:
    codes = table["rule_code"].to_pylist()
    keep = [code in rules for code in codes]
    table = table.filter(pa.array(keep))
    codes = [code for code in codes if code in rules]
    ends = [min(run_as_of + timedelta(days=rules[c].attribution_days), as_of) for c in codes]
    return pa.table(
        {
            KEY_COLUMN: table[KEY_COLUMN],
            "rule_code": pa.array(codes, pa.string()),
            "grp": pa.array([group] * len(codes), pa.string()),
            "product_code": pa.array([rules[c].product_code for c in codes], pa.string()),
            "run_as_of": pa.array([run_as_of] * len(codes), pa.date32()),
            "window_end": pa.array(ends, pa.date32()),
        }
    )
