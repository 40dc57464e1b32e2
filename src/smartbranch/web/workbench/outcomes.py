"""The one-tap outcome form, shared by the tablet and the counter: its fields read into an
:class:`OutcomeIn`, and what the buttons need to render (decline reasons, follow-up dates).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import ValidationError

from smartbranch.errors import BadRequestError
from smartbranch.i18n import N_
from smartbranch.marketing.service import decline_reasons
from smartbranch.service.schemas import OutcomeIn

#: How far ahead the date picker offers a follow-up (the service has the final word).
FOLLOW_UP_DAYS = 90
OUTCOME_KINDS = ("accepted", "declined", "deferred", "not_presented", "already_has")
COMPLETED = "completed"
"""The pseudo-kind of the "completed on the spot" button: accepted, and converted now."""

OUTCOME_SAVED = N_("Recorded: {status}.")


class OutcomeChoiceError(BadRequestError):
    code = "workbench_outcome_choice"
    message = N_("Choose what happened with this lead.")


class FollowUpDateError(BadRequestError):
    code = "workbench_follow_up_date"
    message = N_("Choose the follow-up date.")


def outcome_context(today: date, locale: str) -> dict[str, Any]:
    """What the outcome buttons render with: reason chips and the follow-up date range."""
    return {
        "decline_reasons": decline_reasons(locale),
        "today": today,
        "tomorrow": today + timedelta(days=1),
        "next_week": today + timedelta(days=7),
        "latest_follow_up": today + timedelta(days=FOLLOW_UP_DAYS),
    }


def parse_outcome(
    kind: str, reason_code: str, follow_up_on: str, visit_id: str, channel: str
) -> OutcomeIn:
    """The posted fields as an :class:`OutcomeIn`; a typed error when they make none."""
    completed = kind == COMPLETED
    if completed:
        kind = "accepted"
    if kind not in OUTCOME_KINDS:
        raise OutcomeChoiceError()
    day: date | None = None
    if kind == "deferred":
        try:
            day = date.fromisoformat(follow_up_on)
        except ValueError:
            raise FollowUpDateError() from None
    try:
        return OutcomeIn.model_validate(
            {
                "kind": kind,
                "channel": channel,
                "reason_code": (reason_code or None) if kind == "declined" else None,
                "follow_up_on": day,
                "completed": completed,
                "visit_id": int(visit_id) if visit_id.isdigit() else None,
            }
        )
    except ValidationError:
        raise OutcomeChoiceError() from None
