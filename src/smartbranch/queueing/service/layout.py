"""An outlet's layout — services, counters with their work profiles and VIP flags, calling
policy — kept in each worker process, and its learned handling times.

What is cached, and why it is safe:

- **The layout** changes only through ``setup_outlet`` and ``set_policy``, which call
  :func:`bump_layout`: a new random token in ``queue_layouts``, written in the same
  transaction as the change. Every request reads the outlet's token with the outlet itself
  (``get_outlet``, one query it makes anyway) and uses the cached layout only under the same
  token, so a change is seen by every worker process from the next request after it commits
  (and by its own transaction at once). A token is random, never a counter, so a layout
  cannot be mistaken for another outlet's that reused an id (tests roll back and SQLite
  reuses ids). An outlet without a token row is never cached.
- **Handling times** change with every finished ticket; an estimate made with averages up to
  ``HANDLING_TTL`` old (in the request's clock, so simulations behave like the server) is as
  good as one made with the latest, and they never decide who is called.
- **Not cached**: a counter's state (open, paused, closed) and who is signed in, and the
  tickets. Call-next reads the counter under its row lock and the queue in the same
  transaction; a counter that signs in or closes is seen by the very next call.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.db import utcnow
from smartbranch.queueing.handling import HandlingTimes, load_handling_times
from smartbranch.queueing.models import Counter, CounterService, QueueLayout, QueuePolicy, Service
from smartbranch.queueing.policy import PolicyConfig

HANDLING_TTL = timedelta(seconds=60)
"""How old the learned handling times used for an estimate may be."""


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    """A service of the outlet."""

    id: int
    code: str
    prefix: str
    name: str
    name_en: str
    position: int


@dataclass(frozen=True, slots=True)
class CounterInfo:
    """A counter's fixed part: who sits there and whether it is open are not in here."""

    id: int
    code: str
    name: str
    is_vip: bool
    service_codes: tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    """An outlet's services (in display order), counters (by id) and policy."""

    token: str | None
    services: dict[str, ServiceInfo]
    counters: dict[str, CounterInfo]
    config: PolicyConfig

    @property
    def service_by_id(self) -> dict[int, ServiceInfo]:
        """Services by id."""
        return {s.id: s for s in self.services.values()}

    @property
    def counter_by_id(self) -> dict[int, CounterInfo]:
        """Counters by id."""
        return {c.id: c for c in self.counters.values()}


_LAYOUTS: dict[int, Layout] = {}
_HANDLING: dict[int, tuple[str, datetime, HandlingTimes]] = {}
OUTLETS_KEY = "queueing.outlets"
"""Where a unit of work remembers the outlets it looked up (``common.get_outlet``)."""


def config_from_row(row: QueuePolicy | None) -> PolicyConfig:
    """The policy an outlet configured, or the defaults."""
    if row is None:
        return PolicyConfig.default()
    return PolicyConfig(
        tier_weights=dict(row.tier_weights),
        aging_points_per_minute=row.aging_points_per_minute,
        max_wait_minutes=dict(row.max_wait_minutes),
        target_minutes=row.target_minutes,
        recall_limit=row.recall_limit,
        lease_seconds=row.lease_seconds,
        vip_serves_others=row.vip_serves_others,
        vip_min_tier=row.vip_min_tier,
        appointment_lead_minutes=row.appointment_lead_minutes,
        appointment_grace_minutes=row.appointment_grace_minutes,
        announce_honorific=row.announce_honorific,
        announce_english=row.announce_english,
    )


async def outlet_layout(session: AsyncSession, outlet_id: int, token: str | None) -> Layout:
    """The outlet's layout: the cached one when its token is ``token``, else loaded."""
    if token is not None:
        cached = _LAYOUTS.get(outlet_id)
        if cached is not None and cached.token == token:
            return cached
    layout = await _load_layout(session, outlet_id, token)
    if token is not None:
        _LAYOUTS[outlet_id] = layout
    return layout


async def _load_layout(session: AsyncSession, outlet_id: int, token: str | None) -> Layout:
    services = {
        code: ServiceInfo(id, code, prefix, name, name_en, position)
        for id, code, prefix, name, name_en, position in await session.execute(
            select(
                Service.id,
                Service.code,
                Service.prefix,
                Service.name,
                Service.name_en,
                Service.position,
            )
            .where(Service.outlet_id == outlet_id)
            .order_by(Service.position, Service.id)
        )
    }
    code_of = {s.id: s.code for s in services.values()}
    rows = await session.execute(
        select(
            Counter.id,
            Counter.code,
            Counter.name,
            Counter.is_vip,
            CounterService.service_id,
        )
        .outerjoin(CounterService, CounterService.counter_id == Counter.id)
        .where(Counter.outlet_id == outlet_id)
        .order_by(Counter.id, CounterService.position)
    )
    fixed: dict[int, tuple[str, str, bool]] = {}
    profiles: dict[int, list[str]] = {}
    for counter_id, code, name, is_vip, service_id in rows:
        fixed[counter_id] = (code, name, is_vip)
        codes = profiles.setdefault(counter_id, [])
        if service_id is not None:
            codes.append(code_of[service_id])
    counters = {
        code: CounterInfo(counter_id, code, name, is_vip, tuple(profiles[counter_id]))
        for counter_id, (code, name, is_vip) in fixed.items()
    }
    config = config_from_row(await session.get(QueuePolicy, outlet_id, populate_existing=True))
    return Layout(token=token, services=services, counters=counters, config=config)


async def bump_layout(session: AsyncSession, outlet_id: int) -> None:
    """Mark the outlet's layout as changed (call in the transaction that changes it)."""
    insert: Any = (
        postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    )
    token, now = uuid.uuid4().hex, utcnow()
    statement = insert(QueueLayout).values(outlet_id=outlet_id, token=token, updated_at=now)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[QueueLayout.outlet_id], set_={"token": token, "updated_at": now}
        )
    )
    _LAYOUTS.pop(outlet_id, None)
    # This unit of work's remembered outlets carry the old token: look them up again.
    session.info.pop(OUTLETS_KEY, None)


async def handling_times(
    session: AsyncSession, outlet_id: int, token: str | None, tz: Any, now: datetime
) -> HandlingTimes:
    """The outlet's learned handling times, at most ``HANDLING_TTL`` old."""
    if token is not None:
        cached = _HANDLING.get(outlet_id)
        if cached is not None and cached[0] == token and abs(now - cached[1]) <= HANDLING_TTL:
            return cached[2]
    times = await load_handling_times(session, outlet_id, tz)
    if token is not None:
        _HANDLING[outlet_id] = (token, now, times)
    return times
