"""``eduguard consent import``: a school's roster (学籍 export as GBK CSV or .xlsx) registers
subjects and guardians, keyed — the school's ids never stored; importing again changes
nothing; one bad row refuses the whole file with its row number; a broken file is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from eduguard.cli.main import app
from eduguard.config import get_settings
from eduguard.consent.models import ConsentGuardian, ConsentSubject

from .conftest import World, factory_session

HEADER = "学籍号,出生日期,显示名,监护人规则,监护人编号,监护人关系\n"


@pytest.fixture
def cli(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    settings = world.settings
    monkeypatch.setenv("EDUGUARD_HOME", str(settings.home))
    monkeypatch.setenv("EDUGUARD_DATABASE_URL", str(settings.database_url))
    monkeypatch.setenv("EDUGUARD_SECRET_KEY", settings.secret_key.get_secret_value())
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _counts(world: World) -> tuple[int, int]:
    with factory_session(world.client) as session:
        return (
            int(session.scalar(select(func.count(ConsentSubject.id))) or 0),
            int(session.scalar(select(func.count(ConsentGuardian.id))) or 0),
        )


def _run(cli: CliRunner, world: World, path: Path) -> tuple[int, str]:
    done = cli.invoke(app, ["consent", "import", str(path), "--unit", str(world.school)])
    return done.exit_code, done.output


def test_a_gbk_roster_registers_keyed_subjects_and_guardians_once(
    cli: CliRunner, world: World, tmp_path: Path
) -> None:
    roster = tmp_path / "名册.csv"
    body = (
        HEADER
        + "R2026001,2017-03-05,一年级一班 学生甲,任一,RP-001,母亲\n"
        + "R2026001,2017-03-05,一年级一班 学生甲,任一,RP-002,父亲\n"  # a second guardian
        + "R2026002,2012/01/20,六年级二班 学生乙,全部,,\n"
        + ",,,,,\n"  # an empty row is skipped
    )
    roster.write_bytes(body.encode("gbk"))
    before = _counts(world)
    code, output = _run(cli, world, roster)
    assert code == 0, output
    assert "新登记主体 2 个" in output and "新登记监护人 2 位" in output
    assert _counts(world) == (before[0] + 2, before[1] + 2)
    with factory_session(world.client) as session:
        stored = json.dumps(
            [list(r) for r in session.execute(text("SELECT * FROM consent_subjects")).all()],
            default=str,
            ensure_ascii=False,
        )
        policy = session.scalar(
            select(ConsentSubject.guardian_policy).order_by(ConsentSubject.id.desc()).limit(1)
        )
    assert "R2026001" not in stored and "学生甲" not in stored  # keyed id, sealed label
    assert str(policy) in ("all", "GuardianPolicy.all")

    code, output = _run(cli, world, roster)  # the same roster again: nothing new
    assert code == 0 and "新登记主体 0 个" in output and "新登记监护人 0 位" in output
    assert _counts(world) == (before[0] + 2, before[1] + 2)

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["学号", "出生日期", "姓名", "监护人编号", "关系"])
    sheet.append(["R2026003", "2018-10-01", "学生丙", "RP-003", "祖母"])
    workbook = tmp_path / "名册.xlsx"
    book.save(workbook)
    code, output = _run(cli, world, workbook)
    assert code == 0 and "新登记主体 1 个" in output, output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (HEADER + "R3001,2017-03-05,甲,任一,,\nR3002,去年,乙,任一,,\n", "第 3 行"),
        (HEADER + "R3003,2017-03-05,甲,一半,,\n", "监护人规则"),
        # row 2 is written before row 3 fails: the whole import is rolled back
        (HEADER + "R3005,2017-03-05,甲,任一,RP-9,母亲\nR3004,2099-01-01,乙,任一,,\n", "第 3 行"),
        ("姓名,出生日期\n甲,2017-01-01\n", "学籍号"),
    ],
    ids=["bad-date", "bad-policy", "future-birth", "no-id-column"],
)
def test_one_bad_row_imports_nothing(
    cli: CliRunner, world: World, tmp_path: Path, content: str, message: str
) -> None:
    roster = tmp_path / "名册.csv"
    roster.write_text(content, encoding="utf-8")
    before = _counts(world)
    code, output = _run(cli, world, roster)
    assert code != 0 and message in output and "未导入任何记录" in output, output
    assert _counts(world) == before


def test_a_broken_file_is_refused(cli: CliRunner, world: World, tmp_path: Path) -> None:
    broken = tmp_path / "名册.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    code, output = _run(cli, world, broken)
    assert code != 0 and "无法读取该 Excel 文件" in output
    other = tmp_path / "名册.pdf"
    other.write_bytes(b"%PDF-1.4")
    code, output = _run(cli, world, other)
    assert code != 0 and "不支持的名册格式" in output


def _upload(world: World, name: str, content: bytes, **fields: str) -> object:
    data = {"unit_id": str(world.school), "kind": "student"} | fields
    data["csrf_token"] = world.client.headers["X-CSRF-Token"]
    return world.client.post(
        "/consent/roster",
        data=data,
        files={"roster": (name, content, "application/octet-stream")},
        follow_redirects=True,
    )


def test_the_console_imports_a_roster_and_refuses_a_bad_one_whole(world: World) -> None:
    """The same import from /consent: a GBK CSV registers its rows with a success message; a
    bad row, a broken workbook, an unknown format or a file over the upload limit is refused in
    Chinese with nothing written; an operator (no consent:write) sees no form and is refused."""
    world.accounts.login(world.client, "owner1")
    page = world.client.get("/consent")
    assert 'id="consent-roster-form"' in page.text
    before = _counts(world)
    body = HEADER + "W2026001,2016-04-01,学生丁,任一,WP-001,母亲\nW2026002,2011-02-02,学生戊,,,\n"
    done = _upload(world, "名册.csv", body.encode("gbk"))
    assert done.status_code == 200 and "名册已导入：新登记主体 2 个" in done.text, done.text
    assert "新登记监护人 1 位" in done.text and str(done.url).endswith("/consent")
    assert _counts(world) == (before[0] + 2, before[1] + 1)

    after = _counts(world)
    for name, content, message in (
        (
            "名册.csv",
            (HEADER + "W2026003,2016-04-01,甲,任一,,\nW2026004,去年,乙,,,\n").encode(),
            "第 3 行",
        ),
        ("名册.xlsx", b"PK\x03\x04 not really a workbook", "无法读取该 Excel 文件"),
        ("名册.pdf", b"%PDF-1.4", "不支持的名册格式"),
        ("名册.csv", b"\x00\x01binary", "名册无法读取"),
        ("名册.csv", b"x" * (world.settings.max_upload_bytes + 1), "超过上传上限"),
    ):
        refused = _upload(world, name, content)
        assert refused.status_code == 422 and message in refused.text, (name, refused.text[-800:])
        assert _counts(world) == after

    world.accounts.login(world.client, "operator1")
    assert 'id="consent-roster-form"' not in world.client.get("/consent").text
    assert _upload(world, "名册.csv", body.encode("gbk")).status_code == 403
    world.accounts.login(world.client, "owner1")
