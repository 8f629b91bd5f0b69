"""The peer: Microsoft Presidio configured for Chinese as its documentation allows.

Presidio has no Chinese recognizers and no Chinese model that works offline, so the documented
route is: a spaCy ``zh`` pipeline (here ``spacy.blank("zh")`` with the default character
segmenter, saved to disk so Presidio loads it by path and downloads nothing) and pattern
recognizers for the identifiers, each with its checksum where one exists:

* CN_RESIDENT_ID: 18 characters, GB 11643 MOD 11-2 check digit (``validate_result``);
* MOBILE_PHONE: ``1[3-9]`` + 9 digits;
* EMAIL_ADDRESS: Presidio's own pattern, without its public-suffix check (the bench data uses
  the reserved ``.example`` domain, which that check would reject, and the check would try to
  download the suffix list);
* CREDIT_CARD / bank card: Presidio's own recognizer (Luhn), plus 16-19 digit UnionPay numbers.

Patterns use digit look-arounds instead of ``\\b``: in Python's Unicode regex a Chinese character
is a word character, so ``\\b`` would hide every number written right after Chinese text, which
would make the peer look worse than it is.
"""

from __future__ import annotations

from pathlib import Path

import spacy
from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import NlpEngineProvider
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    SpacyRecognizer,
)

LANGUAGE = "zh"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


class ResidentIdRecognizer(PatternRecognizer):
    def __init__(self) -> None:
        super().__init__(
            supported_entity="CN_RESIDENT_ID",
            supported_language=LANGUAGE,
            patterns=[Pattern("cn_resident_id", r"(?<![0-9])[1-9]\d{16}[0-9Xx](?![0-9Xx])", 0.5)],
            context=["身份证", "证件号"],
        )

    def validate_result(self, pattern_text: str) -> bool:
        body, check = pattern_text[:17], pattern_text[17].upper()
        total = sum(int(digit) * weight for digit, weight in zip(body, _WEIGHTS, strict=True))
        return "10X98765432"[total % 11] == check


class LuhnBankCardRecognizer(PatternRecognizer):
    def __init__(self) -> None:
        super().__init__(
            supported_entity="CREDIT_CARD",
            supported_language=LANGUAGE,
            patterns=[Pattern("unionpay", r"(?<![0-9])62\d{14,17}(?![0-9])", 0.5)],
            context=["银行卡", "卡号", "账号"],
        )

    def validate_result(self, pattern_text: str) -> bool:
        total = 0
        for index, char in enumerate(reversed(pattern_text)):
            digit = int(char)
            if index % 2 == 1:
                digit *= 2
                digit -= 9 if digit > 9 else 0
            total += digit
        return total % 10 == 0


class OfflineEmailRecognizer(EmailRecognizer):
    def validate_result(self, pattern_text: str) -> bool:
        return True


def save_blank_pipeline(folder: Path) -> Path:
    """``spacy.blank("zh")`` (character segmenter: no jieba, no download) saved to disk."""
    path = folder / "zh_blank"
    if not path.exists():
        nlp = spacy.blank(LANGUAGE, config={"nlp": {"tokenizer": {"segmenter": "char"}}})
        nlp.to_disk(path)
    return path


def build_analyzer(folder: Path) -> AnalyzerEngine:
    model = save_blank_pipeline(folder)
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": LANGUAGE, "model_name": str(model)}],
        }
    )
    registry = RecognizerRegistry(supported_languages=[LANGUAGE])
    registry.add_recognizer(ResidentIdRecognizer())
    registry.add_recognizer(
        PatternRecognizer(
            supported_entity="PHONE_NUMBER",
            supported_language=LANGUAGE,
            patterns=[Pattern("cn_mobile", r"(?<![0-9])(?:\+?86[ -]?)?1[3-9]\d{9}(?![0-9])", 0.5)],
            context=["电话", "手机", "联系"],
        )
    )
    registry.add_recognizer(OfflineEmailRecognizer(supported_language=LANGUAGE))
    registry.add_recognizer(CreditCardRecognizer(supported_language=LANGUAGE))
    registry.add_recognizer(LuhnBankCardRecognizer())
    # NER for PERSON/LOCATION: configured, but a blank zh pipeline has no NER component
    registry.add_recognizer(SpacyRecognizer(supported_language=LANGUAGE))
    return AnalyzerEngine(
        nlp_engine=provider.create_engine(),
        registry=registry,
        supported_languages=[LANGUAGE],
    )
