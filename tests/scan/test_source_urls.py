"""Data-source URLs: only allow-listed options, LOAD DATA LOCAL INFILE never answered, hosts
checked against the allow-list — against a hostile MySQL server built here (127.0.0.1)."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from eduguard.cli.scan import register
from eduguard.discovery.connectors import open_source
from eduguard.discovery.sources import FailedTable
from eduguard.source_urls import (
    SourceHosts,
    SourcePolicy,
    SourceUrlError,
    check_jdbc_url,
    parse_source_url,
)

from .fake_servers import CLIENT_LOCAL_FILES, FakeMySQL, SilentPort


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Path, bytes]:
    """A file standing for HOME/keys/master.key: its bytes must never leave the machine."""
    secret = f"PLANTED-{secrets.token_hex(16)}".encode()
    path = tmp_path / "keys" / "master.key"
    path.parent.mkdir()
    path.write_bytes(secret)
    return path, secret


@pytest.fixture
def fake_mysql(planted: tuple[Path, bytes]) -> Iterator[FakeMySQL]:
    server = FakeMySQL(steal=planted[0])
    yield server
    server.close()


def _cli() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """eduguard."""

    register(root)
    return root


@pytest.mark.parametrize(
    "option",
    [
        "local_infile=1",
        "init_command=SELECT%201",
        "read_default_file=/etc/mysql/my.cnf",
        "unix_socket=/run/mysqld/mysqld.sock",
        "client_flag=128",
        "ssl_key=/tmp/k.pem",
        "ssl_ca=/etc/ssl/ca.pem",
    ],
)
def test_mysql_options_that_read_local_files_are_refused(option: str) -> None:
    with pytest.raises(SourceUrlError) as caught:
        parse_source_url(f"mysql+pymysql://u@10.1.2.3:3306/db?{option}")
    assert caught.value.code == "source_option_refused"
    assert "不允许" in caught.value.message_zh
    [failed] = list(open_source(f"mysql+pymysql://u:pw@10.1.2.3:3306/db?{option}"))
    assert isinstance(failed, FailedTable)
    assert failed.error.code == "source_option_refused"
    assert "pw" not in failed.name


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u@10.1.2.3/db?passfile=/home/x/.pgpass",
        "postgresql://u@10.1.2.3/db?sslkey=/home/x/k",
        "postgresql://u@10.1.2.3/db?sslcert=/home/x/c",
        "postgresql://u@10.1.2.3/db?sslrootcert=/etc/passwd",
        "postgresql://u@10.1.2.3/db?service=prod",
        "postgresql://u@10.1.2.3/db?host=/var/run/postgresql",
        "postgresql://u@10.1.2.3/db?options=-c%20default_transaction_read_only%3Doff",
        "postgresql://u@/db",
        "postgresql://u@10.1.2.3/db?sslmode=require&sslmode=disable",
        "postgresql://u@10.1.2.3/db?unknown=1",
        "sqlite:///tmp/x.db?mode=rwc",
        "mysql+mysqldb://u@10.1.2.3/db",
    ],
)
def test_other_dangerous_or_unknown_options_are_refused(url: str) -> None:
    with pytest.raises(SourceUrlError) as caught:
        parse_source_url(url)
    assert caught.value.code in (
        "source_option_refused",
        "unsupported_database",
        "source_not_found",
    )


def test_safe_options_are_kept(tmp_path: Path) -> None:
    parsed = parse_source_url(
        "postgresql://r:p@db.school.example:5433/xj?sslmode=verify-full&connect_timeout=5"
    )
    assert (parsed.host, parsed.port, parsed.database) == ("db.school.example", 5433, "xj")
    assert parsed.option_map == {"sslmode": "verify-full", "connect_timeout": "5"}
    assert parsed.bare() == (
        "postgresql://r@db.school.example:5433/xj?connect_timeout=5&sslmode=verify-full"
    )
    assert "p" not in parsed.display().split("@")[0].split(":")[-1].replace("***", "")
    (tmp_path / "ca.pem").write_text("not a real certificate")
    with_ca = parse_source_url(
        "mysql://r@10.0.0.9/jw?ssl_ca=ca.pem&charset=utf8mb4", cert_dir=tmp_path
    )
    assert with_ca.option_map["ssl_ca"] == str((tmp_path / "ca.pem").resolve())
    args = with_ca.engine_args(connect_seconds=3, read_seconds=7)
    assert args["local_infile"] is False and args["client_flag"] == 0
    assert (args["connect_timeout"], args["read_timeout"], args["write_timeout"]) == (3, 7, 7)
    # The connection goes to the address that was checked (no second DNS answer).
    pg = parse_source_url("postgresql://r@db.school.example/xj")
    assert pg.engine_args(address="10.1.2.3")["hostaddr"] == "10.1.2.3"
    assert pg.url(address="10.1.2.3").host == "db.school.example"  # kept for TLS names
    assert parse_source_url("mysql://r@db.school.example/jw").url(address="10.1.2.3").host == (
        "10.1.2.3"
    )
    with pytest.raises(SourceUrlError):  # outside the certificate folder
        parse_source_url("mysql://r@10.0.0.9/jw?ssl_ca=/etc/hostname", cert_dir=tmp_path)


def test_jdbc_urls_are_checked_and_local_infile_is_off() -> None:
    checked = check_jdbc_url("jdbc:mysql://10.0.0.9:3306/jw?user=r&useSSL=true")
    assert "allowLoadLocalInfile=false" in checked and "connectTimeout=" in checked
    for bad in (
        "jdbc:mysql://10.0.0.9/jw?allowLoadLocalInfile=true",
        "jdbc:mysql://10.0.0.9/jw?allowUrlInLocalInfile=true",
        "jdbc:postgresql://10.0.0.9/jw?socketFactory=x&socketFactoryArg=y",
        "jdbc:postgresql://10.0.0.9/jw?sslfactory=org.postgresql.ssl.NonValidatingFactory",
        "jdbc:h2:mem:x",
    ):
        with pytest.raises(SourceUrlError):
            check_jdbc_url(bad)


def test_load_data_local_infile_is_refused_by_url_and_by_the_driver(
    fake_mysql: FakeMySQL, planted: tuple[Path, bytes]
) -> None:
    _path, secret = planted
    # The attack as reported: local_infile=1 in the URL. Refused before any connection.
    [failed] = list(open_source(f"mysql+pymysql://u@127.0.0.1:{fake_mysql.port}/db?local_infile=1"))
    assert isinstance(failed, FailedTable) and failed.error.code == "source_option_refused"
    assert fake_mysql.client_flags == []
    # A plain URL: the server asks for the file anyway; the driver never sends it.
    [failed] = list(open_source(f"mysql+pymysql://u@127.0.0.1:{fake_mysql.port}/db"))
    assert isinstance(failed, FailedTable) and failed.error.code == "db_connect_failed"
    assert failed.error.message_zh.startswith("无法连接数据源")
    assert fake_mysql.client_flags and not fake_mysql.client_flags[0] & CLIENT_LOCAL_FILES
    assert secret not in bytes(fake_mysql.received)


def test_eduguard_scan_never_sends_the_planted_file(
    fake_mysql: FakeMySQL, planted: tuple[Path, bytes]
) -> None:
    _path, secret = planted
    runner = CliRunner()
    for url in (
        f"mysql+pymysql://u:pw@127.0.0.1:{fake_mysql.port}/db?local_infile=1",
        f"mysql+pymysql://u:pw@127.0.0.1:{fake_mysql.port}/db",
    ):
        result = runner.invoke(_cli(), ["scan", url, "-f", "json"])
        assert result.exit_code == 1, result.output
        report = json.loads(result.stdout)
        assert report["tables"][0]["error"]["code"] in (
            "source_option_refused",
            "db_connect_failed",
        )
    assert secret not in bytes(fake_mysql.received)


def _policy(hosts: str) -> SourcePolicy:
    return SourcePolicy(hosts=SourceHosts.parse(hosts), connect_seconds=2, read_seconds=2)


def test_hosts_outside_the_allow_list_are_refused_alike() -> None:
    hosts = SourceHosts.parse("10.0.0.0/8,db.school.example")
    for url in (
        "postgresql://u@169.254.169.254/db",
        "postgresql://u@127.0.0.1:6379/db",
        "mysql://u@192.168.1.5/db",
        "mysql://u@[::ffff:169.254.169.254]/db",
        "mysql://u@no-such-host.invalid/db",
    ):
        with pytest.raises(SourceUrlError) as caught:
            hosts.admit(parse_source_url(url))
        assert caught.value.code == "source_host_refused"
    assert hosts.admit(parse_source_url("mysql://u@10.9.8.7/db")) == "10.9.8.7"
    assert (
        hosts.admit(parse_source_url("mysql://u@db.school.example/db"), resolve_names=False) is None
    )
    # Link-local stays refused even when someone lists it.
    with pytest.raises(SourceUrlError):
        SourceHosts.parse("169.254.0.0/16").admit(parse_source_url("mysql://u@169.254.169.254/d"))
    # The platform's own database: refused whatever the list says.
    platform = SourceHosts.parse("127.0.0.1", "postgresql+psycopg://eg@localhost:5432/eg")
    with pytest.raises(SourceUrlError):
        platform.admit(parse_source_url("postgresql://postgres@127.0.0.1:5432/test"))
    assert platform.admit(parse_source_url("postgresql://postgres@127.0.0.1:5433/test"))


def test_unreachable_sources_look_alike_and_fail_within_the_timeout() -> None:
    silent = SilentPort()
    stalled = FakeMySQL(mode="silent")
    try:
        targets = {
            "refused port": "mysql+pymysql://u@127.0.0.1:1/db",
            "silent port": f"mysql+pymysql://u@127.0.0.1:{silent.port}/db",
            "silent port (pg)": f"postgresql://u@127.0.0.1:{silent.port}/db",
            "stops after the handshake": f"mysql+pymysql://u@127.0.0.1:{stalled.port}/db",
            "redis": "mysql+pymysql://u@127.0.0.1:6379/db",
            "redis (pg)": "postgresql://u@127.0.0.1:6379/db",
            "link-local": "postgresql://u@169.254.169.254/db",
        }
        for what, url in targets.items():
            started = time.monotonic()
            [failed] = list(open_source(url, _policy("127.0.0.1")))
            took = time.monotonic() - started
            assert isinstance(failed, FailedTable), what
            assert failed.error.message_zh == "无法连接数据源", what
            assert failed.error.message_en == "cannot connect to the data source", what
            assert took < 10, (what, took)
    finally:
        silent.close()
        stalled.close()
