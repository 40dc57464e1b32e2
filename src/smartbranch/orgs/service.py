"""Org tree queries and staff management."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.errors import NotFoundError
from smartbranch.i18n import N_
from smartbranch.orgs.models import OrgKind, OrgUnit


class OrgNotFoundError(NotFoundError):
    code = "org_not_found"
    message = N_("No organisation unit with code {code}.")


class OutletNotFoundError(NotFoundError):
    code = "outlet_not_found"
    message = N_("No outlet with code {code}.")


def within(path: str, scope_path: str) -> bool:
    """Whether the unit at ``path`` lies in the subtree rooted at ``scope_path``."""
    return path.startswith(scope_path)


def child_path(parent_path: str | None, code: str) -> str:
    """The materialised path of a unit under ``parent_path``."""
    return f"{parent_path or '/'}{code}/"


async def get_org_by_code(session: AsyncSession, code: str) -> OrgUnit:
    """The org unit with ``code`` or :class:`OrgNotFoundError`."""
    org = await session.scalar(select(OrgUnit).where(OrgUnit.code == code))
    if org is None:
        raise OrgNotFoundError(code=code)
    return org


async def get_outlet_by_code(session: AsyncSession, code: str) -> OrgUnit:
    """The outlet with ``code`` or :class:`OutletNotFoundError`."""
    org = await session.scalar(
        select(OrgUnit).where(OrgUnit.code == code, OrgUnit.kind == OrgKind.OUTLET)
    )
    if org is None:
        raise OutletNotFoundError(code=code)
    return org
