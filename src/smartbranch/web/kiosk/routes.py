"""The queue kiosk (排队机): a customer swipes a card or scans an ID and is greeted.

A kiosk is a public screen. It shows the greeting (surname and honorific) and the tier,
never the full name, the customer number, the credential number or the customer's assets.
The number travels only in a POST body, is not echoed back and is not logged.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from smartbranch.auth.dependencies import DEVICE_COOKIE
from smartbranch.auth.models import DeviceKind
from smartbranch.auth.service import DeviceInfo, DeviceKindNotAllowedError, Principal
from smartbranch.credentials import CredentialHasher, CredentialInvalidError, CredentialKind
from smartbranch.customers import service as customers
from smartbranch.customers.models import Tier
from smartbranch.customers.tiers import TIER_LABELS
from smartbranch.http import SessionDep, SettingsDep, WriteSessionDep
from smartbranch.i18n import translate
from smartbranch.orgs.service import get_outlet_by_code
from smartbranch.queueing import service as queue
from smartbranch.service import arrivals
from smartbranch.settings import Settings
from smartbranch.web.cookies import set_device_cookie
from smartbranch.web.deps import PageDeviceDep
from smartbranch.web.errors import ErrorPartial
from smartbranch.web.labels import org_name
from smartbranch.web.navigation import kiosk_url
from smartbranch.web.templating import PageLocaleDep, is_htmx, render

router = APIRouter(prefix="/kiosk", include_in_schema=False)

#: No credential is longer than 20 characters, even with a few separators; a longer value
#: is refused before it is normalised.
MAX_VALUE_LENGTH = 64

#: Seconds a result stays on screen before the kiosk returns to its welcome screen.
RESET_SECONDS = 20

#: The choices on screen. A card reader cannot tell debit from credit cards, and both share
#: one hash family, so "bank card" is sent as ``debit_card``.
KIND_CHOICES = (
    CredentialKind.DEBIT_CARD,
    CredentialKind.PASSBOOK,
    CredentialKind.ID_CARD,
)

RESULT_PARTIAL = "kiosk/_result.html"
TICKET_PARTIAL = "kiosk/_ticket.html"


@dataclass(frozen=True, slots=True)
class KioskScreen:
    """A kiosk device at the outlet whose screen it shows."""

    device: DeviceInfo
    outlet_code: str
    outlet_name: str
    url: str
    timezone: str = "Asia/Shanghai"


async def kiosk_screen(
    outlet: str, device: PageDeviceDep, session: SessionDep, locale: PageLocaleDep
) -> KioskScreen:
    """The kiosk device of this browser, which must stand at ``outlet``."""
    if device.kind != DeviceKind.KIOSK:
        raise DeviceKindNotAllowedError()
    unit = await get_outlet_by_code(session, outlet)
    # A kiosk stands at one outlet: exactly that one, not any in its enrolment subtree.
    if unit.id != device.org_unit_id:
        raise customers.DeviceOutletMismatchError(code=outlet)
    return KioskScreen(
        device=device,
        outlet_code=unit.code,
        outlet_name=org_name(unit.name, unit.name_en, locale),
        url=kiosk_url(unit.code),
        timezone=unit.timezone,
    )


KioskScreenDep = Annotated[KioskScreen, Depends(kiosk_screen)]


async def _services(
    session: AsyncSession, screen: KioskScreen, locale: str
) -> list[dict[str, Any]]:
    """The services a customer may take a ticket for, with how many wait for each."""
    snapshot = await queue.queue_snapshot(session, outlet_code=screen.outlet_code)
    return [
        {"code": s.code, "name": org_name(s.name, s.name_en, locale), "waiting": s.waiting_count}
        for s in snapshot.services
    ]


def _page_context(
    screen: KioskScreen,
    result: dict[str, Any] | None,
    *,
    locale: str,
    settings: Settings,
    services: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    # A customer may switch the kiosk to English; the next customer should find it in the
    # bank's language again, so kiosk.js returns there when the screen resets.
    reset_url = (
        ""
        if locale == settings.default_locale
        else (f"{screen.url}?lang={settings.default_locale}")
    )
    return {
        "screen": screen,
        "page_path": screen.url,
        "reset_url": reset_url,
        "kinds": KIND_CHOICES,
        "reset_seconds": RESET_SECONDS,
        "result": result,
        "services": services or [],
        # A double tap or a retried post carries the same key: one ticket, not two.
        "idempotency_key": secrets.token_urlsafe(16),
        "message": None,
        "code": None,
        "status_code": 200,
    }


@router.get("/{outlet}")
async def kiosk_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    locale: PageLocaleDep,
    screen: KioskScreenDep,
) -> Response:
    """The welcome screen: choose the kind of card or ID and present it."""
    services = await _services(session, screen, locale)
    context = _page_context(screen, None, locale=locale, settings=settings, services=services)
    response = render(request, "kiosk/page.html", context)
    # The kiosk's home page renews its device cookie (see cookies.DEVICE_COOKIE_MAX_AGE).
    token = request.cookies.get(DEVICE_COOKIE)
    if token:
        set_device_cookie(response, token, settings)
    return response


@router.post(
    "/{outlet}/identify",
    # Errors (even a failed device or CSRF check) are shown in the result area.
    dependencies=[Depends(ErrorPartial(RESULT_PARTIAL))],
)
async def identify(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    locale: PageLocaleDep,
    screen: KioskScreenDep,
    kind: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
) -> Response:
    """Identify the customer with the same flow as the JSON API and greet them.

    An invalid number, an unknown customer or a lost card raise their :class:`AppError`,
    which the page error handler renders into the result area with its status; the unit of
    work then rolls back, so a failed attempt leaves no trace but the log line of the call.
    """
    if len(value) > MAX_VALUE_LENGTH:
        raise CredentialInvalidError()
    hasher: CredentialHasher = request.app.state.hasher
    # Identified at the kiosk means arrived: the same flow as the JSON API opens today's
    # visit and tells the outlet's staff (after this unit of work commits).
    outcome = await arrivals.identify_arrival(
        session,
        Principal(device=screen.device),
        hasher,
        outlet_code=screen.outlet_code,
        kind=kind,
        value=value,
        ttl=timedelta(seconds=settings.identification_ttl_seconds),
    )
    found = outcome.identified
    result = {
        "greeting": customers.greeting_for(found, locale),
        "tier": found.tier.value,
        "tier_label": translate(TIER_LABELS[found.tier], locale),
        "show_tier": found.tier != Tier.STANDARD,
        "reference": found.reference,
    }
    services = await _services(session, screen, locale)
    context = _page_context(screen, result, locale=locale, settings=settings, services=services)
    if is_htmx(request):
        return render(request, RESULT_PARTIAL, context)
    # Without JavaScript the form posts normally: the whole screen, with the result.
    return render(request, "kiosk/page.html", context)


@router.post(
    "/{outlet}/tickets",
    dependencies=[Depends(ErrorPartial(RESULT_PARTIAL))],
)
async def take_ticket(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    locale: PageLocaleDep,
    screen: KioskScreenDep,
    service: Annotated[str, Form(max_length=32)] = "",
    reference: Annotated[str, Form(max_length=128)] = "",
    idempotency_key: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Take a ticket for a service: in the identified customer's priority class when the
    kiosk identified them (the opaque reference), a standard ticket otherwise. The ticket
    is committed before the screen shows it."""
    issued = await queue.issue_ticket(
        session,
        outlet_code=screen.outlet_code,
        service_code=service,
        identification_ref=reference or None,
        idempotency_key=idempotency_key or None,
        device_id=screen.device.id,
    )
    ticket = issued.ticket
    services = await _services(session, screen, locale)
    names = {s["code"]: s["name"] for s in services}
    eta = issued.eta.total_seconds() / 60.0
    printed = {
        "number": ticket.number,
        "service": names.get(service, service),
        "people_ahead": issued.people_ahead,
        # Rounded up: a customer called earlier than promised is pleased, later is not.
        "eta_minutes": math.ceil(eta) if eta >= 0.5 else 0,
        "issued_at": ticket.issued_at.astimezone(ZoneInfo(screen.timezone)).strftime("%H:%M"),
        "tier": ticket.tier,
        "tier_label": translate(TIER_LABELS[Tier(ticket.tier)], locale),
        "show_tier": ticket.tier != Tier.STANDARD,
    }
    context = _page_context(screen, None, locale=locale, settings=settings, services=services)
    context["ticket"] = printed
    if is_htmx(request):
        return render(request, TICKET_PARTIAL, context)
    return render(request, "kiosk/page.html", context)
