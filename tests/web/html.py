"""Helpers for page tests: what a page may not contain under our CSP, its forms, its cookies."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import httpx


class PageAudit(HTMLParser):
    """Collects what the CSP would block (inline script or style, event-handler attributes,
    ``javascript:`` URLs) and the page's inputs, scripts and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.violations: list[str] = []
        self.inputs: list[dict[str, str | None]] = []
        self.scripts: list[str] = []
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.elements.append((tag, attributes))
        if tag == "script":
            src = attributes.get("src")
            if not src:
                self.violations.append("inline <script> without src")
            else:
                self.scripts.append(src)
            self._in_script = True
        if tag == "style":
            self.violations.append("<style> element")
        if tag == "input":
            self.inputs.append(attributes)
        for name, value in attrs:
            if name == "style":
                self.violations.append(f"style= attribute on <{tag}>")
            if name.startswith("on") or name.startswith(("hx-on", "data-hx-on")):
                self.violations.append(f"{name}= handler on <{tag}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.violations.append(f"javascript: URL in {name}= on <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.violations.append("script content inline")
        if data.strip():
            self.text.append(data.strip())

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        """Elements of ``tag`` whose attributes include ``attrs``."""
        return [
            a
            for t, a in self.elements
            if t == tag and all(a.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]


def audit(response: httpx.Response) -> PageAudit:
    """Parse an HTML response and assert what every page must satisfy: the CSP header,
    no-store, and nothing inline that the CSP would block."""
    assert response.headers["content-type"].startswith("text/html"), response.headers
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert response.headers["cache-control"] == "no-store"
    page = PageAudit()
    page.feed(response.text)
    page.close()
    assert page.violations == [], page.violations
    assert all(src.startswith("/static/") for src in page.scripts), page.scripts
    return page


def hidden_value(response: httpx.Response, name: str) -> str:
    """The value of the page's hidden input ``name``."""
    page = PageAudit()
    page.feed(response.text)
    values = [i.get("value") for i in page.inputs if i.get("name") == name]
    assert values and values[0], f"no hidden {name} in page"
    return str(values[0])


def csrf_from_body(response: httpx.Response) -> str:
    """The CSRF token HTMX sends, from ``<body hx-headers>``."""
    page = PageAudit()
    page.feed(response.text)
    bodies = page.find("body")
    headers = json.loads(str(bodies[0]["hx-headers"]))
    token: str = headers["X-CSRF-Token"]
    return token


def set_cookies(response: httpx.Response) -> dict[str, dict[str, str]]:
    """The response's ``Set-Cookie`` headers: name → {"value": …, attribute (lower): value}."""
    cookies: dict[str, dict[str, str]] = {}
    for header in response.headers.get_list("set-cookie"):
        first, *rest = [part.strip() for part in header.split(";")]
        name, _, value = first.partition("=")
        attributes = {"value": value.strip('"')}
        for part in rest:
            key, _, attr_value = part.partition("=")
            attributes[key.lower()] = attr_value or "true"
        cookies[name] = attributes
    return cookies


def assert_strict_cookie(attributes: dict[str, str]) -> None:
    """A credential cookie: Secure, HttpOnly, SameSite=Strict."""
    assert attributes.get("secure") == "true", attributes
    assert attributes.get("httponly") == "true", attributes
    assert attributes.get("samesite", "").lower() == "strict", attributes
