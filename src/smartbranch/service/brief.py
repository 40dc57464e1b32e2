"""The customer brief: what one member of staff, in one role on one channel, may know about a
customer now — and what to say.

Who may read it
    Signed-in staff of a role with a record disclosure (``customers.disclosure``), on a
    channel their role works (:data:`CHANNEL_ROLES`), for a customer whose home outlet lies in
    their org subtree *or* who is visiting an outlet of their subtree today (a customer from
    another city walking in — the 外地客户 case — gets a brief too).

What it holds
    The identity masked per role, tier, an assets summary (never for tellers), care prompts
    (birthday today or this week, out of town, maturities, a long absence), the serving run's
    leads this role may present on this channel, today's visit with its timeline, needs and
    open hand-offs.

Leads (defence in depth: the nightly run already applies these, the brief applies them again)
    * suitability: a wealth, fund or insurance lead whose product's risk level is above the
      customer's risk tolerance is never returned, for any role, not even as offered;
    * tellers never see wealth, fund or insurance leads, whatever a rule says;
    * a rule's channels and roles must include the caller's;
    * a lead held back by the contact policy (cool-down after a refusal, deferred until its
      follow-up date, presentations used up), accepted or converted, or presented today by a
      colleague is not suggested: it is listed under ``offered`` with who offered it when;
    * at most K leads are suggested per visit (``Settings.leads_per_visit``), the same ones
      to every colleague: the visit keeps the ids it suggested and only fills up to K.

Every brief read writes an audit row. The read is two indexed queries built once at import
(the customer with their recent visits; then credentials, holdings, leads with their rules
and products and those rules' outcome history as one UNION ALL), plus, when the customer is
visiting, the visit, its tickets, timeline, needs and hand-offs; nothing about a customer is
cached.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, NamedTuple, TypeVar, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy import (
    cast as cast_,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import QueryableAttribute, aliased
from sqlalchemy.orm.attributes import set_committed_value

from smartbranch.analysis.models import AnalysisRun, RunStatus
from smartbranch.auth.service import Principal, StaffInfo, record_audit
from smartbranch.catalog.models import ASSET_CATEGORIES, Product
from smartbranch.customers.disclosure import (
    RECORD_DISCLOSURE,
    Disclosure,
    age_on,
    shown_credential,
    shown_name,
    shown_phone,
)
from smartbranch.customers.features import BIRTHDAY_WEEK_DAYS, LONG_ABSENCE_DAYS
from smartbranch.customers.models import TIER_ORDER, Credential, Customer, CustomerProfile, Tier
from smartbranch.customers.models import Holding as HoldingRow
from smartbranch.customers.schemas import CredentialOut
from smartbranch.customers.service import (
    CustomerNumberNotFoundError,
    CustomerOutOfScopeError,
    RoleNotAllowedError,
)
from smartbranch.customers.tiers import TIER_LABELS
from smartbranch.db import utcnow
from smartbranch.errors import BadRequestError, ForbiddenError, NotAuthenticatedError
from smartbranch.i18n import N_, translate
from smartbranch.marketing.errors import LEAD_LABELS
from smartbranch.marketing.models import Lead, LeadRule, LeadStatus, Outcome, OutcomeKind
from smartbranch.marketing.service import (
    DECLINE_REASONS,
    PRESENTED_KINDS,
    ContactPolicy,
    Hold,
    PastOutcome,
    bank_date,
    contact_hold,
)
from smartbranch.orgs.models import OrgUnit, Role, Staff
from smartbranch.orgs.service import within
from smartbranch.queueing.models import ACTIVE_STATUSES, Ticket, TicketStatus
from smartbranch.service.collab import handoffs_of_visit, needs_of_visit
from smartbranch.service.models import HandoffStatus, Visit
from smartbranch.service.schemas import (
    AssetsOut,
    Brief,
    CarePrompt,
    Channel,
    HandoffOut,
    IdentityOut,
    LeadOffer,
    NeedOut,
    OfferedBy,
    TimelineEntry,
    VisitOut,
)
from smartbranch.service.timeline import role_label, visit_timeline
from smartbranch.service.visits import CARE_ALERTS, TICKET_STATUS_LABELS
from smartbranch.settings import Settings, get_settings

# --- who may read what, where --------------------------------------------------------------

BRIEF_CHANNELS = ("tablet", "counter", "crm")
"""Channels a brief is read on: the tablet workbench, the teller counter, the CRM."""

CHANNEL_ROLES: dict[str, frozenset[str]] = {
    Role.TELLER: frozenset({"counter"}),
    Role.LOBBY_MANAGER: frozenset({"tablet"}),
    Role.WEALTH_MANAGER: frozenset({"tablet", "crm"}),
    Role.ACCOUNT_MANAGER: frozenset({"tablet", "crm"}),
    Role.OUTLET_MANAGER: frozenset({"tablet", "crm"}),
}
"""Which channel each serving role reads briefs on. Tellers work the counter only; the lobby
manager walks the floor with a tablet; wealth, account and outlet managers use the tablet in
the branch and the CRM at their desk (follow-ups, phone calls)."""

SUITABILITY_CATEGORIES = frozenset({"wealth", "fund", "insurance"})
"""Product categories sold under suitability rules: risk level against risk tolerance, and
never by tellers."""

SHOWN_STATUSES = (
    LeadStatus.OPEN,
    LeadStatus.PRESENTED,
    LeadStatus.ACCEPTED,
    LeadStatus.DECLINED,
    LeadStatus.DEFERRED,
    LeadStatus.CONVERTED,
)
"""Lead statuses a brief lists (expired leads are gone)."""

_SETTLED = frozenset({LeadStatus.ACCEPTED, LeadStatus.CONVERTED})
"""A lead the customer said yes to: shown so nobody offers it again, never suggested."""

OPEN_HANDOFF_STATUSES = frozenset({HandoffStatus.OPEN, HandoffStatus.ACCEPTED})
"""Hand-offs a brief lists: still to be taken up or being worked on."""

MATURITY_DAYS = 30
"""Holdings maturing within this many days get a care prompt."""


class ChannelUnknownError(BadRequestError):
    code = "channel_unknown"
    message = N_("Unknown channel {channel}: use tablet, counter or crm.")


class ChannelNotAllowedError(ForbiddenError):
    code = "channel_not_allowed"
    message = N_("Your role does not serve customers on the {channel} channel.")


def check_channel(staff: StaffInfo, channel: str) -> Disclosure:
    """The role's disclosure, once the role may read briefs on ``channel``; else a typed
    error (unknown channel 400, role 403, channel not for the role 403)."""
    if channel not in BRIEF_CHANNELS:
        raise ChannelUnknownError(channel=channel)
    disclosure = RECORD_DISCLOSURE.get(staff.role)
    if disclosure is None:
        raise RoleNotAllowedError()
    if channel not in CHANNEL_ROLES.get(staff.role, frozenset()):
        raise ChannelNotAllowedError(channel=channel)
    return disclosure


def may_see_lead(
    role: str,
    channel: str,
    *,
    rule_channels: Collection[str],
    rule_roles: Collection[str],
    category: str,
    risk_level: int,
    risk_tolerance: int,
) -> bool:
    """Whether a lead may be shown to ``role`` on ``channel`` at all (suitability first)."""
    if category in SUITABILITY_CATEGORIES and (risk_level > risk_tolerance or role == Role.TELLER):
        return False
    return channel in rule_channels and role in rule_roles


def local_today(timezone: str, now: datetime) -> date:
    """The calendar date at ``now`` in ``timezone``."""
    return now.astimezone(ZoneInfo(timezone)).date()


# --- queries (built once: building a statement costs more than running it here) --------------

_Home = aliased(OrgUnit, name="home")
_Here = aliased(OrgUnit, name="here")

VISITS_READ = 6
"""Recent visits read per brief: today's (one per outlet, rarely more than one) and the
last one before, for the long-absence prompt."""

_VISITS = (
    select(Visit, OrgUnit.path, OrgUnit.code, OrgUnit.timezone)
    .join(OrgUnit, OrgUnit.id == Visit.outlet_id)
    .where(Visit.customer_id == bindparam("customer_id"))
    .order_by(Visit.business_day.desc(), Visit.id.desc())
    .limit(VISITS_READ)
)

# The customer's latest visits, found by the customer's number (so that they come in the
# same round trip as the customer's row).
_RECENT = (
    select(Visit.id, Visit.customer_id, Visit.outlet_id, Visit.business_day, Visit.arrived_at)
    .where(
        Visit.customer_id
        == select(Customer.id).where(Customer.number == bindparam("number")).scalar_subquery()
    )
    .order_by(Visit.business_day.desc(), Visit.id.desc())
    .limit(VISITS_READ)
    .subquery("recent")
)
_VisitOutlet = aliased(OrgUnit, name="visit_outlet")

# One row per recent visit (one row with NULL visit columns when there is none), each with
# the customer's row, and where we are: the device's org unit rides along.
_CUSTOMER = (
    select(
        Customer.id,
        Customer.number,
        Customer.name,
        Customer.gender,
        Customer.birth_date,
        Customer.phone,
        Customer.home_city,
        Customer.account_manager_id,
        Customer.risk_tolerance,
        _Home.path,
        _Home.code,
        CustomerProfile.tier,
        CustomerProfile.aum,
        _Here.id,
        _Here.code,
        _Here.city,
        _Here.timezone,
        _RECENT.c.id,
        _RECENT.c.outlet_id,
        _RECENT.c.business_day,
        _RECENT.c.arrived_at,
        _VisitOutlet.path,
        _VisitOutlet.code,
        _VisitOutlet.timezone,
    )
    .select_from(Customer)
    .join(_Home, _Home.id == Customer.home_outlet_id)
    .join(_Here, _Here.id == bindparam("here_id"))
    .outerjoin(CustomerProfile, CustomerProfile.customer_id == Customer.id)
    .outerjoin(_RECENT, _RECENT.c.customer_id == Customer.id)
    .outerjoin(_VisitOutlet, _VisitOutlet.id == _RECENT.c.outlet_id)
    .where(Customer.number == bindparam("number"))
    .order_by(_RECENT.c.business_day.desc(), _RECENT.c.id.desc())
)

# --- the customer's records, in one round trip ---------------------------------------------
# Credentials, holdings, the serving run's leads (with their rules and products) and the
# outcome history of those leads' rules come back as one UNION ALL: each row is tagged with
# what it is and fills only its own columns (the others are NULL, typed so that every
# branch's values are read back the same way). Each kind is put in order in Python.

_CREDENTIAL_COLUMNS: tuple[QueryableAttribute[Any], ...] = (
    Credential.id,
    Credential.kind,
    Credential.masked,
    Credential.status,
)
_HOLDING_COLUMNS: tuple[QueryableAttribute[Any], ...] = (
    HoldingRow.id,
    HoldingRow.category,
    HoldingRow.balance,
    HoldingRow.maturity_on,
    Product.name,
    Product.name_en,
)
_LEAD_COLUMNS: tuple[QueryableAttribute[Any], ...] = (
    AnalysisRun.id,
    Lead.id,
    Lead.rule_id,
    Lead.product_code,
    Lead.rank,
    Lead.priority,
    Lead.status,
    Lead.valid_from,
    Lead.valid_until,
    Lead.script_zh,
    Lead.script_en,
    LeadRule.code,
    LeadRule.name,
    LeadRule.name_en,
    LeadRule.family,
    LeadRule.channels,
    LeadRule.roles,
    LeadRule.cooldown_days,
    LeadRule.max_presentations,
    LeadRule.active,
    Product.name,
    Product.name_en,
    Product.category,
    Product.risk_level,
    Product.sold_on_the_spot,
)
_HISTORY_COLUMNS: tuple[QueryableAttribute[Any], ...] = (
    Outcome.id,
    Outcome.rule_id,
    Outcome.kind,
    Outcome.reason_code,
    Outcome.recorded_at,
    Outcome.follow_up_on,
    Outcome.staff_id,
    Staff.display_name,
    Staff.role,
)
_GROUPS = (_CREDENTIAL_COLUMNS, _HOLDING_COLUMNS, _LEAD_COLUMNS, _HISTORY_COLUMNS)
_CREDENTIAL, _HOLDING, _LEAD, _HISTORY = range(len(_GROUPS))
_OFFSETS = [1 + sum(len(g) for g in _GROUPS[:i]) for i in range(len(_GROUPS) + 1)]
"""Where each kind's columns start in a record row (after the tag), and where they end."""


def _tagged(tag: int) -> list[ColumnElement[Any]]:
    """The select list of one branch: its tag, its own columns, NULLs cast to the other
    columns' types for the rest (PostgreSQL matches the branches' types pair by pair, so an
    untyped NULL would not do)."""
    columns: list[ColumnElement[Any]] = [literal_column(str(tag)).label("tag")]
    for index, group in enumerate(_GROUPS):
        for position, column in enumerate(group):
            name = f"c{index}_{position}"
            own = column.expression if index == tag else cast_(null(), column.type)
            columns.append(own.label(name))
    return columns


def _shown_leads(*columns: ColumnElement[Any] | QueryableAttribute[Any]) -> Select[Any]:
    """The serving run's leads of the customer that a brief lists (outer-joined from the run,
    so that the run's id comes back even when the customer has none)."""
    return (
        select(*columns)
        .select_from(AnalysisRun)
        .outerjoin(
            Lead,
            and_(
                Lead.run_id == AnalysisRun.id,
                Lead.customer_id == bindparam("customer_id"),
                Lead.status.in_([str(s) for s in SHOWN_STATUSES]),
            ),
        )
        .where(AnalysisRun.status == RunStatus.PUBLISHED)
    )


_RECORDS = union_all(
    select(*_tagged(_CREDENTIAL)).where(Credential.customer_id == bindparam("customer_id")),
    select(*_tagged(_HOLDING))
    .select_from(HoldingRow)
    .join(Product, Product.code == HoldingRow.product_code)
    .where(HoldingRow.customer_id == bindparam("customer_id")),
    _shown_leads(*_tagged(_LEAD))
    .outerjoin(LeadRule, LeadRule.id == Lead.rule_id)
    .outerjoin(Product, Product.code == Lead.product_code),
    # The history of every rule the customer has a shown lead of, whatever the number of
    # leads: no second round trip after the leads.
    select(*_tagged(_HISTORY))
    .select_from(Outcome)
    .outerjoin(Staff, Staff.id == Outcome.staff_id)
    .where(
        Outcome.customer_id == bindparam("customer_id"),
        Outcome.rule_id.in_(_shown_leads(Lead.rule_id).where(Lead.id.is_not(None))),
    ),
)


def _ordered(
    rows: Sequence[Sequence[Any]],
) -> tuple[list[Sequence[Any]], list[Sequence[Any]], list[Sequence[Any]], list[Sequence[Any]]]:
    """The record rows split by kind, each kind's columns only, in the order each kind is
    read in: credentials as issued, holdings by maturity, leads best first, history oldest
    first."""
    kinds: list[list[Sequence[Any]]] = [[] for _ in _GROUPS]
    for row in rows:
        tag = row[0]
        kinds[tag].append(row[_OFFSETS[tag] : _OFFSETS[tag + 1]])
    credentials, holdings, leads, history = kinds
    credentials.sort(key=lambda r: r[0])
    # Only dated holdings are ordered by date in what the brief shows (the maturities).
    holdings.sort(key=lambda r: (r[3] is None, r[3] or date.min, r[0]))
    # The run's row without a lead comes alone (outer join), so its NULLs never meet a lead.
    leads.sort(key=lambda r: (r[4] or 0, -(r[5] or 0.0), r[1] or 0))
    history.sort(key=lambda r: (r[4], r[0]))
    return credentials, holdings, leads, history


_TICKETS = select(
    Ticket.id, Ticket.number, Ticket.status, Ticket.issued_at, Ticket.queued_at, Ticket.called_at
).where(
    Ticket.customer_id == bindparam("customer_id"),
    Ticket.outlet_id == bindparam("outlet_id"),
    Ticket.business_day == bindparam("business_day"),
)

_VISITS_TABLE = cast(Table, Visit.__table__)
_LOCK_SUGGESTED = (
    select(Visit.leads_suggested).where(Visit.id == bindparam("visit_id")).with_for_update()
)
_SET_SUGGESTED = (
    update(_VISITS_TABLE)
    .where(_VISITS_TABLE.c.id == bindparam("visit_id"))
    .values(leads_suggested=bindparam("suggested"))
)


# --- scope ---------------------------------------------------------------------------------


V = TypeVar("V")
"""A visit: an ORM :class:`Visit` (outcomes), or a :class:`VisitRef` (the brief)."""


class VisitRef(NamedTuple):
    """A visit as the brief reads it (plain columns; the visit it is about is then loaded
    as an object, for its timeline)."""

    id: int
    outlet_id: int
    business_day: date
    arrived_at: datetime


@dataclass(frozen=True, slots=True)
class TodayVisit(Generic[V]):
    """One of the customer's visits today, with where it is."""

    visit: V
    outlet_code: str
    outlet_path: str


def split_visits(
    rows: Sequence[Sequence[Any]], now: datetime, here_today: date
) -> tuple[list[TodayVisit[Any]], date | None]:
    """Today's visits (each by its outlet's own local date) and the day of the latest visit
    before today, from ``(visit, outlet path, outlet code, outlet timezone)`` rows, newest
    first."""
    today: list[TodayVisit[Any]] = []
    before: date | None = None
    for visit, path, code, tz in rows:
        if visit.business_day == local_today(tz, now):
            today.append(TodayVisit(visit, code, path))
        elif visit.business_day < here_today and before is None:
            before = visit.business_day
    return today, before


def in_scope(home_path: str, visits_today: Sequence[TodayVisit[Any]], scope: str) -> bool:
    """Whether staff of subtree ``scope`` may serve the customer: a home outlet in their
    subtree, or a visit today at an outlet of it."""
    return within(home_path, scope) or any(within(v.outlet_path, scope) for v in visits_today)


def pick_visit(
    visits_today: Sequence[TodayVisit[V]], here_id: int, home_in_scope: bool, scope: str
) -> TodayVisit[V] | None:
    """The visit a brief is about: the one at the caller's outlet, else the latest one the
    caller may see (any outlet for their own customers, their subtree's for visitors)."""
    for today in visits_today:
        if cast(Any, today.visit).outlet_id == here_id:
            return today
    seen = [v for v in visits_today if home_in_scope or within(v.outlet_path, scope)]
    return max(seen, key=lambda v: cast(datetime, cast(Any, v.visit).arrived_at), default=None)


# --- care prompts ---------------------------------------------------------------------------

CARE_LABELS: dict[str, str] = {
    **CARE_ALERTS,
    "maturity": N_("Maturity soon"),
    "long_absence": N_("Long absence"),
}
"""Short labels of the care prompts (the lobby overview's alerts)."""


def next_birthday(born: date, today: date) -> date:
    """The next birthday on or after ``today``; 29 February is kept on 28 February in
    common years (as the analysis's care events do)."""
    for year in (today.year, today.year + 1):
        try:
            day = born.replace(year=year)
        except ValueError:
            day = date(year, 2, 28)
        if day >= today:
            return day
    raise AssertionError("unreachable: next year's birthday is always ahead")


@dataclass(frozen=True, slots=True)
class Maturity:
    """A holding maturing soon: its product's name (in the caller's language) and date."""

    product_name: str
    on: date


def care_prompts(
    *,
    locale: str,
    today: date,
    birth_date: date,
    home_city: str,
    here_city: str,
    maturities: Sequence[Maturity],
    last_visit_before: date | None,
) -> list[CarePrompt]:
    """What to mind when greeting the customer, in ``locale``, most personal first."""
    prompts: list[CarePrompt] = []
    birthday = next_birthday(birth_date, today)
    days = (birthday - today).days
    if days == 0:
        text = translate(N_("Birthday today: wish them a happy birthday."), locale)
        prompts.append(CarePrompt(kind="birthday_today", text=text))
    elif days < BIRTHDAY_WEEK_DAYS:
        text = translate(N_("Birthday in {days} days ({date}): a greeting is welcome."), locale)
        prompts.append(
            CarePrompt(kind="birthday_week", text=text.format(days=days, date=birthday.isoformat()))
        )
    if home_city and here_city and home_city != here_city:
        text = translate(
            N_(
                "Out-of-town customer from {city}: welcome them and offer help with services "
                "across cities."
            ),
            locale,
        )
        prompts.append(CarePrompt(kind="out_of_town", text=text.format(city=home_city)))
    for maturity in maturities:
        text = translate(N_("{product} matures on {date}: talk about what comes next."), locale)
        prompts.append(
            CarePrompt(
                kind="maturity",
                text=text.format(product=maturity.product_name, date=maturity.on.isoformat()),
            )
        )
    if last_visit_before is not None:
        away = (today - last_visit_before).days
        if away > LONG_ABSENCE_DAYS:
            text = translate(N_("First visit in {days} days: welcome them back."), locale)
            prompts.append(CarePrompt(kind="long_absence", text=text.format(days=away)))
    return prompts


# --- leads ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Past:
    kind: str
    reason_code: str | None
    at: datetime
    follow_up_on: date | None
    staff_id: int | None
    staff_name: str | None
    role: str | None


def _offered_by(past: _Past, *, locale: str, tz: ZoneInfo, today: date, own_id: int) -> OfferedBy:
    local = past.at.astimezone(tz)
    role = past.role or ""
    role_name = role_label(role, locale) or ""
    if locale == "en":
        # "Offered by the wealth manager at 10:32": the role is a common noun in a sentence.
        role_name = role_name[:1].lower() + role_name[1:]
    kind_label = translate(LEAD_LABELS.get(past.kind, past.kind), locale)
    if past.staff_id == own_id:
        message = (
            N_("Offered by you at {time} — {kind}")
            if local.date() == today
            else N_("Offered by you on {date} at {time} — {kind}")
        )
    else:
        message = (
            N_("Offered by the {role} at {time} — {kind}")
            if local.date() == today
            else N_("Offered by the {role} on {date} at {time} — {kind}")
        )
    text = translate(message, locale).format(
        role=role_name, time=f"{local:%H:%M}", date=local.date().isoformat(), kind=kind_label
    )
    reason = DECLINE_REASONS.get(past.reason_code or "")
    return OfferedBy(
        staff_name=past.staff_name or "",
        role=role,
        role_label=role_label(role, locale) or "",
        at=past.at,
        kind=past.kind,
        kind_label=kind_label,
        reason_label=translate(reason, locale) if reason else None,
        follow_up_on=past.follow_up_on,
        text=text,
    )


@dataclass(slots=True)
class _Candidate:
    offer: LeadOffer
    suggestible: bool


def _sort_leads(
    rows: Sequence[Sequence[Any]],
    history: dict[int, list[_Past]],
    *,
    staff: StaffInfo,
    channel: str,
    risk_tolerance: int,
    locale: str,
    tz: ZoneInfo,
    now: datetime,
) -> list[_Candidate]:
    """The leads this role may see on this channel, best first, each marked suggestible or
    not (held back, settled, or presented today by a colleague)."""
    today = bank_date(now)
    local_day = now.astimezone(tz).date()
    out: list[_Candidate] = []
    for row in rows:
        (_run, lead_id, rule_id, product_code, rank, priority, status, valid_from, valid_until,
         script_zh, script_en, rule_code, rule_name, rule_name_en, family, rule_channels,
         rule_roles, cooldown, max_presentations, rule_active, product_name, product_name_en,
         category, risk_level, on_the_spot) = row  # fmt: skip
        if lead_id is None or not rule_active or not valid_from <= today <= valid_until:
            continue
        if not may_see_lead(
            staff.role,
            channel,
            rule_channels=rule_channels or (),
            rule_roles=rule_roles or (),
            category=category,
            risk_level=risk_level,
            risk_tolerance=risk_tolerance,
        ):
            continue
        past = history.get(rule_id, [])
        hold: Hold | None = contact_hold(
            [PastOutcome(OutcomeKind(p.kind), bank_date(p.at), p.follow_up_on) for p in past],
            ContactPolicy(cooldown_days=cooldown, max_presentations=max_presentations),
            today,
        )
        # The latest time it was put to the customer (or found they already have it).
        latest = next((p for p in reversed(past) if p.kind != OutcomeKind.NOT_PRESENTED), None)
        by_colleague_today = (
            latest is not None
            and latest.kind in PRESENTED_KINDS
            and latest.staff_id != staff.id
            and latest.at.astimezone(tz).date() == local_day
        )
        suggestible = hold is None and status not in _SETTLED and not by_colleague_today
        offer = LeadOffer(
            lead_id=lead_id,
            rule_code=rule_code,
            rule_name=(rule_name_en or rule_name) if locale == "en" else rule_name,
            family=family,
            product_code=product_code,
            product_name=(product_name_en or product_name) if locale == "en" else product_name,
            product_category=category,
            risk_level=risk_level,
            rank=rank,
            priority=priority,
            status=status,
            status_label=translate(LEAD_LABELS.get(status, status), locale),
            script=(script_en or script_zh) if locale == "en" else script_zh,
            sold_on_the_spot=bool(on_the_spot),
            offered=None
            if suggestible or latest is None
            else _offered_by(latest, locale=locale, tz=tz, today=local_day, own_id=staff.id),
            held_until=hold.until if hold is not None and not suggestible else None,
        )
        out.append(_Candidate(offer, suggestible))
    return out


async def _suggest(
    conn: AsyncConnection, candidates: Sequence[_Candidate], visit: Visit | None, k: int
) -> list[LeadOffer]:
    """At most ``k`` suggestions for the visit, the same ones for every colleague: the ids
    the visit already suggested first, then fill up to ``k`` (recorded on the visit)."""
    open_ = [c.offer for c in candidates if c.suggestible]
    if visit is None:
        return open_[:k]
    already = list(visit.leads_suggested or [])
    if len(already) < k and any(o.lead_id not in already for o in open_):
        # Fill up under the visit's row lock, from what is stored now: two colleagues
        # opening the brief at once must not suggest more than k between them.
        stored = await conn.scalar(_LOCK_SUGGESTED, {"visit_id": visit.id})
        already = list(stored or [])
        new = [o.lead_id for o in open_ if o.lead_id not in already][: max(k - len(already), 0)]
        if new:
            already = already + new
            await conn.execute(_SET_SUGGESTED, {"visit_id": visit.id, "suggested": already})
        # The loaded visit now matches the row (nothing left for the ORM to flush).
        set_committed_value(visit, "leads_suggested", already)
    return [o for o in open_ if o.lead_id in already]


# --- the brief ------------------------------------------------------------------------------


def next_tier_gap(
    tier: Tier, aum: Decimal, thresholds: Sequence[Decimal]
) -> tuple[Tier | None, Decimal | None]:
    """The tier after ``tier`` and the assets still missing to reach it (never negative: the
    tier follows average assets, so today's may already be above the bound)."""
    index = TIER_ORDER.index(tier)
    if index + 1 >= len(TIER_ORDER):
        return None, None
    bound = thresholds[index]  # the thresholds start at gold, the tier after standard
    return TIER_ORDER[index + 1], max(bound - aum, Decimal(0))


async def _visit_out(
    conn: AsyncConnection,
    visit: Visit,
    outlet_code: str,
    *,
    number: str,
    name: str,
    care: Sequence[CarePrompt],
    open_handoffs: int,
    locale: str,
    now: datetime,
) -> VisitOut:
    tickets = (
        await conn.execute(
            _TICKETS,
            {
                "customer_id": visit.customer_id,
                "outlet_id": visit.outlet_id,
                "business_day": visit.business_day,
            },
        )
    ).all()
    # As the lobby overview shows it: the active ticket, else the latest.
    active = [t for t in tickets if t.status in ACTIVE_STATUSES]
    ticket = max(active or tickets, key=lambda t: (t.issued_at, t.id), default=None)
    waiting = None
    if ticket is not None:
        if ticket.status == TicketStatus.WAITING:
            waiting = max(int((now - ticket.queued_at).total_seconds() // 60), 0)
        elif ticket.called_at is not None:
            waiting = max(int((ticket.called_at - ticket.queued_at).total_seconds() // 60), 0)
    tier = Tier(visit.tier)
    return VisitOut(
        id=visit.id,
        outlet_code=outlet_code,
        customer_number=number,
        customer_name=name,
        tier=tier,
        tier_label=translate(TIER_LABELS[tier], locale),
        status=visit.status,
        arrived_at=visit.arrived_at,
        ticket_number=ticket.number if ticket is not None else None,
        ticket_status=ticket.status if ticket is not None else None,
        ticket_status_label=translate(TICKET_STATUS_LABELS[TicketStatus(ticket.status)], locale)
        if ticket is not None
        else None,
        waiting_minutes=waiting,
        alerts=[translate(CARE_LABELS[c.kind], locale) for c in care],
        open_handoffs=open_handoffs,
    )


@dataclass(frozen=True, slots=True)
class Served:
    """Who a customer is to a member of staff who may serve them (see :func:`serve_scope`)."""

    customer_id: int
    visits_today: list[TodayVisit[Visit]]
    last_visit_before: date | None
    home_in_scope: bool


async def serve_scope(
    session: AsyncSession,
    staff: StaffInfo,
    customer_id: int,
    home_path: str,
    *,
    now: datetime,
    here_today: date,
) -> Served:
    """Check that ``staff`` may serve the customer (home outlet in their subtree, or a visit
    today at an outlet of it) and return the customer's visits; else
    :class:`CustomerOutOfScopeError`."""
    rows = (await session.execute(_VISITS, {"customer_id": customer_id})).all()
    visits_today, before = split_visits(rows, now, here_today)
    if not in_scope(home_path, visits_today, staff.org_path):
        raise CustomerOutOfScopeError()
    return Served(customer_id, visits_today, before, within(home_path, staff.org_path))


async def customer_brief(
    session: AsyncSession,
    principal: Principal,
    number: str,
    *,
    channel: str,
    locale: str,
    now: datetime | None = None,
    settings: Settings | None = None,
) -> Brief:
    """The customer's brief as the caller's role may see it on ``channel``; audited.

    Raises ``not_authenticated`` (401), ``channel_unknown`` (400), ``role_not_allowed``,
    ``channel_not_allowed``, ``customer_out_of_scope`` (403) or ``customer_not_found`` (404);
    nothing is written then. Flushes, never commits.
    """
    staff = principal.staff
    if staff is None:
        raise NotAuthenticatedError()
    disclosure = check_channel(staff, channel)
    settings = settings or get_settings()
    now = now or utcnow()
    # Core statements on the session's connection (same transaction): plain rows, no ORM
    # identity map to fill on this hot path (the visit alone is loaded as an object, for
    # its timeline).
    if session.new or session.dirty or session.deleted:
        # What this unit of work changed so far is part of the picture (asked first: an
        # empty flush still costs a trip through the session's machinery).
        await session.flush()
    conn = await session.connection()
    rows = (
        await conn.execute(_CUSTOMER, {"number": number, "here_id": principal.device.org_unit_id})
    ).all()
    if not rows:
        raise CustomerNumberNotFoundError(number=number)
    first: Sequence[Any] = rows[0]
    (customer_id, _number, name, gender, birth_date, phone, home_city, manager_id,
     risk_tolerance, home_path, home_code, tier_value, aum, here_id, _here_code, here_city,
     here_tz) = first[:17]  # fmt: skip
    tz = ZoneInfo(here_tz)
    today = now.astimezone(tz).date()
    visits_today, last_visit_before = split_visits(
        [(VisitRef(*r[17:21]), *r[21:24]) for r in cast(list[Sequence[Any]], rows) if r[17]],
        now,
        today,
    )
    if not in_scope(home_path, visits_today, staff.org_path):
        raise CustomerOutOfScopeError()
    home_in_scope = within(home_path, staff.org_path)
    picked = pick_visit(visits_today, here_id, home_in_scope, staff.org_path)
    # The visit the brief is about, as an object (its timeline reads it; the suggested
    # leads are kept on it).
    visit = await session.get(Visit, picked.visit.id) if picked is not None else None

    credential_rows, holding_rows, lead_rows, history_rows = _ordered(
        (await conn.execute(_RECORDS, {"customer_id": customer_id})).all()
    )
    credentials = [
        CredentialOut(kind=kind, masked=shown_credential(kind, masked, disclosure), status=status)
        for _id, kind, masked, status in credential_rows
    ]
    by_category: dict[str, Decimal] = {}
    maturities: list[Maturity] = []
    horizon = today + timedelta(days=MATURITY_DAYS)
    for _id, category, balance, maturity_on, product_name, product_name_en in holding_rows:
        if category in ASSET_CATEGORIES:
            by_category[category] = by_category.get(category, Decimal(0)) + balance
        if maturity_on is not None and today <= maturity_on <= horizon:
            shown = (product_name_en or product_name) if locale == "en" else product_name
            maturities.append(Maturity(shown, maturity_on))

    tier = Tier(tier_value) if tier_value else Tier.STANDARD
    assets = None
    if disclosure.assets:
        total = aum if aum is not None else sum(by_category.values(), Decimal(0))
        next_tier, gap = next_tier_gap(tier, total, settings.tier_thresholds_cny)
        assets = AssetsOut(
            aum=total,
            by_category={c: by_category[c] for c in ASSET_CATEGORIES if c in by_category},
            next_tier=next_tier,
            gap_to_next_tier=gap,
        )
    care = care_prompts(
        locale=locale,
        today=today,
        birth_date=birth_date,
        home_city=home_city,
        here_city=here_city,
        maturities=maturities,
        last_visit_before=last_visit_before,
    )

    run_id: str | None = lead_rows[0][0] if lead_rows else None
    history: dict[int, list[_Past]] = {}
    for (_id, rule_id, kind, reason_code, recorded_at, follow_up_on, staff_id, staff_name,
         role) in history_rows:  # fmt: skip
        history.setdefault(rule_id, []).append(
            _Past(kind, reason_code, recorded_at, follow_up_on, staff_id, staff_name, role)
        )
    candidates = _sort_leads(
        lead_rows,
        history,
        staff=staff,
        channel=channel,
        risk_tolerance=risk_tolerance,
        locale=locale,
        tz=tz,
        now=now,
    )
    suggested = await _suggest(conn, candidates, visit, settings.leads_per_visit)
    offered = [c.offer for c in candidates if not c.suggestible]

    shown = shown_name(name, disclosure)
    visit_out: VisitOut | None = None
    timeline: list[TimelineEntry] = []
    needs: list[NeedOut] = []
    handoffs: list[HandoffOut] = []
    if picked is not None and visit is not None:
        timeline = await visit_timeline(session, visit, locale)
        needs = await needs_of_visit(session, visit.id, locale=locale)
        handoffs = [
            h
            for h in await handoffs_of_visit(session, visit.id, role=staff.role, locale=locale)
            if h.status in OPEN_HANDOFF_STATUSES
        ]
        open_handoffs = len(handoffs)
        visit_out = await _visit_out(
            conn,
            visit,
            picked.outlet_code,
            number=number,
            name=shown,
            care=care,
            open_handoffs=open_handoffs,
            locale=locale,
            now=now,
        )

    await record_audit(
        session,
        principal,
        action="customer.brief",
        customer_id=customer_id,
        purpose="service",
        detail={
            "channel": channel,
            "leads": [o.lead_id for o in suggested],
            "offered": [o.lead_id for o in offered],
            "assets": assets is not None,
            "visit_id": visit.id if visit is not None else None,
        },
        at=now,
        connection=conn,
    )
    return Brief(
        channel=cast(Channel, channel),
        role=staff.role,
        customer=IdentityOut(
            number=number,
            name=shown,
            gender=gender,
            age=age_on(birth_date, today),
            home_city=home_city,
            home_outlet=home_code,
            phone=shown_phone(phone, disclosure, own_manager=manager_id == staff.id),
            risk_tolerance=risk_tolerance,
            credentials=credentials,
        ),
        tier=tier,
        tier_label=translate(TIER_LABELS[tier], locale),
        assets=assets,
        care=care,
        leads=suggested,
        offered=offered,
        visit=visit_out,
        timeline=timeline,
        needs=needs,
        handoffs=handoffs,
        run_id=run_id,
    )
