"""``/docs``: the OpenAPI reference in Swagger UI, served from our own origin.

FastAPI's built-in page loads Swagger UI from a CDN and starts it with an inline script;
both are forbidden here (no internet on branch networks, and a strict CSP), so the assets are
vendored and started from a static file.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from smartbranch.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/docs")
async def swagger_ui(request: Request) -> Response:
    """The interactive API reference."""
    return render(request, "apidocs/swagger.html", {"openapi_url": request.app.openapi_url})
