"""A labelled synthetic corpus of school tables, for the detection quality tests.

Every value is synthetic: names from Faker zh_CN, ID numbers built on real area codes with a
computed check digit, e-mail addresses under ``.example`` domains. Tables come in every naming
style a school system uses (English snake_case, camelCase, JY/T pinyin abbreviations in lower
and upper case, Chinese column names, meaningless names with Chinese comments), with dirt
(nulls, padding spaces, ``+86`` prefixes, lowercase ``x``, old 15-digit IDs) and hard negatives
(18-digit order numbers failing the check digit, 11-digit serials, scores, class names,
timestamps, amounts). Free-text columns carry their spans as labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl
from corpus_columns import CONCEPTS, COURSES, HEALTH_WORDS, Concept, Generator
from stdnum.iso7064 import mod_11_2

from eduguard.discovery.sources import DataFrameTable

STYLES = ("english", "camel", "pinyin", "pinyin_upper", "chinese", "opaque", "variant")
# other names real systems use for the same columns: not the ones the detectors were written from
VARIANTS = {
    "sfzjh": "stu_id_number", "staff_id": "ZJHM", "xjh": "QGXJH", "xh": "stu_no", "xm": "XSXM",
    "xbm": "sex", "csrq": "dob", "mzm": "nation_code", "zzmmm": "politics", "zjxym": "XYZJM",
    "jkzk": "health_condition", "jtzz": "addr", "hkszd": "HJDZ", "sjh": "cellphone",
    "dzyx": "mail", "jzxm": "parent_name", "jzdh": "parent_tel", "ybrgx": "relation",
    "yhkh": "card_number", "jtnsr": "household_income", "zzlx": "subsidy_type", "cj": "marks",
    "gh": "employee_no", "jsxm": "JSXM", "jszgzsh": "qualification_cert_no", "bgdh": "tel",
    "jszzmm": "ZZMM", "gz": "wage", "dlip": "client_ip", "mac": "mac_addr", "cph": "car_plate",
    "qq": "qq_no", "hzh": "passport", "hxz": "hk_macao_permit", "mm": "pwd", "zp": "avatar",
    "dkwz": "gps", "ksh": "candidate_no", "bjmc": "class", "rxrq": "admission_date",
    "cjsj": "update_time", "zt": "state", "kcmc": "subject", "zc": "rank_title",
}  # fmt: skip


@dataclass
class LabelledTable:
    table: DataFrameTable
    labels: dict[str, set[str]]
    hard_negative: bool = False
    style: str = "business"
    # free-text columns: per row, the (code, text) spans written into it
    spans: dict[str, list[list[tuple[str, str]]]] = field(default_factory=dict)


TABLES = {
    "xs_jbxx": (
        "学生基本信息",
        [
            "xh",
            "xm",
            "xbm",
            "csrq",
            "sfzjh",
            "mzm",
            "zzmmm",
            "zjxym",
            "jkzk",
            "jtzz",
            "hkszd",
            "bjmc",
            "rxrq",
            "zt",
        ],
    ),
    "xs_jtxx": ("学生家庭成员", ["xh", "jzxm", "ybrgx", "jzdh", "dzyx", "jtzz", "cjsj"]),
    "xs_zz": ("学生资助", ["xjh", "xm", "yhkh", "jtnsr", "zzlx", "cjsj"]),
    "xs_cj": ("学生成绩", ["xh", "xm", "kcmc", "cj", "ksh", "cjsj"]),
    "jzg_jbxx": (
        "教职工基本信息",
        ["gh", "jsxm", "staff_id", "jszzmm", "jszgzsh", "bgdh", "sjh", "gz", "zc", "cph"],
    ),
    "xt_dlrz": ("系统登录日志", ["gh", "dlip", "mac", "mm", "cjsj"]),
    "xs_qt": ("学生其他信息", ["xh", "qq", "hzh", "hxz", "zp", "dkwz", "cjsj"]),
}

NOTE_TEMPLATES: tuple[str, ...] = (
    "家长{NAME}来电，说孩子今天{HEALTH}，请假一天。",
    "{NAME}同学上课迟到，已联系其家长，电话{MOBILE}。",
    "班主任{NAME}反映：该生家住{ADDRESS}，上学路途较远。",
    "学生{NAME}的母亲{NAME}申请资助，银行卡号{CARD}。",
    "监护人{NAME}（身份证{ID}）到校办理转学手续。",
    "联系人：{NAME}，手机{MOBILE}，邮箱{EMAIL}。",
    "{NAME}老师提醒：学生有{HEALTH}史，体育课需注意。",
    "今天按时到校，作业完成情况良好。",
    "本周值日安排已更新，请各班查看。",
    "已电话通知家长{NAME}，座机{LANDLINE}。",
    "家访记录：{NAME}同学家庭为低保户，住址{ADDRESS}。",
    "学号{STUDENT_NO}的学生请假三天，QQ：{QQ}。",
    "{NAME}、{NAME}两人未交作业。",
    "请家长于周五前联系{NAME}老师（{MOBILE_SPACED}）。",
    "该生出生于{BIRTH}，户籍在{HUKOU}，现由祖父母照顾。",
)
SPAN_CODES = {
    "NAME": "PERSON_NAME",
    "HEALTH": "HEALTH",
    "MOBILE": "MOBILE_PHONE",
    "ADDRESS": "ADDRESS",
    "CARD": "BANK_CARD",
    "ID": "CN_RESIDENT_ID",
    "EMAIL": "EMAIL",
    "LANDLINE": "LANDLINE_PHONE",
    "STUDENT_NO": "STUDENT_NO",
    "QQ": "SOCIAL_ACCOUNT",
    "MOBILE_SPACED": "MOBILE_PHONE",
    "BIRTH": "BIRTH_DATE",
    "HUKOU": "HOUSEHOLD_REGISTRATION",
}


def _column_name(concept: Concept, style: str, index: int) -> tuple[str, str | None]:
    english, camel, pinyin, chinese = concept.names
    if style == "english":
        return english, None
    if style == "camel":
        return camel, None
    if style == "pinyin":
        return pinyin, concept.comment
    if style == "pinyin_upper":
        return pinyin.upper(), None
    if style == "chinese":
        return chinese, None
    if style == "variant":
        return VARIANTS[concept.key], None
    return f"c{index + 1}", concept.comment  # opaque names: only the comment says anything


def _dirty(g: Generator, value: str) -> str | None:
    roll = g.rng.random()
    if roll < 0.05:
        return None
    if roll < 0.08:
        return f" {value} "
    return value


def note(g: Generator) -> tuple[str, list[tuple[str, str]]]:
    """One free-text note and the spans written into it."""
    template = g.pick(NOTE_TEMPLATES)
    spans: list[tuple[str, str]] = []
    makers: dict[str, Callable[[], str]] = {
        "NAME": g.name,
        "HEALTH": lambda: g.pick(HEALTH_WORDS),
        "MOBILE": lambda: g.mobile(dirt=False),
        "ADDRESS": g.address,
        "CARD": g.bank_card,
        "ID": lambda: g.resident_id(False, dirt=False),
        "EMAIL": g.email,
        "LANDLINE": g.landline,
        "STUDENT_NO": lambda: f"2023{g.rng.randrange(10**5):05d}",
        "QQ": lambda: str(g.rng.randrange(10**5, 10**10)),
        "MOBILE_SPACED": lambda: " ".join(_split_mobile(g.mobile(dirt=False))),
        "BIRTH": lambda: f"{g.birth(True):%Y年%-m月%-d日}",
        "HUKOU": g.hukou,
    }
    text = template
    while "{" in text:
        start = text.index("{")
        end = text.index("}", start)
        slot = text[start + 1 : end]
        value = makers[slot]()
        spans.append((SPAN_CODES[slot], value))
        text = text[:start] + value + text[end + 1 :]
    if "低保户" in text:
        spans.append(("FINANCIAL", "低保户"))
    return text, spans


def _split_mobile(number: str) -> list[str]:
    return [number[:3], number[3:7], number[7:]]


def personal_table(g: Generator, key: str, style: str, rows: int) -> LabelledTable:
    comment, concepts = TABLES[key]
    data: dict[str, list[str | None]] = {}
    comments: dict[str, str] = {}
    labels: dict[str, set[str]] = {}
    for index, concept_key in enumerate(concepts):
        concept = CONCEPTS[concept_key]
        name, column_comment = _column_name(concept, style, index)
        data[name] = [_dirty(g, concept.make(g)) for _ in range(rows)]
        if column_comment is not None:
            comments[name] = column_comment
        labels[name] = set(concept.codes)
    spans: dict[str, list[list[tuple[str, str]]]] = {}
    if key in ("xs_jbxx", "xs_jtxx", "jzg_jbxx"):
        note_name = {
            "english": "remark",
            "camel": "remark",
            "pinyin": "bz",
            "pinyin_upper": "BZ",
            "chinese": "备注",
            "opaque": f"c{len(concepts) + 1}",
            "variant": "memo",
        }[style]
        notes = [note(g) for _ in range(rows)]
        data[note_name] = [text for text, _ in notes]
        spans[note_name] = [found for _, found in notes]
        labels[note_name] = {code for found in spans[note_name] for code, _ in found}
        if style == "opaque":
            comments[note_name] = "备注"
    frame = pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))
    table_name = {"pinyin": key, "pinyin_upper": key.upper()}.get(style, f"{key}_{style}")
    table = DataFrameTable(
        table_name,
        frame,
        comment=comment if style in ("pinyin", "opaque") else None,
        column_comments=comments,
    )
    return LabelledTable(table, labels, spans=spans, style=style)


def hard_negative_tables(g: Generator, rows: int) -> list[LabelledTable]:
    """Business tables with values that look like identifiers, phones, names or dates."""
    orders = pl.DataFrame(
        {
            # 18 digits, date-like prefix, check digit deliberately wrong for GB 11643
            "order_no": [
                _bad_check(g, f"2024{g.rng.randrange(10**13, 10**14)}") for _ in range(rows)
            ],
            "serial_no": [
                f"{g.rng.choice('23456789')}{g.rng.randrange(10**10):010d}" for _ in range(rows)
            ],
            "amount": [f"{g.rng.randrange(1, 100000) / 100:.2f}" for _ in range(rows)],
            "created_at": [CONCEPTS["cjsj"].make(g) for _ in range(rows)],
            "status": [g.pick(["已支付", "待支付", "已退款"]) for _ in range(rows)],
        }
    )
    courses = pl.DataFrame(
        {
            "kcmc": [g.pick(COURSES) for _ in range(rows)],
            "bjmc": [CONCEPTS["bjmc"].make(g) for _ in range(rows)],
            "xf": [g.pick(["1.0", "2.0", "3.5", "4.0"]) for _ in range(rows)],
            "pjf": [f"{g.rng.uniform(60, 95):.1f}" for _ in range(rows)],
            "rs": [str(g.rng.randrange(30, 56)) for _ in range(rows)],
            "kssj": [f"2024-06-{g.rng.randrange(1, 29):02d} 09:00:00" for _ in range(rows)],
            "kcjj": [
                f"本课程讲授{g.pick(COURSES)}的基本概念与方法，共{g.rng.randrange(16, 64)}学时，期末闭卷考试。"
                for _ in range(rows)
            ],
        }
    )
    assets = pl.DataFrame(
        {
            "资产编号": [f"ZC{g.rng.randrange(10**8):08d}" for _ in range(rows)],
            "资产名称": [
                g.pick(["投影仪", "计算机", "实验台", "空调", "打印机"]) for _ in range(rows)
            ],
            "购置日期": [
                f"20{g.rng.randrange(10, 25)}-{g.rng.randrange(1, 13):02d}-15" for _ in range(rows)
            ],
            "单价": [f"{g.rng.randrange(500, 50000)}.00" for _ in range(rows)],
            "存放地点": [
                f"{g.pick(['教学楼', '实验楼', '行政楼'])}{g.rng.randrange(1, 6)}0{g.rng.randrange(1, 9)}室"
                for _ in range(rows)
            ],
        }
    )
    stats = pl.DataFrame(
        {
            "tjrq": [
                f"2024{g.rng.randrange(1, 13):02d}{g.rng.randrange(1, 29):02d}" for _ in range(rows)
            ],
            "xxdm": [f"{g.rng.randrange(10**9, 10**10)}" for _ in range(rows)],
            "zxrs": [str(g.rng.randrange(200, 3000)) for _ in range(rows)],
            "ljbh": [f"1{g.rng.choice('012')}{g.rng.randrange(10**9):09d}" for _ in range(rows)],
            "sjc": [str(1700000000 + g.rng.randrange(10**8)) for _ in range(rows)],
        }
    )
    tables = [
        LabelledTable(DataFrameTable("orders", orders), {}, hard_negative=True),
        LabelledTable(
            DataFrameTable("kc_jbxx", courses, comment="课程信息"), {}, hard_negative=True
        ),
        LabelledTable(DataFrameTable("资产台账", assets), {}, hard_negative=True),
        LabelledTable(
            DataFrameTable("tj_xxrs", stats, comment="学校人数统计"), {}, hard_negative=True
        ),
    ]
    for labelled in tables:
        labelled.labels = {name: set() for name in labelled.table.frame.columns}
    return tables


def _bad_check(g: Generator, number: str) -> str:
    good = mod_11_2.calc_check_digit(number[:17])
    return number[:17] + g.pick([c for c in "0123456789X" if c != good])


def build_corpus(seed: int = 20261127, rows: int = 200) -> list[LabelledTable]:
    """The whole labelled corpus: every personal table in every style, plus hard negatives."""
    g = Generator(seed)
    tables = [personal_table(g, key, style, rows) for style in STYLES for key in TABLES]
    return tables + hard_negative_tables(g, rows)
