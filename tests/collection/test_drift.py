"""Drift (part 4): after a scan updates the catalog, its personal fields that no approved
collection covers are 未经采集审核的数据项, each with the scan that found it; the finding
disappears once a review approving the field is decided, and a later scan that adds a field
raises it again for that field, naming that scan."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from eduguard.catalog import flows as catalog_flows
from eduguard.catalog import service as catalog_service
from eduguard.catalog.models import DataSource, RunStatus, ScanRun
from eduguard.collection import drift, flows, readers
from eduguard.collection.schemas import DecisionCreate, PlanCreate
from eduguard.db.base import utcnow

from .conftest import World, apply_catalog, column, table


def rescan(world: World, system_id: int, tables: list[dict[str, Any]]) -> int:
    """A second scan of the system's source (the catalog's next version): its run id."""
    with world.factory() as session, session.begin():
        source = session.scalars(select(DataSource).where(DataSource.system_id == system_id)).one()
        run = catalog_service.queue_run(session, source, requested_by="test")
        run.status, run.started_at, run.finished_at = RunStatus.succeeded, utcnow(), utcnow()
        catalog_flows.apply_run(session, run, {"report_version": 1, "tables": tables})
        return run.id


def uncovered(world: World) -> dict[str, drift.Uncovered]:
    with world.factory() as session:
        return {u.name: u for u in drift.uncovered(session, world.app)}


def approve(world: World, form: str) -> None:
    with world.factory() as session, session.begin():
        vendor = flows.person_of(session, "vendor")
        plan = flows.request(
            session,
            PlanCreate(
                system_id=world.app, system_type="jiaxiao_app", retention={"表单": "毕业后 1 年"}
            ),
            readers.read_form(form),
            vendor,
        )
        flows.submit(session, plan.id, vendor)
        plan_id = plan.id
    for who in ("owner", "secadmin"):
        with world.factory() as session, session.begin():
            flows.decide(
                session,
                plan_id,
                DecisionCreate(decision="approve", reason="同意收集"),
                flows.person_of(session, who),
            )


def test_unreviewed_catalog_fields_appear_and_disappear(world: World) -> None:
    first = [
        table(
            "jx_user",
            "家长用户",
            [
                column("xsxm", "学生姓名", ["PERSON_NAME"]),
                column("jzsj", "家长手机号", ["MOBILE_PHONE"]),
                column("bz", "备注", []),
            ],
        )
    ]
    apply_catalog(world.client, world.app, first)
    with world.factory() as session:
        run_id = session.scalars(select(ScanRun.id).where(ScanRun.system_id == world.app)).one()
    found = uncovered(world)
    assert set(found) == {"xsxm", "jzsj"}  # personal fields only: 备注 holds none
    assert found["jzsj"].run_id == run_id and found["jzsj"].version == 1
    assert found["jzsj"].reason == "未经采集审核批准" and found["jzsj"].found_at is not None
    with world.factory() as session:  # the first scan: what was collected before, no finding
        assert drift.unreviewed(drift.drift(session, [world.app])[world.app]) == []

    world.login("sup")
    page = world.client.get(f"/collection/systems/{world.app}")
    assert page.status_code == 200
    assert drift.FINDING in page.text and "jzsj" in page.text and f"扫描任务 {run_id}" in page.text
    listing = world.client.get("/collection").text
    assert f'data-system="{world.app}"' in listing

    approve(world, "学生姓名\n家长手机号\n")  # matched on the catalog's comments
    assert uncovered(world) == {}
    page = world.client.get(f"/collection/systems/{world.app}")
    assert 'id="drift-none"' in page.text and 'id="drift-table"' not in page.text

    # the next scan adds a field: the finding is back for it alone, naming that scan
    second = [
        table(
            "jx_user",
            "家长用户",
            [*first[0]["columns"], column("sfzh", "身份证号", ["CN_RESIDENT_ID"])],
        )
    ]
    later = rescan(world, world.app, second)
    found = uncovered(world)
    assert set(found) == {"sfzh"}
    assert found["sfzh"].run_id == later and found["sfzh"].version == 2
    with world.factory() as session:  # reviewed system: the compliance rule raises it
        raised = drift.unreviewed(drift.drift(session, [world.app])[world.app])
        assert [u.name for u in raised] == ["sfzh"] and raised[0].later_scan
    # …and a field whose types outgrow its approval is uncovered too
    third = [
        table(
            "jx_user",
            "家长用户",
            [
                column("xsxm", "学生姓名", ["PERSON_NAME"]),
                column("jzsj", "家长手机号", ["MOBILE_PHONE", "EMAIL"]),
            ],
        )
    ]
    rescan(world, world.app, third)
    found = uncovered(world)
    assert set(found) == {"jzsj"} and "不含以下类型" in found["jzsj"].reason
    assert "EMAIL" not in found["jzsj"].reason  # named, not coded


def test_compliance_covers_a_system_past_the_first_page(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Compliance asks for the drift of every system in scope at once. With pages of two
    fields, the county's 学籍 system (three personal fields, the lower id) fills the first page;
    the app, past it, still gets its N4-COLLECTION-REVIEW finding for the field a later scan
    added."""
    from eduguard.compliance import flows as compliance_flows
    from eduguard.compliance import snapshot as compliance_snapshot
    from eduguard.compliance.models import Finding

    monkeypatch.setattr(drift, "MAX_FIELDS", 2)
    first = [
        table(
            "jx_user",
            "家长用户",
            [
                column("xsxm", "学生姓名", ["PERSON_NAME"]),
                column("jzsj", "家长手机号", ["MOBILE_PHONE"]),
            ],
        )
    ]
    apply_catalog(world.client, world.app, first)
    wider = [
        {**first[0], "columns": [*first[0]["columns"], column("jtzz", "家庭住址", ["ADDRESS"])]}
    ]
    run_id = rescan(world, world.app, wider)
    assert world.xueji < world.app
    with world.factory() as session:
        found = drift.drift(session, [world.xueji, world.app])
        assert found[world.xueji].personal == 3 and found[world.app].personal == 3
        assert [u.name for u in drift.unreviewed(found[world.app])] == ["jtzz"]
        assert drift.unreviewed(found[world.app])[0].run_id == run_id
        snap = compliance_snapshot.snapshot(session, "/")
        app = next(s for s in snap.systems if s.id == world.app)
        assert app.unreviewed_fields == ["jx_user.jtzz（第 2 版目录的扫描发现）"]
    with world.factory() as session, session.begin():
        compliance_flows.evaluate(session, scope="/")
    with world.factory() as session:
        findings = session.scalars(
            select(Finding).where(Finding.rule_id == "N4-COLLECTION-REVIEW")
        ).all()
        assert [f.subject_key for f in findings] == [f"system:{world.app}"]
