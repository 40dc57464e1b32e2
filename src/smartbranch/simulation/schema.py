"""Arrow schemas of the files the generator writes: the contract of ``docs/lake.md``.

``smartbranch load`` and the nightly analysis read these names and types; change them only
together with that document.
"""

from __future__ import annotations

import pyarrow as pa

from smartbranch.marketing.rules import RULE_FAMILIES

MONEY = pa.decimal128(18, 2)

ORG_UNITS = pa.schema(
    [
        pa.field("code", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("name_en", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("parent_code", pa.string()),
        pa.field("city", pa.string(), nullable=False),
        pa.field("timezone", pa.string(), nullable=False),
    ]
)

STAFF = pa.schema(
    [
        pa.field("username", pa.string(), nullable=False),
        pa.field("display_name", pa.string(), nullable=False),
        pa.field("role", pa.string(), nullable=False),
        pa.field("org_code", pa.string(), nullable=False),
    ]
)

PRODUCTS = pa.schema(
    [
        pa.field("code", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("name_en", pa.string(), nullable=False),
        pa.field("category", pa.string(), nullable=False),
        pa.field("risk_level", pa.int16(), nullable=False),
        pa.field("term_days", pa.int32()),
    ]
)

CUSTOMERS = pa.schema(
    [
        pa.field("customer_number", pa.string(), nullable=False),
        pa.field("name", pa.string(), nullable=False),
        pa.field("gender", pa.string(), nullable=False),
        pa.field("birth_date", pa.date32(), nullable=False),
        pa.field("phone", pa.string(), nullable=False),
        pa.field("home_outlet_code", pa.string(), nullable=False),
        pa.field("home_city", pa.string(), nullable=False),
        pa.field("account_manager", pa.string()),
        pa.field("risk_tolerance", pa.int16(), nullable=False),
        pa.field("opened_on", pa.date32(), nullable=False),
    ]
)

CREDENTIALS = pa.schema(
    [
        pa.field("customer_number", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("lookup_hash", pa.string(), nullable=False),
        pa.field("masked", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("issued_on", pa.date32()),
        pa.field("card_level", pa.string()),
    ]
)

HOLDINGS = pa.schema(
    [
        pa.field("holding_id", pa.int64(), nullable=False),
        pa.field("customer_number", pa.string(), nullable=False),
        pa.field("product_code", pa.string(), nullable=False),
        pa.field("category", pa.string(), nullable=False),
        pa.field("balance", MONEY, nullable=False),
        pa.field("opened_on", pa.date32(), nullable=False),
        pa.field("maturity_on", pa.date32()),
        pa.field("status", pa.string(), nullable=False),
        pa.field("closed_on", pa.date32()),
    ]
)

BALANCES_MONTHLY = pa.schema(
    [
        pa.field("customer_number", pa.string(), nullable=False),
        pa.field("month", pa.date32(), nullable=False),
        pa.field("category", pa.string(), nullable=False),
        pa.field("balance", MONEY, nullable=False),
    ]
)

TRANSACTIONS = pa.schema(
    [
        pa.field("customer_number", pa.string(), nullable=False),
        pa.field("booked_on", pa.date32(), nullable=False),
        pa.field("channel", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("amount", MONEY, nullable=False),
    ]
)

PAYROLL = pa.schema(
    [
        pa.field("customer_number", pa.string(), nullable=False),
        pa.field("employer_code", pa.string(), nullable=False),
        pa.field("employer_name", pa.string(), nullable=False),
        pa.field("monthly_amount", MONEY, nullable=False),
        pa.field("since", pa.date32(), nullable=False),
    ]
)

LOAN_PAYOFFS = pa.schema(
    [
        pa.field("customer_number", pa.string(), nullable=False),
        pa.field("holding_id", pa.int64(), nullable=False),
        pa.field("scheduled_end", pa.date32(), nullable=False),
        pa.field("paid_off_on", pa.date32(), nullable=False),
    ]
)

VISITS = pa.schema(
    [
        pa.field("customer_number", pa.string(), nullable=False),
        pa.field("outlet_code", pa.string(), nullable=False),
        pa.field("visited_on", pa.date32(), nullable=False),
    ]
)

OFFER_FAMILIES = RULE_FAMILIES
"""The hidden behaviour model has a column per lead-rule family (one list for both)."""

BEHAVIOUR = pa.schema(
    [pa.field("customer_number", pa.string(), nullable=False)]
    + [pa.field(family, pa.float64(), nullable=False) for family in OFFER_FAMILIES]
)

# Lake tables: name -> (schema, written as a folder of part files?).
LAKE_TABLES: dict[str, tuple[pa.Schema, bool]] = {
    "org_units": (ORG_UNITS, False),
    "staff": (STAFF, False),
    "products": (PRODUCTS, False),
    "customers": (CUSTOMERS, True),
    "credentials": (CREDENTIALS, True),
    "holdings": (HOLDINGS, True),
    "balances_monthly": (BALANCES_MONTHLY, True),
    "transactions": (TRANSACTIONS, True),
    "payroll": (PAYROLL, False),
    "loan_payoffs": (LOAN_PAYOFFS, False),
    "visits": (VISITS, True),
}

SCHEMA_VERSION = 1
