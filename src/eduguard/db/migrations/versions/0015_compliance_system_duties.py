"""compliance: per-system facts for 三员, operation logs, encryption, MLPS 测评, PIA, audits

Revision ID: 0015
Revises: 0011
Create Date: 2026-12-01 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TEXT_FACTS = (
    "system_admin_name",
    "security_admin_name",
    "audit_admin_name",
    "data_security_officer_name",
)
REF_FACTS = ("pi_certification_ref",)
DATE_FACTS = (
    "last_mlps_assessment_date",
    "pia_date",
    "minors_compliance_audit_date",
    "risk_assessment_date",
)
BOOL_FACTS = (
    "operation_logs_complete",
    "pi_encrypted_storage",
    "pi_encrypted_transit",
    "risk_assessment_reported",
)


def upgrade() -> None:
    with op.batch_alter_table("compliance_facts") as batch:
        for name in TEXT_FACTS:
            batch.add_column(sa.Column(name, sa.String(100), nullable=True))
        for name in REF_FACTS:
            batch.add_column(sa.Column(name, sa.String(200), nullable=True))
        for name in DATE_FACTS:
            batch.add_column(sa.Column(name, sa.Date(), nullable=True))
        batch.add_column(sa.Column("operation_log_retention_days", sa.Integer(), nullable=True))
        for name in BOOL_FACTS:
            batch.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())
            )


def downgrade() -> None:
    with op.batch_alter_table("compliance_facts") as batch:
        for name in (
            *TEXT_FACTS,
            *REF_FACTS,
            *DATE_FACTS,
            "operation_log_retention_days",
            *BOOL_FACTS,
        ):
            batch.drop_column(name)
