"""The standards-and-vendors lexicon (data/lexicon.csv) and how the scanner uses it (issue 14).

* the file loads, every type in it is a pi-types.md code, known JY/T codes map to their types;
* a bad entry is a clear error;
* columns whose names are in no corpus row are decided as pi-types.md says, with the lexicon's
  readable Chinese evidence (generalisation, not memory);
* surrogate keys are not student numbers; a 学号 stored as an integer still is.
"""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from eduguard.discovery.columns import ColumnState
from eduguard.discovery.detectors import BY_CODE
from eduguard.discovery.model import lexicon
from eduguard.discovery.model.corpus import corpus_path, jyt_elements, real_columns
from eduguard.discovery.model.features import ColumnInput, features, is_surrogate_key
from eduguard.discovery.model.infer import ModelError, load_model

TODAY = date(2026, 12, 1)


def types_of(term: str, comment: str = "") -> set[str]:
    return {code for entry in lexicon.column_hits(term, comment) for code in entry.types}


def test_the_lexicon_loads_and_maps_the_standard_codes() -> None:
    entries = lexicon.entries()
    assert len(entries) > 200
    assert {code for entry in entries for code in entry.types} <= set(BY_CODE)
    assert types_of("XMPY") == {"PERSON_NAME"}
    assert types_of("HYZKM") == {"FAMILY_RELATION"}
    assert types_of("JKZKM") == {"HEALTH"}
    assert types_of("CSDM") == {"HOUSEHOLD_REGISTRATION"}
    assert types_of("JGM") == {"HOUSEHOLD_REGISTRATION"}
    assert types_of("XS_ZZMMM") == {"POLITICAL_STATUS"}  # a token of the name
    assert types_of("SFZJLXM") == set()
    negative = lexicon.column_hits("SFZJLXM", "")
    assert negative and all(entry.types == () for entry in negative)
    assert "lex=none" in features(ColumnInput("SFZJLXM"))
    assert types_of("remark", "左眼裸眼视力") == {"HEALTH"}
    assert {entry.types for entry in lexicon.table_hits("ykt_xfls", "一卡通消费流水")} == {
        ("FINANCIAL",)
    }


def test_the_shipped_model_was_built_with_the_shipped_lexicon() -> None:
    path = corpus_path("real_columns.csv").parent.parent / "lexicon.csv"
    assert load_model().meta["lexicon_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest(), (
        "lexicon changed: rebuild with python -m eduguard.discovery.model build"
    )


def test_a_bad_lexicon_entry_is_a_clear_error() -> None:
    header = "term,match,pi_types,meaning,source\n"
    assert lexicon.parse(header + "xmpy,code,PERSON_NAME,姓名拼音,JY/T 1006\n")[0].types == (
        "PERSON_NAME",
    )
    for bad in (
        "xmpy,code,PERSON_NAMES,姓名拼音,x",
        "xmpy,word,PERSON_NAME,姓名拼音,x",
        ",code,,x,x",
    ):
        with pytest.raises(ModelError) as raised:
            lexicon.parse(header + bad + "\n", frozenset(BY_CODE))
        assert raised.value.code == "lexicon_invalid"
        assert str(raised.value).startswith("词表")


def test_a_changed_entry_changes_the_features() -> None:
    header = "term,match,pi_types,meaning,source\n"
    one = lexicon.parse(header + "fhl,code,HEALTH,肺活量,vendor\n")
    other = lexicon.parse(header + "fhl,code,FINANCIAL,肺活量,vendor\n")
    assert one != other and one[0].evidence == "数据元 FHL（肺活量，vendor）"


# (name, comment, sql type, table, siblings, expected): names that no corpus column has
UNSEEN = [
    ("zysl_lj", "左眼视力（裸眼）", "decimal(3,1)", "tj_slsc", (("xh", "学号"),), {"HEALTH"}),
    ("fhl_ml", "肺活量", "int", "tj_tzjc", (("xh", "学号"),), {"HEALTH"}),
    ("xmpy_full", "", "varchar(60)", "xs_jbxx", (("xh", ""), ("xm", "")), {"PERSON_NAME"}),
    ("hyzk_dm", "", "char(2)", "jzg_jbxx", (("gh", ""), ("xm", "")), {"FAMILY_RELATION"}),
    ("card_balance", "", "decimal(10,2)", "ykt_account", (("xh", "学号"),), {"FINANCIAL"}),
    ("stu_pk_id", "学生ID", "bigint(20)", "xs_cj", (("kc", "课程"),), set()),
    ("xs_sfzjlxm", "身份证件类型码", "char(1)", "xs_jbxx", (("xh", "学号"),), set()),
]


@pytest.mark.parametrize(("name", "comment", "sql_type", "table", "siblings", "expected"), UNSEEN)
def test_columns_no_corpus_has_are_decided_as_the_contract_says(
    name: str,
    comment: str,
    sql_type: str,
    table: str,
    siblings: tuple[tuple[str, str], ...],
    expected: set[str],
) -> None:
    seen = {item.input.name.lower() for item in real_columns() + jyt_elements()}
    assert name.lower() not in seen
    state = ColumnState(
        name=name,
        comment=comment or None,
        scan_date=TODAY,
        sql_type=sql_type,
        table=table,
        siblings=siblings,
    )
    state.flush()
    answers = state.answer()
    assert {answer.code for answer in answers} == expected
    for answer in answers:
        assert any("（" in line and "）" in line for line in answer.evidence), answer


def test_a_surrogate_key_is_not_a_student_number_but_an_integer_xuehao_is() -> None:
    assert is_surrogate_key(ColumnInput("student_id", "", "int(11)"))
    assert is_surrogate_key(ColumnInput("teacher_id", "外键,导师id", "char(32)"))
    assert not is_surrogate_key(ColumnInput("student_id", "学号", "int(11)"))
    assert not is_surrogate_key(ColumnInput("student_no", "", "int(11)"))
    for comment, expected in ((None, set()), ("学号", {"STUDENT_NO"})):
        state = ColumnState(
            name="student_id", comment=comment, scan_date=TODAY, sql_type="int(11)", table="t"
        )
        state.flush()
        assert {answer.code for answer in state.answer()} == expected
