"""One column's evidence, gathered batch by batch, and the answer it adds up to.

Name evidence (column name and comment) is decided once. Value evidence is counted per batch:
which detectors run on the full column is decided on its first values (a sample), so a column
of mobile numbers is checked for mobile numbers, not for 33 types; free-text columns are
scanned span by span instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from eduguard.discovery.detectors import DETECTORS, Detector, NameHit, Values
from eduguard.discovery.detectors.base import normalise_name, share
from eduguard.discovery.detectors.checks import ages_at
from eduguard.discovery.distinct import DistinctCounter
from eduguard.discovery.model.decide import name_evidence
from eduguard.discovery.model.features import ColumnInput
from eduguard.discovery.model.infer import ColumnModel, load_model
from eduguard.discovery.sketch import SKETCHED_TYPES, KeyedSketch
from eduguard.discovery.textscan import CERTAIN_TYPES, extract_spans, looks_like_text, named_as_text

SAMPLE_VALUES = 1000  # values a column's candidate detectors are chosen on
MIN_DECIDE = 100  # values wanted before choosing, unless the table ends first
CANDIDATE_SHARE = 0.2  # sample share a detector needs to run on the full column without a name hit
NAME_AGREES = 0.05  # share of values that keeps a name hit when the name needs values
REPORT_AT = 0.5  # confidence from which a type is reported
MINOR_AGE = 14  # PIPL Art. 28: 不满十四周岁
IDENTIFYING = (
    "CN_RESIDENT_ID", "STUDENT_REG_NO", "STUDENT_NO", "STAFF_NO", "EXAM_REG_NO", "PASSPORT",
    "TRAVEL_PERMIT", "MOBILE_PHONE", "EMAIL", "PERSON_NAME",
)  # fmt: skip
# types whose values are themselves phrases: a prose column matching them is still prose
_PROSE_TYPES = frozenset({"ADDRESS", "HEALTH", "FINANCIAL", "PERSON_NAME"})


def name_only(hit: NameHit) -> float:
    """Confidence from name evidence alone: 0.5–0.74, below any answer values confirm."""
    return round(0.5 + 0.24 * hit.confidence, 4)


# identifiers whose values a check digit proves (GB 11643, Luhn, GB 32100), and those that only a
# value's shape and a column's name suggest
CHECK_DIGIT_TYPES = frozenset({"CN_RESIDENT_ID", "BANK_CARD", "ORG_CODE"})
SHAPE_ONLY_NUMBERS = frozenset({"STUDENT_NO", "STAFF_NO"})


@dataclass
class TypeCount:
    checked: int = 0
    strict: int = 0
    loose: int = 0
    masked: int = 0  # values written masked (``Detector.masked_check``)

    @property
    def unmasked(self) -> int:
        """Values that hold the type in the clear: pass the check, or the loose check unmasked."""
        return max(self.strict, self.loose - self.masked)


@dataclass
class TypeAnswer:
    code: str
    confidence: float
    evidence: list[str]
    checked: int = 0
    masked: int = 0
    unmasked: int = 0


@dataclass
class ColumnState:
    name: str
    comment: str | None
    scan_date: date
    tokens: tuple[str, ...] = ()
    name_hits: dict[str, NameHit] = field(default_factory=dict)
    candidates: list[Detector] | None = None
    free_text: bool = False
    pending: list[pl.Series] = field(default_factory=list)
    pending_count: int = 0
    nonnull: int = 0
    counts: dict[str, TypeCount] = field(default_factory=dict)
    span_counts: dict[str, int] = field(default_factory=dict)
    span_rows: int = 0
    guards: dict[str, bool] = field(default_factory=dict)
    # per type that carries birth dates: (dates seen, of subjects under 14)
    births: dict[str, list[int]] = field(default_factory=dict)
    # distinct values, for the table's number of people: only the engine's chosen column counts
    count_subjects: bool = True
    distinct: DistinctCounter | None = None
    # keyed-hash sketch of identifying values (one data, one source); only given a key
    sketch_key: bytes | None = None
    sketch: KeyedSketch | None = None
    # what the column model reads besides name and comment: declared SQL type, the table's
    # name and comment, its other columns (name, comment) and this column's position
    sql_type: str = ""
    table: str = ""
    table_comment: str | None = None
    siblings: tuple[tuple[str, str], ...] = ()
    position: int = -1
    # "auto_increment" (the database numbers it: a surrogate key), "primary" (a primary key it
    # does not number) or "" (not a key, or not known): from the source's schema
    key: str = ""
    # the column model (None: the shipped one); ``use_model=False``: the name rules alone
    model: ColumnModel | None = None
    use_model: bool = True

    def __post_init__(self) -> None:
        self.tokens, _ = normalise_name(self.name)
        model = (self.model or load_model()) if self.use_model else None
        column = ColumnInput(
            name=self.name,
            comment=self.comment or "",
            sql_type=self.sql_type,
            table=self.table,
            table_comment=self.table_comment or "",
            siblings=self.siblings,
            position=self.position,
        )
        self.name_hits = name_evidence(column, model)
        if self.surrogate:  # a counter the database keeps holds nobody's information
            self.name_hits = {}

    @property
    def surrogate(self) -> bool:
        """An auto-increment column: a surrogate key (pi-types.md: not personal)."""
        return self.key == "auto_increment"

    # -- reading ------------------------------------------------------------------------------
    def add(self, raw: pl.Series) -> None:
        """Count one batch of this column's values (strings, stripped, empties removed)."""
        if raw.len() == 0:
            return
        if self.candidates is None:
            self.pending.append(raw)
            self.pending_count += raw.len()
            if self.pending_count >= MIN_DECIDE:
                self.flush()
            return
        self._count(raw)

    def flush(self) -> None:
        """Choose the detectors (if not yet chosen) and count what was held back for choosing."""
        if self.candidates is None:
            held = pl.concat(self.pending) if self.pending else pl.Series([], dtype=pl.String)
            self._choose(Values(held.head(SAMPLE_VALUES)))
            self.pending, self.pending_count = [], 0
            if held.len():
                self._count(held)

    @staticmethod
    def _share_of(detector: Detector, sample: Values) -> float:
        """Sample share that holds the type: passes the check, or is it written masked."""
        assert detector.value_check is not None
        passed = detector.value_check(sample)
        if detector.masked_check is not None:
            passed = passed | detector.masked_check(sample)
        return share(passed)

    def _choose(self, sample: Values) -> None:
        if self.surrogate:
            self.candidates, self.free_text = [], False
            return
        named = named_as_text(self.tokens, self.name, self.comment)
        self.free_text = len(sample) > 0 and (
            named or (looks_like_text(sample.raw) and not self._structured(sample))
        )
        if self.free_text:
            self.candidates = []
            return
        self.free_text = False
        plausible = self._plausible(sample)
        chosen = [
            detector
            for detector in DETECTORS
            if detector.code in self.name_hits
            or (
                detector.code in plausible
                and detector.value_check is not None
                and self._share_of(detector, sample) >= CANDIDATE_SHARE
            )
        ]
        for detector in chosen:
            if detector.value_guard is not None and len(sample):
                self.guards[detector.code] = detector.value_guard(sample)
        self.candidates = chosen

    @staticmethod
    def _plausible(sample: Values) -> set[str]:
        """Types whose hint is in enough of the sample: one select over all hints."""
        hinted = [d for d in DETECTORS if d.value_check is not None and d.value_alone is not None]
        if len(sample) == 0:
            return set()
        shares = pl.DataFrame({"v": sample.raw}).select(
            [
                (pl.col("v").str.contains(d.hint).mean() if d.hint else pl.lit(1.0)).alias(d.code)
                for d in hinted
            ]
        )
        return {
            code for code, value in shares.row(0, named=True).items() if value >= CANDIDATE_SHARE
        }

    def _structured(self, sample: Values) -> bool:
        """A long-valued column that one value check explains (addresses) is not free text."""
        plausible = self._plausible(sample)
        for detector in DETECTORS:
            if (
                detector.code in plausible
                and detector.value_check is not None
                and detector.value_alone is not None
                and detector.code not in _PROSE_TYPES
                and share(detector.value_check(sample)) >= detector.value_alone
            ):
                return True
        return False

    def _count(self, raw: pl.Series) -> None:
        self.nonnull += raw.len()
        if self.free_text:
            self._count_spans(raw)
            return
        values = Values(raw)
        candidates = self.candidates or []
        if self.count_subjects and self.identifying_rank() is not None:
            if self.distinct is None:
                self.distinct = DistinctCounter()
            self.distinct.add(values.compact)
        if self.sketch_key is not None and any(d.code in SKETCHED_TYPES for d in candidates):
            if self.sketch is None:
                self.sketch = KeyedSketch(self.sketch_key)
            self.sketch.add(values.compact)
        for detector in candidates:
            count = self.counts.setdefault(detector.code, TypeCount())
            count.checked += raw.len()
            strict = detector.value_check(values) if detector.value_check is not None else None
            if strict is not None:
                count.strict += int(strict.sum())
            if detector.masked_check is not None:
                count.masked += int(detector.masked_check(values).sum())
            if detector.code in self.name_hits and detector.loose_check is not None:
                count.loose += int(detector.loose_check(values).sum())
            elif strict is not None:
                count.loose = count.strict
            if detector.birth_dates is not None:
                self._count_minors(detector.code, detector.birth_dates(values))

    def _count_spans(self, raw: pl.Series) -> None:
        spans = extract_spans(raw)
        self.span_rows += raw.len()
        if spans.height == 0:
            return
        for code, number in spans.group_by("code").len().iter_rows():
            self.span_counts[code] = self.span_counts.get(code, 0) + int(number)

    def _count_minors(self, code: str, births: pl.Series) -> None:
        valid = births.drop_nulls()
        if valid.len() == 0:
            return
        seen = self.births.setdefault(code, [0, 0])
        seen[0] += valid.len()
        seen[1] += int((ages_at(valid, self.scan_date) < MINOR_AGE).sum())

    def identifying_rank(self) -> int | None:
        """How well this column identifies people (0 best), from its chosen detectors."""
        ranks = [IDENTIFYING.index(d.code) for d in self.candidates or [] if d.code in IDENTIFYING]
        return min(ranks, default=None)

    def stop_counting(self) -> None:
        self.count_subjects, self.distinct = False, None

    # -- answering ----------------------------------------------------------------------------
    def answer(self) -> list[TypeAnswer]:
        """The types this column holds, with confidence and readable evidence."""
        if self.free_text:
            return self._answer_text()
        answers = []
        by_code = {detector.code: detector for detector in self.candidates or []}
        for code, detector in by_code.items():
            answer = self._answer_type(detector, self.counts.get(code, TypeCount()))
            if answer is not None and answer.confidence >= REPORT_AT:
                answers.append(answer)
        for code, hit in self.name_hits.items():  # names of columns that had no values at all
            if code not in by_code and self.nonnull == 0:
                answers.append(
                    TypeAnswer(
                        code, name_only(hit), [hit.evidence, "列无非空值，仅凭列名/注释判断"]
                    )
                )
        return self._without_shape_only_numbers(answers)

    def _without_shape_only_numbers(self, answers: list[TypeAnswer]) -> list[TypeAnswer]:
        """Values that a check digit proves to be bank cards or ID numbers are not also student
        or staff numbers, which only a value's shape (编号形式) and the name model can suggest."""
        proven = any(
            answer.code in CHECK_DIGIT_TYPES
            and (count := self.counts.get(answer.code)) is not None
            and count.checked > 0
            and count.strict >= 0.9 * count.checked
            for answer in answers
        )
        if not proven:
            return answers
        return [answer for answer in answers if answer.code not in SHAPE_ONLY_NUMBERS]

    def _answer_type(self, detector: Detector, count: TypeCount) -> TypeAnswer | None:
        answer = self._answer_counts(detector, count)
        if answer is not None:
            answer.checked, answer.masked, answer.unmasked = (
                count.checked,
                count.masked,
                count.unmasked,
            )
        return answer

    @staticmethod
    def _masked_line(detector: Detector, count: TypeCount) -> str:
        # a masked value's check digit cannot be computed: the evidence never claims one
        return f"{count.masked}/{count.checked} 个值已脱敏（部分字符以 * 遮蔽，未作校验）"

    def _answer_counts(self, detector: Detector, count: TypeCount) -> TypeAnswer | None:
        hit = self.name_hits.get(detector.code)
        checked = count.checked
        if hit is not None:
            if checked == 0:
                return TypeAnswer(
                    detector.code, name_only(hit), [hit.evidence, "列无非空值，仅凭列名/注释判断"]
                )
            share = max(count.loose, count.strict + count.masked) / checked
            evidence = [hit.evidence]
            if detector.value_check is not None and count.strict:
                evidence.append(f"{count.strict}/{checked} 个值{detector.value_label}")
            elif detector.loose_check is not None and count.loose > count.masked:
                evidence.append(
                    f"{count.loose - count.masked}/{checked} 个值{detector.loose_label}"
                )
            if count.masked:
                evidence.append(self._masked_line(detector, count))
            if share >= 0.5:
                return TypeAnswer(detector.code, 0.75 + 0.24 * share, evidence)
            if share >= NAME_AGREES:
                return TypeAnswer(detector.code, 0.6, evidence)
            if not detector.name_needs_values:
                return TypeAnswer(detector.code, 0.55, evidence)
            return None
        if detector.value_alone is None or checked == 0:
            return None
        share = (count.strict + count.masked) / checked
        if share < detector.value_alone or not self.guards.get(detector.code, True):
            return None
        evidence = []
        if count.strict:
            evidence.append(f"{count.strict}/{checked} 个值{detector.value_label}")
        if count.masked:
            evidence.append(self._masked_line(detector, count))
        return TypeAnswer(
            detector.code, 0.5 + 0.45 * share, [*evidence, "列名未提示，仅凭取值判断"]
        )

    def _answer_text(self) -> list[TypeAnswer]:
        answers = []
        rows = max(self.span_rows, 1)
        for detector in DETECTORS:
            found = self.span_counts.get(detector.code, 0)
            needed = 1 if detector.code in CERTAIN_TYPES else 2
            if found >= needed:
                confidence = (
                    min(0.95, 0.6 + 0.05 * found)
                    if detector.code in CERTAIN_TYPES
                    else min(0.9, 0.5 + 0.02 * found)
                )
                evidence = [f"自由文本：{rows} 条中发现 {found} 处{detector.label}"]
                answers.append(TypeAnswer(detector.code, confidence, evidence))
            elif detector.code in self.name_hits and not detector.name_needs_values:
                answers.append(
                    TypeAnswer(detector.code, 0.6, [self.name_hits[detector.code].evidence])
                )
        return answers

    def subjects(self) -> int | None:
        return None if self.distinct is None else self.distinct.estimate()
