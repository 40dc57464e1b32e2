"""``/api/v1/customers/{number}``: a customer's record, as the caller's role may see it.

``POST /api/v1/identify`` lives in ``service.api``: identifying a customer at an outlet is
also their arrival, which the service domain (above this one) records."""

from __future__ import annotations

from fastapi import APIRouter

from smartbranch.auth.dependencies import StaffPrincipalDep
from smartbranch.auth.service import SessionExpiredError
from smartbranch.customers import service
from smartbranch.customers.schemas import CustomerRecord
from smartbranch.errors import (
    BadRequestError,
    DeviceNotEnrolledError,
    NotAuthenticatedError,
)
from smartbranch.http import SessionDep, error_responses
from smartbranch.i18n import N_

router = APIRouter(tags=["customers"])


class PurposeUnknownError(BadRequestError):
    code = "purpose_unknown"
    message = N_("Unknown purpose {purpose}: use service, marketing, complaint or review.")


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
