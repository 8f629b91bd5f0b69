"""compliance: system facts, findings, remediation tasks

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "compliance_facts",
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("pi_officer_name", sa.String(length=100), nullable=True),
        sa.Column("provincial_filing_no", sa.String(length=100), nullable=True),
        sa.Column("provincial_filing_date", sa.Date(), nullable=True),
        sa.Column("last_security_audit_date", sa.Date(), nullable=True),
        sa.Column("cross_border_assessment_ref", sa.String(length=200), nullable=True),
        sa.Column("cross_border_assessment_date", sa.Date(), nullable=True),
        sa.Column("guardian_consent_recorded", sa.Boolean(), nullable=False),
        sa.Column("minors_access_logged", sa.Boolean(), nullable=False),
        sa.Column("separate_consent_recorded", sa.Boolean(), nullable=False),
        sa.Column("collective_decision_ref", sa.String(length=200), nullable=True),
        sa.Column("collective_decision_date", sa.Date(), nullable=True),
        sa.Column("sensitive_fields_encrypted", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["information_systems.id"],
            name=op.f("fk_compliance_facts_system_id_information_systems"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_facts")),
        sa.UniqueConstraint("system_id", name=op.f("uq_compliance_facts_system_id")),
    )
    op.create_table(
        "compliance_findings",
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("rules_version", sa.String(length=40), nullable=False),
        sa.Column("subject_key", sa.String(length=100), nullable=False),
        sa.Column("title_zh", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("clauses", sa.String(length=1000), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=True),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("dataset_name", sa.String(length=300), nullable=True),
        sa.Column("field_names", sa.String(length=1000), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "resolved", name="findingstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["catalog_datasets.id"],
            name=op.f("fk_compliance_findings_dataset_id_catalog_datasets"),
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["information_systems.id"],
            name=op.f("fk_compliance_findings_system_id_information_systems"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_compliance_findings_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_findings")),
        sa.UniqueConstraint("rule_id", "subject_key", name="uq_compliance_findings_rule_subject"),
    )
    with op.batch_alter_table("compliance_findings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_compliance_findings_rule_id"), ["rule_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_compliance_findings_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_compliance_findings_system_id"), ["system_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_compliance_findings_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "compliance_tasks",
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_role", sa.String(length=30), nullable=False),
        sa.Column("owner_user_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("open", "closed", "resolved", name="taskstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("close_reason", sa.String(length=1000), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["compliance_findings.id"],
            name=op.f("fk_compliance_tasks_finding_id_compliance_findings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_user_id"], ["users.id"], name=op.f("fk_compliance_tasks_owner_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_tasks")),
        sa.UniqueConstraint("finding_id", name=op.f("uq_compliance_tasks_finding_id")),
    )
    with op.batch_alter_table("compliance_tasks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_compliance_tasks_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("compliance_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compliance_tasks_status"))

    op.drop_table("compliance_tasks")
    with op.batch_alter_table("compliance_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_compliance_findings_unit_id"))
        batch_op.drop_index(batch_op.f("ix_compliance_findings_system_id"))
        batch_op.drop_index(batch_op.f("ix_compliance_findings_status"))
        batch_op.drop_index(batch_op.f("ix_compliance_findings_rule_id"))

    op.drop_table("compliance_findings")
    op.drop_table("compliance_facts")
