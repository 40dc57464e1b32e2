"""``/api/v1/auth``: staff sign-in from an enrolled device."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request, Response

from smartbranch.auth import service
from smartbranch.auth.dependencies import DEVICE_HEADER, StaffPrincipalDep
from smartbranch.auth.schemas import LoginRequest, LoginResponse, StaffOut
from smartbranch.errors import DeviceNotEnrolledError
from smartbranch.http import SessionDep, SettingsDep, error_responses

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/login",
    response_model=LoginResponse,
    responses=error_responses(
        DeviceNotEnrolledError,
        service.LoginFailedError,
        service.DeviceKindNotAllowedError,
        service.DeviceOutOfScopeError,
    ),
)
async def login(
    body: LoginRequest, request: Request, session: SessionDep, settings: SettingsDep
) -> LoginResponse:
    """Sign in with username and password from an enrolled staff device (header token)."""
    device = await service.authenticate_device(session, request.headers.get(DEVICE_HEADER))
    staff, token = await service.login(
        session,
        device,
        username=body.username,
        password=body.password,
        ttl=timedelta(minutes=settings.session_ttl_minutes),
    )
    return LoginResponse(
        session_token=token,
        staff=StaffOut(
            username=staff.username,
            display_name=staff.display_name,
            role=staff.role,
            org_unit_id=staff.org_unit_id,
        ),
    )


@router.post("/logout", status_code=204)
async def logout(principal: StaffPrincipalDep, session: SessionDep) -> Response:
    """End the current staff session."""
    assert principal.staff is not None
    await service.logout(session, principal.staff)
    return Response(status_code=204)
