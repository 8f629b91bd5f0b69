"""ADDRESS — 家庭住址、通讯地址、现住址: addresses down to street level.

Spec: a Chinese address runs from large to small: province/city/county (GB/T 2260 names,
data/divisions.tsv) → township/street (镇、乡、街道) → road and number (路、街、巷、弄 + 号) →
estate, building, unit, room (小区、栋、单元、室). A value is an address when it names an
administrative division *and* a street-level part; a bare 北京市海淀区 is coarse location
(HOUSEHOLD_REGISTRATION when the column says 户籍).

>>> check(Values(pl.Series(["北京市海淀区中关村大街27号", "广东省深圳市南山区桃源街道龙珠大道5号3栋2单元1201室", "北京市第一中学", "高一(3)班"]))).to_list()
[True, True, False, False]
"""

from __future__ import annotations

import polars as pl

from eduguard.discovery.detectors.base import (
    Detector,
    Rule,
    TextPattern,
    Values,
    alternation,
    declare,
    read_table,
)

_ROWS = read_table("divisions.tsv")
DIVISIONS = [row[1] for row in _ROWS]
# short forms as written in addresses: 广东 for 广东省, 内蒙古 for 内蒙古自治区
_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市")
SHORT_PROVINCES = sorted(
    {
        row[1].removesuffix(suffix)
        for row in _ROWS
        for suffix in _SUFFIXES
        if row[2] == "province" and row[1].endswith(suffix) and len(row[1]) - len(suffix) >= 2
    }
)
DIVISION_WORDS = sorted(set(DIVISIONS) | set(SHORT_PROVINCES))
DIVISION = f"(?:{alternation(DIVISION_WORDS)})"
ADMIN_MARK = r"[省市区县旗镇乡]|自治州|街道"
STREET_MARK = r"路|街|大道|巷|弄|胡同|\d+号|村|组|小区|花园|公寓|大厦|家园|苑|栋|幢|单元|室|号楼"
# In free text: anything ending in a division marker, then the smaller parts, ending at a
# number, building or room. The leading part is deliberately generic (a 3,000-name alternation
# in the scanning regex is 14× slower); matches are then trimmed to their first division name.
_ROOM = r"(?:\d{1,5}室|\d{1,3}-\d{1,4}(?:室|号)?|\d{3,4}(?-u:\b))"
TEXT_ADDRESS = (
    r"\p{Han}{2,8}?(?:省|市|区|县|旗|州|盟)(?:\p{Han}{0,10}?(?:省|市|区|县|旗|州|盟|地区|镇|乡|街道))*"
    r"(?:[\p{Han}\d]{1,10}?(?:路|街|大道|巷|弄|胡同|村))+"
    # then numbers, estate, building, unit, floor, room in any order: 259号阳光花园16栋2单元1302室,
    # 5号院3号楼401, 东方村3组12号, 16栋2单元13-2
    rf"(?:\d{{1,5}}(?:号院|号楼|栋|幢|座|单元|[号弄组层楼]){_ROOM}?|\d{{1,5}}室"
    r"|[\p{Han}\dA-Za-z]{0,10}?(?:小区|花园|公寓|大厦|家园|苑|新村))*"
)
_LEAD_WORDS = r"^.*?(?:地址|住址|住在|家住|位于|居住在|现住|住|在)[：:为是\s]*"


def trim_address(matches: pl.Series) -> pl.Series:
    """Cut each match at its first division name, else after the words that introduce it.

    The first division name is found by Aho-Corasick (``extract_many``), not by a regex of
    3,000 alternatives, and the match is rebuilt from that word on.

    >>> trim_address(pl.Series(["地址北京市海淀区中关村大街1号", "家住城北区人民路1号", "住在某某路1号"])).to_list()
    ['北京市海淀区中关村大街1号', '城北区人民路1号', '某某路1号']
    """
    frame = pl.DataFrame({"m": matches}).with_columns(
        w=pl.col("m").str.extract_many(DIVISION_WORDS, leftmost=True).list.first()
    )
    rest = pl.col("m").str.split(pl.col("w")).list.slice(1).list.join(pl.col("w"))
    trimmed = (
        pl.when(pl.col("w").is_not_null())
        .then(pl.concat_str([pl.col("w"), rest]))
        .otherwise(pl.col("m").str.replace(_LEAD_WORDS, ""))
    )
    return frame.select(trimmed).to_series()


def _names_a_division(values: Values) -> pl.Series:
    """A division name in the value (a 3,000-name automaton: code, not SQL)."""
    raw = values.raw
    marked = raw.str.contains(ADMIN_MARK)
    rest = (~marked).arg_true()
    if rest.len() == 0:
        return marked
    # building the automaton costs more than the regex: only for values that need it
    return marked.scatter(rest, raw.gather(rest).str.contains_any(DIVISION_WORDS))


# street and administrative marks are data; a division name without a mark is found by code
check = declare(
    Rule(STREET_MARK, min_length=6, refine=_names_a_division),
)
loose = declare(
    Rule(f"{STREET_MARK}|{ADMIN_MARK}", min_length=4),
    Rule(min_length=4, refine=_names_a_division),
)


DETECTOR = Detector(
    code="ADDRESS",
    label="地址",
    name_tokens={
        "jtzz": "家庭住址",
        "jtdz": "家庭地址",
        "xzz": "现住址",
        "xjzd": "现居住地",
        "jzdz": "居住地址",
        "jzd": "居住地",
        "txdz": "通讯地址",
        "yjdz": "邮寄地址",
        "lxdz": "联系地址",
        "zz": "住址",
        "dz": "地址",
        "zhuzhi": "住址",
        "dizhi": "地址",
        "address": "地址",
        "addr": "地址",
        "homeaddress": "家庭住址",
        "mailingaddress": "通讯地址",
        "residence": "住址",
        "street": "街道",
    },
    name_phrases=("address", "homeaddr", "residence"),
    keywords_zh=("地址", "住址", "居住地", "通讯地址", "通信地址", "家庭住址", "现住址"),
    exclude=(
        "emailaddr",
        "ipaddr",
        "macaddr",
        "wldz",
        "网络地址",
        "网址",
        "url",
        "电子邮件",
        "邮箱",
        "ip地址",
        "mac地址",
        "photo",
        "照片",
        "ipdz",
        "macdz",
        "zpdz",
    ),
    value_check=check,
    value_label="含行政区划与街道门牌",
    loose_check=loose,
    loose_label="含行政区划或街道",
    value_alone=0.7,
    hint=r"路|街|道|巷|弄|号|村|组|小区|花园|公寓|大厦|家园|苑|栋|幢|单元|室",
    text=(
        TextPattern(
            TEXT_ADDRESS, refine=trim_address, requires=("省", "市", "区", "县", "旗", "州", "盟")
        ),
    ),
)
