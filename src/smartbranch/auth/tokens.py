"""Random bearer tokens stored only as their SHA-256 (they carry 256 bits of entropy, so a
fast hash is enough; passwords, which do not, use argon2id)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

DEVICE_TOKEN_PREFIX = "sbd_"  # noqa: S105 - a prefix, not a secret
SESSION_TOKEN_PREFIX = "sbs_"  # noqa: S105 - a prefix, not a secret
REFERENCE_PREFIX = "idr_"


def new_token(prefix: str) -> str:
    """A fresh URL-safe token with a readable prefix (``sbd_…`` for devices)."""
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(secret: bytes, bound_to: str) -> str:
    """A CSRF token bound to a session or device token hash (stateless double-submit)."""
    return hmac.new(secret, b"csrf:" + bound_to.encode(), hashlib.sha256).hexdigest()[:40]


def csrf_valid(secret: bytes, bound_to: str, presented: str | None) -> bool:
    """Whether ``presented`` is the CSRF token of ``bound_to``."""
    return presented is not None and hmac.compare_digest(csrf_token(secret, bound_to), presented)
