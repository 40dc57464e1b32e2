"""``/api/v1/identify``: who is this customer, as far as the calling device may know."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request

from smartbranch import credentials
from smartbranch.auth.dependencies import PrincipalDep, StaffPrincipalDep
from smartbranch.auth.models import STAFF_DEVICE_KINDS
from smartbranch.auth.service import DeviceKindNotAllowedError, SessionExpiredError
from smartbranch.customers import service
from smartbranch.customers.schemas import CustomerRecord, IdentifyRequest, IdentifyResponse
from smartbranch.customers.tiers import TIER_LABELS
from smartbranch.errors import (
    BadRequestError,
    CSRFError,
    DeviceNotEnrolledError,
    NotAuthenticatedError,
)
from smartbranch.http import LocaleDep, SessionDep, SettingsDep, error_responses
from smartbranch.i18n import N_, translate
from smartbranch.orgs.service import OutletNotFoundError

router = APIRouter(tags=["customers"])


class PurposeUnknownError(BadRequestError):
    code = "purpose_unknown"
    message = N_("Unknown purpose {purpose}: use service, marketing, complaint or review.")


IDENTIFY_ERRORS = (
    *credentials.CREDENTIAL_ERRORS,
    DeviceNotEnrolledError,
    NotAuthenticatedError,
    SessionExpiredError,
    DeviceKindNotAllowedError,
    service.DeviceOutletMismatchError,
    CSRFError,
    OutletNotFoundError,
    service.CustomerNotFoundError,
    service.CredentialInactiveError,
)


@router.post(
    "/identify",
    response_model=IdentifyResponse,
    responses=error_responses(*IDENTIFY_ERRORS),
    summary="Identify a customer from a card, passbook or resident ID",
)
async def identify(
    body: IdentifyRequest,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    locale: LocaleDep,
) -> IdentifyResponse:
    """Validate, hash and look up the credential. A kiosk learns only the greeting, the tier
    and an opaque reference for taking a ticket; a staff device with a signed-in member of
    staff also learns the customer number of customers in their scope. Every call that finds
    a customer writes an audit row."""
    if principal.device.kind in STAFF_DEVICE_KINDS and principal.staff is None:
        raise NotAuthenticatedError()
    found = await service.identify(
        session,
        principal,
        request.app.state.hasher,
        outlet_code=body.outlet,
        kind=body.credential.kind,
        value=body.credential.value,
        ttl=timedelta(seconds=settings.identification_ttl_seconds),
    )
    return IdentifyResponse(
        greeting=service.greeting_for(found, locale),
        tier=found.tier,
        tier_label=translate(TIER_LABELS[found.tier], locale),
        reference=found.reference,
        expires_at=found.expires_at,
        customer_number=found.customer_number if found.in_scope else None,
    )


PURPOSES = ("service", "marketing", "complaint", "review")


@router.get(
    "/customers/{number}",
    response_model=CustomerRecord,
    responses=error_responses(
        DeviceNotEnrolledError,
        NotAuthenticatedError,
        SessionExpiredError,
        service.RoleNotAllowedError,
        service.CustomerOutOfScopeError,
        service.CustomerNumberNotFoundError,
        PurposeUnknownError,
    ),
    summary="A customer's record, as the caller's role may see it",
)
async def get_customer(
    number: str,
    session: SessionDep,
    principal: StaffPrincipalDep,
    purpose: str = "service",
) -> CustomerRecord:
    """Only for signed-in staff whose org subtree holds the customer's home outlet. Names,
    phones, cards and assets are cut down per role (see ``customers.disclosure``). Every read
    writes an audit row with its purpose."""
    if purpose not in PURPOSES:
        raise PurposeUnknownError(purpose=purpose)
    return await service.get_record(session, principal, number, purpose=purpose)
