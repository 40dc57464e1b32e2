"""The teller's counter panel: ``/counter/{outlet}/{counter}``.

A teller signed in on a staff device opens the panel of a counter, signs in to it, calls
the next customer, recalls, starts, finishes, marks a no-show, skips or transfers — through
the same queue service as the JSON API. While a customer is called or served, the panel
shows their brief on the counter channel (leads with script and one-tap outcomes, today's
visit); the outcomes go through the same service as the tablet's. Each action is a form
post (HTMX swaps the panel; without JavaScript the browser posts and is sent back to the
panel). A refused action (counter closed, ticket at another counter …) changes nothing and
is shown in the panel.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.responses import RedirectResponse, Response

from smartbranch.errors import AppError
from smartbranch.http import WriteSessionDep
from smartbranch.i18n import N_, translate
from smartbranch.queueing import panel
from smartbranch.queueing import service as queue
from smartbranch.queueing.errors import TransferTargetMissingError
from smartbranch.queueing.policy import describe
from smartbranch.service.brief import customer_brief
from smartbranch.service.offers import record_offer_outcome
from smartbranch.web.deps import PageStaffDep
from smartbranch.web.templating import PageLocaleDep, is_htmx, render
from smartbranch.web.workbench.outcomes import OUTCOME_SAVED, outcome_context, parse_outcome
from smartbranch.web.workbench.views import formatters

router = APIRouter(prefix="/counter", include_in_schema=False)

PANEL = "counter/_panel.html"
NOBODY_WAITING = N_("Nobody is waiting for this counter.")


def counter_url(outlet_code: str, counter_code: str) -> str:
    """The panel of a counter."""
    return f"/counter/{quote(outlet_code, safe='')}/{quote(counter_code, safe='')}"


async def _brief_context(
    session: AsyncSession, principal: Any, locale: str, view: panel.CounterPanel
) -> dict[str, Any]:
    """The called customer's brief on the counter channel (leads with their script and
    one-tap outcomes, the visit's timeline, needs and hand-offs; never assets), read here
    because the queue's panel may not depend on the service domain. Audited by the brief
    service. A role that does not read briefs at a counter sees the panel without one."""
    ticket = view.ticket
    context: dict[str, Any] = {"brief": None, "brief_error": None}
    if ticket is None or ticket.customer_number is None:
        return context
    try:
        context["brief"] = await customer_brief(
            session, principal, ticket.customer_number, channel="counter", locale=locale
        )
    except AppError as error:
        context["brief_error"] = error.localized(locale)
        return context
    context.update(outcome_context(business_day(view.timezone), locale))
    context.update(formatters(locale, view.timezone))
    return context


def business_day(timezone: str) -> date:
    """Today at the outlet."""
    return datetime.now(ZoneInfo(timezone)).date()


async def _panel_context(
    session: AsyncSession, principal: Any, locale: str, outlet: str, counter: str
) -> dict[str, Any]:
    view = await panel.counter_panel(
        session, principal, outlet_code=outlet, counter_code=counter, locale=locale
    )
    url = counter_url(view.outlet_code, view.counter_code)
    context: dict[str, Any] = {"panel": view, "url": url, "message": None, "explanation": None}
    context.update(await _brief_context(session, principal, locale, view))
    return context


async def _render(
    request: Request,
    session: AsyncSession,
    principal: Any,
    locale: str,
    outlet: str,
    counter: str,
    *,
    message: str | None = None,
    explanation: str | None = None,
    status_code: int = 200,
) -> Response:
    context = await _panel_context(session, principal, locale, outlet, counter)
    context.update(
        {
            "page_path": context["url"],
            "staff_name": principal.staff.display_name,
            "message": message,
            "explanation": explanation,
        }
    )
    template = PANEL if is_htmx(request) else "counter/page.html"
    return render(request, template, context, status_code=status_code)


async def _act(
    request: Request,
    session: AsyncSession,
    principal: Any,
    locale: str,
    outlet: str,
    counter: str,
    action: Callable[[], Awaitable[str | None]],
) -> Response:
    """Run one action, then show the panel: a fragment for HTMX, else back to the page.
    A refused action is rolled back (to a savepoint, so the request's audit rows stay) and
    its message shown with its status."""
    await panel.check_counter_staff(session, principal, outlet)
    try:
        async with session.begin_nested():
            explanation = await action()
    except AppError as error:
        return await _render(
            request,
            session,
            principal,
            locale,
            outlet,
            counter,
            message=error.localized(locale),
            status_code=error.status_code,
        )
    if not is_htmx(request):
        return RedirectResponse(counter_url(outlet, counter), status_code=303)
    return await _render(
        request, session, principal, locale, outlet, counter, explanation=explanation
    )


@router.get("/{outlet}/{counter}")
async def counter_page(
    request: Request,
    outlet: str,
    counter: str,
    session: WriteSessionDep,
    locale: PageLocaleDep,
    principal: PageStaffDep,
) -> Response:
    """The panel of one counter (a writer: showing the called customer writes audit rows,
    and on SQLite a unit of work that reads then writes must hold the lock from the start)."""
    return await _render(request, session, principal, locale, outlet, counter)


@router.get("/{outlet}/{counter}/panel")
async def counter_fragment(
    request: Request,
    outlet: str,
    counter: str,
    session: WriteSessionDep,
    locale: PageLocaleDep,
    principal: PageStaffDep,
) -> Response:
    """The panel alone (HTMX refreshes it to keep the waiting lines current)."""
    context = await _panel_context(session, principal, locale, outlet, counter)
    return render(request, PANEL, context)


_COUNTER_ACTIONS: dict[str, Callable[..., Awaitable[object]]] = {
    "sign-in": queue.sign_in_counter,
    "pause": queue.pause_counter,
    "resume": queue.resume_counter,
    "close": queue.close_counter,
}

_TICKET_ACTIONS: dict[str, Callable[..., Awaitable[object]]] = {
    "recall": queue.recall,
    "start": queue.start_service,
    "finish": queue.finish_service,
    "no-show": queue.no_show,
    "skip": queue.skip,
}


def _lookup(
    actions: dict[str, Callable[..., Awaitable[object]]], verb: str
) -> Callable[..., Awaitable[object]]:
    """The service action a path names (an unknown one is a page that does not exist)."""
    operation = actions.get(verb)
    if operation is None:
        raise HTTPException(status_code=404)
    return operation


@router.post("/{outlet}/{counter}/call-next")
async def call_next(
    request: Request,
    outlet: str,
    counter: str,
    session: WriteSessionDep,
    locale: PageLocaleDep,
    principal: PageStaffDep,
) -> Response:
    """Call the next customer; the panel says why this ticket was chosen."""
    assert principal.staff is not None
    staff_id = principal.staff.id

    async def action() -> str | None:
        result = await queue.call_next(
            session, outlet_code=outlet, counter_code=counter, staff_id=staff_id
        )
        if result.choice is None:
            return translate(NOBODY_WAITING, locale)
        place = await queue.get_outlet(session, outlet)
        return describe(result.choice, locale, place.tz)

    return await _act(request, session, principal, locale, outlet, counter, action)


@router.post("/{outlet}/{counter}/leads/{lead_id}/outcome")
async def lead_outcome(
    request: Request,
    outlet: str,
    counter: str,
    lead_id: int,
    session: WriteSessionDep,
    locale: PageLocaleDep,
    principal: PageStaffDep,
    kind: Annotated[str, Form(max_length=16)] = "",
    reason_code: Annotated[str, Form(max_length=32)] = "",
    follow_up_on: Annotated[str, Form(max_length=10)] = "",
    visit_id: Annotated[str, Form(max_length=18)] = "",
) -> Response:
    """One tap on a lead of the called customer: what happened when the teller presented
    it (or why not). The panel comes back with the brief as it now stands."""

    async def action() -> str | None:
        body = parse_outcome(kind, reason_code, follow_up_on, visit_id, "counter")
        result = await record_offer_outcome(session, principal, lead_id, body, locale)
        return translate(OUTCOME_SAVED, locale).format(status=result.lead_status_label)

    return await _act(request, session, principal, locale, outlet, counter, action)


@router.post("/{outlet}/{counter}/tickets/{ticket_id}/transfer")
async def transfer(
    request: Request,
    outlet: str,
    counter: str,
    ticket_id: int,
    session: WriteSessionDep,
    locale: PageLocaleDep,
    principal: PageStaffDep,
    target: Annotated[str, Form()] = "",
) -> Response:
    """Send the customer on to another service or counter (the ticket keeps its place)."""
    assert principal.staff is not None
    staff_id = principal.staff.id
    kind, _, code = target.partition(":")

    async def action() -> None:
        if not code or kind not in ("service", "counter"):
            raise TransferTargetMissingError()
        await queue.transfer(
            session,
            outlet_code=outlet,
            ticket_id=ticket_id,
            staff_id=staff_id,
            to_service_code=code if kind == "service" else None,
            to_counter_code=code if kind == "counter" else None,
        )

    return await _act(request, session, principal, locale, outlet, counter, action)


@router.post("/{outlet}/{counter}/tickets/{ticket_id}/{verb}")
async def ticket_action(
    request: Request,
    outlet: str,
    counter: str,
    ticket_id: int,
    verb: str,
    session: WriteSessionDep,
    locale: PageLocaleDep,
    principal: PageStaffDep,
) -> Response:
    """Recall, start, finish, mark a no-show or skip the ticket at this counter."""
    assert principal.staff is not None
    staff_id = principal.staff.id
    operation = _lookup(_TICKET_ACTIONS, verb)

    async def action() -> None:
        await operation(session, outlet_code=outlet, ticket_id=ticket_id, staff_id=staff_id)

    return await _act(request, session, principal, locale, outlet, counter, action)


@router.post("/{outlet}/{counter}/{verb}")
async def counter_action(
    request: Request,
    outlet: str,
    counter: str,
    verb: str,
    session: WriteSessionDep,
    locale: PageLocaleDep,
    principal: PageStaffDep,
) -> Response:
    """Sign in to the counter, pause, resume or close it."""
    assert principal.staff is not None
    staff_id = principal.staff.id
    operation = _lookup(_COUNTER_ACTIONS, verb)
    device_id = principal.device.id

    async def action() -> None:
        params: dict[str, Any] = {"device_id": device_id} if verb == "sign-in" else {}
        await operation(
            session, outlet_code=outlet, counter_code=counter, staff_id=staff_id, **params
        )

    return await _act(request, session, principal, locale, outlet, counter, action)
