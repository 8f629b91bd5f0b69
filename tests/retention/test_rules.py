"""Retention rules and exemptions through the API: a rule names a real column of the dataset,
respects the legal minimum, replaces an exemption; datasets with personal information and
neither are what compliance will report; every change is audited."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from eduguard.audit.models import AuditEvent
from eduguard.retention import flows
from eduguard.retention.models import RetentionRule
from eduguard.retention.periods import add_period

from .conftest import World, graduate_rule


def _events(world: World, action: str) -> list[AuditEvent]:
    with world.factory() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _uncovered(world: World, unit_id: int) -> set[str]:
    with world.factory() as session:
        return {d.name for d in flows.datasets_without_rule(session, unit_id)}


def test_a_rule_on_the_graduation_date_and_what_is_left_uncovered(world: World) -> None:
    # Before: both datasets with personal information lack a rule; the course table has none.
    assert _uncovered(world, world.school) == {"xs_biye", "cj"}
    assert _uncovered(world, world.county) == set()  # the county's own systems: none
    world.login("owner1")
    dataset = world.datasets["xs_biye"]
    saved = world.client.put(f"/api/v1/retention/datasets/{dataset}/rule", json=graduate_rule())
    assert saved.status_code == 200, saved.text
    rule = saved.json()
    assert rule["revision"] == 1 and rule["updated_by"] == "owner1"
    assert rule["summary"] == "自“biye_rq”起保存 3 年，期满后删除（法定最短 1 年）"
    state = world.client.get(f"/api/v1/retention/datasets/{dataset}").json()
    assert state["status"] == "rule"
    assert state["cutoff"] == add_period(date.today(), 3, "years", sign=-1).isoformat()
    [event] = _events(world, "retention.rule.save")
    assert event.username == "owner1" and "biye_rq" in (event.reason or "")
    assert "trigger_column" in event.field_list
    assert _uncovered(world, world.school) == {"cj"}

    # The same rule again changes nothing; a longer period is a new revision.
    again = world.client.put(f"/api/v1/retention/datasets/{dataset}/rule", json=graduate_rule())
    assert again.json()["revision"] == 1
    longer = world.client.put(
        f"/api/v1/retention/datasets/{dataset}/rule", json=graduate_rule(period_value=5)
    )
    assert longer.json()["revision"] == 2
    assert len(_events(world, "retention.rule.save")) == 2

    # An exemption with its reason covers the other one.
    exempt = world.client.put(
        f"/api/v1/retention/datasets/{world.datasets['cj']}/exemption",
        json={"reason": "成绩档案依法长期保存，随学籍档案移交"},
    )
    assert exempt.status_code == 200, exempt.text
    assert exempt.json()["status"] == "exempt"
    assert _uncovered(world, world.school) == set()
    listed = world.client.get(f"/api/v1/retention/units/{world.school}/datasets").json()
    assert {row["dataset"]: row["status"] for row in listed} == {
        "xs_biye": "rule",
        "cj": "exempt",
        "kc": "not_personal",
    }
    # A dataset with a rule cannot also be exempt; a rule replaces an exemption.
    refused = world.client.put(
        f"/api/v1/retention/datasets/{dataset}/exemption", json={"reason": "永久保存的档案"}
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "retention_rule_exists"
    rule_on_cj = graduate_rule(trigger="row_age", trigger_column="lr_sj", key_column=None)
    replaced = world.client.put(
        f"/api/v1/retention/datasets/{world.datasets['cj']}/rule", json=rule_on_cj
    )
    assert replaced.status_code == 200
    state = world.client.get(f"/api/v1/retention/datasets/{world.datasets['cj']}").json()
    assert state["status"] == "rule" and state["exemption"] is None


def test_bad_rules_are_refused_and_nothing_is_written(world: World) -> None:
    world.login("owner1")
    dataset = world.datasets["xs_biye"]
    url = f"/api/v1/retention/datasets/{dataset}/rule"
    cases = [
        (graduate_rule(trigger_column="rxrq"), "retention_column_not_in_dataset", "rxrq"),
        (graduate_rule(key_column="id"), "retention_column_not_in_dataset", "行键列"),
        (graduate_rule(period_value=6, period_unit="months"), "validation_failed", "短于法定"),
        (graduate_rule(trigger_column=None), "validation_failed", "日期列"),
        (graduate_rule(legal_basis=""), "validation_failed", "依据"),
        (graduate_rule(purpose_id=999), "retention_purpose_not_in_system", "处理目的"),
    ]
    for body, code, words in cases:
        refused = world.client.put(url, json=body)
        assert refused.status_code == 422, (body, refused.text)
        error = refused.json()["error"]
        assert error["code"] == code, error
        assert words in (error["message"] + str(error["details"])), error
    with world.factory() as session:
        assert session.scalars(select(RetentionRule)).all() == []
    assert _events(world, "retention.rule.save") == []
    event_rule = {
        "trigger": "event",
        "event_name": "学年结束",
        "event_date": "2020-07-31",
        "period_value": 2,
        "period_unit": "years",
        "disposition": "archive",
    }
    saved = world.client.put(url, json=event_rule)
    assert saved.status_code == 200, saved.text
    state = world.client.get(f"/api/v1/retention/datasets/{dataset}").json()
    assert state["cutoff"] == date.today().isoformat()  # the whole table has expired


def test_who_may_keep_rules_and_holds(world: World) -> None:
    dataset = world.datasets["xs_biye"]
    world.login("operator1")
    assert world.client.get(f"/api/v1/retention/datasets/{dataset}").status_code == 403
    world.login("sec1")
    put = world.client.put(f"/api/v1/retention/datasets/{dataset}/rule", json=graduate_rule())
    assert put.status_code == 403
    world.login("owner2")  # another school's owner does not see it at all
    assert world.client.get(f"/api/v1/retention/datasets/{dataset}").status_code == 404
    put = world.client.put(f"/api/v1/retention/datasets/{dataset}/rule", json=graduate_rule())
    assert put.status_code == 404
    hold = world.client.post(
        f"/api/v1/retention/datasets/{dataset}/holds",
        json={"kind": "litigation", "reason": "诉讼保全"},
    )
    assert hold.status_code == 404
    world.login("operator1")
    refused = world.client.post(
        f"/api/v1/retention/datasets/{dataset}/holds", json={"kind": "audit", "reason": "审计"}
    )
    assert refused.status_code == 403
