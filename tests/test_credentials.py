"""Credential normalisation, validation, generation, masking and their translations."""

from __future__ import annotations

import datetime
import re
import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from smartbranch.credentials import (
    CARD_KINDS,
    CREDENTIAL_ERRORS,
    ERROR_CODES,
    CardNumberChecksumError,
    CardNumberLengthError,
    CardNumberNotDigitsError,
    CredentialEmptyError,
    CredentialHasher,
    CredentialInvalidError,
    CredentialKind,
    CredentialKindUnknownError,
    IdNumberBirthDateError,
    IdNumberChecksumError,
    IdNumberFormatError,
    IdNumberLengthError,
    IdNumberRegionError,
    PassbookNumberChecksumError,
    PassbookNumberFormatError,
    PassbookNumberLengthError,
    china_today,
    gb11643_check_char,
    is_luhn_valid,
    luhn_check_digit,
    make_card_number,
    make_id_number,
    make_passbook_number,
    mask_card,
    mask_card_last4,
    mask_id_number,
    mask_phone,
    normalise,
    validate,
)
from smartbranch.errors import BadRequestError
from smartbranch.i18n import translate

TODAY = china_today()
# The province prefixes in use (GB/T 2260), 71 Taiwan, 81 Hong Kong, 82 Macao.
PROVINCES = (
    *(11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46),
    *(50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82),
)
ALL_ERRORS: tuple[type[CredentialInvalidError], ...] = (CredentialInvalidError, *CREDENTIAL_ERRORS)

# A fixed, valid example of each kind (built, not copied from any real person or card).
CARD = make_card_number("622848", 19, 123456789)
PASSBOOK = make_passbook_number("6011", 16, 42)
ID_NUMBER = make_id_number("110105", datetime.date(1985, 7, 14), 123)


# --- strategies ---------------------------------------------------------------------------


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    length = draw(st.integers(13, 19))
    prefix = draw(st.text("0123456789", min_size=1, max_size=6))
    body = draw(st.integers(0, 10 ** (length - len(prefix) - 1) - 1))
    return make_card_number(prefix, length, body)


@st.composite
def passbook_numbers(draw: st.DrawFn) -> str:
    length = draw(st.integers(12, 20))
    prefix = draw(st.text("0123456789", min_size=0, max_size=6))
    body = draw(st.integers(0, 10 ** (length - len(prefix) - 1) - 1))
    return make_passbook_number(prefix, length, body)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    region = f"{draw(st.sampled_from(PROVINCES))}{draw(st.integers(0, 9999)):04d}"
    birth = draw(st.dates(datetime.date(1900, 1, 1), TODAY))
    return make_id_number(region, birth, draw(st.integers(0, 999)))


_FULL_WIDTH = {c: chr(ord(c) - ord("0") + 0xFF10) for c in "0123456789"} | {"X": "Ｘ"}
_SEPARATORS = (" ", "\u3000", "\t", "-", "－", "  ")


@st.composite
def spellings(draw: st.DrawFn, number: str) -> str:
    """``number`` as a customer or scanner might type it: full width, spaces, hyphens, x."""
    parts: list[str] = []
    for char in number:
        if draw(st.booleans()):
            parts.append(draw(st.sampled_from(_SEPARATORS)))
        if char == "X":
            parts.append(draw(st.sampled_from(("X", "x", "Ｘ", "ｘ"))))
        else:
            parts.append(_FULL_WIDTH[char] if draw(st.booleans()) else char)
    parts.append(draw(st.sampled_from(("", " ", "\t", "\u3000"))))
    return "".join(parts)


def _replace(number: str, index: int, char: str) -> str:
    return number[:index] + char + number[index + 1 :]


def _id_with_birth(birth: str) -> str:
    """An otherwise well-formed ID number whose birth field is ``birth`` (``YYYYMMDD``)."""
    first17 = f"110105{birth}123"
    return first17 + gb11643_check_char(first17)


# --- tests --------------------------------------------------------------------------------


class TestLuhn:
    @given(card_numbers())
    def test_generated_cards_are_valid(self, number: str) -> None:
        assert is_luhn_valid(number)
        assert validate(CredentialKind.DEBIT_CARD, number) == number

    @given(card_numbers(), st.data())
    def test_any_single_digit_change_is_caught(self, number: str, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(number) - 1))
        digit = data.draw(st.sampled_from("0123456789").filter(lambda d: d != number[index]))
        changed = _replace(number, index, digit)
        assert not is_luhn_valid(changed)
        with pytest.raises(CardNumberChecksumError):
            validate(CredentialKind.CREDIT_CARD, changed)

    def test_known_number(self) -> None:
        # The textbook Luhn example.
        assert luhn_check_digit("7992739871") == "3"
        assert is_luhn_valid("79927398713")

    def test_rejects_non_ascii_digits(self) -> None:
        assert not is_luhn_valid("٧٩٩٢٧٣٩٨٧١٣")


class TestMakeCardNumber:
    @given(st.integers(13, 19), st.integers(0, 999_999))
    def test_shape(self, length: int, body: int) -> None:
        number = make_card_number("622848", length, body)
        assert len(number) == length
        assert number.startswith("622848")
        assert number[:-1].endswith(str(body))

    def test_body_must_fit(self) -> None:
        with pytest.raises(ValueError):
            make_card_number("622848", 13, 10**6)
        with pytest.raises(ValueError):
            make_card_number("622848", 13, -1)


class TestMakePassbookNumber:
    @given(passbook_numbers())
    def test_generated_passbooks_are_valid(self, number: str) -> None:
        assert 12 <= len(number) <= 20
        assert validate(CredentialKind.PASSBOOK, number) == number

    @given(passbook_numbers(), st.data())
    def test_any_single_digit_change_is_caught(self, number: str, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(number) - 1))
        digit = data.draw(st.sampled_from("0123456789").filter(lambda d: d != number[index]))
        with pytest.raises(PassbookNumberChecksumError):
            validate(CredentialKind.PASSBOOK, _replace(number, index, digit))


class TestMakeIdNumber:
    @given(id_numbers())
    def test_generated_ids_are_valid(self, number: str) -> None:
        assert len(number) == 18
        assert validate(CredentialKind.ID_CARD, number) == number

    @given(id_numbers(), st.sampled_from("0123456789X"))
    def test_changed_check_character_fails(self, number: str, check: str) -> None:
        assume(check != number[-1])
        with pytest.raises(IdNumberChecksumError):
            validate(CredentialKind.ID_CARD, number[:-1] + check)

    def test_layout_and_gender_digit(self) -> None:
        male = make_id_number("110105", datetime.date(1985, 7, 14), 123)
        female = make_id_number("110105", datetime.date(1985, 7, 14), 124)
        assert male[:17] == "11010519850714123"
        assert int(male[16]) % 2 == 1
        assert int(female[16]) % 2 == 0

    def test_known_check_character(self) -> None:
        # The worked example of GB 11643-1999 (check character X).
        assert gb11643_check_char("11010519491231002") == "X"

    def test_sequence_must_fit(self) -> None:
        with pytest.raises(ValueError):
            make_id_number("110105", datetime.date(1985, 7, 14), 1000)


class TestNormalise:
    def test_lower_case_x(self) -> None:
        assert normalise(CredentialKind.ID_CARD, "11010519491231002x") == "11010519491231002X"

    def test_full_width_and_spaces(self) -> None:
        raw = "６２２８　４８\t1234-5678 " + CARD[-7:]
        assert normalise(CredentialKind.DEBIT_CARD, raw) == "62284812345678" + CARD[-7:]

    def test_full_width_x(self) -> None:
        assert normalise(CredentialKind.ID_CARD, "１１０１０５１９４９１２３１００２ｘ") == (
            "11010519491231002X"
        )

    def test_x_only_upper_cased_for_ids(self) -> None:
        assert normalise(CredentialKind.PASSBOOK, "12x") == "12x"

    @pytest.mark.parametrize("raw", ["", "   ", "\u3000\t", "- -"])
    def test_empty(self, raw: str) -> None:
        with pytest.raises(CredentialEmptyError):
            normalise(CredentialKind.DEBIT_CARD, raw)


# Every error code with one input that reaches it.
_FAILING = [
    ("cheque", CARD, CredentialKindUnknownError),
    (CredentialKind.DEBIT_CARD, " \u3000-", CredentialEmptyError),
    (CredentialKind.DEBIT_CARD, "6228 48AB 1234 5678", CardNumberNotDigitsError),
    (CredentialKind.DEBIT_CARD, "٦٢٢٨٤٨١٢٣٤٥٦٧٨٩٠", CardNumberNotDigitsError),
    (CredentialKind.CREDIT_CARD, make_card_number("6228", 12, 1), CardNumberLengthError),
    (CredentialKind.CREDIT_CARD, make_card_number("6228", 20, 1), CardNumberLengthError),
    (
        CredentialKind.DEBIT_CARD,
        _replace(CARD, 18, str((int(CARD[18]) + 1) % 10)),
        CardNumberChecksumError,
    ),
    (CredentialKind.ID_CARD, ID_NUMBER[:17], IdNumberLengthError),
    (CredentialKind.ID_CARD, ID_NUMBER + "1", IdNumberLengthError),
    (CredentialKind.ID_CARD, "11010519850714A23X", IdNumberFormatError),
    (CredentialKind.ID_CARD, ID_NUMBER[:17] + "Y", IdNumberFormatError),
    (CredentialKind.ID_CARD, "0" + ID_NUMBER[1:], IdNumberRegionError),
    (CredentialKind.ID_CARD, "9" + ID_NUMBER[1:], IdNumberRegionError),
    (CredentialKind.ID_CARD, "10" + ID_NUMBER[2:], IdNumberRegionError),
    (CredentialKind.ID_CARD, _id_with_birth("19990230"), IdNumberBirthDateError),
    (CredentialKind.ID_CARD, _id_with_birth("19991301"), IdNumberBirthDateError),
    (CredentialKind.ID_CARD, _id_with_birth("18991231"), IdNumberBirthDateError),
    (CredentialKind.ID_CARD, _id_with_birth("00000000"), IdNumberBirthDateError),
    (
        CredentialKind.ID_CARD,
        ID_NUMBER[:17] + ("0" if ID_NUMBER[-1] != "0" else "1"),
        IdNumberChecksumError,
    ),
    (CredentialKind.PASSBOOK, "6011-0000-0004-2O", PassbookNumberFormatError),
    (CredentialKind.PASSBOOK, make_passbook_number("60", 11, 1), PassbookNumberLengthError),
    (CredentialKind.PASSBOOK, make_passbook_number("60", 21, 1), PassbookNumberLengthError),
    (
        CredentialKind.PASSBOOK,
        PASSBOOK[:-1] + str((int(PASSBOOK[-1]) + 5) % 10),
        PassbookNumberChecksumError,
    ),
]


def _assert_no_number_in(error: CredentialInvalidError, raw: str) -> None:
    folded = unicodedata.normalize("NFKC", raw)
    digits = "".join(c for c in folded if c.isascii() and c.isdigit())
    for text in (str(error), error.localized("zh_CN"), error.localized("en"), repr(error)):
        # No run of three or more digits at all (lengths like "13" or "18" are fine), so no
        # part of the number can be in the message.
        assert re.search(r"\d{3,}", text) is None
        if len(digits) >= 3:
            assert digits not in text


class TestValidate:
    @pytest.mark.parametrize(("kind", "raw", "error"), _FAILING)
    def test_each_rule(self, kind: str, raw: str, error: type[CredentialInvalidError]) -> None:
        with pytest.raises(error) as caught:
            validate(kind, raw)
        assert type(caught.value) is error
        _assert_no_number_in(caught.value, raw)

    def test_every_error_code_is_reached(self) -> None:
        assert {error.code for _, _, error in _FAILING} == set(ERROR_CODES)

    def test_future_birth_date(self) -> None:
        tomorrow = TODAY + datetime.timedelta(days=1)
        with pytest.raises(IdNumberBirthDateError):
            validate(CredentialKind.ID_CARD, make_id_number("110105", tomorrow, 1))

    def test_birth_date_bounds_use_today(self) -> None:
        today = datetime.date(2024, 2, 29)
        number = make_id_number("440300", today, 2)
        assert validate(CredentialKind.ID_CARD, number, today=today) == number
        with pytest.raises(IdNumberBirthDateError):
            validate(CredentialKind.ID_CARD, number, today=datetime.date(2024, 2, 28))
        earliest = make_id_number("440300", datetime.date(1900, 1, 1), 2)
        assert validate(CredentialKind.ID_CARD, earliest, today=today) == earliest

    def test_kind_as_string(self) -> None:
        assert validate("debit_card", CARD) == CARD
        assert validate("id_card", ID_NUMBER.lower()) == ID_NUMBER

    @given(st.sampled_from(list(CredentialKind)), st.text(max_size=40))
    def test_any_text_gets_a_credential_error_or_passes(self, kind: str, raw: str) -> None:
        try:
            number = validate(kind, raw)
        except CredentialInvalidError as error:
            _assert_no_number_in(error, raw)
        else:
            assert number.isascii()
            assert validate(kind, number) == number

    @given(st.data())
    def test_spellings_of_one_number_agree(self, data: st.DataObject) -> None:
        kind, number = data.draw(
            st.one_of(
                st.tuples(st.sampled_from(sorted(CARD_KINDS)), card_numbers()),
                st.tuples(st.just(CredentialKind.PASSBOOK), passbook_numbers()),
                st.tuples(st.just(CredentialKind.ID_CARD), id_numbers()),
            )
        )
        first = data.draw(spellings(number))
        second = data.draw(spellings(number))
        assert validate(kind, first) == validate(kind, second) == number


class TestCredentialErrors:
    def test_codes(self) -> None:
        assert ERROR_CODES == (
            "credential_kind_unknown",
            "credential_empty",
            "card_number_not_digits",
            "card_number_length",
            "card_number_checksum",
            "id_number_length",
            "id_number_format",
            "id_number_region",
            "id_number_birth_date",
            "id_number_checksum",
            "passbook_number_format",
            "passbook_number_length",
            "passbook_number_checksum",
        )
        assert CredentialInvalidError.code == "credential_invalid"

    @pytest.mark.parametrize("error", ALL_ERRORS)
    def test_hierarchy_and_status(self, error: type[CredentialInvalidError]) -> None:
        assert issubclass(error, CredentialInvalidError)
        assert issubclass(error, BadRequestError)
        assert error.status_code == 400
        assert error().to_dict("en") == {"error": {"code": error.code, "message": error.message}}

    def test_messages_are_distinct(self) -> None:
        messages = [error.message for error in ALL_ERRORS]
        assert len(set(messages)) == len(messages)

    @pytest.mark.parametrize("error", ALL_ERRORS)
    def test_translated_to_chinese(self, error: type[CredentialInvalidError]) -> None:
        chinese = translate(error.message, "zh_CN")
        assert chinese != error.message
        assert re.search(r"[\u4e00-\u9fff]", chinese)
        assert error().localized("zh_CN") == chinese
        assert translate(error.message, "en") == error.message


def _shown_digits(masked: str) -> str:
    return "".join(c for c in masked if c.isdigit())


class TestMasking:
    @given(card_numbers())
    def test_card_shows_bin_and_last4_only(self, number: str) -> None:
        masked = mask_card(number)
        assert len(masked) == len(number)
        assert masked == number[:6] + "*" * (len(number) - 10) + number[-4:]
        assert len(_shown_digits(masked)) == 10
        assert mask_card_last4(masked) == "**** " + number[-4:]

    @given(id_numbers())
    def test_id_shows_region_and_last4_only(self, number: str) -> None:
        masked = mask_id_number(number)
        assert masked == number[:6] + "*" * 8 + number[-4:]
        assert len(masked.replace("*", "")) == 10

    @given(st.text(max_size=30))
    def test_never_more_than_ten_characters_shown(self, text: str) -> None:
        for masked in (mask_card(text), mask_id_number(text)):
            assert len(masked.replace("*", "")) <= 10
            assert len(masked) == len(text)
            if len(text) > 4:
                assert text not in masked

    @given(st.text("0123456789", min_size=11, max_size=11).map(lambda s: "1" + s[1:]))
    def test_mobile(self, phone: str) -> None:
        masked = mask_phone(phone)
        assert masked == phone[:3] + "****" + phone[-4:]

    @given(st.text(max_size=30))
    def test_phone_never_shows_more_than_seven_digits(self, text: str) -> None:
        assert len(_shown_digits(mask_phone(text))) <= 7


class TestCredentialHasher:
    def test_cards_share_a_family_and_kinds_differ(self) -> None:
        hasher = CredentialHasher(b"k" * 32)
        debit = hasher.lookup_hash(CredentialKind.DEBIT_CARD, CARD)
        assert debit == hasher.lookup_hash(CredentialKind.CREDIT_CARD, CARD)
        assert debit != hasher.lookup_hash(CredentialKind.PASSBOOK, CARD)
        assert CARD not in debit
        assert debit != CredentialHasher(b"j" * 32).lookup_hash(CredentialKind.DEBIT_CARD, CARD)

    def test_short_key_refused(self) -> None:
        with pytest.raises(ValueError):
            CredentialHasher(b"short")
