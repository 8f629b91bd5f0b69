"""The checks that read a system's processing register (the processing domain's purposes, their
PIPL Art. 13 legal basis and fields, and the collection rules published on the platform)
instead of facts typed in by hand — notice items 4, 10 and 11 (issue #16, logic 9).

Like ``compliance.checks`` nothing here touches the database: ``compliance.snapshot`` fills
``SystemSnap.purposes`` and ``SystemSnap.rules`` from ``processing.flows.register_facts``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eduguard.compliance.backup_checks import BACKUP_CHECKS
from eduguard.compliance.checks import (
    CHECKS,
    FACTS,
    CheckSpec,
    Context,
    Outcome,
    PurposeSnap,
    SystemSnap,
    _present,
    list_names,
)

CONSENT = "consent"  # PIPL Art. 13 ¶1 (1); (2)–(7) need no consent (Art. 13 ¶2)


def bases_by_field(system: SystemSnap) -> dict[str, set[str]]:
    """ "dataset.field" → the legal bases of the active purposes that use it."""
    found: dict[str, set[str]] = {}
    for purpose in system.purposes:
        for label in purpose.fields:
            found.setdefault(label, set()).add(purpose.basis)
    return found


def needing_consent(system: SystemSnap, labels: list[str]) -> list[str]:
    """Of ``labels``, the fields whose processing rests on consent: used by an active purpose
    based on consent, or by no active purpose at all (the register does not say otherwise).
    A field used only by purposes under PIPL Art. 13 ¶1 (2)–(7) — 学籍 and 资助 under a
    statutory duty, (三) — needs no consent (Art. 13 ¶2; 未成年人保护法 第七十二条 “另有规定”)."""
    bases = bases_by_field(system)
    return [label for label in labels if not bases.get(label) or CONSENT in bases[label]]


def exempted(system: SystemSnap, labels: list[str]) -> list[str]:
    """Of ``labels``, the fields every active purpose of which rests on a basis other than
    consent, with that basis: "xs.xm（个人信息保护法 第十三条第一款第（三）项）"."""
    clauses: dict[str, set[str]] = {}
    for purpose in system.purposes:
        for label in purpose.fields:
            clauses.setdefault(label, set()).add(
                "consent" if purpose.basis == CONSENT else purpose.basis_clause
            )
    return [
        f"{label}（{'、'.join(sorted(clauses[label]))}）"
        for label in labels
        if label in clauses and CONSENT not in clauses[label]
    ]


def pi_fields(system: SystemSnap) -> list[str]:
    return [f"{d.name}.{name}" for d in system.datasets for name in d.pi_fields]


# ---------------------------------------------------------------- checks


def purposes_cover_pi(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    """PIPL Art. 6 and 13: the system's PI is processed for an active purpose with a legal
    basis — at least one such purpose, and every PI field of its catalog used by one."""
    system: SystemSnap = s
    if not system.purposes:
        drafts = (
            f"（登记了 {len(system.draft_purposes)} 个未启用或未选择合法性基础的处理目的："
            f"{list_names(system.draft_purposes, 4)}）"
            if system.draft_purposes
            else ""
        )
        return Outcome(
            f"处理登记中没有已启用、写明合法性基础的处理目的{drafts}",
            fields=pi_fields(system)[:20],
        )
    covered = bases_by_field(system)
    uncovered = [label for label in pi_fields(system) if label not in covered]
    if not uncovered:
        return None
    return Outcome(
        f"{len(uncovered)} 个个人信息字段未列入任何已启用的处理目的（处理目的及其合法性基础不明）："
        f"{list_names(uncovered)}",
        fields=uncovered[:20],
    )


def sensitive_necessity_stated(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    """PIPL Art. 28 ¶2 and 30, notice item 11: the necessity of processing each sensitive
    field (and its effect on the person) is stated by the purpose that uses it."""
    system: SystemSnap = s
    unstated: list[str] = []
    users: dict[str, list[str]] = {}
    for purpose in system.purposes:
        for label in purpose.fields:
            users.setdefault(label, []).append(purpose.name)
            if label in system.sensitive_fields and not purpose.sensitive_necessity:
                unstated.append(f"“{purpose.name}”使用 {label}")
    orphans = [label for label in system.sensitive_fields if label not in users]
    problems = []
    if unstated:
        problems.append(
            f"处理目的未说明处理敏感个人信息的必要性及对个人权益的影响：{list_names(unstated)}"
        )
    if orphans:
        problems.append(
            f"敏感个人信息字段未列入任何已启用的处理目的，必要性无从说明：{list_names(orphans)}"
        )
    if not problems:
        return None
    fields = sorted({u.rsplit(" ", 1)[-1] for u in unstated} | set(orphans))
    return Outcome("；".join(problems), fields=fields[:20])


def collection_rules_published(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    """Notice item 4: the system's collection rules are public. Published on the platform
    (the processing register's current version, SM3 digest intact) is the evidence; a system
    whose rules are published elsewhere records where and since when (facts)."""
    system: SystemSnap = s
    rules = system.rules
    if rules is not None and rules.published:
        if not rules.intact:
            return Outcome(
                f"平台发布的收集使用规则第 {rules.number} 版与发布时的 SM3 摘要不一致（内容被改动），"
                "不能作为已公开的证据"
            )
        if rules.published_on is not None and rules.published_on > ctx.today:
            return Outcome(
                f"收集使用规则发布于 {rules.published_on.isoformat()}，晚于评估日期，不能作为证据"
            )
        return None
    outcome = _present(system.facts, tuple(p["facts"]), FACTS, ctx.today)
    if outcome is None:
        return None
    return Outcome(f"未在平台发布收集使用规则，也未登记在其他位置公开的情况（{outcome.evidence}）")


def children_rules_published(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    """PIPL Art. 31 ¶2, NDSR Art. 21 ¶2: a system processing children's PI has published
    专门的个人信息处理规则 for it."""
    system: SystemSnap = s
    rules = system.rules
    if rules is not None and rules.children_published:
        if rules.intact:
            return None
        return Outcome("平台发布的儿童个人信息专门规则与发布时的 SM3 摘要不一致（内容被改动）")
    general = "；收集使用规则已发布，但不含儿童专门规则" if rules and rules.published else ""
    return Outcome(
        f"未发布儿童个人信息保护专门规则（处理登记 → 发布收集使用规则时一并生成）{general}",
        fields=list(system.children_fields[:20]),
    )


def _ledger_problem(purpose: PurposeSnap, who: str) -> str | None:
    """Why a consent-based purpose's ledger is not evidence of consent, or None."""
    ledger = purpose.ledger
    name = f"处理目的“{purpose.name}”以个人同意为合法性基础"
    if ledger is None:
        return f"{name}，但尚未生效，同意台账无从作为依据"
    if ledger.tampered:
        return (
            f"“{purpose.name}”的同意台账有 {ledger.tampered} 条记录与其 SM3 摘要不一致（被改动），"
            "不能作为同意的证据"
        )
    if ledger.subjects == 0:
        return f"{name}，但同意台账中没有登记任何个人，也没有任何{who}同意记录"
    if ledger.decided == 0:
        return f"{name}，同意台账登记的 {ledger.subjects:,} 人均无{who}决定记录"
    if ledger.needs_reconsent:
        return (
            f"“{purpose.name}”发生实质变更后，{ledger.needs_reconsent:,} 人此前的同意已失效、尚未重新"
            "取得（个人信息保护法 第十四条第二款；平台已停止对其处理）"
        )
    return None


def _consent_on_ledger(
    system: SystemSnap, labels: list[str], facts: tuple[str, ...], ctx: Context, who: str
) -> Outcome | None:
    """Issue #18 part 9: for fields used by a consent-based purpose the consent ledger is the
    evidence (someone decided, no stale consent after a material change, rows intact — the gate
    refuses anyone without a valid consent, so refusals and undecided people are not failures);
    only fields in no active purpose fall back to the fact typed in by hand."""
    needing = needing_consent(system, labels)
    if not needing:
        return None
    wanted = set(needing)
    problems: list[str] = []
    fields: set[str] = set()
    for purpose in system.purposes:
        used = wanted.intersection(purpose.fields)
        if purpose.basis != CONSENT or not used:
            continue
        problem = _ledger_problem(purpose, who)
        if problem is not None:
            problems.append(problem)
            fields |= used
    listed = bases_by_field(system)
    orphans = [label for label in needing if label not in listed]
    if orphans:
        outcome = _present(system.facts, facts, FACTS, ctx.today)
        if outcome is not None:
            problems.append(
                f"{list_names(orphans)} 未列入任何已启用的处理目的（无同意台账可查），"
                f"{outcome.evidence}"
            )
            fields.update(orphans)
    if not problems:
        return None
    return Outcome("；".join(problems), fields=sorted(fields)[:20])


def guardian_consent_on_ledger(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    """PIPL Art. 31 ¶1, notice item 10: children's fields processed on consent."""
    system: SystemSnap = s
    return _consent_on_ledger(system, system.children_fields, p["facts"], ctx, "监护人")


def separate_consent_on_ledger(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    """PIPL Art. 29, notice item 11: sensitive fields processed on consent. The consent page
    asks purpose by purpose, nothing pre-ticked, so a purpose's grant is a separate consent."""
    system: SystemSnap = s
    return _consent_on_ledger(system, system.sensitive_fields, p["facts"], ctx, "本人或监护人")


def collection_reviewed(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    """Notice item 4 (已建信息系统新增、调整数据收集活动也应履行审核程序): personal fields a
    later scan found, or any once the system's collection was reviewed, that no approved
    collection review covers (``collection.drift``)."""
    system: SystemSnap = s
    if not system.unreviewed_fields:
        return None
    names = [label.split("（", 1)[0] for label in system.unreviewed_fields]
    return Outcome(
        f"未经采集审核的数据项 {len(names)} 个：{list_names(system.unreviewed_fields, 6)}",
        fields=names[:20],
    )


REGISTER_CHECKS: dict[str, CheckSpec] = {
    "collection_reviewed": CheckSpec("system", {}, collection_reviewed),
    "guardian_consent_on_ledger": CheckSpec(
        "system", {"facts": "facts"}, guardian_consent_on_ledger
    ),
    "separate_consent_on_ledger": CheckSpec(
        "system", {"facts": "facts"}, separate_consent_on_ledger
    ),
    "purposes_cover_pi": CheckSpec("system", {}, purposes_cover_pi),
    "sensitive_necessity_stated": CheckSpec("system", {}, sensitive_necessity_stated),
    "collection_rules_published": CheckSpec(
        "system", {"facts": "facts"}, collection_rules_published
    ),
    "children_rules_published": CheckSpec("system", {}, children_rules_published),
}
ALL_CHECKS: dict[str, CheckSpec] = {**CHECKS, **REGISTER_CHECKS, **BACKUP_CHECKS}
