"""Staff sign-in and sign-out on an enrolled staff device."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from smartbranch.auth import service
from smartbranch.auth.dependencies import DEVICE_COOKIE
from smartbranch.auth.service import DeviceInfo, DeviceOutOfScopeError, LoginFailedError
from smartbranch.http import SessionDep, SettingsDep
from smartbranch.orgs.service import get_org_by_code
from smartbranch.web.cookies import (
    clear_session_cookie,
    set_device_cookie,
    set_session_cookie,
)
from smartbranch.web.deps import PageDeviceDep, PageStaffDep, current_staff, require_staff_device
from smartbranch.web.labels import device_kind_label, org_name
from smartbranch.web.navigation import LOGIN_URL, WORKBENCH_URL, org_code_of
from smartbranch.web.templating import PageLocaleDep, render

router = APIRouter(include_in_schema=False)

# Same bounds as the JSON API's LoginRequest; longer input fails like a wrong password
# without being hashed.
MAX_USERNAME_LENGTH = 64
MAX_PASSWORD_LENGTH = 256


async def _login_page(
    request: Request,
    session: SessionDep,
    device: DeviceInfo,
    locale: str,
    *,
    username: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    org = await get_org_by_code(session, org_code_of(device.org_path))
    context = {
        "username": username,
        "error": error,
        "org_name": org_name(org.name, org.name_en, locale),
        "device_kind": device_kind_label(device.kind, locale),
    }
    return render(request, "auth/login.html", context, status_code=status_code)


@router.get("/login")
async def login_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    locale: PageLocaleDep,
    device: PageDeviceDep,
) -> Response:
    """The sign-in form (or the workbench, for whoever is already signed in here)."""
    require_staff_device(device)
    if await current_staff(request, session, device) is not None:
        return RedirectResponse(WORKBENCH_URL, status_code=303)
    response = await _login_page(request, session, device, locale)
    # The staff device's home page renews its cookie, so a device in daily use never
    # reaches the cookie's maximum age.
    token = request.cookies.get(DEVICE_COOKIE)
    if token:
        set_device_cookie(response, token, settings)
    return response


@router.post("/login")
async def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    locale: PageLocaleDep,
    device: PageDeviceDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    """Check the password and start a session; the form again, with the reason, if not."""
    require_staff_device(device)
    try:
        if len(username) > MAX_USERNAME_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
            raise LoginFailedError()
        staff, token = await service.login(
            session,
            device,
            username=username,
            password=password,
            ttl=timedelta(minutes=settings.session_ttl_minutes),
        )
    except (LoginFailedError, DeviceOutOfScopeError) as error:
        # Nothing was written; the password is never sent back.
        return await _login_page(
            request,
            session,
            device,
            locale,
            username=username[:MAX_USERNAME_LENGTH],
            error=error.localized(locale),
            status_code=error.status_code,
        )
    # Whoever was signed in on this browser before is signed out, so a shared device never
    # keeps two live sessions.
    previous = await current_staff(request, session, device)
    if previous is not None and previous.session_id != staff.session_id:
        await service.logout(session, previous)
    response = RedirectResponse(WORKBENCH_URL, status_code=303)
    set_session_cookie(response, token, settings)
    return response


@router.post("/logout")
async def logout(session: SessionDep, settings: SettingsDep, principal: PageStaffDep) -> Response:
    """End the session and go back to the sign-in form."""
    assert principal.staff is not None
    await service.logout(session, principal.staff)
    response = RedirectResponse(LOGIN_URL, status_code=303)
    clear_session_cookie(response, settings)
    return response
