"""A visit's timeline: every step of a customer's day at an outlet, oldest first.

Nothing is written for the timeline: it is read from the rows that already record each step
(the visit's arrival, queue tickets and their events, needs, hand-offs, marketing outcomes),
one query per source, and rendered in the caller's language. The customer brief and the
counter panel call it on every read, so it stays cheap: a handful of indexed queries and no
per-row lookups.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from smartbranch.catalog.labels import category_label as _category_label
from smartbranch.catalog.models import Product
from smartbranch.i18n import N_, translate
from smartbranch.marketing.errors import LEAD_LABELS
from smartbranch.marketing.models import LeadRule, Outcome, OutcomeKind
from smartbranch.marketing.service import DECLINE_REASONS
from smartbranch.orgs.models import OrgUnit, Role, Staff
from smartbranch.queueing.models import Counter, Service, Ticket, TicketEvent
from smartbranch.service.models import Handoff, HandoffStatus, Need, Visit, VisitStatus
from smartbranch.service.schemas import TimelineEntry

#: The glossary's role names (the same message ids as the pages' labels).
ROLE_LABELS: dict[str, str] = {
    Role.LOBBY_MANAGER: N_("Lobby manager"),
    Role.WEALTH_MANAGER: N_("Wealth manager"),
    Role.ACCOUNT_MANAGER: N_("Account manager"),
    Role.TELLER: N_("Teller"),
    Role.OUTLET_MANAGER: N_("Outlet manager"),
    Role.MARKETING_ADMIN: N_("Marketing admin"),
    Role.ADMIN: N_("System administrator"),
    Role.AUDITOR: N_("Auditor"),
}

_ARRIVED_VIA: dict[str, str] = {
    "kiosk": N_("Arrived: identified at the queue kiosk ({credential})."),
    "tablet": N_("Arrived: identified on the tablet workbench ({credential})."),
    "counter": N_("Arrived: identified at the counter ({credential})."),
}
_ARRIVED_OTHER = N_("Arrived: identified ({credential}).")
_CREDENTIALS: dict[str, str] = {
    "debit_card": N_("Bank card"),
    "credit_card": N_("Credit card"),
    "passbook": N_("Passbook"),
    "id_card": N_("Resident ID card"),
}

_TICKET_TEXTS: dict[str, str] = {
    "issued": N_("Took ticket {number} for {service}."),
    "called": N_("Ticket {number} called to counter {counter}."),
    "called_by": N_("Ticket {number} called to counter {counter} by {name}."),
    "recalled": N_("Ticket {number} called again at counter {counter}."),
    "started": N_("Service of ticket {number} began at counter {counter}."),
    "finished": N_("Service of ticket {number} finished at counter {counter}."),
    "no_show": N_("Ticket {number} marked as a no-show."),
    "skipped": N_("Ticket {number} passed over: back in the queue."),
    "transferred": N_("Ticket {number} transferred to {target}."),
    "cancelled": N_("Ticket {number} cancelled."),
    "requeued": N_("Ticket {number} back in the queue."),
}
_TO_COUNTER = N_("counter {counter}")
_TO_COLLEAGUE = N_("a named colleague")

_NEED = N_("Need noted: {what}.")
_NEED_UNSPECIFIED = N_("a note")
_AMOUNT = N_("{amount} yuan")

_HANDOFF_TEXTS: dict[str, str] = {
    "handoff_created": N_("Handed off to {target}."),
    "handoff_created_note": N_("Handed off to {target}: {note}"),
    "handoff_accepted": N_("Hand-off to {target} accepted by {name}."),
    "handoff_done": N_("Hand-off to {target} completed by {name}."),
    "handoff_cancelled": N_("Hand-off to {target} withdrawn by {name}."),
}
_NAMED_TARGET = N_("{name} ({role})")

_OUTCOME_TEXTS: dict[str, str] = {
    "presented": N_("Offered {rule}: {kind}."),
    "declined_reason": N_("Offered {rule}: {kind} ({reason})."),
    "deferred_to": N_("Offered {rule}: {kind} until {date}."),
    "not_offered": N_("{rule}: {kind}."),
}
_VISIT_CLOSED = N_("Visit closed.")


def role_label(role: str | None, locale: str) -> str | None:
    """The name of ``role`` in ``locale`` (the identifier itself if unknown)."""
    if role is None:
        return None
    label = ROLE_LABELS.get(role)
    return translate(label, locale) if label else role


def category_label(category: str | None, locale: str) -> str | None:
    """The name of a product category in ``locale`` (the product centre's names)."""
    return _category_label(category, locale) if category is not None else None


def localized_name(name: str, name_en: str | None, locale: str) -> str:
    """A catalog name in ``locale``: the English one when asked for and present."""
    return (name_en or name) if locale == "en" else name


def amount_text(amount: Decimal, locale: str) -> str:
    """An amount of CNY as staff read it (``500,000.00 元``)."""
    return translate(_AMOUNT, locale).format(amount=f"{amount:,.2f}")


def need_text(
    *,
    category: str | None,
    product_name: str | None,
    amount: Decimal | None,
    note: str,
    locale: str,
    note_limit: int | None = None,
) -> str:
    """One line saying what a customer needs: product (or category), amount and note."""
    parts = [product_name or category_label(category, locale) or ""]
    if amount is not None:
        parts.append(amount_text(amount, locale))
    if note:
        short = note if note_limit is None or len(note) <= note_limit else note[:note_limit] + "…"
        parts.append(short)
    what = " · ".join(p for p in parts if p) or translate(_NEED_UNSPECIFIED, locale)
    return translate(_NEED, locale).format(what=what)


def handoff_target(
    to_role: str, to_staff_name: str | None, to_staff_role: str | None, locale: str
) -> str:
    """Who a hand-off is for: the named colleague with their role, or the role."""
    role = role_label(to_staff_role or to_role, locale) or to_role
    if to_staff_name is None:
        return role
    return translate(_NAMED_TARGET, locale).format(name=to_staff_name, role=role)


def outcome_text(
    *,
    kind: str,
    rule_name: str,
    reason_code: str | None,
    follow_up_on: date | None,
    locale: str,
) -> str:
    """What happened to an offer, e.g. "Offered Platinum card upgrade: declined (…)"."""
    kind_label = translate(LEAD_LABELS.get(kind, kind), locale)
    params: dict[str, Any] = {"rule": rule_name, "kind": kind_label}
    if kind in (OutcomeKind.NOT_PRESENTED, OutcomeKind.ALREADY_HAS):
        template = _OUTCOME_TEXTS["not_offered"]
    elif kind == OutcomeKind.DECLINED and reason_code in DECLINE_REASONS:
        template = _OUTCOME_TEXTS["declined_reason"]
        params["reason"] = translate(DECLINE_REASONS[reason_code], locale)
    elif kind == OutcomeKind.DEFERRED and follow_up_on is not None:
        template = _OUTCOME_TEXTS["deferred_to"]
        params["date"] = follow_up_on.isoformat()
    else:
        template = _OUTCOME_TEXTS["presented"]
    return translate(template, locale).format(**params)


def day_window(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The start (inclusive) and end (exclusive) of ``day`` at an outlet, as instants."""
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


class _Entries:
    """Collects entries with a tie-breaker, so that steps at the same instant keep the
    order in which they happen (arrival, then the ticket, then what staff did)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        self.rows: list[tuple[datetime, int, int, TimelineEntry]] = []

    def add(
        self,
        at: datetime,
        source: int,
        kind: str,
        text: str,
        actor_name: str | None = None,
        actor_role: str | None = None,
    ) -> None:
        entry = TimelineEntry(
            at=at,
            kind=kind,
            text=text,
            actor_name=actor_name,
            actor_role_label=role_label(actor_role, self.locale),
        )
        self.rows.append((at, source, len(self.rows), entry))

    def sorted(self) -> list[TimelineEntry]:
        return [row[3] for row in sorted(self.rows, key=lambda r: (r[0], r[1], r[2]))]


async def visit_timeline(session: AsyncSession, visit: Visit, locale: str) -> list[TimelineEntry]:
    """The steps of ``visit``, oldest first, in ``locale``.

    Sources: the visit's arrival and closing, the customer's queue tickets at the outlet on
    the visit's day with their events, the needs and hand-offs of the visit, and the
    outcomes recorded in the visit or, without a visit, that day at that outlet for that
    customer. Not audited here: the caller that shows it to a member of staff audits the
    read (see ``collab.timeline_of_visit`` and the brief).
    """
    entries = _Entries(locale)
    credential = translate(_CREDENTIALS.get(visit.credential_kind, N_("Bank card")), locale)
    arrived = _ARRIVED_VIA.get(visit.arrived_via, _ARRIVED_OTHER)
    entries.add(
        visit.arrived_at, 0, "arrived", translate(arrived, locale).format(credential=credential)
    )
    if visit.status == VisitStatus.CLOSED and visit.closed_at is not None:
        entries.add(visit.closed_at, 9, "visit_closed", translate(_VISIT_CLOSED, locale))
    await _ticket_entries(session, visit, entries)
    await _need_entries(session, visit, entries)
    await _handoff_entries(session, visit, entries)
    await _outcome_entries(session, visit, entries)
    return entries.sorted()


async def _ticket_entries(session: AsyncSession, visit: Visit, entries: _Entries) -> None:
    locale = entries.locale
    rows = (
        await session.execute(
            select(
                TicketEvent.kind,
                TicketEvent.at,
                TicketEvent.detail,
                Ticket.number,
                Ticket.service_id,
                Counter.code,
                Staff.display_name,
                Staff.role,
            )
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .outerjoin(Counter, Counter.id == TicketEvent.counter_id)
            .outerjoin(Staff, Staff.id == TicketEvent.actor_staff_id)
            .where(
                Ticket.customer_id == visit.customer_id,
                Ticket.outlet_id == visit.outlet_id,
                Ticket.business_day == visit.business_day,
            )
            .order_by(TicketEvent.id)
        )
    ).all()
    if not rows:
        return
    # The outlet's services are a handful of rows: one query names them all, by id (the
    # ticket's service) and by code (what an issue or a transfer recorded).
    services = (
        await session.execute(
            select(Service.id, Service.code, Service.name, Service.name_en).where(
                Service.outlet_id == visit.outlet_id
            )
        )
    ).all()
    service_by_code = {code: localized_name(n, en, locale) for _id, code, n, en in services}
    service_by_id = {sid: localized_name(n, en, locale) for sid, _code, n, en in services}
    for kind, at, detail, number, service_id, counter_code, actor_name, actor_role in rows:
        detail = detail or {}
        params: dict[str, Any] = {
            "number": detail.get("number", number),
            "counter": detail.get("counter") or counter_code or "—",
        }
        template = _TICKET_TEXTS.get(kind)
        if template is None:
            continue  # a kind this timeline does not show
        if kind == "issued":
            # The service at issue (a transfer changes the ticket's own).
            code = str(detail.get("service") or "")
            params["service"] = service_by_code.get(code) or service_by_id.get(service_id, code)
        elif kind == "called" and actor_name:
            template = _TICKET_TEXTS["called_by"]
            params["name"] = actor_name
        elif kind == "transferred":
            params["target"] = _transfer_target(detail, service_by_code, locale)
        entries.add(
            at,
            1,
            f"ticket_{kind}",
            translate(template, locale).format(**params),
            actor_name,
            actor_role,
        )


def _transfer_target(detail: dict[str, Any], service_by_code: dict[str, str], locale: str) -> str:
    parts: list[str] = []
    if detail.get("to_service"):
        parts.append(service_by_code.get(detail["to_service"], detail["to_service"]))
    if detail.get("to_counter"):
        parts.append(translate(_TO_COUNTER, locale).format(counter=detail["to_counter"]))
    if detail.get("to_staff_id"):
        parts.append(translate(_TO_COLLEAGUE, locale))
    return " · ".join(parts) or "—"


async def _need_entries(session: AsyncSession, visit: Visit, entries: _Entries) -> None:
    locale = entries.locale
    rows = await session.execute(
        select(
            Need.created_at,
            Need.category,
            Need.amount,
            Need.note,
            Product.name,
            Product.name_en,
            Staff.display_name,
            Staff.role,
        )
        .join(Staff, Staff.id == Need.staff_id)
        .outerjoin(Product, Product.code == Need.product_code)
        .where(Need.visit_id == visit.id)
        .order_by(Need.id)
    )
    for at, category, amount, note, p_name, p_name_en, staff_name, staff_role in rows:
        product = localized_name(p_name, p_name_en, locale) if p_name else None
        text = need_text(
            category=category, product_name=product, amount=amount, note=note, locale=locale
        )
        entries.add(at, 2, "need", text, staff_name, staff_role)


_From = aliased(Staff)
_To = aliased(Staff)
_By = aliased(Staff)


async def _handoff_entries(session: AsyncSession, visit: Visit, entries: _Entries) -> None:
    locale = entries.locale
    rows = await session.execute(
        select(
            Handoff,
            _From.display_name,
            _From.role,
            _To.display_name,
            _To.role,
            _By.display_name,
            _By.role,
        )
        .join(_From, _From.id == Handoff.from_staff_id)
        .outerjoin(_To, _To.id == Handoff.to_staff_id)
        .outerjoin(_By, _By.id == Handoff.accepted_by_staff_id)
        .where(Handoff.visit_id == visit.id)
        .order_by(Handoff.id)
    )

    def texts(key: str) -> str:
        return translate(_HANDOFF_TEXTS[key], locale)

    for handoff, from_name, from_role, to_name, to_role, by_name, by_role in rows:
        target = handoff_target(handoff.to_role, to_name, to_role, locale)
        if handoff.note:
            created = texts("handoff_created_note").format(target=target, note=handoff.note)
        else:
            created = texts("handoff_created").format(target=target)
        entries.add(handoff.created_at, 3, "handoff_created", created, from_name, from_role)
        if handoff.accepted_at is not None and by_name is not None:
            text = texts("handoff_accepted").format(target=target, name=by_name)
            entries.add(handoff.accepted_at, 3, "handoff_accepted", text, by_name, by_role)
        if handoff.done_at is None:
            continue
        if handoff.status == HandoffStatus.DONE:
            text = texts("handoff_done").format(target=target, name=by_name or "—")
            entries.add(handoff.done_at, 3, "handoff_done", text, by_name, by_role)
        elif handoff.status == HandoffStatus.CANCELLED:
            # Only the colleague who made a hand-off withdraws it; ``done_at`` is when.
            text = texts("handoff_cancelled").format(target=target, name=from_name)
            entries.add(handoff.done_at, 3, "handoff_cancelled", text, from_name, from_role)


async def _outcome_entries(session: AsyncSession, visit: Visit, entries: _Entries) -> None:
    locale = entries.locale
    outlet = await session.get(OrgUnit, visit.outlet_id)
    tz = ZoneInfo(outlet.timezone if outlet is not None else "Asia/Shanghai")
    start, end = day_window(visit.business_day, tz)
    rows = await session.execute(
        select(
            Outcome.kind,
            Outcome.reason_code,
            Outcome.follow_up_on,
            Outcome.recorded_at,
            LeadRule.name,
            LeadRule.name_en,
            Staff.display_name,
            Staff.role,
        )
        .join(LeadRule, LeadRule.id == Outcome.rule_id)
        .outerjoin(Staff, Staff.id == Outcome.staff_id)
        .where(
            Outcome.customer_id == visit.customer_id,
            or_(
                Outcome.visit_id == visit.id,
                and_(
                    Outcome.visit_id.is_(None),
                    Outcome.outlet_id == visit.outlet_id,
                    Outcome.recorded_at >= start,
                    Outcome.recorded_at < end,
                ),
            ),
        )
        .order_by(Outcome.id)
    )
    for kind, reason, follow_up_on, at, rule, rule_en, staff_name, staff_role in rows:
        text = outcome_text(
            kind=kind,
            rule_name=localized_name(rule, rule_en, locale),
            reason_code=reason,
            follow_up_on=follow_up_on,
            locale=locale,
        )
        entries.add(at, 4, "outcome", text, staff_name, staff_role)
