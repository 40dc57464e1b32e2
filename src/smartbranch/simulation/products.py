"""The synthetic bank's product shelf (产品货架)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from smartbranch.simulation.common import CATEGORIES, I64
from smartbranch.simulation.schema import PRODUCTS


@dataclass(frozen=True)
class Product:
    """A product on the shelf, as written to ``products.parquet``."""

    code: str
    name: str
    name_en: str
    category: str
    risk_level: int
    term_days: int | None
    min_tier: int = 0
    """Lowest tier the bank sells it to (large certificates of deposit, private products)."""


# fmt: off
PRODUCT_SHELF: tuple[Product, ...] = (
    Product("DEP-CURRENT", "活期存款", "Current Deposit", "deposit", 1, None),
    Product("TD-3M", "定期存款（三个月）", "Time Deposit, 3 Months", "time_deposit", 1, 91),
    Product("TD-6M", "定期存款（六个月）", "Time Deposit, 6 Months", "time_deposit", 1, 182),
    Product("TD-1Y", "定期存款（一年）", "Time Deposit, 1 Year", "time_deposit", 1, 365),
    Product("TD-2Y", "定期存款（二年）", "Time Deposit, 2 Years", "time_deposit", 1, 730),
    Product("TD-3Y", "定期存款（三年）", "Time Deposit, 3 Years", "time_deposit", 1, 1095),
    Product("CD-3Y", "个人大额存单（三年）", "Large Certificate of Deposit, 3 Years",
            "time_deposit", 1, 1095, min_tier=2),
    Product("WM-CASH", "日日盈现金管理", "Daily Cash Management", "wealth", 1, None),
    Product("WM-R2-91", "稳盈季季红", "Steady Income Quarterly", "wealth", 2, 91),
    Product("WM-R2-182", "稳盈半年享", "Steady Income Half-Year", "wealth", 2, 182),
    Product("WM-R2-365", "稳盈年年丰", "Steady Income One-Year", "wealth", 2, 365),
    Product("WM-R3-365", "睿远增利一年期", "Growth Plus One-Year", "wealth", 3, 365),
    Product("WM-R3-730", "睿远增利两年期", "Growth Plus Two-Year", "wealth", 3, 730),
    Product("WM-R4-365", "锐进优选", "Dynamic Select", "wealth", 4, 365, min_tier=1),
    Product("WM-R5-PE", "私享股权精选", "Private Equity Select", "wealth", 5, 1095, min_tier=3),
    Product("FD-BOND", "安心纯债基金", "Pure Bond Fund", "fund", 2, None),
    Product("FD-MIX", "平衡优选混合基金", "Balanced Hybrid Fund", "fund", 3, None),
    Product("FD-IDX300", "沪深300指数基金", "CSI 300 Index Fund", "fund", 4, None),
    Product("FD-EQUITY", "成长先锋股票基金", "Growth Pioneer Equity Fund", "fund", 4, None),
    Product("FD-QDII", "全球科技QDII基金", "Global Technology QDII Fund", "fund", 5, None),
    Product("INS-ANNUITY", "金色年华年金保险", "Golden Years Annuity", "insurance", 1, None),
    Product("INS-CI", "安康重大疾病保险", "Critical Illness Cover", "insurance", 1, None),
    Product("INS-LIFE", "传世终身寿险", "Whole Life Insurance", "insurance", 2, None),
    Product("INS-UL", "稳利万能险", "Universal Life Insurance", "insurance", 2, None),
    Product("INS-ILP", "智选投资连结保险", "Investment-Linked Insurance", "insurance", 4, None),
    Product("CC-CLASSIC", "信用卡普卡", "Classic Credit Card", "credit_card", 1, None),
    Product("CC-GOLD", "信用卡金卡", "Gold Credit Card", "credit_card", 1, None),
    Product("CC-PLATINUM", "信用卡白金卡", "Platinum Credit Card", "credit_card", 1, None),
    Product("CC-DIAMOND", "信用卡钻石卡", "Diamond Credit Card", "credit_card", 1, None),
    Product("LN-CONSUMER", "个人消费贷款", "Personal Consumer Loan", "loan", 1, 1095),
    Product("LN-BUSINESS", "个人经营贷款", "Personal Business Loan", "loan", 1, 1095),
    Product("LN-CAR", "个人汽车贷款", "Car Loan", "loan", 1, 1095),
    Product("LN-MORTGAGE-20Y", "个人住房贷款（二十年）", "Mortgage, 20 Years", "loan", 1, 7300),
    Product("LN-MORTGAGE-30Y", "个人住房贷款（三十年）", "Mortgage, 30 Years", "loan", 1, 10950),
)
# fmt: on

PRODUCT_CODES: tuple[str, ...] = tuple(p.code for p in PRODUCT_SHELF)
PRODUCT_INDEX = {p.code: i for i, p in enumerate(PRODUCT_SHELF)}
PRODUCT_CATEGORY: I64 = np.array([CATEGORIES.index(p.category) for p in PRODUCT_SHELF], np.int64)
PRODUCT_RISK: I64 = np.array([p.risk_level for p in PRODUCT_SHELF], np.int64)
PRODUCT_TERM: I64 = np.array([p.term_days or 0 for p in PRODUCT_SHELF], np.int64)
"""Term in days; 0 for open-ended products."""
PRODUCT_MIN_TIER: I64 = np.array([p.min_tier for p in PRODUCT_SHELF], np.int64)


def products_in(category: str) -> I64:
    """Shelf indices of the products of one category, in shelf order."""
    return np.array([i for i, p in enumerate(PRODUCT_SHELF) if p.category == category], np.int64)


def products_table() -> pa.Table:
    """The ``products.parquet`` table."""
    return pa.Table.from_pylist(
        [
            {
                "code": p.code,
                "name": p.name,
                "name_en": p.name_en,
                "category": p.category,
                "risk_level": p.risk_level,
                "term_days": p.term_days,
            }
            for p in PRODUCT_SHELF
        ],
        schema=PRODUCTS,
    )
