"""Staff events: stored with their recipients, announced on the bus after commit, read
back by a device that reconnects (``Last-Event-ID``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch import bus
from smartbranch.customers.models import Customer
from smartbranch.db import utcnow
from smartbranch.orgs.models import OrgUnit
from smartbranch.service.models import StaffEvent, StaffEventRecipient

#: Events a reconnecting device receives at most in one catch-up read.
CATCH_UP_LIMIT = 500

_RECIPIENTS = cast(Table, StaffEventRecipient.__table__)


async def emit(
    session: AsyncSession,
    kind: str,
    recipients: Collection[int],
    *,
    outlet_id: int | None = None,
    customer_id: int | None = None,
    visit_id: int | None = None,
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> StaffEvent | None:
    """Store an event for ``recipients`` (staff ids) and announce it after commit.

    Nothing is stored when nobody is to receive it. The payload is what devices show: never
    a clear card or ID number. It gains ``outlet`` (code) and ``customer_number`` when the
    event names an outlet or a customer and the caller did not set them.
    """
    staff_ids = sorted(set(recipients))
    if not staff_ids:
        return None
    payload = dict(payload or {})
    # The stream shows the outlet's code and the customer's number (``StreamEvent``) without
    # a lookup per connected device: resolved once here unless the caller already has them.
    if outlet_id is not None and "outlet" not in payload:
        payload["outlet"] = await session.scalar(
            select(OrgUnit.code).where(OrgUnit.id == outlet_id)
        )
    if customer_id is not None and "customer_number" not in payload:
        payload["customer_number"] = await session.scalar(
            select(Customer.number).where(Customer.id == customer_id)
        )
    stored = StaffEvent(
        kind=kind,
        outlet_id=outlet_id,
        customer_id=customer_id,
        visit_id=visit_id,
        payload=payload,
        at=at or utcnow(),
    )
    session.add(stored)
    await session.flush()
    await session.execute(
        insert(_RECIPIENTS), [{"staff_id": s, "event_id": stored.id} for s in staff_ids]
    )
    bus.publish_on_commit(
        session.sync_session,
        bus.Message(stored.id, kind, tuple(staff_ids), message_data(stored)),
    )
    return stored


def message_data(event: StaffEvent) -> dict[str, Any]:
    """What the bus carries and the stream sends for one stored event."""
    return {
        "at": event.at.isoformat(),
        "outlet_id": event.outlet_id,
        "customer_id": event.customer_id,
        "visit_id": event.visit_id,
        **event.payload,
    }


async def events_after(
    session: AsyncSession, staff_id: int, after_id: int, limit: int = CATCH_UP_LIMIT
) -> Sequence[StaffEvent]:
    """The events for ``staff_id`` stored after ``after_id``, oldest first."""
    rows = await session.scalars(
        select(StaffEvent)
        .join(StaffEventRecipient, StaffEventRecipient.event_id == StaffEvent.id)
        .where(StaffEventRecipient.staff_id == staff_id, StaffEventRecipient.event_id > after_id)
        .order_by(StaffEventRecipient.event_id)
        .limit(limit)
    )
    return rows.all()


async def latest_event_id(session: AsyncSession) -> int:
    """The newest stored event id (where a fresh device's stream starts)."""
    return int(await session.scalar(select(func.coalesce(func.max(StaffEvent.id), 0))) or 0)


async def prune(session: AsyncSession, before: datetime) -> int:
    """Delete the events stored before ``before`` with their recipient rows; returns how
    many events went. A device offline for longer than the retention catches up with the
    pages' own state, not the stream (the lobby and customer pages read the database)."""
    old = select(StaffEvent.id).where(StaffEvent.at < before).scalar_subquery()
    await session.execute(delete(StaffEventRecipient).where(StaffEventRecipient.event_id.in_(old)))
    result = await session.execute(delete(StaffEvent).where(StaffEvent.at < before))
    return int(getattr(result, "rowcount", 0) or 0)
