"""The cookies the pages set: the device token and the staff session token.

Both are HttpOnly (no script can read them) and SameSite=Strict (no other site can make a
browser send them). ``Secure`` follows ``settings.cookie_secure``, which only a developer
serving plain HTTP on their own machine turns off.
"""

from __future__ import annotations

from starlette.responses import Response

from smartbranch.auth.dependencies import DEVICE_COOKIE, SESSION_COOKIE
from smartbranch.settings import Settings

#: Browsers cap a cookie's lifetime at 400 days; the device's home pages renew it.
DEVICE_COOKIE_MAX_AGE = 400 * 24 * 3600


def set_device_cookie(response: Response, token: str, settings: Settings) -> None:
    """Remember this browser's device token."""
    response.set_cookie(
        DEVICE_COOKIE,
        token,
        max_age=DEVICE_COOKIE_MAX_AGE,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
    )


def clear_device_cookie(response: Response, settings: Settings) -> None:
    """Forget this browser's device token."""
    response.delete_cookie(
        DEVICE_COOKIE, httponly=True, secure=settings.cookie_secure, samesite="strict"
    )


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    """Remember the staff session token for as long as the session lives."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_ttl_minutes * 60,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="strict",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    """Drop the staff session token."""
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, secure=settings.cookie_secure, samesite="strict"
    )
