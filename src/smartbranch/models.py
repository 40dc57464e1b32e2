"""Every table, imported in one place for Alembic and test schema creation."""

from smartbranch.auth.models import AuditEntry, Device, Identification, StaffSession
from smartbranch.catalog.models import Product
from smartbranch.customers.models import Credential, Customer, CustomerProfile, Holding
from smartbranch.db import Base
from smartbranch.orgs.models import OrgUnit, Staff

__all__ = [
    "AuditEntry",
    "Base",
    "Credential",
    "Customer",
    "CustomerProfile",
    "Device",
    "Holding",
    "Identification",
    "OrgUnit",
    "Product",
    "Staff",
    "StaffSession",
]
