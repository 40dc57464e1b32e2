"""Device activation: a browser becomes an enrolled device by holding its token in a cookie.

An administrator enrols a device (``smartbranch`` CLI or admin console) and gets a token
once, as text or as a link ``/device/activate#sbd_…``. The fragment never reaches a server
or its logs; a static script moves it into the form and removes it from the address bar.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from smartbranch.auth import service
from smartbranch.auth.dependencies import SESSION_COOKIE
from smartbranch.auth.service import DeviceInfo, SessionExpiredError
from smartbranch.errors import DeviceNotEnrolledError
from smartbranch.http import SessionDep, SettingsDep
from smartbranch.i18n import N_, translate
from smartbranch.orgs.service import get_org_by_code
from smartbranch.web import csrf
from smartbranch.web.cookies import clear_device_cookie, clear_session_cookie, set_device_cookie
from smartbranch.web.deps import OptionalPageDeviceDep, PageDeviceDep
from smartbranch.web.labels import device_kind_label, org_name
from smartbranch.web.navigation import ACTIVATE_URL, device_home, org_code_of
from smartbranch.web.templating import PageLocaleDep, render

router = APIRouter(include_in_schema=False)

#: Tokens are ``sbd_`` and 43 URL-safe characters; anything much longer is not one.
MAX_TOKEN_LENGTH = 128

INVALID_TOKEN = N_("This activation code is not valid, or the device has been deactivated.")


async def _enrolment(session: SessionDep, device: DeviceInfo, locale: str) -> dict[str, str]:
    org = await get_org_by_code(session, org_code_of(device.org_path))
    return {
        "kind": device_kind_label(device.kind, locale),
        "org_name": org_name(org.name, org.name_en, locale),
        "org_code": org.code,
        "home": device_home(device),
    }


@router.get("/")
async def home(device: OptionalPageDeviceDep) -> RedirectResponse:
    """The device's own page, or activation for a browser that is not a device yet."""
    return RedirectResponse(device_home(device) if device else ACTIVATE_URL, status_code=303)


@router.get("/device/activate")
async def activate_page(
    request: Request, session: SessionDep, locale: PageLocaleDep, device: OptionalPageDeviceDep
) -> Response:
    """The activation form, and this browser's current enrolment if it has one."""
    enrolment = await _enrolment(session, device, locale) if device else None
    return render(request, "device/activate.html", {"enrolment": enrolment, "error": None})


@router.post("/device/activate")
async def activate(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    locale: PageLocaleDep,
    token: Annotated[str, Form()] = "",
) -> Response:
    """Check the token and keep it in this browser's device cookie."""
    # No CSRF token can exist before the device does; refuse posts from other sites instead,
    # or a hostile page could enrol a victim's browser as the attacker's device.
    csrf.require_same_origin(request)
    token = token.strip()
    try:
        if len(token) > MAX_TOKEN_LENGTH:
            raise DeviceNotEnrolledError()
        device = await service.authenticate_device(session, token)
    except DeviceNotEnrolledError as error:
        context = {"enrolment": None, "error": translate(INVALID_TOKEN, locale)}
        return render(request, "device/activate.html", context, status_code=error.status_code)
    response = RedirectResponse(device_home(device), status_code=303)
    set_device_cookie(response, token, settings)
    # A session belongs to the device it began on; one from a previous device is void.
    if SESSION_COOKIE in request.cookies:
        clear_session_cookie(response, settings)
    return response


@router.post("/device/forget")
async def forget(
    request: Request, session: SessionDep, settings: SettingsDep, device: PageDeviceDep
) -> Response:
    """Make this browser an ordinary browser again (the enrolment itself stays; an
    administrator deactivates devices). Whoever is signed in here is signed out."""
    try:
        staff = await service.authenticate_session(
            session, device, request.cookies.get(SESSION_COOKIE)
        )
    except SessionExpiredError:
        staff = None
    if staff is not None:
        await service.logout(session, staff)
    response = RedirectResponse(ACTIVATE_URL, status_code=303)
    clear_device_cookie(response, settings)
    clear_session_cookie(response, settings)
    return response
