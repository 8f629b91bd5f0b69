"""Differentially private statistics with ε stated; the pseudonymisation key file."""

from __future__ import annotations

import importlib.util
import stat
from pathlib import Path

import polars as pl
import pytest

from eduguard.errors import ConfigurationError
from eduguard.protection.dp import dp_count, dp_counts_by, dp_mean
from eduguard.protection.keys import load_pseudonym_key

# OpenDP is the differential-privacy dependency; without it these tests skip, not fail
needs_opendp = pytest.mark.skipif(
    importlib.util.find_spec("opendp") is None, reason="OpenDP is not installed"
)


@needs_opendp
def test_count_and_mean_are_close_and_state_epsilon() -> None:
    scores = pl.Series("cj", [str(value % 101) for value in range(10_000)])
    count = dp_count(scores, epsilon=1.0)
    assert abs(count.value - 10_000) < 50 and count.to_dict()["epsilon"] == 1.0
    mean = dp_mean(scores, epsilon=1.0, lower=0, upper=100)
    assert abs(mean.value - 50) < 1 and mean.to_dict()["bounds"] == [0.0, 100.0]
    assert "privacy_unit" in mean.to_dict()


@needs_opendp
def test_noise_is_really_added() -> None:
    values = pl.Series("x", ["1"] * 50)
    releases = {dp_count(values, epsilon=0.1).value for _ in range(20)}
    assert len(releases) > 3


@needs_opendp
def test_counts_by_declared_categories() -> None:
    genders = pl.Series("xb", ["男"] * 3000 + ["女"] * 2000 + ["未知"] * 10)
    release = dp_counts_by(genders, ["男", "女"], epsilon=1.0)
    assert set(release.by) == {"男", "女", "其他"}
    assert abs(release.by["男"] - 3000) < 50 and abs(release.by["女"] - 2000) < 50


@needs_opendp
def test_bad_epsilon_and_bounds() -> None:
    with pytest.raises(ValueError, match="epsilon"):
        dp_count(pl.Series(["1"]), epsilon=0)
    with pytest.raises(ValueError, match="lower"):
        dp_mean(pl.Series(["1"]), epsilon=1, lower=5, upper=5)


def test_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    first = load_pseudonym_key(keys)
    assert len(first) == 32 and load_pseudonym_key(keys) == first
    assert stat.S_IMODE((keys / "pseudonym.key").stat().st_mode) == 0o600
    assert load_pseudonym_key(keys, "ab" * 16) == bytes.fromhex("ab" * 16)
    with pytest.raises(ConfigurationError):
        load_pseudonym_key(keys, "xyz")
    (keys / "pseudonym.key").write_text("short", encoding="ascii")
    with pytest.raises(ConfigurationError, match="损坏"):
        load_pseudonym_key(keys)


@needs_opendp
def test_dp_stats_command_states_epsilon(tmp_path: Path) -> None:
    import json

    import typer
    from typer.testing import CliRunner

    from eduguard.cli.mask import register

    root = typer.Typer()

    @root.callback()
    def main() -> None:
        """eduguard."""

    register(root)
    path = tmp_path / "scores.csv"
    pl.DataFrame({"cj": [str(n % 101) for n in range(5000)], "xb": ["男", "女"] * 2500}).write_csv(
        path
    )
    result = CliRunner().invoke(
        root,
        [
            "dp-stats",
            str(path),
            "--epsilon",
            "2",
            "--count",
            "--mean",
            "cj:0:100",
            "--by",
            "xb:男,女",
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["epsilon_total"] == 2
    assert [release["epsilon"] for release in body["releases"]] == pytest.approx([2 / 3] * 3)
    count, mean, by = body["releases"]
    assert abs(count["value"] - 5000) < 50 and abs(mean["value"] - 50) < 2
    assert set(by["by"]) == {"男", "女", "其他"}
    bad = CliRunner().invoke(root, ["dp-stats", str(path), "--mean", "cj:0"])
    assert bad.exit_code == 2 and "--mean" in bad.output
    missing = CliRunner().invoke(root, ["dp-stats", str(path), "--mean", "nope:0:1"])
    assert missing.exit_code == 2 and "nope" in missing.output
