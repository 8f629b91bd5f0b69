"""Tables: facts people record per system and per unit, findings of the rules, their remediation tasks.

Systems, units, datasets and users belong to other domains; they are referenced by foreign key
only (cross-domain reads live in ``compliance.flows``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eduguard.db.base import Base, IdMixin, TimestampMixin, UTCDateTime, utcnow


class FindingStatus(enum.StrEnum):
    open = "open"  # 未整改
    resolved = "resolved"  # 已整改（规则再次评估时通过）


class TaskStatus(enum.StrEnum):
    open = "open"  # 待整改
    closed = "closed"  # 由负责人关闭（附理由）
    resolved = "resolved"  # 规则通过，自动完成


class SystemFacts(IdMixin, TimestampMixin, Base):
    """What the registry and the catalog cannot know about a system, recorded by people."""

    __tablename__ = "compliance_facts"

    system_id: Mapped[int] = mapped_column(
        ForeignKey("information_systems.id", ondelete="CASCADE"), unique=True
    )
    pi_officer_name: Mapped[str | None] = mapped_column(String(100))  # 个人信息保护负责人
    provincial_filing_no: Mapped[str | None] = mapped_column(String(100))  # 省级教育行政部门备案号
    provincial_filing_date: Mapped[date | None] = mapped_column(Date)
    last_security_audit_date: Mapped[date | None] = mapped_column(Date)  # 最近一次安全审计
    cross_border_assessment_ref: Mapped[str | None] = mapped_column(String(200))  # 出境安全评估
    cross_border_assessment_date: Mapped[date | None] = mapped_column(Date)
    guardian_consent_recorded: Mapped[bool] = mapped_column(Boolean, default=False)
    minors_access_logged: Mapped[bool] = mapped_column(Boolean, default=False)
    separate_consent_recorded: Mapped[bool] = mapped_column(Boolean, default=False)
    collective_decision_ref: Mapped[str | None] = mapped_column(String(200))  # 领导班子集体决策
    collective_decision_date: Mapped[date | None] = mapped_column(Date)
    sensitive_fields_encrypted: Mapped[bool] = mapped_column(Boolean, default=False)
    # The system's own administrators (等保 三员), as its owner records them.
    system_admin_name: Mapped[str | None] = mapped_column(String(100))
    security_admin_name: Mapped[str | None] = mapped_column(String(100))
    audit_admin_name: Mapped[str | None] = mapped_column(String(100))
    # The system's own operation log (notice item 6): every 查询/录入/修改/删除/导出, kept how long.
    operation_logs_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    operation_log_retention_days: Mapped[int | None] = mapped_column(Integer)
    pi_encrypted_storage: Mapped[bool] = mapped_column(Boolean, default=False)
    pi_encrypted_transit: Mapped[bool] = mapped_column(Boolean, default=False)
    last_mlps_assessment_date: Mapped[date | None] = mapped_column(Date)  # 等级测评
    pia_date: Mapped[date | None] = mapped_column(Date)  # 个人信息保护影响评估
    minors_compliance_audit_date: Mapped[date | None] = mapped_column(Date)  # 未成年人合规审计
    pi_certification_ref: Mapped[str | None] = mapped_column(String(200))  # 个人信息安全认证
    data_security_officer_name: Mapped[str | None] = mapped_column(String(100))
    risk_assessment_date: Mapped[date | None] = mapped_column(Date)  # 重要数据风险评估
    risk_assessment_reported: Mapped[bool] = mapped_column(Boolean, default=False)
    # item 4: the collection rules published to students, staff and parents, and since when
    collection_rules_ref: Mapped[str | None] = mapped_column(String(200))
    collection_rules_date: Mapped[date | None] = mapped_column(Date)
    # sharing the system's PI (items 7, 9, 10): approval for 1,000,000+, children's safeguards
    pi_shared_with_others: Mapped[bool] = mapped_column(Boolean, default=False)
    sharing_approval_ref: Mapped[str | None] = mapped_column(String(200))
    children_sharing_assessment_ref: Mapped[str | None] = mapped_column(String(200))
    children_sharing_letter_ref: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class UnitFacts(IdMixin, TimestampMixin, Base):
    """What a unit (the processor) records of its own duties: its data security rules and
    incident plan (item 15), staff training (item 16), its open-data catalog and sharing list
    (item 7), and for important data its network data security officer and department."""

    __tablename__ = "compliance_unit_facts"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), unique=True)
    security_rules_ref: Mapped[str | None] = mapped_column(String(200))  # 数据安全管理办法
    security_rules_date: Mapped[date | None] = mapped_column(Date)
    incident_plan_ref: Mapped[str | None] = mapped_column(String(200))  # 网络安全事件应急预案
    incident_plan_date: Mapped[date | None] = mapped_column(Date)
    incident_plan_covers_data: Mapped[bool] = mapped_column(Boolean, default=False)
    last_training_date: Mapped[date | None] = mapped_column(Date)  # 管理和技术人员培训
    training_record_ref: Mapped[str | None] = mapped_column(String(200))
    open_catalog_ref: Mapped[str | None] = mapped_column(String(200))  # 数据开放目录
    sharing_list_ref: Mapped[str | None] = mapped_column(String(200))  # 数据共享责任清单
    data_security_officer_name: Mapped[str | None] = mapped_column(String(100))
    data_security_department: Mapped[str | None] = mapped_column(String(100))
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(64), default="")


class Finding(IdMixin, Base):
    """One rule failing for one subject (a unit, a system or a dataset), kept across runs."""

    __tablename__ = "compliance_findings"
    __table_args__ = (
        UniqueConstraint("rule_id", "subject_key", name="uq_compliance_findings_rule_subject"),
    )

    rule_id: Mapped[str] = mapped_column(String(64), index=True)
    rules_version: Mapped[str] = mapped_column(String(40))
    subject_key: Mapped[str] = mapped_column(String(100))  # "system:5", "dataset:12", "unit:3"
    title_zh: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    clauses: Mapped[str] = mapped_column(String(1000))  # one citation a line
    severity: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    system_id: Mapped[int | None] = mapped_column(ForeignKey("information_systems.id"), index=True)
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_datasets.id"))
    dataset_name: Mapped[str | None] = mapped_column(String(300))
    field_names: Mapped[str | None] = mapped_column(String(1000))  # comma-separated, names only
    evidence: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[FindingStatus] = mapped_column(
        Enum(FindingStatus, native_enum=False, length=20), default=FindingStatus.open, index=True
    )
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    task: Mapped[RemediationTask | None] = relationship(
        back_populates="finding", uselist=False, lazy="selectin"
    )

    @property
    def clause_list(self) -> list[str]:
        return [line for line in self.clauses.split("\n") if line]


class RemediationTask(IdMixin, TimestampMixin, Base):
    """What to do about a finding, who does it (a role of the unit, or an account) and by when."""

    __tablename__ = "compliance_tasks"

    finding_id: Mapped[int] = mapped_column(
        ForeignKey("compliance_findings.id", ondelete="CASCADE"), unique=True
    )
    description: Mapped[str] = mapped_column(Text)
    owner_role: Mapped[str] = mapped_column(String(30))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[TaskStatus] = mapped_column(
        Enum(TaskStatus, native_enum=False, length=20), default=TaskStatus.open, index=True
    )
    close_reason: Mapped[str | None] = mapped_column(String(1000))
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    finding: Mapped[Finding] = relationship(back_populates="task")
