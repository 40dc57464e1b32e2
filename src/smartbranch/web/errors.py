"""Errors on the pages: an :class:`AppError` becomes a page (or an HTMX fragment) in the
user's language with the error's HTTP status; ``/api/`` keeps its JSON.

The handlers replace the app's JSON ones and hand ``/api/`` requests back to them, so one
handler per exception type serves both worlds.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from smartbranch.errors import AppError, DeviceNotEnrolledError, NotAuthenticatedError
from smartbranch.http import app_error_handler, validation_error_handler
from smartbranch.i18n import N_, translate
from smartbranch.settings import Settings
from smartbranch.web.cookies import clear_session_cookie
from smartbranch.web.navigation import LOGIN_URL
from smartbranch.web.templating import is_htmx, page_locale, render

API_PREFIX = "/api/"
GENERIC_PARTIAL = "partials/error.html"

_HTTP_MESSAGES = {
    404: N_("This page does not exist."),
    405: N_("This page cannot be used this way."),
}
_FALLBACK_MESSAGE = N_("Something went wrong.")
_MALFORMED_MESSAGE = N_("The form was not filled in correctly. Please try again.")


class ErrorPartial:
    """Route dependency naming the fragment an HTMX request's errors are rendered into.

    Declared in a route's ``dependencies=[...]`` it runs before the route's other
    dependencies, so even a failed device check is shown in the right place on the screen.
    """

    def __init__(self, template: str) -> None:
        self.template = template

    def __call__(self, request: Request) -> None:
        """Remember the fragment for this request's error handler."""
        request.state.error_partial = self.template


def is_api(request: Request) -> bool:
    """Whether the request is for the JSON API."""
    return request.url.path.startswith(API_PREFIX)


def _error_page(
    request: Request,
    *,
    status_code: int,
    message: str,
    code: str,
    headers: dict[str, str] | None = None,
) -> Response:
    context = {"status_code": status_code, "message": message, "code": code}
    if is_htmx(request):
        template = getattr(request.state, "error_partial", None) or GENERIC_PARTIAL
    elif code == DeviceNotEnrolledError.code:
        template = "errors/not_enrolled.html"
    else:
        template = "errors/error.html"
    return render(request, template, context, status_code=status_code, headers=headers)


def _to_sign_in(request: Request) -> Response:
    # A page that needs a signed-in member of staff sends the browser to the sign-in page
    # and drops a session cookie that no longer works.
    response: Response
    if is_htmx(request):
        response = Response(status_code=401, headers={"HX-Redirect": LOGIN_URL})
    else:
        response = RedirectResponse(LOGIN_URL, status_code=303)
    settings: Settings = request.app.state.settings
    clear_session_cookie(response, settings)
    return response


async def page_app_error_handler(request: Request, exc: Exception) -> Response:
    """An :class:`AppError` as JSON for the API, as a page or fragment otherwise."""
    assert isinstance(exc, AppError)
    if is_api(request):
        return await app_error_handler(request, exc)
    if isinstance(exc, NotAuthenticatedError):
        return _to_sign_in(request)
    return _error_page(
        request,
        status_code=exc.status_code,
        message=exc.localized(page_locale(request)),
        code=exc.code,
    )


async def page_http_exception_handler(request: Request, exc: Exception) -> Response:
    """Not found and friends: a page in the user's language (FastAPI's JSON for the API)."""
    assert isinstance(exc, StarletteHTTPException)
    if is_api(request):
        return await http_exception_handler(request, exc)
    message = _HTTP_MESSAGES.get(exc.status_code, _FALLBACK_MESSAGE)
    return _error_page(
        request,
        status_code=exc.status_code,
        message=translate(message, page_locale(request)),
        code="not_found" if exc.status_code == 404 else "http_error",
        headers=dict(exc.headers) if exc.headers else None,
    )


async def page_validation_error_handler(request: Request, exc: Exception) -> Response:
    """A malformed form post (422): a page that does not echo what was sent."""
    if is_api(request):
        return await validation_error_handler(request, exc)
    assert isinstance(exc, RequestValidationError)
    return _error_page(
        request,
        status_code=422,
        message=translate(_MALFORMED_MESSAGE, page_locale(request)),
        code="validation_error",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Route errors to the handlers above (they delegate ``/api/`` to the JSON ones)."""
    app.add_exception_handler(AppError, page_app_error_handler)
    app.add_exception_handler(StarletteHTTPException, page_http_exception_handler)
    app.add_exception_handler(RequestValidationError, page_validation_error_handler)
