"""CREATE TABLE statements read for what they say about columns: names, types, keys, comments.

Schools' schemas keep the meaning of a column beside it: MySQL ``COMMENT '学号'``, PostgreSQL
``COMMENT ON COLUMN … IS '学号'``, and SQLite (which has no comments) the SQL comment written
after the column in its DDL, kept verbatim in ``sqlite_master.sql``::

    CREATE TABLE xs (
      id INTEGER PRIMARY KEY,  -- 主键
      xm TEXT,                 -- 姓名
      c3 TEXT /* 身份证号 */
    )

A comment on the line of a column definition belongs to that column; a comment on a line of its
own belongs to the next column (or, before ``CREATE TABLE`` or on its first line, to the table).
Both dialects' statements are parsed with one tokenizer; anything else in a file (INSERT, COPY
data, functions) is skipped. Auto-increment and primary-key columns are marked: a surrogate key
named ``student_id`` is not a student number.

>>> [table] = parse_ddl('''
... -- 学生基本信息
... CREATE TABLE `xs` (
...   `id` int(11) NOT NULL AUTO_INCREMENT,
...   `xm` varchar(50) COMMENT '姓名',
...   c3 varchar(18), -- 身份证号
...   PRIMARY KEY (`id`)
... ) ENGINE=InnoDB COMMENT='学生表';''').tables
>>> table.name, table.comment
('xs', '学生表')
>>> [(c.name, c.sql_type, c.comment, c.key) for c in table.columns]
[('id', 'int(11)', None, 'auto_increment'), ('xm', 'varchar(50)', '姓名', ''), ('c3', 'varchar(18)', '身份证号', '')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from eduguard.discovery.sources import SourceError

MAX_DDL_CHARS = 256 << 20  # a file larger than this is refused (a data dump, not a schema)


@dataclass
class DdlColumn:
    name: str
    sql_type: str = ""
    comment: str | None = None
    # "auto_increment" (AUTO_INCREMENT, serial, identity, SQLite's INTEGER PRIMARY KEY),
    # "primary" (a primary key column the database does not number itself) or ""
    key: str = ""


@dataclass
class DdlTable:
    name: str  # as written, schema-qualified if it was (``school.xs``)
    columns: list[DdlColumn] = field(default_factory=list)
    comment: str | None = None
    line: int = 0  # where its CREATE TABLE starts (1-based)


@dataclass
class DdlResult:
    tables: list[DdlTable] = field(default_factory=list)
    # statements that could not be read: (where, error); the other tables are still good
    problems: list[SourceError] = field(default_factory=list)


@dataclass
class _Token:
    kind: str  # word, quoted, string, number, punct, comment
    text: str
    line: int
    end_line: int


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<line>(?:--|\#)[^\n]*)
  | (?P<block>/\*.*?\*/)
  | (?P<string>[EeNn]?'(?:[^'\\]|\\.|'')*')
  | (?P<dquoted>"(?:[^"]|"")*")
  | (?P<bquoted>`(?:[^`]|``)*`)
  | (?P<squoted>\[[^\]\n]+\])
  | (?P<dollar>\$(?P<tag>[A-Za-z_]*)\$)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<word>[^\W\d]\w*|\w+)
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)
# a statement of data or code: skipped in one regex match up to its ``;``
_SKIP_TO_END = re.compile(
    r"""(?:[^;'"`]++|'(?:[^'\\]++|\\.|'')*+'|"(?:[^"]++|"")*+"|`[^`]*+`)*+;?""", re.S
)  # possessive: runs of text and whole strings, no backtracking over a data dump
_DATA_STATEMENTS = frozenset({"INSERT", "REPLACE", "UPDATE", "DELETE", "SELECT", "VALUES"})
_STOP_WORDS = frozenset(
    {
        "NOT", "NULL", "DEFAULT", "PRIMARY", "UNIQUE", "REFERENCES", "CHECK", "COMMENT",
        "AUTO_INCREMENT", "AUTOINCREMENT", "COLLATE", "CONSTRAINT", "GENERATED", "IDENTITY",
        "CHARSET", "ON", "KEY", "AS", "STORED", "VIRTUAL", "INVISIBLE", "VISIBLE",
    }
)  # fmt: skip
_CONSTRAINTS = frozenset(
    {
        "CONSTRAINT", "PRIMARY", "UNIQUE", "KEY", "INDEX", "FOREIGN", "CHECK", "FULLTEXT",
        "SPATIAL", "EXCLUDE", "LIKE", "PERIOD",
    }
)  # fmt: skip
_SERIAL = frozenset({"serial", "bigserial", "smallserial", "serial4", "serial8", "serial2"})
_DECORATION = re.compile(
    r"^[\s\-=*#~_.]*$|^\s*(?:table structure for|records of|dumping data)\b|^!\d", re.I
)


def _error(message_zh: str, message_en: str) -> SourceError:
    return SourceError("ddl_parse_error", message_zh, message_en)


class _Unterminated(SourceError):
    """The text cannot be read past ``offset``: everything before it still can."""

    def __init__(self, offset: int, message_zh: str, message_en: str) -> None:
        super().__init__("ddl_parse_error", message_zh, message_en)
        self.offset = offset


def _tokens(text: str, where: str) -> list[_Token]:
    """The text's tokens with their lines; raises ``ddl_parse_error`` for an unterminated
    comment, string or quoted name (the rest of the text cannot be read)."""
    tokens: list[_Token] = []
    position, line = 0, 1
    size = len(text)
    statement_start = True
    while position < size:
        if statement_start:
            head = re.match(r"\s*(\w+)", text[position : position + 64])
            if head and head.group(1).upper() in _DATA_STATEMENTS:
                skipped = _SKIP_TO_END.match(text, position)
                assert skipped is not None
                end = skipped.end()
                line += text.count("\n", position, end)
                position = end
                tokens.append(_Token("punct", ";", line, line))
                continue
        match = _TOKEN.match(text, position)
        assert match is not None  # ``punct`` takes any character
        kind = match.lastgroup or "punct"
        if kind == "tag":
            kind = "dollar"
        value = match.group(0)
        if kind == "punct" and (value in "'\"`" or text.startswith("/*", position)):
            what = "注释" if value == "/" else "字符串或带引号的名称"
            raise _Unterminated(
                position,
                f"{where}第 {line} 行有未结束的{what}",
                f"{where}: unterminated {'comment' if value == '/' else 'string or name'} "
                f"at line {line}",
            )
        end = match.end()
        if kind == "dollar":  # PostgreSQL $tag$ … $tag$ (function bodies): skipped whole
            closing = text.find(value, end)
            if closing < 0:
                raise _Unterminated(
                    position,
                    f"{where}第 {line} 行有未结束的 {value} 引用",
                    f"{where}: unterminated {value} quote at line {line}",
                )
            end = closing + len(value)
            value = ""
        lines = text.count("\n", position, end)
        if kind not in ("space", "dollar"):
            token_kind = {"line": "comment", "block": "comment", "dquoted": "quoted",
                          "bquoted": "quoted", "squoted": "quoted"}.get(kind, kind)  # fmt: skip
            tokens.append(_Token(token_kind, value, line, line + lines))
            if token_kind != "comment":  # noqa: S105 (a token kind)
                statement_start = value == ";"
        line += lines
        position = end
        if kind == "punct" and value == ";" and _copy_from_stdin(tokens):
            data_end = text.find("\n\\.", position)
            data_end = size if data_end < 0 else data_end + 3
            line += text.count("\n", position, data_end)
            position = data_end
    return tokens


def _copy_from_stdin(tokens: list[_Token]) -> bool:
    """Whether the statement just ended is PostgreSQL's ``COPY … FROM stdin`` (data follows)."""
    words: list[str] = []
    for index in range(len(tokens) - 2, -1, -1):  # back to the statement before
        token = tokens[index]
        if token.text == ";":
            break
        if token.kind == "word":
            words.append(token.text.upper())
    return bool(words) and words[-1] == "COPY" and "STDIN" in words


def _name(token: _Token) -> str:
    text = token.text
    if token.kind == "quoted":
        if text[0] == "[":
            return text[1:-1]
        return text[1:-1].replace(text[0] * 2, text[0])
    return text


def _string(token: _Token) -> str:
    text = token.text
    if text[0] in "EeNn":
        text = text[1:]
    body = text[1:-1].replace("''", "'")
    return re.sub(
        r"\\(.)", lambda match: {"n": "\n", "t": "\t"}.get(match.group(1), match.group(1)), body
    )


def _comment_text(token: _Token) -> str:
    text = token.text
    if text.startswith("/*"):
        return " ".join(text[2:-2].replace("*", " ").split())
    text = text[2:] if text.startswith("--") else text[1:]
    return " ".join(text.replace("*", " ").split()).strip()


def _is(token: _Token | None, *words: str) -> bool:
    return token is not None and token.kind == "word" and token.text.upper() in words


def _statements(tokens: list[_Token]) -> list[tuple[list[_Token], list[_Token]]]:
    """(leading comments, tokens) of every statement."""
    found: list[tuple[list[_Token], list[_Token]]] = []
    leading: list[_Token] = []
    current: list[_Token] = []
    for token in tokens:
        if token.kind == "punct" and token.text == ";":
            if current:
                found.append((leading, current))
            leading, current = [], []
        elif token.kind == "comment" and not current:
            leading.append(token)
        else:
            current.append(token)
    if current:
        found.append((leading, current))
    return found


def _readable_comments(comments: list[_Token]) -> str | None:
    texts = [_comment_text(token) for token in comments]
    kept = [text for text in texts if text and not _DECORATION.search(text)]
    return "；".join(kept) or None


def _qualified(tokens: list[_Token], index: int) -> tuple[str, int]:
    """A possibly dotted name starting at ``index``: (name, index after it)."""
    parts = [_name(tokens[index])]
    index += 1
    while index + 1 < len(tokens) and tokens[index].text == "." and tokens[index].kind == "punct":
        parts.append(_name(tokens[index + 1]))
        index += 2
    return ".".join(parts), index


def _split_elements(body: list[_Token]) -> list[list[_Token]]:
    """The table body's top-level elements (columns and constraints), comments kept."""
    elements: list[list[_Token]] = [[]]
    depth = 0
    for token in body:
        if token.kind == "punct" and token.text == "(":
            depth += 1
        elif token.kind == "punct" and token.text == ")":
            depth -= 1
        if depth == 0 and token.kind == "punct" and token.text == ",":
            elements[-1].append(token)  # the comma stays: comments after it are on its line
            elements.append([])
            continue
        elements[-1].append(token)
    return elements


def _column(element: list[_Token], sqlite: bool) -> DdlColumn | None:
    code = [token for token in element if token.kind != "comment"]
    if code and code[-1].kind == "punct" and code[-1].text == ",":
        code.pop()  # the separator after the element
    if not code or (code[0].kind == "word" and code[0].text.upper() in _CONSTRAINTS):
        return None
    if code[0].kind not in ("word", "quoted"):
        return None
    column = DdlColumn(_name(code[0]))
    type_parts: list[str] = []
    index = 1
    while index < len(code):
        token = code[index]
        if token.kind == "word" and token.text.upper() in _STOP_WORDS:
            break
        if _is(token, "CHARACTER") and _is(
            code[index + 1] if index + 1 < len(code) else None, "SET"
        ):
            break
        if token.kind == "punct" and token.text == "(":
            depth, group = 0, []
            while index < len(code):
                depth += (
                    {"(": 1, ")": -1}.get(code[index].text, 0) if code[index].kind == "punct" else 0
                )
                group.append(code[index].text)
                index += 1
                if depth == 0:
                    break
            type_parts[-1:] = [(type_parts[-1] if type_parts else "") + "".join(group)]
            continue
        if token.kind in ("word", "number") or (token.kind == "punct" and token.text in "[]"):
            type_parts.append(token.text)
        index += 1
    column.sql_type = " ".join(type_parts)
    words = [token.text.upper() for token in code[index:] if token.kind == "word"]
    base = column.sql_type.split("(")[0].split(" ")[0].lower()
    primary = "PRIMARY" in words
    if "AUTO_INCREMENT" in words or "AUTOINCREMENT" in words or "IDENTITY" in words:
        column.key = "auto_increment"
    elif base in _SERIAL or (sqlite and primary and base == "integer"):
        column.key = "auto_increment"  # SQLite: INTEGER PRIMARY KEY is the rowid
    elif primary:
        column.key = "primary"
    for position, token in enumerate(code[index:], start=index):
        if _is(token, "COMMENT"):
            following = code[position + 1 : position + 3]
            literal = next((t for t in following if t.kind == "string"), None)
            if literal is not None:
                column.comment = _string(literal) or None
    return column


def _attach_comments(elements: list[list[_Token]], columns: list[DdlColumn | None]) -> None:
    """SQL comments inside the body: to the element on their line, else to the next one.

    A comment after the last column, on a line of its own, is nobody's."""
    found: list[list[str]] = [[] for _ in elements]
    pending: list[str] = []
    owner, previous_line = -1, -1
    for index, element in enumerate(elements):
        for token in element:
            if token.kind != "comment":
                if pending:
                    found[index].extend(pending)
                    pending = []
                owner, previous_line = index, token.end_line
                continue
            text = _comment_text(token)
            if not text or _DECORATION.search(text):
                continue
            if owner >= 0 and previous_line == token.line:
                found[owner].append(text)
            else:
                pending.append(text)
    for column, texts in zip(columns, found, strict=True):
        if column is not None and texts and column.comment is None:
            column.comment = "；".join(texts)


def _create_table(leading: list[_Token], tokens: list[_Token], sqlite: bool) -> DdlTable | None:
    index = 1
    while index < len(tokens) and not _is(tokens[index], "TABLE"):
        if not _is(tokens[index], "OR", "REPLACE", "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL",
                   "LOCAL", "VIRTUAL", "EXTERNAL", "TRANSIENT"):  # fmt: skip
            return None  # CREATE VIEW, INDEX, FUNCTION …
        index += 1
    index += 1
    if _is(tokens[index] if index < len(tokens) else None, "IF"):
        index += 3  # IF NOT EXISTS
    if index >= len(tokens) or tokens[index].kind not in ("word", "quoted"):
        raise _error(
            f"第 {tokens[0].line} 行的 CREATE TABLE 没有表名",
            f"CREATE TABLE without a table name at line {tokens[0].line}",
        )
    name, index = _qualified(tokens, index)
    table = DdlTable(name=name, line=tokens[0].line)
    if index >= len(tokens) or tokens[index].text != "(":
        return None  # CREATE TABLE … AS SELECT / LIKE / PARTITION OF: no columns written out
    depth, end = 0, index
    for end in range(index, len(tokens)):
        token = tokens[end]
        if token.kind == "punct" and token.text in "()":
            depth += 1 if token.text == "(" else -1
            if depth == 0:
                break
    if depth != 0:
        raise _error(
            f"第 {tokens[0].line} 行起的表“{name}”定义括号不配对（语句不完整）",
            f"the definition of {name} at line {tokens[0].line} has unbalanced parentheses",
        )
    body = tokens[index + 1 : end]
    first_line = tokens[index].line
    opening = [t for t in body if t.kind == "comment" and t.line == first_line]
    head = [t for t in body if t.kind != "comment"][:1]
    if opening and (not head or head[0].line != first_line):  # ``CREATE TABLE xs ( -- 学生``
        body = [t for t in body if t not in opening]
    else:
        opening = []  # on the first column's line: that column's
    elements = _split_elements(body)
    columns = [_column(element, sqlite) for element in elements]
    _attach_comments(elements, columns)
    table.columns = [column for column in columns if column is not None]
    primary_keys = _table_primary_key(elements)
    for column in table.columns:
        if column.name.lower() in primary_keys and not column.key:
            sole = len(primary_keys) == 1
            column.key = (
                "auto_increment"
                if sqlite and sole and column.sql_type.lower() == "integer"
                else "primary"
            )
    options = tokens[end + 1 :]
    for position, token in enumerate(options):
        if _is(token, "COMMENT"):
            literal = next(
                (t for t in options[position + 1 : position + 3] if t.kind == "string"), None
            )
            if literal is not None:
                table.comment = _string(literal) or None
        if sqlite and _is(token, "ROWID") and position and _is(options[position - 1], "WITHOUT"):
            for column in table.columns:  # no rowid: its INTEGER PRIMARY KEY is a plain key
                column.key = "primary" if column.key else ""
    if table.comment is None:
        table.comment = _readable_comments(opening) or _readable_comments(leading[-3:])
    return table


def _table_primary_key(elements: list[list[_Token]]) -> set[str]:
    for element in elements:
        code = [t for t in element if t.kind != "comment"]
        words = [t.text.upper() for t in code if t.kind == "word"]
        if (
            "PRIMARY" in words
            and code
            and (code[0].kind == "word" and code[0].text.upper() in ("PRIMARY", "CONSTRAINT"))
        ):
            start = next((i for i, t in enumerate(code) if t.text == "("), None)
            if start is None:  # ``PRIMARY KEY`` without its columns: nothing to mark
                return set()
            return {
                _name(t).lower()
                for t in code[start:]
                if t.kind in ("word", "quoted") and t.text.upper() not in ("ASC", "DESC")
            }
    return set()


def _comment_on(tokens: list[_Token]) -> tuple[str, str, str | None] | None:
    """``COMMENT ON TABLE|COLUMN name IS '…'`` as (kind, name, text)."""
    if len(tokens) < 5 or not _is(tokens[1], "ON") or not _is(tokens[2], "TABLE", "COLUMN"):
        return None
    name, index = _qualified(tokens, 3)
    if index + 1 >= len(tokens) or not _is(tokens[index], "IS"):
        return None
    literal = tokens[index + 1]
    text = _string(literal) if literal.kind == "string" else None
    return tokens[2].text.upper(), name, text or None


class _Index:
    """Tables by name, schema-qualified or not (a short name shared by two schemas: neither)."""

    def __init__(self, tables: list[DdlTable]) -> None:
        self.full: dict[str, DdlTable] = {}
        short: dict[str, list[DdlTable]] = {}
        for table in tables:
            lowered = table.name.lower()
            self.full.setdefault(lowered, table)
            short.setdefault(lowered.rsplit(".", 1)[-1], []).append(table)
        self.short = {name: found[0] for name, found in short.items() if len(found) == 1}

    def find(self, name: str) -> DdlTable | None:
        lowered = name.lower()
        return self.full.get(lowered) or self.short.get(lowered.rsplit(".", 1)[-1])


def parse_ddl(text: str, where: str = "", *, sqlite: bool = False) -> DdlResult:
    """Every CREATE TABLE of ``text`` with its columns, and the COMMENT ON statements applied.

    ``sqlite``: SQLite semantics (``INTEGER PRIMARY KEY`` is an auto-numbered rowid). A broken
    statement becomes one of the result's ``problems``; an unterminated comment or string ends
    the reading there (the tables before it are kept).
    """
    prefix = f"“{where}”" if where else "DDL "
    result = DdlResult()
    if len(text) > MAX_DDL_CHARS:
        result.problems.append(
            SourceError(
                "ddl_too_large",
                f"{prefix}超过 {MAX_DDL_CHARS >> 20} MB，不作为表结构文件读取",
                f"{where or 'the DDL'} is larger than {MAX_DDL_CHARS >> 20} MB",
            )
        )
        return result
    try:
        tokens = _tokens(text, prefix)
    except _Unterminated as error:
        result.problems.append(error)
        tokens = _tokens(text[: error.offset], prefix)
        ends = [index for index, token in enumerate(tokens) if token.text == ";"]
        tokens = tokens[: ends[-1] + 1] if ends else []  # the broken statement is left out
    comments_on: list[tuple[str, str, str | None]] = []
    for leading, statement in _statements(tokens):
        if _is(statement[0], "CREATE"):
            try:
                table = _create_table(leading, statement, sqlite)
            except SourceError as error:
                error.message_zh = f"{prefix}{error.message_zh}"
                result.problems.append(error)
                continue
            if table is not None:
                result.tables.append(table)
        elif _is(statement[0], "COMMENT"):
            found = _comment_on(statement)
            if found is not None:
                comments_on.append(found)
    index = _Index(result.tables)
    for kind, name, text_value in comments_on:
        if kind == "TABLE":
            table = index.find(name)
            if table is not None:
                table.comment = text_value
            continue
        table_name, _, column_name = name.rpartition(".")
        table = index.find(table_name) if table_name else None
        for column in table.columns if table is not None else []:
            if column.name.lower() == column_name.lower():
                column.comment = text_value
    return result
