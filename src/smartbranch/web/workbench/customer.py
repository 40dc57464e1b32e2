"""The customer on the tablet: ``/workbench/customers/{number}``.

The page is the customer brief for the tablet channel (as the service cuts it down for the
caller's role), the suggested leads with their one-tap outcomes, and today's visit — its
timeline, the need form and the hand-off form. Every read goes through the brief service,
which writes the audit row; every change goes through the service that owns it.

Each form posts here. With HTMX the answer is the block the form sits in (the leads, or the
visit); without JavaScript the browser is sent back to the page (303). A refused post
changes nothing (savepoint) and the block comes back with the translated message, the
values entered, and the error's status.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import RedirectResponse, Response

from smartbranch.auth.service import Principal
from smartbranch.catalog.labels import CATEGORY_LABELS, category_label
from smartbranch.catalog.service import search_products
from smartbranch.errors import AppError, BadRequestError
from smartbranch.i18n import N_, translate
from smartbranch.orgs.service import get_org_by_code
from smartbranch.service.brief import customer_brief
from smartbranch.service.collab import capture_need, create_handoff
from smartbranch.service.duty import OnDuty, on_duty
from smartbranch.service.offers import record_offer_outcome
from smartbranch.service.schemas import Brief, HandoffIn, NeedIn
from smartbranch.web.deps import PageStaffDep
from smartbranch.web.labels import role_label
from smartbranch.web.templating import PageLocaleDep, render
from smartbranch.web.workbench.common import (
    HANDOFF_ROLES,
    TABLET_ROLES,
    Place,
    WriteSessionDep,
    attempt,
    back_to,
    fragment_or_page,
    place_of,
    require_role,
)
from smartbranch.web.workbench.live import live_context
from smartbranch.web.workbench.outcomes import OUTCOME_SAVED, outcome_context, parse_outcome
from smartbranch.web.workbench.views import formatters, merge

router = APIRouter(prefix="/workbench/customers", include_in_schema=False)

NEED_SAVED = N_("Need saved. Colleagues serving the customer see it now.")
HANDOFF_SAVED = N_("Handed off. The colleague is told now.")


class AmountInvalidError(BadRequestError):
    code = "workbench_amount_invalid"
    message = N_("The amount must be a number of yuan, such as 50000 or 1234.50.")


class NeedEmptyError(BadRequestError):
    code = "workbench_need_empty"
    message = N_("Say what the customer needs: a category, a product or a note.")


class HandoffTargetError(BadRequestError):
    code = "workbench_handoff_target"
    message = N_("Choose whom to hand the customer to.")


class VisitMismatchError(BadRequestError):
    code = "workbench_visit_mismatch"
    message = N_("This visit is not the customer's visit today. Please reload the page.")


def customer_url(number: str) -> str:
    """The tablet page of a customer."""
    return f"/workbench/customers/{quote(number, safe='')}"


async def _brief(session: AsyncSession, principal: Principal, number: str, locale: str) -> Brief:
    return await customer_brief(session, principal, number, channel="tablet", locale=locale)


async def _visit_context(
    session: AsyncSession, brief: Brief, place: Place, locale: str
) -> dict[str, Any]:
    """What the need and hand-off forms offer: categories, products, roles, colleagues."""
    if brief.visit is None:
        return {
            "need_categories": [],
            "need_products": [],
            "handoff_roles": [],
            "handoff_colleagues": [],
        }
    products = await search_products(session, locale=locale, limit=200)
    grouped: dict[str, list[tuple[str, str]]] = {}
    for product in products:
        grouped.setdefault(product.category_label, []).append((product.code, product.name))
    colleagues = [
        (f"staff:{d.staff_id}", f"{d.display_name} · {role_label(d.role, locale)}")
        for d in await _on_duty_at_visit(session, brief)
        if d.staff_id != place.staff_id
    ]
    return {
        "need_categories": [(c, category_label(c, locale)) for c in CATEGORY_LABELS],
        "need_products": list(grouped.items()),
        "handoff_roles": [(f"role:{r.value}", role_label(r, locale)) for r in HANDOFF_ROLES],
        "handoff_colleagues": colleagues,
    }


async def _context(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    locale: str,
    number: str,
    *,
    page: bool,
    visit: bool = True,
) -> dict[str, Any]:
    """Everything the page (or one of its blocks) renders from: one brief read (audited)."""
    require_role(principal, TABLET_ROLES)
    place = await place_of(session, principal, locale)
    live = await live_context(session, locale) if page else {}
    brief = await _brief(session, principal, number, locale)
    extra = await _visit_context(session, brief, place, locale) if visit else {}
    return merge(
        formatters(locale, place.timezone),
        outcome_context(place.today(), locale),
        live,
        extra,
        {
            "brief": brief,
            "place": place,
            "staff_name": place.display_name,
            "page_path": customer_url(brief.customer.number),
            "need_values": None,
            "need_error": None,
            "need_done": None,
            "handoff_values": None,
            "handoff_error": None,
            "handoff_done": None,
            "outcome_error": None,
            "outcome_done": None,
        },
    )


@router.get("")
async def open_customer(principal: PageStaffDep, number: Annotated[str, Query()] = "") -> Response:
    """The lobby's "open customer" box: on to the customer's page."""
    require_role(principal, TABLET_ROLES)
    number = number.strip()
    if not number:
        return RedirectResponse("/workbench", status_code=303)
    return RedirectResponse(customer_url(number), status_code=303)


@router.get("/{number}")
async def customer_page(
    request: Request,
    number: str,
    session: WriteSessionDep,
    locale: PageLocaleDep,
    principal: PageStaffDep,
) -> Response:
    """The customer's brief on the tablet."""
    context = await _context(request, session, principal, locale, number, page=True)
    return render(request, "workbench/customer.html", context)


@router.get("/{number}/leads")
async def leads_block(
    request: Request,
    number: str,
    session: WriteSessionDep,
    locale: PageLocaleDep,
    principal: PageStaffDep,
) -> Response:
    """The leads block alone (refreshed when a colleague records an outcome)."""
    context = await _context(request, session, principal, locale, number, page=False, visit=False)
    return render(request, "workbench/_leads.html", context)


@router.get("/{number}/timeline")
async def timeline_block(
    request: Request,
    number: str,
    session: WriteSessionDep,
    locale: PageLocaleDep,
    principal: PageStaffDep,
) -> Response:
    """The visit's timeline alone (refreshed live; the forms beside it are left alone)."""
    context = await _context(request, session, principal, locale, number, page=False, visit=False)
    return render(request, "workbench/_timeline.html", context)


@router.post("/{number}/leads/{lead_id}/outcome")
async def record_outcome(
    request: Request,
    number: str,
    lead_id: int,
    session: WriteSessionDep,
    locale: PageLocaleDep,
    principal: PageStaffDep,
    kind: Annotated[str, Form()] = "",
    reason_code: Annotated[str, Form(max_length=32)] = "",
    follow_up_on: Annotated[str, Form(max_length=10)] = "",
    visit_id: Annotated[str, Form(max_length=18)] = "",
) -> Response:
    """One tap: what happened when the lead was presented (or why it was not)."""
    require_role(principal, TABLET_ROLES)

    async def action() -> Any:
        body = parse_outcome(kind, reason_code, follow_up_on, visit_id, "tablet")
        return await record_offer_outcome(session, principal, lead_id, body, locale)

    result, error = await attempt(session, action)
    htmx = fragment_or_page(request)
    if error is None and not htmx:
        return back_to(customer_url(number))
    context = await _context(
        request, session, principal, locale, number, page=not htmx, visit=not htmx
    )
    if error is not None:
        context["outcome_error"] = error.localized(locale)
    else:
        context["outcome_done"] = translate(OUTCOME_SAVED, locale).format(
            status=result.lead_status_label
        )
    return _answer(request, "workbench/_leads.html", context, error)


def _answer(
    request: Request, block: str, context: dict[str, Any], error: AppError | None
) -> Response:
    """The block for HTMX, else the whole page (only after a refused post: a successful
    one without JavaScript was answered with 303)."""
    status_code = error.status_code if error is not None else 200
    template = block if fragment_or_page(request) else "workbench/customer.html"
    return render(request, template, context, status_code=status_code)


def _amount(text: str) -> Decimal | None:
    cleaned = text.replace(",", "").replace("，", "").strip()
    if not cleaned:
        return None
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise AmountInvalidError() from None
    if not amount.is_finite() or amount < 0 or amount > Decimal("1e12"):
        raise AmountInvalidError()
    return amount.quantize(Decimal("0.01"))


def _visit_id(brief: Brief, posted: str) -> int:
    """The visit a form was for, which must still be the customer's visit today."""
    if brief.visit is None or posted != str(brief.visit.id):
        raise VisitMismatchError()
    return brief.visit.id


@router.post("/{number}/needs")
async def add_need(
    request: Request,
    number: str,
    session: WriteSessionDep,
    locale: PageLocaleDep,
    principal: PageStaffDep,
    visit_id: Annotated[str, Form(max_length=18)] = "",
    category: Annotated[str, Form(max_length=32)] = "",
    product_code: Annotated[str, Form(max_length=32)] = "",
    amount: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Capture what the customer needs, once, for everyone serving them."""
    require_role(principal, TABLET_ROLES)
    values = {
        "category": category,
        "product_code": product_code,
        "amount": amount,
        "note": note,
    }

    async def action() -> Any:
        brief = await _brief(session, principal, number, locale)
        visit = _visit_id(brief, visit_id)
        if not (category or product_code or note.strip()):
            raise NeedEmptyError()
        body = NeedIn(
            category=category or None,
            product_code=product_code or None,
            amount=_amount(amount),
            note=note.strip(),
        )
        return await capture_need(session, principal, visit, body, locale=locale)

    return await _visit_post(
        request, session, principal, locale, number, action, "need", values, NEED_SAVED
    )


@router.post("/{number}/handoffs")
async def add_handoff(
    request: Request,
    number: str,
    session: WriteSessionDep,
    locale: PageLocaleDep,
    principal: PageStaffDep,
    visit_id: Annotated[str, Form(max_length=18)] = "",
    to: Annotated[str, Form(max_length=48)] = "",
    need_id: Annotated[str, Form(max_length=18)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Hand the customer over to a role on duty or a named colleague."""
    require_role(principal, TABLET_ROLES)
    values = {"to": to, "need_id": need_id, "note": note}

    async def action() -> Any:
        brief = await _brief(session, principal, number, locale)
        visit = _visit_id(brief, visit_id)
        to_role, to_staff_id = await _handoff_target(session, brief, to)
        body = HandoffIn(
            to_role=to_role,
            to_staff_id=to_staff_id,
            need_id=int(need_id) if need_id.isdigit() else None,
            note=note.strip(),
        )
        return await create_handoff(session, principal, visit, body, locale=locale)

    return await _visit_post(
        request, session, principal, locale, number, action, "handoff", values, HANDOFF_SAVED
    )


async def _on_duty_at_visit(session: AsyncSession, brief: Brief) -> list[OnDuty]:
    """Colleagues on duty at the visit's outlet in a role a hand-off may go to."""
    assert brief.visit is not None
    outlet = await get_org_by_code(session, brief.visit.outlet_code)
    return [d for d in await on_duty(session, outlet.id) if d.role in HANDOFF_ROLES]


async def _handoff_target(session: AsyncSession, brief: Brief, to: str) -> tuple[str, int | None]:
    """``role:<role>`` or ``staff:<id>`` (a colleague on duty at the visit's outlet) as
    (role, staff id); anything else is :class:`HandoffTargetError`."""
    kind, _, value = to.partition(":")
    if kind == "role" and value in {r.value for r in HANDOFF_ROLES}:
        return value, None
    if kind == "staff" and value.isdigit():
        for duty in await _on_duty_at_visit(session, brief):
            if duty.staff_id == int(value):
                return duty.role, duty.staff_id
    raise HandoffTargetError()


async def _visit_post(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    locale: str,
    number: str,
    action: Any,
    form: str,
    values: dict[str, str],
    saved: str,
) -> Response:
    """Run a visit form's action; answer with the visit block (or 303, or the page)."""
    _result, error = await attempt(session, action)
    htmx = fragment_or_page(request)
    if error is None and not htmx:
        return back_to(customer_url(number))
    context = await _context(request, session, principal, locale, number, page=not htmx)
    if error is not None:
        context[f"{form}_error"] = error.localized(locale)
        context[f"{form}_values"] = values
    else:
        context[f"{form}_done"] = translate(saved, locale)
    return _answer(request, "workbench/_visit.html", context, error)
