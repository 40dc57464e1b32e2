"""The service API: identification as an arrival, the staff live stream, the lobby's visits
and the outlets' arrival routes.

- ``POST /identify``: who is this customer (as the customers domain answers it) — and, at a
  kiosk, tablet or counter, their arrival: today's visit, and the staff told of it.
- ``GET /events/stream``: Server-Sent Events for the signed-in member of staff.
- ``GET /outlets/{outlet}/visits``: today's visits at an outlet (the lobby overview).
- ``GET|PUT /outlets/{outlet}/arrival-routes``: who is told of arrivals and calls there.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import StreamingResponse

from smartbranch import credentials
from smartbranch.auth.dependencies import PrincipalDep, StaffPrincipalDep
from smartbranch.auth.models import STAFF_DEVICE_KINDS
from smartbranch.auth.service import DeviceKindNotAllowedError, Principal, SessionExpiredError
from smartbranch.customers import service as customers
from smartbranch.customers.disclosure import RECORD_DISCLOSURE
from smartbranch.customers.schemas import IdentifyRequest, IdentifyResponse
from smartbranch.customers.tiers import TIER_LABELS
from smartbranch.errors import (
    CSRFError,
    DeviceNotEnrolledError,
    ForbiddenError,
    NotAuthenticatedError,
)
from smartbranch.http import (
    LocaleDep,
    SessionDep,
    SettingsDep,
    WriteSessionDep,
    error_responses,
)
from smartbranch.i18n import N_, translate
from smartbranch.orgs.models import OrgUnit, Role
from smartbranch.orgs.service import OutletNotFoundError, get_outlet_by_code, within
from smartbranch.service import arrivals, events, routing, stream, visits
from smartbranch.service.schemas import VisitOut

router = APIRouter()

#: How long one stream connection lasts before the browser reconnects (``Last-Event-ID``).
STREAM_SECONDS = 300.0
#: Who may read and change an outlet's arrival routes.
ROUTE_ADMIN_ROLES = frozenset({Role.ADMIN, Role.OUTLET_MANAGER})


class OutletOutOfScopeError(ForbiddenError):
    code = "outlet_out_of_scope"
    message = N_("Outlet {outlet} is outside your part of the bank.")


class RoutesRoleNotAllowedError(ForbiddenError):
    code = "routes_role_not_allowed"
    message = N_("Only an administrator or the outlet manager may see or change its routes.")


AUTH_ERRORS = (DeviceNotEnrolledError, NotAuthenticatedError, SessionExpiredError, CSRFError)


# --- identify -----------------------------------------------------------------------------

IDENTIFY_ERRORS = (
    *credentials.CREDENTIAL_ERRORS,
    DeviceNotEnrolledError,
    NotAuthenticatedError,
    SessionExpiredError,
    DeviceKindNotAllowedError,
    customers.DeviceOutletMismatchError,
    CSRFError,
    OutletNotFoundError,
    customers.CustomerNotFoundError,
    customers.CredentialInactiveError,
)


@router.post(
    "/identify",
    tags=["customers"],
    response_model=IdentifyResponse,
    responses=error_responses(*IDENTIFY_ERRORS),
    summary="Identify a customer from a card, passbook or resident ID",
)
async def identify(
    body: IdentifyRequest,
    request: Request,
    session: WriteSessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    locale: LocaleDep,
) -> IdentifyResponse:
    """Validate, hash and look up the credential. A kiosk learns only the greeting, the tier
    and an opaque reference for taking a ticket; a staff device with a signed-in member of
    staff also learns the customer number of customers in their scope. Every call that finds
    a customer writes an audit row. At a kiosk, tablet or counter it is also the customer's
    arrival: today's visit is opened and the outlet's staff are told."""
    if principal.device.kind in STAFF_DEVICE_KINDS and principal.staff is None:
        raise NotAuthenticatedError()
    outcome = await arrivals.identify_arrival(
        session,
        principal,
        request.app.state.hasher,
        outlet_code=body.outlet,
        kind=body.credential.kind,
        value=body.credential.value,
        ttl=timedelta(seconds=settings.identification_ttl_seconds),
    )
    found = outcome.identified
    return IdentifyResponse(
        greeting=customers.greeting_for(found, locale),
        tier=found.tier,
        tier_label=translate(TIER_LABELS[found.tier], locale),
        reference=found.reference,
        expires_at=found.expires_at,
        customer_number=found.customer_number if found.in_scope else None,
    )


# --- the live stream ----------------------------------------------------------------------


def stream_sessions(request: Request) -> stream.Sessions:
    """Short sessions for the stream's reads: one per read, so a connection open for
    minutes never holds a transaction (the request's own session commits before streaming)."""
    maker: stream.Sessions = request.app.state.sessionmaker
    return maker


def stream_seconds() -> float:
    """How long one stream connection lasts."""
    return STREAM_SECONDS


def heartbeat_seconds() -> float:
    """How often an idle stream sends a keep-alive (and checks the staff session)."""
    return stream.HEARTBEAT_SECONDS


StreamSessionsDep = Annotated[stream.Sessions, Depends(stream_sessions)]
StreamSecondsDep = Annotated[float, Depends(stream_seconds)]
HeartbeatSecondsDep = Annotated[float, Depends(heartbeat_seconds)]


@router.get(
    "/events/stream",
    tags=["events"],
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "SSE frames: `id` (the event id), `event` (its kind) and `data` "
            "(a `StreamEvent` as JSON). A comment keeps the connection alive.",
        },
        **error_responses(*AUTH_ERRORS),
    },
    summary="Live events for the signed-in member of staff (Server-Sent Events)",
)
async def event_stream(
    session: SessionDep,
    principal: StaffPrincipalDep,
    sessions: StreamSessionsDep,
    lifetime: StreamSecondsDep,
    heartbeat: HeartbeatSecondsDep,
    after: Annotated[int | None, Query(ge=0, description="First connect: resume here.")] = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """The events addressed to the signed-in member of staff: customers arriving and called,
    visits changing, hand-offs, outcomes. A reconnect sends ``Last-Event-ID`` and receives
    exactly what it missed first; without a cursor the stream starts with what happens next.
    The stream ends after a few minutes (the browser reconnects) or when the session ends."""
    staff = principal.staff
    assert staff is not None
    cursor = stream.parse_cursor(last_event_id, after)
    if cursor is None:
        cursor = await events.latest_event_id(session)
    return StreamingResponse(
        stream.staff_stream(
            sessions=sessions,
            staff_id=staff.id,
            session_id=staff.session_id,
            cursor=cursor,
            lifetime=lifetime,
            heartbeat=heartbeat,
        ),
        media_type="text/event-stream",
        headers={"X-Accel-Buffering": "no"},
    )


# --- visits -------------------------------------------------------------------------------


async def _outlet_in_scope(session: SessionDep, principal: Principal, outlet_code: str) -> OrgUnit:
    outlet = await get_outlet_by_code(session, outlet_code)
    staff = principal.staff
    assert staff is not None
    if not within(outlet.path, staff.org_path):
        raise OutletOutOfScopeError(outlet=outlet_code)
    return outlet


@router.get(
    "/outlets/{outlet}/visits",
    tags=["visits"],
    response_model=list[VisitOut],
    responses=error_responses(
        *AUTH_ERRORS,
        customers.RoleNotAllowedError,
        OutletOutOfScopeError,
        OutletNotFoundError,
    ),
    summary="Today's visits at an outlet (the lobby overview)",
)
async def outlet_visits(
    outlet: str,
    session: SessionDep,
    principal: StaffPrincipalDep,
    locale: LocaleDep,
    include_closed: bool = False,
) -> list[VisitOut]:
    """Who is in the outlet today — tier, ticket and wait, care alerts, open hand-offs —
    newest first; with ``include_closed``, those who have left as well. For staff who serve
    customers, within their part of the bank. Every listed customer is an audited read."""
    staff = principal.staff
    assert staff is not None
    if staff.role not in RECORD_DISCLOSURE:
        raise customers.RoleNotAllowedError()
    unit = await _outlet_in_scope(session, principal, outlet)
    return await visits.current_visits(
        session,
        principal,
        unit.id,
        visits.business_day_at(unit),
        locale=locale,
        include_closed=include_closed,
    )


# --- arrival routes -----------------------------------------------------------------------


class RouteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trigger: str = Field(max_length=12, description="`arrived` or `called`.")
    audience: str = Field(
        max_length=20, description="`role`, `account_manager` or `counter_staff`."
    )
    role: str | None = Field(
        default=None, max_length=32, description="Only (and always) for audience `role`."
    )
    min_tier: str = Field(default="standard", max_length=16, description="Lowest tier told.")
    active: bool = True


class RoutesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    routes: list[RouteIn] = Field(
        max_length=100,
        description="The outlet's own routes; they replace the bank's defaults for each "
        "trigger they name (an inactive route switches a default off). Empty: the defaults.",
    )


class RouteOut(BaseModel):
    trigger: str
    audience: str
    role: str | None
    min_tier: str
    active: bool


class ArrivalRoutesOut(BaseModel):
    outlet: str
    own: list[RouteOut] = Field(description="The outlet's own routes.")
    defaults: list[RouteOut] = Field(description="The bank's defaults.")
    effective: list[RouteOut] = Field(description="What is in force at the outlet.")


def _routes_out(outlet: str, routes: routing.OutletRoutes) -> ArrivalRoutesOut:
    def out(items: list[routing.Route]) -> list[RouteOut]:
        return [RouteOut.model_validate(r.as_json()) for r in items]

    return ArrivalRoutesOut(
        outlet=outlet,
        own=out(routes.own),
        defaults=out(routes.defaults),
        effective=out(routes.effective),
    )


async def _route_admin_outlet(
    session: SessionDep, principal: Principal, outlet_code: str
) -> OrgUnit:
    staff = principal.staff
    assert staff is not None
    if staff.role not in ROUTE_ADMIN_ROLES:
        raise RoutesRoleNotAllowedError()
    return await _outlet_in_scope(session, principal, outlet_code)


ROUTES_READ_ERRORS: tuple[Any, ...] = (
    *AUTH_ERRORS,
    RoutesRoleNotAllowedError,
    OutletOutOfScopeError,
    OutletNotFoundError,
)


@router.get(
    "/outlets/{outlet}/arrival-routes",
    tags=["visits"],
    response_model=ArrivalRoutesOut,
    responses=error_responses(*ROUTES_READ_ERRORS),
    summary="Who is told when a customer arrives at an outlet or is called",
)
async def get_arrival_routes(
    outlet: str, session: SessionDep, principal: StaffPrincipalDep
) -> ArrivalRoutesOut:
    """The outlet's own routes, the bank's defaults and what is in force. Administrators
    (of the outlet's part of the bank) and the outlet's manager."""
    unit = await _route_admin_outlet(session, principal, outlet)
    return _routes_out(unit.code, await routing.outlet_routes(session, unit.id))


@router.put(
    "/outlets/{outlet}/arrival-routes",
    tags=["visits"],
    response_model=ArrivalRoutesOut,
    responses=error_responses(*ROUTES_READ_ERRORS, *routing.ROUTE_ERRORS),
    summary="Replace an outlet's own arrival routes",
)
async def put_arrival_routes(
    outlet: str, body: RoutesIn, session: SessionDep, principal: StaffPrincipalDep
) -> ArrivalRoutesOut:
    """Replace the outlet's own routes, all checked before anything changes. A route names a
    trigger (`arrived`, `called`), an audience (a `role` on duty at the outlet, the customer's
    own `account_manager` wherever signed in, or the `counter_staff` who called) and the
    lowest tier it applies to."""
    unit = await _route_admin_outlet(session, principal, outlet)
    replaced = await routing.replace_routes(
        session, unit.id, [route.model_dump() for route in body.routes]
    )
    return _routes_out(unit.code, replaced)
