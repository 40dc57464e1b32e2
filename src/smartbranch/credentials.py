"""Credential rules: normalisation, validation, keyed hashing and masking.

Ground floor: no database, no web. A clear card, passbook or ID number enters here and
leaves only as a keyed hash (for lookup) and a masked display form.

Accepted formats (after :func:`normalise`):

* **debit_card / credit_card** — 13 to 19 ASCII digits whose last digit is the Luhn check
  digit of the rest (ISO/IEC 7812).
* **id_card** — a second-generation resident ID (GB 11643-1999): 18 characters, 17 digits
  then a digit or ``X``. Digits 1–6 are the region code (its first two digits, the province,
  must lie in 11–82; the full region table is not checked), 7–14 the date of birth
  ``YYYYMMDD`` (a real date from 1900-01-01 to today, China time), 15–17 the sequence
  number (odd last digit: male, even: female) and 18 the ISO 7064 MOD 11-2 check character.
* **passbook** — our documented format: 12 to 20 ASCII digits, the last one a Luhn check
  digit over the rest (the check most Chinese banks use for account numbers).

Normalisation folds full-width characters to ASCII (NFKC), drops whitespace (ASCII spaces,
tabs, the ideographic space U+3000) and hyphens/dashes, and for an ID upper-cases a
trailing ``x``. Every failure raises its own :class:`CredentialInvalidError` subclass with a
machine-readable ``code``; no message ever contains the number.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import unicodedata
from enum import StrEnum

from smartbranch.errors import BadRequestError
from smartbranch.i18n import N_


class CredentialKind(StrEnum):
    """What the customer presented at the kiosk or counter."""

    DEBIT_CARD = "debit_card"
    CREDIT_CARD = "credit_card"
    PASSBOOK = "passbook"
    ID_CARD = "id_card"


CARD_KINDS = frozenset({CredentialKind.DEBIT_CARD, CredentialKind.CREDIT_CARD})

# ISO 7064 MOD 11-2 weights and check characters of GB 11643-1999.
_GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_GB11643_CHECK = "10X98765432"

CARD_LENGTHS = range(13, 20)
PASSBOOK_LENGTHS = range(12, 21)
ID_NUMBER_LENGTH = 18
ID_PROVINCE_PREFIXES = range(11, 83)
ID_EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)

# China has had no daylight saving since 1991, so a fixed offset is exact; "today" for a
# birth date is the customer's calendar day, not the server's.
CHINA_TZ = datetime.timezone(datetime.timedelta(hours=8), "Asia/Shanghai")

_DIGITS = frozenset("0123456789")
# Characters a customer or scanner puts between digit groups. NFKC has already folded the
# full-width forms (U+3000 to a space, U+FF0D to "-"); the dashes below survive NFKC.
_SEPARATORS = dict.fromkeys(map(ord, "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"))


# --- errors -------------------------------------------------------------------------------
# Messages are fixed msgids without parameters: the number itself is never echoed.


class CredentialInvalidError(BadRequestError):
    """Base of every credential validation failure."""

    code = "credential_invalid"
    message = N_("The number is not valid.")


class CredentialKindUnknownError(CredentialInvalidError):
    """The kind of credential is not one we accept."""

    code = "credential_kind_unknown"
    message = N_("This type of card or document is not supported.")


class CredentialEmptyError(CredentialInvalidError):
    """No number was given (or only spaces and hyphens)."""

    code = "credential_empty"
    message = N_("Please enter the number.")


class CardNumberNotDigitsError(CredentialInvalidError):
    """A card number contains something other than digits."""

    code = "card_number_not_digits"
    message = N_("A card number may contain only digits.")


class CardNumberLengthError(CredentialInvalidError):
    """A card number is too short or too long."""

    code = "card_number_length"
    message = N_("A card number must have 13 to 19 digits.")


class CardNumberChecksumError(CredentialInvalidError):
    """A card number's Luhn check digit does not match."""

    code = "card_number_checksum"
    message = N_("The card number's check digit is wrong. Please check it and try again.")


class IdNumberLengthError(CredentialInvalidError):
    """A resident ID number does not have 18 characters."""

    code = "id_number_length"
    message = N_("A resident ID number must have 18 characters.")


class IdNumberFormatError(CredentialInvalidError):
    """A resident ID number is not 17 digits followed by a digit or X."""

    code = "id_number_format"
    message = N_("A resident ID number must be 17 digits followed by a digit or X.")


class IdNumberRegionError(CredentialInvalidError):
    """A resident ID number's region code cannot exist."""

    code = "id_number_region"
    message = N_("The region code in the ID number is not valid.")


class IdNumberBirthDateError(CredentialInvalidError):
    """A resident ID number's date of birth is not a real, past date from 1900 on."""

    code = "id_number_birth_date"
    message = N_("The date of birth in the ID number is not valid.")


class IdNumberChecksumError(CredentialInvalidError):
    """A resident ID number's check character does not match."""

    code = "id_number_checksum"
    message = N_("The ID number's check character is wrong. Please check it and try again.")


class PassbookNumberFormatError(CredentialInvalidError):
    """A passbook number contains something other than digits."""

    code = "passbook_number_format"
    message = N_("A passbook number may contain only digits.")


class PassbookNumberLengthError(CredentialInvalidError):
    """A passbook number is too short or too long."""

    code = "passbook_number_length"
    message = N_("A passbook number must have 12 to 20 digits.")


class PassbookNumberChecksumError(CredentialInvalidError):
    """A passbook number's Luhn check digit does not match."""

    code = "passbook_number_checksum"
    message = N_("The passbook number's check digit is wrong. Please check it and try again.")


#: Every error :func:`validate` can raise (the abstract base is not listed).
CREDENTIAL_ERRORS: tuple[type[CredentialInvalidError], ...] = (
    CredentialKindUnknownError,
    CredentialEmptyError,
    CardNumberNotDigitsError,
    CardNumberLengthError,
    CardNumberChecksumError,
    IdNumberLengthError,
    IdNumberFormatError,
    IdNumberRegionError,
    IdNumberBirthDateError,
    IdNumberChecksumError,
    PassbookNumberFormatError,
    PassbookNumberLengthError,
    PassbookNumberChecksumError,
)

#: The machine-readable codes of :data:`CREDENTIAL_ERRORS`, in the same order.
ERROR_CODES: tuple[str, ...] = tuple(error.code for error in CREDENTIAL_ERRORS)


# --- check digits -------------------------------------------------------------------------


def luhn_check_digit(payload: str) -> str:
    """The Luhn digit that completes ``payload`` (all digits)."""
    total = 0
    for index, char in enumerate(reversed(payload)):
        digit = ord(char) - 48
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def is_luhn_valid(number: str) -> bool:
    """Whether the last digit of ``number`` is its Luhn check digit."""
    return (
        len(number) >= 2
        and number.isascii()
        and number.isdigit()
        and (luhn_check_digit(number[:-1]) == number[-1])
    )


def gb11643_check_char(first17: str) -> str:
    """The check character (``0``–``9`` or ``X``) of a resident ID's first 17 digits."""
    total = sum((ord(c) - 48) * w for c, w in zip(first17, _GB11643_WEIGHTS, strict=True))
    return _GB11643_CHECK[total % 11]


# --- normalisation and validation ---------------------------------------------------------


def normalise(kind: CredentialKind, raw: str) -> str:
    """``raw`` in canonical form: ASCII, no spaces or hyphens, an ID's trailing ``X`` upper.

    Raises :class:`CredentialEmptyError` when nothing is left.
    """
    text = unicodedata.normalize("NFKC", raw)
    # str.split() with no argument splits on every Unicode whitespace (space, tab, U+3000…).
    text = "".join(text.split()).translate(_SEPARATORS)
    if not text:
        raise CredentialEmptyError()
    if kind == CredentialKind.ID_CARD and text[-1] == "x":
        text = text[:-1] + "X"
    return text


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit() alone accepts Arabic-Indic and other non-ASCII digits.
    return text.isascii() and text.isdigit()


def _check_card(number: str) -> None:
    if not _is_ascii_digits(number):
        raise CardNumberNotDigitsError()
    if len(number) not in CARD_LENGTHS:
        raise CardNumberLengthError()
    if luhn_check_digit(number[:-1]) != number[-1]:
        raise CardNumberChecksumError()


def _check_passbook(number: str) -> None:
    if not _is_ascii_digits(number):
        raise PassbookNumberFormatError()
    if len(number) not in PASSBOOK_LENGTHS:
        raise PassbookNumberLengthError()
    if luhn_check_digit(number[:-1]) != number[-1]:
        raise PassbookNumberChecksumError()


def _check_id_number(number: str, today: datetime.date) -> None:
    if len(number) != ID_NUMBER_LENGTH:
        raise IdNumberLengthError()
    first17 = number[:17]
    if not _is_ascii_digits(first17) or (number[17] not in _DIGITS and number[17] != "X"):
        raise IdNumberFormatError()
    if int(number[:2]) not in ID_PROVINCE_PREFIXES:
        raise IdNumberRegionError()
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberBirthDateError() from None
    if not ID_EARLIEST_BIRTH_DATE <= birth <= today:
        raise IdNumberBirthDateError()
    if gb11643_check_char(first17) != number[17]:
        raise IdNumberChecksumError()


def china_today() -> datetime.date:
    """Today's date in China (UTC+8), the calendar a birth date is written in."""
    return datetime.datetime.now(CHINA_TZ).date()


def validate(kind: CredentialKind | str, raw: str, *, today: datetime.date | None = None) -> str:
    """Normalise and check ``raw`` as a ``kind``; return the normalised value.

    ``today`` (default: :func:`china_today`) bounds an ID's date of birth. Raises a
    :class:`CredentialInvalidError` subclass naming the first rule broken.
    """
    try:
        kind = CredentialKind(kind)
    except ValueError:
        raise CredentialKindUnknownError() from None
    number = normalise(kind, raw)
    if kind in CARD_KINDS:
        _check_card(number)
    elif kind is CredentialKind.PASSBOOK:
        _check_passbook(number)
    else:
        _check_id_number(number, today or china_today())
    return number


# --- hashing ------------------------------------------------------------------------------


def credential_family(kind: CredentialKind) -> str:
    """The hash namespace: debit and credit cards share one (a reader may not know which)."""
    return "card" if kind in CARD_KINDS else kind.value


class CredentialHasher:
    """HMAC-SHA256 of a normalised credential value under a key kept outside the database."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("credential key must be at least 16 bytes")
        self._key = key

    def lookup_hash(self, kind: CredentialKind, normalised: str) -> str:
        """The hex lookup hash of an already-normalised value."""
        message = f"{credential_family(kind)}:{normalised}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


# --- masking ------------------------------------------------------------------------------

# Below this length "first 6 + last 4" would show (or repeat) every character.
_MASK_MIN_LENGTH = 11


def mask_card(number: str) -> str:
    """BIN (first 6) and last 4 of a card or account number: ``622848******1234``.

    A value too short to hide anything that way is masked completely.
    """
    if len(number) < _MASK_MIN_LENGTH:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_id_number(number: str) -> str:
    """Region (first 6) and last 4 of a resident ID: ``110105********1234``.

    A value too short to hide anything that way is masked completely.
    """
    if len(number) < _MASK_MIN_LENGTH:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_card_last4(masked: str) -> str:
    """The last-4-only form shown to roles that do not need the BIN: ``**** 1234``."""
    return "**** " + masked[-4:]


def mask_phone(phone: str) -> str:
    """A mobile number with its middle hidden: ``138****1234``."""
    digits = "".join(c for c in phone if c.isdigit())
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(name: str) -> str:
    """A name with all but the surname hidden: ``王**`` (Latin names: ``W.***``)."""
    if not name:
        return ""
    if name.isascii():
        return name[0] + "." + "*" * 3
    return name[0] + "*" * max(len(name) - 1, 1)


# --- generation for the synthetic bank ----------------------------------------------------
# Plain string operations only: the simulation calls these millions of times.


def make_card_number(prefix: str, length: int, body: int) -> str:
    """``prefix`` + ``body`` zero-padded to fill ``length`` + the Luhn check digit."""
    width = length - len(prefix) - 1
    digits = str(body)
    if body < 0 or len(digits) > width:
        raise ValueError("body does not fit the card number")
    payload = prefix + digits.zfill(width)
    return payload + luhn_check_digit(payload)


def make_passbook_number(prefix: str, length: int, body: int) -> str:
    """``prefix`` + ``body`` zero-padded to fill ``length`` + the Luhn check digit."""
    return make_card_number(prefix, length, body)


def make_id_number(region: str, birth: datetime.date, sequence: int) -> str:
    """A resident ID: 6 region digits, ``YYYYMMDD``, 3-digit sequence, check character.

    The sequence's last digit carries the gender: odd for male, even for female. ``region``
    is taken as given (six digits; its province prefix should lie in 11–82 to validate).
    """
    if not 0 <= sequence <= 999:
        raise ValueError("sequence must be 0–999")
    first17 = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{sequence:03d}"
    return first17 + gb11643_check_char(first17)
