"""The public-screen greeting."""

from __future__ import annotations

import pytest

from smartbranch.customers.greeting import greeting, romanise_surname, surname_of


class TestSurname:
    @pytest.mark.parametrize(
        ("name", "surname"),
        [("王小明", "王"), ("欧阳娜娜", "欧阳"), ("司马光", "司马"), ("John Smith", "Smith")],
    )
    def test_surname(self, name: str, surname: str) -> None:
        assert surname_of(name) == surname

    @pytest.mark.parametrize(
        ("surname", "pinyin"),
        [("王", "Wang"), ("欧阳", "Ouyang"), ("单", "Shan"), ("曾", "Zeng"), ("解", "Xie")],
    )
    def test_romanised_with_surname_readings(self, surname: str, pinyin: str) -> None:
        assert romanise_surname(surname) == pinyin


class TestGreeting:
    def test_chinese(self) -> None:
        assert greeting("王小明", "M", "zh_CN") == "王先生"
        assert greeting("李静", "F", "zh_CN") == "李女士"

    def test_english(self) -> None:
        assert greeting("王小明", "M", "en") == "Mr Wang"
        assert greeting("欧阳娜", "F", "en") == "Ms Ouyang"

    def test_never_the_given_name(self) -> None:
        assert "小明" not in greeting("王小明", "M", "zh_CN")
