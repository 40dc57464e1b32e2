"""Errors met while reading the lake. Each is raised before the database changes, or makes
the load's transaction roll back, so the serving database is never left half-loaded."""

from __future__ import annotations

from smartbranch.errors import AppError
from smartbranch.i18n import N_


class LakeError(AppError):
    """Base of every problem with the lake's content."""

    code = "lake_error"
    status_code = 400
    message = N_("The lake cannot be loaded.")


class LakeMissingError(LakeError):
    """The lake folder, or one of the tables the load needs, does not exist."""

    code = "lake_missing"
    message = N_("The lake at {path} has no {table} table (expected {location}).")


class LakeSchemaError(LakeError):
    """A table lacks columns of the contract (``docs/lake.md``) or has one of a wrong type."""

    code = "lake_schema_mismatch"
    message = N_("The lake table {table} ({file}) lacks the columns: {columns}.")


class LakeIntegrityError(LakeError):
    """The lake's rows do not fit together: a reference to an unknown key, a duplicate
    natural key, a cycle in the org tree."""

    code = "lake_integrity"
    message = N_("The lake table {table} is not consistent: {problem}.")
