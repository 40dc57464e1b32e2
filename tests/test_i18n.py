"""Every message a user can meet has a Simplified Chinese translation."""

from __future__ import annotations

import importlib
import pkgutil

import smartbranch
from smartbranch.errors import AppError
from smartbranch.i18n import translate


def _all_error_classes() -> list[type[AppError]]:
    for module in pkgutil.walk_packages(smartbranch.__path__, "smartbranch."):
        if module.name.startswith("smartbranch.migrations."):
            continue
        importlib.import_module(module.name)
    seen: list[type[AppError]] = []
    stack: list[type[AppError]] = [AppError]
    while stack:
        cls = stack.pop()
        seen.append(cls)
        stack.extend(cls.__subclasses__())
    return seen


class TestCatalog:
    def test_every_error_message_is_translated(self) -> None:
        missing = [
            f"{cls.__module__}.{cls.__name__}: {cls.message}"
            for cls in _all_error_classes()
            if translate(cls.message, "zh_CN") == cls.message
        ]
        assert missing == []

    def test_every_error_code_is_unique_per_meaning(self) -> None:
        by_code: dict[str, set[int]] = {}
        for cls in _all_error_classes():
            by_code.setdefault(cls.code, set()).add(cls.status_code)
        assert {code: s for code, s in by_code.items() if len(s) > 1} == {}


class TestExtractedStrings:
    def test_every_marked_string_has_a_zh_cn_translation(self) -> None:
        """Extract like ``make i18n`` does (Python and templates) and look each one up."""
        from pathlib import Path

        from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
        from babel.messages.frontend import parse_mapping_cfg

        root = Path(smartbranch.__file__).resolve().parent
        with (root / "web" / "babel.cfg").open() as handle:
            method_map, options_map = parse_mapping_cfg(handle)
        keywords = {**DEFAULT_KEYWORDS, "N_": None}
        missing = []
        for filename, _line, message, _comments, _context in extract_from_dir(
            root.parent.parent, method_map, options_map, keywords=keywords
        ):
            ids = message if isinstance(message, tuple) else (message,)
            for msgid in ids:
                if msgid and translate(msgid, "zh_CN") == msgid:
                    missing.append(f"{filename}: {msgid}")
        assert missing == []
