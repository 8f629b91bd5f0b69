"""The checks rules choose by name, over plain snapshots of a unit, a system or a dataset.

Nothing here touches the database: ``compliance.flows`` builds the snapshots from the registry,
the catalog and the accounts; a rule file picks a check and its parameters; a check answers
``None`` (the rule holds) or an :class:`Outcome` with Chinese evidence (names only, never values).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# Facts people record per system: name → (Chinese label, kind).
FACTS: dict[str, tuple[str, str]] = {
    "pi_officer_name": ("个人信息保护负责人", "text"),
    "provincial_filing_no": ("省级教育行政部门备案号", "text"),
    "provincial_filing_date": ("省级教育行政部门备案日期", "date"),
    "last_security_audit_date": ("最近一次个人信息处理安全审计日期", "date"),
    "cross_border_assessment_ref": ("数据出境安全评估（文号）", "text"),
    "cross_border_assessment_date": ("数据出境安全评估日期", "date"),
    "guardian_consent_recorded": ("监护人同意依据", "bool"),
    "minors_access_logged": ("记录儿童信息访问情况的技术措施", "bool"),
    "separate_consent_recorded": ("个人单独同意依据", "bool"),
    "collective_decision_ref": ("领导班子集体决策（会议纪要文号）", "text"),
    "collective_decision_date": ("领导班子集体决策日期", "date"),
    "sensitive_fields_encrypted": ("敏感个人信息字段加密措施", "bool"),
    "system_admin_name": ("本系统的系统管理员", "text"),
    "security_admin_name": ("本系统的安全管理员", "text"),
    "audit_admin_name": ("本系统的审计管理员", "text"),
    "operation_logs_complete": ("系统记录数据查询、录入、修改、删除和导出操作的日志", "bool"),
    "operation_log_retention_days": ("系统操作日志保留天数", "int"),
    "pi_encrypted_storage": ("个人信息加密存储", "bool"),
    "pi_encrypted_transit": ("个人信息加密传输", "bool"),
    "last_mlps_assessment_date": ("最近一次网络安全等级测评日期", "date"),
    "pia_date": ("最近一次个人信息保护影响评估日期", "date"),
    "minors_compliance_audit_date": ("最近一次未成年人个人信息合规审计日期", "date"),
    "pi_certification_ref": ("App 个人信息安全认证（证书编号）", "text"),
    "data_security_officer_name": ("网络数据安全负责人", "text"),
    "risk_assessment_date": ("最近一次重要数据风险评估日期", "date"),
    "risk_assessment_reported": ("风险评估报告已报送上级教育行政部门", "bool"),
    "collection_rules_ref": ("公开的收集使用规则（发布位置或文号）", "text"),
    "collection_rules_date": ("收集使用规则公开日期", "date"),
    # sharing (notice items 7, 9, 10): providing the system's PI to other units or third parties
    "pi_shared_with_others": ("向其他单位或第三方共享（提供）本系统的个人信息", "bool"),
    "sharing_approval_ref": ("共享 100 万人以上个人信息经省级教育行政部门审核同意（文号）", "text"),
    "children_sharing_assessment_ref": ("共享儿童信息前的数据安全评估（文号）", "text"),
    "children_sharing_letter_ref": ("共享儿童信息签订的安全责任书（编号）", "text"),
}

# Facts people record per unit (the processor, not one system): name → (Chinese label, kind).
UNIT_FACTS: dict[str, tuple[str, str]] = {
    "security_rules_ref": ("本单位数据安全管理办法（文号或发布位置）", "text"),
    "security_rules_date": ("数据安全管理办法印发日期", "date"),
    "incident_plan_ref": ("网络安全事件应急预案（文号）", "text"),
    "incident_plan_date": ("应急预案印发或最近修订日期", "date"),
    "incident_plan_covers_data": (
        "应急预案已纳入数据泄露、破坏等数据安全事件并明确处置措施",
        "bool",
    ),
    "last_training_date": ("最近一次管理和技术人员数据安全培训日期", "date"),
    "training_record_ref": ("培训记录（通知文号、签到表或课件）", "text"),
    "open_catalog_ref": ("本单位数据开放目录（文号或发布位置）", "text"),
    "sharing_list_ref": ("本单位数据共享责任清单（文号）", "text"),
    "data_security_officer_name": ("网络数据安全负责人", "text"),
    "data_security_department": ("网络数据安全管理机构", "text"),
}

# Notice item 11 names these as 敏感个人信息 needing a collective decision (种族、民族、宗教信仰、
# 个人生物特征、医疗健康、金融账号、个人行踪). Narrower than PIPL Art. 28: no passwords (鉴别信息, a
# security matter), no ordinary photos (sensitive only as face-recognition material, BIOMETRIC),
# no children's data as such (item 10's).
ITEM11_TYPES = frozenset({"ETHNICITY", "RELIGION", "BIOMETRIC", "HEALTH", "BANK_CARD", "LOCATION"})
# PIPL Art. 28 sensitive PI for separate consent (Art. 29): item 11's list, 特定身份 and financial
# accounts/property (特定身份 also 残疾/孤儿/低保/烈士子女 and 违法犯罪记录, GB/T 45574-2025), and
# photos as biometric material; children's data is consented to by the guardian (Art. 31, the
# item 10 rules); passwords are a security matter.
PIPL28_TYPES = ITEM11_TYPES | {"FINANCIAL", "PHOTO", "SPECIAL_IDENTITY", "CRIMINAL_RECORD"}

ADMIN_ROLES = {
    "system_admin": "系统管理员",
    "security_admin": "安全管理员",
    "audit_admin": "审计管理员",
}


@dataclass(frozen=True)
class AgreementSnap:
    provider: str
    system_id: int | None
    valid_from: date
    valid_until: date
    scope: str = ""  # 数据范围
    scenarios: str = ""  # 应用场景
    boundaries: str = ""  # 使用边界


@dataclass(frozen=True)
class PurposeSnap:
    """An active purpose of the system's processing register (processing domain)."""

    name: str
    basis: str  # processing.models.LegalBasis value: consent, contract, statutory, …
    basis_clause: str
    sensitive_necessity: str  # PIPL Art. 30; "" when not stated
    fields: tuple[str, ...]  # "dataset.field"
    ledger: LedgerSnap | None = None  # consent-based purposes: what the consent ledger says


@dataclass(frozen=True)
class LedgerSnap:
    """A consent-based purpose's ledger, counted as the gate answers (consent domain)."""

    subjects: int  # registered under the system's unit tree
    valid: int
    needs_reconsent: int  # granted to terms a material change has replaced (PIPL Art. 14 ¶2)
    refused: int
    withdrawn: int
    undecided: int
    tampered: int  # deciding rows that no longer hash to their stored hash

    @property
    def decided(self) -> int:
        return self.valid + self.needs_reconsent + self.refused + self.withdrawn


@dataclass(frozen=True)
class RulesSnap:
    """The system's collection rules as published on the platform (processing domain)."""

    published: bool
    number: int | None
    published_on: date | None
    intact: bool  # every current version matches its SM3 digest
    children_required: bool
    children_published: bool


@dataclass(frozen=True)
class BackupSnap:
    """The system's backup policy and recovery drills (backup domain, issue #20 part 7)."""

    policy: bool
    last_drill_on: date | None  # newest drill that did not fail
    last_failed_on: date | None  # a failed drill after it, if any
    drills: int


@dataclass
class DatasetSnap:
    id: int
    name: str
    system_id: int
    system_name: str
    unit_id: int
    retention_period: str | None  # the catalog's free text (what people wrote)
    minors: bool
    retention_rule: str | None = None  # the retention rule or exemption, in one sentence
    pi_fields: list[str] = field(default_factory=list)

    @property
    def has_pi(self) -> bool:
        return bool(self.pi_fields)


@dataclass
class SystemSnap:
    id: int
    name: str
    unit_id: int
    storage_location: str
    mlps_level: int | None
    pi_subjects: int
    operator_name: str | None
    facts: dict[str, Any] = field(default_factory=dict)
    kind: str = "system"  # system | website | app | mini_program
    mlps_filing_no: str | None = None
    unit_kind: str = "school"
    important_datasets: list[str] = field(default_factory=list)  # graded important or core
    agreements: list[AgreementSnap] = field(default_factory=list)
    datasets: list[DatasetSnap] = field(default_factory=list)
    sensitive_fields: list[str] = field(default_factory=list)  # "dataset.field", PIPL 28
    item11_fields: list[str] = field(default_factory=list)  # of ITEM11_TYPES
    minors_fields: list[str] = field(default_factory=list)
    pending_review: list[str] = field(default_factory=list)
    # personal fields no approved collection review covers (collection domain, notice item 4)
    unreviewed_fields: list[str] = field(default_factory=list)
    last_reviewed_at: datetime | None = None
    # children's PI: minors_fields and the PI fields of datasets flagged as children's
    children_fields: list[str] = field(default_factory=list)
    purposes: list[PurposeSnap] = field(default_factory=list)  # active, with a legal basis
    draft_purposes: list[str] = field(default_factory=list)  # not in force
    rules: RulesSnap | None = None
    backup: BackupSnap | None = None

    @property
    def has_pi(self) -> bool:
        return self.pi_subjects > 0 or any(d.has_pi for d in self.datasets)

    @property
    def has_minors(self) -> bool:
        return bool(self.minors_fields) or any(d.minors for d in self.datasets)


@dataclass
class UnitSnap:
    id: int
    name: str
    path: str
    kind: str
    system_count: int
    admin_holders: dict[str, list[str]] = field(default_factory=dict)  # role → usernames
    combined_admins: list[str] = field(default_factory=list)  # accounts holding two or more
    responsibilities: dict[str, bool] = field(default_factory=dict)  # item 1's posts filled
    pi_subjects_total: int = 0  # over the unit's own systems (PIPL Art. 52: per processor)
    pi_officers: list[str] = field(default_factory=list)  # named on systems or as accounts
    facts: dict[str, Any] = field(default_factory=dict)  # UNIT_FACTS recorded for the unit
    important_datasets: list[str] = field(default_factory=list)  # "system / dataset", own systems
    data_security_officers: list[str] = field(default_factory=list)  # named on its systems
    security_department: str = ""  # item 1's 网络安全职能部门


@dataclass(frozen=True)
class Context:
    today: date
    audit_retention_days: int


@dataclass
class Outcome:
    evidence: str
    fields: list[str] = field(default_factory=list)


Subject = UnitSnap | SystemSnap | DatasetSnap


def list_names(items: list[str], limit: int = 8) -> str:
    shown = "、".join(items[:limit])
    return shown + (f" 等 {len(items)} 项" if len(items) > limit else "")


def _filled(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value is not False


# ---------------------------------------------------------------- system checks


def _present(
    facts: Mapping[str, Any],
    names: tuple[str, ...],
    known: Mapping[str, tuple[str, str]],
    today: date,
) -> Outcome | None:
    """Every named fact filled; a date after ``today`` is not evidence."""
    missing = [known[name][0] for name in names if not _filled(facts.get(name))]
    future = [
        f"{known[name][0]}为 {value.isoformat()}"
        for name in names
        if isinstance(value := facts.get(name), date) and value > today
    ]
    problems = [f"未登记：{'、'.join(missing)}"] if missing else []
    if future:
        problems.append(f"{'、'.join(future)}，晚于评估日期，不能作为证据")
    return Outcome("；".join(problems)) if problems else None


def fact_present(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    system: SystemSnap = s
    return _present(system.facts, p["facts"], FACTS, ctx.today)


def fact_within_days(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    system: SystemSnap = s
    label = FACTS[p["fact"]][0]
    value = system.facts.get(p["fact"])
    if not isinstance(value, date):
        return Outcome(f"未登记{label}")
    age = (ctx.today - value).days
    if age < 0:
        return Outcome(f"{label}为 {value.isoformat()}，晚于评估日期，不能作为已完成的证据")
    if age > p["max_age_days"]:
        return Outcome(f"{label}为 {value.isoformat()}，距今 {age} 天，超过 {p['max_age_days']} 天")
    return None


def mlps_at_least(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    system: SystemSnap = s
    level = system.mlps_level
    if level is None:
        return Outcome(f"未确定网络安全等级保护级别（要求第{p['level']}级以上）")
    if level < p["level"]:
        return Outcome(f"网络安全等级保护定级为第{level}级，要求第{p['level']}级以上")
    return None


def domestic_or_fact(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    system: SystemSnap = s
    if system.storage_location == "domestic" or _filled(system.facts.get(p["fact"])):
        return None
    return Outcome(f"数据存储于境外，未登记{FACTS[p['fact']][0]}")


def domestic_or_assessed(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    """Stored in China, or a cross-border assessment on record with its number and its date
    (a reference alone, or a date after today, is not an assessment)."""
    system: SystemSnap = s
    if system.storage_location == "domestic":
        return None
    ref = system.facts.get("cross_border_assessment_ref")
    when = system.facts.get("cross_border_assessment_date")
    if not _filled(ref):
        return Outcome("数据存储于境外，未登记数据出境安全评估（文号）")
    if not isinstance(when, date):
        return Outcome(f"数据存储于境外，登记了评估文号“{ref}”但没有评估日期")
    if when > ctx.today:
        return Outcome(f"数据出境安全评估日期 {when.isoformat()} 晚于评估日期，不能作为证据")
    return None


def mlps_recorded(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    """Item 2 (落实网络安全等级保护制度): a level, a filing number from level 2 on, and a
    等级测评 within ``max_age_days`` from level 3 on."""
    system: SystemSnap = s
    if system.mlps_level is None:
        return Outcome("未确定网络安全等级保护级别")
    problems = []
    if system.mlps_level >= 2 and not _filled(system.mlps_filing_no):
        problems.append(f"第{system.mlps_level}级系统未登记公安机关备案号")
    if system.mlps_level >= 3:
        when = system.facts.get("last_mlps_assessment_date")
        if not isinstance(when, date):
            problems.append("第三级以上系统未登记等级测评日期")
        elif when > ctx.today:
            problems.append(f"等级测评日期 {when.isoformat()} 晚于评估日期")
        elif (ctx.today - when).days > p["max_age_days"]:
            problems.append(f"最近一次等级测评为 {when.isoformat()}，超过 {p['max_age_days']} 天")
    return Outcome("；".join(problems)) if problems else None


def agreement_valid(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    system: SystemSnap = s
    operator = (system.operator_name or "").strip()
    covering = [
        a
        for a in system.agreements
        if a.system_id == system.id or (a.system_id is None and a.provider.strip() == operator)
    ]
    current = [a for a in covering if a.valid_from <= ctx.today <= a.valid_until]
    if current:
        # Item 2: the agreement states 使用方式、应用场景和使用边界.
        if any(a.scope.strip() and a.scenarios.strip() and a.boundaries.strip() for a in current):
            return None
        return Outcome("数据使用和保密协议未写明数据范围、应用场景和使用边界")
    who = f"由第三方“{operator}”运营" if operator else "使用第三方平台"
    if covering:
        last = max(a.valid_until for a in covering)
        if last < ctx.today:
            return Outcome(f"{who}，数据使用和保密协议已于 {last.isoformat()} 到期")
        return Outcome(f"{who}，数据使用和保密协议尚未生效")
    return Outcome(f"{who}，未登记数据使用和保密协议")


def catalog_reviewed(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    system: SystemSnap = s
    if not system.datasets:
        return Outcome("尚未形成数据资源目录（未登记数据源或尚未扫描）")
    problems: list[str] = []
    if system.pending_review:
        problems.append(
            f"{len(system.pending_review)} 个数据项的分类分级待审核（{list_names(system.pending_review)}）"
        )
    limit = p["max_age_days"]
    if system.last_reviewed_at is None:
        problems.append("数据资源目录从未经人工审核")
    elif (ctx.today - system.last_reviewed_at.date()).days > limit:
        when = system.last_reviewed_at.date().isoformat()
        problems.append(f"最近一次审核为 {when}，超过 {limit} 天（平台政策）")
    if not problems:
        return None
    return Outcome("；".join(problems), fields=list(system.pending_review[:20]))


def fact_at_least(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    system: SystemSnap = s
    label = FACTS[p["fact"]][0]
    value = system.facts.get(p["fact"])
    if not isinstance(value, int) or isinstance(value, bool):
        return Outcome(f"未登记{label}")
    if value < p["min"]:
        return Outcome(f"{label}为 {value}，少于 {p['min']}")
    return None


def operation_logs_kept(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    """Notice item 6: the system logs every query, entry, change, deletion and export, and
    keeps the log at least ``min_days``."""
    system: SystemSnap = s
    problems = []
    if not system.facts.get("operation_logs_complete"):
        problems.append("未登记系统记录查询、录入、修改、删除和导出全部操作的日志")
    days = system.facts.get("operation_log_retention_days")
    if not isinstance(days, int) or isinstance(days, bool):
        problems.append("未登记系统操作日志的保留天数")
    elif days < p["min_days"]:
        problems.append(f"系统操作日志保留 {days} 天，少于 {p['min_days']} 天")
    return Outcome("；".join(problems)) if problems else None


def system_admins_separated(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    """The system's 系统管理员, 安全管理员 and 审计管理员 are recorded and are three people."""
    system: SystemSnap = s
    names = {role: system.facts.get(f"{role}_name") for role in ADMIN_ROLES}
    problems = [f"未登记{ADMIN_ROLES[role]}" for role, name in names.items() if not _filled(name)]
    held: dict[str, list[str]] = {}
    for role, name in names.items():
        if _filled(name):
            held.setdefault(str(name).strip().casefold(), []).append(ADMIN_ROLES[role])
    for roles in held.values():
        if len(roles) > 1:
            problems.append(f"同一人兼任{'和'.join(roles)}")
    return Outcome("；".join(problems)) if problems else None


# ---------------------------------------------------------------- dataset checks


def retention_set(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    """A rule the platform enforces (or a recorded exemption), not a period written in the
    catalog: free text never expires anything (notice item 5: 超过期限的数据应进行归档或销毁)."""
    dataset: DatasetSnap = s
    if dataset.retention_rule:
        return None
    text = (dataset.retention_period or "").strip()
    written = f"；目录中写有“{text[:40]}”，但这只是文字，到期不会归档或销毁" if text else ""
    return Outcome(
        f"数据集“{dataset.name}”含个人信息（{list_names(dataset.pi_fields)}），"
        f"没有保存期限规则，也没有登记不设规则的理由{written}",
        fields=list(dataset.pi_fields),
    )


# ---------------------------------------------------------------- unit checks


def audit_retention_at_least(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    if ctx.audit_retention_days >= p["min_days"]:
        return None
    return Outcome(f"审计日志保留期为 {ctx.audit_retention_days} 天，少于 {p['min_days']} 天")


def assessed_and_reported(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    """Important data (NDSR Art. 33, notice item 13): a risk assessment every year, reported
    to the education department above."""
    system: SystemSnap = s
    outcome = fact_within_days(
        s, {"fact": "risk_assessment_date", "max_age_days": p["max_age_days"]}, ctx
    )
    if outcome is not None:
        return outcome
    if not system.facts.get("risk_assessment_reported"):
        return Outcome("风险评估报告未报送上级教育行政部门")
    return None


RESPONSIBILITIES = {
    "principal_leader": "主要负责人",
    "leader_in_charge": "分管负责人",
    "security_department": "网络安全职能部门",
}


def responsibilities_named(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    """Item 1: 主要负责人负总责、分管负责人具体抓, and a 网络安全职能部门, recorded for the unit."""
    unit: UnitSnap = s
    missing = [
        label for key, label in RESPONSIBILITIES.items() if not unit.responsibilities.get(key)
    ]
    return Outcome(f"单位未登记：{'、'.join(missing)}") if missing else None


def unit_pi_officer(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    unit: UnitSnap = s
    if unit.pi_officers:
        return None
    return Outcome("单位（个人信息处理者）未指定个人信息保护负责人（各系统未登记，且无该角色账户）")


def unit_fact_present(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    unit: UnitSnap = s
    outcome = _present(unit.facts, p["facts"], UNIT_FACTS, ctx.today)
    if outcome is not None:
        outcome.evidence = f"单位{outcome.evidence}"
    return outcome


def unit_record_within_days(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    """A unit's dated record: its reference filled and its date within ``max_age_days`` (a
    date after the evaluation is not evidence)."""
    unit: UnitSnap = s
    problems = []
    if not _filled(unit.facts.get(p["ref"])):
        problems.append(f"单位未登记{UNIT_FACTS[p['ref']][0]}")
    label = UNIT_FACTS[p["date"]][0]
    when = unit.facts.get(p["date"])
    if not isinstance(when, date):
        problems.append(f"单位未登记{label}")
    elif when > ctx.today:
        problems.append(f"{label}为 {when.isoformat()}，晚于评估日期，不能作为证据")
    elif (age := (ctx.today - when).days) > p["max_age_days"]:
        problems.append(f"{label}为 {when.isoformat()}，距今 {age} 天，超过 {p['max_age_days']} 天")
    return Outcome("；".join(problems)) if problems else None


def unit_data_security_officer(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    """NDSR Art. 30: the processor of important data names a 网络数据安全负责人 and a 网络数据安全
    管理机构 — the unit's own facts, or an officer named on one of its systems and item 1's
    网络安全职能部门."""
    unit: UnitSnap = s
    officer = _filled(unit.facts.get("data_security_officer_name")) or unit.data_security_officers
    department = _filled(unit.facts.get("data_security_department")) or bool(
        unit.security_department.strip()
    )
    missing = [
        label
        for label, named in (("网络数据安全负责人", officer), ("网络数据安全管理机构", department))
        if not named
    ]
    return Outcome(f"单位未明确：{'、'.join(missing)}") if missing else None


def admin_roles_separated(s: Any, p: Mapping[str, Any], ctx: Context) -> Outcome | None:
    unit: UnitSnap = s
    problems = [
        f"无人担任{label}"
        for role, label in ADMIN_ROLES.items()
        if not unit.admin_holders.get(role)
    ]
    if unit.combined_admins:
        problems.append(f"账户 {list_names(unit.combined_admins)} 兼任两个以上管理员角色")
    return Outcome("；".join(problems)) if problems else None


@dataclass(frozen=True)
class CheckSpec:
    target: str  # "system" | "dataset" | "unit"
    params: dict[str, str]  # name → "int" | "str" | "bool" | "facts" | "fact" | "date_fact"
    run: Callable[[Any, Mapping[str, Any], Context], Outcome | None]


CHECKS: dict[str, CheckSpec] = {
    "fact_present": CheckSpec("system", {"facts": "facts"}, fact_present),
    "fact_within_days": CheckSpec(
        "system", {"fact": "date_fact", "max_age_days": "int"}, fact_within_days
    ),
    "mlps_at_least": CheckSpec("system", {"level": "int"}, mlps_at_least),
    "domestic_or_fact": CheckSpec("system", {"fact": "fact"}, domestic_or_fact),
    "domestic_or_assessed": CheckSpec("system", {}, domestic_or_assessed),
    "mlps_recorded": CheckSpec("system", {"max_age_days": "int"}, mlps_recorded),
    "responsibilities_named": CheckSpec("unit", {}, responsibilities_named),
    "unit_pi_officer": CheckSpec("unit", {}, unit_pi_officer),
    "assessed_and_reported": CheckSpec("system", {"max_age_days": "int"}, assessed_and_reported),
    "agreement_valid": CheckSpec("system", {}, agreement_valid),
    "catalog_reviewed": CheckSpec("system", {"max_age_days": "int"}, catalog_reviewed),
    "fact_at_least": CheckSpec("system", {"fact": "int_fact", "min": "int"}, fact_at_least),
    "operation_logs_kept": CheckSpec("system", {"min_days": "int"}, operation_logs_kept),
    "system_admins_separated": CheckSpec("system", {}, system_admins_separated),
    "retention_set": CheckSpec("dataset", {}, retention_set),
    "audit_retention_at_least": CheckSpec("unit", {"min_days": "int"}, audit_retention_at_least),
    "admin_roles_separated": CheckSpec("unit", {}, admin_roles_separated),
    "unit_fact_present": CheckSpec("unit", {"facts": "unit_facts"}, unit_fact_present),
    "unit_record_within_days": CheckSpec(
        "unit",
        {"ref": "unit_fact", "date": "unit_date_fact", "max_age_days": "int"},
        unit_record_within_days,
    ),
    "unit_data_security_officer": CheckSpec("unit", {}, unit_data_security_officer),
}
