"""What each role may see of a customer's record (data minimisation by role).

One table, so that a reviewer can read the whole policy at a glance. Roles not listed (admin,
auditor, marketing admin) work on configuration, audit trails and aggregates, never on an
individual customer's record.
"""

from __future__ import annotations

from dataclasses import dataclass

from smartbranch.orgs.models import Role


@dataclass(frozen=True, slots=True)
class Disclosure:
    full_name: bool
    """Otherwise the surname only (``王**``)."""
    phone: bool
    """Otherwise masked (``138****1234``); the customer's own account manager always sees it."""
    card_bin: bool
    """Cards with BIN + last 4, otherwise last 4 only."""
    assets: bool
    """Holdings and assets under management."""
    birth_date: bool
    """Otherwise the age only."""


RECORD_DISCLOSURE: dict[str, Disclosure] = {
    Role.LOBBY_MANAGER: Disclosure(
        full_name=True, phone=False, card_bin=False, assets=True, birth_date=False
    ),
    Role.WEALTH_MANAGER: Disclosure(
        full_name=True, phone=False, card_bin=False, assets=True, birth_date=False
    ),
    Role.ACCOUNT_MANAGER: Disclosure(
        full_name=True, phone=False, card_bin=True, assets=True, birth_date=True
    ),
    Role.OUTLET_MANAGER: Disclosure(
        full_name=True, phone=False, card_bin=False, assets=True, birth_date=False
    ),
    Role.TELLER: Disclosure(
        full_name=True, phone=False, card_bin=True, assets=False, birth_date=False
    ),
}
