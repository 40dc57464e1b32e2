"""Errors of the marketing domain: rule and script validation, outcomes."""

from __future__ import annotations

from typing import Any, ClassVar

from smartbranch.errors import AppError, ConflictError, NotFoundError
from smartbranch.i18n import N_, translate


class _PartError(AppError):
    """An error that names the offending part of what was submitted.

    ``part`` is the fragment at fault (a piece of SQL, a variable name); parameters listed in
    ``translated_params`` are message ids themselves (a type name, a status) and are
    translated with the message.
    """

    translated_params: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, message: str | None = None, /, *, part: str = "", **params: Any) -> None:
        self.part = part
        super().__init__(message, part=part, **params)

    def localized(self, locale: str) -> str:
        """The message in ``locale``, its translatable parameters translated too."""
        params = {
            key: translate(value, locale) if key in self.translated_params else value
            for key, value in self.params.items()
        }
        return translate(self.msgid, locale).format(**params)

    def to_dict(self, locale: str) -> dict[str, Any]:
        """The JSON body, with the offending part for a form to highlight."""
        body = super().to_dict(locale)
        body["error"]["part"] = self.part
        return body


class InvalidRuleConditionError(_PartError):
    """A lead rule's condition is not a safe boolean expression over catalog features."""

    code = "invalid_rule_condition"
    status_code = 422
    message = N_("The rule condition is not valid: {part}")
    translated_params = frozenset({"found", "expected"})


class InvalidScriptError(_PartError):
    """A marketing script template is not valid."""

    code = "invalid_rule_script"
    status_code = 422
    message = N_("The marketing script is not valid: {part}")


class InvalidRuleError(_PartError):
    """A lead rule's settings (product, channels, roles, numbers) are not acceptable."""

    code = "invalid_rule"
    status_code = 422
    message = N_("The lead rule is not valid: {part}")


class LeadNotFoundError(NotFoundError):
    code = "lead_not_found"
    message = N_("No marketing lead with id {lead_id}.")


class InvalidOutcomeError(_PartError):
    """An outcome's fields are malformed (unknown reason, channel, follow-up date …)."""

    code = "invalid_outcome"
    status_code = 422
    message = N_("The outcome is not valid: {part}")


class LeadClosedError(ConflictError):
    """The lead takes no more outcomes (converted, expired or past its validity)."""

    code = "lead_closed"
    message = N_("This lead is closed ({status}) and takes no more outcomes.")

    def localized(self, locale: str) -> str:
        """The message with the lead's status translated."""
        return _with_labels(self, locale)


class OutcomeNotAllowedError(ConflictError):
    """The outcome does not follow from the lead's current status or contact policy."""

    code = "outcome_not_allowed"
    message = N_("This outcome cannot be recorded for the lead now.")

    def localized(self, locale: str) -> str:
        """The message with statuses and outcome kinds translated."""
        return _with_labels(self, locale)


class NotSoldOnTheSpotError(ConflictError):
    """An outcome claims a sale completed on the spot for a product that is not sold so."""

    code = "not_sold_on_the_spot"
    message = N_(
        "This product is not sold on the spot: record it as accepted, the purchase will be "
        "detected later."
    )


LEAD_LABELS: dict[str, str] = {
    # lead statuses
    "open": N_("open"),
    "presented": N_("presented"),
    "accepted": N_("accepted"),
    "declined": N_("declined"),
    "deferred": N_("deferred"),
    "converted": N_("converted"),
    "expired": N_("expired"),
    # outcome kinds (accepted, declined, deferred as above)
    "not_presented": N_("not presented"),
    "already_has": N_("already has it"),
}
"""Lead statuses and outcome kinds as shown to staff."""


def _with_labels(error: AppError, locale: str) -> str:
    params = {
        key: translate(LEAD_LABELS[value], locale)
        if key in ("status", "kind") and value in LEAD_LABELS
        else value
        for key, value in error.params.items()
    }
    text = translate(error.msgid, locale)
    return text.format(**params) if params else text
