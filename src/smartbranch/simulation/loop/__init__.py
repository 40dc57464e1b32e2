"""Closing the loop in the synthetic bank: the days after an analysis run.

``smartbranch simulate loop --days N`` plays N days. Each day ``d`` (starting the day after
the serving run's as-of date):

1. **Visitors.** Each customer visits a branch with a daily probability taken from their
   branch visits in the lake over the past year (at least :data:`MIN_VISITS_PER_YEAR`),
   scaled by ``visit_rate``; :data:`HOME_VISIT_SHARE` of visits are to the home outlet, as
   in the generated history. The visits are appended to ``visits/`` as one new part file.
2. **Presentations.** A visitor at their home outlet who has open leads in the *serving*
   run is presented up to :data:`PRESENTATIONS_PER_VISIT` of them, best rank first, by a
   member of the outlet's staff in a role the lead rule allows (the customer's own account
   manager when the rule allows account managers), on the channel that role works on. Staff
   at another outlet do not see the customer (data scope), so away visits present nothing.
   The customer accepts with the hidden behaviour model's propensity for the rule's family
   (:data:`DEFAULT_PROPENSITY` for a family the model does not know), else declines with a
   reason. Each outcome is recorded through ``marketing.service.record_outcome`` and
   committed, as a member of staff would.
3. **Purchases.** An accepted lead becomes a holding of the lead's product on day ``d``. A
   customer who declined buys it later with probability
   ``propensity × LATE_PURCHASE_SHARE``, on a day within :data:`LATE_PURCHASE_DAYS`
   (scheduled, kept under the simulation folder between runs of the command). Every other
   customer — never presented the product: the control group, customers whose lead was not
   presented, customers no rule selected — buys a rule's product unprompted with a weekly
   probability of ``propensity × SPONTANEOUS_WEEKLY_SHARE``. New holdings are appended to
   ``holdings/`` as one new part file with fresh holding ids.
4. **Night.** The nightly analysis runs as of ``d`` and publishes the run the next day
   serves: it reads the outcomes, detects the purchases as conversions and learns.

These rates are the simulator's assumptions about customers, not knowledge the analysis has:
the analysis sees only the lake and the outcomes (DESIGN §2). The simulator, unlike the
analysis, reads the hidden behaviour model.

At the end the loop measures, from the lake: the runs' control members (``control.parquet``
of each serving run) against their new holdings of the rule's product, and the customers
presented a lead against theirs, over the same rules and windows.
"""

from smartbranch.simulation.loop.day import DayResult
from smartbranch.simulation.loop.driver import (
    BehaviourModelMissingError,
    Nightly,
    NightResult,
    simulate_loop,
)
from smartbranch.simulation.loop.summary import LoopSpec, LoopSummary, RuleFigures

__all__ = [
    "BehaviourModelMissingError",
    "DayResult",
    "LoopSpec",
    "LoopSummary",
    "NightResult",
    "Nightly",
    "RuleFigures",
    "simulate_loop",
]
