"""Request and response bodies of the customers API."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from smartbranch.customers.models import Tier


class CredentialIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(
        max_length=32,
        description="`debit_card`, `credit_card`, `passbook` or `id_card`.",
        examples=["debit_card"],
    )
    value: str = Field(
        max_length=64,
        description="As read by the device. Never stored or logged in clear.",
        examples=["6228 4800 0000 0000 000"],
    )


class IdentifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outlet: str = Field(max_length=32, description="Code of the outlet where the customer is.")
    credential: CredentialIn


class IdentifyResponse(BaseModel):
    """What the calling device may see of the identified customer."""

    greeting: str = Field(description="Surname and honorific only (王先生 / Mr Wang).")
    tier: Tier
    tier_label: str
    reference: str = Field(
        description="Opaque, short-lived identification reference for taking a ticket."
    )
    expires_at: datetime
    customer_number: str | None = Field(
        default=None,
        description="Only for signed-in staff devices, and only for customers in their scope.",
    )


class CredentialOut(BaseModel):
    kind: str
    masked: str = Field(description="BIN + last 4 or last 4 only, by role.")
    status: str


class HoldingOut(BaseModel):
    product_code: str
    category: str
    balance: Decimal
    opened_on: date
    maturity_on: date | None


class CustomerRecord(BaseModel):
    """A customer's record as the calling role may see it."""

    number: str
    name: str = Field(description="Full name, or surname only for roles that need no more.")
    gender: str
    age: int
    birth_date: date | None = Field(default=None, description="Only for account managers.")
    phone: str = Field(description="Masked unless the caller is the customer's own manager.")
    home_outlet: str
    home_city: str
    risk_tolerance: int
    tier: Tier
    aum: Decimal | None = Field(default=None, description="Not shown to tellers.")
    credentials: list[CredentialOut]
    holdings: list[HoldingOut] | None = Field(default=None, description="Not for tellers.")
