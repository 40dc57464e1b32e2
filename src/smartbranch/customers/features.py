"""The feature catalog: the one declared list of per-customer features.

Everything that names a feature reads it from here: the analysis computes exactly these
columns (and checks that it did), lead-rule conditions may use only these names, scripts
see these values, and ``docs/features.md`` is generated from this list. A feature is
computed as of the run's *as-of date* from the lake (``docs/lake.md``).

Money is CNY (``decimal``); ``*_3m`` means the three months ending at the as-of date.
``derived`` features are computed after the base ones (tier from average assets, segment,
care events) and are equally usable in rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FeatureType(StrEnum):
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    TEXT = "text"


@dataclass(frozen=True)
class Feature:
    """One per-customer feature."""

    name: str
    type: FeatureType
    unit: str
    """``CNY``, ``days``, ``years``, ``count`` … or empty."""
    description_zh: str
    description_en: str
    derived: bool = False
    """Computed from other features (tier, segment, care events) rather than the lake."""


_I, _D, _B, _T, _DT = (
    FeatureType.INTEGER,
    FeatureType.DECIMAL,
    FeatureType.BOOLEAN,
    FeatureType.TEXT,
    FeatureType.DATE,
)

# fmt: off
FEATURES: tuple[Feature, ...] = (
    # who
    Feature("age", _I, "years", "年龄（周岁）", "Age in whole years"),
    Feature("gender", _T, "", "性别（M/F）", "Gender (M/F)"),
    Feature("birth_date", _DT, "", "出生日期", "Date of birth"),
    Feature("days_to_birthday", _I, "days", "距下次生日天数（0 为今天）",
            "Days until the next birthday (0 = today)"),
    Feature("home_city", _T, "", "开户所在城市", "Home city (where the relationship is held)"),
    Feature("home_outlet_code", _T, "", "归属网点代码", "Code of the customer's home outlet"),
    Feature("tenure_years", _I, "years", "在本行开户年限（整年）",
            "Whole years since the customer opened their first account"),
    Feature("risk_tolerance", _I, "level 1–5", "风险承受能力等级（1–5）",
            "Risk tolerance (1 = conservative … 5 = aggressive)"),
    Feature("has_account_manager", _B, "", "是否有管户客户经理",
            "Has an account manager of their own"),
    # assets
    Feature("aum", _D, "CNY", "当前资产（AUM，最近月末）",
            "Assets under management at the latest month end"),
    Feature("aum_avg_3m", _D, "CNY", "近三个月日均资产（月末余额平均）",
            "Average assets over the last three month ends"),
    Feature("aum_peak_12m", _D, "CNY", "近十二个月资产峰值", "Peak month-end assets over twelve months"),
    Feature("balance_deposit", _D, "CNY", "活期存款余额", "Current-deposit balance"),
    Feature("balance_time_deposit", _D, "CNY", "定期存款余额", "Time-deposit balance"),
    Feature("balance_wealth", _D, "CNY", "理财产品余额", "Wealth-management balance"),
    Feature("balance_fund", _D, "CNY", "基金余额", "Fund balance"),
    Feature("balance_insurance", _D, "CNY", "保险（现金价值）余额", "Insurance balance"),
    Feature("loan_balance", _D, "CNY", "贷款余额", "Loans outstanding"),
    Feature("product_count", _I, "count", "持有产品数（有效）", "Active products held"),
    Feature("asset_category_count", _I, "count", "持有资产类别数（0–5）",
            "Asset categories held (deposit, time deposit, wealth, fund, insurance)"),
    # cards
    Feature("has_debit_card", _B, "", "是否持有有效借记卡", "Holds an active debit card"),
    Feature("has_credit_card", _B, "", "是否持有有效信用卡", "Holds an active credit card"),
    Feature("credit_card_level", _I, "0–4", "信用卡等级（0 无，1 普卡，2 金卡，3 白金卡，4 钻石卡）",
            "Credit-card level (0 none, 1 classic, 2 gold, 3 platinum, 4 diamond)"),
    Feature("card_spend_3m", _D, "CNY", "近三个月信用卡消费金额", "Credit-card spend, last three months"),
    Feature("card_spend_count_3m", _I, "count", "近三个月信用卡消费笔数",
            "Credit-card purchases, last three months"),
    # income and loans
    Feature("is_payroll", _B, "", "是否代发工资客户", "Receives payroll through the bank"),
    Feature("payroll_monthly", _D, "CNY", "代发月薪金额", "Monthly payroll amount (0 if none)"),
    Feature("loan_prepaid_90d", _B, "", "近 90 天内提前结清个人贷款",
            "Paid off a personal loan early in the last 90 days"),
    Feature("loan_prepaid_amount_90d", _D, "CNY", "近 90 天提前结清的贷款原额度",
            "Balance of the loans paid off early in the last 90 days"),
    # maturities
    Feature("maturing_30d_count", _I, "count", "未来 30 天到期的产品数",
            "Time deposits and wealth products maturing in the next 30 days"),
    Feature("maturing_30d_amount", _D, "CNY", "未来 30 天到期金额", "Amount maturing in the next 30 days"),
    Feature("matured_60d_amount", _D, "CNY", "近 60 天已到期未续作金额",
            "Time deposits and wealth products that matured in the last 60 days"),
    # behaviour
    Feature("visits_12m", _I, "count", "近十二个月到网点次数", "Branch visits in the last twelve months"),
    Feature("days_since_last_visit", _I, "days", "距上次到网点天数（从未到访为 9999）",
            "Days since the last branch visit (9999 if never)"),
    Feature("digital_txn_3m", _I, "count", "近三个月网银/手机银行交易笔数",
            "Online and mobile-banking transactions, last three months"),
    Feature("counter_txn_3m", _I, "count", "近三个月柜台交易笔数", "Counter transactions, last three months"),
    Feature("deposits_in_3m", _D, "CNY", "近三个月资金流入", "Money in (deposits, transfers in, payroll), last three months"),
    # derived
    Feature("tier", _T, "", "客户等级（standard/gold/platinum/diamond/private）",
            "Customer tier from average assets", derived=True),
    Feature("tier_rank", _I, "0–4", "客户等级序号（0 普通 … 4 私人银行）",
            "Tier as a number (0 standard … 4 private banking)", derived=True),
    Feature("next_tier_threshold", _D, "CNY", "上一等级门槛（私人银行为 0）",
            "Assets needed for the next tier (0 for private banking)", derived=True),
    Feature("next_tier_gap", _D, "CNY", "距上一等级差额（私人银行为 0）",
            "Amount missing to reach the next tier (0 for private banking)", derived=True),
    Feature("segment", _T, "", "客户分群（产品配置）", "Product-mix segment", derived=True),
    Feature("birthday_today", _B, "", "今天生日", "Birthday today", derived=True),
    Feature("birthday_this_week", _B, "", "七天内生日", "Birthday within the next seven days", derived=True),
    Feature("maturity_soon", _B, "", "有产品即将到期（30 天内）",
            "A product matures within 30 days", derived=True),
    Feature("long_absence", _B, "", "长期未到访（180 天以上）",
            "No branch visit for more than 180 days", derived=True),
)
# fmt: on

FEATURE_BY_NAME: dict[str, Feature] = {feature.name: feature for feature in FEATURES}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURE_BY_NAME)
KEY_COLUMN = "customer_number"
"""Every feature table is keyed by the customer number (not itself a feature)."""

LONG_ABSENCE_DAYS = 180
BIRTHDAY_WEEK_DAYS = 7
MATURITY_SOON_DAYS = 30
NEVER_VISITED_DAYS = 9999

SEGMENTS: dict[str, tuple[str, str]] = {
    # code: (Chinese, English) — rule-defined segments for product-mix recommendation
    "young_starter": ("年轻起步客群", "Young starters"),
    "family_builder": ("家庭成长客群", "Family builders"),
    "wealth_accumulator": ("财富积累客群", "Wealth accumulators"),
    "conservative_saver": ("稳健储蓄客群", "Conservative savers"),
    "senior": ("银发客群", "Seniors"),
    "affluent_investor": ("高端投资客群", "Affluent investors"),
}


def feature(name: str) -> Feature:
    """The catalog entry for ``name``; ``KeyError`` when it is not a feature."""
    return FEATURE_BY_NAME[name]
