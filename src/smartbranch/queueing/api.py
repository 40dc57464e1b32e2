"""``/api/v1/outlets/{outlet}/…``: tickets, appointments, counters and the queue.

Who may do what:

- take a ticket, check in: the outlet's kiosks, or its signed-in staff;
- book an appointment: the outlet's signed-in staff, or a channel device (online banking);
- counters and tickets: the outlet's signed-in tellers, wealth managers, lobby managers and
  outlet manager, on a staff device of the outlet;
- read the queue: the outlet's devices (board, kiosk) and signed-in staff.

State changes take the database's write lock first (``WriteSessionDep``, declared before
the principal so it is solved first): on SQLite a unit of work that reads and then writes
under contention would otherwise fail rather than wait.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response, status
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.dependencies import PrincipalDep, StaffPrincipalDep
from smartbranch.auth.models import STAFF_DEVICE_KINDS, DeviceKind
from smartbranch.auth.service import DeviceKindNotAllowedError, Principal, SessionExpiredError
from smartbranch.customers.models import Customer, Tier
from smartbranch.customers.service import CustomerNumberNotFoundError, DeviceOutletMismatchError
from smartbranch.customers.tiers import TIER_LABELS
from smartbranch.errors import (
    AppError,
    CSRFError,
    DeviceNotEnrolledError,
    NotAuthenticatedError,
)
from smartbranch.http import LocaleDep, SessionDep, WriteSessionDep, error_responses
from smartbranch.i18n import translate
from smartbranch.orgs.models import Role
from smartbranch.orgs.service import OutletNotFoundError, within
from smartbranch.queueing import errors, service
from smartbranch.queueing.models import Counter, Ticket
from smartbranch.queueing.panel import COUNTER_ROLES
from smartbranch.queueing.policy import describe
from smartbranch.queueing.schemas import (
    AppointmentIn,
    AppointmentOut,
    CalledOut,
    CallNextIn,
    CallNextOut,
    CheckInIn,
    CounterOut,
    CounterStatusOut,
    QueueOut,
    ServiceQueueOut,
    TicketIn,
    TicketIssuedOut,
    TicketOut,
    TransferIn,
    WaitingOut,
)
from smartbranch.queueing.service import OutletRef
from smartbranch.queueing.service.common import layout_of, service_codes

router = APIRouter(prefix="/outlets/{outlet}", tags=["queue"])


IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=64)]

FRONT_ROLES = COUNTER_ROLES | {Role.ACCOUNT_MANAGER}
AUTH_ERRORS: tuple[type[AppError], ...] = (
    DeviceNotEnrolledError,
    NotAuthenticatedError,
    SessionExpiredError,
    CSRFError,
    DeviceKindNotAllowedError,
    DeviceOutletMismatchError,
    errors.NotOutletStaffError,
    errors.QueueRoleNotAllowedError,
    OutletNotFoundError,
)


async def _outlet_for(
    session: AsyncSession,
    principal: Principal,
    outlet_code: str,
    *,
    roles: frozenset[str],
    devices: frozenset[DeviceKind] = frozenset(),
) -> OutletRef:
    """The outlet, if the caller may act there: an unattended device of one of ``devices``
    at the outlet, or a signed-in member of its staff in one of ``roles``."""
    outlet = await service.get_outlet(session, outlet_code)
    device = principal.device
    if not within(outlet.path, device.org_path):
        raise DeviceOutletMismatchError(code=outlet_code)
    staff = principal.staff
    if staff is None:
        if device.kind in STAFF_DEVICE_KINDS:
            raise NotAuthenticatedError()
        if device.kind not in devices:
            raise DeviceKindNotAllowedError()
        return outlet
    if staff.org_unit_id != outlet.id:
        raise errors.NotOutletStaffError(outlet=outlet_code)
    if staff.role not in roles:
        raise errors.QueueRoleNotAllowedError()
    return outlet


def _staff_id(principal: Principal) -> int | None:
    return principal.staff.id if principal.staff else None


async def _ticket_out(
    session: AsyncSession, outlet: OutletRef, ticket: Ticket, locale: str
) -> dict[str, Any]:
    layout = await layout_of(session, outlet)
    service_row = layout.service_by_id.get(ticket.service_id)
    counter = layout.counter_by_id.get(ticket.counter_id) if ticket.counter_id else None
    return {
        "id": ticket.id,
        "number": ticket.number,
        "service": service_row.code if service_row else "",
        "tier": ticket.tier,
        "tier_label": translate(TIER_LABELS[Tier(ticket.tier)], locale),
        "status": ticket.status,
        "business_day": ticket.business_day,
        "issued_at": ticket.issued_at,
        "queued_at": ticket.queued_at,
        "called_at": ticket.called_at,
        "started_at": ticket.started_at,
        "finished_at": ticket.finished_at,
        "counter": counter.code if counter else None,
        "recall_count": ticket.recall_count,
        "identified": ticket.customer_id is not None,
    }


def _issued_out(issued: service.TicketIssued, body: dict[str, Any]) -> TicketIssuedOut:
    return TicketIssuedOut(
        **body,
        people_ahead=issued.people_ahead,
        eta_minutes=round(issued.eta.total_seconds() / 60.0, 1),
    )


ISSUE_ERRORS = (
    *AUTH_ERRORS,
    errors.ServiceNotFoundError,
    errors.IdentificationUnknownError,
    errors.IdentificationExpiredError,
    errors.IdempotencyKeyReusedError,
)


@router.post(
    "/tickets",
    response_model=TicketIssuedOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": TicketIssuedOut, "description": "A retry: the ticket already issued."},
        **error_responses(*ISSUE_ERRORS),
    },
    summary="Take a ticket",
)
async def issue_ticket(
    outlet: str,
    body: TicketIn,
    response: Response,
    session: WriteSessionDep,
    principal: PrincipalDep,
    locale: LocaleDep,
    idempotency_key: IdempotencyKey = None,
) -> TicketIssuedOut:
    """Issue a ticket for a service in the identified customer's priority class (anonymous:
    standard), with the people ahead and an estimated wait. Send an `Idempotency-Key`: a
    retry with the same key answers 200 with the same ticket instead of a second one."""
    place = await _outlet_for(
        session, principal, outlet, roles=FRONT_ROLES, devices=frozenset({DeviceKind.KIOSK})
    )
    issued = await service.issue_ticket(
        session,
        outlet_code=outlet,
        service_code=body.service,
        identification_ref=body.identification,
        idempotency_key=idempotency_key,
        device_id=principal.device.id,
        staff_id=_staff_id(principal),
    )
    if not issued.created:
        response.status_code = status.HTTP_200_OK
    return _issued_out(issued, await _ticket_out(session, place, issued.ticket, locale))


@router.post(
    "/appointments",
    response_model=AppointmentOut,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(
        *AUTH_ERRORS,
        errors.ServiceNotFoundError,
        CustomerNumberNotFoundError,
        errors.AppointmentSlotPastError,
    ),
    summary="Book an appointment",
)
async def create_appointment(
    outlet: str, body: AppointmentIn, session: WriteSessionDep, principal: PrincipalDep
) -> AppointmentOut:
    """Book a customer (by customer number) for a service at a time; at the kiosk they check
    in and are served close to the slot."""
    await _outlet_for(
        session, principal, outlet, roles=FRONT_ROLES, devices=frozenset({DeviceKind.CHANNEL})
    )
    customer_id = await session.scalar(
        select(Customer.id).where(Customer.number == body.customer_number)
    )
    if customer_id is None:
        raise CustomerNumberNotFoundError(number=body.customer_number)
    appointment = await service.create_appointment(
        session,
        outlet_code=outlet,
        service_code=body.service,
        customer_id=customer_id,
        slot_at=body.slot_at,
    )
    return AppointmentOut(
        id=appointment.id, service=body.service, slot_at=appointment.slot_at, status="booked"
    )


@router.post(
    "/appointments/{appointment_id}/check-in",
    response_model=TicketIssuedOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": TicketIssuedOut, "description": "A retry: the ticket already issued."},
        **error_responses(
            *AUTH_ERRORS,
            errors.AppointmentNotFoundError,
            errors.AppointmentClosedError,
            errors.AppointmentNotTodayError,
            errors.AppointmentOtherCustomerError,
            errors.IdentificationUnknownError,
            errors.IdentificationExpiredError,
        ),
    },
    summary="Check in for an appointment",
)
async def check_in(
    outlet: str,
    appointment_id: int,
    response: Response,
    session: WriteSessionDep,
    principal: PrincipalDep,
    locale: LocaleDep,
    body: CheckInIn | None = None,
    idempotency_key: IdempotencyKey = None,
) -> TicketIssuedOut:
    """Issue the appointment's ticket; with an identification, only for the booked customer."""
    place = await _outlet_for(
        session, principal, outlet, roles=FRONT_ROLES, devices=frozenset({DeviceKind.KIOSK})
    )
    issued = await service.check_in_appointment(
        session,
        outlet_code=outlet,
        appointment_id=appointment_id,
        identification_ref=body.identification if body else None,
        idempotency_key=idempotency_key,
        device_id=principal.device.id,
        staff_id=_staff_id(principal),
    )
    if not issued.created:
        response.status_code = status.HTTP_200_OK
    return _issued_out(issued, await _ticket_out(session, place, issued.ticket, locale))


async def _counter_out(session: AsyncSession, counter: Counter) -> CounterOut:
    codes = (await service_codes(session, [counter.id]))[counter.id]
    return CounterOut(
        code=counter.code,
        name=counter.name,
        is_vip=counter.is_vip,
        state=counter.state,
        staff_id=counter.staff_id,
        services=list(codes),
    )


COUNTER_ERRORS = (
    *AUTH_ERRORS,
    errors.CounterNotFoundError,
    errors.CounterClosedError,
    errors.CounterTakenError,
    errors.CounterBusyError,
)
CounterAction = Callable[..., Awaitable[Counter]]


def _counter_endpoint(action: CounterAction, path: str, summary: str) -> None:
    async def endpoint(
        outlet: str, counter: str, session: WriteSessionDep, principal: StaffPrincipalDep
    ) -> CounterOut:
        await _outlet_for(session, principal, outlet, roles=COUNTER_ROLES)
        assert principal.staff is not None
        extra = {"device_id": principal.device.id} if action is service.sign_in_counter else {}
        found = await action(
            session,
            outlet_code=outlet,
            counter_code=counter,
            staff_id=principal.staff.id,
            **extra,
        )
        return await _counter_out(session, found)

    endpoint.__doc__ = action.__doc__
    router.add_api_route(
        f"/counters/{{counter}}/{path}",
        endpoint,
        methods=["POST"],
        response_model=CounterOut,
        responses=error_responses(*COUNTER_ERRORS),
        summary=summary,
        name=f"counter_{path.replace('-', '_')}",
    )


_counter_endpoint(service.sign_in_counter, "sign-in", "Sign in at a counter")
_counter_endpoint(service.pause_counter, "pause", "Pause a counter")
_counter_endpoint(service.resume_counter, "resume", "Resume a counter")
_counter_endpoint(service.close_counter, "close", "Close a counter")


@router.post(
    "/counters/{counter}/call-next",
    response_model=CallNextOut,
    responses=error_responses(
        *COUNTER_ERRORS, errors.CounterPausedError, errors.ServiceNotServedError
    ),
    summary="Call the next ticket",
)
async def call_next(
    outlet: str,
    counter: str,
    session: WriteSessionDep,
    principal: StaffPrincipalDep,
    locale: LocaleDep,
    body: CallNextIn | None = None,
) -> CallNextOut:
    """Call the ticket the outlet's policy picks for this counter — atomically, never a
    ticket another counter called — and say why it was chosen."""
    place = await _outlet_for(session, principal, outlet, roles=COUNTER_ROLES)
    assert principal.staff is not None
    result = await service.call_next(
        session,
        outlet_code=outlet,
        counter_code=counter,
        staff_id=principal.staff.id,
        service_code=body.service if body else None,
    )
    if result.ticket is None or result.choice is None:
        return CallNextOut(ticket=None)
    return CallNextOut(
        ticket=TicketOut(**await _ticket_out(session, place, result.ticket, locale)),
        reason=result.choice.reason,
        explanation=describe(result.choice, locale, place.tz),
        detail=result.choice.explanation,
    )


TICKET_ERRORS = (
    *AUTH_ERRORS,
    errors.TicketNotFoundError,
    errors.TicketNotCalledError,
    errors.TicketNotServingError,
    errors.TicketAtOtherCounterError,
)
TicketAction = Callable[..., Awaitable[Ticket]]


def _ticket_endpoint(
    action: TicketAction, path: str, summary: str, extra_errors: tuple[type[AppError], ...] = ()
) -> None:
    async def endpoint(
        outlet: str,
        ticket_id: int,
        session: WriteSessionDep,
        principal: StaffPrincipalDep,
        locale: LocaleDep,
    ) -> TicketOut:
        place = await _outlet_for(session, principal, outlet, roles=COUNTER_ROLES)
        assert principal.staff is not None
        ticket = await action(
            session, outlet_code=outlet, ticket_id=ticket_id, staff_id=principal.staff.id
        )
        return TicketOut(**await _ticket_out(session, place, ticket, locale))

    endpoint.__doc__ = action.__doc__
    router.add_api_route(
        f"/tickets/{{ticket_id}}/{path}",
        endpoint,
        methods=["POST"],
        response_model=TicketOut,
        responses=error_responses(*TICKET_ERRORS, *extra_errors),
        summary=summary,
        name=f"ticket_{path.replace('-', '_')}",
    )


_ticket_endpoint(service.recall, "recall", "Recall a ticket", (errors.RecallLimitError,))
_ticket_endpoint(service.start_service, "start", "Start serving a ticket")
_ticket_endpoint(service.finish_service, "finish", "Finish serving a ticket")
_ticket_endpoint(service.no_show, "no-show", "Mark a no-show")
_ticket_endpoint(service.skip, "skip", "Skip a ticket (back to the queue)")
_ticket_endpoint(
    service.cancel,
    "cancel",
    "Cancel a ticket",
    (errors.TicketClosedError, errors.TicketBeingServedError),
)


@router.post(
    "/tickets/{ticket_id}/transfer",
    response_model=TicketOut,
    responses=error_responses(
        *TICKET_ERRORS,
        errors.TicketClosedError,
        errors.ServiceNotFoundError,
        errors.CounterNotFoundError,
        errors.ServiceNotServedError,
        errors.StaffNotAtOutletError,
    ),
    summary="Transfer a ticket",
)
async def transfer(
    outlet: str,
    ticket_id: int,
    body: TransferIn,
    session: WriteSessionDep,
    principal: StaffPrincipalDep,
    locale: LocaleDep,
) -> TicketOut:
    """Send the customer on to another service, counter or named member of staff; the
    ticket keeps its number, tier and place in the queue."""
    place = await _outlet_for(session, principal, outlet, roles=COUNTER_ROLES)
    assert principal.staff is not None
    ticket = await service.transfer(
        session,
        outlet_code=outlet,
        ticket_id=ticket_id,
        staff_id=principal.staff.id,
        to_service_code=body.service,
        to_counter_code=body.counter,
        to_staff_id=body.staff_id,
    )
    return TicketOut(**await _ticket_out(session, place, ticket, locale))


@router.get(
    "/queue",
    response_model=QueueOut,
    responses=error_responses(*AUTH_ERRORS),
    summary="The outlet's queue now",
)
async def get_queue(outlet: str, session: SessionDep, principal: PrincipalDep) -> QueueOut:
    """Waiting tickets per service, the counters and the tickets called to them."""
    await _outlet_for(
        session,
        principal,
        outlet,
        roles=FRONT_ROLES,
        devices=frozenset({DeviceKind.BOARD, DeviceKind.KIOSK}),
    )
    snapshot = await service.queue_snapshot(session, outlet_code=outlet)
    called = {
        t.id: CalledOut(
            id=t.id,
            number=t.number,
            service=t.service_code,
            tier=Tier(t.tier),
            status=t.status,
            counter=t.counter_code,
            called_at=t.called_at,
            recall_count=t.recall_count,
        )
        for t in snapshot.called
    }
    return QueueOut(
        outlet=snapshot.outlet_code,
        at=snapshot.at,
        services=[
            ServiceQueueOut(
                code=q.code,
                prefix=q.prefix,
                name=q.name,
                name_en=q.name_en,
                waiting_count=q.waiting_count,
                waiting=[
                    WaitingOut(
                        id=w.id,
                        number=w.number,
                        tier=Tier(w.tier),
                        queued_at=w.queued_at,
                        target_counter=w.target_counter_code,
                    )
                    for w in q.waiting
                ],
            )
            for q in snapshot.services
        ],
        counters=[
            CounterStatusOut(
                code=c.code,
                name=c.name,
                is_vip=c.is_vip,
                state=c.state,
                staff_id=c.staff_id,
                services=list(c.service_codes),
                ticket=called[c.ticket.id] if c.ticket else None,
            )
            for c in snapshot.counters
        ],
        called=list(called.values()),
    )
