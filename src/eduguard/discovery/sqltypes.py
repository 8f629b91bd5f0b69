"""Declared SQL types in one spelling, whichever way a source reports them.

The column model reads a column's declared type (``ty=varchar:20``); a type reaches it from a
DDL file, SQLite's DDL text, SQLAlchemy's reflection (``VARCHAR(18)``, ``TIMESTAMP WITHOUT TIME
ZONE``) or a JDBC driver (``varchar`` with size 18, ``int4``, ``bpchar``). They are all spelt
as the corpus mostly spells them: lower case, the usual MySQL name, and a length only where it
says something about the values (character and decimal types).

>>> canonical_sql_type("CHARACTER VARYING(32)"), canonical_sql_type("int(11) unsigned")
('varchar(32)', 'int')
>>> canonical_sql_type("bpchar", 18), canonical_sql_type("NUMERIC(5, 1)"), canonical_sql_type("")
('char(18)', 'decimal(5)', '')
"""

from __future__ import annotations

import re

_ALIASES = {
    "integer": "int", "int4": "int", "serial": "int", "serial4": "int", "mediumint": "int",
    "int8": "bigint", "bigserial": "bigint", "serial8": "bigint",
    "int2": "smallint", "smallserial": "smallint", "serial2": "smallint",
    "character varying": "varchar", "varchar2": "varchar", "nvarchar2": "nvarchar",
    "character": "char", "bpchar": "char", "nchar varying": "nvarchar",
    "double precision": "double", "float8": "double", "float4": "float", "real": "float",
    "numeric": "decimal", "number": "decimal", "bool": "bit", "boolean": "bit",
    "timestamp without time zone": "timestamp", "timestamp with time zone": "timestamp",
    "timestamptz": "timestamp", "time without time zone": "time", "time with time zone": "time",
    "timetz": "time", "bytea": "blob", "longtext": "text", "mediumtext": "text",
    "tinytext": "text", "clob": "text", "longblob": "blob", "mediumblob": "blob",
}  # fmt: skip
_LENGTHED = frozenset({"varchar", "char", "nvarchar", "nchar", "binary", "varbinary", "decimal"})
_MAX_LENGTH = 65_535  # a larger "length" is a driver's way of saying none (PostgreSQL text)
_TYPE = re.compile(r"^([^(]*)(?:\(\s*(\d+)[^)]*\))?(.*)$", re.S)
_MODIFIERS = re.compile(r"\b(?:unsigned|signed|zerofill|array)\b|\[\]")


def canonical_sql_type(declared: str, length: int | None = None) -> str:
    """``declared`` (with ``length`` when the source gives it apart) in the one spelling."""
    match = _TYPE.match(declared or "")
    if match is None:
        return (declared or "").strip().lower()
    base = " ".join(_MODIFIERS.sub(" ", match.group(1).lower()).split())
    rest = " ".join(_MODIFIERS.sub(" ", match.group(3).lower()).split())
    if rest.startswith(("without time zone", "with time zone", "varying")):
        base = f"{base} {rest}"
    base = _ALIASES.get(base, base)
    if match.group(2) is not None:
        length = int(match.group(2))
    if base in _LENGTHED and length is not None and 0 < length <= _MAX_LENGTH:
        return f"{base}({length})"
    return base
