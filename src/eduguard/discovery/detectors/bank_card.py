"""BANK_CARD — 银行卡号/银行账户 (sensitive: 金融账户, PIPL Art. 28).

Spec: payment card numbers (ISO/IEC 7812; 银联 cards start 62) of 16–19 digits whose last digit
is the Luhn check. Account numbers of passbooks and corporate accounts (10–30 digits) do not
carry a Luhn check: they are accepted when the column's name says 银行卡/账号, and values alone
label a column only when most values pass Luhn. Numbers that are valid resident IDs are left to
CN_RESIDENT_ID.

>>> check(Values(pl.Series(["6222 0212 3456 7894", "4111111111111111", "6222021234567890", "11010519491231002X"]))).to_list()
[True, True, False, False]
"""

from __future__ import annotations

import polars as pl

from eduguard.discovery.detectors.base import (
    ASCII_BOUNDARY,
    Detector,
    Rule,
    TextPattern,
    Values,
    declare,
    fullmatch,
)
from eduguard.discovery.detectors.checks import luhn_valid, mod11_2_valid

CARD = r"[1-9]\d{15,18}"


def _luhn(values: Values) -> pl.Series:
    return luhn_valid(values.compact)


check = declare(Rule(fullmatch(CARD), form="compact", refine=_luhn))
MASKED = r"\d{4,6}\*{4,11}\d{4}"
loose = declare(Rule(fullmatch(r"\d{10,30}|" + MASKED), form="compact"))
# 6222 **** **** 1234: as long as a card (16, 17 or 19; 18 is a masked resident ID's length)
masked = declare(
    Rule(fullmatch(MASKED), form="compact", min_length=16, max_length=17),
    Rule(fullmatch(MASKED), form="compact", min_length=19, max_length=19),
)


def _text_valid(spans: pl.Series) -> pl.Series:
    compact = spans.str.replace_all(" ", "")
    return luhn_valid(compact) & ~mod11_2_valid(compact)


DETECTOR = Detector(
    code="BANK_CARD",
    label="银行卡号",
    name_tokens={
        "yhkh": "银行卡号",
        "yhk": "银行卡",
        "yhzh": "银行账号",
        "khzh": "开户账号",
        "yhzhh": "银行账户号",
        "skzh": "收款账号",
        "bankcard": "银行卡",
        "bankcardno": "银行卡号",
        "bankaccount": "银行账户",
        "bankno": "银行卡号",
        "cardno": "卡号",
        "cardnumber": "卡号",
        "accountno": "账号",
        "accountnumber": "账号",
        "iban": "国际银行账号",
    },
    name_phrases=("bankcard", "bankaccount", "bankno", "cardno", "cardnumber", "accountno"),
    keywords_zh=("银行卡", "银行账号", "银行帐号", "银行账户", "开户账号", "收款账号", "卡号"),
    exclude=(
        "校园卡",
        "饭卡",
        "一卡通",
        "借书证",
        "xyk",
        "campuscard",
        "考号",
        "idcard",
        "sfz",
        "身份证",
        "identitycard",
    ),
    value_check=check,
    value_label="通过 Luhn 校验（银行卡）",
    loose_check=loose,
    loose_label="为银行账号",
    masked_check=masked,
    value_alone=0.8,
    hint=r"\d{4}[\s-]?\d{4}[\s-]?\d{4}[\s-]?\d{4}|\d{4}[\s-]?\*{4}",
    text=(
        TextPattern(
            ASCII_BOUNDARY
            + r"(?:[1-9]\d{15,18}|[1-9]\d{3}(?: \d{4}){3}(?: \d{1,3})?)"
            + ASCII_BOUNDARY,
            _text_valid,
            group="identifiers",
        ),
    ),
)
