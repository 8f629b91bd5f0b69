"""The catalog through the API and console, as the roles that use it, on both databases."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from eduguard.audit.models import AuditEvent
from eduguard.catalog import jobs
from eduguard.identity.models import Role

from .conftest import make_school_db


def _factory(client: TestClient) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = client.app.state.session_factory  # type: ignore[attr-defined]
    return factory


def _work(client: TestClient) -> int:
    state = client.app.state  # type: ignore[attr-defined]
    return jobs.work(state.session_factory, once=True, progress_seconds=0.0)


def _setup(admin: TestClient, accounts: Any, tmp_path: Path) -> dict[str, Any]:
    county = admin.post("/api/v1/units", json={"name": "乙县教育局", "kind": "county"}).json()
    one = admin.post(
        "/api/v1/units", json={"name": "乙县一小", "kind": "school", "parent_id": county["id"]}
    ).json()
    two = admin.post(
        "/api/v1/units", json={"name": "乙县二小", "kind": "school", "parent_id": county["id"]}
    ).json()
    system = admin.post(
        "/api/v1/systems",
        json={"name": "一小学籍系统", "unit_id": one["id"], "user_unit_ids": [county["id"]]},
    ).json()
    other = admin.post(
        "/api/v1/systems", json={"name": "二小学籍系统", "unit_id": two["id"]}
    ).json()
    accounts.create("owner1", {Role.data_owner}, unit_id=one["id"])
    accounts.create("owner2", {Role.data_owner}, unit_id=two["id"])
    accounts.create("county-sup", {Role.supervisor}, unit_id=county["id"])
    accounts.create("secadmin", {Role.security_admin}, unit_id=county["id"])
    db = make_school_db(tmp_path / "school1.db")
    return {"county": county, "one": one, "two": two, "system": system, "other": other, "db": db}


def _scan_one(client: TestClient, accounts: Any, world: dict[str, Any]) -> None:
    accounts.login(client, "owner1")
    made = client.post(
        f"/api/v1/systems/{world['system']['id']}/sources",
        json={"name": "学籍库", "location": f"sqlite:///{world['db']}"},
    )
    assert made.status_code == 201, made.text
    queued = client.post(f"/api/v1/systems/{world['system']['id']}/scans", json={})
    assert queued.status_code == 202, queued.text
    assert [r["status"] for r in queued.json()] == ["queued"]
    assert _work(client) == 1


def test_scan_review_rescan_and_export(
    admin_client: TestClient, accounts: Any, tmp_path: Path
) -> None:
    client = admin_client
    world = _setup(client, accounts, tmp_path)
    _scan_one(client, accounts, world)
    runs = client.get("/api/v1/catalog/runs").json()
    assert runs[0]["status"] == "succeeded" and runs[0]["tables_done"] == 2

    fields = client.get("/api/v1/catalog/fields", params={"search": "xs_jbxx"}).json()
    by_name = {f["name"]: f for f in fields}
    assert by_name["lxdh"]["pi_types"] == ["MOBILE_PHONE"]
    name_field = by_name["xm"]

    # A correction with a reason; the decision is audited by field names, never values.
    corrected = client.post(
        f"/api/v1/catalog/fields/{name_field['id']}/review",
        json={
            "decision": "correct",
            "reason": "该列为学生姓名，按本校规定定为 4 级",
            "level": "general-4",
        },
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["level"] == "general-4"
    assert corrected.json()["review_status"] == "corrected"
    no_reason = client.post(
        f"/api/v1/catalog/fields/{name_field['id']}/review", json={"decision": "confirm"}
    )
    assert no_reason.status_code == 422

    # Bulk accept takes the confident pending proposals only.
    accepted = client.post("/api/v1/catalog/review/bulk-accept", json={"min_confidence": 0.9})
    assert accepted.status_code == 200
    pending = client.get("/api/v1/catalog/fields", params={"review_status": "proposed"}).json()
    assert accepted.json()["accepted"] >= 1
    assert all(f["confidence"] < 0.9 for f in pending)
    confirmed = client.get("/api/v1/catalog/fields", params={"review_status": "confirmed"}).json()
    assert {f["name"] for f in confirmed} >= {"lxdh"}

    # Re-scan with a new ID-number column: the correction survives, a finding is raised.
    make_school_db(world["db"], with_id_column=True)
    client.post(f"/api/v1/systems/{world['system']['id']}/scans", json={})
    assert _work(client) == 1
    after = client.get(f"/api/v1/catalog/fields/{name_field['id']}").json()
    assert after["level"] == "general-4"
    assert after["review_reason"] == "该列为学生姓名，按本校规定定为 4 级"
    assert after["review_status"] in ("corrected", "rereview")
    findings = client.get("/api/v1/catalog/changes", params={"findings_only": True}).json()
    assert [(c["field_name"], c["after"]) for c in findings] == [("sfzjh", "CN_RESIDENT_ID")]
    accounts.login(client, "secadmin")
    alerts = client.get("/api/v1/catalog/alerts").json()
    assert len(alerts) == 1 and "sfzjh" in alerts[0]["message"]
    assert "居民身份证号" in alerts[0]["message"] and "CN_RESIDENT_ID" not in alerts[0]["message"]

    with _factory(client)() as session:
        reviews = session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("catalog.review%"))
        ).all()
        assert any(e.action == "catalog.review.correct" for e in reviews)
        assert any(e.action == "catalog.review.bulk_confirm" for e in reviews)
        for event in reviews:
            assert set(event.field_list) <= {
                "review_status",
                "reviewed_pi_types",
                "reviewed_category",
                "reviewed_level",
                "sensitive",
            }

    # The supervisor exports the county's catalog; the export is audited.
    accounts.login(client, "county-sup")
    response = client.get("/api/v1/catalog/export", params={"format": "xlsx"})
    assert response.status_code == 200
    # Named for people: the county's name and the day (Beijing time), UTF-8 with a fallback.
    disposition = response.headers["content-disposition"]
    day = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d")
    assert f'filename="catalog-{day}.xlsx"' in disposition
    assert f"filename*=UTF-8''{quote(f'乙县教育局-数据资源目录-{day}.xlsx')}" in disposition
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["数据资源目录"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:5] == ("序号", "单位", "上级单位", "信息系统", "数据源")
    at = {name: index for index, name in enumerate(header)}
    items = {
        (r[at["数据集（表/文件）"]], r[at["数据项"]]): dict(zip(header, r, strict=True))
        for r in rows[1:]
    }
    assert len(items) == 6  # xs_jbxx: xh xm lxdh sfzjh; bj: bjbh bjmc
    sfz = items["xs_jbxx", "sfzjh"]
    assert sfz["信息系统"] == "一小学籍系统" and sfz["单位"] == "乙县一小"
    assert sfz["上级单位"] == "乙县教育局"
    # Display names, not codes (the JSON export keeps the codes).
    assert sfz["个人信息类型"] == "居民身份证号" and sfz["存储位置"] == "境内"
    assert sfz["数据分类"] and "." not in sfz["数据分类"]
    assert sfz["主管单位"] == "乙县一小" and sfz["使用单位"] == "乙县教育局"
    assert items["xs_jbxx", "xm"]["数据级别"] == "一般数据（4级）"
    # Office-ready: frozen header, a filter over the whole table, widths fitted to the text.
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(header))}{len(rows)}"
    assert sheet.cell(row=1, column=1).font.bold
    widths = {
        name: sheet.column_dimensions[get_column_letter(i + 1)].width for name, i in at.items()
    }
    assert widths["序号"] < widths["信息系统"]  # 4 vs 12 display columns (CJK counts two)
    assert widths["信息系统"] >= 2 * len("一小学籍系统")
    about = dict(book["说明"].iter_rows(min_row=2, values_only=True))
    assert about["范围"] == "乙县教育局" and "生成时间（北京时间）" in about
    assert all("UTC" not in str(key) for key in about)
    as_json = client.get("/api/v1/catalog/export", params={"format": "json"}).json()
    assert len(as_json["items"]) == 6
    codes = {(i["dataset"], i["field"]): i for i in as_json["items"]}
    assert codes["xs_jbxx", "sfzjh"]["pi_types"] == ["CN_RESIDENT_ID"]
    with _factory(client)() as session:
        exports = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "catalog.export", AuditEvent.row_count == 6
            )
        ).all()
        assert len(exports) == 2 and exports[0].username == "county-sup"


def test_a_correction_sets_sensitivity_and_it_survives_a_rescan(
    admin_client: TestClient, accounts: Any, tmp_path: Path
) -> None:
    """The pupils are under 14, so the scan marks their mobile-number column sensitive. The
    owner corrects it to "not personal information" (a school office number): the column is no
    longer sensitive, the dashboard counts follow, and a re-scan keeps the correction's flag."""
    client = admin_client
    world = _setup(client, accounts, tmp_path)
    make_school_db(world["db"], with_id_column=True)  # birth dates: the pupils are under 14
    _scan_one(client, accounts, world)
    fields = client.get("/api/v1/catalog/fields", params={"search": "lxdh"}).json()
    [phone] = [f for f in fields if f["name"] == "lxdh"]
    assert phone["sensitive"] and phone["minors"]
    before = client.get("/api/v1/dashboard").json()["totals"]["sensitive"]
    corrected = client.post(
        f"/api/v1/catalog/fields/{phone['id']}/review",
        json={"decision": "correct", "pi_types": [], "reason": "核实为学校办公室电话，非个人信息"},
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["sensitive"] is False and corrected.json()["pi_types"] == []
    assert client.get("/api/v1/dashboard").json()["totals"]["sensitive"] == before - 1
    with _factory(client)() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "catalog.review.correct")
        ).one()
        assert "sensitive" in event.field_list
    client.post(f"/api/v1/systems/{world['system']['id']}/scans", json={})
    assert _work(client) == 1
    again = client.get(f"/api/v1/catalog/fields/{phone['id']}").json()
    assert again["review_status"] == "corrected" and again["sensitive"] is False


def test_a_correction_cannot_grade_childrens_information_below_level_4(
    admin_client: TestClient, accounts: Any, tmp_path: Path
) -> None:
    """The pupils are under 14: their mobile-number column may not drop to 一般数据（1级）; the
    refusal says why in Chinese and changes nothing; correcting the types as well is allowed."""
    client = admin_client
    world = _setup(client, accounts, tmp_path)
    make_school_db(world["db"], with_id_column=True)
    _scan_one(client, accounts, world)
    fields = client.get("/api/v1/catalog/fields", params={"search": "lxdh"}).json()
    [phone] = [f for f in fields if f["name"] == "lxdh"]
    assert phone["minors"]
    url = f"/api/v1/catalog/fields/{phone['id']}/review"
    for level in ("general-1", "general-3"):
        refused = client.post(
            url, json={"decision": "correct", "level": level, "reason": "核实后降级处理"}
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["error"]["code"] == "level_below_floor"
        assert "不满十四周岁" in refused.json()["error"]["message"]
    unchanged = client.get(f"/api/v1/catalog/fields/{phone['id']}").json()
    assert unchanged["review_status"] == "proposed"
    kept = client.post(url, json={"decision": "correct", "level": "core", "reason": "从严"})
    assert kept.status_code == 200, kept.text
    cleared = client.post(
        url,
        json={"decision": "correct", "pi_types": [], "level": "general-1", "reason": "办公电话"},
    )
    assert cleared.status_code == 200, cleared.text


def test_the_security_admin_acknowledges_an_alert(
    admin_client: TestClient, accounts: Any, tmp_path: Path
) -> None:
    client = admin_client
    world = _setup(client, accounts, tmp_path)
    accounts.create("secadmin2", {Role.security_admin}, unit_id=world["two"]["id"])
    _scan_one(client, accounts, world)
    make_school_db(world["db"], with_id_column=True)  # a new ID-number column: an alert
    client.post(f"/api/v1/systems/{world['system']['id']}/scans", json={})
    assert _work(client) == 1
    [alert] = client.get("/api/v1/catalog/alerts").json()
    url = f"/api/v1/catalog/alerts/{alert['id']}/acknowledge"
    assert client.post(url, json={"note": "已核实"}).status_code == 403  # the data owner
    accounts.login(client, "secadmin2")  # another school's security administrator
    assert client.post(url, json={"note": "已核实"}).status_code == 404
    accounts.login(client, "secadmin")
    assert client.post(url, json={"note": "x"}).status_code == 422
    done = client.post(url, json={"note": "已核实，安排本周加密身份证号列"})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "acknowledged"
    assert client.get("/api/v1/catalog/alerts").json() == []
    assert [a["id"] for a in client.get("/api/v1/catalog/alerts?status=all").json()] == [
        alert["id"]
    ]
    assert client.post(url, json={"note": "再次确认"}).status_code == 409
    with _factory(client)() as session:
        [event] = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "catalog.alert.acknowledge")
        ).all()
        assert event.username == "secadmin" and "安排本周加密" in (event.reason or "")


def test_a_school_cannot_see_another_schools_catalog(
    admin_client: TestClient, accounts: Any, tmp_path: Path
) -> None:
    client = admin_client
    world = _setup(client, accounts, tmp_path)
    _scan_one(client, accounts, world)
    field = client.get("/api/v1/catalog/fields").json()[0]
    dataset_id = field["dataset_id"]
    source = client.get(f"/api/v1/systems/{world['system']['id']}/sources").json()[0]
    run = client.get("/api/v1/catalog/runs").json()[0]

    accounts.login(client, "owner2")
    assert client.get("/api/v1/catalog/fields").json() == []
    assert client.get("/api/v1/catalog/datasets").json() == []
    assert client.get("/api/v1/catalog/runs").json() == []
    for path in (
        f"/api/v1/catalog/fields/{field['id']}",
        f"/api/v1/catalog/datasets/{dataset_id}",
        f"/api/v1/catalog/sources/{source['id']}",
        f"/api/v1/catalog/runs/{run['id']}",
        f"/api/v1/systems/{world['system']['id']}/sources",
        f"/catalog/systems/{world['system']['id']}",
    ):
        assert client.get(path).status_code == 404, path
    review = client.post(
        f"/api/v1/catalog/fields/{field['id']}/review",
        json={"decision": "confirm", "reason": "不是本校的数据"},
    )
    assert review.status_code == 404
    scan = client.post(f"/api/v1/systems/{world['system']['id']}/scans", json={})
    assert scan.status_code == 404
    exported = client.get("/api/v1/catalog/export", params={"format": "json"}).json()
    assert exported["items"] == []
    # Their county sees both schools' catalogs.
    accounts.login(client, "county-sup")
    assert len(client.get("/api/v1/catalog/fields").json()) == 5


def test_sources_never_return_the_password(
    admin_client: TestClient, accounts: Any, tmp_path: Path
) -> None:
    client = admin_client
    world = _setup(client, accounts, tmp_path)
    accounts.login(client, "owner1")
    password = "Synthetic-Pa55-for-tests"
    made = client.post(
        f"/api/v1/systems/{world['system']['id']}/sources",
        json={"name": "教务库", "location": f"mysql+pymysql://jw:{password}@10.0.0.9/jw"},
    )
    assert made.status_code == 201
    assert password not in made.text and made.json()["has_password"] is True
    listed = client.get(f"/api/v1/systems/{world['system']['id']}/sources")
    assert password not in listed.text
    page = client.get(f"/catalog/systems/{world['system']['id']}")
    assert page.status_code == 200 and password not in page.text
    with _factory(client)() as session:
        dump = json.dumps(
            [list(row) for row in session.execute(text("SELECT * FROM catalog_sources"))],
            default=str,
        )
        assert password not in dump
        events = session.scalars(select(AuditEvent)).all()
        assert all(password not in (e.reason or "") + e.fields for e in events)
        assert any(e.action == "data_source.create" for e in events)
    # A data user may read the catalog but not manage sources.
    accounts.create("reader", {Role.data_user}, unit_id=world["one"]["id"])
    accounts.login(client, "reader")
    denied = client.post(
        f"/api/v1/systems/{world['system']['id']}/sources",
        json={"name": "x", "location": "/srv/data/x"},
    )
    assert denied.status_code == 403


def test_console_pages(admin_client: TestClient, accounts: Any, tmp_path: Path) -> None:
    client = admin_client
    world = _setup(client, accounts, tmp_path)
    accounts.login(client, "owner1")
    system_id = world["system"]["id"]
    token = client.headers["X-CSRF-Token"]
    added = client.post(
        f"/catalog/systems/{system_id}/sources",
        data={"csrf_token": token, "name": "学籍库", "location": f"sqlite:///{world['db']}"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    queued = client.post(
        f"/catalog/systems/{system_id}/scan", data={"csrf_token": token}, follow_redirects=False
    )
    assert queued.status_code == 303
    polling = client.get(f"/catalog/systems/{system_id}/runs")
    assert 'hx-trigger="every 2s"' in polling.text and "排队中" in polling.text
    _work(client)
    done = client.get(f"/catalog/systems/{system_id}/runs")
    assert "hx-trigger" not in done.text and "已完成" in done.text
    listing = client.get("/catalog", params={"q": "lxdh"})
    assert listing.status_code == 200 and "MOBILE_PHONE" in listing.text
    assert "<script>" not in listing.text and "style=" not in listing.text
    field_id = client.get("/api/v1/catalog/fields", params={"search": "lxdh"}).json()[0]["id"]
    form = client.get(f"/catalog/fields/{field_id}/review")
    assert form.status_code == 200 and "审核分类分级" in form.text
    bad = client.post(
        f"/catalog/fields/{field_id}/review",
        data={"csrf_token": token, "decision": "confirm", "reason": ""},
    )
    assert bad.status_code == 422 and "理由" in bad.text
    ok = client.post(
        f"/catalog/fields/{field_id}/review",
        data={"csrf_token": token, "decision": "confirm", "reason": "核对无误"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert client.get(f"/api/v1/catalog/fields/{field_id}").json()["review_status"] == "confirmed"
    home = client.get("/")
    assert 'href="/catalog"' in home.text
