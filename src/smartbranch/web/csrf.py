"""CSRF protection of the pages.

A page's forms carry a token bound to the token hash of the staff session (when signed in)
or of the device (:func:`smartbranch.auth.tokens.csrf_token`); HTMX sends the same token as
the ``X-CSRF-Token`` header. The dependency that authenticates a request decides what the
token is bound to and calls :func:`bind`, so the page it renders and the check of the next
post agree.

Before a device is activated there is no token to bind to; the activation form is checked
with :func:`require_same_origin` instead.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from smartbranch.auth.dependencies import CSRF_HEADER, SAFE_METHODS
from smartbranch.auth.tokens import csrf_token, csrf_valid
from smartbranch.errors import CSRFError

FIELD = "csrf_token"
HEADER = CSRF_HEADER


def bind(request: Request, bound_to: str) -> None:
    """Record what this request's CSRF token is bound to (read by :func:`token_for`)."""
    request.state.csrf_bound_to = bound_to


def token_for(request: Request) -> str | None:
    """The CSRF token for the forms of this request's page (None before :func:`bind`)."""
    bound_to: str | None = getattr(request.state, "csrf_bound_to", None)
    if bound_to is None:
        return None
    secret: bytes = request.app.state.secret_key
    return csrf_token(secret, bound_to)


async def presented_token(request: Request) -> str | None:
    """The token sent with the request: the header (HTMX) or the form field."""
    header = request.headers.get(HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    # Starlette caches the parsed form, so the endpoint's Form() parameters reuse it.
    value = (await request.form()).get(FIELD)
    return value if isinstance(value, str) else None


async def protect(request: Request, bound_to: str) -> None:
    """Bind the page's token to ``bound_to`` and, for a state-changing request, require it."""
    bind(request, bound_to)
    if request.method in SAFE_METHODS:
        return
    secret: bytes = request.app.state.secret_key
    if not csrf_valid(secret, bound_to, await presented_token(request)):
        raise CSRFError()


def require_same_origin(request: Request) -> None:
    """Refuse a state-changing request that a browser sent from another site.

    Fetch metadata (``Sec-Fetch-Site``) is the primary signal: browsers set it themselves
    and no page can forge it, and it does not depend on the referrer policy. Browsers too old
    to send it fall back to ``Origin`` and then ``Referer``. Our ``Referrer-Policy:
    no-referrer`` makes browsers send ``Origin: null`` on posts; pages whose forms rely on
    this check relax the policy to ``same-origin`` with a ``<meta name="referrer">``.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        if site == "same-origin":
            return
        raise CSRFError()
    own = request.url.netloc
    origin = request.headers.get("origin")
    if origin and origin != "null":
        if urlsplit(origin).netloc == own:
            return
        raise CSRFError()
    referer = request.headers.get("referer")
    if referer and urlsplit(referer).netloc == own:
        return
    raise CSRFError()
