"""DDL text read for columns: the parser (MySQL, PostgreSQL, SQLite) and a .sql file scanned alone."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from eduguard.discovery import api, ddl, sqltypes
from eduguard.discovery.connectors import open_source
from eduguard.discovery.connectors.ddlfile import SchemaTable
from eduguard.discovery.ddl import parse_ddl
from eduguard.discovery.sources import FailedTable

MYSQL_DUMP = """\
-- MySQL dump 10.13
/*!40101 SET NAMES utf8mb4 */;
-- ----------------------------
-- Table structure for t_xs
-- ----------------------------
DROP TABLE IF EXISTS `t_xs`;
CREATE TABLE `t_xs` (
  `stu_no` int(11) NOT NULL AUTO_INCREMENT,
  `xm` varchar(50) CHARACTER SET utf8mb4 DEFAULT NULL COMMENT '姓名',
  `c3` char(18) DEFAULT NULL COMMENT '身份证号',
  `je` decimal(10,2) DEFAULT '0.00' COMMENT '余额',
  `zt` tinyint(1) DEFAULT 1 COMMENT '状态：1 正常; 0 停用',
  PRIMARY KEY (`stu_no`),
  KEY `idx_xm` (`xm`)
) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4 COMMENT='学生信息';
INSERT INTO `t_xs` VALUES (1,'王晓雨','110105194912310029',0.00,1),(2,'a;b''c','x',1,0);
"""

POSTGRES_DUMP = """\
CREATE TABLE public.jz_xx (
    id bigint GENERATED ALWAYS AS IDENTITY,
    xh character varying(20) NOT NULL,
    c1 character varying(50),
    c2 text,
    rq timestamp without time zone DEFAULT now(),
    CONSTRAINT jz_xx_pkey PRIMARY KEY (xh)
);
COMMENT ON TABLE public.jz_xx IS '家长信息';
COMMENT ON COLUMN public.jz_xx.c1 IS '家长姓名';
COMMENT ON COLUMN jz_xx.c2 IS E'家庭住址\\n（现住）';
CREATE FUNCTION touch() RETURNS trigger AS $$ BEGIN NEW.rq := now(); RETURN NEW; END; $$
    LANGUAGE plpgsql;
COPY public.jz_xx (xh, c1, c2) FROM stdin;
2020001	陈静	CREATE TABLE fake (x int);
\\.
"""

SQLITE_DDL = """CREATE TABLE xs ( -- 学生基本信息
  id INTEGER PRIMARY KEY,  -- 主键
  -- 姓名
  xm TEXT,
  c3 TEXT /* 身份证号 */,
  bz TEXT -- 备注
)"""


def test_docstring_examples() -> None:
    for module in (ddl, sqltypes):
        assert doctest.testmod(module).failed == 0


def test_mysql_dump_columns_comments_types_and_keys() -> None:
    result = parse_ddl(MYSQL_DUMP, "dump.sql")
    assert result.problems == []
    [table] = result.tables
    assert (table.name, table.comment, table.line) == ("t_xs", "学生信息", 7)
    assert [(c.name, c.sql_type, c.comment, c.key) for c in table.columns] == [
        ("stu_no", "int(11)", None, "auto_increment"),
        ("xm", "varchar(50)", "姓名", ""),
        ("c3", "char(18)", "身份证号", ""),
        ("je", "decimal(10,2)", "余额", ""),
        ("zt", "tinyint(1)", "状态：1 正常; 0 停用", ""),
    ]


def test_postgresql_comment_on_identity_and_skipped_data() -> None:
    result = parse_ddl(POSTGRES_DUMP, "pg.sql")
    assert result.problems == []
    [table] = result.tables  # the CREATE TABLE inside COPY data is data, not a table
    assert (table.name, table.comment) == ("public.jz_xx", "家长信息")
    assert [(c.name, c.sql_type, c.comment, c.key) for c in table.columns] == [
        ("id", "bigint", None, "auto_increment"),
        ("xh", "character varying(20)", None, "primary"),
        ("c1", "character varying(50)", "家长姓名", ""),
        ("c2", "text", "家庭住址\n（现住）", ""),
        ("rq", "timestamp without time zone", None, ""),
    ]


def test_sqlite_comments_beside_and_above_columns() -> None:
    [table] = parse_ddl(SQLITE_DDL, sqlite=True).tables
    assert table.comment == "学生基本信息"
    assert [(c.name, c.comment, c.key) for c in table.columns] == [
        ("id", "主键", "auto_increment"),  # SQLite: INTEGER PRIMARY KEY is the rowid
        ("xm", "姓名", ""),
        ("c3", "身份证号", ""),
        ("bz", "备注", ""),
    ]
    # outside SQLite an INTEGER PRIMARY KEY is numbered by nobody
    assert parse_ddl(SQLITE_DDL).tables[0].columns[0].key == "primary"
    without_rowid = parse_ddl(SQLITE_DDL + " WITHOUT ROWID", sqlite=True).tables[0]
    assert without_rowid.columns[0].key == "primary"


@pytest.mark.parametrize(
    ("text", "kept", "message"),
    [
        ("CREATE TABLE a (x int /* 学号", [], "第 1 行有未结束的注释"),
        (
            "CREATE TABLE a (x int, y varchar(3);\nCREATE TABLE b (z int);",
            ["b"],
            "第 1 行起的表“a”定义括号不配对",
        ),
        (
            "CREATE TABLE ok (a int);\nCREATE TABLE b (z int COMMENT '学号);\nCREATE TABLE c (q int);",
            ["ok"],
            "第 2 行有未结束的字符串或带引号的名称",
        ),
        (
            "CREATE TABLE ok (a int);\nINSERT INTO ok VALUES ('abc",
            ["ok"],
            "第 2 行有未结束的字符串",
        ),
        ("CREATE TABLE ;", [], "CREATE TABLE 没有表名"),
        ("CREATE FUNCTION f() AS $body$ never closed", [], "未结束的 $body$ 引用"),
    ],
)
def test_broken_ddl_is_a_clear_problem_and_the_rest_is_kept(
    text: str, kept: list[str], message: str
) -> None:
    result = parse_ddl(text, "bad.sql")
    assert [table.name for table in result.tables] == kept
    [problem] = result.problems
    assert problem.code == "ddl_parse_error"
    assert problem.message_zh.startswith("“bad.sql”")
    assert message in problem.message_zh


def test_canonical_types_agree_across_sources() -> None:
    spell = sqltypes.canonical_sql_type
    # SQLAlchemy's PostgreSQL spelling and the JDBC driver's name and size: one spelling
    assert spell("CHARACTER VARYING(18)") == spell("varchar", 18) == "varchar(18)"
    assert spell("INTEGER") == spell("int4", 10) == spell("serial", 10) == "int"
    assert spell("TIMESTAMP WITHOUT TIME ZONE") == spell("timestamp", 29) == "timestamp"
    assert spell("TEXT") == spell("text", 2147483647) == "text"
    assert spell("CHAR(18)") == spell("bpchar", 18) == "char(18)"
    assert spell("int(11) unsigned") == "int"


def test_ddl_file_scanned_alone_gives_column_results(tmp_path: Path) -> None:
    path = tmp_path / "schema.sql"
    path.write_text(MYSQL_DUMP + POSTGRES_DUMP, encoding="utf-8")
    tables = {table.name: table for table in open_source(path)}
    assert sorted(tables) == ["schema.sql:public.jz_xx", "schema.sql:t_xs"]
    students = tables["schema.sql:t_xs"]
    assert isinstance(students, SchemaTable)
    assert students.column_types["c3"] == "char(18)"
    assert students.column_keys == {"stu_no": "auto_increment"}
    report = api.scan(path).to_dict()
    by_name = {table["name"]: table for table in report["tables"]}
    xs = by_name["schema.sql:t_xs"]
    assert (xs["comment"], xs["rows_sampled"], xs["row_count"]) == ("学生信息", 0, None)
    columns = {column["name"]: column for column in xs["columns"]}
    assert columns["c3"]["pi_types"] == ["CN_RESIDENT_ID"]
    assert columns["c3"]["comment"] == "身份证号"
    assert "列无非空值，仅凭列名/注释判断" in columns["c3"]["evidence"]
    assert columns["xm"]["pi_types"] == ["PERSON_NAME"]
    # stu_no would be a student number by its name; AUTO_INCREMENT says it is a surrogate key
    assert columns["stu_no"]["pi_types"] == []
    assert any("自增" in line for line in columns["stu_no"]["evidence"])
    parents = {column["name"]: column for column in by_name["schema.sql:public.jz_xx"]["columns"]}
    assert parents["c1"]["pi_types"] == ["PERSON_NAME"]  # c1: only its COMMENT ON says 姓名
    assert "ADDRESS" in parents["c2"]["pi_types"]


def test_comments_change_the_decision(tmp_path: Path) -> None:
    commented = tmp_path / "with.sql"
    commented.write_text(
        "CREATE TABLE t (c3 varchar(18) COMMENT '身份证号', c4 varchar(30) COMMENT '姓名');",
        encoding="utf-8",
    )
    bare = tmp_path / "without.sql"
    bare.write_text("CREATE TABLE t (c3 varchar(18), c4 varchar(30));", encoding="utf-8")
    found = {c.name: c.pi_types for c in api.scan(commented).tables[0].columns}
    assert found == {"c3": ["CN_RESIDENT_ID"], "c4": ["PERSON_NAME"]}
    assert {c.name: c.pi_types for c in api.scan(bare).tables[0].columns} == {"c3": [], "c4": []}


def test_broken_or_empty_ddl_files_are_reported_not_crashed(tmp_path: Path) -> None:
    broken = tmp_path / "broken.sql"
    broken.write_text("CREATE TABLE ok (xm varchar(20));\nCREATE TABLE bad (a int /* 学号", "utf-8")
    report = api.scan(broken)
    assert [table.name for table in report.tables] == ["broken.sql:ok", "broken.sql"]
    assert report.tables[0].columns[0].pi_types == ["PERSON_NAME"]
    assert report.tables[1].error == {
        "code": "ddl_parse_error",
        "message": "“broken.sql”第 2 行有未结束的注释",
    }
    queries = tmp_path / "queries.sql"
    queries.write_text("SELECT 1;\nUPDATE t SET a = 1;", encoding="utf-8")
    [failed] = list(open_source(queries))
    assert isinstance(failed, FailedTable)
    assert failed.error.code == "ddl_no_tables"
    empty = tmp_path / "empty.sql"
    empty.write_bytes(b"")
    [nothing] = list(open_source(empty))
    assert isinstance(nothing, FailedTable)
    assert nothing.error.code == "empty_file"


def test_gbk_ddl_in_a_folder_is_read(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "init.sql").write_bytes(
        "CREATE TABLE jg (gh varchar(10) COMMENT '教工号', lxdh varchar(11) COMMENT '联系电话');".encode(
            "gbk"
        )
    )
    [table] = api.scan(tmp_path).tables
    assert table.name == "db/init.sql:jg"
    found = {column.name: (column.comment, column.pi_types) for column in table.columns}
    assert found["gh"] == ("教工号", ["STAFF_NO"])
    assert found["lxdh"][0] == "联系电话"
    assert "MOBILE_PHONE" in found["lxdh"][1]


def test_leading_comment_names_the_table_and_data_strings_stay_data() -> None:
    text = """-- 学生基本信息表
CREATE TABLE xs (xm varchar(20), PRIMARY KEY);
INSERT INTO xs VALUES ('CREATE TABLE fake (sfzh char(18));'), ('x -- y');
-- ----------------------------
-- Table structure for jz
-- ----------------------------
CREATE TABLE jz (c1 varchar(20) /* 家长姓名 */);
"""
    result = parse_ddl(text)
    assert result.problems == []
    assert [(table.name, table.comment) for table in result.tables] == [
        ("xs", "学生基本信息表"),
        ("jz", None),  # dump decoration is nobody's comment
    ]
    assert result.tables[1].columns[0].comment == "家长姓名"


def _corpus_tables() -> dict[tuple[str, str], list[dict[str, str]]]:
    import csv

    from eduguard.discovery.model.corpus import corpus_path

    tables: dict[tuple[str, str], list[dict[str, str]]] = {}
    with corpus_path("real_columns.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            tables.setdefault((row["source_repo"], row["table"]), []).append(row)
    return tables


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@pytest.mark.parametrize("style", ["sqlite", "mysql", "postgresql"])
def test_every_real_comment_of_the_corpus_survives_its_ddl(style: str) -> None:
    """The corpus's 6,272 real columns (names, comments, declared types as their repositories
    wrote them) written as each dialect's DDL: every comment is read back, none invented."""
    statements, expected = [], {}
    for number, columns in enumerate(_corpus_tables().values()):
        table = f"t{number}"
        lines = []
        for index, row in enumerate(columns):
            comment = row["comment"].replace("\n", " ")
            declared = (
                row["sql_type"] if "(" in row["sql_type"] or " " not in row["sql_type"] else "text"
            )
            separator = "," if index < len(columns) - 1 else ""
            if style == "sqlite":
                note = f" -- {comment}" if comment else ""
                lines.append(f"  {_quoted(row['column'])} {declared or 'text'}{separator}{note}")
                comment = " ".join(comment.split())  # a line comment's spacing is not kept
            elif style == "mysql":
                note = f" COMMENT {_literal(comment)}" if comment else ""
                lines.append(f"  `{row['column']}` {declared or 'text'}{note}{separator}")
            else:
                lines.append(f"  {_quoted(row['column'])} {declared or 'text'}{separator}")
            expected[(table, row["column"].lower())] = comment or None
        statements.append(f"CREATE TABLE {table} (\n" + "\n".join(lines) + "\n);")
        if style == "postgresql":
            statements += [
                f"COMMENT ON COLUMN {table}.{_quoted(row['column'])} IS {_literal(row['comment'])};"
                for row in columns
                if row["comment"]
            ]
    result = parse_ddl("\n".join(statements), sqlite=style == "sqlite")
    assert result.problems == []
    found = {
        (table.name, column.name.lower()): column.comment
        for table in result.tables
        for column in table.columns
    }
    assert len(found) == len(expected) > 6000
    wrong = {key: (found[key], value) for key, value in expected.items() if found[key] != value}
    assert wrong == {}
