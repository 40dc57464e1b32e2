"""Translations: Simplified Chinese by default, English available.

Message ids are English. Catalogs live as gettext ``.po`` files under
``web/translations/<locale>/LC_MESSAGES/messages.po`` (extracted with Babel, see the
Makefile's ``i18n`` target) and are compiled in memory at first use, so a fresh checkout
needs no build step.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
TRANSLATIONS_DIR = Path(__file__).parent / "web" / "translations"


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def negotiate_locale(requested: str | None) -> str:
    """The supported locale closest to ``requested`` (``zh``, ``zh-CN``, ``en-GB`` …)."""
    if not requested:
        return DEFAULT_LOCALE
    value = requested.replace("-", "_").lower()
    if value.startswith("en"):
        return "en"
    if value.startswith("zh"):
        return "zh_CN"
    return DEFAULT_LOCALE


@cache
def get_translations(locale: str) -> NullTranslations:
    """The compiled catalog of ``locale`` (English is the message ids themselves)."""
    po_path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    if locale == "en" or not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def translate(message: str, locale: str) -> str:
    """``message`` in ``locale``."""
    return get_translations(locale).gettext(message)
