"""Share attributes: the rules hold and fail with a Chinese error that changes nothing; scope;
every change is audited; the generated open-data catalog and responsibility list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from eduguard.audit.models import AuditEvent
from eduguard.sharing.models import ShareSetting


def _settings(world: Any) -> int:
    with world.factory() as session:
        return int(session.scalar(select(func.count()).select_from(ShareSetting)) or 0)


def _put_dataset(world: Any, table: str, **body: Any) -> Any:
    return world.client.put(f"/api/v1/sharing/datasets/{world.datasets[table]}", json=body)


def _put_field(world: Any, name: str, **body: Any) -> Any:
    return world.client.put(f"/api/v1/sharing/fields/{world.fields[name]}", json=body)


def test_sensitive_or_childrens_fields_keep_a_dataset_from_being_unconditional(world: Any) -> None:
    world.login("owner1")
    refused = _put_dataset(world, "xs_jbxx", attribute="unconditional")
    assert refused.status_code == 422
    message = refused.json()["error"]["message"]
    assert "sfzh" in message and "xm" in message and "第二十三条" in message
    assert "第7项" in message
    assert _settings(world) == 0
    # naming only the ID card is not enough: the children's name is still open
    assert (
        _put_dataset(world, "xs_jbxx", attribute="unconditional", never_shared=["sfzh"]).status_code
        == 422
    )
    assert _settings(world) == 0


def test_a_sensitive_field_is_never_unconditional(world: Any) -> None:
    world.login("owner1")
    assert (
        _put_dataset(world, "xs_jbxx", attribute="conditional", conditions="须签订协议").status_code
        == 200
    )
    before = _settings(world)
    for name in ("xs_jbxx.sfzh", "xs_jbxx.xm"):
        refused = _put_field(world, name, attribute="unconditional")
        assert refused.status_code == 422
        assert "不得设为无条件共享" in refused.json()["error"]["message"]
    assert _settings(world) == before


def test_a_field_is_never_more_open_than_its_dataset(world: Any) -> None:
    world.login("owner1")
    unset = _put_field(world, "kc.kcm", attribute="conditional")
    assert unset.status_code == 422 and "请先设置数据集" in unset.json()["error"]["message"]
    assert _put_dataset(world, "kc", attribute="none").status_code == 200
    refused = _put_field(world, "kc.kcm", attribute="unconditional")
    assert refused.status_code == 422
    assert "更开放" in refused.json()["error"]["message"]
    assert _settings(world) == 1


def test_bad_input_is_a_chinese_error_and_changes_nothing(world: Any) -> None:
    world.login("owner1")
    no_conditions = _put_dataset(world, "kc", attribute="conditional")
    assert no_conditions.status_code == 422
    assert "共享条件" in no_conditions.json()["error"]["message"]
    unknown_field = _put_dataset(world, "kc", attribute="none", never_shared=["nope"])
    assert (
        unknown_field.status_code == 422
        and "不是数据集" in unknown_field.json()["error"]["message"]
    )
    bad_enum = _put_dataset(world, "kc", attribute="sometimes")
    assert bad_enum.status_code == 422
    assert _put_dataset(world, "kc", attribute="unconditional").status_code == 200
    masking = _put_field(world, "kc.kcm", attribute="conditional", masking="rot13")
    assert masking.status_code == 422
    assert "未知的脱敏要求" in masking.json()["error"]["message"]
    never = _put_field(world, "kc.kcm", attribute="conditional", never_shared=True)
    assert never.status_code == 422 and "永不共享" in never.json()["error"]["message"]
    assert _settings(world) == 1


def test_tightening_a_dataset_tightens_its_fields(published: Any) -> None:
    world = published
    tightened = _put_dataset(
        world,
        "xs_jbxx",
        attribute="conditional",
        conditions="须签协议",
        never_shared=["sfzh", "xm"],
    )
    assert tightened.status_code == 200
    by_name = {f["name"]: f for f in tightened.json()["fields"]}
    assert by_name["bj"]["attribute"] == "conditional"
    assert by_name["xh"]["attribute"] == "conditional"
    assert by_name["sfzh"]["attribute"] == "none" and by_name["sfzh"]["never_shared"]
    closed = _put_dataset(world, "xs_jbxx", attribute="none")
    assert {f["attribute"] for f in closed.json()["fields"]} == {"none"}
    # the never-shared list is replaced: left out, the mark goes, the field stays closed
    assert not any(f["never_shared"] for f in closed.json()["fields"])
    again = _put_dataset(world, "xs_jbxx", attribute="none", never_shared=["sfzh"])
    assert [f["name"] for f in again.json()["fields"] if f["never_shared"]] == ["sfzh"]


def test_only_the_owner_of_the_unit_sets_and_others_cannot_see(world: Any) -> None:
    world.login("owner2")  # another school's data owner
    assert _put_dataset(world, "kc", attribute="unconditional").status_code == 404
    assert world.client.get(f"/api/v1/sharing/datasets/{world.datasets['kc']}").status_code == 404
    assert world.client.get(f"/api/v1/sharing/units/{world.school}/open-catalog").status_code == 404
    assert world.client.get(f"/api/v1/sharing/units/{world.school}/datasets").status_code == 404
    world.login("pio1")  # reads, never sets
    assert world.client.get(f"/api/v1/sharing/units/{world.school}/datasets").status_code == 200
    assert _put_dataset(world, "kc", attribute="unconditional").status_code == 403
    world.login("user1")
    assert world.client.get(f"/api/v1/sharing/units/{world.school}/datasets").status_code == 403
    assert _settings(world) == 0
    world.login("sup1")  # the county's supervisor reads the schools below
    listed = world.client.get(f"/api/v1/sharing/units/{world.county}/datasets")
    assert listed.status_code == 200 and len(listed.json()) == 2


def test_every_change_is_audited_with_column_names_only(published: Any) -> None:
    world = published
    assert (
        _put_dataset(world, "kc", attribute="conditional", conditions="须签协议").status_code == 200
    )
    with world.factory() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "share_setting")
        ).all()
    actions = {e.action for e in events}
    assert {"share_setting.create", "share_setting.update"} <= actions
    assert all(e.username == "owner1" for e in events)
    assert "教务处 王老师" not in " ".join(str(v) for e in events for v in vars(e).values())


def test_open_catalog_and_responsibility_list_follow_the_attributes(published: Any) -> None:
    world = published
    catalog = world.client.get(f"/api/v1/sharing/units/{world.school}/open-catalog").json()
    assert {e["name"]: [f["name"] for f in e["fields"]] for e in catalog} == {
        "kc": ["kcm", "xf"],
        "xs_jbxx": ["bj"],
    }
    rows = world.client.get(f"/api/v1/sharing/units/{world.school}/responsibility-list").json()
    by_key = {(r["dataset"], r["field"]): r for r in rows}
    assert len(rows) == 2 + 2 + 4
    xh = by_key[("xs_jbxx", "xh")]
    assert (xh["attribute"], xh["masking"], xh["conditions"]) == (
        "conditional",
        "pseudonymise",
        "仅限核验",
    )
    assert by_key[("xs_jbxx", "sfzh")]["never_shared"] is True
    assert by_key[("xs_jbxx", None)]["responsible"] == "教务处 王老师"
    assert by_key[("kc", None)]["responsible"] == "庚县一小"  # the owning unit by default
    assert all(r["system"] == "一小学籍系统" for r in rows)
