"""Jinja2 templates rendered in the user's language, and URLs of our static files.

Each supported locale has its own :class:`jinja2.Environment` with the ``i18n`` extension
bound to that locale's catalog; a request picks the environment of its locale. Installing
translations into one shared environment per request would let two concurrent requests in
different languages overwrite each other's ``gettext``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from smartbranch.http import LOCALE_COOKIE
from smartbranch.i18n import LOCALES, get_translations, negotiate_locale
from smartbranch.settings import Settings
from smartbranch.web import csrf

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
STATIC_PREFIX = "/static/"
HTMX_ASSET = "vendor/htmx-2.0.11.min.js"

LOCALE_COOKIE_MAX_AGE = 365 * 24 * 3600

#: ``<html lang>`` of each locale (BCP 47, where our catalog names use an underscore).
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}


def static_url(asset: str) -> str:
    """The URL of a file under ``web/static``, versioned by a digest of its content so that
    a browser may cache it for good and still see every change."""
    path = (STATIC_DIR / asset).resolve()
    if not path.is_relative_to(STATIC_DIR.resolve()) or not path.is_file():
        raise FileNotFoundError(asset)
    return f"{STATIC_PREFIX}{asset}?v={_digest(path, path.stat().st_mtime_ns)}"


@cache
def _digest(path: Path, _mtime_ns: int) -> str:
    # The modification time is part of the cache key, so an edited file gets a new digest.
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def page_locale(request: Request) -> str:
    """The language of a page: ``?lang=`` (the language switch), then the language cookie,
    else the bank's default language.

    Unlike the JSON API, pages ignore ``Accept-Language``: a kiosk's or tablet's browser
    locale is the machine's setting, not the preference of the customer in front of it, and
    the bank's language comes first. The switch on every page sets the cookie.
    """
    explicit = request.query_params.get("lang") or request.cookies.get(LOCALE_COOKIE)
    if explicit:
        return negotiate_locale(explicit)
    settings: Settings = request.app.state.settings
    return settings.default_locale


PageLocaleDep = Annotated[str, Depends(page_locale)]


def _make_environment(locale: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Collapse whitespace inside {% trans %} blocks, as babel.cfg does at extraction.
    env.policies["ext.i18n.trimmed"] = True
    # New-style gettext: {% trans %} and _() escape their parameters and never need "%%".
    env.install_gettext_translations(  # type: ignore[attr-defined]
        get_translations(locale), newstyle=True
    )
    env.globals["static_url"] = static_url
    env.globals["htmx_asset"] = HTMX_ASSET
    return env


@cache
def environment(locale: str) -> Environment:
    """The template environment of ``locale``."""
    if locale not in LOCALES:
        raise ValueError(f"unsupported locale {locale!r}")
    return _make_environment(locale)


def is_htmx(request: Request) -> bool:
    """Whether HTMX sent the request (so the answer is a fragment, not a page)."""
    return request.headers.get("hx-request") == "true"


def render_string(request: Request, template: str, context: Mapping[str, Any] | None = None) -> str:
    """``template`` rendered for ``request`` in its user's language."""
    locale = page_locale(request)
    token = csrf.token_for(request)
    values: dict[str, Any] = {
        "request": request,
        "locale": locale,
        "html_lang": HTML_LANG[locale],
        "csrf_field": csrf.FIELD,
        "csrf_token": token,
        "csrf_headers": {csrf.HEADER: token} if token else None,
        "is_htmx": is_htmx(request),
        # The language switch links to this path; after a POST it must name a page that
        # answers GET, so routes that render on POST pass their own ``page_path``.
        "page_path": request.url.path if request.method == "GET" else "/",
    }
    values.update(context or {})
    return environment(locale).get_template(template).render(values)


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """An HTML response of ``template`` in the user's language.

    A ``?lang=`` in the URL (the language switch) is remembered in the language cookie, so
    the choice holds for the following pages and form posts.
    """
    response = HTMLResponse(
        render_string(request, template, context), status_code=status_code, headers=headers
    )
    if request.query_params.get("lang"):
        settings: Settings = request.app.state.settings
        response.set_cookie(
            LOCALE_COOKIE,
            page_locale(request),
            max_age=LOCALE_COOKIE_MAX_AGE,
            httponly=True,
            secure=settings.cookie_secure,
            samesite="lax",
        )
    return response
