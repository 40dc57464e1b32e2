"""Structured logging (JSON in production) that never carries a card, ID or phone number.

Every log record passes :func:`redact` as a last line of defence: code should never log a
clear credential, and if it ever does by mistake, the number is masked before it is written.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# 13–19 digit runs (card and account numbers), 17 digits + check char (resident IDs) and
# 11-digit mobile numbers, whether or not separated by spaces or hyphens inside.
_SENSITIVE = re.compile(
    r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9])"
    r"|(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])"
    r"|(?<![0-9])1[3-9]\d{9}(?![0-9])"
)


def redact(text: str) -> str:
    """``text`` with anything that looks like a card, ID or phone number replaced."""
    return _SENSITIVE.sub("[redacted]", text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value(v) for v in value)
    return value


def redact_processor(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor applying :func:`redact` to every value."""
    for key, value in list(event_dict.items()):
        event_dict[key] = _redact_value(value)
    return event_dict


def configure_logging(*, json: bool, level: str = "INFO") -> None:
    """Route structlog and the standard library (uvicorn, SQLAlchemy) through one pipeline."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redact_processor,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def get_logger(name: str) -> Any:
    """A structlog logger."""
    return structlog.stdlib.get_logger(name)
