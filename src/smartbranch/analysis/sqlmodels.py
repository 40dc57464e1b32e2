"""SQL models: the analysis's statements, kept as ``.sql`` files in DuckDB's dialect.

A statement names its parameters as placeholders (``$as_of``, DuckDB's own syntax).
:func:`bind` parses it with SQLGlot and replaces each placeholder by a typed literal
built from a Python value (a date becomes ``CAST('2026-11-28' AS DATE)``, a ``Decimal`` a
``DECIMAL(18, 2)``): values are never pasted into SQL text, and a missing or unused
parameter is an error. The bound statement is DuckDB SQL that any engine accepts (Spark
transpiles it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path

import sqlglot
from sqlglot import exp

from smartbranch.analysis.engines.base import SOURCE_DIALECT

SQL_FOLDER = Path(__file__).with_name("sql")
MONEY_SQL_TYPE = "DECIMAL(18, 2)"
_MONEY_LIMIT = Decimal(10) ** 16

SqlValue = date | Decimal | int | bool | str


@cache
def load_sql(name: str) -> str:
    """The text of ``sql/<name>.sql``."""
    return (SQL_FOLDER / f"{name}.sql").read_text(encoding="utf-8")


def literal(value: SqlValue) -> exp.Expression:
    """A SQL literal of ``value`` with an explicit type where the engines could differ."""
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value) >= _MONEY_LIMIT:
            raise ValueError(f"not an amount of money: {value}")
        if value != value.quantize(Decimal("0.01")):
            raise ValueError(f"an amount has at most two decimals: {value}")
        return exp.cast(exp.Literal.number(str(value)), MONEY_SQL_TYPE)
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.Type.DATE)
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise TypeError(f"no SQL literal for {type(value).__name__}")


def bind(sql: str, parameters: Mapping[str, SqlValue]) -> str:
    """``sql`` (one DuckDB statement with ``$name`` placeholders) with every placeholder
    replaced by the literal of ``parameters[name]``; comments are dropped."""
    tree = sqlglot.parse_one(sql, read=SOURCE_DIALECT)
    used: set[str] = set()

    def replace(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder):
            name = node.name
            if name not in parameters:
                raise KeyError(f"SQL parameter ${name} has no value")
            used.add(name)
            return literal(parameters[name])
        return node

    bound = tree.transform(replace)
    unused = set(parameters) - used
    if unused:
        raise ValueError(f"parameters not used by the statement: {sorted(unused)}")
    return bound.sql(dialect=SOURCE_DIALECT, comments=False)


def render(name: str, parameters: Mapping[str, SqlValue]) -> str:
    """The model ``sql/<name>.sql`` bound to ``parameters``."""
    return bind(load_sql(name), parameters)
