"""Errors shared by the service domain's modules."""

from __future__ import annotations

from smartbranch.errors import NotFoundError
from smartbranch.i18n import N_


class VisitNotFoundError(NotFoundError):
    code = "visit_not_found"
    message = N_("No visit {visit_id}.")
