"""The greeting a public screen may show: surname and honorific (王先生 / Mr Wang)."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin

COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "令狐",
        "慕容",
        "尉迟",
        "长孙",
        "宇文",
        "公孙",
        "夏侯",
        "轩辕",
        "司徒",
        "端木",
        "西门",
        "南宫",
        "独孤",
        "澹台",
        "公羊",
        "万俟",
        "呼延",
        "申屠",
        "闻人",
        "赫连",
        "太史",
        "钟离",
    ]
)

# Surnames read differently from the characters' common reading.
_SURNAME_READINGS = {
    "单": "Shan",
    "曾": "Zeng",
    "解": "Xie",
    "仇": "Qiu",
    "查": "Zha",
    "朴": "Piao",
    "区": "Ou",
    "盖": "Ge",
    "缪": "Miao",
    "覃": "Qin",
    "召": "Shao",
    "乐": "Yue",
    "员": "Yun",
    "种": "Chong",
    "秘": "Bi",
    "尉迟": "Yuchi",
    "长孙": "Zhangsun",
    "万俟": "Moqi",
}


def surname_of(name: str) -> str:
    """The family name: the first character, two for a compound surname, the last word for
    a Latin-script name."""
    name = name.strip()
    if not name:
        return ""
    if name.isascii():
        return name.split()[-1]
    return name[:2] if name[:2] in COMPOUND_SURNAMES else name[0]


def romanise_surname(surname: str) -> str:
    """Pinyin of a Chinese surname, capitalised (``欧阳`` → ``Ouyang``)."""
    if surname.isascii():
        return surname
    if surname in _SURNAME_READINGS:
        return _SURNAME_READINGS[surname]
    return "".join(lazy_pinyin(surname, style=Style.NORMAL)).capitalize()


def greeting(name: str, gender: str, locale: str) -> str:
    """``王先生`` / ``王女士`` in Chinese, ``Mr Wang`` / ``Ms Wang`` in English."""
    surname = surname_of(name)
    if locale == "en":
        return f"{'Mr' if gender == 'M' else 'Ms'} {romanise_surname(surname)}"
    return surname + ("先生" if gender == "M" else "女士")
