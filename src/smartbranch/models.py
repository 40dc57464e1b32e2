"""Every table, imported in one place for Alembic and test schema creation."""

from smartbranch.analysis.models import AnalysisRun
from smartbranch.auth.models import AuditEntry, Device, Identification, StaffSession
from smartbranch.catalog.models import KnowledgeArticle, Product
from smartbranch.customers.models import Credential, Customer, CustomerProfile, Holding
from smartbranch.db import Base
from smartbranch.marketing.models import Campaign, Lead, LeadRule, Outcome
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
from smartbranch.service.models import (
    ArrivalRoute,
    Handoff,
    Need,
    StaffEvent,
    StaffEventRecipient,
    Visit,
)

__all__ = [
    "AnalysisRun",
    "Appointment",
    "ArrivalRoute",
    "AuditEntry",
    "Base",
    "Campaign",
    "Counter",
    "CounterService",
    "Credential",
    "Customer",
    "CustomerProfile",
    "Device",
    "HandlingStat",
    "Handoff",
    "Holding",
    "Identification",
    "KnowledgeArticle",
    "Lead",
    "LeadRule",
    "Need",
    "OrgUnit",
    "Outcome",
    "Product",
    "QueuePolicy",
    "Service",
    "Staff",
    "StaffEvent",
    "StaffEventRecipient",
    "StaffSession",
    "Ticket",
    "TicketEvent",
    "TicketSequence",
    "Visit",
]
