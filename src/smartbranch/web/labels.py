"""User-facing names of roles and device kinds (msgids; translated where shown)."""

from __future__ import annotations

from smartbranch.auth.models import DeviceKind
from smartbranch.i18n import N_, translate
from smartbranch.orgs.models import Role

#: The glossary's role names: 大堂经理, 理财经理, 客户经理, 柜员, 网点主任, 营销管理人员,
#: 系统管理员, 审计员.
ROLE_LABELS = {
    Role.LOBBY_MANAGER: N_("Lobby manager"),
    Role.WEALTH_MANAGER: N_("Wealth manager"),
    Role.ACCOUNT_MANAGER: N_("Account manager"),
    Role.TELLER: N_("Teller"),
    Role.OUTLET_MANAGER: N_("Outlet manager"),
    Role.MARKETING_ADMIN: N_("Marketing admin"),
    Role.ADMIN: N_("System administrator"),
    Role.AUDITOR: N_("Auditor"),
}

DEVICE_KIND_LABELS = {
    DeviceKind.KIOSK: N_("Queue kiosk"),
    DeviceKind.TABLET: N_("Tablet workbench"),
    DeviceKind.COUNTER: N_("Teller counter"),
    DeviceKind.BOARD: N_("Display board"),
    DeviceKind.CHANNEL: N_("Channel terminal"),
}


def role_label(role: str, locale: str) -> str:
    """The name of ``role`` in ``locale`` (the identifier itself if unknown)."""
    try:
        return translate(ROLE_LABELS[Role(role)], locale)
    except ValueError:
        return role


def device_kind_label(kind: DeviceKind, locale: str) -> str:
    """The name of a device kind in ``locale``."""
    return translate(DEVICE_KIND_LABELS[kind], locale)


def org_name(name: str, name_en: str, locale: str) -> str:
    """An org unit's name in ``locale`` (its Chinese name when it has no English one)."""
    return (name_en or name) if locale == "en" else name
