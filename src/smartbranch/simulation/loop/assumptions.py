"""The simulator's assumptions: how customers visit, answer and buy, and how staff present.

These are the synthetic bank's rules, not knowledge the analysis has: the analysis sees only
the lake and the outcomes staff record (DESIGN §2).
"""

from __future__ import annotations

from smartbranch.orgs.models import Role

PRESENTATIONS_PER_VISIT = 2
"""At most this many leads are presented in one visit (K)."""
DEFAULT_PROPENSITY = 0.03
"""Acceptance probability for a rule family the hidden behaviour model does not know."""
LATE_PURCHASE_SHARE = 0.3
"""A customer who declined buys later with probability ``propensity × LATE_PURCHASE_SHARE``."""
LATE_PURCHASE_DAYS = 30
"""…on a day drawn uniformly from the next ``LATE_PURCHASE_DAYS`` days."""
SPONTANEOUS_WEEKLY_SHARE = 0.05
"""A customer never presented a product buys it unprompted with weekly probability
``propensity × SPONTANEOUS_WEEKLY_SHARE`` (spread evenly over the days)."""
HOME_VISIT_SHARE = 0.88
"""Share of branch visits to the customer's home outlet (as in the generated history)."""
MIN_VISITS_PER_YEAR = 0.5
"""Visit rate of a customer with no visit in the past year."""
VISIT_WINDOW_DAYS = 365
DECLINE_REASONS: tuple[tuple[str, float], ...] = (
    ("not_interested", 0.35),
    ("has_similar", 0.15),
    ("no_funds", 0.12),
    ("return_too_low", 0.08),
    ("risk_concern", 0.07),
    ("no_time", 0.12),
    ("ask_family", 0.08),
    ("other", 0.03),
)
"""Reason codes of a refusal and how often each is given."""
FRONT_LINE_ROLES = (
    Role.ACCOUNT_MANAGER,
    Role.WEALTH_MANAGER,
    Role.LOBBY_MANAGER,
    Role.TELLER,
)
"""Who presents a lead whose rule names no roles."""
ROLE_CHANNEL: dict[str, str] = {Role.TELLER: "counter", Role.ACCOUNT_MANAGER: "crm"}
"""Where each role presents; the others carry a tablet."""
IN_BRANCH_CHANNELS = ("tablet", "counter", "crm")

# New holdings: share of the customer's assets put in (low, high) and the least amount, in
# CNY, by category. Cards start owing nothing; a loan's principal is drawn separately.
PURCHASE_SHARE = {
    "deposit": (0.02, 0.08, 1_000),
    "time_deposit": (0.15, 0.35, 10_000),
    "wealth": (0.15, 0.35, 10_000),
    "fund": (0.05, 0.15, 1_000),
    "insurance": (0.03, 0.10, 5_000),
}
LOAN_MEDIAN_CNY = 100_000.0
