"""A CSV's row count is unknown without reading it all: a sampled scan estimates it from the
file's size, says so, and scales the people it counts to the whole file, not the sample."""

from __future__ import annotations

import io
import time
from pathlib import Path

from rich.console import Console

from eduguard.cli.scan import ScanProgressBar
from eduguard.discovery import api
from eduguard.discovery.connectors.delimited import DelimitedTable
from eduguard.discovery.render import render_bytes
from eduguard.discovery.report import ScanReport


def _students(path: Path, rows: int) -> Path:
    lines = ["学号,姓名,班级"]
    lines += [
        f"2024{index:06d},学生{index % 97},初一（{index % 9 + 1}）班" for index in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_small_file_is_counted_exactly_and_a_big_one_estimated(tmp_path: Path) -> None:
    small = DelimitedTable(_students(tmp_path / "small.csv", 120), "small.csv")
    assert small.row_count is None and small.row_estimate == 120
    big = DelimitedTable(_students(tmp_path / "big.csv", 60_000), "big.csv")
    assert big.row_count is None
    assert big.row_estimate is not None and abs(big.row_estimate - 60_000) < 600


def test_a_sampled_scan_reports_the_estimate_and_people_over_the_whole_file(
    tmp_path: Path,
) -> None:
    path = _students(tmp_path / "students.csv", 60_000)
    report = api.scan(str(path), sample=2_000)
    [table] = report.tables
    assert table.rows_sampled == 2_000 and table.row_count is None
    assert table.row_count_estimate is not None
    assert abs(table.row_count_estimate - 60_000) < 600
    assert table.subjects is not None and table.subjects > 50_000  # not the sample's 2,000
    assert table.to_dict()["row_count_estimate"] == table.row_count_estimate
    assert "按文件大小估算" in _plain(report)

    whole = api.scan(str(path), sample=None)
    [read] = whole.tables
    assert read.row_count == 60_000 and read.row_count_estimate is None  # counted, not guessed
    assert "row_count_estimate" not in read.to_dict()


def _plain(report: ScanReport) -> str:
    return render_bytes(report, "table").decode("utf-8")


def test_the_progress_bar_shows_a_total_a_rate_and_time_left(tmp_path: Path) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=160, force_terminal=True, color_system=None)
    bar = ScanProgressBar(console, "zh")
    with bar:
        for rows in range(1_000, 10_001, 1_000):
            bar("students.csv", rows, 60_000)
            time.sleep(0.005)  # Rich measures a rate over time: let some pass between batches
        rows_task = bar.progress.tasks[bar.rows]
        assert rows_task.total == 60_000 and rows_task.completed == 10_000
        shown = [column.render(rows_task) for column in bar.progress.columns]
    text = " ".join(str(cell) for cell in shown)
    assert "10000/60000" in text
    assert "行/秒" in text
