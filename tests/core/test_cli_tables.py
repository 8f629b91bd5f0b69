"""CLI tables fold a cell that does not fit instead of cutting it: a hash or a file name printed
in an 80-column terminal (or piped) stays whole."""

from __future__ import annotations

from rich.console import Console

from eduguard.cli.common import SafeTable


def test_a_long_cell_is_folded_not_cut() -> None:
    digest = "2d47d86f" * 8
    table = SafeTable("编号", "证明文件", "SM3")
    table.add_row("1", "恢复演练记录-2026年秋季-学籍系统.log", digest)
    console = Console(width=40, record=True, color_system=None)
    console.print(table)
    text = console.export_text()
    assert "…" not in text
    columns: dict[int, str] = {}
    for line in text.splitlines():
        if line.startswith("│"):
            for n, cell in enumerate(line.strip("│").split("│")):
                columns[n] = columns.get(n, "") + cell.strip()
    assert columns[2] == digest and columns[1] == "恢复演练记录-2026年秋季-学籍系统.log"
