"""For every default rule: customers it must fire on, and near misses it must not.

Each case is (rule code, what the customer is like, feature overrides on the baseline,
whether the rule fires). A near miss differs from a firing case in one threshold, just on
the wrong side of it.
"""

from __future__ import annotations

from typing import Any

Case = tuple[str, str, dict[str, Any], bool]

_PLATINUM = {"tier": "platinum", "tier_rank": 2, "next_tier_threshold": 2_000_000}

CASES: list[Case] = [
    ("CARD_UPGRADE_GOLD", "classic card, gold tier", {"credit_card_level": 1}, True),
    (
        "CARD_UPGRADE_GOLD",
        "classic card, standard tier, big spender",
        {"credit_card_level": 1, "tier": "standard", "tier_rank": 0, "card_spend_3m": 15000},
        True,
    ),
    (
        "CARD_UPGRADE_GOLD",
        "classic card, standard tier, spend just under",
        {"credit_card_level": 1, "tier": "standard", "tier_rank": 0, "card_spend_3m": "14999.99"},
        False,
    ),
    ("CARD_UPGRADE_GOLD", "already gold", {"credit_card_level": 2, "card_spend_3m": 50000}, False),
    ("CARD_UPGRADE_PLATINUM", "gold card, platinum tier", {**_PLATINUM}, True),
    ("CARD_UPGRADE_PLATINUM", "gold card, big spender", {"card_spend_3m": 20000}, True),
    ("CARD_UPGRADE_PLATINUM", "spend just under", {"card_spend_3m": "19999.99"}, False),
    ("CARD_UPGRADE_PLATINUM", "classic card", {**_PLATINUM, "credit_card_level": 1}, False),
    (
        "REPEAT_MATURING_DEPOSIT",
        "conservative, maturing soon",
        {"risk_tolerance": 1, "maturing_30d_amount": 10000, "maturing_30d_count": 1},
        True,
    ),
    (
        "REPEAT_MATURING_DEPOSIT",
        "conservative, matured recently",
        {"risk_tolerance": 1, "matured_60d_amount": 80000},
        True,
    ),
    (
        "REPEAT_MATURING_DEPOSIT",
        "amount just under",
        {"risk_tolerance": 1, "maturing_30d_amount": "9999.99", "maturing_30d_count": 1},
        False,
    ),
    (
        "REPEAT_MATURING_WEALTH",
        "steady investor, maturing",
        {"risk_tolerance": 2, "maturing_30d_amount": 50000, "maturing_30d_count": 2},
        True,
    ),
    (
        "REPEAT_MATURING_WEALTH",
        "too conservative for R2",
        {"risk_tolerance": 1, "maturing_30d_amount": 50000, "maturing_30d_count": 2},
        False,
    ),
    (
        "QF_BIRTHDAY",
        "gold, birthday this week",
        {"birthday_this_week": True, "days_to_birthday": 3},
        True,
    ),
    (
        "QF_BIRTHDAY",
        "standard tier",
        {"birthday_this_week": True, "tier": "standard", "tier_rank": 0},
        False,
    ),
    ("QF_YOUNG_DIGITAL", "28, app user, balanced risk", {"age": 28, "digital_txn_3m": 12}, True),
    ("QF_YOUNG_DIGITAL", "one app transaction short", {"age": 28, "digital_txn_3m": 11}, False),
    ("QF_YOUNG_DIGITAL", "too young", {"age": 21, "digital_txn_3m": 60}, False),
    (
        "QF_YOUNG_DIGITAL",
        "risk tolerance under R3",
        {"age": 28, "digital_txn_3m": 60, "risk_tolerance": 2},
        False,
    ),
    ("QF_HIGH_SPEND", "big spender without a loan", {"card_spend_3m": 10000}, True),
    ("QF_HIGH_SPEND", "spend just under", {"card_spend_3m": "9999.99"}, False),
    ("QF_HIGH_SPEND", "already has a loan", {"card_spend_3m": 50000, "loan_balance": 1000}, False),
    (
        "QF_NEW_CUSTOMER",
        "first year, two products",
        {"tenure_years": 0, "product_count": 2, "aum": 10000},
        True,
    ),
    (
        "QF_NEW_CUSTOMER",
        "three products already",
        {"tenure_years": 0, "product_count": 3, "aum": 10000},
        False,
    ),
    ("QF_SENIOR_DEPOSIT", "60 with cash on deposit", {"age": 60, "balance_deposit": 50000}, True),
    ("QF_SENIOR_DEPOSIT", "59", {"age": 59, "balance_deposit": 50000}, False),
    (
        "QF_IDLE_CASH",
        "most assets idle on deposit",
        {"balance_deposit": 200000, "aum": 400000, "risk_tolerance": 2},
        True,
    ),
    (
        "QF_IDLE_CASH",
        "deposit less than half",
        {"balance_deposit": 200000, "aum": "400000.02"},
        False,
    ),
    (
        "QF_IDLE_CASH",
        "too conservative for R2",
        {"balance_deposit": 300000, "aum": 300000, "risk_tolerance": 1},
        False,
    ),
    (
        "SEG_YOUNG_STARTER",
        "young starter without funds",
        {"segment": "young_starter", "age": 25},
        True,
    ),
    (
        "SEG_YOUNG_STARTER",
        "holds a fund already",
        {"segment": "young_starter", "age": 25, "balance_fund": 100},
        False,
    ),
    (
        "SEG_YOUNG_STARTER",
        "too conservative for R2",
        {"segment": "young_starter", "age": 25, "risk_tolerance": 1},
        False,
    ),
    ("SEG_FAMILY_BUILDER", "family builder without insurance", {"balance_insurance": 0}, True),
    ("SEG_FAMILY_BUILDER", "another segment", {"balance_insurance": 0, "segment": "senior"}, False),
    (
        "SEG_WEALTH_ACCUMULATOR",
        "little in wealth products",
        {"segment": "wealth_accumulator"},
        True,
    ),
    (
        "SEG_WEALTH_ACCUMULATOR",
        "30 % in wealth products",
        {"segment": "wealth_accumulator", "balance_wealth": 36000},
        False,
    ),
    (
        "SEG_CONSERVATIVE_SAVER",
        "saver with time deposits",
        {"segment": "conservative_saver", "balance_wealth": 0, "risk_tolerance": 2},
        True,
    ),
    (
        "SEG_CONSERVATIVE_SAVER",
        "time deposits just under",
        {"segment": "conservative_saver", "balance_wealth": 0, "balance_time_deposit": "19999.99"},
        False,
    ),
    (
        "SEG_SENIOR",
        "65 without insurance",
        {"segment": "senior", "age": 65, "balance_insurance": 0},
        True,
    ),
    ("SEG_SENIOR", "71", {"segment": "senior", "age": 71, "balance_insurance": 0}, False),
    (
        "SEG_AFFLUENT_INVESTOR",
        "affluent, aggressive, few funds",
        {"segment": "affluent_investor", "risk_tolerance": 4},
        True,
    ),
    (
        "SEG_AFFLUENT_INVESTOR",
        "risk tolerance under R4",
        {"segment": "affluent_investor", "risk_tolerance": 3},
        False,
    ),
    (
        "SEG_AFFLUENT_INVESTOR",
        "funds at 10 % of assets",
        {"segment": "affluent_investor", "risk_tolerance": 4, "balance_fund": 12000},
        False,
    ),
    (
        "NEAR_THRESHOLD",
        "gold, 100k short of platinum",
        {"aum_avg_3m": 400000, "next_tier_gap": 100000},
        True,
    ),
    (
        "NEAR_THRESHOLD",
        "gold, 100k and a cent short",
        {"aum_avg_3m": "399999.99", "next_tier_gap": "100000.01"},
        False,
    ),
    (
        "NEAR_THRESHOLD",
        "private banking has no next tier",
        {"tier": "private", "tier_rank": 4, "next_tier_gap": 0, "next_tier_threshold": 0},
        False,
    ),
    (
        "PAYROLL_CASH",
        "payroll, no wealth product",
        {"is_payroll": True, "payroll_monthly": 5000, "balance_wealth": 0},
        True,
    ),
    (
        "PAYROLL_CASH",
        "salary just under",
        {"is_payroll": True, "payroll_monthly": "4999.99", "balance_wealth": 0},
        False,
    ),
    (
        "PAYROLL_CASH",
        "not a payroll customer",
        {"payroll_monthly": 8000, "balance_wealth": 0},
        False,
    ),
    (
        "LOAN_PREPAID",
        "paid a loan off early",
        {"loan_prepaid_90d": True, "loan_prepaid_amount_90d": 200000},
        True,
    ),
    (
        "LOAN_PREPAID",
        "too conservative for R2",
        {"loan_prepaid_90d": True, "loan_prepaid_amount_90d": 200000, "risk_tolerance": 1},
        False,
    ),
    (
        "PLATINUM_CARD_VALUE",
        "platinum card, gold tier",
        {"credit_card_level": 3, "card_spend_3m": 10000},
        True,
    ),
    (
        "PLATINUM_CARD_VALUE",
        "already platinum tier",
        {**_PLATINUM, "credit_card_level": 3, "card_spend_3m": 10000},
        False,
    ),
    (
        "PLATINUM_CARD_VALUE",
        "spend just under",
        {"credit_card_level": 3, "card_spend_3m": "9999.99"},
        False,
    ),
    ("WEALTH_DIVERSIFY", "one asset category", {"asset_category_count": 1}, True),
    (
        "WEALTH_DIVERSIFY",
        "assets just under 100k",
        {"asset_category_count": 1, "aum_avg_3m": "99999.99"},
        False,
    ),
    ("INSURANCE_PROTECTION", "45 without insurance", {"balance_insurance": 0}, True),
    ("INSURANCE_PROTECTION", "56", {"balance_insurance": 0, "age": 56}, False),
    (
        "COUNTER_CARD_FAST",
        "no credit card, comes to the counter",
        {"has_credit_card": False, "credit_card_level": 0, "card_spend_3m": 0},
        True,
    ),
    (
        "COUNTER_CARD_FAST",
        "never at the counter",
        {"has_credit_card": False, "credit_card_level": 0, "card_spend_3m": 0, "counter_txn_3m": 0},
        False,
    ),
    (
        "COUNTER_CARD_FAST",
        "standard tier, not payroll",
        {
            "has_credit_card": False,
            "credit_card_level": 0,
            "card_spend_3m": 0,
            "aum_avg_3m": "19999.99",
        },
        False,
    ),
]
