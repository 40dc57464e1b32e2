"""The staff workbench (a placeholder until the workbench itself is built)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from smartbranch.http import SessionDep
from smartbranch.orgs.service import get_org_by_code
from smartbranch.web.deps import PageStaffDep
from smartbranch.web.labels import org_name, role_label
from smartbranch.web.navigation import org_code_of
from smartbranch.web.templating import PageLocaleDep, render

router = APIRouter(include_in_schema=False)


@router.get("/workbench")
async def workbench(
    request: Request, session: SessionDep, locale: PageLocaleDep, principal: PageStaffDep
) -> Response:
    """Greet the signed-in member of staff by name and role."""
    staff = principal.staff
    assert staff is not None
    org = await get_org_by_code(session, org_code_of(staff.org_path))
    context = {
        "display_name": staff.display_name,
        "role": role_label(staff.role, locale),
        "org_name": org_name(org.name, org.name_en, locale),
    }
    return render(request, "workbench/home.html", context)
