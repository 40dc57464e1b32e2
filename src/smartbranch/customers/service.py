"""The customer record's rules: identify a customer from a presented credential, and read
a record as the caller's role may see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from smartbranch import credentials
from smartbranch.auth.models import DeviceKind, Identification
from smartbranch.auth.service import DeviceKindNotAllowedError, Principal, record_audit
from smartbranch.auth.tokens import REFERENCE_PREFIX, new_token, token_hash
from smartbranch.customers.disclosure import (
    RECORD_DISCLOSURE,
    age_on,
    shown_credential,
    shown_name,
    shown_phone,
)
from smartbranch.customers.greeting import greeting
from smartbranch.customers.models import (
    Credential,
    CredentialStatus,
    Customer,
    CustomerProfile,
    Holding,
    Tier,
)
from smartbranch.customers.schemas import CredentialOut, CustomerRecord, HoldingOut
from smartbranch.db import utcnow
from smartbranch.errors import (
    ConflictError,
    ForbiddenError,
    NotAuthenticatedError,
    NotFoundError,
)
from smartbranch.i18n import N_
from smartbranch.orgs.models import OrgKind, OrgUnit
from smartbranch.orgs.service import OutletNotFoundError, within


class CustomerNotFoundError(NotFoundError):
    code = "customer_not_found"
    message = N_("We could not find a customer with this card or ID.")


class CredentialInactiveError(ConflictError):
    code = "credential_inactive"
    message = N_("This card or passbook is reported lost or closed. Please see a member of staff.")


class DeviceOutletMismatchError(ForbiddenError):
    code = "device_outlet_mismatch"
    message = N_("This device is not enrolled at outlet {code}.")


@dataclass(frozen=True, slots=True)
class Identified:
    """The outcome of :func:`identify`, before it is cut down to what a device may see."""

    customer_id: int
    customer_number: str
    name: str
    gender: str
    tier: Tier
    in_scope: bool
    reference: str
    expires_at: datetime


IDENTIFYING_DEVICES = frozenset(
    {DeviceKind.KIOSK, DeviceKind.TABLET, DeviceKind.COUNTER, DeviceKind.CHANNEL}
)


# Built once: constructing a statement costs more than executing it on this hot path.
_HomeOutlet = aliased(OrgUnit)
_IDENTIFY_LOOKUP = (
    select(
        OrgUnit.id,
        OrgUnit.path,
        Credential.kind,
        Credential.status,
        Customer.id,
        Customer.number,
        Customer.name,
        Customer.gender,
        _HomeOutlet.path,
        CustomerProfile.tier,
    )
    .select_from(OrgUnit)
    # One round trip answers both "is this an outlet" and "whose credential is this": the
    # outlet row always comes back, the customer's columns are NULL when the hash is unknown.
    .outerjoin(Credential, Credential.lookup_hash == bindparam("lookup_hash"))
    .outerjoin(Customer, Customer.id == Credential.customer_id)
    .outerjoin(_HomeOutlet, _HomeOutlet.id == Customer.home_outlet_id)
    .outerjoin(CustomerProfile, CustomerProfile.customer_id == Customer.id)
    .where(OrgUnit.code == bindparam("outlet_code"), OrgUnit.kind == OrgKind.OUTLET)
)

_INSERT_IDENTIFICATION = insert(cast(Table, Identification.__table__))


async def identify(
    session: AsyncSession,
    principal: Principal,
    hasher: credentials.CredentialHasher,
    *,
    outlet_code: str,
    kind: str,
    value: str,
    ttl: timedelta,
) -> Identified:
    """Find the customer behind a presented credential at an outlet.

    Validates and normalises the value, looks up its keyed hash, records an opaque
    short-lived identification reference and an audit row. The clear value goes no further
    than this function.
    """
    if principal.device.kind not in IDENTIFYING_DEVICES:
        raise DeviceKindNotAllowedError()
    normalised = credentials.validate(kind, value)  # raises for an unknown kind too
    credential_kind = credentials.CredentialKind(kind)
    lookup = hasher.lookup_hash(credential_kind, normalised)
    # Core statements on the session's connection (same transaction): the ORM's execute path
    # adds nothing for plain rows and cost a fifth of the request.
    connection = await session.connection()
    params = {"lookup_hash": lookup, "outlet_code": outlet_code}
    row = (await connection.execute(_IDENTIFY_LOOKUP, params)).one_or_none()
    if row is None:
        raise OutletNotFoundError(code=outlet_code)
    (outlet_id, outlet_path, found_kind, status, customer_id, number, name, gender) = row[:8]
    home_path, tier = row[8], row[9]
    if not within(outlet_path, principal.device.org_path):
        raise DeviceOutletMismatchError(code=outlet_code)
    # A card read as debit may be a credit card (same family); a card hash never matches an
    # ID hash because the family is part of the hashed message.
    if customer_id is None:
        raise CustomerNotFoundError()
    if status != CredentialStatus.ACTIVE:
        raise CredentialInactiveError()
    scope = principal.scope_path
    in_scope = scope is not None and within(home_path, scope)
    reference = new_token(REFERENCE_PREFIX)
    now = utcnow()
    expires_at = now + ttl
    await connection.execute(
        _INSERT_IDENTIFICATION,
        {
            "reference_hash": token_hash(reference),
            "customer_id": customer_id,
            "outlet_id": outlet_id,
            "device_id": principal.device.id,
            "credential_kind": found_kind,
            "created_at": now,
            "expires_at": expires_at,
        },
    )
    await record_audit(
        session,
        principal,
        action="customer.identify",
        customer_id=customer_id,
        purpose="arrival",
        detail={"outlet": outlet_code, "credential_kind": found_kind, "in_scope": in_scope},
        at=now,
    )
    return Identified(
        customer_id=customer_id,
        customer_number=number,
        name=name,
        gender=gender,
        tier=Tier(tier) if tier else Tier.STANDARD,
        in_scope=in_scope,
        reference=reference,
        expires_at=expires_at,
    )


def greeting_for(identified: Identified, locale: str) -> str:
    """The public-screen greeting of an identified customer."""
    return greeting(identified.name, identified.gender, locale)


class RoleNotAllowedError(ForbiddenError):
    code = "role_not_allowed"
    message = N_("Your role does not give access to individual customer records.")


class CustomerOutOfScopeError(ForbiddenError):
    code = "customer_out_of_scope"
    message = N_("This customer belongs to another part of the bank.")


class CustomerNumberNotFoundError(NotFoundError):
    code = "customer_not_found"
    message = N_("No customer with number {number}.")


async def get_record(
    session: AsyncSession, principal: Principal, number: str, *, purpose: str
) -> CustomerRecord:
    """A customer's record cut down to what the caller's role may see; audited.

    Staff see only the customers of their org subtree (by the customer's home outlet).
    """
    staff = principal.staff
    if staff is None:
        raise NotAuthenticatedError()
    disclosure = RECORD_DISCLOSURE.get(staff.role)
    if disclosure is None:
        raise RoleNotAllowedError()
    row = (
        await session.execute(
            select(Customer, OrgUnit.path, OrgUnit.code, OrgUnit.timezone, CustomerProfile)
            .join(OrgUnit, OrgUnit.id == Customer.home_outlet_id)
            .outerjoin(CustomerProfile, CustomerProfile.customer_id == Customer.id)
            .where(Customer.number == number)
        )
    ).one_or_none()
    if row is None:
        raise CustomerNumberNotFoundError(number=number)
    customer, home_path, home_code, timezone, profile = row
    if not within(home_path, staff.org_path):
        raise CustomerOutOfScopeError()
    credentials_rows = (
        await session.scalars(
            select(Credential).where(Credential.customer_id == customer.id).order_by(Credential.id)
        )
    ).all()
    holdings = None
    if disclosure.assets:
        holdings = [
            HoldingOut(
                product_code=h.product_code,
                category=h.category,
                balance=h.balance,
                opened_on=h.opened_on,
                maturity_on=h.maturity_on,
            )
            for h in await session.scalars(
                select(Holding).where(Holding.customer_id == customer.id).order_by(Holding.id)
            )
        ]
    own_manager = customer.account_manager_id == staff.id
    today = datetime.now(ZoneInfo(timezone)).date()
    born = customer.birth_date
    record = CustomerRecord(
        number=customer.number,
        name=shown_name(customer.name, disclosure),
        gender=customer.gender,
        age=age_on(born, today),
        birth_date=born if disclosure.birth_date else None,
        phone=shown_phone(customer.phone, disclosure, own_manager=own_manager),
        home_outlet=home_code,
        home_city=customer.home_city,
        risk_tolerance=customer.risk_tolerance,
        tier=Tier(profile.tier) if profile else Tier.STANDARD,
        aum=(profile.aum if profile else Decimal(0)) if disclosure.assets else None,
        credentials=[
            CredentialOut(
                kind=c.kind, masked=shown_credential(c.kind, c.masked, disclosure), status=c.status
            )
            for c in credentials_rows
        ],
        holdings=holdings,
    )
    await record_audit(
        session,
        principal,
        action="customer.read",
        customer_id=customer.id,
        purpose=purpose,
        detail={"fields": "record", "assets": disclosure.assets},
    )
    await session.flush()
    return record
