"""What every step of the generator needs to know about the bank being generated."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np

from smartbranch.simulation.common import I64, day_number
from smartbranch.simulation.orgs import Employers, OrgTree

HISTORY_MONTHS = 12


@dataclass(frozen=True)
class BankContext:
    """Master data and the calendar of the history window."""

    seed: int
    as_of: int
    """Day number of the as-of date (the last day of history)."""
    org: OrgTree
    employers: Employers
    month_starts: I64
    """Day numbers of the first day of each of the 12 history months, oldest first."""
    month_ends: I64
    """Day numbers of each month's last day; the current month ends at ``as_of``."""

    @property
    def window_start(self) -> int:
        """First day of the 12-month history window (transactions, visits, payoffs)."""
        return self.as_of - 364


def history_calendar(as_of: datetime.date) -> tuple[I64, I64]:
    """First and last day numbers of the 12 months up to and including ``as_of``'s month."""
    starts: list[int] = []
    ends: list[int] = []
    year, month = as_of.year, as_of.month
    for back in range(HISTORY_MONTHS - 1, -1, -1):
        y, m = divmod((year * 12 + month - 1) - back, 12)
        first = datetime.date(y, m + 1, 1)
        ny, nm = divmod(y * 12 + m + 1, 12)
        last = datetime.date(ny, nm + 1, 1) - datetime.timedelta(days=1)
        starts.append(day_number(first))
        ends.append(day_number(min(last, as_of)))
    return np.array(starts, np.int64), np.array(ends, np.int64)
