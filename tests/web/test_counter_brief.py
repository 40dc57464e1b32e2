"""The called customer's brief on the teller's counter panel: counter leads with script and
one-tap outcomes, never assets, today's visit with its needs and hand-offs; outcomes go
through the offer service with the counter channel; CSRF; roles without counter briefs."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.models import AuditEntry
from smartbranch.marketing.models import Lead, Outcome
from smartbranch.queueing import service as queue
from smartbranch.service.collab import capture_need
from smartbranch.service.schemas import NeedIn
from tests.fixtures.bank import Bank
from tests.fixtures.briefs import add_lead, add_rule
from tests.fixtures.briefs import sign_in as sign_in_service
from tests.fixtures.queue import build_floor
from tests.fixtures.workbench import HTMX, WANG, Branch, build_branch, post_form, post_htmx, sign_in
from tests.web.html import PageAudit, audit

PANEL = "/counter/BJ001/1"


def _parse(response: httpx.Response) -> PageAudit:
    page = PageAudit()
    page.feed(response.text)
    page.close()
    return page


async def _at_the_counter(
    client: httpx.AsyncClient, session: AsyncSession, bank: Bank, username: str = "bj001.teller1"
) -> Branch:
    """王小明 arrived with leads, took a cash ticket; ``username`` signed in at counter 1
    and called him. Committed, so that a refused request keeps the set-up."""
    branch = await build_branch(session, bank)
    await build_floor(session, bank)
    tablet_only = await add_rule(session, branch.world, "TABLET", "WM-R2-91", channels=["tablet"])
    branch.leads["TABLET"] = await add_lead(
        session, branch.world, tablet_only, bank.customers[WANG], rank=3
    )
    await queue.issue_ticket(
        session, outlet_code="BJ001", service_code="cash", customer_id=bank.customers[WANG].id
    )
    await sign_in(client, bank, username, device="counter_bj001")
    await session.commit()
    assert (await post_htmx(client, PANEL, f"{PANEL}/sign-in", {})).status_code == 200
    called = await post_htmx(client, PANEL, f"{PANEL}/call-next", {})
    assert called.status_code == 200, called.text
    return branch


async def _status(session: AsyncSession, lead_id: int) -> str:
    lead = await session.get(Lead, lead_id, populate_existing=True)
    assert lead is not None
    return lead.status


class TestCounterBrief:
    async def test_the_teller_sees_counter_leads_and_no_assets(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _at_the_counter(client, session, bank)
        before = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "customer.brief")
        )

        response = await client.get(PANEL)

        assert response.status_code == 200
        page = audit(response)
        [brief] = page.find("section", data_testid="counter-brief")
        assert brief["id"] == "counter-brief"
        leads = [c["data-lead-id"] for c in page.find("article", data_testid="lead-card")]
        assert leads == [str(branch.leads["TD1"].id), str(branch.leads["CARD"].id)]
        assert str(branch.leads["TABLET"].id) not in leads  # not a counter lead
        assert "TD1 话术" in response.text
        assert page.find("button", data_testid="outcome-completed")
        assert not page.find("div", data_testid="customer-assets")
        assert "资产" not in response.text
        assert "120,000" not in response.text
        [entry, *_] = page.find("li", data_testid="timeline-entry")
        assert entry["data-kind"] == "arrived"
        assert any("workbench.css" in str(a.get("href")) for a in page.find("link"))
        after = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "customer.brief")
        )
        assert after == (before or 0) + 1  # the brief read is audited

    async def test_in_english(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await _at_the_counter(client, session, bank)
        response = await client.get(f"{PANEL}?lang=en")
        assert response.status_code == 200
        assert "Leads for the counter" in response.text
        assert "TD1 script" in response.text

    async def test_needs_and_hand_offs_of_the_visit(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _at_the_counter(client, session, bank)
        assert branch.visit is not None
        lobby = await sign_in_service(session, bank, "tablet_bj001", "bj001.lobby1")
        await capture_need(
            session, lobby, branch.visit.id, NeedIn(category="credit_card", note="想办信用卡")
        )
        await session.commit()
        page = _parse(await client.get(PANEL))
        assert page.find("li", data_testid="need-row")
        assert "想办信用卡" in " ".join(page.text)

    async def test_one_tap_outcome_at_the_counter(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _at_the_counter(client, session, bank)
        assert branch.visit is not None
        lead_id = branch.leads["CARD"].id

        response = await post_htmx(
            client,
            PANEL,
            f"{PANEL}/leads/{lead_id}/outcome",
            {"kind": "completed", "visit_id": str(branch.visit.id)},
        )

        assert response.status_code == 200
        assert "<html" not in response.text  # the panel fragment
        page = _parse(response)
        cards = [c["data-lead-id"] for c in page.find("article", data_testid="lead-card")]
        assert str(lead_id) not in cards
        assert "已记录" in response.text
        assert await _status(session, lead_id) == "converted"
        outcome = await session.scalar(select(Outcome).where(Outcome.lead_id == lead_id))
        assert outcome is not None
        assert outcome.channel == "counter"

    async def test_declined_with_a_reason_without_javascript(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _at_the_counter(client, session, bank)
        lead_id = branch.leads["TD1"].id
        response = await post_form(
            client,
            PANEL,
            f"{PANEL}/leads/{lead_id}/outcome",
            {"kind": "declined", "reason_code": "no_time"},
        )
        assert response.status_code == 303
        assert response.headers["location"] == PANEL
        assert await _status(session, lead_id) == "declined"

    async def test_a_refused_outcome_is_shown_and_changes_nothing(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _at_the_counter(client, session, bank)
        lead_id = branch.leads["TABLET"].id  # not offered at the counter
        response = await post_htmx(
            client, PANEL, f"{PANEL}/leads/{lead_id}/outcome", {"kind": "accepted"}
        )
        assert response.status_code == 403
        assert 'role="alert"' in response.text
        assert await _status(session, lead_id) == "open"

    async def test_csrf_is_required(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _at_the_counter(client, session, bank)
        lead_id = branch.leads["TD1"].id
        response = await client.post(
            f"{PANEL}/leads/{lead_id}/outcome", data={"kind": "accepted"}, headers=HTMX
        )
        assert response.status_code == 403
        assert await _status(session, lead_id) == "open"

    async def test_a_role_without_counter_briefs_works_the_counter_without_one(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await _at_the_counter(client, session, bank, username="bj001.lobby1")
        response = await client.get(PANEL)
        assert response.status_code == 200
        page = audit(response)
        assert page.find("p", data_testid="counter-brief-error")
        assert not page.find("article", data_testid="lead-card")

    async def test_no_brief_while_nobody_is_called(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await build_branch(session, bank)
        await build_floor(session, bank)
        await sign_in(client, bank, "bj001.teller1", device="counter_bj001")
        page = audit(await client.get(PANEL))
        assert not page.find("section", data_testid="counter-brief")
        assert not page.find("article", data_testid="lead-card")
