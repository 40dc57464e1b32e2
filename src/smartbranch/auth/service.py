"""Device enrolment and authentication, staff sign-in and sessions, the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from smartbranch.auth.models import (
    STAFF_DEVICE_KINDS,
    AuditEntry,
    Device,
    DeviceKind,
    StaffSession,
)
from smartbranch.auth.passwords import verify_password
from smartbranch.auth.tokens import (
    DEVICE_TOKEN_PREFIX,
    SESSION_TOKEN_PREFIX,
    new_token,
    token_hash,
)
from smartbranch.db import utcnow
from smartbranch.errors import (
    AppError,
    BadRequestError,
    DeviceNotEnrolledError,
    ForbiddenError,
    NotAuthenticatedError,
)
from smartbranch.i18n import N_
from smartbranch.orgs.models import OrgUnit, Staff
from smartbranch.orgs.service import get_org_by_code, within


class LoginFailedError(AppError):
    code = "login_failed"
    status_code = 401
    message = N_("Wrong username or password.")


class SessionExpiredError(NotAuthenticatedError):
    code = "session_expired"
    message = N_("Your session has ended. Please sign in again.")


class DeviceKindNotAllowedError(ForbiddenError):
    code = "device_kind_not_allowed"
    message = N_("This kind of device cannot do this.")


class DeviceOutOfScopeError(ForbiddenError):
    code = "device_out_of_scope"
    message = N_("This device does not belong to your organisation unit.")


class UnknownDeviceKindError(BadRequestError):
    code = "device_kind_unknown"
    message = N_("Unknown device kind {kind}.")


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """The authenticated device of a request."""

    id: int
    kind: DeviceKind
    org_unit_id: int
    org_path: str
    token_hash: str


@dataclass(frozen=True, slots=True)
class StaffInfo:
    """The signed-in member of staff of a request."""

    id: int
    username: str
    display_name: str
    role: str
    org_unit_id: int
    org_path: str
    session_id: int
    session_token_hash: str


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: always a device, and a member of staff when one is signed in."""

    device: DeviceInfo
    staff: StaffInfo | None = None

    @property
    def role(self) -> str:
        """The staff role, or the device kind for an unattended device."""
        return self.staff.role if self.staff else self.device.kind.value

    @property
    def scope_path(self) -> str | None:
        """The org subtree whose customers this principal may see (None: none)."""
        return self.staff.org_path if self.staff else None


async def enroll_device(
    session: AsyncSession, *, kind: str, org_code: str, name: str = ""
) -> tuple[Device, str]:
    """Enroll a device at an org unit; returns it and its token, which is shown only now."""
    try:
        device_kind = DeviceKind(kind)
    except ValueError:
        raise UnknownDeviceKindError(kind=kind) from None
    org = await get_org_by_code(session, org_code)
    token = new_token(DEVICE_TOKEN_PREFIX)
    device = Device(
        kind=device_kind.value,
        name=name or f"{org.code} {device_kind.value}",
        org_unit_id=org.id,
        token_hash=token_hash(token),
        token_hint=token[:10],
    )
    session.add(device)
    await session.flush()
    return device, token


async def deactivate_device(session: AsyncSession, device_id: int) -> None:
    """Stop a device from calling the API (its sessions end with it)."""
    device = await session.get(Device, device_id)
    if device is not None:
        device.active = False
        await session.flush()


_DEVICE_BY_TOKEN = (
    select(Device.id, Device.kind, Device.org_unit_id, OrgUnit.path, Device.token_hash)
    .join(OrgUnit, OrgUnit.id == Device.org_unit_id)
    .where(Device.token_hash == bindparam("token_hash"), Device.active.is_(True))
)


async def authenticate_device(session: AsyncSession, token: str | None) -> DeviceInfo:
    """The active enrolled device holding ``token``, or :class:`DeviceNotEnrolledError`."""
    if not token:
        raise DeviceNotEnrolledError()
    connection = await session.connection()
    row = (
        await connection.execute(_DEVICE_BY_TOKEN, {"token_hash": token_hash(token)})
    ).one_or_none()
    if row is None:
        raise DeviceNotEnrolledError()
    return DeviceInfo(
        id=row[0], kind=DeviceKind(row[1]), org_unit_id=row[2], org_path=row[3], token_hash=row[4]
    )


async def login(
    session: AsyncSession,
    device: DeviceInfo,
    *,
    username: str,
    password: str,
    ttl: timedelta,
) -> tuple[StaffInfo, str]:
    """Sign a member of staff in on a staff device; returns who and the session token.

    Built so that further factors (TOTP, single sign-on) slot in before the session is
    created: the session records which factors it proved.
    """
    if device.kind not in STAFF_DEVICE_KINDS:
        raise DeviceKindNotAllowedError()
    row = (
        await session.execute(
            select(Staff, OrgUnit.path)
            .join(OrgUnit, OrgUnit.id == Staff.org_unit_id)
            .where(Staff.username == username.strip().lower())
        )
    ).one_or_none()
    staff, org_path = (row[0], row[1]) if row is not None else (None, "")
    if not verify_password(staff.password_hash if staff else None, password):
        raise LoginFailedError()
    assert staff is not None
    if not staff.active:
        raise LoginFailedError()
    if not within(device.org_path, org_path):
        raise DeviceOutOfScopeError()
    token = new_token(SESSION_TOKEN_PREFIX)
    now = utcnow()
    record = StaffSession(
        token_hash=token_hash(token),
        staff_id=staff.id,
        device_id=device.id,
        created_at=now,
        expires_at=now + ttl,
        factors="password",
    )
    session.add(record)
    await session.flush()
    return _staff_info(staff, org_path, record), token


_STAFF_ORG = aliased(OrgUnit, name="staff_org")

# The session's columns, then its staff member's and their org unit's (NULL when the token
# hash is unknown: the outer joins below keep the device's row).
_SESSION_COLUMNS = (
    StaffSession.id,
    StaffSession.token_hash,
    StaffSession.device_id,
    StaffSession.expires_at,
    StaffSession.revoked_at,
    Staff.id,
    Staff.username,
    Staff.display_name,
    Staff.role,
    Staff.org_unit_id,
    Staff.active,
    _STAFF_ORG.path,
)

_SESSION_BY_TOKEN = (
    select(*_SESSION_COLUMNS)
    .select_from(StaffSession)
    .join(Staff, Staff.id == StaffSession.staff_id)
    .join(_STAFF_ORG, _STAFF_ORG.id == Staff.org_unit_id)
    .where(StaffSession.token_hash == bindparam("token_hash"))
)

# Device and session in one round trip (every signed-in request runs it): the device's row
# comes back whenever the device is enrolled and active, the session's columns are NULL when
# the session token is unknown.
_DEVICE_AND_SESSION = (
    select(
        Device.id,
        Device.kind,
        Device.org_unit_id,
        OrgUnit.path,
        Device.token_hash,
        *_SESSION_COLUMNS,
    )
    .select_from(Device)
    .join(OrgUnit, OrgUnit.id == Device.org_unit_id)
    .outerjoin(StaffSession, StaffSession.token_hash == bindparam("session_hash"))
    .outerjoin(Staff, Staff.id == StaffSession.staff_id)
    .outerjoin(_STAFF_ORG, _STAFF_ORG.id == Staff.org_unit_id)
    .where(Device.token_hash == bindparam("device_hash"), Device.active.is_(True))
)


def _signed_in(device: DeviceInfo, row: Sequence[Any]) -> StaffInfo:
    """The staff member of a session row (:data:`_SESSION_COLUMNS`), once the session is
    live, on this device, for an active member of staff; else :class:`SessionExpiredError`
    (the same error whatever the reason, so a caller learns nothing about a token)."""
    (session_id, session_hash, device_id, expires_at, revoked_at, staff_id, username,
     display_name, role, org_unit_id, active, org_path) = row  # fmt: skip
    if (
        session_id is None
        or revoked_at is not None
        or expires_at <= utcnow()
        or device_id != device.id
        or not active
    ):
        raise SessionExpiredError()
    return StaffInfo(
        id=staff_id,
        username=username,
        display_name=display_name,
        role=role,
        org_unit_id=org_unit_id,
        org_path=org_path,
        session_id=session_id,
        session_token_hash=session_hash,
    )


async def authenticate_session(
    session: AsyncSession, device: DeviceInfo, token: str | None
) -> StaffInfo | None:
    """The staff member signed in with ``token`` on this device, None without a token."""
    if not token:
        return None
    connection = await session.connection()
    row = (
        await connection.execute(_SESSION_BY_TOKEN, {"token_hash": token_hash(token)})
    ).one_or_none()
    if row is None:
        raise SessionExpiredError()
    return _signed_in(device, row)


async def authenticate(
    session: AsyncSession, device_token: str | None, session_token: str | None
) -> tuple[DeviceInfo, StaffInfo | None]:
    """The device (:func:`authenticate_device`) and, when a session token is presented, the
    staff member signed in on it (:func:`authenticate_session`), in one round trip; the
    same errors, the device's first."""
    if not session_token:
        return await authenticate_device(session, device_token), None
    if not device_token:
        raise DeviceNotEnrolledError()
    connection = await session.connection()
    row = (
        await connection.execute(
            _DEVICE_AND_SESSION,
            {"device_hash": token_hash(device_token), "session_hash": token_hash(session_token)},
        )
    ).one_or_none()
    if row is None:
        raise DeviceNotEnrolledError()
    device = DeviceInfo(
        id=row[0], kind=DeviceKind(row[1]), org_unit_id=row[2], org_path=row[3], token_hash=row[4]
    )
    return device, _signed_in(device, row[5:])


def _staff_info(staff: Staff, org_path: str, record: StaffSession) -> StaffInfo:
    return StaffInfo(
        id=staff.id,
        username=staff.username,
        display_name=staff.display_name,
        role=staff.role,
        org_unit_id=staff.org_unit_id,
        org_path=org_path,
        session_id=record.id,
        session_token_hash=record.token_hash,
    )


async def logout(session: AsyncSession, staff: StaffInfo) -> None:
    """End a staff session."""
    record = await session.get(StaffSession, staff.session_id)
    if record is not None and record.revoked_at is None:
        record.revoked_at = utcnow()
        await session.flush()


# A Core insert on the table, built once: the ORM's DML path costs more than the write.
_INSERT_AUDIT = insert(cast(Table, AuditEntry.__table__))


async def record_audit(
    session: AsyncSession,
    principal: Principal,
    *,
    action: str,
    customer_id: int | None,
    purpose: str = "",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
    connection: AsyncConnection | None = None,
) -> None:
    """Write an audit row for a read of a customer's record, in the caller's unit of work
    (so the read and its audit row commit, or roll back, together). ``connection``: the
    session's connection, when the caller holds it already (saves asking the session)."""
    if connection is None:
        connection = await session.connection()
    await connection.execute(
        _INSERT_AUDIT,
        {
            "at": at or utcnow(),
            "staff_id": principal.staff.id if principal.staff else None,
            "role": principal.role,
            "device_id": principal.device.id,
            "action": action,
            "customer_id": customer_id,
            "purpose": purpose,
            "detail": detail or {},
        },
    )
