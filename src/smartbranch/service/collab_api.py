"""``/api/v1``: needs, hand-offs and the visit timeline — working together on a visit.

Who may do what (see ``service.collab``): signed-in staff of a serving role (lobby, wealth,
account and outlet managers, tellers) on the visits of outlets in their part of the bank,
and a customer's own account manager wherever the customer comes in. A hand-off is
accepted by its named colleague or by someone of its role on duty at the outlet, completed
by whoever accepted it, withdrawn by whoever made it.

State changes take the database's write lock first (``WriteSessionDep``, declared before the
principal so it is solved first), as the queue's do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, status
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.dependencies import StaffPrincipalDep
from smartbranch.auth.service import SessionExpiredError
from smartbranch.customers.service import RoleNotAllowedError
from smartbranch.db import begin_write
from smartbranch.errors import AppError, CSRFError, DeviceNotEnrolledError, NotAuthenticatedError
from smartbranch.http import LocaleDep, SessionDep, error_responses
from smartbranch.service import collab
from smartbranch.service.schemas import (
    FollowUpOut,
    HandoffIn,
    HandoffOut,
    NeedIn,
    NeedOut,
    TimelineEntry,
)

router = APIRouter(tags=["visits"])


async def write_session(session: SessionDep) -> AsyncSession:
    """The request's unit of work, begun as a writer."""
    await begin_write(session)
    return session


WriteSessionDep = Annotated[AsyncSession, Depends(write_session)]

AUTH_ERRORS: tuple[type[AppError], ...] = (
    DeviceNotEnrolledError,
    NotAuthenticatedError,
    SessionExpiredError,
    CSRFError,
)


@router.post(
    "/visits/{visit_id}/needs",
    response_model=NeedOut,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(*AUTH_ERRORS, *collab.COLLAB_ERRORS, collab.InvalidNeedError),
    summary="Capture a customer's need",
)
async def capture_need(
    visit_id: int,
    body: NeedIn,
    session: WriteSessionDep,
    principal: StaffPrincipalDep,
    locale: LocaleDep,
) -> NeedOut:
    """Note what the customer came for — a product category or product, an amount, a note
    (card and ID numbers typed into it are redacted) — once, so nobody asks again. Everyone
    serving the visit sees it at once."""
    return await collab.capture_need(session, principal, visit_id, body, locale=locale)


@router.post(
    "/visits/{visit_id}/handoffs",
    response_model=HandoffOut,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(
        *AUTH_ERRORS,
        *collab.COLLAB_ERRORS,
        collab.InvalidHandoffError,
        collab.HandoffToSelfError,
        collab.HandoffExistsError,
    ),
    summary="Hand the customer off to a colleague",
)
async def create_handoff(
    visit_id: int,
    body: HandoffIn,
    session: WriteSessionDep,
    principal: StaffPrincipalDep,
    locale: LocaleDep,
) -> HandoffOut:
    """Refer the customer to a role at the outlet (anyone of it on duty may take it) or to a
    named colleague of the branch (or the customer's own account manager), optionally with
    a need of this visit. The recipients are told at once."""
    return await collab.create_handoff(session, principal, visit_id, body, locale=locale)


HandoffStep = Callable[..., Awaitable[HandoffOut]]


def _step_endpoint(action: HandoffStep, path: str, summary: str) -> None:
    async def endpoint(
        handoff_id: int,
        session: WriteSessionDep,
        principal: StaffPrincipalDep,
        locale: LocaleDep,
    ) -> HandoffOut:
        return await action(session, principal, handoff_id, locale=locale)

    endpoint.__doc__ = action.__doc__
    router.add_api_route(
        f"/handoffs/{{handoff_id}}/{path}",
        endpoint,
        methods=["POST"],
        response_model=HandoffOut,
        responses=error_responses(*AUTH_ERRORS, *collab.HANDOFF_STEP_ERRORS),
        summary=summary,
        name=f"handoff_{path}",
    )


_step_endpoint(collab.accept_handoff, "accept", "Accept a hand-off")
_step_endpoint(collab.complete_handoff, "done", "Mark a hand-off done")
_step_endpoint(collab.cancel_handoff, "cancel", "Withdraw a hand-off")


@router.get(
    "/handoffs/mine",
    response_model=list[HandoffOut],
    responses=error_responses(*AUTH_ERRORS, RoleNotAllowedError),
    summary="My hand-offs",
)
async def my_handoffs(
    session: SessionDep, principal: StaffPrincipalDep, locale: LocaleDep
) -> list[HandoffOut]:
    """Today's hand-offs for me, newest first: addressed to me by name, to my role where I
    am on duty, or accepted by me and not yet done. Audited."""
    return await collab.my_handoffs(session, principal, locale)


@router.get(
    "/follow-ups/mine",
    response_model=list[FollowUpOut],
    responses=error_responses(*AUTH_ERRORS, RoleNotAllowedError),
    summary="My follow-ups",
)
async def my_follow_ups(
    session: SessionDep, principal: StaffPrincipalDep, locale: LocaleDep
) -> list[FollowUpOut]:
    """Deferred leads due for a follow-up in the next two weeks, soonest first: leads I
    presented and leads of the customers I manage. Audited."""
    return await collab.my_follow_ups(session, principal, locale)


@router.get(
    "/visits/{visit_id}/timeline",
    response_model=list[TimelineEntry],
    responses=error_responses(
        *AUTH_ERRORS,
        RoleNotAllowedError,
        collab.VisitNotFoundError,
        collab.VisitOutOfScopeError,
    ),
    summary="A visit's timeline",
)
async def visit_timeline(
    visit_id: int, session: SessionDep, principal: StaffPrincipalDep, locale: LocaleDep
) -> list[TimelineEntry]:
    """Every step of the customer's visit, oldest first: arrival, tickets and calls, needs,
    hand-offs and offers. A read of the customer's record: audited, never cached."""
    return await collab.timeline_of_visit(session, principal, visit_id, locale)
