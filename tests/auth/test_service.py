"""Authentication of a request: the device, and the staff session presented with it, read in
one round trip; every failure keeps its own error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncSession

from smartbranch.auth.models import Device, StaffSession
from smartbranch.auth.service import (
    SessionExpiredError,
    authenticate,
    authenticate_device,
    login,
)
from smartbranch.auth.tokens import token_hash
from smartbranch.db import utcnow
from smartbranch.errors import DeviceNotEnrolledError
from smartbranch.orgs.models import Staff
from tests.fixtures.bank import PASSWORD, Bank


async def _signed_in(session: AsyncSession, bank: Bank, device: str = "tablet_bj001") -> str:
    """A session token of the lobby manager on ``device``."""
    info = await authenticate_device(session, bank.tokens[device])
    _staff, token = await login(
        session, info, username="bj001.lobby1", password=PASSWORD, ttl=timedelta(hours=8)
    )
    return token


@contextmanager
def counted(session: AsyncSession) -> Iterator[list[str]]:
    """The SQL statements the session runs inside the block."""
    statements: list[str] = []
    connection = session.bind.sync_connection  # type: ignore[union-attr]

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


class TestAuthenticate:
    async def test_device_and_session_in_one_statement(
        self, session: AsyncSession, bank: Bank
    ) -> None:
        token = await _signed_in(session, bank)
        await session.flush()
        with counted(session) as statements:
            device, staff = await authenticate(session, bank.tokens["tablet_bj001"], token)
        assert len(statements) == 1
        assert device.kind == "tablet"
        assert device.org_path == bank.orgs["BJ001"].path
        assert staff is not None
        assert (staff.username, staff.role) == ("bj001.lobby1", "lobby_manager")
        assert staff.org_path == bank.orgs["BJ001"].path
        assert staff.session_token_hash == token_hash(token)

    async def test_a_device_alone_has_no_staff(self, session: AsyncSession, bank: Bank) -> None:
        device, staff = await authenticate(session, bank.tokens["kiosk_bj001"], None)
        assert (device.kind, staff) == ("kiosk", None)

    @pytest.mark.parametrize("device_token", [None, "", "sbd_unknown"])
    async def test_an_unknown_device_is_not_enrolled(
        self, session: AsyncSession, bank: Bank, device_token: str | None
    ) -> None:
        token = await _signed_in(session, bank)
        with pytest.raises(DeviceNotEnrolledError):
            await authenticate(session, device_token, token)
        with pytest.raises(DeviceNotEnrolledError):
            await authenticate(session, device_token, None)

    async def test_an_inactive_device_is_not_enrolled_even_with_a_live_session(
        self, session: AsyncSession, bank: Bank
    ) -> None:
        token = await _signed_in(session, bank)
        await session.execute(
            update(Device)
            .where(Device.token_hash == token_hash(bank.tokens["tablet_bj001"]))
            .values(active=False)
        )
        with pytest.raises(DeviceNotEnrolledError):
            await authenticate(session, bank.tokens["tablet_bj001"], token)

    async def test_an_unknown_session_has_expired(self, session: AsyncSession, bank: Bank) -> None:
        with pytest.raises(SessionExpiredError):
            await authenticate(session, bank.tokens["tablet_bj001"], "sbs_unknown")

    @pytest.mark.parametrize("change", ["revoked", "expired"])
    async def test_a_revoked_or_expired_session_has_expired(
        self, session: AsyncSession, bank: Bank, change: str
    ) -> None:
        token = await _signed_in(session, bank)
        values = (
            {"revoked_at": utcnow()}
            if change == "revoked"
            else {"expires_at": utcnow() - timedelta(seconds=1)}
        )
        await session.execute(
            update(StaffSession).where(StaffSession.token_hash == token_hash(token)).values(values)
        )
        with pytest.raises(SessionExpiredError):
            await authenticate(session, bank.tokens["tablet_bj001"], token)

    async def test_a_session_of_another_device_has_expired(
        self, session: AsyncSession, bank: Bank
    ) -> None:
        token = await _signed_in(session, bank)
        with pytest.raises(SessionExpiredError):
            await authenticate(session, bank.tokens["counter_bj001"], token)

    async def test_an_inactive_member_of_staff_has_expired(
        self, session: AsyncSession, bank: Bank
    ) -> None:
        token = await _signed_in(session, bank)
        await session.execute(
            update(Staff).where(Staff.username == "bj001.lobby1").values(active=False)
        )
        with pytest.raises(SessionExpiredError):
            await authenticate(session, bank.tokens["tablet_bj001"], token)


class TestGetPrincipal:
    URL = "/api/v1/customers/C0000000001/brief?channel=tablet"

    async def test_an_unknown_device_is_401_device_not_enrolled(
        self, session: AsyncSession, bank: Bank, client: httpx.AsyncClient
    ) -> None:
        token = await _signed_in(session, bank)
        response = await client.get(
            self.URL, headers={"X-Device-Token": "sbd_unknown", "Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "device_not_enrolled"

    async def test_a_session_of_another_device_is_401_session_expired(
        self, session: AsyncSession, bank: Bank, client: httpx.AsyncClient
    ) -> None:
        token = await _signed_in(session, bank)
        response = await client.get(
            self.URL,
            headers={
                "X-Device-Token": bank.tokens["counter_bj001"],
                "Authorization": f"Bearer {token}",
            },
        )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "session_expired"
