"""What every workbench page shares: who may use which page, the member of staff's outlet,
the write unit of work, and the form-post pattern (HTMX swaps a block; without JavaScript the
browser is sent back to the page with 303; a refused post changes nothing and is shown in
place with its translated message and status).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from smartbranch.auth.service import Principal
from smartbranch.errors import AppError, ForbiddenError
from smartbranch.http import WriteSessionDep as WriteSessionDep
from smartbranch.i18n import N_
from smartbranch.orgs.models import OrgKind, Role
from smartbranch.orgs.service import get_org_by_code
from smartbranch.web.labels import org_name, role_label
from smartbranch.web.navigation import org_code_of
from smartbranch.web.templating import is_htmx

#: Who sees the lobby overview (who is here now): the staff who walk the floor.
LOBBY_ROLES = frozenset({Role.LOBBY_MANAGER, Role.OUTLET_MANAGER, Role.WEALTH_MANAGER})

#: Who has hand-offs and follow-ups: everyone who serves customers. Marketing admins,
#: system administrators and auditors do not.
SERVING_ROLES = LOBBY_ROLES | {Role.ACCOUNT_MANAGER, Role.TELLER}

#: Who opens a customer's brief on the tablet channel (tellers read it at their counter).
TABLET_ROLES = LOBBY_ROLES | {Role.ACCOUNT_MANAGER}

#: Roles a hand-off may go to (the glossary's front-line roles).
HANDOFF_ROLES = (
    Role.WEALTH_MANAGER,
    Role.ACCOUNT_MANAGER,
    Role.TELLER,
    Role.LOBBY_MANAGER,
    Role.OUTLET_MANAGER,
)


class WorkbenchRoleError(ForbiddenError):
    code = "workbench_role_not_allowed"
    message = N_("Your role does not serve customers on the workbench.")


class NoOutletError(ForbiddenError):
    code = "workbench_no_outlet"
    message = N_("The lobby overview is for staff of an outlet.")


def require_role(principal: Principal, roles: frozenset[Role]) -> None:
    """Refuse a member of staff whose role is not in ``roles``."""
    if principal.staff is None or principal.staff.role not in roles:
        raise WorkbenchRoleError()


@dataclass(frozen=True, slots=True)
class Place:
    """The signed-in member of staff and the org unit they work at."""

    staff_id: int
    display_name: str
    role: str
    role_label: str
    org_id: int
    org_code: str
    org_name: str
    is_outlet: bool
    timezone: str

    def today(self) -> date:
        """The business day at this org unit (its local date)."""
        return datetime.now(ZoneInfo(self.timezone)).date()


async def place_of(session: AsyncSession, principal: Principal, locale: str) -> Place:
    """Who is signed in and where they work."""
    staff = principal.staff
    assert staff is not None
    org = await get_org_by_code(session, org_code_of(staff.org_path))
    return Place(
        staff_id=staff.id,
        display_name=staff.display_name,
        role=staff.role,
        role_label=role_label(staff.role, locale),
        org_id=org.id,
        org_code=org.code,
        org_name=org_name(org.name, org.name_en, locale),
        is_outlet=org.kind == OrgKind.OUTLET,
        timezone=org.timezone,
    )


def back_to(url: str) -> Response:
    """The no-JavaScript answer to a successful form post: back to the page (303)."""
    return RedirectResponse(url, status_code=303)


async def attempt(
    session: AsyncSession, action: Callable[[], Awaitable[Any]]
) -> tuple[Any, AppError | None]:
    """Run ``action`` inside a savepoint: a refused action (an :class:`AppError`) is rolled
    back — so it changes nothing — while the request's audit rows of reads made before it
    stay; returns the action's result or the error."""
    try:
        async with session.begin_nested():
            return await action(), None
    except AppError as error:
        return None, error


def fragment_or_page(request: Request) -> bool:
    """Whether to answer with a fragment (HTMX) rather than the whole page."""
    return is_htmx(request)
