"""Typed errors with a machine-readable code and a translatable message.

Every error a user can meet is an :class:`AppError`: one handler renders it as
``{"error": {"code": ..., "message": ...}}`` in the user's language, with its HTTP status.
"""

from __future__ import annotations

from typing import Any, ClassVar

from smartbranch.i18n import N_, translate


class AppError(Exception):
    """Base of every error shown to a user."""

    code: ClassVar[str] = "error"
    status_code: ClassVar[int] = 400
    message: ClassVar[str] = N_("Something went wrong.")

    def __init__(self, message: str | None = None, /, **params: Any) -> None:
        self.msgid = message or self.message
        self.params = params
        super().__init__(self.msgid.format(**params) if params else self.msgid)

    def localized(self, locale: str) -> str:
        """The message in ``locale`` with its parameters filled in."""
        text = translate(self.msgid, locale)
        return text.format(**self.params) if self.params else text

    def to_dict(self, locale: str) -> dict[str, Any]:
        """The JSON body of this error."""
        return {"error": {"code": self.code, "message": self.localized(locale)}}


class BadRequestError(AppError):
    """The request is understood but its content is not acceptable."""

    code = "bad_request"
    status_code = 400
    message = N_("The request is not valid.")


class NotAuthenticatedError(AppError):
    code = "not_authenticated"
    status_code = 401
    message = N_("Please sign in first.")


class DeviceNotEnrolledError(AppError):
    code = "device_not_enrolled"
    status_code = 401
    message = N_("This device is not enrolled or has been deactivated.")


class ForbiddenError(AppError):
    code = "forbidden"
    status_code = 403
    message = N_("You are not allowed to do this.")


class CSRFError(AppError):
    code = "csrf_failed"
    status_code = 403
    message = N_("The form has expired. Please reload the page and try again.")


class NotFoundError(AppError):
    code = "not_found"
    status_code = 404
    message = N_("Not found.")


class ConflictError(AppError):
    code = "conflict"
    status_code = 409
    message = N_("This conflicts with the current state.")
