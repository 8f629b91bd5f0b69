"""Collection plans read from what people have: an Excel/CSV 采集表, a DDL file, a JSON Schema
or OpenAPI document (JSON or YAML), or fields typed in the console.

A plan is a list of :class:`PlannedField` — the field's name (the header or column), what it is
said to mean (a comment, a description, the upper header of a merged one), the values a form
offers (data-validation lists, ``enum``) and a few sample values when the form carries example
rows. Sample values serve the classification only and are never stored.

Everything here is parsing of hostile input: size, sheets, columns and nesting are bounded, and
a file that cannot be read raises :class:`PlanError` with a Chinese message before anything is
written.

>>> plan = read_form("学生姓名\\n身份证号 | 居民身份证号码\\n")
>>> [(f.name, f.label) for f in plan.fields]
[('学生姓名', None), ('身份证号', '居民身份证号码')]
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import openpyxl
import xlrd
from openpyxl.worksheet.worksheet import Worksheet

from eduguard import exports
from eduguard.collection import yaml_safe
from eduguard.discovery.connectors.layout import find_table
from eduguard.discovery.ddl import parse_ddl
from eduguard.errors import ValidationFailed

MAX_PLAN_BYTES = 10 << 20  # a 采集表 or schema larger than this is not a plan
MAX_FIELDS = 500
MAX_ROWS = 2_000  # rows of a sheet read (the header and a few example rows matter)
MAX_SAMPLES = 5
MAX_CHOICES = 50
MAX_DEPTH = 6  # nesting of a JSON schema
MAX_UNCOMPRESSED = 100 << 20
_LIST_RANGE = re.compile(
    r"^'?(?P<sheet>[^'!]+)'?!\$?(?P<c1>[A-Z]+)\$?(?P<r1>\d+)(?::\$?(?P<c2>[A-Z]+)\$?(?P<r2>\d+))?$"
)


class PlanError(ValidationFailed):
    """A plan file that cannot be read: nothing is created from it."""


@dataclass
class PlannedField:
    name: str
    group: str  # the sheet, table or schema the field belongs to
    label: str | None = None  # comment, description, upper header
    choices: list[str] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)
    sql_type: str | None = None
    key: str = ""
    # where the field was read (a live schema's table.column): shown first among its evidence
    evidence: list[str] = field(default_factory=list)

    @property
    def comment(self) -> str | None:
        """What the discovery engine reads beside the name."""
        parts = [p for p in (self.label,) if p]
        if self.choices:
            parts.append("可选值：" + "、".join(self.choices[:MAX_CHOICES]))
        return "；".join(parts) or None


@dataclass
class Plan:
    source: str  # file name or "console"
    kind: str  # xlsx, xls, csv, ddl, openapi, jsonschema, form, live_schema
    fields: list[PlannedField] = field(default_factory=list)

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(f.group for f in self.fields))


def _fail(code: str, zh: str, en: str) -> PlanError:
    return PlanError(code, zh, en)


def _check_size(data: bytes, name: str) -> None:
    if not data:
        raise _fail("plan_empty", f"文件“{name}”为空", f"{name} is empty")
    if len(data) > MAX_PLAN_BYTES:
        raise _fail(
            "plan_too_large",
            f"文件“{name}”有 {len(data) / (1 << 20):.1f} MB，超过采集计划文件上限 "
            f"{MAX_PLAN_BYTES >> 20} MB（采集表只需表头和少量示例行）",
            f"{name} is larger than {MAX_PLAN_BYTES >> 20} MB",
        )


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _clean(text: str) -> str:
    return exports.escape_controls(text, keep="")


def _finish(plan: Plan) -> Plan:
    # Control characters (NUL, ESC …) of a file are shown escaped, never stored as they are.
    plan.source = _clean(plan.source)
    for item in plan.fields:
        item.name, item.group = _clean(item.name), _clean(item.group)
        item.label = _clean(item.label) if item.label is not None else None
        item.choices = [_clean(c) for c in item.choices]
        item.samples = [_clean(v) if isinstance(v, str) else v for v in item.samples]
    if not plan.fields:
        raise _fail(
            "plan_no_header",
            f"“{plan.source}”中没有找到表头行（字段名）：请确认第一行（或标题下的一行）填写了字段名",
            f"no header row found in {plan.source}",
        )
    if len(plan.fields) > MAX_FIELDS:
        raise _fail(
            "plan_too_many_fields",
            f"“{plan.source}”有 {len(plan.fields)} 个字段，超过上限 {MAX_FIELDS}",
            f"{plan.source} has more than {MAX_FIELDS} fields",
        )
    return plan


# ---------------------------------------------------------------- grids (Excel, CSV)


_GENERATED = re.compile(r"^column_\d+$")


def _grid_fields(
    rows: Sequence[Sequence[object]], group: str, choices: dict[int, list[str]] | None = None
) -> list[PlannedField]:
    """Fields of one grid: the header found by discovery's layout detection (title rows,
    two-row merged headers), a few example rows as samples."""
    grid = find_table(rows)
    if grid is None:
        return []
    out: list[PlannedField] = []
    header = grid.header_rows[-1] if grid.header_rows else 0
    upper = grid.header_rows[0] if len(grid.header_rows) > 1 else None
    for index, name in enumerate(grid.names):
        if _GENERATED.match(name):
            continue  # a blank header cell: not a field
        label = None
        if upper is not None and "/" in name:
            label = name.split("/", 1)[0]
        samples = [
            value
            for row in grid.rows[:MAX_SAMPLES]
            if index < len(row) and (value := row[index]) is not None
        ]
        out.append(
            PlannedField(
                name=name,
                group=group,
                label=label,
                choices=(choices or {}).get(index, []),
                samples=samples,
            )
        )
    del header
    return out


def _header_empty(rows: Sequence[Sequence[object]]) -> bool:
    first = next((row for row in rows if any(_text(c) for c in row)), None)
    return first is None


def _column_index(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def _list_values(book: Any, formula: str) -> list[str]:
    """The values of a list validation: inline (``"男,女"``) or a range of a sheet."""
    text = formula.strip()
    if text.startswith('"') and text.endswith('"'):
        return [v.strip() for v in text[1:-1].split(",") if v.strip()][:MAX_CHOICES]
    match = _LIST_RANGE.match(text.lstrip("="))
    if match is None or match["sheet"] not in book.sheetnames:
        return []
    sheet = book[match["sheet"]]
    c1, r1 = _column_index(match["c1"]), int(match["r1"])
    c2 = _column_index(match["c2"] or match["c1"])
    r2 = min(int(match["r2"] or r1), r1 + MAX_CHOICES)
    values: list[str] = []
    for row in sheet.iter_rows(min_row=r1, max_row=r2, min_col=c1, max_col=c2, values_only=True):
        values.extend(t for c in row if (t := _text(c)))
    return values[:MAX_CHOICES]


def _validations(book: Any, sheet: Worksheet) -> dict[int, list[str]]:
    """Column (0-based) → the values its list validation offers."""
    found: dict[int, list[str]] = {}
    for validation in sheet.data_validations.dataValidation:
        if validation.type != "list" or not validation.formula1:
            continue
        values = _list_values(book, str(validation.formula1))
        if not values:
            continue
        for cells in validation.sqref.ranges:
            for column in range(cells.min_col, cells.max_col + 1):
                found.setdefault(column - 1, values)
    return found


def _sheet_rows(sheet: Worksheet) -> list[list[object]]:
    rows: list[list[object]] = [
        list(row) for row in sheet.iter_rows(min_row=1, max_row=MAX_ROWS, values_only=True)
    ]
    for merged in sheet.merged_cells.ranges:  # every cell of a merged range holds its value
        if merged.min_row > len(rows):
            continue
        top = rows[merged.min_row - 1][merged.min_col - 1]
        for r in range(merged.min_row, min(merged.max_row, len(rows)) + 1):
            for c in range(merged.min_col, min(merged.max_col, len(rows[r - 1])) + 1):
                rows[r - 1][c - 1] = top
    return rows


def _zip_checked(data: bytes, name: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile as error:
        raise _corrupt(name, error) from error
    if total > MAX_UNCOMPRESSED:
        raise _fail(
            "plan_too_large",
            f"“{name}”解压后超过 {MAX_UNCOMPRESSED >> 20} MB，不作为采集表读取",
            f"{name} expands to more than {MAX_UNCOMPRESSED >> 20} MB",
        )


def _corrupt(name: str, error: Exception) -> PlanError:
    return _fail(
        "plan_unreadable",
        f"无法读取 Excel 文件“{name}”（文件损坏、加密，或不是 Excel 格式）",
        f"cannot read the Excel file {name}: {type(error).__name__}",
    )


def read_xlsx(data: bytes, name: str) -> Plan:
    _check_size(data, name)
    _zip_checked(data, name)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        raise _corrupt(name, error) from error
    plan = Plan(name, "xlsx")
    try:
        for sheet in book.worksheets:
            if sheet.sheet_state != "visible":
                continue  # hidden sheets hold the validation lists, not fields
            rows = _sheet_rows(sheet)
            if _header_empty(rows):
                continue
            fields = _grid_fields(rows, sheet.title, _validations(book, sheet))
            if len(fields) >= 2 or (fields and not plan.fields and sheet is book.worksheets[-1]):
                plan.fields.extend(fields)
    finally:
        book.close()
    return _finish(plan)


def read_xls(data: bytes, name: str) -> Plan:
    _check_size(data, name)
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True)
    except Exception as error:  # xlrd raises XLRDError, struct errors, … on a damaged file
        raise _corrupt(name, error) from error
    plan = Plan(name, "xls")
    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            if getattr(sheet, "visibility", 0):
                continue
            count = min(sheet.nrows, MAX_ROWS)
            rows: list[list[object]] = [list(sheet.row_values(r)) for r in range(count)]
            for r1, r2, c1, c2 in sheet.merged_cells:
                if r1 >= count:
                    continue
                top = rows[r1][c1]
                for r in range(r1, min(r2, count)):
                    for c in range(c1, min(c2, len(rows[r]))):
                        rows[r][c] = top
            rows = [[None if cell == "" else cell for cell in row] for row in rows]
            if _header_empty(rows):
                continue
            fields = _grid_fields(rows, sheet.name)
            if len(fields) >= 2 or not plan.fields:
                plan.fields.extend(fields)
    finally:
        book.release_resources()
    return _finish(plan)


def _decode(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _fail(
        "plan_encoding",
        f"无法识别“{name}”的文字编码（请另存为 UTF-8 或 GBK 编码的 CSV）",
        f"cannot decode {name}",
    )


def read_csv(data: bytes, name: str) -> Plan:
    _check_size(data, name)
    text = _decode(data, name)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        rows = []
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            rows.append([cell or None for cell in row])
            if len(rows) >= MAX_ROWS:
                break
    except csv.Error as error:
        raise _fail(
            "plan_unreadable", f"无法读取 CSV 文件“{name}”：{error}", f"bad CSV {name}"
        ) from error
    if not rows or not any(_text(c) for c in rows[0]):
        raise _fail(
            "plan_no_header",
            f"“{name}”的第一行（表头行）为空：请在第一行填写字段名",
            f"the first (header) row of {name} is empty",
        )
    stem = name.rsplit(".", 1)[0]
    return _finish(Plan(name, "csv", _grid_fields(rows, stem)))


# ---------------------------------------------------------------- DDL, JSON Schema, OpenAPI


def read_ddl(data: bytes, name: str) -> Plan:
    """CREATE TABLE statements (a migration file), read by discovery's DDL reader."""
    _check_size(data, name)
    text = _decode(data, name).removeprefix("\ufeff")
    parsed = parse_ddl(text, name)
    plan = Plan(name, "ddl")
    for table in parsed.tables:
        for column in table.columns:
            plan.fields.append(
                PlannedField(
                    name=column.name,
                    group=table.name,
                    label=column.comment,
                    sql_type=column.sql_type or None,
                    key=column.key,
                )
            )
    if not plan.fields:
        raise _fail(
            "plan_no_tables",
            f"“{name}”中没有可读取的 CREATE TABLE 语句",
            f"no CREATE TABLE statement in {name}",
        )
    return _finish(plan)


def _properties(
    schema: Any, prefix: str, group: str, document: dict[str, Any], depth: int
) -> Iterator[PlannedField]:
    if depth > MAX_DEPTH:
        raise _fail(
            "plan_too_deep", f"JSON 结构嵌套超过 {MAX_DEPTH} 层", "schema nested too deeply"
        )
    schema = _resolve(schema, document)
    if not isinstance(schema, dict):
        return
    if schema.get("type") == "array" or "items" in schema:
        yield from _properties(schema.get("items"), prefix, group, document, depth + 1)
        return
    for part in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(part) or []:
            yield from _properties(sub, prefix, group, document, depth + 1)
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return
    for key, sub in properties.items():
        name = f"{prefix}{key}"
        sub = _resolve(sub, document)
        if not isinstance(sub, dict):
            continue
        nested = sub.get("properties") or (
            isinstance(sub.get("items"), dict)
            and _mapping(_resolve(sub["items"], document)).get("properties")
        )
        if nested:
            yield from _properties(sub, f"{name}.", group, document, depth + 1)
            continue
        label = " ".join(
            str(sub[k]).strip() for k in ("title", "description") if isinstance(sub.get(k), str)
        )
        choices = [t for v in (sub.get("enum") or [])[:MAX_CHOICES] if (t := _text(v))]
        samples = [t for v in _examples(sub) if (t := _text(v))][:MAX_SAMPLES]
        yield PlannedField(
            name=name,
            group=group,
            label=label or None,
            choices=choices,
            samples=samples,
            sql_type=str(sub.get("format") or sub.get("type") or "") or None,
        )


def _examples(schema: dict[str, Any]) -> list[Any]:
    found: list[Any] = []
    if "example" in schema and not isinstance(schema["example"], dict | list):
        found.append(schema["example"])
    examples = schema.get("examples")
    if isinstance(examples, list):
        found.extend(e for e in examples if not isinstance(e, dict | list))
    return found


def _resolve(schema: Any, document: dict[str, Any], hops: int = 0) -> Any:
    """A local ``$ref`` (``#/components/schemas/Student``) followed, at most 10 hops."""
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and hops < 10:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            return {}
        target: Any = document
        for part in ref[2:].split("/"):
            target = (
                target.get(part.replace("~1", "/").replace("~0", "~"), {})
                if isinstance(target, dict)
                else {}
            )
        schema, hops = target, hops + 1
    return schema


def read_json(data: bytes, name: str) -> Plan:
    """An OpenAPI (3.x or Swagger 2) document's schemas, or a JSON Schema's properties."""
    _check_size(data, name)
    try:
        document = json.loads(_decode(data, name))
    except (json.JSONDecodeError, RecursionError) as error:
        raise _fail(
            "plan_unreadable",
            f"“{name}”不是有效的 JSON 文档：{error}",
            f"{name} is not valid JSON",
        ) from error
    return _schema_plan(document, name)


def read_yaml(data: bytes, name: str) -> Plan:
    """An OpenAPI or JSON Schema document written in YAML (``yaml_safe.load``: safe types only,
    a "billion laughs" or self-referencing alias refused before the document is built)."""
    _check_size(data, name)
    try:
        document = yaml_safe.load(_decode(data, name), name)
    except yaml_safe.YamlRefused as error:
        raise _fail(error.code, error.message_zh, error.message_en) from error
    return _schema_plan(document, name)


def _mapping(value: Any) -> dict[Any, Any]:
    """``value`` when it is a mapping, else empty (a document's parts may be anything)."""
    return value if isinstance(value, dict) else {}


def _schema_plan(document: Any, name: str) -> Plan:
    """The plan of a parsed OpenAPI document or JSON Schema (from JSON or YAML)."""
    if not isinstance(document, dict):
        raise _fail(
            "plan_unreadable",
            f"“{name}”不是 JSON Schema 或 OpenAPI 文档（最外层应为键值对象）",
            "not a schema",
        )
    if "openapi" in document or "swagger" in document:
        plan = Plan(name, "openapi")
        schemas = _mapping(_mapping(document.get("components")).get("schemas")) or _mapping(
            document.get("definitions")
        )
        for schema_name, schema in schemas.items():
            plan.fields.extend(_properties(schema, "", str(schema_name), document, 0))
        seen = {(f.group, f.name) for f in plan.fields}
        for path, operations in _mapping(document.get("paths")).items():
            for operation in _mapping(operations).values():
                if not isinstance(operation, dict):
                    continue
                body = _mapping(_mapping(operation.get("requestBody")).get("content"))
                for media in body.values() if isinstance(body, dict) else []:
                    schema = (media or {}).get("schema") if isinstance(media, dict) else None
                    if isinstance(schema, dict) and "$ref" not in schema:
                        for item in _properties(schema, "", str(path), document, 0):
                            if (item.group, item.name) not in seen:
                                plan.fields.append(item)
        return _finish(plan)
    plan = Plan(name, "jsonschema")
    group = str(document.get("title") or name.rsplit(".", 1)[0])
    plan.fields.extend(_properties(document, "", group, document, 0))
    return _finish(plan)


# ---------------------------------------------------------------- the console's form


def read_form(text: str, group: str = "表单") -> Plan:
    """Fields typed one a line: ``name`` or ``name | what it means | choice、choice``."""
    plan = Plan("console", "form")
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if not parts[0]:
            continue
        choices = [c for c in re.split(r"[、,，]", parts[2]) if c.strip()] if len(parts) > 2 else []
        plan.fields.append(
            PlannedField(
                name=parts[0][:200],
                group=group,
                label=(parts[1][:300] or None) if len(parts) > 1 else None,
                choices=[c.strip() for c in choices][:MAX_CHOICES],
            )
        )
    return _finish(plan)


READERS = {
    "xlsx": read_xlsx,
    "xlsm": read_xlsx,
    "xls": read_xls,
    "csv": read_csv,
    "txt": read_csv,
    "sql": read_ddl,
    "ddl": read_ddl,
    "json": read_json,
    "yaml": read_yaml,
    "yml": read_yaml,
}


def read_plan(data: bytes, name: str) -> Plan:
    """The plan a file describes, by its extension."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    reader = READERS.get(extension)
    if reader is None:
        raise _fail(
            "plan_kind_unknown",
            f"不支持的文件类型“{name}”：请上传 Excel（.xlsx/.xls）、CSV、DDL（.sql）或"
            " JSON Schema/OpenAPI（.json/.yaml/.yml）文件",
            f"unsupported plan file {name}",
        )
    return reader(data, name)
