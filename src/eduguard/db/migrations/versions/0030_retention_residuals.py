"""retention: what each holder of a residual copy (processor, recipient, outside operator)
confirmed about a disposition run's data, with the date and an optional evidence file, so the
certificate states every residual copy honestly (issue #20 part 5)

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retention_residual_confirmations",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("holder_key", sa.String(length=40), nullable=False),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evidence_name", sa.String(length=200), nullable=True),
        sa.Column("evidence_path", sa.String(length=300), nullable=True),
        sa.Column("evidence_sha256", sa.String(length=64), nullable=True),
        sa.Column("evidence_size", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["retention_runs.id"],
            name=op.f("fk_retention_residual_confirmations_run_id_retention_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_residual_confirmations")),
    )
    with op.batch_alter_table("retention_residual_confirmations") as batch:
        batch.create_index(
            batch.f("ix_retention_residual_confirmations_run_id"), ["run_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("retention_residual_confirmations") as batch:
        batch.drop_index(batch.f("ix_retention_residual_confirmations_run_id"))
    op.drop_table("retention_residual_confirmations")
