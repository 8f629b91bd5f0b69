"""Settings: environment, TOML file, secrets that refuse to start."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from eduguard.config import Settings
from eduguard.errors import ConfigurationError


@pytest.mark.parametrize("secret", ["", "changeme", "secret", "short-but-not-placeholder"])
def test_missing_or_placeholder_secret_refuses_to_start(secret: str) -> None:
    with pytest.raises(ConfigurationError) as info:
        Settings(secret_key=SecretStr(secret)).check_secrets()
    assert "EDUGUARD_SECRET_KEY" in info.value.message_zh


def test_demo_mode_needs_no_secret() -> None:
    Settings(demo=True).check_secrets()


def test_environment_and_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "eduguard.toml"
    config.write_text('language = "en"\nsession_hours = 2\n', encoding="utf-8")
    monkeypatch.setenv("EDUGUARD_CONFIG", str(config))
    monkeypatch.setenv("EDUGUARD_SESSION_HOURS", "4")
    settings = Settings()
    assert settings.language == "en"  # from the file
    assert settings.session_hours == 4  # the environment wins over the file


def test_missing_config_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDUGUARD_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigurationError) as info:
        Settings()
    assert "配置文件不存在" in info.value.message_zh


def test_default_database_is_sqlite_under_home(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    assert settings.effective_database_url == f"sqlite:///{tmp_path.resolve()}/eduguard.db"
