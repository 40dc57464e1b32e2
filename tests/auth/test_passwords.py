"""Staff passwords: argon2id with the library's default (RFC 9106 low-memory) parameters."""

from __future__ import annotations

from argon2 import PasswordHasher

from smartbranch.auth.passwords import hash_password, verify_password


class TestPasswords:
    def test_hashed_with_argon2id_and_the_default_cost(self) -> None:
        stored = hash_password("correct horse battery")
        defaults = PasswordHasher()
        assert stored.startswith("$argon2id$")
        assert f"m={defaults.memory_cost},t={defaults.time_cost},p={defaults.parallelism}" in stored
        assert not defaults.check_needs_rehash(stored)

    def test_verify(self) -> None:
        stored = hash_password("correct horse battery")
        assert verify_password(stored, "correct horse battery")
        assert not verify_password(stored, "correct horse")
        assert not verify_password(None, "correct horse battery")  # unknown account
        assert not verify_password("not a hash", "correct horse battery")
