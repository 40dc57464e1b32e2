"""What a workbench page needs for its live updates: where its event stream starts, and the
words its toasts use (rendered into the page, so the script carries no dictionary)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.service.events import latest_event_id
from smartbranch.web.workbench.views import tier_labels


async def live_context(session: AsyncSession, locale: str) -> dict[str, Any]:
    """The stream's starting point and the tier names, for ``workbench/_toast.html``.

    Read before anything the page shows: an event stored meanwhile is then delivered by the
    stream (and refreshes what it touches) instead of being lost between the two reads.
    """
    return {"last_event_id": await latest_event_id(session), "tier_labels": tier_labels(locale)}
