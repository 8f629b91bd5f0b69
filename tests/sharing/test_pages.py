"""The Excel exports open in openpyxl with the right rows; the public open-data page needs no
session and shows only 无条件共享 items; the console pages load for each role that has them;
a bad form is a Chinese error and changes nothing."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select

from eduguard.audit.models import AuditEvent
from eduguard.sharing.models import ShareSetting


def _sheet(content: bytes, title: str) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    assert book.sheetnames == [title, "说明"]
    return [tuple(row) for row in book[title].iter_rows(values_only=True)]


def test_open_catalog_workbook_lists_only_open_items(published: Any) -> None:
    world = published
    response = world.client.get(f"/api/v1/sharing/units/{world.school}/open-catalog.xlsx")
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    rows = _sheet(response.content, "数据开放目录")
    assert rows[0][:3] == ("序号", "信息系统", "数据集")
    items = {(r[2], r[5]) for r in rows[1:]}
    assert items == {("kc", "kcm"), ("kc", "xf"), ("xs_jbxx", "bj")}
    text = " ".join(str(c) for r in rows for c in r)
    assert "sfzh" not in text and "xm" not in text.replace("xs_jbxx", "") and "学号" not in text


def test_responsibility_list_workbook(published: Any) -> None:
    world = published
    response = world.client.get(f"/api/v1/sharing/units/{world.school}/responsibility-list.xlsx")
    assert response.status_code == 200
    rows = _sheet(response.content, "数据共享责任清单")
    header = rows[0]
    assert header[9] == "共享属性" and header[11] == "脱敏要求"
    body = {(r[5], r[6]): r for r in rows[1:]}
    assert len(body) == 8
    xh = body[("xs_jbxx", "xh")]
    assert (xh[9], xh[10], xh[11]) == ("有条件共享", "仅限核验", "假名化")
    assert body[("xs_jbxx", "sfzh")][9] == "不予共享" and body[("xs_jbxx", "sfzh")][13] == "是"
    assert body[("kc", "（整个数据集）")][9] == "无条件共享"
    assert body[("kc", "（整个数据集）")][3] == "庚县一小"  # 主管单位


def test_the_public_page_needs_no_session_and_shows_only_open_items(published: Any) -> None:
    world = published
    world.client.cookies.clear()
    world.client.headers.pop("X-CSRF-Token", None)
    page = world.client.get(f"/open/{world.school}")
    assert page.status_code == 200
    assert "庚县一小" in page.text and "kcm" in page.text and "bj" in page.text
    for hidden in ("sfzh", "身份证号", "学生姓名", "学号", "xh<", "有条件共享", "不予共享"):
        assert hidden not in page.text, hidden
    assert world.client.get("/sharing", follow_redirects=False).status_code == 303  # login
    # a unit with nothing open and a unit that does not exist look the same
    none = world.client.get(f"/open/{world.other_school}")
    missing = world.client.get("/open/987654")
    assert none.status_code == missing.status_code == 200
    assert "暂无开放数据" in none.text and "庚县二小" not in none.text
    assert none.text.replace(f"/open/{world.other_school}", "/open/987654") == missing.text
    assert world.client.get("/open/0").status_code == 422


def test_a_conditional_dataset_never_reaches_the_public_page(world: Any) -> None:
    world.login("owner1")
    saved = world.client.put(
        f"/api/v1/sharing/datasets/{world.datasets['kc']}",
        json={"attribute": "conditional", "conditions": "仅限教育行政部门"},
    )
    assert saved.status_code == 200
    world.client.cookies.clear()
    page = world.client.get(f"/open/{world.school}")
    assert "kcm" not in page.text and "暂无开放数据" in page.text


def test_console_pages_load_for_each_role_that_has_them(published: Any) -> None:
    world = published
    dataset = world.datasets["xs_jbxx"]
    for username, writes in (("owner1", True), ("pio1", False), ("sec1", False), ("sup1", False)):
        world.login(username)
        home = world.client.get("/")
        assert 'href="/sharing"' in home.text, username
        listing = world.client.get("/sharing")
        assert listing.status_code == 200, username
        assert "数据开放目录" in listing.text and "xs_jbxx" in listing.text
        detail = world.client.get(f"/sharing/datasets/{dataset}")
        assert detail.status_code == 200, username
        assert ('id="dataset-form"' in detail.text) is writes, username
    world.login("user1")
    assert 'href="/sharing"' not in world.client.get("/").text
    assert world.client.get("/sharing").status_code == 403
    world.client.cookies.set("lang", "en")
    world.login("owner1")
    world.client.cookies.set("lang", "en")
    english = world.client.get(f"/sharing/datasets/{dataset}")
    assert "Share attribute" in english.text


def test_console_forms_save_and_refuse_with_a_chinese_error(world: Any) -> None:
    world.login("owner1")
    dataset = world.datasets["xs_jbxx"]
    refused = world.client.post(
        f"/sharing/datasets/{dataset}", data={"attribute": "unconditional"}, follow_redirects=False
    )
    assert refused.status_code == 422
    assert "不得" in refused.text or "须先设为" in refused.text
    with world.factory() as session:
        assert session.scalar(select(func.count()).select_from(ShareSetting)) == 0
    saved = world.client.post(
        f"/sharing/datasets/{dataset}",
        data={
            "attribute": "unconditional",
            "never_shared": ["sfzh", "xm"],
            "responsible": "教务处",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    field = world.client.post(
        f"/sharing/fields/{world.fields['xs_jbxx.bj']}",
        data={"attribute": "conditional", "masking": "mask", "conditions": "按需"},
        follow_redirects=False,
    )
    assert field.status_code == 303
    bad = world.client.post(
        f"/sharing/fields/{world.fields['xs_jbxx.bj']}",
        data={"attribute": "maybe"},
        follow_redirects=False,
    )
    assert bad.status_code == 422
    view = world.client.get(f"/api/v1/sharing/datasets/{dataset}").json()
    bj = next(f for f in view["fields"] if f["name"] == "bj")
    assert (bj["attribute"], bj["masking"]) == ("conditional", "mask")


def test_the_public_page_is_rate_limited_and_exports_are_audited(published: Any) -> None:
    world = published
    world.client.get(f"/api/v1/sharing/units/{world.school}/open-catalog.xlsx")
    world.client.get(f"/api/v1/sharing/units/{world.school}/responsibility-list.xlsx")
    with world.factory() as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"sharing.export_open_catalog", "sharing.export_responsibility_list"} <= actions
    world.client.cookies.clear()
    answers = [world.client.get(f"/open/{world.school}").status_code for _ in range(62)]
    assert answers[0] == 200 and answers[-1] == 429
