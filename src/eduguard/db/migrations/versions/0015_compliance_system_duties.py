"""compliance: per-system facts for 三员 separation, operation logs and PI encryption

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

TEXT_FACTS = ("system_admin_name", "security_admin_name", "audit_admin_name")
BOOL_FACTS = ("operation_logs_complete", "pi_encrypted_storage", "pi_encrypted_transit")


def upgrade() -> None:
    with op.batch_alter_table("compliance_facts") as batch:
        for name in TEXT_FACTS:
            batch.add_column(sa.Column(name, sa.String(100), nullable=True))
        batch.add_column(sa.Column("operation_log_retention_days", sa.Integer(), nullable=True))
        for name in BOOL_FACTS:
            batch.add_column(
                sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())
            )


def downgrade() -> None:
    with op.batch_alter_table("compliance_facts") as batch:
        for name in (*TEXT_FACTS, "operation_log_retention_days", *BOOL_FACTS):
            batch.drop_column(name)
