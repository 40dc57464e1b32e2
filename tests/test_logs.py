"""Logs never carry a card, ID or phone number."""

from __future__ import annotations

import io
import json
import logging

from hypothesis import given
from hypothesis import strategies as st

from smartbranch.credentials import make_card_number, make_id_number
from smartbranch.logs import configure_logging, get_logger, redact


class TestRedact:
    @given(st.integers(13, 19), st.integers(0, 10**9))
    def test_card_numbers_are_redacted(self, length: int, body: int) -> None:
        number = make_card_number("62", length, body)
        assert number not in redact(f"card {number} swiped")
        spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
        assert spaced not in redact(f"card {spaced} swiped")

    def test_id_and_phone_are_redacted(self) -> None:
        from datetime import date

        id_number = make_id_number("110105", date(1980, 5, 17), 123)
        text = redact(f"id={id_number} phone=13812345678")
        assert id_number not in text
        assert "13812345678" not in text

    def test_customer_numbers_and_short_numbers_survive(self) -> None:
        assert redact("customer C0000000001 took ticket 42") == (
            "customer C0000000001 took ticket 42"
        )


class TestConfiguredPipeline:
    def test_json_logs_are_redacted_for_structlog_and_stdlib(self) -> None:
        configure_logging(json=True)
        stream = io.StringIO()
        handler = logging.getLogger().handlers[0]
        handler.setStream(stream)  # type: ignore[attr-defined]
        number = make_card_number("622848", 19, 7)
        get_logger("test").info("swiped", card=number)
        logging.getLogger("uvicorn.access").info("GET /x?card=%s", number)
        output = stream.getvalue()
        assert number not in output
        lines = [json.loads(line) for line in output.splitlines()]
        assert lines[0]["event"] == "swiped"
        assert lines[0]["card"] == "[redacted]"
