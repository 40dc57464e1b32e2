"""Security headers on every response (pure ASGI, so it adds no per-request task).

- A strict Content-Security-Policy: no inline script or style; scripts, styles, fonts and
  images only from our own origin (HTMX and every other asset is vendored).
- ``Cache-Control: no-store`` on everything except versioned static assets: the API and the
  pages show customer data, and a shared branch device must not keep it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

_COMMON = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


def security_headers() -> dict[str, str]:
    """The headers of a dynamic response, for responses made outside the middleware (the
    server-error response is built by Starlette's outermost middleware)."""
    headers = {k.decode(): v.decode() for k, v in _COMMON}
    headers["cache-control"] = "no-store"
    return headers


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP response."""

    def __init__(self, app: ASGIApp, *, static_prefix: str = "/static/") -> None:
        self.app = app
        self.static_prefix = static_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith(self.static_prefix)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if is_static or k.lower() != b"cache-control"
                ]
                headers.extend(_COMMON)
                if not is_static:
                    headers.append((b"cache-control", b"no-store"))
                    headers.append((b"pragma", b"no-cache"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
