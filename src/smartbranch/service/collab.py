"""Working together on a visit: needs captured once, hand-offs between colleagues, and the
lists each member of staff works from (my hand-offs, my follow-ups).

A hand-off (转介) moves ``open → accepted → done``; its creator may withdraw it while it is
``open`` or ``accepted`` (``→ cancelled``). It is addressed to a role at the visit's outlet
(anyone of that role on duty there may accept it) or to a named colleague (only they may).

Every change is announced to the colleagues concerned through stored staff events
(``service.events.emit``): ``handoff.created`` to its recipients, ``handoff.updated`` to its
creator and recipients, and ``visit.updated`` to everyone serving the visit
(``duty.visit_audience``). Payloads carry the masked name, never a clear number.

Services flush, never commit; bad input raises a typed :class:`AppError` and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from smartbranch.auth.models import STAFF_DEVICE_KINDS, Device, StaffSession
from smartbranch.auth.service import Principal, StaffInfo, record_audit
from smartbranch.catalog.models import HOLDING_CATEGORIES, Product
from smartbranch.credentials import mask_name
from smartbranch.customers.disclosure import RECORD_DISCLOSURE
from smartbranch.customers.models import Customer, CustomerProfile, Tier
from smartbranch.customers.service import RoleNotAllowedError
from smartbranch.customers.tiers import TIER_LABELS
from smartbranch.db import utcnow
from smartbranch.errors import AppError, ConflictError, ForbiddenError, NotFoundError
from smartbranch.i18n import DEFAULT_LOCALE, N_, translate
from smartbranch.logs import redact
from smartbranch.marketing.models import Lead, LeadRule, LeadStatus, Outcome, OutcomeKind
from smartbranch.marketing.service import bank_date
from smartbranch.orgs.models import OrgUnit, Role, Staff
from smartbranch.orgs.service import within
from smartbranch.service import duty
from smartbranch.service.errors import VisitNotFoundError as VisitNotFoundError
from smartbranch.service.events import emit
from smartbranch.service.models import Handoff, HandoffStatus, Need, Visit, VisitStatus
from smartbranch.service.schemas import (
    FollowUpOut,
    HandoffIn,
    HandoffOut,
    NeedIn,
    NeedOut,
    TimelineEntry,
)
from smartbranch.service.timeline import (
    category_label,
    handoff_target,
    localized_name,
    need_text,
    role_label,
    visit_timeline,
)

HANDOFF_ROLES: tuple[str, ...] = (
    Role.LOBBY_MANAGER,
    Role.WEALTH_MANAGER,
    Role.ACCOUNT_MANAGER,
    Role.TELLER,
    Role.OUTLET_MANAGER,
)
"""Who a customer may be handed off to."""

HANDOFF_STATUS_LABELS: dict[str, str] = {
    HandoffStatus.OPEN: N_("Not yet accepted"),
    HandoffStatus.ACCEPTED: N_("In progress"),
    HandoffStatus.DONE: N_("Completed"),
    HandoffStatus.CANCELLED: N_("Withdrawn"),
}

MAX_NOTE_LENGTH = 500
MAX_AMOUNT = Decimal("1e12")
FOLLOW_UP_DAYS = 14
"""My follow-ups look this many days ahead (today included)."""
EVENT_NOTE_LENGTH = 60
"""Events carry a short text: a note is cut to this many characters."""

_LIVE = (HandoffStatus.OPEN, HandoffStatus.ACCEPTED)


# --- errors ------------------------------------------------------------------------------


class _ReasonError(AppError):
    """An error whose message carries a reason, itself a message id with parameters, and
    names the field at fault for a form to highlight."""

    def __init__(self, reason: str, /, *, field: str | None = None, **params: Any) -> None:
        self.reason = reason
        self.reason_params = params
        self.field = field
        super().__init__(None, reason=reason.format(**params) if params else reason)

    def localized(self, locale: str) -> str:
        """The message with its reason, both in ``locale``."""
        reason = translate(self.reason, locale)
        if self.reason_params:
            reason = reason.format(**self.reason_params)
        return translate(self.msgid, locale).format(reason=reason)

    def to_dict(self, locale: str) -> dict[str, Any]:
        """The JSON body, with the field at fault."""
        body = super().to_dict(locale)
        body["error"]["field"] = self.field
        return body


class VisitOutOfScopeError(ForbiddenError):
    code = "visit_out_of_scope"
    message = N_("This visit is at an outlet outside your part of the bank.")


class VisitClosedError(ConflictError):
    code = "visit_closed"
    message = N_("This visit has ended: the customer has left, or it was on another day.")


class InvalidNeedError(_ReasonError):
    code = "invalid_need"
    status_code = 422
    message = N_("The need is not valid: {reason}")


class HandoffNotFoundError(NotFoundError):
    code = "handoff_not_found"
    message = N_("No hand-off {handoff_id}.")


class InvalidHandoffError(_ReasonError):
    code = "invalid_handoff"
    status_code = 422
    message = N_("The hand-off is not valid: {reason}")


class HandoffToSelfError(AppError):
    code = "handoff_to_self"
    status_code = 422
    message = N_("You cannot hand a customer off to yourself.")


class HandoffExistsError(ConflictError):
    code = "handoff_exists"
    message = N_("This customer has already been handed off to {target}; it is not closed yet.")

    def __init__(self, *, role: str, name: str | None) -> None:
        super().__init__(target=name or role)
        self.role, self.name = role, name

    def localized(self, locale: str) -> str:
        """The message with the target's role in ``locale``."""
        target = handoff_target(self.role, self.name, None, locale)
        return translate(self.msgid, locale).format(target=target)


class HandoffNotAllowedError(ForbiddenError):
    """The caller is not the one who may take this step of the hand-off."""

    code = "handoff_not_allowed"
    message = N_("This hand-off is addressed to someone else.")


class HandoffStateError(ConflictError):
    """The step does not follow from the hand-off's status (``open → accepted → done``)."""

    code = "handoff_state"
    message = N_("This hand-off is already closed ({status}).")
    translated: ClassVar[frozenset[str]] = frozenset({"status"})

    def localized(self, locale: str) -> str:
        """The message with the hand-off's status in ``locale``."""
        params = {
            key: translate(HANDOFF_STATUS_LABELS.get(value, value), locale)
            if key in self.translated
            else value
            for key, value in self.params.items()
        }
        return translate(self.msgid, locale).format(**params)


COLLAB_ERRORS: tuple[type[AppError], ...] = (
    RoleNotAllowedError,
    VisitNotFoundError,
    VisitOutOfScopeError,
    VisitClosedError,
)
"""Errors every write to a visit may answer with."""

HANDOFF_STEP_ERRORS: tuple[type[AppError], ...] = (
    RoleNotAllowedError,
    HandoffNotFoundError,
    HandoffNotAllowedError,
    HandoffStateError,
)
"""Errors of accepting, completing or withdrawing a hand-off."""


# --- the visit a member of staff acts on --------------------------------------------------


@dataclass(frozen=True, slots=True)
class VisitContext:
    """A visit with what the rules and the events need about its outlet and customer."""

    visit: Visit
    outlet_path: str
    outlet_code: str
    tz: ZoneInfo
    customer_number: str
    customer_name: str
    account_manager_id: int | None

    def today(self, now: datetime) -> bool:
        """Whether the visit is of the outlet's current day."""
        return self.visit.business_day == now.astimezone(self.tz).date()


def _serving_staff(principal: Principal) -> StaffInfo:
    """The signed-in member of staff, if their role serves customers."""
    staff = principal.staff
    if staff is None or staff.role not in RECORD_DISCLOSURE:
        raise RoleNotAllowedError()
    return staff


async def load_visit(session: AsyncSession, principal: Principal, visit_id: int) -> VisitContext:
    """The visit, if the caller may act on it: a serving role, and the visit's outlet in
    their part of the bank — or they are the customer's own account manager, who follows
    their customers wherever they come in."""
    staff = _serving_staff(principal)
    context = await _visit_context(session, visit_id)
    if not within(context.outlet_path, staff.org_path) and context.account_manager_id != staff.id:
        raise VisitOutOfScopeError()
    return context


async def _open_visit(
    session: AsyncSession, principal: Principal, visit_id: int, now: datetime
) -> VisitContext:
    context = await load_visit(session, principal, visit_id)
    if context.visit.status != VisitStatus.OPEN or not context.today(now):
        raise VisitClosedError()
    return context


def _customer_name(name: str, role: str) -> str:
    disclosure = RECORD_DISCLOSURE.get(role)
    return name if disclosure is not None and disclosure.full_name else mask_name(name)


def _both(render: Callable[[str], str]) -> dict[str, str]:
    """An event's short text in the bank's language and in English: stored events are read
    by devices in either."""
    return {"text": render(DEFAULT_LOCALE), "text_en": render("en")}


def _payload(context: VisitContext, **extra: Any) -> dict[str, Any]:
    return {
        "visit_id": context.visit.id,
        "customer_number": context.customer_number,
        "customer_name": mask_name(context.customer_name),
        "tier": context.visit.tier,
        **extra,
    }


async def _visit_updated(
    session: AsyncSession, context: VisitContext, change: str, render: Callable[[str], str]
) -> None:
    visit = context.visit
    await emit(
        session,
        "visit.updated",
        await duty.visit_audience(session, visit),
        outlet_id=visit.outlet_id,
        customer_id=visit.customer_id,
        visit_id=visit.id,
        payload=_payload(context, change=change, **_both(render)),
    )


# --- needs -------------------------------------------------------------------------------


def _clean_note(note: str, error: type[_ReasonError]) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise error(
            N_("the note is {length} characters long (at most {limit})"),
            field="note",
            length=len(note),
            limit=MAX_NOTE_LENGTH,
        )
    # Free text: a card or ID number typed into it must never be stored in clear.
    return redact(note)


def _need_out(
    need: Need,
    product_name: str | None,
    staff_name: str,
    staff_role: str,
    locale: str,
) -> NeedOut:
    return NeedOut(
        id=need.id,
        visit_id=need.visit_id,
        category=need.category,
        category_label=category_label(need.category, locale),
        product_code=need.product_code,
        product_name=product_name,
        amount=need.amount,
        note=need.note,
        staff_name=staff_name,
        role_label=role_label(staff_role, locale) or staff_role,
        created_at=need.created_at,
    )


async def capture_need(
    session: AsyncSession,
    principal: Principal,
    visit_id: int,
    body: NeedIn,
    *,
    locale: str = DEFAULT_LOCALE,
    now: datetime | None = None,
) -> NeedOut:
    """Note what the customer came for, once, so that no colleague asks again.

    A need names a product category (``catalog.models.HOLDING_CATEGORIES``) or a product of
    the catalog (its category then comes with it), an optional amount in CNY and a free note
    (redacted of card and ID numbers). The visit must be open and of today. Tells everyone
    serving the visit (``visit.updated``).
    """
    now = now or utcnow()
    staff = _serving_staff(principal)
    context = await _open_visit(session, principal, visit_id, now)
    category = (body.category or "").strip() or None
    code = (body.product_code or "").strip() or None
    if category is not None and category not in HOLDING_CATEGORIES:
        raise InvalidNeedError(
            N_("unknown product category {category} (known: {known})"),
            field="category",
            category=category,
            known=", ".join(HOLDING_CATEGORIES),
        )
    product = await session.get(Product, code) if code is not None else None
    if code is not None and product is None:
        raise InvalidNeedError(N_("unknown product {code}"), field="product_code", code=code)
    if product is not None:
        if category is not None and product.category != category:
            raise InvalidNeedError(
                N_("product {code} is not in category {category}"),
                field="product_code",
                code=product.code,
                category=category,
            )
        category = product.category
    amount = body.amount
    if amount is not None and (
        not amount.is_finite()
        or amount < 0
        or amount > MAX_AMOUNT
        or amount != amount.quantize(Decimal("0.01"))
    ):
        raise InvalidNeedError(
            N_("the amount must be from 0 to {limit} yuan, in yuan and fen"),
            field="amount",
            limit=f"{MAX_AMOUNT:,.0f}",
        )
    note = _clean_note(body.note, InvalidNeedError)
    if category is None and not note:
        raise InvalidNeedError(
            N_("say what the customer needs: a product category, a product or a note"),
            field="category",
        )
    visit = context.visit
    need = Need(
        visit_id=visit.id,
        customer_id=visit.customer_id,
        staff_id=staff.id,
        category=category,
        product_code=product.code if product is not None else None,
        amount=amount,
        note=note,
        created_at=now,
    )
    session.add(need)
    await session.flush()

    def render(in_locale: str) -> str:
        name = localized_name(product.name, product.name_en, in_locale) if product else None
        return need_text(
            category=category,
            product_name=name,
            amount=amount,
            note=note,
            locale=in_locale,
            note_limit=EVENT_NOTE_LENGTH,
        )

    await _visit_updated(session, context, "need", render)
    product_name = localized_name(product.name, product.name_en, locale) if product else None
    return _need_out(need, product_name, staff.display_name, staff.role, locale)


async def needs_of_visit(session: AsyncSession, visit_id: int, *, locale: str) -> list[NeedOut]:
    """The needs captured in a visit, oldest first, in ``locale`` (not audited: the caller
    that shows them to staff audits its read)."""
    rows = await session.execute(
        select(Need, Product.name, Product.name_en, Staff.display_name, Staff.role)
        .join(Staff, Staff.id == Need.staff_id)
        .outerjoin(Product, Product.code == Need.product_code)
        .where(Need.visit_id == visit_id)
        .order_by(Need.id)
    )
    return [
        _need_out(
            need,
            localized_name(p_name, p_name_en, locale) if p_name else None,
            staff_name,
            staff_role,
            locale,
        )
        for need, p_name, p_name_en, staff_name, staff_role in rows
    ]


# --- hand-offs: reading ------------------------------------------------------------------

_From = aliased(Staff)
_To = aliased(Staff)
_By = aliased(Staff)
_NeedBy = aliased(Staff)

_HANDOFF_ROWS = (
    select(
        Handoff,
        Visit.tier,
        Customer.number,
        Customer.name,
        _From.display_name,
        _From.role,
        _To.display_name,
        _By.display_name,
        Need,
        Product.name,
        Product.name_en,
        _NeedBy.display_name,
        _NeedBy.role,
    )
    .join(Visit, Visit.id == Handoff.visit_id)
    .join(Customer, Customer.id == Handoff.customer_id)
    .join(_From, _From.id == Handoff.from_staff_id)
    .outerjoin(_To, _To.id == Handoff.to_staff_id)
    .outerjoin(_By, _By.id == Handoff.accepted_by_staff_id)
    .outerjoin(Need, Need.id == Handoff.need_id)
    .outerjoin(Product, Product.code == Need.product_code)
    .outerjoin(_NeedBy, _NeedBy.id == Need.staff_id)
)


async def _handoffs(
    session: AsyncSession,
    where: Sequence[ColumnElement[bool]],
    *,
    role: str,
    locale: str,
    newest_first: bool = False,
    on_day: date | None = None,
) -> list[tuple[int, HandoffOut]]:
    """Hand-offs matching ``where`` with the customer id of each (for the audit trail)."""
    query = _HANDOFF_ROWS.where(*where)
    if on_day is not None:
        query = query.where(Visit.business_day == on_day)
    order = (Handoff.created_at.desc(), Handoff.id.desc()) if newest_first else (Handoff.id,)
    rows = await session.execute(query.order_by(*order))
    result = []
    for row in rows:
        (handoff, tier, number, name, from_name, from_role, to_name, by_name) = row[:8]
        need, p_name, p_name_en, need_by, need_by_role = row[8:]
        need_out = None
        if need is not None:
            product = localized_name(p_name, p_name_en, locale) if p_name else None
            need_out = _need_out(need, product, need_by, need_by_role, locale)
        out = HandoffOut(
            id=handoff.id,
            visit_id=handoff.visit_id,
            customer_number=number,
            customer_name=_customer_name(name, role),
            tier=Tier(tier),
            tier_label=translate(TIER_LABELS[Tier(tier)], locale),
            from_staff_name=from_name,
            from_role_label=role_label(from_role, locale) or from_role,
            to_role=handoff.to_role,
            to_role_label=role_label(handoff.to_role, locale) or handoff.to_role,
            to_staff_id=handoff.to_staff_id,
            to_staff_name=to_name,
            accepted_by_name=by_name,
            note=handoff.note,
            need=need_out,
            status=handoff.status,
            status_label=translate(
                HANDOFF_STATUS_LABELS.get(handoff.status, handoff.status), locale
            ),
            created_at=handoff.created_at,
            accepted_at=handoff.accepted_at,
            done_at=handoff.done_at,
        )
        result.append((handoff.customer_id, out))
    return result


async def handoffs_of_visit(
    session: AsyncSession, visit_id: int, *, role: str, locale: str
) -> list[HandoffOut]:
    """The hand-offs of a visit, oldest first, as ``role`` may see them, in ``locale`` (not
    audited: the caller that shows them to staff audits its read)."""
    found = await _handoffs(session, [Handoff.visit_id == visit_id], role=role, locale=locale)
    return [out for _customer, out in found]


async def _handoff_out(
    session: AsyncSession, handoff_id: int, staff: StaffInfo, locale: str
) -> HandoffOut:
    found = await _handoffs(session, [Handoff.id == handoff_id], role=staff.role, locale=locale)
    return found[0][1]


# --- hand-offs: creating -----------------------------------------------------------------


def _branch_path(outlet_path: str) -> str:
    """The path of the unit an outlet belongs to (its branch): ``/HO/BJ/BJ001/`` → ``/HO/BJ/``."""
    parent = outlet_path.rstrip("/").rsplit("/", 1)[0]
    return parent + "/" if parent else "/"


async def _recipients(session: AsyncSession, handoff: Handoff, context: VisitContext) -> set[int]:
    """Who a hand-off is for: the named colleague, or everyone of its role on duty at the
    outlet (and, for an account manager, the customer's own wherever they are)."""
    if handoff.to_staff_id is not None:
        return {handoff.to_staff_id}
    on_duty = await duty.on_duty(session, handoff.outlet_id, [handoff.to_role])
    found = {d.staff_id for d in on_duty}
    if handoff.to_role == Role.ACCOUNT_MANAGER and context.account_manager_id is not None:
        found.add(context.account_manager_id)
    return found


async def create_handoff(
    session: AsyncSession,
    principal: Principal,
    visit_id: int,
    body: HandoffIn,
    *,
    locale: str = DEFAULT_LOCALE,
    now: datetime | None = None,
) -> HandoffOut:
    """Hand the customer over to a role at the visit's outlet, or to a named colleague.

    A named colleague must be active, of ``to_role``, and work in the outlet's branch — or be
    the customer's own account manager. ``need_id`` links a need of this visit. Nobody hands
    off to themselves, and a second live hand-off of the visit to the same target is
    refused. Tells the recipients (``handoff.created``) and everyone serving the visit
    (``visit.updated``).
    """
    now = now or utcnow()
    staff = _serving_staff(principal)
    context = await _open_visit(session, principal, visit_id, now)
    visit = context.visit
    to_role = body.to_role.strip()
    if to_role not in HANDOFF_ROLES:
        raise InvalidHandoffError(
            N_(
                "a customer is handed off to a lobby manager, wealth manager, account manager, "
                "teller or outlet manager, not {role}"
            ),
            field="to_role",
            role=to_role,
        )
    to_staff: Staff | None = None
    if body.to_staff_id is not None:
        if body.to_staff_id == staff.id:
            raise HandoffToSelfError()
        row = (
            await session.execute(
                select(Staff, OrgUnit.path)
                .join(OrgUnit, OrgUnit.id == Staff.org_unit_id)
                .where(Staff.id == body.to_staff_id)
            )
        ).one_or_none()
        own_manager = body.to_staff_id == context.account_manager_id
        if (
            row is None
            or not row[0].active
            or row[0].role != to_role
            or not (own_manager or within(row[1], _branch_path(context.outlet_path)))
        ):
            raise InvalidHandoffError(
                N_(
                    "colleague {staff_id} is not an active {role} of this branch, nor the "
                    "customer's own account manager"
                ),
                field="to_staff_id",
                staff_id=body.to_staff_id,
                role=to_role,
            )
        to_staff = row[0]
    need: Need | None = None
    if body.need_id is not None:
        need = await session.get(Need, body.need_id)
        if need is None or need.visit_id != visit.id:
            raise InvalidHandoffError(
                N_("need {need_id} was not captured in this visit"),
                field="need_id",
                need_id=body.need_id,
            )
    note = _clean_note(body.note, InvalidHandoffError)
    duplicate = await session.scalar(
        select(Handoff.id).where(
            Handoff.visit_id == visit.id,
            Handoff.to_role == to_role,
            Handoff.to_staff_id.is_(None)
            if to_staff is None
            else Handoff.to_staff_id == to_staff.id,
            Handoff.status.in_(_LIVE),
        )
    )
    to_name = to_staff.display_name if to_staff is not None else None
    if duplicate is not None:
        raise HandoffExistsError(role=to_role, name=to_name)
    handoff = Handoff(
        visit_id=visit.id,
        customer_id=visit.customer_id,
        outlet_id=visit.outlet_id,
        need_id=need.id if need is not None else None,
        from_staff_id=staff.id,
        to_role=to_role,
        to_staff_id=to_staff.id if to_staff is not None else None,
        note=note,
        status=HandoffStatus.OPEN,
        created_at=now,
    )
    session.add(handoff)
    await session.flush()

    def render(in_locale: str) -> str:
        target = handoff_target(to_role, to_name, None, in_locale)
        short = note if len(note) <= EVENT_NOTE_LENGTH else note[:EVENT_NOTE_LENGTH] + "…"
        if short:
            return translate(N_("Handed off to {target}: {note}"), in_locale).format(
                target=target, note=short
            )
        return translate(N_("Handed off to {target}."), in_locale).format(target=target)

    recipients = await _recipients(session, handoff, context) - {staff.id}
    await emit(
        session,
        "handoff.created",
        recipients,
        outlet_id=visit.outlet_id,
        customer_id=visit.customer_id,
        visit_id=visit.id,
        payload=_payload(
            context,
            handoff_id=handoff.id,
            to_role=to_role,
            to_staff_id=handoff.to_staff_id,
            from_staff_name=staff.display_name,
            status=handoff.status,
            **_both(render),
        ),
    )
    await _visit_updated(session, context, "handoff", render)
    return await _handoff_out(session, handoff.id, staff, locale)


# --- hand-offs: accepting, completing, withdrawing ---------------------------------------


async def _locked_handoff(
    session: AsyncSession, principal: Principal, handoff_id: int
) -> tuple[StaffInfo, Handoff, VisitContext]:
    staff = _serving_staff(principal)
    # Row lock on PostgreSQL: two colleagues tapping "accept" at once are serialised, and
    # the second sees the first's acceptance (read afresh, not from the identity map).
    handoff = await session.scalar(
        select(Handoff)
        .where(Handoff.id == handoff_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if handoff is None:
        raise HandoffNotFoundError(handoff_id=handoff_id)
    try:
        context = await load_visit(session, principal, handoff.visit_id)
    except VisitOutOfScopeError:
        # A named colleague from elsewhere in the branch may work a hand-off addressed to them.
        if staff.id not in (handoff.to_staff_id, handoff.from_staff_id):
            raise HandoffNotAllowedError() from None
        context = await _visit_context(session, handoff.visit_id)
    return staff, handoff, context


async def _visit_context(session: AsyncSession, visit_id: int) -> VisitContext:
    """The visit with its outlet and customer, or :class:`VisitNotFoundError`."""
    row = (
        await session.execute(
            select(
                Visit,
                OrgUnit.path,
                OrgUnit.code,
                OrgUnit.timezone,
                Customer.number,
                Customer.name,
                Customer.account_manager_id,
            )
            .join(OrgUnit, OrgUnit.id == Visit.outlet_id)
            .join(Customer, Customer.id == Visit.customer_id)
            .where(Visit.id == visit_id)
        )
    ).one_or_none()
    if row is None:
        raise VisitNotFoundError(visit_id=visit_id)
    visit, path, code, timezone, number, name, manager_id = row
    return VisitContext(visit, path, code, ZoneInfo(timezone), number, name, manager_id)


async def _may_accept(
    session: AsyncSession, staff: StaffInfo, handoff: Handoff, context: VisitContext
) -> bool:
    if staff.id == handoff.from_staff_id:
        return False
    if handoff.to_staff_id is not None:
        return staff.id == handoff.to_staff_id
    if staff.role != handoff.to_role:
        return False
    if handoff.to_role == Role.ACCOUNT_MANAGER and staff.id == context.account_manager_id:
        return True
    on_duty = await duty.on_duty(session, handoff.outlet_id, [handoff.to_role])
    return any(d.staff_id == staff.id for d in on_duty)


async def _announce_step(
    session: AsyncSession,
    handoff: Handoff,
    context: VisitContext,
    staff: StaffInfo,
    render: Callable[[str], str],
) -> None:
    """``handoff.updated`` to its creator and recipients, ``visit.updated`` to the visit."""
    audience = await _recipients(session, handoff, context)
    audience.add(handoff.from_staff_id)
    if handoff.accepted_by_staff_id is not None:
        audience.add(handoff.accepted_by_staff_id)
    visit = context.visit
    await emit(
        session,
        "handoff.updated",
        audience,
        outlet_id=visit.outlet_id,
        customer_id=visit.customer_id,
        visit_id=visit.id,
        payload=_payload(
            context,
            handoff_id=handoff.id,
            to_role=handoff.to_role,
            to_staff_id=handoff.to_staff_id,
            status=handoff.status,
            by_staff_name=staff.display_name,
            **_both(render),
        ),
    )
    await _visit_updated(session, context, "handoff", render)


def _step_text(msgid: str, handoff: Handoff, staff: StaffInfo) -> Callable[[str], str]:
    def render(locale: str) -> str:
        target = role_label(handoff.to_role, locale) or handoff.to_role
        return translate(msgid, locale).format(target=target, name=staff.display_name)

    return render


async def accept_handoff(
    session: AsyncSession,
    principal: Principal,
    handoff_id: int,
    *,
    locale: str = DEFAULT_LOCALE,
    now: datetime | None = None,
) -> HandoffOut:
    """Take a hand-off on: only its named colleague, or — addressed to a role — someone of
    that role on duty at the outlet (or the customer's own account manager). Accepting
    again what one has already accepted changes nothing (a double tap)."""
    now = now or utcnow()
    staff, handoff, context = await _locked_handoff(session, principal, handoff_id)
    if handoff.status == HandoffStatus.ACCEPTED and handoff.accepted_by_staff_id == staff.id:
        return await _handoff_out(session, handoff.id, staff, locale)
    if not await _may_accept(session, staff, handoff, context):
        raise HandoffNotAllowedError()
    if handoff.status == HandoffStatus.ACCEPTED:
        by = await session.get(Staff, handoff.accepted_by_staff_id)
        raise HandoffStateError(
            N_("{name} has already accepted this hand-off."),
            name=by.display_name if by is not None else "—",
        )
    if handoff.status != HandoffStatus.OPEN:
        raise HandoffStateError(status=handoff.status)
    handoff.status = HandoffStatus.ACCEPTED
    handoff.accepted_at = now
    handoff.accepted_by_staff_id = staff.id
    await session.flush()
    render = _step_text(N_("Hand-off to {target} accepted by {name}."), handoff, staff)
    await _announce_step(session, handoff, context, staff, render)
    return await _handoff_out(session, handoff.id, staff, locale)


async def complete_handoff(
    session: AsyncSession,
    principal: Principal,
    handoff_id: int,
    *,
    locale: str = DEFAULT_LOCALE,
    now: datetime | None = None,
) -> HandoffOut:
    """Mark an accepted hand-off done: only the colleague who accepted it."""
    now = now or utcnow()
    staff, handoff, context = await _locked_handoff(session, principal, handoff_id)
    if handoff.status in (HandoffStatus.DONE, HandoffStatus.CANCELLED):
        raise HandoffStateError(status=handoff.status)
    if handoff.status == HandoffStatus.OPEN:
        if not await _may_accept(session, staff, handoff, context):
            raise HandoffNotAllowedError()
        raise HandoffStateError(N_("Accept this hand-off before marking it done."))
    if handoff.accepted_by_staff_id != staff.id:
        raise HandoffNotAllowedError(N_("Only the colleague who accepted it can mark it done."))
    handoff.status = HandoffStatus.DONE
    handoff.done_at = now
    await session.flush()
    render = _step_text(N_("Hand-off to {target} completed by {name}."), handoff, staff)
    await _announce_step(session, handoff, context, staff, render)
    return await _handoff_out(session, handoff.id, staff, locale)


async def cancel_handoff(
    session: AsyncSession,
    principal: Principal,
    handoff_id: int,
    *,
    locale: str = DEFAULT_LOCALE,
    now: datetime | None = None,
) -> HandoffOut:
    """Withdraw a hand-off that is open or accepted: only its creator. ``done_at`` records
    when it was withdrawn (the moment it closed)."""
    now = now or utcnow()
    staff, handoff, context = await _locked_handoff(session, principal, handoff_id)
    if handoff.from_staff_id != staff.id:
        raise HandoffNotAllowedError(
            N_("Only the colleague who made this hand-off can withdraw it.")
        )
    if handoff.status not in _LIVE:
        raise HandoffStateError(status=handoff.status)
    handoff.status = HandoffStatus.CANCELLED
    handoff.done_at = now
    await session.flush()
    render = _step_text(N_("Hand-off to {target} withdrawn by {name}."), handoff, staff)
    await _announce_step(session, handoff, context, staff, render)
    return await _handoff_out(session, handoff.id, staff, locale)


# --- my lists ----------------------------------------------------------------------------


async def _audit_list(
    session: AsyncSession, principal: Principal, action: str, customer_ids: Collection[int]
) -> None:
    """A list that names customers is a read of their records: one audit row each."""
    for customer_id in sorted(set(customer_ids)):
        await record_audit(
            session, principal, action=action, customer_id=customer_id, purpose="service"
        )


async def my_handoffs(
    session: AsyncSession,
    principal: Principal,
    locale: str,
    *,
    now: datetime | None = None,
) -> list[HandoffOut]:
    """Today's hand-offs for me, newest first: open or accepted ones addressed to me by
    name; open ones addressed to my role at an outlet where I am on duty (for an account
    manager, also those of the customers I manage); and the ones I accepted and have not
    finished. Audited (the list names customers)."""
    now = now or utcnow()
    staff = _serving_staff(principal)
    duty_outlets = (
        select(Device.org_unit_id)
        .join(StaffSession, StaffSession.device_id == Device.id)
        .where(
            StaffSession.staff_id == staff.id,
            StaffSession.revoked_at.is_(None),
            StaffSession.expires_at > now,
            Device.active.is_(True),
            Device.kind.in_([str(kind) for kind in STAFF_DEVICE_KINDS]),
        )
    )
    by_role: list[ColumnElement[bool]] = [Handoff.outlet_id.in_(duty_outlets)]
    if staff.role == Role.ACCOUNT_MANAGER:
        by_role.append(Customer.account_manager_id == staff.id)
    addressed = or_(
        and_(Handoff.to_staff_id == staff.id, Handoff.status.in_(_LIVE)),
        and_(
            Handoff.to_staff_id.is_(None),
            Handoff.to_role == staff.role,
            Handoff.status == HandoffStatus.OPEN,
            Handoff.from_staff_id != staff.id,
            or_(*by_role),
        ),
        and_(
            Handoff.accepted_by_staff_id == staff.id,
            Handoff.status == HandoffStatus.ACCEPTED,
        ),
    )
    found = await _handoffs(
        session,
        [addressed],
        role=staff.role,
        locale=locale,
        newest_first=True,
        on_day=bank_date(now),
    )
    await _audit_list(session, principal, "handoff.list", [customer for customer, _ in found])
    return [out for _customer, out in found]


_Deferrer = aliased(Staff)


async def my_follow_ups(
    session: AsyncSession,
    principal: Principal,
    locale: str,
    *,
    now: datetime | None = None,
    days: int = FOLLOW_UP_DAYS,
) -> list[FollowUpOut]:
    """Deferred leads whose follow-up date falls today or within the next ``days`` days,
    soonest first: leads I presented, and leads of the customers I manage as their account
    manager. Only leads still deferred (not since accepted or declined), each once with its
    latest deferral. Audited (the list names customers)."""
    now = now or utcnow()
    staff = _serving_staff(principal)
    today = bank_date(now)
    rows = await session.execute(
        select(
            Outcome,
            Lead.product_code,
            LeadRule.code,
            LeadRule.name,
            LeadRule.name_en,
            Product.name,
            Product.name_en,
            Customer.number,
            Customer.name,
            Customer.account_manager_id,
            CustomerProfile.tier,
            _Deferrer.display_name,
            OrgUnit.code,
        )
        .join(Lead, Lead.id == Outcome.lead_id)
        .join(LeadRule, LeadRule.id == Outcome.rule_id)
        .join(Customer, Customer.id == Outcome.customer_id)
        .outerjoin(Product, Product.code == Lead.product_code)
        .outerjoin(CustomerProfile, CustomerProfile.customer_id == Customer.id)
        .outerjoin(_Deferrer, _Deferrer.id == Outcome.staff_id)
        .outerjoin(OrgUnit, OrgUnit.id == Outcome.outlet_id)
        .where(
            Outcome.kind == OutcomeKind.DEFERRED,
            Outcome.follow_up_on >= today,
            Outcome.follow_up_on <= today + timedelta(days=days),
            Lead.status == LeadStatus.DEFERRED,
            or_(
                Outcome.staff_id == staff.id,
                Lead.presented_by_staff_id == staff.id,
                Customer.account_manager_id == staff.id,
            ),
        )
        .order_by(Outcome.recorded_at.desc(), Outcome.id.desc())
    )
    seen: set[int] = set()
    result: list[FollowUpOut] = []
    customer_ids: list[int] = []
    for row in rows:
        outcome, product_code, rule_code, rule_name, rule_name_en = row[:5]
        p_name, p_name_en, number, name, manager_id, tier, deferrer, outlet_code = row[5:]
        if outcome.lead_id in seen:
            continue  # an earlier deferral of the same lead
        seen.add(outcome.lead_id)
        assert outcome.follow_up_on is not None  # deferred outcomes carry one
        tier_value = Tier(tier) if tier else Tier.STANDARD
        customer_ids.append(outcome.customer_id)
        result.append(
            FollowUpOut(
                outcome_id=outcome.id,
                lead_id=outcome.lead_id,
                customer_number=number,
                customer_name=_customer_name(name, staff.role),
                tier=tier_value,
                tier_label=translate(TIER_LABELS[tier_value], locale),
                rule_code=rule_code,
                rule_name=localized_name(rule_name, rule_name_en, locale),
                product_code=product_code,
                product_name=localized_name(p_name, p_name_en, locale) if p_name else product_code,
                follow_up_on=outcome.follow_up_on,
                deferred_at=outcome.recorded_at,
                deferred_by_name=deferrer,
                outlet_code=outlet_code,
                note=outcome.note,
                own_customer=manager_id == staff.id,
            )
        )
    result.sort(key=lambda f: (f.follow_up_on, f.customer_number, f.lead_id))
    await _audit_list(session, principal, "follow_up.list", customer_ids)
    return result


# --- the timeline, as staff read it ------------------------------------------------------


async def timeline_of_visit(
    session: AsyncSession, principal: Principal, visit_id: int, locale: str
) -> list[TimelineEntry]:
    """A visit's timeline for a member of staff who may see the visit; a customer read,
    audited. Past and closed visits may be read too."""
    context = await load_visit(session, principal, visit_id)
    await record_audit(
        session,
        principal,
        action="visit.timeline",
        customer_id=context.visit.customer_id,
        purpose="service",
        detail={"visit_id": visit_id},
    )
    return await visit_timeline(session, context.visit, locale)
