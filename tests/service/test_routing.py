"""Arrival routing: the routing table (who gets which arrival), rules as data with per-outlet
overrides, and the API that reads and replaces an outlet's rules."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.credentials import CredentialHasher
from smartbranch.customers.models import Tier
from smartbranch.service import routing
from smartbranch.service.duty import OnDuty
from smartbranch.service.models import ArrivalRoute, RouteAudience, RouteTrigger
from smartbranch.service.routing import Reason, Route
from tests.fixtures.bank import Bank
from tests.fixtures.service import add_service_staff, sign_in

ARRIVED, CALLED = RouteTrigger.ARRIVED, RouteTrigger.CALLED
ROLE, MANAGER, COUNTER = (
    RouteAudience.ROLE,
    RouteAudience.ACCOUNT_MANAGER,
    RouteAudience.COUNTER_STAFF,
)
#: The bank's defaults, as migration 0006 seeds them.
DEFAULTS = [
    Route(ARRIVED, ROLE, "lobby_manager"),
    Route(ARRIVED, MANAGER),
    Route(ARRIVED, ROLE, "wealth_manager", Tier.PLATINUM),
    Route(CALLED, COUNTER),
]
LOBBY, WEALTH, TELLER, OWN_MANAGER, OTHER_MANAGER = 1, 2, 3, 4, 5
FLOOR = [
    OnDuty(LOBBY, "lobby_manager", "lobby"),
    OnDuty(WEALTH, "wealth_manager", "wealth"),
    OnDuty(TELLER, "teller", "teller"),
    OnDuty(OTHER_MANAGER, "account_manager", "another customer's manager"),
]


def resolve(
    trigger: RouteTrigger = ARRIVED,
    *,
    tier: Tier = Tier.STANDARD,
    on_duty: list[OnDuty] = FLOOR,
    manager: int | None = OWN_MANAGER,
    signed_in: bool = True,
    counter: int | None = None,
    routes: list[Route] = DEFAULTS,
) -> dict[int, list[Reason]]:
    return routing.resolve_recipients(
        routes,
        trigger,
        tier=tier,
        account_manager_id=manager,
        account_manager_signed_in=signed_in,
        on_duty=on_duty,
        counter_staff_id=counter,
    )


class TestResolveRecipients:
    """The routing table over the bank's default rules."""

    @pytest.mark.parametrize(
        ("tier", "told"),
        [
            (Tier.STANDARD, {LOBBY, OWN_MANAGER}),
            (Tier.GOLD, {LOBBY, OWN_MANAGER}),
            (Tier.PLATINUM, {LOBBY, OWN_MANAGER, WEALTH}),
            (Tier.DIAMOND, {LOBBY, OWN_MANAGER, WEALTH}),
            (Tier.PRIVATE, {LOBBY, OWN_MANAGER, WEALTH}),
        ],
    )
    def test_who_is_told_of_an_arrival_by_tier(self, tier: Tier, told: set[int]) -> None:
        # Never the teller on arrival, never another customer's account manager.
        assert set(resolve(tier=tier)) == told

    def test_reasons_say_why(self) -> None:
        told = resolve(tier=Tier.PLATINUM)
        assert told[LOBBY] == [Reason(routing.REASON_ON_DUTY, role="lobby_manager")]
        assert told[OWN_MANAGER] == [Reason(routing.REASON_OWN_MANAGER)]
        assert told[WEALTH] == [
            Reason(routing.REASON_TIER, role="wealth_manager", min_tier=Tier.PLATINUM)
        ]

    def test_lobby_manager_off_duty_is_not_told(self) -> None:
        off_duty = [d for d in FLOOR if d.staff_id != LOBBY]
        assert LOBBY not in resolve(on_duty=off_duty)

    def test_every_lobby_manager_on_duty_is_told(self) -> None:
        floor = [*FLOOR, OnDuty(9, "lobby_manager", "second lobby manager")]
        assert {LOBBY, 9} <= set(resolve(on_duty=floor))

    def test_own_manager_is_told_wherever_signed_in(self) -> None:
        # Not on this outlet's floor at all: signed in somewhere else.
        assert OWN_MANAGER in resolve(on_duty=[])

    def test_own_manager_not_signed_in_is_not_told(self) -> None:
        assert OWN_MANAGER not in resolve(signed_in=False)

    def test_customer_without_own_manager(self) -> None:
        assert set(resolve(manager=None)) == {LOBBY}

    def test_wealth_manager_off_duty_is_not_told_even_for_private_banking(self) -> None:
        off_duty = [d for d in FLOOR if d.staff_id != WEALTH]
        assert WEALTH not in resolve(tier=Tier.PRIVATE, on_duty=off_duty)

    def test_call_goes_to_the_counter_staff_only(self) -> None:
        assert resolve(CALLED, tier=Tier.PRIVATE, counter=TELLER) == {
            TELLER: [Reason(routing.REASON_COUNTER)]
        }

    def test_counter_route_has_no_one_to_tell_without_a_counter(self) -> None:
        assert resolve(CALLED, counter=None) == {}

    def test_inactive_route_tells_nobody(self) -> None:
        routes = [Route(ARRIVED, ROLE, "lobby_manager", active=False)]
        assert resolve(routes=routes) == {}

    def test_two_routes_to_one_person_tell_once_with_both_reasons(self) -> None:
        # An outlet that also wants account managers on duty told: the own manager on the
        # floor is reached twice, and told once.
        floor = [*FLOOR, OnDuty(OWN_MANAGER, "account_manager", "own manager")]
        routes = [*DEFAULTS, Route(ARRIVED, ROLE, "account_manager")]
        told = resolve(on_duty=floor, routes=routes)
        assert told[OWN_MANAGER] == [
            Reason(routing.REASON_OWN_MANAGER),
            Reason(routing.REASON_ON_DUTY, role="account_manager"),
        ]
        assert OTHER_MANAGER in told

    def test_tier_threshold_is_configurable(self) -> None:
        routes = [Route(ARRIVED, ROLE, "wealth_manager", Tier.GOLD)]
        assert set(resolve(tier=Tier.GOLD, routes=routes)) == {WEALTH}
        assert resolve(tier=Tier.STANDARD, routes=routes) == {}

    def test_reason_texts(self) -> None:
        tier = Reason(routing.REASON_TIER, role="wealth_manager", min_tier=Tier.PLATINUM)
        assert routing.reason_text(tier, "zh_CN") == "白金卡及以上等级的客户。"
        assert routing.reason_text(tier.as_json(), "en") == "A customer of tier Platinum or above."
        assert routing.reason_text(Reason(routing.REASON_OWN_MANAGER), "zh_CN") == "您管户的客户。"


class TestLoadRoutes:
    async def test_bank_defaults_are_seeded(self, session: AsyncSession, bank: Bank) -> None:
        outlet = bank.orgs["BJ001"].id
        assert await routing.load_routes(session, outlet, ARRIVED) == DEFAULTS[:3]
        assert await routing.load_routes(session, outlet, CALLED) == DEFAULTS[3:]

    async def test_outlet_rules_replace_the_defaults_for_their_trigger_only(
        self, session: AsyncSession, bank: Bank
    ) -> None:
        outlet = bank.orgs["BJ001"].id
        own = {"trigger": "arrived", "audience": "role", "role": "wealth_manager"}
        await routing.replace_routes(session, outlet, [own])
        assert await routing.load_routes(session, outlet, ARRIVED) == [
            Route(ARRIVED, ROLE, "wealth_manager")
        ]
        assert await routing.load_routes(session, outlet, CALLED) == DEFAULTS[3:]
        # Another outlet keeps the bank's defaults.
        other = bank.orgs["BJ002"].id
        assert await routing.load_routes(session, other, ARRIVED) == DEFAULTS[:3]

    async def test_an_inactive_rule_switches_a_trigger_off(
        self, session: AsyncSession, bank: Bank
    ) -> None:
        outlet = bank.orgs["BJ001"].id
        off = {"trigger": "called", "audience": "counter_staff", "active": False}
        await routing.replace_routes(session, outlet, [off])
        routes = await routing.load_routes(session, outlet, CALLED)
        assert resolve(CALLED, counter=TELLER, routes=routes) == {}

    async def test_an_empty_list_returns_to_the_defaults(
        self, session: AsyncSession, bank: Bank
    ) -> None:
        outlet = bank.orgs["BJ001"].id
        await routing.replace_routes(
            session, outlet, [{"trigger": "arrived", "audience": "account_manager"}]
        )
        replaced = await routing.replace_routes(session, outlet, [])
        assert replaced.own == []
        assert replaced.effective == DEFAULTS


class TestReplaceRoutes:
    @pytest.mark.parametrize(
        ("route", "code"),
        [
            ({"trigger": "left", "audience": "role", "role": "teller"}, "route_trigger_unknown"),
            ({"trigger": "arrived", "audience": "everyone"}, "route_audience_unknown"),
            ({"trigger": "arrived", "audience": "role"}, "route_role_required"),
            ({"trigger": "arrived", "audience": "role", "role": "cleaner"}, "route_role_unknown"),
            ({"trigger": "arrived", "audience": "role", "role": "admin"}, "route_role_unknown"),
            (
                {"trigger": "arrived", "audience": "account_manager", "role": "teller"},
                "route_role_unexpected",
            ),
            (
                {"trigger": "arrived", "audience": "role", "role": "teller", "min_tier": "gilt"},
                "route_tier_unknown",
            ),
            ({"trigger": "arrived", "audience": "counter_staff"}, "route_counter_on_arrival"),
        ],
    )
    async def test_bad_rule_is_refused_and_changes_nothing(
        self, session: AsyncSession, bank: Bank, route: dict[str, object], code: str
    ) -> None:
        outlet = bank.orgs["BJ001"].id
        good = {"trigger": "arrived", "audience": "account_manager"}
        await routing.replace_routes(session, outlet, [good])
        with pytest.raises(routing.BadRequestError) as raised:
            await routing.replace_routes(session, outlet, [good, route])
        assert raised.value.code == code
        assert await routing.load_routes(session, outlet, ARRIVED) == [Route(ARRIVED, MANAGER)]

    async def test_duplicates_are_refused(self, session: AsyncSession, bank: Bank) -> None:
        route = {"trigger": "arrived", "audience": "role", "role": "teller"}
        with pytest.raises(routing.RouteDuplicateError):
            await routing.replace_routes(session, bank.orgs["BJ001"].id, [route, dict(route)])

    async def test_too_many_are_refused(self, session: AsyncSession, bank: Bank) -> None:
        routes = [
            {"trigger": "arrived", "audience": "role", "role": "teller", "min_tier": "gold"}
        ] * (routing.MAX_ROUTES + 1)
        with pytest.raises(routing.RoutesTooManyError):
            await routing.replace_routes(session, bank.orgs["BJ001"].id, routes)


ROUTES_URL = "/api/v1/outlets/BJ001/arrival-routes"


@pytest.fixture
async def staffed(session: AsyncSession, bank: Bank, hasher: CredentialHasher) -> Bank:
    return await add_service_staff(session, bank, hasher)


async def _own_rows(session: AsyncSession, bank: Bank, outlet: str = "BJ001") -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(ArrivalRoute)
        .where(ArrivalRoute.outlet_id == bank.orgs[outlet].id)
    )
    return int(count or 0)


class TestArrivalRoutesApi:
    async def test_outlet_manager_reads_defaults_and_what_is_in_force(
        self, client: httpx.AsyncClient, session: AsyncSession, staffed: Bank
    ) -> None:
        manager = await sign_in(session, staffed, "bj001.manager", "tablet_bj001")
        response = await client.get(ROUTES_URL, headers=manager.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["outlet"] == "BJ001"
        assert body["own"] == []
        assert body["effective"] == body["defaults"]
        assert {
            "trigger": "arrived",
            "audience": "role",
            "role": "wealth_manager",
            "min_tier": "platinum",
            "active": True,
        } in body["defaults"]

    async def test_admin_replaces_an_outlets_routes(
        self, client: httpx.AsyncClient, session: AsyncSession, staffed: Bank
    ) -> None:
        admin = await sign_in(session, staffed, "ho.admin", "tablet_bj001")
        routes = [
            {"trigger": "arrived", "audience": "role", "role": "wealth_manager", "min_tier": "gold"}
        ]
        response = await client.put(
            "/api/v1/outlets/BJ002/arrival-routes", json={"routes": routes}, headers=admin.headers
        )
        assert response.status_code == 200, response.text
        effective = response.json()["effective"]
        assert [r for r in effective if r["trigger"] == "arrived"] == [
            {**routes[0], "active": True}
        ]
        assert [r["audience"] for r in effective if r["trigger"] == "called"] == ["counter_staff"]
        assert await _own_rows(session, staffed, "BJ002") == 1

    async def test_bad_route_is_400_with_its_code_and_changes_nothing(
        self, client: httpx.AsyncClient, session: AsyncSession, staffed: Bank
    ) -> None:
        manager = await sign_in(session, staffed, "bj001.manager", "tablet_bj001")
        response = await client.put(
            ROUTES_URL,
            json={"routes": [{"trigger": "arrived", "audience": "role"}]},
            headers=manager.headers,
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "route_role_required"
        assert await _own_rows(session, staffed) == 0

    @pytest.mark.parametrize("username", ["bj001.lobby1", "bj001.teller1", "bj001.account1"])
    async def test_serving_roles_may_not_change_routes(
        self, client: httpx.AsyncClient, session: AsyncSession, staffed: Bank, username: str
    ) -> None:
        someone = await sign_in(session, staffed, username, "tablet_bj001")
        response = await client.put(ROUTES_URL, json={"routes": []}, headers=someone.headers)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "routes_role_not_allowed"

    async def test_outlet_manager_only_of_their_outlet(
        self, client: httpx.AsyncClient, session: AsyncSession, staffed: Bank
    ) -> None:
        manager = await sign_in(session, staffed, "bj001.manager", "tablet_bj001")
        response = await client.get("/api/v1/outlets/BJ002/arrival-routes", headers=manager.headers)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "outlet_out_of_scope"

    async def test_unknown_outlet_is_404(
        self, client: httpx.AsyncClient, session: AsyncSession, staffed: Bank
    ) -> None:
        admin = await sign_in(session, staffed, "ho.admin", "tablet_bj001")
        response = await client.get("/api/v1/outlets/NOPE/arrival-routes", headers=admin.headers)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "outlet_not_found"

    async def test_kiosk_is_401(self, client: httpx.AsyncClient, staffed: Bank) -> None:
        response = await client.get(
            ROUTES_URL, headers={"X-Device-Token": staffed.tokens["kiosk_bj001"]}
        )
        assert response.status_code == 401

    async def test_openapi_documents_the_codes(self, client: httpx.AsyncClient) -> None:
        spec = (await client.get("/openapi.json")).json()
        put = spec["paths"]["/api/v1/outlets/{outlet}/arrival-routes"]["put"]
        text = " ".join(r.get("description", "") for r in put["responses"].values())
        for error in routing.ROUTE_ERRORS:
            assert f"`{error.code}`" in text
