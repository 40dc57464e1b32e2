"""Who is using a page: the device (``sb_device`` cookie) and the signed-in staff member
(``sb_session`` cookie).

The authentication itself is the auth service's (:func:`~smartbranch.auth.service.
authenticate_device`, :func:`~smartbranch.auth.service.authenticate_session`), as in
:func:`smartbranch.auth.dependencies.get_principal`. What differs for pages: a browser
only ever authenticates by cookie, and a plain HTML form cannot set a header, so the CSRF
token is accepted from the form field as well as from ``X-CSRF-Token``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from smartbranch.auth import service
from smartbranch.auth.dependencies import DEVICE_COOKIE, SESSION_COOKIE
from smartbranch.auth.models import STAFF_DEVICE_KINDS
from smartbranch.auth.service import (
    DeviceInfo,
    DeviceKindNotAllowedError,
    Principal,
    SessionExpiredError,
    StaffInfo,
)
from smartbranch.errors import DeviceNotEnrolledError, NotAuthenticatedError
from smartbranch.http import SessionDep
from smartbranch.web import csrf


async def page_device(request: Request, session: SessionDep) -> DeviceInfo:
    """The enrolled device of this browser; a post must carry the device-bound CSRF token.

    Pages that only need the device (the kiosk, the sign-in form) use this, and ignore any
    staff session cookie.
    """
    device = await service.authenticate_device(session, request.cookies.get(DEVICE_COOKIE))
    await csrf.protect(request, device.token_hash)
    return device


PageDeviceDep = Annotated[DeviceInfo, Depends(page_device)]


async def optional_page_device(request: Request, session: SessionDep) -> DeviceInfo | None:
    """The enrolled device of this browser, or None (for the activation page)."""
    try:
        device = await service.authenticate_device(session, request.cookies.get(DEVICE_COOKIE))
    except DeviceNotEnrolledError:
        return None
    csrf.bind(request, device.token_hash)
    return device


OptionalPageDeviceDep = Annotated[DeviceInfo | None, Depends(optional_page_device)]


async def page_principal(request: Request, session: SessionDep) -> Principal:
    """The device and, when signed in, the staff member; a post must carry the CSRF token
    bound to the staff session (or to the device when nobody is signed in)."""
    device = await service.authenticate_device(session, request.cookies.get(DEVICE_COOKIE))
    staff = await service.authenticate_session(session, device, request.cookies.get(SESSION_COOKIE))
    await csrf.protect(request, staff.session_token_hash if staff else device.token_hash)
    principal = Principal(device=device, staff=staff)
    request.state.principal = principal
    return principal


PagePrincipalDep = Annotated[Principal, Depends(page_principal)]


async def page_staff(principal: PagePrincipalDep) -> Principal:
    """A principal with a signed-in member of staff (else the sign-in page)."""
    if principal.staff is None:
        raise NotAuthenticatedError()
    return principal


PageStaffDep = Annotated[Principal, Depends(page_staff)]


def require_staff_device(device: DeviceInfo) -> None:
    """Staff sign in only on staff devices (tablet, counter, channel), never on a kiosk."""
    if device.kind not in STAFF_DEVICE_KINDS:
        raise DeviceKindNotAllowedError()


async def current_staff(
    request: Request, session: SessionDep, device: DeviceInfo
) -> StaffInfo | None:
    """The staff member signed in on ``device`` by this browser's session cookie, or None
    (an ended session counts as nobody, so the sign-in page never loops)."""
    try:
        return await service.authenticate_session(
            session, device, request.cookies.get(SESSION_COOKIE)
        )
    except SessionExpiredError:
        return None
