"""Who is calling: the device (always) and the staff member (when signed in)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from smartbranch.auth import service
from smartbranch.auth.service import Principal
from smartbranch.auth.tokens import csrf_valid
from smartbranch.errors import CSRFError, NotAuthenticatedError
from smartbranch.http import SessionDep

DEVICE_HEADER = "X-Device-Token"
DEVICE_COOKIE = "sb_device"
SESSION_COOKIE = "sb_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value else None


async def get_principal(request: Request, session: SessionDep) -> Principal:
    """Authenticate the device, then the staff session if one is presented.

    Header credentials (``X-Device-Token``, ``Authorization: Bearer``) suit API clients;
    cookies suit the pages. A state-changing request authenticated by cookie must carry the
    CSRF token, since a browser sends cookies on its own.
    """
    header_device = request.headers.get(DEVICE_HEADER)
    device_token = header_device or request.cookies.get(DEVICE_COOKIE)
    bearer = _bearer(request)
    session_token = bearer or request.cookies.get(SESSION_COOKIE)
    # One round trip for both (this runs on every request of the API).
    device, staff = await service.authenticate(session, device_token, session_token)
    by_cookie = header_device is None or (session_token is not None and bearer is None)
    if by_cookie and request.method not in SAFE_METHODS:
        bound_to = staff.session_token_hash if staff else device.token_hash
        secret: bytes = request.app.state.secret_key
        if not csrf_valid(secret, bound_to, request.headers.get(CSRF_HEADER)):
            raise CSRFError()
    principal = Principal(device=device, staff=staff)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def require_staff(request: Request, session: SessionDep) -> Principal:
    """A principal with a signed-in member of staff.

    Authenticates by calling :func:`get_principal` itself rather than depending on
    :data:`PrincipalDep`: one dependency fewer for FastAPI to solve on every staff request
    (a route takes one of the two, never both).
    """
    principal = await get_principal(request, session)
    if principal.staff is None:
        raise NotAuthenticatedError()
    return principal


StaffPrincipalDep = Annotated[Principal, Depends(require_staff)]
