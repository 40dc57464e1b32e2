"""What the display board (叫号屏) shows and says: the tickets now called, the last calls, the
queue per service, and the announcement of each call.

A public screen: a ticket number and a counter, never a name. With the outlet's consent
(``QueuePolicy.announce_honorific``) a call may address the customer by honorific only
(王先生 / Mr Wang). Announcements are ready-made sentences in Chinese and, when the outlet
enables it, English; the board's browser only speaks them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.customers.greeting import greeting
from smartbranch.customers.models import Customer
from smartbranch.db import utcnow
from smartbranch.i18n import N_, translate
from smartbranch.orgs.service import get_outlet_by_code
from smartbranch.queueing import service as queue
from smartbranch.queueing.models import (
    Counter,
    EventKind,
    QueuePolicy,
    Ticket,
    TicketEvent,
)

#: Calls listed under "recent calls".
RECENT_CALLS = 8
#: Events sent in one batch of the live stream.
FEED_BATCH = 100

ANNOUNCED_KINDS = frozenset({EventKind.CALLED, EventKind.RECALLED})

# "请 V012 号到 3 号窗口": the same sentence in each language the board speaks.
CALL_SENTENCE = N_("Number {number}, please go to counter {counter}.")
CALL_SENTENCE_HONORIFIC = N_("{honorific}, number {number}, please go to counter {counter}.")

#: The languages a board speaks, with the BCP 47 tag of the speech voice.
SPEECH_LANGS = {"zh_CN": "zh-CN", "en": "en-US"}


@dataclass(frozen=True, slots=True)
class BoardCall:
    """A ticket called to a counter, as the board shows it."""

    ticket_id: int
    number: str
    counter: str
    status: str
    called_at: datetime


@dataclass(frozen=True, slots=True)
class BoardState:
    """Everything on the board at one moment; ``last_event_id`` is where the live stream
    takes over."""

    outlet_code: str
    outlet_name: str
    outlet_name_en: str
    timezone: str
    now_called: list[BoardCall]
    recent: list[BoardCall]
    queues: list[queue.ServiceQueue]
    last_event_id: int


@dataclass(frozen=True, slots=True)
class Sentence:
    """One announcement in one language."""

    lang: str
    text: str


@dataclass(frozen=True, slots=True)
class BoardEvent:
    """One ticket change for the live stream; calls and recalls carry their announcement."""

    id: int
    kind: str
    number: str
    counter: str | None
    announce: list[Sentence]

    def as_json(self) -> dict[str, Any]:
        """The event's data field (no customer data beyond an honorific in ``announce``)."""
        return {
            "kind": self.kind,
            "number": self.number,
            "counter": self.counter,
            "announce": [{"lang": s.lang, "text": s.text} for s in self.announce],
        }


def counter_label(code: str, name: str = "") -> str:
    """What the board and the announcement call a counter: its code (``3``), which tellers
    and customers read on the window."""
    return code or name


def call_sentences(
    number: str,
    counter: str,
    *,
    english: bool,
    honorific: tuple[str, str] | None = None,
) -> list[Sentence]:
    """The announcement of a call: Chinese first, then English when the outlet enables it.

    ``honorific`` is the customer's (name, gender), used only for the surname and
    honorific; pass it only when the outlet allows names to be called.
    """
    sentences = []
    for locale in ("zh_CN", "en") if english else ("zh_CN",):
        if honorific is not None:
            text = translate(CALL_SENTENCE_HONORIFIC, locale).format(
                honorific=greeting(honorific[0], honorific[1], locale),
                number=number,
                counter=counter,
            )
        else:
            text = translate(CALL_SENTENCE, locale).format(number=number, counter=counter)
        sentences.append(Sentence(lang=SPEECH_LANGS[locale], text=text))
    return sentences


async def _policy_flags(session: AsyncSession, outlet_id: int) -> tuple[bool, bool]:
    row = (
        await session.execute(
            select(QueuePolicy.announce_honorific, QueuePolicy.announce_english).where(
                QueuePolicy.outlet_id == outlet_id
            )
        )
    ).one_or_none()
    return (bool(row[0]), bool(row[1])) if row is not None else (False, False)


async def board_state(
    session: AsyncSession, *, outlet_code: str, recent: int = RECENT_CALLS
) -> BoardState:
    """The board of ``outlet_code`` now: tickets at a counter, the last calls, the queues."""
    outlet = await get_outlet_by_code(session, outlet_code)
    now = utcnow()
    today = now.astimezone(ZoneInfo(outlet.timezone)).date()
    snapshot = await queue.queue_snapshot(session, outlet_code=outlet.code, now=now)
    now_called = [
        BoardCall(
            ticket_id=t.id,
            number=t.number,
            counter=counter_label(t.counter_code),
            status=t.status,
            called_at=t.called_at,
        )
        for t in snapshot.called
    ]
    calls = await session.execute(
        select(Ticket.id, Ticket.number, Counter.code, Counter.name, Ticket.status, TicketEvent.at)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .join(Counter, Counter.id == TicketEvent.counter_id)
        .where(
            TicketEvent.outlet_id == outlet.id,
            TicketEvent.kind.in_([k.value for k in ANNOUNCED_KINDS]),
            Ticket.business_day == today,
        )
        .order_by(TicketEvent.id.desc())
        .limit(recent)
    )
    recent_calls = [
        BoardCall(
            ticket_id=r[0],
            number=r[1],
            counter=counter_label(r[2], r[3]),
            status=r[4],
            called_at=r[5],
        )
        for r in calls
    ]
    last_event_id = await session.scalar(
        select(func.max(TicketEvent.id)).where(TicketEvent.outlet_id == outlet.id)
    )
    return BoardState(
        outlet_code=outlet.code,
        outlet_name=outlet.name,
        outlet_name_en=outlet.name_en,
        timezone=outlet.timezone,
        now_called=now_called,
        recent=recent_calls,
        queues=snapshot.services,
        last_event_id=int(last_event_id or 0),
    )


async def board_events(
    session: AsyncSession, *, outlet_code: str, after_id: int, limit: int = FEED_BATCH
) -> list[BoardEvent]:
    """The ticket changes at ``outlet_code`` after event ``after_id``, oldest first, each
    call and recall with its announcement."""
    events = await queue.events_since(
        session, outlet_code=outlet_code, after_id=after_id, limit=limit
    )
    if not events:
        return []
    outlet_id = events[0].outlet_id
    honorific_on, english = await _policy_flags(session, outlet_id)
    tickets = {
        t.id: t
        for t in await session.scalars(
            select(Ticket).where(Ticket.id.in_({e.ticket_id for e in events}))
        )
    }
    counter_ids = {e.counter_id for e in events if e.counter_id is not None}
    counters = {
        c.id: c for c in await session.scalars(select(Counter).where(Counter.id.in_(counter_ids)))
    }
    names: dict[int, tuple[str, str]] = {}
    if honorific_on:
        customer_ids = {t.customer_id for t in tickets.values() if t.customer_id is not None}
        rows = await session.execute(
            select(Customer.id, Customer.name, Customer.gender).where(Customer.id.in_(customer_ids))
        )
        names = {r[0]: (r[1], r[2]) for r in rows}
    result = []
    for event in events:
        ticket = tickets[event.ticket_id]
        counter = counters.get(event.counter_id) if event.counter_id is not None else None
        label = counter_label(counter.code, counter.name) if counter is not None else None
        announce: list[Sentence] = []
        if event.kind in ANNOUNCED_KINDS and label is not None:
            announce = call_sentences(
                ticket.number,
                label,
                english=english,
                honorific=names.get(ticket.customer_id) if ticket.customer_id else None,
            )
        result.append(
            BoardEvent(
                id=event.id,
                kind=event.kind,
                number=ticket.number,
                counter=label,
                announce=announce,
            )
        )
    return result


def calls_by_counter(calls: Sequence[BoardCall]) -> list[BoardCall]:
    """The latest call of each counter, latest first (a counter shows one number)."""
    seen: set[str] = set()
    latest = []
    for call in calls:
        if call.counter not in seen:
            seen.add(call.counter)
            latest.append(call)
    return latest
