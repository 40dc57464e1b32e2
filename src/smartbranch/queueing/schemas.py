"""Request and response bodies of the queue API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from smartbranch.customers.models import Tier


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(max_length=32, description="Service code, e.g. `cash`.", examples=["cash"])
    identification: str | None = Field(
        default=None,
        max_length=128,
        description="The reference from `POST /api/v1/identify`; omit for an anonymous ticket.",
    )


class TicketOut(BaseModel):
    """A ticket as kiosks and counters see it (no customer data beyond the tier)."""

    id: int
    number: str = Field(examples=["V012"])
    service: str
    tier: Tier
    tier_label: str
    status: str
    business_day: date
    issued_at: datetime = Field(description="Arrival time, printed on the ticket.")
    queued_at: datetime
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    counter: str | None = None
    recall_count: int = 0
    identified: bool = Field(description="Whether the ticket belongs to an identified customer.")


class TicketIssuedOut(TicketOut):
    people_ahead: int = Field(description="Tickets of the same service waiting before this one.")
    eta_minutes: float = Field(
        description="Estimated wait, from running the calling policy forward over the queue."
    )


class AppointmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = Field(max_length=32)
    customer_number: str = Field(max_length=20)
    slot_at: datetime = Field(description="With a time zone.")

    @model_validator(mode="after")
    def _aware(self) -> AppointmentIn:
        if self.slot_at.tzinfo is None:
            raise ValueError("slot_at needs a time zone")
        return self


class AppointmentOut(BaseModel):
    id: int
    service: str
    slot_at: datetime
    status: str
    ticket_id: int | None = None


class CheckInIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    identification: str | None = Field(
        default=None, max_length=128, description="Optional: checks it is the booked customer."
    )


class CounterOut(BaseModel):
    code: str
    name: str
    is_vip: bool
    state: str
    staff_id: int | None
    services: list[str]


class CallNextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str | None = Field(
        default=None, max_length=32, description="Call only this one of the counter's services."
    )


class CallNextOut(BaseModel):
    """The called ticket (none when no one the counter serves is waiting) and why."""

    ticket: TicketOut | None
    reason: str | None = Field(
        default=None,
        description="`max_wait_exceeded`, `appointment_due`, `transferred_to_counter`, "
        "`transferred_to_staff`, `highest_priority` or `fifo`.",
    )
    explanation: str | None = Field(default=None, description="The reason, in words.")
    detail: dict[str, Any] | None = None


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str | None = Field(default=None, max_length=32)
    counter: str | None = Field(default=None, max_length=8)
    staff_id: int | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> TransferIn:
        if self.service is None and self.counter is None and self.staff_id is None:
            raise ValueError("give a service, a counter or a member of staff")
        return self


class WaitingOut(BaseModel):
    id: int
    number: str
    tier: Tier
    queued_at: datetime
    target_counter: str | None = None


class ServiceQueueOut(BaseModel):
    code: str
    prefix: str
    name: str
    name_en: str
    waiting_count: int
    waiting: list[WaitingOut]


class CalledOut(BaseModel):
    id: int
    number: str
    service: str
    tier: Tier
    status: str
    counter: str
    called_at: datetime
    recall_count: int


class CounterStatusOut(CounterOut):
    ticket: CalledOut | None = None


class QueueOut(BaseModel):
    outlet: str
    at: datetime
    services: list[ServiceQueueOut]
    counters: list[CounterStatusOut]
    called: list[CalledOut] = Field(description="Tickets at counters, latest call first.")
