"""The queue's actions. Each takes the session first, never commits, and takes ``now`` so a
simulator can drive it on a simulated clock."""

from smartbranch.queueing.service.common import OutletRef, get_outlet, load_policy
from smartbranch.queueing.service.counters import (
    CallResult,
    call_next,
    close_counter,
    pause_counter,
    release_expired_leases,
    resume_counter,
    sign_in_counter,
)
from smartbranch.queueing.service.life import (
    cancel,
    finish_service,
    no_show,
    recall,
    skip,
    start_service,
    transfer,
)
from smartbranch.queueing.service.setup import (
    DEFAULT_SERVICES,
    CounterSpec,
    OutletSetup,
    ServiceSpec,
    default_counters,
    set_policy,
    setup_outlet,
)
from smartbranch.queueing.service.tickets import (
    TicketIssued,
    check_in_appointment,
    create_appointment,
    issue_ticket,
)
from smartbranch.queueing.service.views import (
    CalledTicket,
    CounterStatus,
    QueueSnapshot,
    ServiceQueue,
    WaitingTicket,
    events_since,
    queue_snapshot,
)

__all__ = [
    "DEFAULT_SERVICES",
    "CallResult",
    "CalledTicket",
    "CounterSpec",
    "CounterStatus",
    "OutletRef",
    "OutletSetup",
    "QueueSnapshot",
    "ServiceQueue",
    "ServiceSpec",
    "TicketIssued",
    "WaitingTicket",
    "call_next",
    "cancel",
    "check_in_appointment",
    "close_counter",
    "create_appointment",
    "default_counters",
    "events_since",
    "finish_service",
    "get_outlet",
    "issue_ticket",
    "load_policy",
    "no_show",
    "pause_counter",
    "queue_snapshot",
    "recall",
    "release_expired_leases",
    "resume_counter",
    "set_policy",
    "setup_outlet",
    "sign_in_counter",
    "skip",
    "start_service",
    "transfer",
]
