"""Plan readers: what a 采集表, a GBK CSV, an .xls, a DDL file and an OpenAPI document plan to
collect; bad files get a clear Chinese error."""

from __future__ import annotations

import io

import openpyxl
import pytest

from eduguard.collection import readers
from eduguard.collection.flows import classify

from .plans import DDL, OPENAPI_YAML, TITLE, gbk_csv, openapi, xls_form, xlsx_form


def _by_name(plan: readers.Plan) -> dict[str, readers.PlannedField]:
    return {f.name: f for f in plan.fields}


def test_xlsx_with_title_merged_headers_validation_and_example_row() -> None:
    plan = readers.read_plan(xlsx_form(), "新生采集表.xlsx")
    fields = _by_name(plan)
    assert list(fields) == [
        "学生姓名",
        "身份证号",
        "民族",
        "家庭住址",
        "监护人/姓名",
        "监护人/手机号",
        "是否住校",
    ]
    assert TITLE not in fields  # the merged title row is not a field
    assert fields["监护人/手机号"].label == "监护人"
    assert fields["民族"].choices == ["汉族", "回族", "满族", "蒙古族"]  # list on a hidden sheet
    assert fields["是否住校"].choices == ["是", "否"]
    assert fields["身份证号"].samples == ["110105201405060022"]
    assert plan.groups == ["新生信息"]  # the hidden options sheet is not a field group


def test_classified_with_evidence() -> None:
    result = {c.planned.name: c for c in classify(readers.read_plan(xlsx_form(), "a.xlsx"))}
    assert result["身份证号"].pi_types == ["CN_RESIDENT_ID"]
    assert result["民族"].sensitive and result["民族"].pi_types == ["ETHNICITY"]
    assert result["监护人/手机号"].pi_types == ["MOBILE_PHONE"]
    assert result["家庭住址"].pi_types == ["ADDRESS"]
    assert result["是否住校"].pi_types == []
    assert any("身份证" in line for line in result["身份证号"].evidence)
    assert result["身份证号"].level == "general-4"


def test_gbk_csv() -> None:
    plan = readers.read_plan(gbk_csv(), "名单.csv")
    assert [f.name for f in plan.fields] == ["学生姓名", "身份证号", "家长手机号", "年级"]
    types = {c.planned.name: c.pi_types for c in classify(plan)}
    assert types["家长手机号"] == ["MOBILE_PHONE"]


def test_xls_with_merged_headers() -> None:
    plan = readers.read_plan(xls_form(), "采集表.xls")
    assert [f.name for f in plan.fields] == [
        "学生姓名",
        "监护人/姓名",
        "监护人/联系电话",
        "人脸照片",
    ]
    types = {c.planned.name: c for c in classify(plan)}
    assert types["人脸照片"].sensitive


def test_ddl_migration() -> None:
    plan = readers.read_plan(DDL.encode(), "V3__parent.sql")
    fields = _by_name(plan)
    assert fields["sfzh"].label == "身份证号" and fields["sfzh"].group == "jx_parent"
    types = {c.planned.name: c.pi_types for c in classify(plan)}
    assert types["sfzh"] == ["CN_RESIDENT_ID"]
    assert types["jtzz"] == ["ADDRESS"]
    assert types["id"] == []  # an auto-increment key is no personal information


def test_openapi_schemas_nested_and_refs() -> None:
    plan = readers.read_plan(openapi(), "api.json")
    assert plan.kind == "openapi"
    fields = _by_name(plan)
    assert set(fields) == {"name", "idCard", "guardian.mobile", "facePhoto", "grade"}
    assert fields["grade"].choices == ["一年级", "二年级"]
    types = {c.planned.name: c for c in classify(plan)}
    assert types["idCard"].pi_types == ["CN_RESIDENT_ID"]
    assert "MOBILE_PHONE" in types["guardian.mobile"].pi_types
    assert types["facePhoto"].sensitive


def test_console_form() -> None:
    plan = readers.read_form("身份证号\n家庭住址 | 家庭详细住址\n\n人脸照片 | 刷脸签到\n")
    assert [f.name for f in plan.fields] == ["身份证号", "家庭住址", "人脸照片"]


@pytest.mark.parametrize(
    ("data", "name", "code", "words"),
    [
        (b"PK\x03\x04 not really a workbook", "坏.xlsx", "plan_unreadable", "文件损坏"),
        (b"\xd0\xcf\x11\xe0 broken", "坏.xls", "plan_unreadable", "文件损坏"),
        (",,,\n王小雨,1,2,3\n".encode(), "空表头.csv", "plan_no_header", "表头行"),
        (b"", "empty.csv", "plan_empty", "为空"),
        (b"x" * (readers.MAX_PLAN_BYTES + 1), "big.csv", "plan_too_large", "超过"),
        (b"{not json", "api.json", "plan_unreadable", "JSON"),
        (b"SELECT 1;", "q.sql", "plan_no_tables", "CREATE TABLE"),
        (b"data", "plan.pdf", "plan_kind_unknown", "不支持"),
    ],
)
def test_bad_files_get_a_chinese_error(data: bytes, name: str, code: str, words: str) -> None:
    with pytest.raises(readers.PlanError) as caught:
        readers.read_plan(data, name)
    assert caught.value.code == code
    assert words in caught.value.message_zh


def test_empty_workbook_has_no_header() -> None:
    book = openpyxl.Workbook()
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(readers.PlanError) as caught:
        readers.read_plan(buffer.getvalue(), "空.xlsx")
    assert caught.value.code == "plan_no_header"


def test_control_characters_of_a_file_are_escaped() -> None:
    plan = readers.read_csv("姓名\x00,手机号\x1b\n张三,13800000000\n".encode(), "a\x00.csv")
    names = [f.name for f in plan.fields]
    assert names == ["姓名\\x00", "手机号\\x1b"] and plan.source == "a\\x00.csv"


def test_openapi_in_yaml() -> None:
    plan = readers.read_plan(OPENAPI_YAML.encode(), "jiaxiao-openapi.yaml")
    assert plan.kind == "openapi"
    fields = _by_name(plan)
    assert set(fields) >= {"name", "idCard", "guardian.guardianName", "guardian.phone", "grade"}
    assert fields["grade"].choices == ["一年级", "二年级", "三年级"]
    assert fields["idCard"].label == "身份证号"
    assert fields["reason"].group == "/api/v2/leave"  # an inline request body
    types = {c.planned.name: c for c in classify(plan)}
    assert types["idCard"].pi_types == ["CN_RESIDENT_ID"]
    assert "MOBILE_PHONE" in types["guardian.phone"].pi_types
    assert "PERSON_NAME" in types["name"].pi_types
    # the same document as .yml, and a JSON Schema in YAML
    assert [f.name for f in readers.read_plan(OPENAPI_YAML.encode(), "a.yml").fields] == [
        f.name for f in plan.fields
    ]
    schema = "title: 报名表\ntype: object\nproperties:\n  xm: {type: string, title: 学生姓名}\n"
    assert [f.name for f in readers.read_plan(schema.encode(), "form.yaml").fields] == ["xm"]


BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    + ["openapi: 3.0.0"]
)


@pytest.mark.parametrize(
    ("text", "code", "words"),
    [
        ("openapi: 3.0.0\ncomponents:\n  schemas: [\n", "plan_unreadable", "YAML"),
        ("openapi: 3.0.0\n\tbad: tab\n", "plan_unreadable", "YAML"),
        ("- openapi\n- 3.0.0\n", "plan_unreadable", "键值对象"),
        ("just a string\n", "plan_unreadable", "键值对象"),
        ("# only a comment\n", "plan_unreadable", "键值对象"),
        ("a: 1\n---\nb: 2\n", "plan_unreadable", "YAML"),
        ("a: !!python/object/apply:os.system ['true']\n", "plan_unreadable", "YAML"),
        (BOMB, "plan_yaml_alias", "展开后超过"),
        ("a: &x\n  - *x\n", "plan_yaml_alias", "循环"),
        ("[" * 5000 + "]" * 5000, "plan_unreadable", "YAML"),
        ("openapi: 3.0.0\ncomponents: [1, 2]\npaths: {'/a': nope}\n", "plan_no_header", "表头"),
    ],
)
def test_bad_yaml_gets_a_chinese_error(text: str, code: str, words: str) -> None:
    with pytest.raises(readers.PlanError) as caught:
        readers.read_plan(text.encode(), "api.yaml")
    assert caught.value.code == code, caught.value.message_zh
    assert words in caught.value.message_zh
