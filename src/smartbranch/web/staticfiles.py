"""Our static files (CSS, scripts, vendored HTMX), with cache headers.

Pages link assets through :func:`smartbranch.web.templating.static_url`, which adds a
content digest (``?v=…``): such a URL never changes meaning, so browsers may keep it for a
year. An unversioned request is revalidated every time.
"""

from __future__ import annotations

import os

from starlette.responses import Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


class VersionedStaticFiles(StaticFiles):
    """:class:`StaticFiles` that marks versioned URLs immutable."""

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        """The file, with a ``Cache-Control`` suited to its URL."""
        response = super().file_response(full_path, stat_result, scope, status_code)
        query: bytes = scope.get("query_string", b"")
        versioned = any(part.startswith(b"v=") for part in query.split(b"&"))
        response.headers["cache-control"] = IMMUTABLE if versioned else REVALIDATE
        return response
