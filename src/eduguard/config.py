"""Settings: environment (prefix ``EDUGUARD_``), an optional TOML file, then defaults.

``get_settings()`` is cached and read on demand, never at import time. Outside demo mode a
missing or placeholder secret refuses to start (:func:`Settings.check_secrets`).
"""

from __future__ import annotations

import ipaddress
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from eduguard.crypto import MasterKeySource
from eduguard.errors import ConfigurationError

PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "placeholder", "please-change", "xxx", "todo"}
)
MIN_SECRET_LENGTH = 32
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
MIN_AUDIT_RETENTION_DAYS = 180  # notice item 6: logs kept no less than six months


def _toml_path() -> Path | None:
    explicit = os.environ.get("EDUGUARD_CONFIG")
    if explicit:
        return Path(explicit)
    home = Path(os.environ.get("EDUGUARD_HOME", ".eduguard"))
    candidate = home / "eduguard.toml"
    return candidate if candidate.is_file() else None


class Settings(BaseSettings):
    """Every setting eduguard reads. Each is documented in README (a test keeps that honest)."""

    model_config = SettingsConfigDict(env_prefix="EDUGUARD_", extra="ignore")

    home: Path = Field(
        default=Path(".eduguard"), description="数据目录：嵌入式数据库、上传文件、密钥"
    )
    database_url: str | None = Field(
        default=None, description="数据库 URL；缺省为 HOME 下的 SQLite"
    )
    secret_key: SecretStr = Field(default=SecretStr(""), description="会话签名密钥，≥32 字符")
    demo: bool = Field(default=False, description="演示模式：允许自动生成密钥")
    audit_retention_days: int = Field(
        default=MIN_AUDIT_RETENTION_DAYS,
        description="审计日志保留天数（不少于 180 天，早于此期限的事件才可清理）",
    )
    audit_checkpoint_events: int = Field(
        default=10_000, ge=1, description="每写入多少条审计事件生成一个签名检查点"
    )
    audit_checkpoint_minutes: int = Field(
        default=60, ge=1, description="距上一个检查点多少分钟后（有新事件时）生成签名检查点"
    )
    audit_checkpoint_sink: Path | None = Field(
        default=None, description="检查点导出文件（JSONL）；缺省为 HOME/audit/checkpoints.jsonl"
    )
    audit_checkpoint_command: str | None = Field(
        default=None, description="可选：每个检查点（一行 JSON）经标准输入交给此命令，用于远程留存"
    )

    @field_validator("audit_retention_days")
    @classmethod
    def _retention_at_least_six_months(cls, value: int) -> int:
        if value < MIN_AUDIT_RETENTION_DAYS:
            raise ValueError(
                f"审计日志保留期不得少于 {MIN_AUDIT_RETENTION_DAYS} 天（教科信函〔2021〕20号第6条）"
            )
        return value

    language: Literal["zh", "en"] = Field(default="zh", description="默认界面语言")
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, description="上传文件大小上限（字节）")
    session_hours: int = Field(default=8, description="登录会话有效期（小时）")
    cookie_secure: bool = Field(default=False, description="仅通过 HTTPS 发送会话 Cookie")
    master_key: SecretStr | None = Field(
        default=None,
        description="主密钥（SM4，32 位十六进制），只用于加密数据密钥；缺省为 HOME/keys/master.key",
    )
    field_key: SecretStr | None = Field(
        default=None,
        description="旧版字段密钥（十六进制）：未设置主密钥时作为主密钥沿用；缺省为 HOME/keys/field.key",
    )
    pseudonym_key: SecretStr | None = Field(
        default=None,
        description="脱敏假名化（HMAC-SM3）密钥（十六进制）；缺省为 HOME/keys/pseudonym.key",
    )
    scan_roots: str = Field(
        default="",
        description="允许登记为文件数据源的目录（逗号分隔）；缺省不允许文件与 SQLite 数据源",
    )
    login_max_failures: int = Field(
        default=5, ge=1, le=100, description="连续登录失败几次后锁定账户"
    )
    login_lock_minutes: int = Field(default=15, ge=1, le=1440, description="账户锁定时长（分钟）")
    login_rate_per_minute: int = Field(
        default=10, ge=1, le=10_000, description="同一客户端每分钟最多登录尝试次数"
    )
    mfa_max_failures: int = Field(
        default=5,
        ge=1,
        le=100,
        description="连续输错几次动态验证码后锁定账户（登录与绑定时均计数，锁定时长同登录锁定）",
    )
    token_max_days: int = Field(
        default=90, ge=1, le=366, description="API 令牌的最长有效期（天）；未指定有效期时即取此值"
    )
    audit_checkpoint_seconds: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="有新审计事件时，服务与后台任务每隔多少秒签名一个检查点并立即导出（日志末尾的防篡改窗口）",
    )
    source_hosts: str = Field(
        default="10.0.0.0/8,172.16.0.0/12,192.168.0.0/16",
        description="登记的数据库数据源允许连接的主机（主机名、IP 或网段，逗号分隔）；"
        "缺省为校园专网地址段，本机（127.0.0.1）须显式列出；链路本地地址与平台自身数据库始终拒绝",
    )
    source_cert_dir: Path | None = Field(
        default=None,
        description="数据源地址中 sslrootcert / ssl_ca 证书文件所在目录；缺省不允许这两个选项",
    )
    source_connect_seconds: int = Field(
        default=10, ge=1, le=300, description="连接数据源数据库的超时（秒）"
    )
    source_read_seconds: int = Field(
        default=300, ge=1, le=86_400, description="数据源数据库单次读取/语句的超时（秒）"
    )
    scan_run_minutes: int = Field(
        default=240, ge=1, le=10_080, description="一次扫描任务的最长运行时间（分钟），超时即停止"
    )

    @field_validator("source_hosts")
    @classmethod
    def _source_hosts_parse(cls, value: str) -> str:
        for raw in value.split(","):
            entry = raw.strip()
            if not entry:
                continue
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252})", entry):
                    raise ValueError(
                        f"EDUGUARD_SOURCE_HOSTS 中的“{entry[:60]}”不是主机名、IP 地址或网段"
                    ) from None
        return value

    trusted_proxies: str = Field(
        default="",
        description="可信反向代理的 IP 或网段（逗号分隔）：只采信来自这些地址的 X-Forwarded-For；"
        "缺省不信任任何代理",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for item in value.split(","):
            if item.strip():
                try:
                    ipaddress.ip_network(item.strip(), strict=False)
                except ValueError:
                    raise ValueError(
                        f"EDUGUARD_TRUSTED_PROXIES 中的“{item.strip()[:60]}”不是 IP 地址或网段"
                    ) from None
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        return tuple(
            ipaddress.ip_network(item.strip(), strict=False)
            for item in self.trusted_proxies.split(",")
            if item.strip()
        )

    worker: Literal["auto", "inline", "external"] = Field(
        default="auto",
        description="后台任务（扫描、数据发布、消息发送、期限提醒）由谁执行：inline 为 Web 服务进程内执行；"
        "external 为另行运行 eduguard worker；"
        "auto（缺省）在演示模式或使用嵌入式 SQLite（未设 DATABASE_URL）时为 inline，否则为 external",
    )

    @property
    def inline_worker(self) -> bool:
        """Whether the web server runs the background worker itself (EDUGUARD_WORKER)."""
        if self.worker == "auto":
            return self.demo or not self.database_url
        return self.worker == "inline"

    console_url: str | None = Field(
        default=None,
        description="控制台的对外地址（如 https://eduguard.example.edu.cn），"
        "邮件与机器人消息中的链接以此开头；缺省只写路径",
    )
    smtp_host: str | None = Field(
        default=None, description="发送邮件通知的 SMTP 服务器；缺省不发邮件（消息仍进站内信）"
    )
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP 端口")
    smtp_from: str = Field(default="eduguard@localhost", description="通知邮件的发件人地址")
    smtp_username: str | None = Field(default=None, description="SMTP 登录用户名（可选）")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP 登录密码（可选）")
    smtp_starttls: bool = Field(
        default=False, description="连接 SMTP 后先以 STARTTLS 加密（经公网发送时应开启）"
    )
    notify_webhooks: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="群机器人（企业微信、钉钉等）的 Webhook 地址，JSON：名称 → URL，"
        '如 {"security": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"}；'
        "地址含密钥，视同密码保管",
    )
    notify_timeout_seconds: int = Field(
        default=10, ge=1, le=120, description="发送一条邮件或机器人消息的超时（秒）"
    )
    clocks_webhook: str | None = Field(
        default=None,
        description="期限逾期升级时另行通知的群机器人名称（NOTIFY_WEBHOOKS 中的名称）",
    )

    @field_validator("notify_webhooks")
    @classmethod
    def _webhook_urls(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, url in value.items():
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
                raise ValueError(f"EDUGUARD_NOTIFY_WEBHOOKS 中的名称“{name[:40]}”无效")
            if not re.fullmatch(r"https?://[^\s/?#]+[^\s]*", url.get_secret_value()):
                raise ValueError(f"EDUGUARD_NOTIFY_WEBHOOKS 中“{name}”的地址不是 http(s) URL")
        return value

    timezone: str = Field(
        default="Asia/Shanghai",
        description="页面、导出与报告显示时间所用的时区（IANA 名称，如 Asia/Shanghai）；数据库中一律存 UTC",
    )

    pdf_font: Path | None = Field(
        default=None,
        description="PDF 报告嵌入的中文字体文件（TrueType 轮廓的 .ttf/.ttc，如 "
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc）；缺省时在常见位置查找，"
        "找不到则使用 PDF 阅读器自带的宋体（不嵌入）",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"未知时区 {value!r}（应为 IANA 名称，如 Asia/Shanghai）") from error
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml = _toml_path()
        if toml is not None:
            if not toml.is_file():
                raise ConfigurationError(
                    "config_file_missing",
                    f"配置文件不存在：{toml}",
                    f"configuration file not found: {toml}",
                )
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml))
        return tuple(sources)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'eduguard.db').resolve()}"

    @property
    def scan_root_paths(self) -> tuple[Path, ...]:
        return tuple(Path(p.strip()) for p in self.scan_roots.split(",") if p.strip())

    @property
    def uploads_dir(self) -> Path:
        return self.home / "uploads"

    @property
    def source_uploads_dir(self) -> Path:
        """Files uploaded as data sources (the scanner may read them; nothing else in HOME)."""
        return self.home / "sources"

    @property
    def audit_checkpoint_sink_path(self) -> Path:
        return self.audit_checkpoint_sink or self.home / "audit" / "checkpoints.jsonl"

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    def master_key_source(self) -> MasterKeySource:
        """Where the master key of envelope encryption comes from (see eduguard.crypto)."""
        return MasterKeySource(
            self.keys_dir,
            from_env=self.master_key.get_secret_value() if self.master_key else None,
            legacy_env=self.field_key.get_secret_value() if self.field_key else None,
        )

    def check_secrets(self) -> None:
        """Refuse to start with a missing or placeholder secret, unless in demo mode."""
        if self.demo:
            return
        value = self.secret_key.get_secret_value()
        if value.strip().lower() in PLACEHOLDER_SECRETS or len(value) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                "secret_key_invalid",
                "未设置有效的 EDUGUARD_SECRET_KEY（至少 32 个字符，且不能是占位值）。"
                "请生成随机密钥，例如：python -c 'import secrets; print(secrets.token_urlsafe(48))'",
                "EDUGUARD_SECRET_KEY is missing or a placeholder (need ≥ 32 characters).",
            )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def settings_documentation() -> dict[str, Any]:
    """Name → description of every setting, for docs and the docs test."""
    return {
        f"EDUGUARD_{name.upper()}": field.description
        for name, field in Settings.model_fields.items()
    }
