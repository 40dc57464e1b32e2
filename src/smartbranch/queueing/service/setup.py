"""Setting an outlet up for queuing: its services, counters with their work profiles, and
its calling policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.queueing.errors import ServiceNotFoundError
from smartbranch.queueing.models import Counter, CounterService, QueuePolicy, Service
from smartbranch.queueing.policy import PolicyConfig
from smartbranch.queueing.service.common import OutletRef, get_outlet
from smartbranch.queueing.service.layout import bump_layout


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """A business type: code, ticket prefix, Chinese and English names."""

    code: str
    prefix: str
    name: str
    name_en: str


@dataclass(frozen=True, slots=True)
class CounterSpec:
    """A counter: its code, VIP flag and work profile (service codes in order)."""

    code: str
    services: tuple[str, ...]
    is_vip: bool = False
    name: str = ""


DEFAULT_SERVICES = (
    ServiceSpec("cash", "A", "现金业务", "Cash"),
    ServiceSpec("non_cash", "B", "非现金业务", "Non-cash"),
    ServiceSpec("wealth", "V", "理财业务", "Wealth management"),
    ServiceSpec("credit_card", "C", "信用卡业务", "Credit cards"),
    ServiceSpec("corporate", "D", "对公业务", "Corporate"),
)


def default_counters(count: int = 5, vip: int = 1) -> tuple[CounterSpec, ...]:
    """A usual outlet floor: general counters alternating cash-first and non-cash-first, one
    of them also doing credit cards and corporate business, and ``vip`` VIP counters (wealth
    first) at the end."""
    general = max(count - vip, 0)
    specs: list[CounterSpec] = []
    for i in range(general):
        if i % 3 == 2:
            services: tuple[str, ...] = ("credit_card", "corporate", "non_cash", "cash")
        elif i % 2 == 0:
            services = ("cash", "non_cash")
        else:
            services = ("non_cash", "cash", "credit_card")
        specs.append(CounterSpec(code=str(i + 1), services=services))
    for j in range(vip):
        specs.append(
            CounterSpec(
                code=str(general + j + 1),
                services=("wealth", "cash", "non_cash", "credit_card"),
                is_vip=True,
            )
        )
    return tuple(specs)


@dataclass
class OutletSetup:
    """What :func:`setup_outlet` left in place."""

    outlet: OutletRef
    services: dict[str, Service]
    counters: dict[str, Counter]


async def setup_outlet(
    session: AsyncSession,
    *,
    outlet_code: str,
    services: Sequence[ServiceSpec] = DEFAULT_SERVICES,
    counters: Sequence[CounterSpec] | None = None,
    policy: PolicyConfig | None = None,
) -> OutletSetup:
    """Give an outlet its services, counters and (optionally) policy. Idempotent: existing
    services and counters keep their ids and state; names, prefixes, VIP flags and work
    profiles are brought in line with the specs."""
    outlet = await get_outlet(session, outlet_code)
    existing = {
        s.code: s
        for s in await session.scalars(select(Service).where(Service.outlet_id == outlet.id))
    }
    for position, spec in enumerate(services):
        service = existing.get(spec.code)
        if service is None:
            service = Service(outlet_id=outlet.id, code=spec.code)
            session.add(service)
            existing[spec.code] = service
        service.prefix, service.name, service.name_en = spec.prefix, spec.name, spec.name_en
        service.position = position
    await session.flush()
    found = {
        c.code: c
        for c in await session.scalars(select(Counter).where(Counter.outlet_id == outlet.id))
    }
    for line in counters if counters is not None else default_counters():
        counter = found.get(line.code)
        if counter is None:
            counter = Counter(outlet_id=outlet.id, code=line.code, state="closed")
            session.add(counter)
            found[line.code] = counter
        counter.is_vip = line.is_vip
        counter.name = line.name or line.code
        await session.flush()
        await _set_profile(session, outlet, counter, line.services, existing)
    if policy is not None:
        await set_policy(session, outlet_id=outlet.id, config=policy)
    await session.flush()
    await bump_layout(session, outlet.id)
    return OutletSetup(outlet=outlet, services=existing, counters=found)


async def _set_profile(
    session: AsyncSession,
    outlet: OutletRef,
    counter: Counter,
    codes: Sequence[str],
    services: dict[str, Service],
) -> None:
    for line in await session.scalars(
        select(CounterService).where(CounterService.counter_id == counter.id)
    ):
        await session.delete(line)
    await session.flush()
    for position, code in enumerate(codes):
        if code not in services:
            raise ServiceNotFoundError(outlet=outlet.code, service=code)
        session.add(
            CounterService(counter_id=counter.id, service_id=services[code].id, position=position)
        )
    await session.flush()


async def set_policy(session: AsyncSession, *, outlet_id: int, config: PolicyConfig) -> QueuePolicy:
    """Store an outlet's calling policy."""
    row = await session.get(QueuePolicy, outlet_id)
    if row is None:
        row = QueuePolicy(outlet_id=outlet_id)
        session.add(row)
    row.tier_weights = dict(config.tier_weights)
    row.aging_points_per_minute = config.aging_points_per_minute
    row.max_wait_minutes = dict(config.max_wait_minutes)
    row.target_minutes = config.target_minutes
    row.recall_limit = config.recall_limit
    row.lease_seconds = config.lease_seconds
    row.vip_serves_others = config.vip_serves_others
    row.vip_min_tier = config.vip_min_tier
    row.appointment_lead_minutes = config.appointment_lead_minutes
    row.appointment_grace_minutes = config.appointment_grace_minutes
    row.announce_honorific = config.announce_honorific
    row.announce_english = config.announce_english
    await session.flush()
    await bump_layout(session, outlet_id)
    return row
