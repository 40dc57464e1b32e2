"""My hand-offs: ``/workbench/handoffs`` — accept an open one, mark an accepted one done;
and my follow-ups beside them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.responses import Response

from smartbranch.auth.service import Principal
from smartbranch.service.collab import (
    accept_handoff,
    cancel_handoff,
    complete_handoff,
    my_follow_ups,
    my_handoffs,
)
from smartbranch.web.deps import PageStaffDep
from smartbranch.web.templating import PageLocaleDep, render
from smartbranch.web.workbench.common import (
    SERVING_ROLES,
    TABLET_ROLES,
    WriteSessionDep,
    attempt,
    back_to,
    fragment_or_page,
    place_of,
    require_role,
)
from smartbranch.web.workbench.live import live_context
from smartbranch.web.workbench.views import formatters, merge

router = APIRouter(prefix="/workbench/handoffs", include_in_schema=False)

HANDOFFS_URL = "/workbench/handoffs"

_ACTIONS: dict[str, Callable[..., Awaitable[object]]] = {
    "accept": accept_handoff,
    "done": complete_handoff,
    "cancel": cancel_handoff,
}


async def _context(
    session: AsyncSession, principal: Principal, locale: str, *, page: bool
) -> dict[str, Any]:
    require_role(principal, SERVING_ROLES)
    live = await live_context(session, locale) if page else {}
    place = await place_of(session, principal, locale)
    return merge(
        formatters(locale, place.timezone),
        live,
        {
            "place": place,
            "staff_name": place.display_name,
            "page_path": HANDOFFS_URL,
            "handoffs": await my_handoffs(session, principal, locale),
            "follow_ups": await my_follow_ups(session, principal, locale) if page else [],
            "handoff_error": None,
            "may_open_customer": place.role in TABLET_ROLES,
        },
    )


@router.get("")
async def handoffs_page(
    request: Request, session: WriteSessionDep, locale: PageLocaleDep, principal: PageStaffDep
) -> Response:
    """My hand-offs and follow-ups."""
    context = await _context(session, principal, locale, page=True)
    return render(request, "workbench/handoffs.html", context)


@router.get("/list")
async def handoffs_block(
    request: Request, session: WriteSessionDep, locale: PageLocaleDep, principal: PageStaffDep
) -> Response:
    """The hand-off list alone (refreshed live)."""
    context = await _context(session, principal, locale, page=False)
    return render(request, "workbench/_handoff_list.html", context)


@router.post("/{handoff_id}/{verb}")
async def handoff_action(
    request: Request,
    handoff_id: int,
    verb: str,
    session: WriteSessionDep,
    locale: PageLocaleDep,
    principal: PageStaffDep,
) -> Response:
    """Accept, complete or cancel a hand-off; the list again (or back to the page)."""
    require_role(principal, SERVING_ROLES)
    operation = _ACTIONS.get(verb)
    if operation is None:
        raise HTTPException(status_code=404)

    async def action() -> object:
        return await operation(session, principal, handoff_id, locale=locale)

    _result, error = await attempt(session, action)
    htmx = fragment_or_page(request)
    if error is None and not htmx:
        return back_to(HANDOFFS_URL)
    context = await _context(session, principal, locale, page=not htmx)
    status_code = 200
    if error is not None:
        context["handoff_error"] = error.localized(locale)
        status_code = error.status_code
    template = "workbench/_handoff_list.html" if htmx else "workbench/handoffs.html"
    return render(request, template, context, status_code=status_code)
