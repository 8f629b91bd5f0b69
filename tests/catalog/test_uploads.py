"""A file uploaded in the console becomes a data source the scanner reads — with no
EDUGUARD_SCAN_ROOTS configured, as in the demo — and nothing else in the home becomes one."""

from __future__ import annotations

import io
import secrets
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import select
from tests.conftest import Accounts

from eduguard.audit.models import AuditEvent
from eduguard.catalog import flows, jobs, uploads
from eduguard.catalog import service as catalog_service
from eduguard.catalog.models import DataSource, Field
from eduguard.catalog.schemas import SourceCreate
from eduguard.config import Settings
from eduguard.demo import samples
from eduguard.errors import ValidationFailed
from eduguard.identity.models import Role
from eduguard.web.app import create_app

from .conftest import students

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """No scan roots at all: only the managed upload folder may be read."""
    return Settings(
        home=tmp_path / "home",
        database_url=db_url,
        secret_key=secrets.token_urlsafe(48),
        demo=False,
        max_upload_bytes=64 * 1024,
        scan_roots="",
    )


def _csv(encoding: str = "gbk", count: int = 40) -> bytes:
    lines = ["学号,姓名,身份证号,联系电话"]
    lines += [",".join(row) for row in students(count)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _world(client: TestClient, accounts: Any) -> tuple[int, str]:
    unit = client.post("/api/v1/units", json={"name": "丙县一小", "kind": "school"}).json()
    system = client.post(
        "/api/v1/systems", json={"name": "丙县一小学籍系统", "unit_id": unit["id"]}
    ).json()
    accounts.create("owner", {Role.data_owner}, unit_id=unit["id"])
    accounts.create("reader", {Role.data_user}, unit_id=unit["id"])
    token = accounts.login(client, "owner")
    return system["id"], token


def _upload(
    client: TestClient, system_id: int, token: str, name: str, content: bytes, **data: str
) -> Any:
    return client.post(
        f"/catalog/systems/{system_id}/sources/upload",
        data={"csrf_token": token, **data},
        files={"file": (name, content, "application/octet-stream")},
        follow_redirects=False,
    )


def test_a_gbk_csv_upload_is_scanned_without_scan_roots(
    admin_client: TestClient, accounts: Any, settings: Settings
) -> None:
    client = admin_client
    system_id, token = _world(client, accounts)
    content = _csv("gbk")
    sent = _upload(client, system_id, token, "C:\\导出\\学生名单.csv", content)
    assert sent.status_code == 303, sent.text
    folders = list(settings.source_uploads_dir.iterdir())
    assert len(folders) == 1 and len(folders[0].name) == 32  # a generated folder per upload
    stored = list(folders[0].iterdir())
    assert [p.name for p in stored] == ["学生名单.csv"]  # the base name only, never the path
    assert stored[0].read_bytes() == content
    assert stored[0].stat().st_mode & 0o077 == 0 and folders[0].stat().st_mode & 0o077 == 0
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        source = session.scalars(select(DataSource)).one()
        assert source.name == "学生名单.csv" and source.location == str(stored[0].resolve())
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "catalog.source.upload")
        ).all()
        assert len(events) == 1 and events[0].username == "owner"
        assert str(source.id) == events[0].object_id
        sample_name = students(1)[0][1]
        assert sample_name not in (events[0].reason or "") and "字节" in (events[0].reason or "")
    page = client.get(f"/catalog/systems/{system_id}")
    assert "学生名单.csv" in page.text and 'id="upload-form"' in page.text
    queued = client.post(f"/api/v1/systems/{system_id}/scans", json={})
    assert queued.status_code == 202
    policy = flows.source_policy(settings)
    assert jobs.work(factory, once=True, progress_seconds=0.0, policy=policy) == 1
    run = client.get(f"/api/v1/catalog/runs/{queued.json()[0]['id']}").json()
    assert run["status"] == "succeeded", run
    with factory() as session:
        found = {f.name: f.proposed_pi_types for f in session.scalars(select(Field))}
    assert "PERSON_NAME" in found["姓名"] and "CN_RESIDENT_ID" in found["身份证号"]


def test_excel_and_parquet_uploads_are_accepted_by_content(
    admin_client: TestClient, accounts: Any, settings: Settings
) -> None:
    client = admin_client
    system_id, token = _world(client, accounts)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["学号", "姓名"])
    for row in students(5):
        sheet.append([row[0], row[1]])
    xlsx = io.BytesIO()
    book.save(xlsx)
    parquet = io.BytesIO()
    pl.DataFrame(
        {"xh": [r[0] for r in students(5)], "xm": [r[1] for r in students(5)]}
    ).write_parquet(parquet)
    assert _upload(client, system_id, token, "名册.xlsx", xlsx.getvalue()).status_code == 303
    assert _upload(client, system_id, token, "名册.parquet", parquet.getvalue()).status_code == 303
    suffixes = sorted(p.suffix for p in settings.source_uploads_dir.glob("*/*"))
    assert suffixes == [".parquet", ".xlsx"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("名单.csv", b"PK\x03\x04" + b"\x00" * 64, "不是 CSV 格式"),
        ("名单.xlsx", "学号,姓名\r\nS1,张三\r\n".encode(), "不是 Excel 工作簿"),
        ("名单.parquet", b"not a parquet file at all", "不是 Parquet 文件"),
        ("run.exe", b"MZ\x90\x00", "不支持的文件类型"),
        ("名单.csv", b"\x00\x01\x02binary", "不是 UTF-8 或 GBK"),
        ("名单.csv", b"x" * (64 * 1024 + 1), "超过大小上限"),
    ],
)
def test_a_refused_upload_changes_nothing(
    admin_client: TestClient,
    accounts: Any,
    settings: Settings,
    name: str,
    content: bytes,
    message: str,
) -> None:
    client = admin_client
    system_id, token = _world(client, accounts)
    refused = _upload(client, system_id, token, name, content)
    assert refused.status_code == 422 and message in refused.text
    folder = settings.source_uploads_dir
    assert not folder.exists() or not list(folder.iterdir())
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session:
        assert session.scalars(select(DataSource)).all() == []


def test_uploads_need_source_write_and_typed_locations_stay_out_of_the_home(
    admin_client: TestClient, accounts: Any, settings: Settings
) -> None:
    client = admin_client
    system_id, token = _world(client, accounts)
    assert _upload(client, system_id, token, "a.csv", _csv("utf-8", 3)).status_code == 303
    stored = next(settings.source_uploads_dir.glob("*/*.csv"))
    # The file an upload made may not be named by hand (another unit's upload, a copy of it).
    typed = client.post(
        f"/api/v1/systems/{system_id}/sources", json={"name": "x", "location": str(stored)}
    )
    assert typed.status_code == 422 and "数据目录" in typed.json()["error"]["message"]
    token = accounts.login(client, "reader")
    denied = _upload(client, system_id, token, "b.csv", _csv("utf-8", 3))
    assert denied.status_code == 403
    assert len(list(settings.source_uploads_dir.glob("*/*"))) == 1


def test_the_managed_folder_admits_only_regular_files_inside_it(
    settings: Settings, tmp_path: Path
) -> None:
    policy = flows.source_policy(settings, check_hosts=False)
    folder = settings.source_uploads_dir
    folder.mkdir(parents=True)
    keys = settings.keys_dir
    keys.mkdir(parents=True)
    (keys / "master.key").write_text("secret")
    inside = folder / "a.csv"
    inside.write_text("a,b\n1,2\n")
    link = folder / "b.csv"
    link.symlink_to(keys / "master.key")
    outside = tmp_path / "elsewhere.csv"
    outside.write_text("a\n1\n")
    assert not policy.path_refused(inside)
    assert policy.path_refused(link)  # resolves into the keys folder
    assert policy.path_refused(folder)  # the folder itself is not a source
    assert policy.path_refused(keys / "master.key")
    assert policy.path_refused(outside)  # no scan roots: nothing else


def test_detect_format_reads_gbk_and_refuses_a_renamed_workbook() -> None:
    assert uploads.detect_format("a.csv", _csv("gbk")) == "csv"
    assert uploads.detect_format("a.TSV", "甲\t乙\n".encode("gb18030")) == "tsv"
    with pytest.raises(ValidationFailed):
        uploads.detect_format("a.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest")
    with pytest.raises(ValidationFailed):
        uploads.detect_format("a.csv", b"   \n")
    assert uploads.display_name("C:\\x\\y\\名单.csv") == "名单.csv"
    assert uploads.display_name("../../etc/passwd") == "passwd"
    assert uploads.safe_name("..\\x\\.名 单;rm -rf.CSV", "csv") == "名_单_rm_-rf.csv"
    assert uploads.safe_name("report.csv", "xlsx") == "report.xlsx"  # the content decides
    assert uploads.safe_name("...", "parquet") == "upload.parquet"


def test_the_demo_offers_its_own_sample_file(
    admin_client: TestClient, accounts: Any, settings: Settings
) -> None:
    client = admin_client
    system_id, token = _world(client, accounts)
    url = f"/catalog/systems/{system_id}/sources/demo-sample"
    assert 'id="demo-sample"' not in client.get(f"/catalog/systems/{system_id}").text
    assert client.post(url, data={"csrf_token": token}).status_code == 404  # not a demo
    # The demo (its worker left to the test: EDUGUARD_WORKER=external).
    app = create_app(settings.model_copy(update={"demo": True, "worker": "external"}))
    with TestClient(app, raise_server_exceptions=False) as demo:
        token = Accounts(app.state.session_factory).login(demo, "owner")
        assert 'id="demo-sample"' in demo.get(f"/catalog/systems/{system_id}").text
        made = demo.post(url, data={"csrf_token": token})
        assert made.status_code == 200 and "已登记演示样例文件" in made.text
        run = demo.post(f"/api/v1/systems/{system_id}/scans", json={}).json()[0]
        policy = flows.source_policy(settings)
        assert jobs.work(app.state.session_factory, once=True, progress_seconds=0.0, policy=policy)
        assert demo.get(f"/api/v1/catalog/runs/{run['id']}").json()["status"] == "succeeded"
        fields = demo.get("/api/v1/catalog/fields", params={"system_id": system_id}).json()
        types = {f["name"]: f["pi_types"] for f in fields}
        assert "CN_RESIDENT_ID" in types["身份证号"] and "PERSON_NAME" in types["姓名"]
    app.state.engine.dispose()
    stored = list(settings.source_uploads_dir.glob("*/*.csv"))
    assert len(stored) == 1 and stored[0].read_bytes().decode("gbk").startswith("学号,姓名")


def test_the_demos_scan_button_leaves_its_made_up_databases_out(
    admin_client: TestClient, accounts: Any, settings: Settings
) -> None:
    """扫描 in the demo queues only sources that can be read; a made-up ``*.example`` database
    is marked on the page, and a system with nothing else says why it cannot be scanned."""
    system_id, _token = _world(admin_client, accounts)
    factory = admin_client.app.state.session_factory  # type: ignore[attr-defined]
    with factory() as session, session.begin():
        flows.add_source(
            session,
            system_id,
            SourceCreate(name="业务数据库", location="postgresql://xj-db.county.example/xueji"),
            scope="/",
            policy=catalog_service.LocationPolicy(),
        )
    app = create_app(settings.model_copy(update={"demo": True, "worker": "external"}))
    with TestClient(app, raise_server_exceptions=False) as demo:
        token = Accounts(app.state.session_factory).login(demo, "owner")
        page = demo.get(f"/catalog/systems/{system_id}").text
        assert "演示用的虚构数据库，不参与扫描" in page
        scan = f"/catalog/systems/{system_id}/scan"
        refused = demo.post(scan, data={"csrf_token": token}, follow_redirects=False)
        assert refused.status_code == 422
        assert "演示数据源“业务数据库”的数据库地址是虚构的" in refused.text
        assert demo.get("/api/v1/catalog/runs", params={"system_id": system_id}).json() == []
        assert _upload(demo, system_id, token, "名单.csv", _csv()).status_code == 303
        queued = demo.post(scan, data={"csrf_token": token}, follow_redirects=False)
        assert queued.status_code == 303
        shown = demo.get(queued.headers["location"]).text
        assert "已排队 1 个扫描任务" in shown and "是虚构的数据库，未扫描" in shown
        runs = demo.get("/api/v1/catalog/runs", params={"system_id": system_id}).json()
        assert [r["status"] for r in runs] == ["queued"]
    app.state.engine.dispose()
    # A real install scans every source it was given (its worker reports what fails).
    assert not samples.fictitious("postgresql://10.0.0.5/xueji")
    assert samples.fictitious("mysql+pymysql://app-db.vendor.example/jxt")
    assert not samples.fictitious("/srv/data/学籍.csv")
