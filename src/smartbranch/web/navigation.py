"""Where a device belongs: its home page."""

from __future__ import annotations

from urllib.parse import quote

from smartbranch.auth.models import STAFF_DEVICE_KINDS, DeviceKind
from smartbranch.auth.service import DeviceInfo

ACTIVATE_URL = "/device/activate"
LOGIN_URL = "/login"
WORKBENCH_URL = "/workbench"


def org_code_of(path: str) -> str:
    """The code of the org unit at a materialised path (``/HO/BJ/BJ001/`` → ``BJ001``);
    paths are built from codes (:func:`smartbranch.orgs.service.child_path`)."""
    return path.rstrip("/").rsplit("/", 1)[-1]


def kiosk_url(outlet_code: str) -> str:
    """The kiosk page of an outlet."""
    return f"/kiosk/{quote(outlet_code, safe='')}"


def board_url(outlet_code: str) -> str:
    """The display board of an outlet."""
    return f"/board/{quote(outlet_code, safe='')}"


def device_home(device: DeviceInfo) -> str:
    """The page a device opens on: a kiosk its outlet's kiosk screen, a display board its
    outlet's board, a staff device the sign-in page."""
    if device.kind == DeviceKind.KIOSK:
        return kiosk_url(org_code_of(device.org_path))
    if device.kind == DeviceKind.BOARD:
        return board_url(org_code_of(device.org_path))
    if device.kind in STAFF_DEVICE_KINDS:
        return LOGIN_URL
    return ACTIVATE_URL
