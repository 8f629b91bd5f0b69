"""A binary renamed .pdf was accepted as a signed agreement document. The content is now
checked against the extension (magic bytes; DOCX/OFD by their ZIP parts): a mismatch is refused
with a Chinese error through the API, the console and the CLI, and nothing is stored."""

from __future__ import annotations

import io
import re
import secrets
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from eduguard.cli.main import app as cli_app
from eduguard.config import get_settings
from eduguard.errors import ValidationFailed
from eduguard.identity.models import Role
from eduguard.orgs import documents

from .test_console import console_login

ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(64)  # an executable, renamed
FORM = {"provider": "示例科技公司", "valid_from": "2026-01-01", "valid_until": "2027-01-01"}


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


GOOD = {
    "协议.pdf": b"%PDF-1.7\n%synthetic\n",
    "扫描件.png": b"\x89PNG\r\n\x1a\n" + bytes(16),
    "扫描件.jpg": b"\xff\xd8\xff\xe0" + bytes(16),
    "协议.docx": _zip("[Content_Types].xml", "word/document.xml"),
    "协议.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16),
    "协议.ofd": _zip("OFD.xml", "Doc_0/Document.xml"),
}
BAD = {
    "协议.pdf": ELF,
    "扫描件.png": b"%PDF-1.4 not a picture",
    "扫描件.jpeg": b"GIF89a",
    "协议.docx": _zip("OFD.xml"),  # an OFD renamed
    "协议.ofd": b"PK\x03\x04 broken archive",
    "协议.doc": b"MZ\x90\x00",
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_each_allowed_type_is_recognised(name: str) -> None:
    documents.check_content(Path(name).suffix, GOOD[name])


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_mismatch_is_refused(name: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        documents.check_content(Path(name).suffix, BAD[name])
    assert raised.value.code == "document_content_mismatch"
    assert "不符" in raised.value.message("zh")


def _stored(home: Path) -> list[Path]:
    folder = home / "uploads" / "agreements"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_api_refuses_a_binary_renamed_pdf(admin_client: TestClient, settings: Any) -> None:
    unit = admin_client.post("/api/v1/units", json={"name": "甲县一中", "kind": "school"}).json()
    form = {**FORM, "unit_id": str(unit["id"])}
    refused = admin_client.post(
        "/api/v1/agreements", data=form, files={"document": ("协议.pdf", ELF, "application/pdf")}
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == "document_content_mismatch"
    assert "不符" in refused.json()["error"]["message"]
    assert admin_client.get("/api/v1/agreements").json() == []
    assert _stored(settings.home) == []
    accepted = admin_client.post(
        "/api/v1/agreements",
        data=form,
        files={"document": ("协议.ofd", GOOD["协议.ofd"], "application/ofd")},
    )
    assert accepted.status_code == 201, accepted.text
    assert len(_stored(settings.home)) == 1


def test_console_refuses_a_binary_renamed_pdf(
    app_client: TestClient, accounts: Any, settings: Any
) -> None:
    accounts.create("sysadmin", {Role.system_admin})
    csrf = console_login(app_client, "sysadmin", accounts)
    unit = app_client.post(
        "/api/v1/units", json={"name": "甲县一中", "kind": "school"}, headers={"X-CSRF-Token": csrf}
    ).json()
    page = app_client.post(
        "/agreements/new",
        data={**FORM, "unit_id": str(unit["id"]), "csrf_token": csrf},
        files={"document": ("协议.pdf", ELF, "application/pdf")},
    )
    assert page.status_code == 422, page.text
    assert re.search(r"协议文件内容与扩展名 \.pdf 不符", page.text)
    agreements = app_client.get("/api/v1/agreements", headers={"X-CSRF-Token": csrf}).json()
    assert agreements == []
    assert _stored(settings.home) == []


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    monkeypatch.setenv("EDUGUARD_HOME", str(home))
    monkeypatch.setenv("EDUGUARD_DATABASE_URL", db_url)
    monkeypatch.setenv("EDUGUARD_SECRET_KEY", secrets.token_urlsafe(48))
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


def test_cli_refuses_a_binary_renamed_pdf(cli_env: Path, tmp_path: Path) -> None:
    def run(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli_app, list(args))
        return result.exit_code, result.output

    assert run("init")[0] == 0
    assert run("unit", "create", "甲县一中", "--kind", "school")[0] == 0
    fake = tmp_path / "协议.pdf"
    fake.write_bytes(ELF)
    dates = ("--unit", "1", "--from", "2026-01-01", "--until", "2027-01-01")
    code, out = run("agreement", "create", "示例科技公司", *dates, "--document", str(fake))
    assert code == 1 and "不符" in out and "Traceback" not in out, out
    code, out = run("agreement", "list", "--json")
    assert code == 0 and out.strip() == "[]", out
    assert _stored(cli_env) == []
