"""Every table, imported in one place for Alembic and test schema creation."""

from smartbranch.auth.models import AuditEntry, Device, Identification, StaffSession
from smartbranch.catalog.models import Product
from smartbranch.customers.models import Credential, Customer, CustomerProfile, Holding
from smartbranch.db import Base
from smartbranch.orgs.models import OrgUnit, Staff
from smartbranch.queueing.models import (
    Appointment,
    Counter,
    CounterService,
    HandlingStat,
    QueuePolicy,
    Service,
    Ticket,
    TicketEvent,
    TicketSequence,
)

__all__ = [
    "Appointment",
    "AuditEntry",
    "Base",
    "Counter",
    "CounterService",
    "Credential",
    "Customer",
    "CustomerProfile",
    "Device",
    "HandlingStat",
    "Holding",
    "Identification",
    "OrgUnit",
    "Product",
    "QueuePolicy",
    "Service",
    "Staff",
    "StaffSession",
    "Ticket",
    "TicketEvent",
    "TicketSequence",
]
