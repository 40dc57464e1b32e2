"""Configuration from the environment (``SMARTBRANCH_*``), one object per process."""

from __future__ import annotations

import secrets
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything that differs between a laptop demo and a bank's production site."""

    model_config = SettingsConfigDict(
        env_prefix="SMARTBRANCH_", env_file=".env", extra="ignore", frozen=True
    )

    env: Literal["development", "test", "production"] = "development"
    var_dir: Path = Path("var")
    database_url: str = ""
    """SQLAlchemy URL; empty means a SQLite file under ``var_dir``."""
    lake_path: Path | None = None
    """The Parquet lake (warehouse facts); defaults to ``var_dir/lake``."""
    simulation_path: Path | None = None
    """Simulator-only data (hidden behaviour model, demo test cards); never read by the analysis."""

    credential_key: SecretStr | None = None
    """HMAC key for credential lookup hashes (hex); prefer ``credential_key_file``."""
    credential_key_file: Path | None = None
    secret_key: SecretStr | None = None
    """Signs CSRF tokens; a per-install random key under ``var_dir`` when unset."""

    redis_url: str | None = None
    """Redis for the event bus (pub/sub); empty means in-process events (one process)."""
    redis_channel: str = "smartbranch:events"
    """The pub/sub channel: installs sharing one Redis must each use their own."""
    log_json: bool | None = None
    log_level: str = "INFO"
    default_locale: Literal["zh_CN", "en"] = "zh_CN"

    identification_ttl_seconds: int = Field(default=600, ge=10, le=3600)
    session_ttl_minutes: int = Field(default=480, ge=5, le=24 * 60)
    cookie_secure: bool = True
    db_pool_size: int = Field(default=10, ge=1, le=200)

    tier_thresholds_cny: tuple[Decimal, Decimal, Decimal, Decimal] = (
        Decimal(50_000),
        Decimal(500_000),
        Decimal(2_000_000),
        Decimal(6_000_000),
    )
    """Lower bounds of gold, platinum, diamond and private banking, in CNY."""
    leads_per_visit: int = Field(default=3, ge=1, le=20)
    """At most this many leads are suggested to a customer in one visit (K), across staff."""
    duckdb_memory_limit: str = "2GB"
    """Memory the analysis's DuckDB engine uses before it spills to disk."""
    duckdb_threads: int | None = Field(default=None, ge=1)
    """Threads of the DuckDB engine; every core when unset."""
    spark_master: str = "local[*]"
    """Spark master of ``--engine spark``: ``local[*]``, a cluster URL or ``sc://…``."""
    spark_driver_memory: str = "4g"

    @property
    def resolved_database_url(self) -> str:
        """The database URL, SQLite under ``var_dir`` unless one is configured."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.var_dir / 'smartbranch.db').resolve()}"

    @property
    def resolved_lake_path(self) -> Path:
        """Where the Parquet lake lives."""
        return self.lake_path or self.var_dir / "lake"

    @property
    def resolved_simulation_path(self) -> Path:
        """Where simulator-only files live (outside the lake on purpose)."""
        return self.simulation_path or self.var_dir / "simulation"

    @property
    def json_logs(self) -> bool:
        """JSON logs in production unless told otherwise."""
        return self.env == "production" if self.log_json is None else self.log_json

    def credential_key_bytes(self) -> bytes:
        """The credential HMAC key, from the environment, a file, or (outside production) a
        per-install random file under ``var_dir/secrets``."""
        if self.credential_key is not None:
            return bytes.fromhex(self.credential_key.get_secret_value())
        path = self.credential_key_file or self.var_dir / "secrets" / "credential.key"
        return _read_or_create_key(
            path, create=self.credential_key_file is None and self.env != "production"
        )

    def secret_key_bytes(self) -> bytes:
        """The key that signs CSRF tokens."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        return _read_or_create_key(
            self.var_dir / "secrets" / "app.key", create=self.env != "production"
        )


class MissingKeyError(RuntimeError):
    """A key the process needs is not configured (production never invents keys)."""


def _read_or_create_key(path: Path, *, create: bool) -> bytes:
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    if not create:
        raise MissingKeyError(f"key file {path} not found")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    # Written with owner-only permissions before the key touches disk.
    fd = path.open("x", encoding="ascii")
    path.chmod(0o600)
    with fd:
        fd.write(key.hex())
    return key


def normalise_database_url(url: str) -> str:
    """Map plain ``postgresql://`` / ``sqlite://`` URLs to the async drivers we use."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://") and not url.startswith("sqlite+"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()
