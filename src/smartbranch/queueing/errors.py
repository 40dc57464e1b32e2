"""What can go wrong in the queue, as errors a teller or a kiosk can act on."""

from __future__ import annotations

from smartbranch.errors import BadRequestError, ConflictError, ForbiddenError, NotFoundError
from smartbranch.i18n import N_


class ServiceNotFoundError(NotFoundError):
    code = "queue_service_not_found"
    message = N_("Outlet {outlet} offers no service {service}.")


class CounterNotFoundError(NotFoundError):
    code = "counter_not_found"
    message = N_("Outlet {outlet} has no counter {counter}.")


class TicketNotFoundError(NotFoundError):
    code = "ticket_not_found"
    message = N_("Outlet {outlet} has no ticket {ticket}.")


class AppointmentNotFoundError(NotFoundError):
    code = "appointment_not_found"
    message = N_("Outlet {outlet} has no appointment {appointment}.")


class StaffNotAtOutletError(NotFoundError):
    code = "staff_not_at_outlet"
    message = N_("No member of staff {staff} works at outlet {outlet}.")


class IdentificationUnknownError(NotFoundError):
    code = "identification_unknown"
    message = N_("This identification is unknown or was made at another outlet.")


class IdentificationExpiredError(ConflictError):
    code = "identification_expired"
    message = N_("This identification has expired. Please present the card again.")


class IdempotencyKeyReusedError(ConflictError):
    code = "idempotency_key_reused"
    message = N_("This Idempotency-Key was already used for a different request.")


class CounterClosedError(ConflictError):
    code = "counter_closed"
    message = N_("Counter {counter} is closed. Sign in to open it first.")


class CounterPausedError(ConflictError):
    code = "counter_paused"
    message = N_("Counter {counter} is paused. Resume it first.")


class CounterTakenError(ConflictError):
    code = "counter_taken"
    message = N_("Counter {counter} is signed in by another member of staff.")


class CounterBusyError(ConflictError):
    code = "counter_busy"
    message = N_("Counter {counter} still has ticket {number}. Finish it or mark a no-show first.")


class ServiceNotServedError(ConflictError):
    code = "service_not_served"
    message = N_("Counter {counter} does not serve {service}.")


class TicketNotCalledError(ConflictError):
    code = "ticket_not_called"
    message = N_("Ticket {number} is not called to a counter now.")


class TicketNotServingError(ConflictError):
    code = "ticket_not_serving"
    message = N_("Ticket {number} is not being served.")


class TicketClosedError(ConflictError):
    code = "ticket_closed"
    message = N_("Ticket {number} is already finished, cancelled or a no-show.")


class TicketBeingServedError(ConflictError):
    code = "ticket_being_served"
    message = N_("Ticket {number} is being served: finish it instead.")


class TicketAtOtherCounterError(ConflictError):
    code = "ticket_at_other_counter"
    message = N_("Ticket {number} was called by another counter.")


class RecallLimitError(ConflictError):
    code = "recall_limit"
    message = N_("Ticket {number} has been recalled {limit} times: mark it as a no-show.")


class TransferTargetMissingError(BadRequestError):
    code = "transfer_target_missing"
    message = N_("Say where the ticket goes: a service, a counter or a member of staff.")


class AppointmentClosedError(ConflictError):
    code = "appointment_closed"
    message = N_("Appointment {appointment} is already checked in or cancelled.")


class AppointmentNotTodayError(ConflictError):
    code = "appointment_not_today"
    message = N_("Appointment {appointment} is for another day.")


class AppointmentOtherCustomerError(ConflictError):
    code = "appointment_other_customer"
    message = N_("This appointment was booked for another customer.")


class AppointmentSlotPastError(ConflictError):
    code = "appointment_slot_past"
    message = N_("The appointment time has already passed.")


class QueueRoleNotAllowedError(ForbiddenError):
    code = "queue_role_not_allowed"
    message = N_("Your role cannot do this in the queue.")


class NotOutletStaffError(ForbiddenError):
    code = "not_outlet_staff"
    message = N_("You do not work at outlet {outlet}.")
