"""FINANCIAL — 财产/资助信息 (sensitive: 金融账户 and 特定身份, PIPL Art. 28; GB/T 35273 Annex B).

Spec: family income, salary, aid and poverty status (建档立卡、低保、特困、孤儿 —
《学生资助资金管理办法》 categories), payments, balances and loans. Amounts look like any other
amounts (a procurement price is not personal), so numbers count only under a name that says
income/aid/payment; the aid-status words (data/financial_terms.txt) label a column on values.

>>> check(Values(pl.Series(["建档立卡贫困户", "低保户", "不困难", "高一(3)班"]))).to_list()
[True, True, True, False]
"""

from __future__ import annotations

from eduguard.discovery.detectors.base import (
    Detector,
    Rule,
    declare,
    dictionary,
    read_lines,
)

TERMS = read_lines("financial_terms.txt")
# Aid programmes: as a column's values (每人一项) they say what a person receives, but in prose
# a programme's name (a title such as 2026年国家助学金拟资助学生公示名单, a policy letter) is no
# one's money — only the status words (低保户, 家庭经济困难 …) describe a person in free text.
PROGRAMMES = frozenset(
    {"国家助学金", "国家奖学金", "助学贷款", "生源地助学贷款", "学费减免", "营养餐补助"}
)
AMOUNT = r"^[-+]?(?:¥|￥)?\d{1,3}(?:,?\d{3})*(?:\.\d{1,2})?\s*(?:元|万元)?$"


check = declare(Rule(words=tuple(TERMS)))
loose = declare(Rule(words=(*TERMS, "是", "否")), Rule(AMOUNT))


DETECTOR = Detector(
    code="FINANCIAL",
    label="财产/资助",
    name_tokens={
        "jtnsr": "家庭年收入",
        "jtysr": "家庭月收入",
        "jtrjsr": "家庭人均收入",
        "nsr": "年收入",
        "ysr": "月收入",
        "gz": "工资",
        "gzze": "工资总额",
        "yfgz": "应发工资",
        "sfgz": "实发工资",
        "zzje": "资助金额",
        "zzlx": "资助类型",
        "zzdj": "资助等级",
        "kndj": "困难等级",
        "knlx": "困难类型",
        "jjknlx": "经济困难类型",
        "sfpkh": "是否贫困户",
        "sfdb": "是否低保",
        "sfjdlk": "是否建档立卡",
        "jfje": "缴费金额",
        "xfje": "消费金额",
        "kye": "卡余额",
        "zhye": "账户余额",
        "income": "收入",
        "familyincome": "家庭收入",
        "salary": "工资",
        "wage": "工资",
        "balance": "余额",
        "tuition": "学费",
        "subsidy": "补助",
        "povertystatus": "贫困状态",
        "financialaid": "资助",
        "payment": "缴费",
        "loan": "贷款",
    },
    name_phrases=(
        "income",
        "salary",
        "subsidy",
        "poverty",
        "financialaid",
        "tuition",
        "balance",
        "payment",
    ),
    keywords_zh=(
        "收入",
        "工资",
        "薪资",
        "薪酬",
        "资助",
        "贫困",
        "困难",
        "低保",
        "余额",
        "缴费",
        "学费",
        "补助",
        "助学",
        "存款",
        "贷款",
        "消费",
        "建档立卡",
        "特困",
    ),
    exclude=("课时费标准", "采购", "预算", "合同金额"),
    value_check=check,
    value_label="为资助/困难认定取值",
    loose_check=loose,
    loose_label="为金额或资助取值",
    value_alone=0.8,
    hint=r"\p{Han}",
    name_needs_values=False,
    text=(dictionary([term for term in TERMS if len(term) >= 3 and term not in PROGRAMMES]),),
)
