"""What each role may see of a customer's record (data minimisation by role).

One table, so that a reviewer can read the whole policy at a glance. Roles not listed (admin,
auditor, marketing admin) work on configuration, audit trails and aggregates, never on an
individual customer's record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from smartbranch.credentials import CredentialKind, mask_card_last4, mask_name, mask_phone
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


# Shared by every reader of a customer (the record, the customer brief) so that a name, a
# phone or a card is masked the same way wherever it is shown.


def shown_name(name: str, disclosure: Disclosure) -> str:
    """The customer's name as the role may see it."""
    return name if disclosure.full_name else mask_name(name)


def shown_phone(phone: str, disclosure: Disclosure, *, own_manager: bool) -> str:
    """The phone number as the role may see it (in full for the customer's own manager)."""
    return phone if disclosure.phone or own_manager else mask_phone(phone)


def shown_credential(kind: str, masked: str, disclosure: Disclosure) -> str:
    """A credential's stored masked form, cut to the last 4 for roles without the BIN."""
    return (
        masked if disclosure.card_bin or kind == CredentialKind.ID_CARD else mask_card_last4(masked)
    )


def age_on(born: date, today: date) -> int:
    """Whole years of age on ``today``."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
