"""``/api/v1/customers/{number}/brief`` and ``/api/v1/leads/{lead_id}/outcome``: the customer
brief a member of staff reads before walking up to a customer, and the one-tap outcome of an
offer.

Both write (an audit row; the visit's suggested leads; the outcome), so both take the
database's write lock first (declared before the principal, so it is solved first): on SQLite
a unit of work that reads and then writes under contention would otherwise fail rather than
wait. On PostgreSQL that is a no-op.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.dependencies import StaffPrincipalDep
from smartbranch.auth.service import SessionExpiredError
from smartbranch.customers.service import (
    CustomerNumberNotFoundError,
    CustomerOutOfScopeError,
    RoleNotAllowedError,
)
from smartbranch.db import begin_write
from smartbranch.errors import CSRFError, DeviceNotEnrolledError, NotAuthenticatedError
from smartbranch.http import LocaleDep, SessionDep, error_responses, locale_of
from smartbranch.marketing.errors import (
    InvalidOutcomeError,
    LeadClosedError,
    LeadNotFoundError,
    NotSoldOnTheSpotError,
    OutcomeNotAllowedError,
)
from smartbranch.service.brief import ChannelNotAllowedError, ChannelUnknownError, customer_brief
from smartbranch.service.collab import VisitNotFoundError
from smartbranch.service.offers import (
    LeadNotAllowedError,
    LeadUnsuitableError,
    record_offer_outcome,
)
from smartbranch.service.schemas import Brief, OutcomeIn, OutcomeOut

router = APIRouter(tags=["service"])


async def _write_session(session: SessionDep) -> AsyncSession:
    await begin_write(session)
    return session


WriteSessionDep = Annotated[AsyncSession, Depends(_write_session)]

_AUTH_ERRORS = (DeviceNotEnrolledError, NotAuthenticatedError, SessionExpiredError)
_ACCESS_ERRORS = (
    ChannelUnknownError,
    RoleNotAllowedError,
    ChannelNotAllowedError,
    CustomerOutOfScopeError,
)


@router.get(
    "/customers/{number}/brief",
    response_model=Brief,
    responses=error_responses(*_AUTH_ERRORS, *_ACCESS_ERRORS, CustomerNumberNotFoundError),
    summary="The customer brief, as the caller's role may see it on a channel",
)
async def get_brief(
    number: str,
    channel: str,
    request: Request,
    response: Response,
    session: WriteSessionDep,
    principal: StaffPrincipalDep,
) -> Brief:
    """Masked identity, tier, assets (not for tellers), care prompts, the leads this role may
    present on this channel (`tablet`, `counter` or `crm`; at most K suggested per visit, the
    ones colleagues already offered listed apart with who and when), and today's visit with
    its timeline, needs and open hand-offs. For staff whose subtree holds the customer's home
    outlet, or an outlet the customer visits today. Every read writes an audit row."""
    # The locale and the settings straight from the request (each dependency FastAPI solves
    # costs more than the lookup itself, on the busiest endpoint of the branch).
    brief = await customer_brief(
        session,
        principal,
        number,
        channel=channel,
        locale=locale_of(request),
        settings=request.app.state.settings,
    )
    response.headers["Cache-Control"] = "no-store"
    return brief


@router.post(
    "/leads/{lead_id}/outcome",
    response_model=OutcomeOut,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(
        *_AUTH_ERRORS,
        CSRFError,
        *_ACCESS_ERRORS,
        LeadNotAllowedError,
        LeadNotFoundError,
        VisitNotFoundError,
        LeadUnsuitableError,
        LeadClosedError,
        OutcomeNotAllowedError,
        NotSoldOnTheSpotError,
        InvalidOutcomeError,
    ),
    summary="Record what happened when a lead was offered",
)
async def post_outcome(
    lead_id: int,
    body: OutcomeIn,
    response: Response,
    session: WriteSessionDep,
    principal: StaffPrincipalDep,
    locale: LocaleDep,
) -> OutcomeOut:
    """One tap: accepted (with `completed` when the sale was completed on the spot, for
    products sold so: the lead converts now), declined (with a reason code), deferred (with a
    follow-up date), not presented, or already has it. Tied to the customer's visit today
    and announced to everyone serving it."""
    recorded = await record_offer_outcome(session, principal, lead_id, body, locale)
    response.headers["Cache-Control"] = "no-store"
    return recorded
