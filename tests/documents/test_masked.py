"""Masked is not plain: values already masked are reported as masked, never as checked."""

from __future__ import annotations

import polars as pl

from eduguard.discovery import api
from eduguard.discovery.report import ColumnReport
from eduguard.discovery.sources import DataFrameTable

from .conftest import masked, people


def _columns(frame: pl.DataFrame, name: str = "gs") -> dict[str, ColumnReport]:
    [table] = api.scan([DataFrameTable(name, frame)], sample=None).tables
    return {column.name: column for column in table.columns}


def _published(count: int = 20, leaked: int = 0) -> pl.DataFrame:
    pupils = people(count)
    shown = [p if i < leaked else masked(p) for i, p in enumerate(pupils)]
    return pl.DataFrame(
        {
            "姓名": [p["name"] for p in shown],
            "身份证号": [p["id"] for p in shown],
            "联系电话": [p["phone"] for p in shown],
            "银行卡号": [p["card"] for p in shown],
            "zjhm": [p["id"] for p in shown],  # pinyin name
            "v1": [p["card"] for p in shown],  # no name at all: values alone
        }
    )


def test_masked_columns_are_typed_masked_and_deidentified() -> None:
    columns = _columns(_published())
    for name, code in [
        ("姓名", "PERSON_NAME"),
        ("身份证号", "CN_RESIDENT_ID"),
        ("联系电话", "MOBILE_PHONE"),
        ("银行卡号", "BANK_CARD"),
        ("zjhm", "CN_RESIDENT_ID"),
    ]:
        column = columns[name]
        assert column.pi_types == [code], name
        assert column.masking == {
            "values": 20,
            "masked": 20,
            "unmasked": 0,
            "share": 1.0,
            "deidentified": True,
        }, name
        assert "已去标识化：20/20 个值已脱敏" in column.evidence
        # no check digit was computed on a masked value, and the evidence does not claim one
        assert not any("校验" in line and "未作校验" not in line for line in column.evidence), name


def test_masked_bank_cards_alone_are_bank_cards_not_ids() -> None:
    column = _columns(_published())["v1"]
    assert column.pi_types == ["BANK_CARD"]
    assert column.masking is not None and column.masking["deidentified"]


def test_some_unmasked_values_among_masked_ones_are_a_leak_with_the_count() -> None:
    columns = _columns(_published(count=20, leaked=3))
    for name in ("身份证号", "联系电话", "银行卡号", "姓名"):
        column = columns[name]
        assert column.masking is not None, name
        assert (column.masking["masked"], column.masking["unmasked"]) == (17, 3), name
        assert column.masking["deidentified"] is False
        assert column.masking["share"] == 0.85
        assert "泄露：3 个值未脱敏（另有 17 个已脱敏）" in column.evidence
    ids = columns["身份证号"]
    assert "3/20 个值通过 GB 11643 校验位" in ids.evidence  # only the three it could check


def test_plain_columns_carry_no_masking_and_keep_their_contract() -> None:
    [table] = api.scan([DataFrameTable("xs", _published(leaked=20))], sample=None).tables
    ids = next(column for column in table.columns if column.name == "身份证号")
    assert ids.masking is None and "masking" not in ids.to_dict()
    assert "20/20 个值通过 GB 11643 校验位" in ids.evidence
    masked_report = api.scan([DataFrameTable("gs", _published())], sample=None).to_dict()
    [column] = [c for c in masked_report["tables"][0]["columns"] if c["name"] == "身份证号"]
    assert column["masking"]["deidentified"] is True
