"""Arrival routing as data: who is told when a customer arrives or is called.

The rules are rows (``ArrivalRoute``): the bank's defaults (``outlet_id`` NULL, seeded by the
migration) and an outlet's own. An outlet that has rows of its own for a trigger — active or
not — uses only those for it, so an outlet can also switch a default off (one inactive row).

Resolving the recipients is a pure function of the rules and of facts read beforehand (the
customer's tier and own manager, who is on duty, the counter that called): the table tests
exercise it without a database, and the caller decides what to read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.customers.models import TIER_ORDER, Tier
from smartbranch.customers.tiers import TIER_LABELS
from smartbranch.errors import BadRequestError
from smartbranch.i18n import N_, translate
from smartbranch.orgs.models import Role
from smartbranch.service.duty import OnDuty
from smartbranch.service.models import ArrivalRoute, RouteAudience, RouteTrigger

#: Roles a route may name: the staff who serve customers at an outlet.
ROUTABLE_ROLES = frozenset(
    {
        Role.LOBBY_MANAGER,
        Role.WEALTH_MANAGER,
        Role.ACCOUNT_MANAGER,
        Role.TELLER,
        Role.OUTLET_MANAGER,
    }
)
#: An outlet's own routes at most (a handful is the norm; this only bounds bad input).
MAX_ROUTES = 20


class RouteTriggerUnknownError(BadRequestError):
    code = "route_trigger_unknown"
    message = N_("Unknown trigger {trigger}: use arrived or called.")


class RouteAudienceUnknownError(BadRequestError):
    code = "route_audience_unknown"
    message = N_("Unknown audience {audience}: use role, account_manager or counter_staff.")


class RouteRoleUnknownError(BadRequestError):
    code = "route_role_unknown"
    message = N_(
        "Unknown role {role}: use lobby_manager, wealth_manager, account_manager, teller "
        "or outlet_manager."
    )


class RouteRoleRequiredError(BadRequestError):
    code = "route_role_required"
    message = N_("A route to a role must name the role.")


class RouteRoleUnexpectedError(BadRequestError):
    code = "route_role_unexpected"
    message = N_("Only a route to a role names a role; leave it empty for {audience}.")


class RouteTierUnknownError(BadRequestError):
    code = "route_tier_unknown"
    message = N_("Unknown tier {tier}: use standard, gold, platinum, diamond or private.")


class RouteCounterOnArrivalError(BadRequestError):
    code = "route_counter_on_arrival"
    message = N_("On arrival no counter has called the customer yet: use the called trigger.")


class RouteDuplicateError(BadRequestError):
    code = "route_duplicate"
    message = N_("The same route is listed twice.")


class RoutesTooManyError(BadRequestError):
    code = "routes_too_many"
    message = N_("An outlet may have at most {limit} routes.")


ROUTE_ERRORS = (
    RouteTriggerUnknownError,
    RouteAudienceUnknownError,
    RouteRoleUnknownError,
    RouteRoleRequiredError,
    RouteRoleUnexpectedError,
    RouteTierUnknownError,
    RouteCounterOnArrivalError,
    RouteDuplicateError,
    RoutesTooManyError,
)


@dataclass(frozen=True, slots=True)
class Route:
    """One routing rule, as the resolver reads it."""

    trigger: RouteTrigger
    audience: RouteAudience
    role: str | None = None
    min_tier: Tier = Tier.STANDARD
    active: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger.value,
            "audience": self.audience.value,
            "role": self.role,
            "min_tier": self.min_tier.value,
            "active": self.active,
        }


def tier_rank(tier: Tier | str) -> int:
    """The tier's place in ``TIER_ORDER`` (standard 0 … private 4)."""
    return TIER_ORDER.index(Tier(tier))


# --- why someone is told ------------------------------------------------------------------


REASON_ON_DUTY = "on_duty"
"""On duty at the outlet in a role every customer's arrival goes to (the lobby manager)."""
REASON_TIER = "tier"
"""On duty in a role told of customers from a tier up (the wealth manager, platinum up)."""
REASON_OWN_MANAGER = "own_manager"
"""The customer's own account manager, wherever signed in."""
REASON_COUNTER = "counter"
"""Works the counter that called the customer's ticket."""

_REASON_TEXTS = {
    REASON_ON_DUTY: N_("You are on duty at this outlet."),
    REASON_TIER: N_("A customer of tier {tier} or above."),
    REASON_OWN_MANAGER: N_("Your own customer."),
    REASON_COUNTER: N_("Called to your counter."),
}


@dataclass(frozen=True, slots=True)
class Reason:
    """Why one member of staff receives a notification."""

    kind: str
    role: str | None = None
    min_tier: Tier | None = None

    def as_json(self) -> dict[str, Any]:
        """The form stored in an event's payload."""
        body: dict[str, Any] = {"kind": self.kind}
        if self.role is not None:
            body["role"] = self.role
        if self.min_tier is not None:
            body["min_tier"] = self.min_tier.value
        return body


def reason_text(reason: dict[str, Any] | Reason, locale: str) -> str:
    """A reason in the reader's language (from its stored form or the object)."""
    body = reason.as_json() if isinstance(reason, Reason) else reason
    kind = str(body.get("kind", ""))
    message = _REASON_TEXTS.get(kind)
    if message is None:
        return kind
    text = translate(message, locale)
    if kind == REASON_TIER:
        tier = Tier(body.get("min_tier", Tier.STANDARD))
        return text.format(tier=translate(TIER_LABELS[tier], locale))
    return text


def _reason_for(route: Route) -> Reason:
    if route.audience == RouteAudience.ACCOUNT_MANAGER:
        return Reason(REASON_OWN_MANAGER)
    if route.audience == RouteAudience.COUNTER_STAFF:
        return Reason(REASON_COUNTER)
    if route.min_tier != Tier.STANDARD:
        return Reason(REASON_TIER, role=route.role, min_tier=route.min_tier)
    return Reason(REASON_ON_DUTY, role=route.role)


def resolve_recipients(
    routes: Iterable[Route],
    trigger: RouteTrigger | str,
    *,
    tier: Tier | str,
    account_manager_id: int | None,
    account_manager_signed_in: bool,
    on_duty: Sequence[OnDuty],
    counter_staff_id: int | None = None,
) -> dict[int, list[Reason]]:
    """Who is told of ``trigger`` for a customer of ``tier``, and why (staff id → reasons).

    - ``role`` routes: the staff of that role in ``on_duty`` (signed in at the outlet), when
      the customer's tier reaches the route's ``min_tier``;
    - ``account_manager``: the customer's own manager, when signed in anywhere;
    - ``counter_staff``: whoever works the counter that called (``counter_staff_id``).

    Someone reached by two routes is told once, with both reasons. Pure: no I/O.
    """
    wanted = RouteTrigger(trigger)
    rank = tier_rank(tier)
    recipients: dict[int, list[Reason]] = {}

    def add(staff_id: int, reason: Reason) -> None:
        reasons = recipients.setdefault(staff_id, [])
        if reason not in reasons:
            reasons.append(reason)

    for route in routes:
        if route.trigger != wanted or not route.active or rank < tier_rank(route.min_tier):
            continue
        reason = _reason_for(route)
        if route.audience == RouteAudience.ROLE:
            for member in on_duty:
                if member.role == route.role:
                    add(member.staff_id, reason)
        elif route.audience == RouteAudience.ACCOUNT_MANAGER:
            if account_manager_id is not None and account_manager_signed_in:
                add(account_manager_id, reason)
        elif route.audience == RouteAudience.COUNTER_STAFF and counter_staff_id is not None:
            add(counter_staff_id, reason)
    return recipients


def needs(routes: Iterable[Route]) -> tuple[bool, bool]:
    """Whether resolving ``routes`` needs the on-duty list and the customer's own manager
    (so a caller reads only what the rules use)."""
    audiences = {r.audience for r in routes if r.active}
    return RouteAudience.ROLE in audiences, RouteAudience.ACCOUNT_MANAGER in audiences


# --- reading and replacing the rules ------------------------------------------------------


def _route_of(row: ArrivalRoute) -> Route:
    return Route(
        trigger=RouteTrigger(row.trigger),
        audience=RouteAudience(row.audience),
        role=row.role,
        min_tier=Tier(row.min_tier),
        active=row.active,
    )


async def _rows(
    session: AsyncSession, outlet_id: int | None, trigger: RouteTrigger | None
) -> list[ArrivalRoute]:
    query = select(ArrivalRoute).order_by(ArrivalRoute.id)
    if trigger is not None:
        query = query.where(ArrivalRoute.trigger == trigger.value)
    if outlet_id is None:
        query = query.where(ArrivalRoute.outlet_id.is_(None))
    else:
        query = query.where(
            or_(ArrivalRoute.outlet_id == outlet_id, ArrivalRoute.outlet_id.is_(None))
        )
    return list((await session.scalars(query)).all())


def _effective(rows: Sequence[ArrivalRoute], trigger: RouteTrigger) -> list[Route]:
    own = [r for r in rows if r.trigger == trigger and r.outlet_id is not None]
    chosen = own or [r for r in rows if r.trigger == trigger and r.outlet_id is None]
    return [_route_of(r) for r in chosen]


async def load_routes(
    session: AsyncSession, outlet_id: int, trigger: RouteTrigger | str
) -> list[Route]:
    """The rules in force at an outlet for ``trigger``: its own if it has any (active or
    not), else the bank's defaults. One query."""
    wanted = RouteTrigger(trigger)
    return _effective(await _rows(session, outlet_id, wanted), wanted)


@dataclass(frozen=True, slots=True)
class OutletRoutes:
    """An outlet's routing: its own rows, the bank's defaults and what is in force."""

    own: list[Route]
    defaults: list[Route]
    effective: list[Route]


async def outlet_routes(session: AsyncSession, outlet_id: int) -> OutletRoutes:
    """All of an outlet's routing, for the admin API."""
    rows = await _rows(session, outlet_id, None)
    return OutletRoutes(
        own=[_route_of(r) for r in rows if r.outlet_id is not None],
        defaults=[_route_of(r) for r in rows if r.outlet_id is None],
        effective=[route for t in RouteTrigger for route in _effective(rows, t)],
    )


def validate_route(
    *, trigger: str, audience: str, role: str | None, min_tier: str, active: bool = True
) -> Route:
    """A rule checked field by field, or the typed error of its first fault."""
    try:
        checked_trigger = RouteTrigger(trigger)
    except ValueError:
        raise RouteTriggerUnknownError(trigger=trigger) from None
    try:
        checked_audience = RouteAudience(audience)
    except ValueError:
        raise RouteAudienceUnknownError(audience=audience) from None
    role = role or None
    if checked_audience == RouteAudience.ROLE:
        if role is None:
            raise RouteRoleRequiredError()
        if role not in ROUTABLE_ROLES:
            raise RouteRoleUnknownError(role=role)
    elif role is not None:
        raise RouteRoleUnexpectedError(audience=audience)
    if checked_audience == RouteAudience.COUNTER_STAFF and checked_trigger != RouteTrigger.CALLED:
        raise RouteCounterOnArrivalError()
    try:
        checked_tier = Tier(min_tier)
    except ValueError:
        raise RouteTierUnknownError(tier=min_tier) from None
    return Route(checked_trigger, checked_audience, role, checked_tier, active)


async def replace_routes(
    session: AsyncSession, outlet_id: int, routes: Sequence[dict[str, Any]]
) -> OutletRoutes:
    """Replace an outlet's own rules with ``routes`` (each: trigger, audience, role,
    min_tier, active). All are checked before anything changes; an empty list returns the
    outlet to the bank's defaults."""
    if len(routes) > MAX_ROUTES:
        raise RoutesTooManyError(limit=MAX_ROUTES)
    checked = [
        validate_route(
            trigger=str(r.get("trigger", "")),
            audience=str(r.get("audience", "")),
            role=r.get("role"),
            min_tier=str(r.get("min_tier") or Tier.STANDARD.value),
            active=bool(r.get("active", True)),
        )
        for r in routes
    ]
    keys = [(r.trigger, r.audience, r.role) for r in checked]
    if len(set(keys)) != len(keys):
        raise RouteDuplicateError()
    await session.execute(delete(ArrivalRoute).where(ArrivalRoute.outlet_id == outlet_id))
    session.add_all(
        ArrivalRoute(
            outlet_id=outlet_id,
            trigger=r.trigger.value,
            audience=r.audience.value,
            role=r.role,
            min_tier=r.min_tier.value,
            active=r.active,
        )
        for r in checked
    )
    await session.flush()
    return await outlet_routes(session, outlet_id)
