"""Layout detection: title and notes rows, two-level headers, empty header cells."""

from __future__ import annotations

import doctest

import eduguard.discovery.connectors.layout as layout
from eduguard.discovery.connectors.layout import find_table


def test_docstring_examples() -> None:
    assert doctest.testmod(layout).failed == 0


def test_title_notes_and_a_header_gap_named_by_position() -> None:
    grid = find_table(
        [
            [None, None, None, None],
            ["某某小学2026年三好学生名单", None, None, None],
            ["填报单位：教务处", None, None, None],
            ["序号", "姓名", None, "班级"],
            [1, "王小明", "110105201503071234", "三年级1班"],
            [2, "李华", "110105201503071242", "三年级2班"],
            ["公示期：12月1日至12月5日，联系电话 010-12345678", None, None, None],
        ]
    )
    assert grid is not None
    assert grid.title == "某某小学2026年三好学生名单"
    assert grid.names == ["序号", "姓名", "column_3", "班级"]  # the ID column is kept
    assert grid.row_numbers == [4, 5]
    assert grid.rows[0][2] == "110105201503071234"
    assert [text for _, text in grid.notes] == [
        "填报单位：教务处",
        "公示期：12月1日至12月5日，联系电话 010-12345678",
    ]


def test_an_unfilled_horizontal_merge_over_a_second_header_row() -> None:
    grid = find_table(
        [
            ["序号", "学生姓名", "家庭成员", None, "备注"],
            [None, None, "姓名", "关系", None],
            ["1", "王小明", "王大山", "父亲", ""],
        ]
    )
    assert grid is not None
    assert grid.names == ["序号", "学生姓名", "家庭成员/姓名", "家庭成员/关系", "备注"]
    assert grid.header_rows == [0, 1]


def test_a_first_data_row_is_not_taken_for_a_second_header() -> None:
    grid = find_table([["姓名", "性别", "民族"], ["张三", "男", "汉族"], ["李四", "女", "回族"]])
    assert grid is not None
    assert grid.header_rows == [0] and len(grid.rows) == 2


def test_nothing_at_all() -> None:
    assert find_table([]) is None
    assert find_table([[None, ""]]) is None
