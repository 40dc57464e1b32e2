"""The customer on the tablet: the brief, the leads with one-tap outcomes (HTMX swaps the
leads block; without JavaScript, 303 back), the need and hand-off forms, the timeline; who
may open it; CSRF on every form; nothing refused changes anything."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.models import AuditEntry
from smartbranch.marketing.models import Lead, Outcome
from smartbranch.service.models import Handoff, Need
from tests.fixtures.bank import Bank
from tests.fixtures.briefs import sign_in as sign_in_service
from tests.fixtures.workbench import (
    HTMX,
    WANG,
    Branch,
    build_branch,
    post_form,
    post_htmx,
    sign_in,
)
from tests.web.html import PageAudit, audit

PAGE = f"/workbench/customers/{WANG}"


def _parse(response: httpx.Response) -> PageAudit:
    page = PageAudit()
    page.feed(response.text)
    page.close()
    return page


async def _lead(session: AsyncSession, lead_id: int) -> Lead:
    lead = await session.get(Lead, lead_id, populate_existing=True)
    assert lead is not None
    return lead


async def _count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _ready(client: httpx.AsyncClient, session: AsyncSession, bank: Bank) -> Branch:
    """Signed in as the lobby manager, with the branch built and committed (a refused
    request rolls its unit of work back, which must not take the set-up with it)."""
    await sign_in(client, bank, "bj001.lobby1")
    branch = await build_branch(session, bank)
    await session.commit()
    return branch


class TestCustomerPage:
    async def test_the_brief_on_the_tablet(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _ready(client, session, bank)
        assert branch.visit is not None
        before = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "customer.brief")
        )

        response = await client.get(PAGE)

        assert response.status_code == 200
        page = audit(response)  # no-store, CSP-clean
        [root] = page.find("div", data_testid="customer")
        assert root["data-customer-number"] == WANG
        assert root["data-visit-id"] == str(branch.visit.id)
        assert page.find("div", data_testid="customer-assets")
        assert "资产（AUM）" in response.text
        cards = page.find("article", data_testid="lead-card")
        # Best first: the time deposit (rank 1), then the card sold on the spot.
        assert [c["data-lead-id"] for c in cards] == [
            str(branch.leads["TD1"].id),
            str(branch.leads["CARD"].id),
        ]
        assert "TD1 话术" in response.text  # the rendered script
        assert len(page.find("button", data_testid="outcome-completed")) == 1  # the card only
        assert len(page.find("summary", data_testid="outcome-declined")) == 2
        assert page.find("button", data_testid="decline-reason", data_reason="not_interested")
        assert page.find("form", data_testid="need-form")
        assert page.find("form", data_testid="handoff-form")
        [entry] = page.find("li", data_testid="timeline-entry")
        assert entry["data-kind"] == "arrived"
        after = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "customer.brief")
        )
        assert after == (before or 0) + 1  # the read is audited

    async def test_in_english(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await _ready(client, session, bank)
        response = await client.get(f"{PAGE}?lang=en")
        assert response.status_code == 200
        audit(response)
        assert "TD1 script" in response.text
        assert "Suggested for this customer" in response.text
        assert "Capture a need" in response.text
        assert "Assets under management" in response.text

    @pytest.mark.parametrize(
        ("username", "device"),
        [("bj001.teller1", "counter_bj001"), ("bj.marketing", "tablet_bj001")],
    )
    async def test_roles_that_do_not_read_briefs_on_the_tablet_are_refused(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        bank: Bank,
        username: str,
        device: str,
    ) -> None:
        await build_branch(session, bank)
        await sign_in(client, bank, username, device=device)
        response = await client.get(PAGE)
        assert response.status_code == 403
        assert "TD1" not in response.text

    async def test_an_unknown_customer(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await _ready(client, session, bank)
        response = await client.get("/workbench/customers/C9999999999")
        assert response.status_code == 404
        audit(response)

    async def test_the_open_box_goes_to_the_customer(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await _ready(client, session, bank)
        response = await client.get("/workbench/customers", params={"number": f" {WANG} "})
        assert response.status_code == 303
        assert response.headers["location"] == PAGE

    async def test_without_a_visit_today_there_are_no_forms(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await sign_in(client, bank, "bj001.lobby1")
        await build_branch(session, bank, arrived=False)
        page = audit(await client.get(PAGE))
        assert page.find("p", data_testid="no-visit")
        assert not page.find("form", data_testid="need-form")

    async def test_fragments(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await _ready(client, session, bank)
        leads = await client.get(f"{PAGE}/leads", headers=HTMX)
        assert leads.status_code == 200
        assert "<html" not in leads.text
        assert 'data-testid="lead-card"' in leads.text
        timeline = await client.get(f"{PAGE}/timeline", headers=HTMX)
        assert timeline.status_code == 200
        assert 'data-testid="timeline-entry"' in timeline.text
        assert 'data-testid="need-form"' not in timeline.text  # the forms are left alone


class TestOneTapOutcome:
    async def test_declined_with_a_reason_swaps_the_leads_block(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _ready(client, session, bank)
        assert branch.visit is not None
        lead = branch.leads["TD1"]

        response = await post_htmx(
            client,
            PAGE,
            f"{PAGE}/leads/{lead.id}/outcome",
            {"kind": "declined", "reason_code": "no_funds", "visit_id": str(branch.visit.id)},
        )

        assert response.status_code == 200
        assert "<html" not in response.text  # the leads block only
        page = _parse(response)
        assert [c["data-lead-id"] for c in page.find("article", data_testid="lead-card")] == [
            str(branch.leads["CARD"].id)
        ]
        [offered] = page.find("article", data_testid="lead-offered")
        assert offered["data-lead-id"] == str(lead.id)
        assert page.find("p", data_testid="outcome-recorded")
        assert (await _lead(session, lead.id)).status == "declined"
        outcome = await session.scalar(select(Outcome).where(Outcome.lead_id == lead.id))
        assert outcome is not None
        assert outcome.reason_code == "no_funds"
        assert outcome.channel == "tablet"
        assert outcome.visit_id == branch.visit.id

    async def test_completed_on_the_spot_converts_the_lead(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _ready(client, session, bank)
        assert branch.visit is not None
        lead = branch.leads["CARD"]
        response = await post_htmx(
            client,
            PAGE,
            f"{PAGE}/leads/{lead.id}/outcome",
            {"kind": "completed", "visit_id": str(branch.visit.id)},
        )
        assert response.status_code == 200
        assert (await _lead(session, lead.id)).status == "converted"

    async def test_deferred_needs_a_date(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _ready(client, session, bank)
        lead = branch.leads["TD1"]
        outcomes = await _count(session, Outcome)
        response = await post_htmx(
            client,
            PAGE,
            f"{PAGE}/leads/{lead.id}/outcome",
            {"kind": "deferred", "follow_up_on": "not a date"},
        )
        assert response.status_code == 400
        page = _parse(response)
        [error] = page.find("p", data_testid="outcome-error")
        assert error["role"] == "alert"
        assert "请选择跟进日期" in response.text
        assert page.find("article", data_testid="lead-card")  # the leads are still there
        assert (await _lead(session, lead.id)).status == "open"
        assert await _count(session, Outcome) == outcomes

    async def test_deferred_to_a_date(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _ready(client, session, bank)
        lead = branch.leads["TD1"]
        page = audit(await client.get(PAGE))
        [picker, _other] = page.find("input", data_testid="defer-date")
        day = str(picker["value"])
        response = await post_htmx(
            client,
            PAGE,
            f"{PAGE}/leads/{lead.id}/outcome",
            {"kind": "deferred", "follow_up_on": day},
        )
        assert response.status_code == 200
        assert (await _lead(session, lead.id)).status == "deferred"

    async def test_a_refusal_by_the_service_is_shown_in_place(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _ready(client, session, bank)
        lead = branch.leads["TD1"]  # not sold on the spot
        response = await post_htmx(
            client, PAGE, f"{PAGE}/leads/{lead.id}/outcome", {"kind": "completed"}
        )
        assert response.status_code == 409
        assert _parse(response).find("p", data_testid="outcome-error")
        assert (await _lead(session, lead.id)).status == "open"

    async def test_without_javascript_back_to_the_page(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _ready(client, session, bank)
        lead = branch.leads["TD1"]
        response = await post_form(
            client, PAGE, f"{PAGE}/leads/{lead.id}/outcome", {"kind": "already_has"}
        )
        assert response.status_code == 303
        assert response.headers["location"] == PAGE
        assert (await _lead(session, lead.id)).status != "open"

    async def test_a_refused_post_without_javascript_shows_the_page(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _ready(client, session, bank)
        lead = branch.leads["TD1"]
        response = await post_form(client, PAGE, f"{PAGE}/leads/{lead.id}/outcome", {"kind": "x"})
        assert response.status_code == 400
        page = audit(response)
        assert page.find("div", data_testid="customer")  # the whole page, with the message
        assert page.find("p", data_testid="outcome-error")

    async def test_csrf_is_required(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _ready(client, session, bank)
        lead_id = branch.leads["TD1"].id  # read now: the refused request expires the objects
        response = await client.post(
            f"{PAGE}/leads/{lead_id}/outcome", data={"kind": "accepted"}, headers=HTMX
        )
        assert response.status_code == 403
        assert (await _lead(session, lead_id)).status == "open"


class TestNeedForm:
    async def test_capture_a_need(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _ready(client, session, bank)
        assert branch.visit is not None
        response = await post_htmx(
            client,
            PAGE,
            f"{PAGE}/needs",
            {
                "visit_id": str(branch.visit.id),
                "category": "wealth",
                "amount": "50,000",
                "note": "想了解稳健理财",
            },
        )
        assert response.status_code == 200
        assert "<html" not in response.text  # the visit block
        page = _parse(response)
        assert page.find("p", data_testid="need-saved")
        [row] = page.find("li", data_testid="need-row")
        need = await session.get(Need, int(str(row["data-need-id"])))
        assert need is not None
        assert need.category == "wealth"
        assert str(need.amount) == "50000.00"
        assert need.visit_id == branch.visit.id
        # Offered at once in the hand-off form beside it.
        assert page.find("option", value=str(need.id))
        assert "想了解稳健理财" in response.text

    async def test_a_bad_amount_is_shown_with_the_values_and_changes_nothing(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _ready(client, session, bank)
        assert branch.visit is not None
        before = await _count(session, Need)
        response = await post_htmx(
            client,
            PAGE,
            f"{PAGE}/needs",
            {"visit_id": str(branch.visit.id), "amount": "lots", "note": "大额存单"},
        )
        assert response.status_code == 400
        page = _parse(response)
        assert page.find("p", data_testid="need-error")
        assert "金额须为以元为单位的数字" in response.text
        assert "大额存单" in response.text  # what was typed comes back
        assert await _count(session, Need) == before

    async def test_an_empty_need_is_refused(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _ready(client, session, bank)
        assert branch.visit is not None
        response = await post_htmx(
            client, PAGE, f"{PAGE}/needs", {"visit_id": str(branch.visit.id)}
        )
        assert response.status_code == 400
        assert await _count(session, Need) == 0

    async def test_a_stale_visit_is_refused(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        await _ready(client, session, bank)
        response = await post_htmx(
            client, PAGE, f"{PAGE}/needs", {"visit_id": "999999", "note": "x"}
        )
        assert response.status_code == 400
        assert await _count(session, Need) == 0

    async def test_without_javascript(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _ready(client, session, bank)
        assert branch.visit is not None
        response = await post_form(
            client, PAGE, f"{PAGE}/needs", {"visit_id": str(branch.visit.id), "note": "换卡"}
        )
        assert response.status_code == 303
        assert response.headers["location"] == PAGE
        assert await _count(session, Need) == 1

    async def test_csrf_is_required(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _ready(client, session, bank)
        assert branch.visit is not None
        response = await client.post(
            f"{PAGE}/needs", data={"visit_id": str(branch.visit.id), "note": "x"}, headers=HTMX
        )
        assert response.status_code == 403
        assert await _count(session, Need) == 0


class TestHandoffForm:
    async def test_hand_off_to_the_wealth_managers_with_the_need(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _ready(client, session, bank)
        assert branch.visit is not None
        await sign_in_service(session, bank, "tablet_bj001", "bj001.wealth1")  # on duty
        visit = str(branch.visit.id)
        await post_htmx(client, PAGE, f"{PAGE}/needs", {"visit_id": visit, "category": "wealth"})
        need = await session.scalar(select(Need).where(Need.visit_id == branch.visit.id))
        assert need is not None

        response = await post_htmx(
            client,
            PAGE,
            f"{PAGE}/handoffs",
            {
                "visit_id": visit,
                "to": "role:wealth_manager",
                "need_id": str(need.id),
                "note": "客户想买理财",
            },
        )

        assert response.status_code == 200
        page = _parse(response)
        assert page.find("p", data_testid="handoff-saved")
        [row] = page.find("li", data_testid="visit-handoff")
        assert row["data-status"] == "open"
        handoff = await session.get(Handoff, int(str(row["data-handoff-id"])))
        assert handoff is not None
        assert handoff.to_role == "wealth_manager"
        assert handoff.to_staff_id is None
        assert handoff.need_id == need.id

    async def test_hand_off_to_a_named_colleague_on_duty(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _ready(client, session, bank)
        assert branch.visit is not None
        await sign_in_service(session, bank, "tablet_bj001", "bj001.wealth1")
        wealth = bank.staff["bj001.wealth1"]
        page = audit(await client.get(PAGE))
        assert page.find("option", value=f"staff:{wealth.id}")  # offered by name

        response = await post_htmx(
            client,
            PAGE,
            f"{PAGE}/handoffs",
            {"visit_id": str(branch.visit.id), "to": f"staff:{wealth.id}"},
        )

        assert response.status_code == 200
        handoff = await session.scalar(select(Handoff).where(Handoff.visit_id == branch.visit.id))
        assert handoff is not None
        assert handoff.to_staff_id == wealth.id
        assert handoff.to_role == "wealth_manager"

    @pytest.mark.parametrize("to", ["", "role:auditor", "staff:999999", "nobody"])
    async def test_a_bad_target_is_refused_in_place(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank, to: str
    ) -> None:
        branch = await _ready(client, session, bank)
        assert branch.visit is not None
        response = await post_htmx(
            client,
            PAGE,
            f"{PAGE}/handoffs",
            {"visit_id": str(branch.visit.id), "to": to, "note": "请接待"},
        )
        assert response.status_code == 400
        page = _parse(response)
        assert page.find("p", data_testid="handoff-error")
        assert "请选择将客户转介给谁" in response.text
        assert "请接待" in response.text
        assert await _count(session, Handoff) == 0

    async def test_csrf_is_required(
        self, client: httpx.AsyncClient, session: AsyncSession, bank: Bank
    ) -> None:
        branch = await _ready(client, session, bank)
        assert branch.visit is not None
        response = await client.post(
            f"{PAGE}/handoffs",
            data={"visit_id": str(branch.visit.id), "to": "role:wealth_manager"},
            headers=HTMX,
        )
        assert response.status_code == 403
        assert await _count(session, Handoff) == 0
