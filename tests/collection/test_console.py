"""The console pages of collection reviews (in-process client, SQLite and PostgreSQL): a plan
uploaded as an Excel 采集表, its pre-checks with their clauses, the requester's forms, approval
refused while a check fails (and why), the steps decided by their roles, the system's 收集清单
and its export; a corrupt, empty or too large file gives a Chinese error and leaves nothing."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import openpyxl
from sqlalchemy import func, select

from eduguard.collection.models import CollectionPlan
from eduguard.identity.models import Role
from eduguard.processing import service as processing_service
from eduguard.processing.models import LegalBasis
from eduguard.processing.schemas import PurposeCreate
from eduguard.reviews.models import ReviewRequest

from .conftest import World
from .plans import OPENAPI_YAML


def workbook(header: list[str], title: str = "报名表") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(header)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csrf(world: World) -> dict[str, str]:
    return {"csrf_token": world.client.headers["X-CSRF-Token"]}


def new_review(world: World, files: dict[str, Any] | None = None, **fields: str) -> Any:
    data = {"system_id": str(world.app), "system_type": "jiaxiao_app", **fields} | csrf(world)
    return world.client.post("/collection/new", data=data, files=files, follow_redirects=False)


def plan_id_of(response: Any) -> int:
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/collection/(\d+)", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def post(world: World, path: str, data: dict[str, Any], **kw: Any) -> Any:
    return world.client.post(path, data=data | csrf(world), follow_redirects=False, **kw)


def field_ids(page: str) -> dict[str, int]:
    """Field name → id, from the review page's per-field inputs."""
    rows = re.findall(r'<tr data-field="([^"]+)">.*?name="justification_(\d+)"', page, re.S)
    return {name: int(i) for name, i in rows}


def reviews(world: World) -> int:
    with world.factory() as session:
        return session.scalar(select(func.count()).select_from(ReviewRequest)) or 0


def test_upload_complete_and_approve_in_the_console(world: World) -> None:
    client = world.client
    world.login("vendor")
    form = client.get("/collection/new")
    assert form.status_code == 200
    assert "家校通 App" in form.text  # the system is chosen by its name
    made = new_review(
        world,
        files={"plan": ("报名表.xlsx", workbook(["学生姓名", "家长手机号", "人脸照片"]))},
        purpose="家校沟通与刷脸进校",
    )
    plan_id = plan_id_of(made)
    page = client.get(f"/collection/{plan_id}")
    assert page.status_code == 200
    text = page.text
    for expected in ("最小必要", "敏感个人信息", "第4项", "第11项", "人脸照片", "照片"):
        assert expected in text, expected
    assert 'data-check="sensitive" data-status="fail"' in text
    assert 'data-check="retention" data-status="fail"' in text
    assert f'href="/api/v1/collection/reviews/{plan_id}/summary.xlsx"' in text
    ids = field_ids(text)
    assert set(ids) == {"学生姓名", "家长手机号", "人脸照片"}

    # submitted with the artefacts missing: the data owner's approval is refused, with why
    assert post(world, f"/collection/{plan_id}/submit", {}).status_code == 303
    world.login("owner")
    shown = client.get(f"/collection/{plan_id}").text
    assert 'id="decision-form"' in shown and 'id="blocking"' in shown
    refused = post(
        world, f"/collection/{plan_id}/decision", {"decision": "approve", "reason": "同意"}
    )
    assert refused.status_code == 422
    assert "以下预检未通过，不能同意" in refused.text and "敏感个人信息" in refused.text
    returned = post(
        world, f"/collection/{plan_id}/decision", {"decision": "return", "reason": "请补充材料"}
    )
    assert returned.status_code == 303

    # the requester completes the plan through the forms
    world.login("vendor")
    details = post(
        world,
        f"/collection/{plan_id}/details",
        {
            "purpose": "家校沟通与刷脸进校",
            "expected_subjects": "1200",
            "storage_location": "domestic",
            "necessity_argument": "校门通行需核验身份，人脸核验比刷卡更难冒用；已比较刷卡方案的不足。",
            "ethics_argument": "不用于考勤排名或商业用途，可选择刷卡替代",
            "retention_group": ["报名表"],
            "retention": ["学生毕业后 1 年删除"],
        },
    )
    assert details.status_code == 303, details.text
    bad = post(world, f"/collection/{plan_id}/details", {"expected_subjects": "-5"})
    assert bad.status_code == 422 and "预计收集人数" in bad.text
    fields = post(
        world,
        f"/collection/{plan_id}/fields",
        {f"justification_{ids['人脸照片']}": "刷脸进校，家长可选刷卡替代"},
    )
    assert fields.status_code == 303, fields.text
    no_file = post(
        world,
        f"/collection/{plan_id}/minutes",
        {"meeting_date": "2026-11-20", "meeting_attendees": "校长\n副校长"},
    )
    assert no_file.status_code == 422 and "请选择会议纪要文件" in no_file.text
    wrong = post(
        world,
        f"/collection/{plan_id}/minutes",
        {"meeting_date": "2026-11-20", "meeting_attendees": "校长\n副校长"},
        files={"minutes": ("纪要.exe", b"MZ")},
    )
    assert wrong.status_code == 422 and "不支持的会议纪要文件类型" in wrong.text
    minutes = post(
        world,
        f"/collection/{plan_id}/minutes",
        {"meeting_date": "2026-11-20", "meeting_attendees": "校长\n副校长\n办公室主任"},
        files={"minutes": ("校长办公会纪要.pdf", b"%PDF-1.4 minutes")},
    )
    assert minutes.status_code == 303, minutes.text
    with world.factory() as session, session.begin():
        processing_service.create_purpose(
            session,
            world.app,
            PurposeCreate(
                name="刷脸进校",
                legal_basis=LegalBasis.consent,
                sensitive_necessity="人脸用于校门身份核验，可选择刷卡替代",
            ),
        )
    page = client.get(f"/collection/{plan_id}").text
    assert 'data-status="fail"' not in page, re.findall(
        r'data-check="(\w+)" data-status="fail"', page
    )
    assert "校长办公会纪要.pdf" in page
    document = client.get(f"/collection/{plan_id}/minutes/document")
    assert document.status_code == 200 and document.content == b"%PDF-1.4 minutes"
    assert post(world, f"/collection/{plan_id}/submit", {}).status_code == 303

    # each step decided by its role; the requester never decides
    assert 'id="decision-form"' not in client.get(f"/collection/{plan_id}").text
    for who in ("owner", "secadmin", "pio"):
        world.login(who)
        done = post(
            world, f"/collection/{plan_id}/decision", {"decision": "approve", "reason": "材料齐全"}
        )
        assert done.status_code == 303, (who, done.text)
    listing = client.get("/collection").text
    assert f'data-review="{plan_id}"' in listing and "已批准" in listing

    # the system's 收集清单 and its export
    world.login("sup")
    system = client.get(f"/collection/systems/{world.app}")
    assert system.status_code == 200 and "人脸照片" in system.text
    exported = client.get(f"/collection/systems/{world.app}/export?format=xlsx")
    assert exported.status_code == 200 and exported.content[:2] == b"PK"
    sheet = openpyxl.load_workbook(io.BytesIO(exported.content)).active
    assert sheet is not None
    names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(["学生姓名", "家长手机号", "人脸照片"])  # type: ignore[type-var]
    as_csv = client.get(f"/collection/systems/{world.app}/export?format=csv")
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["字段组", "字段"] and len(rows) == 4
    assert "attachment" in as_csv.headers["content-disposition"]


def test_bad_plans_give_a_chinese_error_and_create_nothing(world: World) -> None:
    client = world.client
    world.login("vendor")
    cases = [
        ({"plan": ("采集表.xlsx", b"PK\x03\x04 not a workbook")}, {}, "损坏"),
        ({"plan": ("采集表.csv", b"\n\n,,\n")}, {}, "表头"),
        (None, {}, "请上传采集计划文件"),
        ({"plan": ("a.csv", "学生姓名\n".encode())}, {"form": "学生姓名"}, "只选择一种方式"),
        ({"plan": ("采集表.pdf", b"%PDF")}, {}, "不支持的文件类型"),
        ({"plan": ("api.yaml", b"openapi: 3.0.0\npaths: [\n")}, {}, "不是有效的 YAML 文档"),
        ({"plan": ("api.yml", b"- a\n- b\n")}, {}, "最外层应为键值对象"),
        (None, {"form": "学生姓名\x00"}, "控制字符"),
    ]
    for files, extra, message in cases:
        answer = new_review(world, files=files, **extra)
        assert answer.status_code == 422, (message, answer.status_code)
        assert message in answer.text, (message, re.findall(r"<li>(.*?)</li>", answer.text)[:3])
        assert 'id="new-review-form"' in answer.text  # the form again, to correct
    # above the plan limit but inside the request limit: the route says so
    limit = client.app.state.settings.max_upload_bytes  # type: ignore[attr-defined]
    big = b"a" * (limit + 1)
    answer = new_review(world, files={"plan": ("采集表.csv", big)})
    assert answer.status_code == 422 and f"超过 {limit >> 10} KB" in answer.text
    # a 50 MB upload is refused before it is read, with a page in Chinese
    huge = b"a" * (50 * 1024 * 1024)
    answer = new_review(world, files={"plan": ("采集表.xlsx", huge)})
    assert answer.status_code == 413
    assert answer.headers["content-type"].startswith("text/html")
    assert "上传的文件过大" in answer.text
    assert reviews(world) == 0
    with world.factory() as session:
        assert session.scalar(select(func.count()).select_from(CollectionPlan)) == 0


def test_openapi_yaml_uploaded_in_the_console(world: World) -> None:
    world.login("vendor")
    assert (
        'accept=".xlsx,.xls,.csv,.sql,.json,.yaml,.yml"' in world.client.get("/collection/new").text
    )
    made = new_review(world, files={"plan": ("家校通接口.yaml", OPENAPI_YAML.encode())})
    plan_id = plan_id_of(made)
    ids = field_ids(world.client.get(f"/collection/{plan_id}").text)
    assert {"name", "idCard", "guardian.phone"} <= set(ids)


def test_pages_declare_their_permission(world: World) -> None:
    client = world.client
    world.accounts.create("poster", {Role.data_user}, unit_id=world.school)  # posts notices
    world.login("sup")
    assert client.get("/collection").status_code == 200
    assert client.get("/collection/new").status_code == 403  # supervisors read only
    world.login("poster")
    assert client.get("/collection").status_code == 403
