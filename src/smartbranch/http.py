"""HTTP plumbing shared by the JSON API and the pages: the unit of work, locale, errors."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.db import begin_write
from smartbranch.errors import AppError
from smartbranch.i18n import N_, negotiate_locale, translate
from smartbranch.logs import get_logger
from smartbranch.settings import Settings

LOCALE_COOKIE = "sb_lang"
_log = get_logger(__name__)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One unit of work per request: commits before the response is sent, rolls back on
    any error so that bad input changes nothing."""
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


# scope="function": the commit happens before the response leaves, so an acknowledged
# write is a committed write.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def write_session(session: SessionDep) -> AsyncSession:
    """The request's unit of work, begun as a writer: on SQLite a unit of work that reads
    and then writes under contention would otherwise fail with ``database is locked``
    rather than wait (a no-op on PostgreSQL, where row locks do the job)."""
    await begin_write(session)
    return session


#: Declare it before the principal in a route, so the write lock is taken first.
WriteSessionDep = Annotated[AsyncSession, Depends(write_session)]


async def get_settings_dep(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def locale_of(request: Request) -> str:
    """The user's language: ``?lang=``, then the language cookie, then Accept-Language for
    API clients, else the bank's default (Simplified Chinese)."""
    explicit = request.query_params.get("lang") or request.cookies.get(LOCALE_COOKIE)
    if explicit:
        return negotiate_locale(explicit)
    accept = request.headers.get("accept-language")
    if accept:
        return negotiate_locale(accept.split(",")[0].split(";")[0].strip())
    default: str = request.app.state.settings.default_locale
    return default


async def request_locale(request: Request) -> str:
    """Dependency form of :func:`locale_of` (async, so it runs without a threadpool hop)."""
    return locale_of(request)


LocaleDep = Annotated[str, Depends(request_locale)]


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: list[dict[str, Any]] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


def error_responses(*errors: type[AppError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` documenting every error code an endpoint can answer with."""
    by_status: dict[int, list[type[AppError]]] = {}
    for error in errors:
        by_status.setdefault(error.status_code, []).append(error)
    responses: dict[int | str, dict[str, Any]] = {}
    for status, group in sorted(by_status.items()):
        lines = [f"- `{e.code}`: {e.message}" for e in group]
        responses[status] = {"model": ErrorBody, "description": "\n".join(lines)}
    return responses


async def app_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Render an :class:`AppError` as JSON in the user's language."""
    assert isinstance(exc, AppError)
    return JSONResponse(
        exc.to_dict(locale_of(request)),
        status_code=exc.status_code,
        headers={"Cache-Control": "no-store"},
    )


async def server_error_handler(request: Request, exc: Exception) -> Response:
    """An unexpected error: logged with its traceback, answered with a generic message in
    the user's language and the same security headers as every other response."""
    from smartbranch.web.security import security_headers

    _log.error("unhandled error", path=request.url.path, exc_info=exc)
    locale = locale_of(request)
    message = translate(AppError.message, locale)
    if request.url.path.startswith("/api/"):
        body = {"error": {"code": "internal_error", "message": message}}
        return JSONResponse(body, status_code=500, headers=security_headers())
    return HTMLResponse(
        f"<!doctype html><meta charset=utf-8><title>500</title><p>{html.escape(message)}</p>",
        status_code=500,
        headers=security_headers(),
    )


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Render a malformed payload (422) in the same shape as every other error."""
    assert isinstance(exc, RequestValidationError)
    locale = locale_of(request)
    fields = [
        {"loc": [str(p) for p in err.get("loc", ())], "type": err.get("type", "")}
        for err in exc.errors()
    ]
    body = {
        "error": {
            "code": "validation_error",
            "message": translate(N_("The request is malformed."), locale),
            "fields": fields,
        }
    }
    return JSONResponse(body, status_code=422, headers={"Cache-Control": "no-store"})
