"""``eduguard backup create|verify|restore`` on SQLite and PostgreSQL: a restore is verified
(revision, row counts, audit chain, master key), a broken or altered file is refused in Chinese
and changes nothing, keys never travel in the database backup."""

from __future__ import annotations

import json
import secrets
import sqlite3
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.conftest import PG_SERVER
from typer.testing import CliRunner

from eduguard.backup import platform
from eduguard.cli.main import app
from eduguard.config import get_settings

runner = CliRunner()
PASSPHRASE = "synthetic drill passphrase 2026"


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    env = {
        "EDUGUARD_HOME": str(tmp_path / "home"),
        "EDUGUARD_DATABASE_URL": db_url,
        "EDUGUARD_SECRET_KEY": secrets.token_urlsafe(48),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


@pytest.fixture
def scratch(cli_env: str, tmp_path: Path) -> Iterator[str]:
    """An empty database to restore into: a SQLite path, or a PostgreSQL database made (and
    dropped) for this test."""
    if cli_env.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'eduguard.db'}"
        return
    name = f"eg_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def passfile(tmp_path: Path) -> Path:
    path = tmp_path / "passphrase.txt"
    path.write_text(PASSPHRASE + "\n", encoding="utf-8")
    return path


def _populate() -> None:
    for args in (
        ("init",),
        ("unit", "create", "甲县教育局", "--kind", "county"),
        ("unit", "create", "甲县一中", "--kind", "school", "--parent", "1"),
        ("system", "create", "学籍系统", "--unit", "2", "--mlps-level", "2"),
        ("audit", "checkpoint"),
        ("system", "create", "食堂系统", "--unit", "2"),
    ):
        code, out = run(*args)
        assert code == 0, out


def _create(tmp_path: Path, passfile: Path) -> tuple[Path, Path, dict[str, object]]:
    code, out = run(
        "backup",
        "create",
        "-o",
        str(tmp_path / "out"),
        "--passphrase-file",
        str(passfile),
        "--json",
    )
    assert code == 0, out
    created = json.loads(out[out.index("{") :])
    return Path(created["backup"]), Path(created["keys"]), created["manifest"]


def _tables(url: str, schema: str | None) -> int:
    if url.startswith("sqlite"):
        path = make_url(url).database
        assert path
        if not Path(path).exists():
            return 0
        with sqlite3.connect(path) as connection:
            return int(
                connection.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type='table'"
                ).fetchone()[0]
            )
    engine = create_engine(url)
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = :s"), {"s": schema}
        ).scalar_one()
    engine.dispose()
    return int(found)


def test_create_verify_restore_round_trip(
    cli_env: str, scratch: str, tmp_path: Path, passfile: Path
) -> None:
    _populate()
    backup, keys, manifest = _create(tmp_path, passfile)
    tables = manifest["tables"]
    assert isinstance(tables, dict)
    assert tables["information_systems"] == 2 and tables["units"] == 2
    assert manifest["alembic_revision"] and manifest["audit"]["last_event_id"]  # type: ignore[index]
    assert backup.parent == keys.parent and backup != keys
    # The keys are in neither file in the clear: the master key's hex is in no backup byte.
    master_hex = (tmp_path / "home" / "keys" / "master.key").read_text().strip()
    for path in (backup, keys):
        assert master_hex.encode() not in path.read_bytes()
    assert b"audit-signing.key" not in backup.read_bytes()

    code, out = run(
        "backup", "verify", str(backup), "--keys", str(keys), "--passphrase-file", str(passfile)
    )
    assert code == 0, out
    assert "备份文件完好" in out and "清单签名：已验证" in out

    restored_keys = tmp_path / "restored-keys"
    code, out = run(
        "backup",
        "restore",
        str(backup),
        "--keys",
        str(keys),
        "--passphrase-file",
        str(passfile),
        "--target",
        scratch,
        "--keys-dir",
        str(restored_keys),
        "--json",
    )
    assert code == 0, out
    report = json.loads(out[out.index("{") :])
    assert report["ok"] is True
    assert {c["name"]: c["ok"] for c in report["checks"]} == {
        "alembic_revision": True,
        "row_counts": True,
        "audit_chain": True,
        "master_key": True,
    }
    assert (restored_keys / "master.key").read_text().strip() == master_hex
    assert (restored_keys / "master.key").stat().st_mode & 0o077 == 0

    # A second restore into the now non-empty target is refused, and changes nothing.
    code, out = run("backup", "restore", str(backup), "--target", scratch)
    assert code == 1 and "目标数据库已有数据表" in out and "未做任何修改" in out
    # Forced, it restores again and verifies again.
    code, out = run(
        "backup",
        "restore",
        str(backup),
        "--keys",
        str(keys),
        "--passphrase-file",
        str(passfile),
        "--target",
        scratch,
        "--keys-dir",
        str(restored_keys),
        "--force",
    )
    assert code == 0, out
    assert "审计哈希链" in out and "不通过" not in out


def test_a_changed_byte_or_wrong_passphrase_is_refused_and_changes_nothing(
    cli_env: str, scratch: str, tmp_path: Path, passfile: Path
) -> None:
    _populate()
    backup, keys, manifest = _create(tmp_path, passfile)
    schema = manifest.get("schema")
    data = bytearray(backup.read_bytes())
    with tarfile.open(backup) as archive:
        member = archive.getmember(str(manifest["payload"]["name"]))  # type: ignore[index]
    data[member.offset_data + member.size // 2] ^= 0x01  # one byte inside the payload
    broken = tmp_path / "broken.egbak"
    broken.write_bytes(bytes(data))
    code, out = run("backup", "verify", str(broken))
    assert code == 1 and "SM3 摘要与清单不符" in out
    code, out = run("backup", "restore", str(broken), "--target", scratch)
    assert code == 1 and "未做任何修改" in out
    assert _tables(scratch, str(schema) if schema else None) == 0

    # The manifest edited (one row count): its signature no longer verifies.
    data = bytearray(backup.read_bytes())
    at = data.index(b'"units":2')
    data[at + 8] = ord("3")
    edited = tmp_path / "edited.egbak"
    edited.write_bytes(bytes(data))
    code, out = run("backup", "verify", str(edited))
    assert code == 1 and "清单签名不符" in out

    truncated = tmp_path / "truncated.egbak"
    truncated.write_bytes(backup.read_bytes()[:3000])
    code, out = run("backup", "verify", str(truncated))
    assert code == 1 and "备份文件无效" in out
    code, out = run("backup", "verify", str(tmp_path / "missing.egbak"))
    assert code == 1 and "文件不存在" in out

    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the passphrase at all\n", encoding="utf-8")
    keys_dir = tmp_path / "k2"
    code, out = run(
        "backup",
        "restore",
        str(backup),
        "--keys",
        str(keys),
        "--passphrase-file",
        str(wrong),
        "--target",
        scratch,
        "--keys-dir",
        str(keys_dir),
    )
    assert code == 1 and "口令不正确" in out
    assert _tables(scratch, str(schema) if schema else None) == 0 and not keys_dir.exists()

    # Keys over a directory holding different keys: refused unless forced; nothing written.
    other_keys = tmp_path / "other-keys"
    other_keys.mkdir()
    (other_keys / "master.key").write_text("00" * 16 + "\n")
    code, out = run(
        "backup", "restore", str(backup), "--keys", str(keys), "--passphrase-file", str(passfile),
        "--target", scratch, "--keys-dir", str(other_keys),
    )  # fmt: skip
    assert code == 1 and "已有不同的密钥文件（master.key）" in out
    assert (other_keys / "master.key").read_text() == "00" * 16 + "\n"
    assert _tables(scratch, str(schema) if schema else None) == 0

    # A backup of one database kind does not restore into the other.
    elsewhere = (
        "postgresql+psycopg://nobody@127.0.0.1:1/none"
        if cli_env.startswith("sqlite")
        else f"sqlite:///{tmp_path / 'x.db'}"
    )
    code, out = run("backup", "restore", str(backup), "--target", elsewhere)
    assert code == 1 and "不能恢复到" in out

    short = tmp_path / "short.txt"
    short.write_text("short\n", encoding="utf-8")
    code, out = run("backup", "create", "-o", str(tmp_path / "o2"), "--passphrase-file", str(short))
    assert code == 1 and "至少 12 个字符" in out


def test_a_restored_database_that_differs_from_its_manifest_is_reported(
    cli_env: str, scratch: str, tmp_path: Path, passfile: Path
) -> None:
    _populate()
    backup, _keys, manifest = _create(tmp_path, passfile)
    code, out = run("backup", "restore", str(backup), "--target", scratch)
    assert code == 0, out
    target = make_url(scratch)
    if target.get_backend_name() == "postgresql":
        target = target.update_query_dict({"options": f"-csearch_path={manifest['schema']}"})
    engine = create_engine(target)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM compliance_facts"))  # none: counts still equal
        connection.execute(text("INSERT INTO alembic_version VALUES ('extra')"))
    engine.dispose()
    checks = platform.check_restored(
        target, manifest, keys_dir=tmp_path / "home" / "keys", public=None, master=None
    )
    by_name = {c.name: c for c in checks}
    assert not by_name["row_counts"].ok and "alembic_version" in by_name["row_counts"].detail
