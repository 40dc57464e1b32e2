"""The workbench home: ``/workbench``.

Lobby, outlet and wealth managers see who is in the outlet now (masked name, tier, ticket,
waiting minutes, care alerts, open hand-offs); everyone who serves customers sees their
hand-offs and follow-ups. The blocks refresh themselves on the live stream's events
(``workbench.js``) through the fragment routes here, without reloading the page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from smartbranch.auth.service import Principal
from smartbranch.service.collab import my_follow_ups, my_handoffs
from smartbranch.service.schemas import VisitOut
from smartbranch.service.visits import current_visits
from smartbranch.web.deps import PageStaffDep
from smartbranch.web.templating import PageLocaleDep, render
from smartbranch.web.workbench.common import (
    LOBBY_ROLES,
    SERVING_ROLES,
    TABLET_ROLES,
    NoOutletError,
    Place,
    WriteSessionDep,
    place_of,
    require_role,
)
from smartbranch.web.workbench.live import live_context
from smartbranch.web.workbench.views import formatters, merge

router = APIRouter(prefix="/workbench", include_in_schema=False)


async def _visits(
    session: AsyncSession, principal: Principal, place: Place, locale: str
) -> list[VisitOut]:
    """Who is in the member of staff's outlet today (the service audits the read)."""
    return await current_visits(session, principal, place.org_id, place.today(), locale=locale)


async def _mine(session: AsyncSession, principal: Principal, locale: str) -> dict[str, Any]:
    return {
        "handoffs": await my_handoffs(session, principal, locale),
        "follow_ups": await my_follow_ups(session, principal, locale),
        "handoff_error": None,
        "may_open_customer": principal.staff is not None and principal.staff.role in TABLET_ROLES,
    }


@router.get("")
async def workbench(
    request: Request, session: WriteSessionDep, locale: PageLocaleDep, principal: PageStaffDep
) -> Response:
    """The home page of every member of staff; the lobby overview for those on the floor."""
    assert principal.staff is not None
    role = principal.staff.role
    live = await live_context(session, locale)
    place = await place_of(session, principal, locale)
    serving = role in SERVING_ROLES
    visits = None
    if role in LOBBY_ROLES and place.is_outlet:
        visits = await _visits(session, principal, place, locale)
    mine = await _mine(session, principal, locale) if serving else {"handoffs": None}
    context = merge(
        formatters(locale, place.timezone),
        live,
        mine,
        {
            "place": place,
            "staff_name": place.display_name,
            "serving": serving,
            "visits": visits,
        },
    )
    return render(request, "workbench/home.html", context)


@router.get("/visits")
async def visits_block(
    request: Request, session: WriteSessionDep, locale: PageLocaleDep, principal: PageStaffDep
) -> Response:
    """The lobby's visits alone (refreshed on arrivals, calls and visit changes)."""
    require_role(principal, LOBBY_ROLES)
    place = await place_of(session, principal, locale)
    if not place.is_outlet:
        raise NoOutletError()
    context = merge(
        formatters(locale, place.timezone),
        {"visits": await _visits(session, principal, place, locale)},
    )
    return render(request, "workbench/_visits.html", context)


@router.get("/follow-ups")
async def follow_ups_block(
    request: Request, session: WriteSessionDep, locale: PageLocaleDep, principal: PageStaffDep
) -> Response:
    """My follow-ups alone (refreshed when an outcome is recorded)."""
    require_role(principal, SERVING_ROLES)
    place = await place_of(session, principal, locale)
    context = merge(
        formatters(locale, place.timezone),
        {
            "follow_ups": await my_follow_ups(session, principal, locale),
            "may_open_customer": place.role in TABLET_ROLES,
        },
    )
    return render(request, "workbench/_follow_ups.html", context)
