"""Data-source URLs: the one parser every place that opens a source database goes through.

A URL someone registers as a data source is untrusted input: database drivers take options
that read the server's own files (MySQL ``LOAD DATA LOCAL INFILE`` through ``local_infile``,
``init_command``, ``read_default_file``; libpq ``passfile``, ``sslkey``, ``service`` …) or
connect somewhere else (``host=/socket``, ``unix_socket``). :func:`parse_source_url` turns the
text into an allow-listed :class:`SourceUrl` — backend, host, port, database, user, password
and a short list of harmless options — and refuses anything else with a Chinese message.
:meth:`SourceUrl.engine_args` builds what SQLAlchemy is given from that form alone, with the
file-reading features switched off explicitly and connect/read timeouts on every driver.

:class:`SourceHosts` is the network allow-list (``EDUGUARD_SOURCE_HOSTS``): every address a
source host resolves to must be in it; link-local addresses (cloud metadata services) and the
platform's own database are always refused. The connection then goes to the address that was
checked (PostgreSQL ``hostaddr``, MySQL by IP), so a second DNS answer cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from eduguard.errors import ValidationFailed

if TYPE_CHECKING:  # SQLAlchemy is imported where a URL is parsed (a file scan never needs it)
    from sqlalchemy.engine import URL

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

BACKENDS = ("sqlite", "postgresql", "mysql", "mariadb")
DRIVERS = {
    "sqlite": "sqlite+pysqlite",
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}
# The drivers a URL may name (anything else may read option files of its own).
_ACCEPTED_DRIVERS = {
    "sqlite": {"", "pysqlite"},
    "postgresql": {"", "psycopg", "psycopg2"},
    "mysql": {"", "pymysql"},
    "mariadb": {"", "pymysql"},
}
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}
DEFAULT_SOURCE_HOSTS = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"
DEFAULT_CONNECT_SECONDS = 10
DEFAULT_READ_SECONDS = 300
UNREACHABLE = "无法连接数据源"

# Options that read or name files of the server, or connect elsewhere: refused by name, with
# the reason (any other option is refused as unsupported).
_FILE_OPTIONS = frozenset(
    {
        "local_infile",
        "client_flag",
        "init_command",
        "read_default_file",
        "read_default_group",
        "unix_socket",
        "named_pipe",
        "passfile",
        "sslkey",
        "sslcert",
        "sslcrl",
        "sslcrldir",
        "sslrootcert",
        "ssl_ca",
        "ssl_key",
        "ssl_cert",
        "ssl_capath",
        "service",
        "servicefile",
        "host",
        "hostaddr",
        "options",
        "auth_plugin_map",
        "server_public_key",
        "plugin_dir",
    }
)
_SSLMODES = frozenset({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})
_SESSION_ATTRS = frozenset(
    {"any", "read-write", "read-only", "primary", "standby", "prefer-standby"}
)
_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*\.?$"
)
_CHARSET = re.compile(r"^[A-Za-z0-9_]{1,32}$")
_APP_NAME = re.compile(r"^[A-Za-z0-9_. -]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Always refused whatever EDUGUARD_SOURCE_HOSTS says: link-local (169.254.169.254 is the cloud
# metadata service), "this network", multicast and broadcast.
ALWAYS_REFUSED: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/16",
        "fe80::/10",
        "0.0.0.0/8",
        "::/128",
        "224.0.0.0/4",
        "ff00::/8",
        "255.255.255.255/32",
    )
)


class SourceUrlError(ValidationFailed):
    """A data-source URL refused: ``code`` names why; the message never quotes the URL."""


def _refuse(code: str, message_zh: str, message_en: str) -> SourceUrlError:
    return SourceUrlError(code, message_zh, message_en)


@dataclass(frozen=True)
class SourceUrl:
    """A data-source database URL in its allow-listed form."""

    backend: str  # one of BACKENDS
    scheme: str = ""  # as written (``postgresql``, ``mysql+pymysql`` …), for display and storage
    host: str | None = None
    port: int | None = None
    database: str | None = None
    username: str | None = None
    password: str | None = None
    options: tuple[tuple[str, str], ...] = ()

    @property
    def option_map(self) -> dict[str, str]:
        return dict(self.options)

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS.get(self.backend, 0)

    def url(self, *, password: bool = True, address: str | None = None) -> URL:
        """The SQLAlchemy URL with the project's driver; no query options (they go through
        :meth:`engine_args`). ``address``: connect to this checked IP (MySQL)."""
        from sqlalchemy.engine import URL

        if self.backend == "sqlite":
            path = quote(str(self.database or ""), safe="/")
            return URL.create(
                DRIVERS["sqlite"], database=f"file:{path}", query={"mode": "ro", "uri": "true"}
            )
        host = address if address is not None and self.backend != "postgresql" else self.host
        return URL.create(
            DRIVERS[self.backend],
            self.username,
            self.password if password else None,
            host,
            self.effective_port,
            self.database,
        )

    def bare(self) -> str:
        """The URL as stored: the options kept, the password left out."""
        from sqlalchemy.engine import URL

        if self.backend == "sqlite":
            return f"sqlite:///{self.database}"
        return URL.create(
            self.scheme or DRIVERS[self.backend],
            self.username,
            None,
            self.host,
            self.port,
            self.database,
            self.option_map,
        ).render_as_string(hide_password=False)

    def with_password(self) -> str:
        """The whole URL, password included: never log it."""
        from sqlalchemy.engine import make_url

        if self.backend == "sqlite":
            return self.bare()
        return (
            make_url(self.bare()).set(password=self.password).render_as_string(hide_password=False)
            if self.password
            else self.bare()
        )

    def display(self) -> str:
        """For reports and messages: never the password."""
        from sqlalchemy.engine import make_url

        if self.backend == "sqlite":
            return self.bare()
        shown = make_url(self.bare())
        if self.password:
            shown = shown.set(password="x")  # noqa: S106 - a placeholder, rendered as ***
        return shown.render_as_string(hide_password=True)

    def engine_args(
        self,
        *,
        connect_seconds: int = DEFAULT_CONNECT_SECONDS,
        read_seconds: int = DEFAULT_READ_SECONDS,
        address: str | None = None,
    ) -> dict[str, Any]:
        """``connect_args`` for SQLAlchemy: timeouts on every driver, local files off."""
        options = self.option_map
        connect = min(int(options.get("connect_timeout", connect_seconds)), connect_seconds)
        if self.backend == "sqlite":
            return {"timeout": connect}
        if self.backend == "postgresql":
            args: dict[str, Any] = {
                "connect_timeout": connect,
                "options": (
                    "-c default_transaction_read_only=on "
                    f"-c statement_timeout={read_seconds * 1000}"
                ),
                "keepalives": 1,
                "keepalives_idle": 30,
                "keepalives_interval": 10,
                "keepalives_count": 3,
                "tcp_user_timeout": read_seconds * 1000,
                "passfile": os.devnull,  # never ~/.pgpass of the server's account
            }
            if _libpq_version() >= 160000:  # never ~/.postgresql/postgresql.{crt,key}
                args["sslcertmode"] = "disable"
            if address is not None:
                args["hostaddr"] = address
            for name in ("sslmode", "sslrootcert", "application_name", "target_session_attrs"):
                if name in options:
                    args[name] = options[name]
            return args
        args = {
            "connect_timeout": connect,
            "read_timeout": read_seconds,
            "write_timeout": read_seconds,
            "local_infile": False,  # LOAD DATA LOCAL INFILE would read any file of ours
            "client_flag": 0,
        }
        if "charset" in options:
            args["charset"] = options["charset"]
        if "ssl_ca" in options:  # the certificate is verified; the host name cannot be (by IP)
            args["ssl"] = {"ca": options["ssl_ca"], "check_hostname": False}
        elif options.get("ssl") in ("true", "1"):  # encrypted, not verified
            args["ssl"] = {}
        return args


def _libpq_version() -> int:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - a dependency
        return 0
    return int(psycopg.pq.version())


def is_url(text: str) -> bool:
    scheme, separator, _rest = text.partition("://")
    return bool(separator) and scheme.replace("+", "").isalnum() and len(scheme) > 1


def parse_source_url(text: str, *, cert_dir: Path | None = None) -> SourceUrl:
    """``text`` as an allow-listed :class:`SourceUrl`, or :class:`SourceUrlError`.

    ``cert_dir``: the folder (``EDUGUARD_SOURCE_CERT_DIR``) a CA certificate option
    (``sslrootcert``, ``ssl_ca``) may name; without it they are refused.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(text)
    except (ArgumentError, ValueError) as exc:
        raise _refuse(
            "invalid_database_url", "数据库地址格式不正确", "the database URL is not valid"
        ) from exc
    backend, _plus, driver = url.drivername.partition("+")
    backend = {"postgres": "postgresql"}.get(backend, backend)
    if backend not in BACKENDS:
        raise _refuse(
            "unsupported_database",
            f"不支持的数据库类型“{backend[:40]}”：支持 sqlite、postgresql、mysql/mariadb",
            f"unsupported database {backend[:40]!r}",
        )
    if driver not in _ACCEPTED_DRIVERS[backend]:
        raise _refuse(
            "unsupported_database",
            f"不支持的数据库驱动“{driver[:40]}”：请使用 {DRIVERS[backend]}",
            f"unsupported driver {driver[:40]!r}",
        )
    for part in (url.username, url.password, url.database, url.host):
        if part is not None and _CONTROL.search(str(part)):
            raise _refuse(
                "invalid_database_url", "数据库地址中不能有控制字符", "control characters in URL"
            )
    if backend == "sqlite":
        return _sqlite(url)
    host = url.host or ""
    if not host or host.startswith("/") or "%" in host:
        raise _refuse(
            "source_option_refused",
            "数据库地址须给出主机名或 IP 地址（不支持本机套接字）",
            "the URL must name a host (local sockets are not supported)",
        )
    if not (_is_ip(host) or _HOST_NAME.match(host)):
        raise _refuse("invalid_database_url", "数据库主机名格式不正确", "invalid host name")
    for part in (url.database, url.username):
        if part is not None and backend == "postgresql" and "=" in part:
            raise _refuse(
                "invalid_database_url",
                "数据库名与用户名中不能有“=”",
                "'=' in a PostgreSQL database or user name",
            )
    options = _options(backend, url, cert_dir)
    return SourceUrl(
        backend=backend,
        scheme=backend if url.drivername == "postgres" else url.drivername,
        host=host.lower(),
        port=url.port,
        database=url.database or None,
        username=url.username or None,
        password=str(url.password) if url.password else None,
        options=tuple(sorted(options.items())),
    )


def _sqlite(url: URL) -> SourceUrl:
    if url.query:
        name = sorted(url.query)[0]
        raise _option_refused(name)
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        raise _refuse("source_not_found", "SQLite 地址中没有数据库文件路径", "no SQLite file path")
    return SourceUrl(backend="sqlite", database=database)


def _option_refused(name: str) -> SourceUrlError:
    shown = name[:40]
    if name.lower() in _FILE_OPTIONS:
        return _refuse(
            "source_option_refused",
            f"数据源地址不允许使用选项“{shown}”：它会让平台读取本机文件或连接到别处",
            f"the option {shown!r} is refused: it reads local files or connects elsewhere",
        )
    return _refuse(
        "source_option_refused",
        f"数据源地址不支持选项“{shown}”",
        f"the option {shown!r} is not supported",
    )


def _single(url: URL, name: str) -> str:
    value = url.query[name]
    if not isinstance(value, str):
        raise _refuse("source_option_refused", f"选项“{name}”只能出现一次", f"{name!r} given twice")
    return value


_PG_OPTIONS: dict[str, Any] = {
    "sslmode": _SSLMODES.__contains__,
    "application_name": _APP_NAME.match,
    "target_session_attrs": _SESSION_ATTRS.__contains__,
}
_MYSQL_OPTIONS: dict[str, Any] = {
    "charset": _CHARSET.match,
    "ssl": ("true", "false", "1", "0").__contains__,
}
_CERT_OPTIONS = {"postgresql": "sslrootcert", "mysql": "ssl_ca", "mariadb": "ssl_ca"}


def _options(backend: str, url: URL, cert_dir: Path | None) -> dict[str, str]:
    """The query options of ``url`` that are on the allow-list; any other is refused."""
    allowed = _PG_OPTIONS if backend == "postgresql" else _MYSQL_OPTIONS
    out: dict[str, str] = {}
    for name in url.query:
        value = _single(url, name)
        if name == _CERT_OPTIONS[backend] and cert_dir is not None:
            out[name] = str(_certificate(value, cert_dir))
            continue
        if name == "connect_timeout":
            valid = value.isdigit() and 1 <= int(value) <= 300
        elif name in allowed:
            valid = bool(allowed[name](value))
        else:
            raise _option_refused(name)
        if not valid:
            raise _refuse(
                "source_option_refused",
                f"选项“{name}”的取值不被允许",
                f"the value of {name!r} is not allowed",
            )
        out[name] = value
    return out


def _certificate(value: str, cert_dir: Path) -> Path:
    folder = cert_dir.expanduser().resolve()
    path = (folder / value).resolve() if not Path(value).is_absolute() else Path(value).resolve()
    if not path.is_relative_to(folder) or not path.is_file():
        raise _refuse(
            "source_option_refused",
            f"证书文件须位于 EDUGUARD_SOURCE_CERT_DIR（{folder}）内",
            "certificate files must lie inside EDUGUARD_SOURCE_CERT_DIR",
        )
    return path


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _plain(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (an IP: itself); [] when it does not resolve."""
    if _is_ip(host):
        return [_plain(ipaddress.ip_address(host))]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = _plain(ipaddress.ip_address(str(sockaddr[0]).split("%")[0]))
        if address not in found:
            found.append(address)
    return found


@dataclass(frozen=True)
class SourceHosts:
    """Where source databases may be: ``EDUGUARD_SOURCE_HOSTS`` (host names, IPs, CIDRs)."""

    networks: tuple[IPNetwork, ...] = ()
    names: frozenset[str] = frozenset()
    platform: tuple[tuple[IPAddress, ...], int] | None = None  # the platform's database
    platform_file: Path | None = None  # ... when it is a SQLite file

    @classmethod
    def parse(cls, text: str, platform_url: str | None = None) -> SourceHosts:
        from sqlalchemy.engine import make_url

        networks: list[IPNetwork] = []
        names: set[str] = set()
        for raw in text.split(","):
            entry = raw.strip().lower()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                if not _HOST_NAME.match(entry):
                    raise ValueError(
                        f"EDUGUARD_SOURCE_HOSTS 中的“{entry}”不是主机名、IP 或网段"
                    ) from None
                names.add(entry.rstrip("."))
        platform: tuple[tuple[IPAddress, ...], int] | None = None
        platform_file: Path | None = None
        if platform_url:
            parsed = make_url(platform_url)
            backend = parsed.get_backend_name()
            if backend == "sqlite" and parsed.database:
                platform_file = Path(parsed.database).expanduser().resolve()
            elif backend in DEFAULT_PORTS:
                port = parsed.port or DEFAULT_PORTS[backend]
                addresses = tuple(resolve(parsed.host or "127.0.0.1", port))
                platform = (addresses, port)
        return cls(tuple(networks), frozenset(names), platform, platform_file)

    def refuses_file(self, path: Path) -> bool:
        return self.platform_file is not None and path.resolve() == self.platform_file

    def _allowed(self, address: IPAddress, port: int, listed_name: bool) -> bool:
        if any(
            address in network for network in ALWAYS_REFUSED if network.version == address.version
        ):
            return False
        if self.platform is not None:
            addresses, platform_port = self.platform
            if port == platform_port and (
                address in addresses
                or (address.is_loopback and any(a.is_loopback for a in addresses))
            ):
                return False
        if listed_name:
            return True
        return any(address in n for n in self.networks if n.version == address.version)

    def admit(self, url: SourceUrl, *, resolve_names: bool = True) -> str | None:
        """The checked address to connect to (None for SQLite, or a listed host name when
        ``resolve_names`` is off: registration); :class:`SourceUrlError` when refused."""
        if url.backend == "sqlite":
            if url.database and self.refuses_file(Path(url.database).expanduser()):
                raise _host_refused()
            return None
        host, port = url.host or "", url.effective_port
        listed = host.rstrip(".") in self.names
        if listed and not resolve_names:
            return None
        addresses = resolve(host, port)
        if not addresses or not all(self._allowed(a, port, listed) for a in addresses):
            raise _host_refused()
        return str(addresses[0])


def _host_refused() -> SourceUrlError:
    return _refuse(
        "source_host_refused",
        "数据源主机不在允许的范围内（EDUGUARD_SOURCE_HOSTS），或无法解析",
        "the source host is outside EDUGUARD_SOURCE_HOSTS or does not resolve",
    )


class ConnectionWatch(Protocol):
    def register(self, dbapi_connection: Any, record: Any) -> None: ...


@dataclass(frozen=True)
class SourcePolicy:
    """How sources are opened: the host allow-list (None: not checked — the operator's own
    ``eduguard scan``), the certificate folder, the driver timeouts and, for files, the
    folders they must (``roots``) and must not (``forbidden``) resolve into."""

    hosts: SourceHosts | None = None
    cert_dir: Path | None = None
    connect_seconds: int = DEFAULT_CONNECT_SECONDS
    read_seconds: int = DEFAULT_READ_SECONDS
    # Files, folders and SQLite: where they may be once every symbolic link is resolved
    # (None: anywhere) and where never (eduguard's own home).
    roots: tuple[Path, ...] | None = None
    forbidden: tuple[Path, ...] = ()
    # eduguard's own folder of uploaded data-source files (inside its home): files there are
    # read although the home is forbidden — only files the console stored there itself.
    managed: tuple[Path, ...] = ()
    # Told of every database connection opened, so a run's deadline or cancellation can cut
    # a read the driver would wait on for ever (see discovery.connectors.watchdog).
    watch: ConnectionWatch | None = None

    def path_refused(self, path: Path) -> bool:
        """True when ``path``, resolved, is inside a forbidden folder or outside the roots
        (a regular file in a ``managed`` folder is never refused)."""
        resolved = path.expanduser().resolve()
        if resolved.is_file() and any(
            resolved.is_relative_to(m.expanduser().resolve()) for m in self.managed
        ):
            return False
        if any(resolved.is_relative_to(f.expanduser().resolve()) for f in self.forbidden):
            return True
        if self.roots is None:
            return False
        return not any(resolved.is_relative_to(r.expanduser().resolve()) for r in self.roots)

    def parse(self, text: str) -> SourceUrl:
        return parse_source_url(text, cert_dir=self.cert_dir)


# JDBC (the Spark engine): the same allow-list idea for the drivers' own URL parameters.
_JDBC_OPTIONS = {
    "postgresql": frozenset(
        {"user", "password", "sslmode", "ssl", "connectTimeout", "socketTimeout", "currentSchema"}
        | {"ApplicationName", "loginTimeout"}
    ),
    "mysql": frozenset(
        {"user", "password", "useSSL", "sslMode", "connectTimeout", "socketTimeout"}
        | {"characterEncoding", "useUnicode", "serverTimezone"}
    ),
}
_JDBC_OPTIONS["mariadb"] = _JDBC_OPTIONS["mysql"]
# Said explicitly, whatever the driver's default: never LOAD DATA LOCAL INFILE.
_JDBC_NO_LOCAL_FILES = {"mysql": "allowLoadLocalInfile=false", "mariadb": "allowLocalInfile=false"}
_JDBC = re.compile(r"^jdbc:(postgresql|mysql|mariadb)://([^/?#;]+)(/[^?#;]*)?(?:\?([^#;]*))?$")


def check_jdbc_url(url: str, connect_seconds: int = DEFAULT_CONNECT_SECONDS) -> str:
    """A ``jdbc:`` URL for PostgreSQL or MySQL/MariaDB with allow-listed parameters only, and
    local-infile off and a connect timeout added; :class:`SourceUrlError` otherwise."""
    match = _JDBC.match(url)
    if match is None:
        raise _refuse(
            "unsupported_database",
            "JDBC 地址须为 jdbc:postgresql://、jdbc:mysql:// 或 jdbc:mariadb://主机/库",
            "JDBC URLs must be jdbc:postgresql|mysql|mariadb://host/db",
        )
    kind, _authority, _path, query = match.groups()
    seen: set[str] = set()
    for pair in (query or "").split("&"):
        if not pair:
            continue
        name = pair.partition("=")[0]
        if name not in _JDBC_OPTIONS[kind] or name in seen or _CONTROL.search(pair):
            raise _option_refused(name)
        seen.add(name)
    extra = [_JDBC_NO_LOCAL_FILES.get(kind, "")]
    if "connectTimeout" not in seen:
        timeout = connect_seconds * 1000 if kind != "postgresql" else connect_seconds
        extra.append(f"connectTimeout={timeout}")
    separator = "&" if query else "?"
    return url + separator + "&".join(part for part in extra if part)


# -- websites (eduguard scan https://…): told apart from database URLs, with the crawl's bounds
@dataclass(frozen=True)
class CrawlLimits:
    """Bounds of one crawl (``eduguard scan URL --max-pages N --max-depth N``)."""

    max_pages: int = 200  # fetches in all (pages and attachments)
    max_depth: int = 3  # links from the start page
    max_bytes: int = 50 << 20  # one response
    timeout: float = 15.0  # one request, seconds
    delay: float = 1.0  # between requests, seconds (robots.txt's Crawl-delay if longer)
    max_seconds: float = 1800.0  # the whole crawl


def is_web_url(text: str) -> bool:
    """``http://`` or ``https://``: a website, never a database URL."""
    return text[:8].lower().startswith(("http://", "https://"))
