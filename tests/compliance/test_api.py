"""The compliance API, console page and reports, through the app with real logins."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select

from eduguard.audit.models import AuditEvent
from eduguard.identity.models import Role


def setup_world(client: TestClient) -> dict[str, int]:
    county = client.post("/api/v1/units", json={"name": "戊县教育局", "kind": "county"}).json()
    ids = {"county": county["id"]}
    for key, name in (("a", "戊县一小"), ("b", "戊县二小")):
        unit = client.post(
            "/api/v1/units", json={"name": name, "kind": "school", "parent_id": county["id"]}
        ).json()
        ids[key] = unit["id"]
        system = client.post(
            "/api/v1/systems",
            json={
                "name": f"{name}家校 App",
                "unit_id": unit["id"],
                "storage_location": "overseas",
                "pi_subject_count": 800,
                "operator_name": "示例互联科技",
            },
        )
        assert system.status_code == 201, system.text
        ids[f"{key}_system"] = system.json()["id"]
    return ids


def test_scope_tasks_facts_and_reports(admin_client: TestClient, accounts: Any) -> None:
    ids = setup_world(admin_client)
    accounts.create("owner-a", {Role.data_owner}, unit_id=ids["a"])
    accounts.create("county-sup", {Role.supervisor}, unit_id=ids["county"])
    accounts.create("reader", {Role.data_user}, unit_id=ids["county"])

    evaluated = admin_client.post("/api/v1/compliance/evaluate", json={})
    assert evaluated.status_code == 200, evaluated.text
    assert evaluated.json()["new_findings"] >= 4

    # School A's data owner sees its own findings only, not school B's.
    accounts.login(admin_client, "owner-a")
    own = admin_client.get("/api/v1/compliance/findings").json()
    assert own and {f["unit_id"] for f in own} == {ids["a"]}
    assert {"N5-DOMESTIC-STORAGE", "N2-THIRD-PARTY-AGREEMENT"} <= {f["rule_id"] for f in own}
    assert admin_client.get(f"/api/v1/compliance/findings?unit_id={ids['b']}").status_code == 404
    assert (
        admin_client.get(f"/api/v1/systems/{ids['b_system']}/compliance-facts").status_code == 404
    )

    # Record the assessment (audited), re-evaluate the school: that finding is resolved.
    facts = admin_client.patch(
        f"/api/v1/systems/{ids['a_system']}/compliance-facts",
        json={
            "cross_border_assessment_ref": "示例评估〔2026〕9号",
            "cross_border_assessment_date": "2025-11-03",
        },
    )
    assert facts.status_code == 200 and facts.json()["updated_by"] == "owner-a"
    bad = admin_client.patch(
        f"/api/v1/systems/{ids['a_system']}/compliance-facts", json={"no_such_fact": True}
    )
    assert bad.status_code == 422
    again = admin_client.post("/api/v1/compliance/evaluate", json={"unit_id": ids["a"]}).json()
    assert again["resolved"] == 1
    resolved = admin_client.get("/api/v1/compliance/findings?status=resolved").json()
    assert [f["rule_id"] for f in resolved] == ["N5-DOMESTIC-STORAGE"]
    assert resolved[0]["task"]["status"] == "resolved"

    # Close the agreement task with a reason.
    agreement = next(f for f in own if f["rule_id"] == "N2-THIRD-PARTY-AGREEMENT")
    task_id = agreement["task"]["id"]
    no_reason = admin_client.patch(f"/api/v1/compliance/tasks/{task_id}", json={"action": "close"})
    assert no_reason.status_code == 422
    closed = admin_client.patch(
        f"/api/v1/compliance/tasks/{task_id}",
        json={"action": "close", "reason": "服务已停用，待注销"},
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["task"]["status"] == "closed"

    # The county's supervisor sees both schools, and exports the report in three formats.
    accounts.login(admin_client, "county-sup")
    both = admin_client.get("/api/v1/compliance/findings?status=open").json()
    assert {f["unit_id"] for f in both} == {ids["a"], ids["b"]}
    scores = admin_client.get("/api/v1/compliance/scores").json()
    assert {s["unit_id"] for s in scores} == {ids["county"], ids["a"], ids["b"]}
    assert (
        admin_client.patch(
            f"/api/v1/compliance/tasks/{task_id}", json={"action": "reopen"}
        ).status_code
        == 403
    )

    as_json = admin_client.get("/api/v1/compliance/report?format=json")
    assert as_json.status_code == 200
    document = json.loads(as_json.content)
    assert document["rules_version"] and document["scope"]
    entry = document["findings"][0]
    for key in ("rule_id", "clause", "severity", "unit", "system", "status"):
        assert key in entry
    assert len(document["findings"]) == len(admin_client.get("/api/v1/compliance/findings").json())

    as_html = admin_client.get(f"/api/v1/compliance/report?format=html&unit_id={ids['b']}")
    assert as_html.status_code == 200 and as_html.headers["content-type"].startswith("text/html")
    text = as_html.text
    assert "教育数据安全合规报告" in text and "N5-DOMESTIC-STORAGE" in text and "戊县二小" in text
    assert "戊县一小家校 App" not in text  # narrowed to school B

    as_pdf = admin_client.get("/api/v1/compliance/report?format=pdf")
    assert as_pdf.status_code == 200 and as_pdf.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(as_pdf.content))
    assert len(reader.pages) >= 1
    pdf_text = "".join(page.extract_text() for page in reader.pages)
    pdf_text = pdf_text.replace("\n", "").replace(" ", "")  # table cells wrap
    assert "教育数据安全合规报告" in pdf_text and "范围：戊县教育局" in pdf_text
    assert "N2-THIRD-PARTY-AGREEMENT" in pdf_text
    assert f"第1页/共{len(reader.pages)}页" in pdf_text and "单位（盖章）" in pdf_text
    day = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d")
    disposition = as_pdf.headers["content-disposition"]
    assert f"filename*=UTF-8''{quote(f'戊县教育局-合规报告-{day}.pdf')}" in disposition
    assert f'filename="compliance-report-{day}.pdf"' in disposition

    # Exports are audited, with the format and the row count.
    state = admin_client.app.state  # type: ignore[attr-defined]
    with state.session_factory() as session:
        exports = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "compliance.report.export")
        ).all()
        assert len(exports) == 3
        assert all(e.username == "county-sup" for e in exports)
        assert any("pdf" in (e.reason or "") for e in exports)

    # No compliance for a data user.
    accounts.login(admin_client, "reader")
    assert admin_client.get("/api/v1/compliance/findings").status_code == 403


def test_console_page_lists_findings_with_evidence_and_tasks(
    admin_client: TestClient, accounts: Any
) -> None:
    ids = setup_world(admin_client)
    accounts.create("owner-b", {Role.data_owner}, unit_id=ids["b"])
    accounts.login(admin_client, "owner-b")
    empty = admin_client.get("/compliance")
    assert empty.status_code == 200 and "暂无记录" in empty.text
    evaluated = admin_client.post(
        "/compliance/evaluate",
        data={"csrf_token": admin_client.headers["X-CSRF-Token"]},
        follow_redirects=False,
    )
    assert evaluated.status_code == 303
    page = admin_client.get("/compliance")
    assert page.status_code == 200
    assert "N5-DOMESTIC-STORAGE" in page.text and "数据存储于境外" in page.text
    assert "未登记数据使用和保密协议" in page.text and "关闭任务" in page.text
    assert "戊县一小" not in page.text
    admin_client.cookies.set("lang", "en")
    english = admin_client.get("/compliance")
    assert "Findings" in english.text and "Non-public data stays in China" in english.text
    admin_client.cookies.set("lang", "zh")
    form = admin_client.get(f"/compliance/systems/{ids['b_system']}")
    assert form.status_code == 200 and "个人信息保护负责人" in form.text
    saved = admin_client.post(
        f"/compliance/systems/{ids['b_system']}",
        data={
            "csrf_token": admin_client.headers["X-CSRF-Token"],
            "pi_officer_name": "周示例",
            "guardian_consent_recorded": "true",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    facts = admin_client.get(f"/api/v1/systems/{ids['b_system']}/compliance-facts").json()
    assert facts["pi_officer_name"] == "周示例" and facts["guardian_consent_recorded"] is True
    future = admin_client.post(
        f"/compliance/systems/{ids['b_system']}",
        data={
            "csrf_token": admin_client.headers["X-CSRF-Token"],
            "pi_officer_name": "吴示例",
            "last_security_audit_date": "2999-01-01",
        },
    )
    assert future.status_code == 422 and "晚于今天" in future.text
    unchanged = admin_client.get(f"/api/v1/systems/{ids['b_system']}/compliance-facts").json()
    assert unchanged["pi_officer_name"] == "周示例"  # bad input changes nothing
    assert admin_client.get(f"/compliance/systems/{ids['a_system']}").status_code == 404
