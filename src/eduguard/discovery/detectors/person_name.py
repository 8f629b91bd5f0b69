"""PERSON_NAME — 姓名 of students, guardians and staff (Chinese and romanised).

Spec: a Chinese name is a surname (单姓 or 复姓, data/surnames.txt: the most frequent surnames
of the 2020 household-register statistics plus 百家姓 compound surnames) followed by one or two
given-name characters; minority names may be transliterated with a middle dot (阿不都·热合曼).
Romanised names are capitalised words (``Zhang San``). There is no check digit, so values alone
label a column only when nearly all values look like names *and* the column is not a short
list repeated (course names such as 高等数学 also start with a surname: 高).

In free text a name is taken only with context: a role before it (学生、家长、班主任、联系人 …)
or a form of address after it (同学、老师、家长、女士 …).

>>> check(Values(pl.Series(["张三", "欧阳娜娜", "李", "高一(3)班", "Zhang San", "阿不都·热合曼"]))).to_list()
[True, True, False, False, True, True]
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
    fullmatch,
    is_in,
    read_lines,
)

SURNAMES = sorted({word for line in read_lines("surnames.txt") for word in line.split()})
SURNAME = f"(?:{alternation(SURNAMES)})"
# characters that follow a name in a sentence but rarely belong to one: they end the given name
_STOP = "的在是于因今昨已说和与及等同老请向反表上下不也都将要会被把对从给让为了着过来去到年月日号班级校长主任先女妈爸父母电手联住地身学病假迟早缺"
# …and characters that begin the verb after a name (申请, 提出, 陪同 …): they never end a name
_STOP_LAST = _STOP + "申提认办确签参陪告打称"
GIVEN = f"[\\p{{Han}}--[{_STOP}]]"
GIVEN_LAST = f"[\\p{{Han}}--[{_STOP_LAST}]]"
CHINESE = f"{SURNAME}(?:{GIVEN}{GIVEN_LAST}|{GIVEN})"
TRANSLITERATED = r"\p{Han}{2,6}·\p{Han}{2,8}"
ROMANISED = r"[A-Z][a-z]+(?: [A-Z][a-z]+){1,2}"
_ROLES_BEFORE = (
    "姓名|学生|同学|家长|老师|教师|联系人|监护人|班主任|校医|本人|父亲|母亲|爷爷|奶奶|外公|外婆"
    "|患者|学员|幼儿|教职工|职工|辅导员|申请人|报名人|经办人|通知|告知|转告|致电|约谈|家访|请"
)
# a name opening a sentence, known by what follows it (因病、今日、请假 …)
_OPENING_AFTER = (
    "因|于|在|今日|今天|昨日|昨天|本周|上周|上课|未|已|没有|迟到|早退|请假|缺课|生病|发烧|感冒"
    "|表现|和|与|及|、|家长|同学"
)
# common words that begin with a surname character: never a name on their own
COMMON_WORDS = [
    "周末",
    "高考",
    "高中",
    "高一",
    "高二",
    "高三",
    "方案",
    "方面",
    "马上",
    "时间",
    "成绩",
    "安全",
    "文化",
    "管理",
    "全部",
    "常规",
    "程序",
    "金额",
    "何时",
    "白天",
    "万一",
    "于是",
    "易于",
    "章程",
    "余下",
    "钱包",
    "司机",
    "江边",
    "林地",
    "黄金",
    "程度",
    "高度",
    "严重",
    "单位",
    "任务",
    "任何",
    "许多",
    "许可",
    "毛病",
    "孔子",
    "石头",
    "包括",
    "向前",
    "谢谢",
    "温度",
    "齐全",
    "甘心",
    "雷雨",
    "江南",
    "金钱",
    "常见",
    "云南",
    "华北",
    "华南",
    "伍佰",
    "童年",
    "祝贺",
    "申请",
    "申报",
    "关于",
    "关注",
    "关心",
    "应该",
    "应当",
    "车辆",
    "车站",
    "车费",
    "董事",
    "左右",
    "卫生",
    "邓小平",
    "宁可",
    "尚未",
    "解决",
    "房间",
]
_COMMON = pl.Series(COMMON_WORDS)


def not_a_word(spans: pl.Series) -> pl.Series:
    """Drop spans that are ordinary words (周末, 高考 …) rather than names.

    >>> not_a_word(pl.Series(["周末", "周敏"])).to_list()
    [False, True]
    """
    # 于 is a common surname and the commonest preposition: 于周五, 于明天 are times, not people
    preposition = spans.str.contains(
        r"^于(?:周|星期|明|今|昨|下|上|本|次|近|当|每|[0-9一二三四五六七八九十])"
    )
    return ~is_in(spans, _COMMON) & ~preposition


_ROLES_AFTER = "同学|老师|家长|先生|女士|妈妈|爸爸|的家长|的父亲|的母亲|校长|主任|同志|小朋友|老人"


# Narrowing a match to the name strips the (small) context alternations at its ends; running
# the surname alternation again to extract a group would cost as much as the scan itself.
def _after_role(matches: pl.Series) -> pl.Series:
    names = matches.str.replace(f"^(?:{_ROLES_BEFORE})[：:是为叫\\s]{{0,2}}", "")
    return names.set(~not_a_word(names), None)


def _before_role(matches: pl.Series) -> pl.Series:
    names = matches.str.replace(f"(?:{_ROLES_AFTER})$", "")
    return names.set(~not_a_word(names), None)


def _opening(matches: pl.Series) -> pl.Series:
    names = matches.str.replace(r"^[，。；！？,.;!?\s：:]", "").str.replace(
        f"(?:{_OPENING_AFTER})$", ""
    )
    return names.set(~not_a_word(names), None)


check = declare(Rule(fullmatch(f"{CHINESE}|{TRANSLITERATED}|{ROMANISED}")))
# 张*三, 欧阳*, 王** (公示 conventions keep the surname, sometimes the last character)
masked = declare(Rule(fullmatch(r"\p{Han}{1,2}[*＊×]{1,3}\p{Han}{0,2}")))


def guard(values: Values) -> bool:
    """Names repeat little; a column of a few repeated phrases is not a name column."""
    return len(values) < 20 or values.distinct_ratio >= 0.3


DETECTOR = Detector(
    code="PERSON_NAME",
    label="姓名",
    name_tokens={
        "xm": "姓名",
        "xsxm": "学生姓名",
        "jsxm": "教师姓名",
        "jzxm": "家长姓名",
        "jhrxm": "监护人姓名",
        "lxrxm": "联系人姓名",
        "fqxm": "父亲姓名",
        "mqxm": "母亲姓名",
        "cyxm": "成员姓名",
        "bzrxm": "班主任姓名",
        "ywxm": "英文姓名",
        "xmpy": "姓名拼音",
        "cym": "曾用名",
        "xingming": "姓名",
        "name": "姓名",
        "fullname": "姓名",
        "realname": "真实姓名",
        "studentname": "学生姓名",
        "stuname": "学生姓名",
        "teachername": "教师姓名",
        "guardianname": "监护人姓名",
        "parentname": "家长姓名",
        "contactname": "联系人姓名",
        "firstname": "名",
        "lastname": "姓",
        "givenname": "名",
        "surname": "姓",
        "familyname": "姓",
        "lxr": "联系人",
        "jhr": "监护人",
        "bzr": "班主任",
    },
    name_phrases=(
        "fullname",
        "realname",
        "studentname",
        "teachername",
        "guardianname",
        "parentname",
        "contactname",
        "staffname",
        "employeename",
        "firstname",
        "lastname",
    ),
    keywords_zh=("姓名", "名字", "曾用名", "联系人", "监护人", "班主任"),
    exclude=(
        "xxmc",
        "kcmc",
        "bjmc",
        "mc",
        "classname",
        "coursename",
        "schoolname",
        "filename",
        "username",
        "deptname",
        "departmentname",
        "orgname",
        "productname",
        "itemname",
        "班级名称",
        "课程名称",
        "学校名称",
        "文件名",
        "用户名",
        "部门名称",
        "名称",
        "电话",
        "手机",
        "关系",
        "证件",
        "身份证",
        "phone",
        "mobile",
        "tel",
        "relation",
        "dh",
        "sjh",
        "gx",
        "zjh",
        "sfzjh",
        "dz",
        "addr",
        "地址",
        "email",
        "邮箱",
    ),
    value_check=check,
    value_label="为“常见姓氏 + 名”形式的姓名",
    masked_check=masked,
    value_alone=0.85,
    hint=r"\p{Han}|[A-Za-z]",
    value_guard=guard,
    text=(
        TextPattern(f"(?:{_ROLES_BEFORE})[：:是为叫\\s]{{0,2}}{CHINESE}", refine=_after_role),
        TextPattern(f"{CHINESE}(?:{_ROLES_AFTER})", refine=_before_role),
        TextPattern(f"(?:^|[，。；！？,.;!?\\s：:]){CHINESE}(?:{_OPENING_AFTER})", refine=_opening),
    ),
)
