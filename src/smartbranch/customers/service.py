"""The customer record's rules: identify a customer from a presented credential."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch import credentials
from smartbranch.auth.models import DeviceKind, Identification
from smartbranch.auth.service import DeviceKindNotAllowedError, Principal, record_audit
from smartbranch.auth.tokens import REFERENCE_PREFIX, new_token, token_hash
from smartbranch.customers.greeting import greeting
from smartbranch.customers.models import (
    Credential,
    CredentialStatus,
    Customer,
    CustomerProfile,
    Tier,
)
from smartbranch.db import utcnow
from smartbranch.errors import ConflictError, ForbiddenError, NotFoundError
from smartbranch.i18n import N_
from smartbranch.orgs.models import OrgUnit
from smartbranch.orgs.service import get_outlet_by_code, within


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
    outlet = await get_outlet_by_code(session, outlet_code)
    if not within(outlet.path, principal.device.org_path):
        raise DeviceOutletMismatchError(code=outlet_code)
    normalised = credentials.validate(kind, value)  # raises for an unknown kind too
    credential_kind = credentials.CredentialKind(kind)
    lookup = hasher.lookup_hash(credential_kind, normalised)
    row = (
        await session.execute(
            select(
                Credential.kind,
                Credential.status,
                Customer.id,
                Customer.number,
                Customer.name,
                Customer.gender,
                OrgUnit.path,
                CustomerProfile.tier,
            )
            .join(Customer, Customer.id == Credential.customer_id)
            .join(OrgUnit, OrgUnit.id == Customer.home_outlet_id)
            .outerjoin(CustomerProfile, CustomerProfile.customer_id == Customer.id)
            .where(Credential.lookup_hash == lookup)
        )
    ).one_or_none()
    # A card read as debit may be a credit card (same family); a card hash never matches an
    # ID hash because the family is part of the hashed message.
    if row is None:
        raise CustomerNotFoundError()
    (found_kind, status, customer_id, number, name, gender, home_path, tier) = row
    if status != CredentialStatus.ACTIVE:
        raise CredentialInactiveError()
    scope = principal.scope_path
    in_scope = scope is not None and within(home_path, scope)
    reference = new_token(REFERENCE_PREFIX)
    now = utcnow()
    expires_at = now + ttl
    session.add(
        Identification(
            reference_hash=token_hash(reference),
            customer_id=customer_id,
            outlet_id=outlet.id,
            device_id=principal.device.id,
            credential_kind=found_kind,
            created_at=now,
            expires_at=expires_at,
        )
    )
    record_audit(
        session,
        principal,
        action="customer.identify",
        customer_id=customer_id,
        purpose="arrival",
        detail={"outlet": outlet.code, "credential_kind": found_kind, "in_scope": in_scope},
        at=now,
    )
    await session.flush()
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
