"""My hand-offs and follow-ups: the list, accept and done (HTMX swaps the list; without
JavaScript, 303 back), refusals shown in place and changing nothing, CSRF, who may use it."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.db import utcnow
from smartbranch.marketing.service import bank_date
from smartbranch.service.collab import create_handoff
from smartbranch.service.models import Handoff
from smartbranch.service.offers import record_offer_outcome
from smartbranch.service.schemas import HandoffIn, OutcomeIn
from tests.fixtures.bank import Bank
from tests.fixtures.briefs import sign_in as sign_in_service
from tests.fixtures.workbench import HTMX, WANG, build_branch, post_form, post_htmx, sign_in
from tests.web.html import PageAudit, audit

PAGE = "/workbench/handoffs"


def _parse(response: httpx.Response) -> PageAudit:
    page = PageAudit()
    page.feed(response.text)
    page.close()
    return page


async def _status(session: AsyncSession, handoff_id: int) -> str:
    handoff = await session.get(Handoff, handoff_id, populate_existing=True)
    assert handoff is not None
    return handoff.status


async def _handed_to_wealth(client: httpx.AsyncClient, session: AsyncSession, bank: Bank) -> int:
    """王小明 arrived; the lobby manager hands him to the wealth managers on duty; the wealth
    manager is signed in on the client. Committed, so a refused request keeps it."""
    branch = await build_branch(session, bank)
    assert branch.visit is not None
    lobby = await sign_in_service(session, bank, "tablet_bj001", "bj001.lobby1")
    await sign_in(client, bank, "bj001.wealth1")
    handoff = await create_handoff(
        session, lobby, branch.visit.id, HandoffIn(to_role="wealth_manager", note="想买理财")
    )
    await session.commit()
    return handoff.id


class TestMyHandoffs:
    async def test_the_wealth_manager_sees_the_hand_off(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        handoff_id = await _handed_to_wealth(client, session, bank)
        response = await client.get(PAGE)
        assert response.status_code == 200
        page = audit(response)  # no-store, CSP-clean
        [row] = page.find("li", data_testid="handoff-row")
        assert row["data-handoff-id"] == str(handoff_id)
        assert row["data-status"] == "open"
        assert "想买理财" in response.text
        assert "我的转介" in response.text
        [link] = page.find("a", data_testid="handoff-customer")
        assert link["href"] == f"/workbench/customers/{WANG}"
        assert page.find("button", data_testid="handoff-accept")
        [nav] = page.find("a", data_testid="nav-handoffs")
        assert nav["aria-current"] == "page"

    async def test_in_english(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await _handed_to_wealth(client, session, bank)
        response = await client.get(f"{PAGE}?lang=en")
        assert response.status_code == 200
        assert "My hand-offs" in response.text
        assert "Accept" in response.text

    async def test_accept_then_done(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        handoff_id = await _handed_to_wealth(client, session, bank)

        accepted = await post_htmx(client, PAGE, f"{PAGE}/{handoff_id}/accept", {})
        assert accepted.status_code == 200
        assert "<html" not in accepted.text  # the list only
        [row] = _parse(accepted).find("li", data_testid="handoff-row")
        assert row["data-status"] == "accepted"
        assert _parse(accepted).find("button", data_testid="handoff-done")
        assert await _status(session, handoff_id) == "accepted"

        done = await post_htmx(client, PAGE, f"{PAGE}/{handoff_id}/done", {})
        assert done.status_code == 200
        assert await _status(session, handoff_id) == "done"

    async def test_without_javascript_back_to_the_page(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        handoff_id = await _handed_to_wealth(client, session, bank)
        response = await post_form(client, PAGE, f"{PAGE}/{handoff_id}/accept", {})
        assert response.status_code == 303
        assert response.headers["location"] == PAGE
        assert await _status(session, handoff_id) == "accepted"

    async def test_a_refusal_is_shown_in_place_and_changes_nothing(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        handoff_id = await _handed_to_wealth(client, session, bank)
        # An account manager may not take on a hand-off to the wealth managers.
        await sign_in(client, bank, "bj001.account2")
        response = await post_htmx(client, PAGE, f"{PAGE}/{handoff_id}/accept", {})
        assert response.status_code == 403
        page = _parse(response)
        [error] = page.find("p", data_testid="handoff-error")
        assert error["role"] == "alert"
        assert await _status(session, handoff_id) == "open"

    async def test_done_before_accepted_is_refused(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        handoff_id = await _handed_to_wealth(client, session, bank)
        response = await post_htmx(client, PAGE, f"{PAGE}/{handoff_id}/done", {})
        assert response.status_code in (403, 409)
        assert _parse(response).find("p", data_testid="handoff-error")
        assert await _status(session, handoff_id) == "open"

    async def test_unknown_action(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        handoff_id = await _handed_to_wealth(client, session, bank)
        response = await post_htmx(client, PAGE, f"{PAGE}/{handoff_id}/explode", {})
        assert response.status_code == 404
        assert await _status(session, handoff_id) == "open"

    async def test_csrf_is_required(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        handoff_id = await _handed_to_wealth(client, session, bank)
        response = await client.post(f"{PAGE}/{handoff_id}/accept", headers=HTMX)
        assert response.status_code == 403
        assert await _status(session, handoff_id) == "open"

    async def test_the_list_refreshes_alone(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await _handed_to_wealth(client, session, bank)
        response = await client.get(f"{PAGE}/list", headers=HTMX)
        assert response.status_code == 200
        assert "<html" not in response.text
        assert 'data-testid="handoff-row"' in response.text

    @pytest.mark.parametrize("path", [PAGE, f"{PAGE}/list"])
    async def test_roles_that_serve_nobody_are_refused(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank, path: str
    ) -> None:
        await sign_in(client, bank, "bj.marketing")
        response = await client.get(path)
        assert response.status_code == 403


class TestMyFollowUps:
    async def test_a_deferred_lead_is_a_follow_up_of_its_account_manager(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await build_branch(session, bank)
        assert branch.visit is not None
        lobby = await sign_in_service(session, bank, "tablet_bj001", "bj001.lobby1")
        day = bank_date(utcnow()) + timedelta(days=3)
        await record_offer_outcome(
            session,
            lobby,
            branch.leads["TD1"].id,
            OutcomeIn(kind="deferred", channel="tablet", follow_up_on=day),
            "zh_CN",
        )
        await sign_in(client, bank, "bj001.account1")  # 王小明's own account manager

        response = await client.get(PAGE)

        assert response.status_code == 200
        page = audit(response)
        [row] = page.find("li", data_testid="follow-up-row")
        assert row["data-lead-id"] == str(branch.leads["TD1"].id)
        assert row["data-customer-number"] == WANG
        assert day.isoformat() in response.text
        assert "我的管户客户" in response.text
        fragment = await client.get("/workbench/follow-ups", headers=HTMX)
        assert 'data-testid="follow-up-row"' in fragment.text

    async def test_nothing_due(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await sign_in(client, bank, "bj001.account1")
        page = audit(await client.get(PAGE))
        assert page.find("p", data_testid="follow-ups-empty")
        assert page.find("p", data_testid="handoffs-empty")
