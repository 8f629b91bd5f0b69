"""backup: each information system's backup policy, its recovery drills (date, scope,
outcome, RTO and RPO achieved) and their evidence files (issue #20 part 7)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 17:31:01.682153
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "backup_drills",
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("drilled_on", sa.Date(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "success", "partial", "failed", name="drilloutcome", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("rto_minutes", sa.Integer(), nullable=False),
        sa.Column("rpo_minutes", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["information_systems.id"],
            name=op.f("fk_backup_drills_system_id_information_systems"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_drills")),
    )
    with op.batch_alter_table("backup_drills", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_backup_drills_drilled_on"), ["drilled_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_backup_drills_system_id"), ["system_id"], unique=False)

    op.create_table(
        "backup_policies",
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column(
            "frequency",
            sa.Enum(
                "hourly",
                "daily",
                "weekly",
                "monthly",
                name="frequency",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("offsite", sa.Boolean(), nullable=False),
        sa.Column("encryption", sa.Text(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("rto_target_minutes", sa.Integer(), nullable=True),
        sa.Column("rpo_target_minutes", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
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
            name=op.f("fk_backup_policies_system_id_information_systems"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_policies")),
        sa.UniqueConstraint("system_id", name=op.f("uq_backup_policies_system_id")),
    )
    op.create_table(
        "backup_drill_evidence",
        sa.Column("drill_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["drill_id"],
            ["backup_drills.id"],
            name=op.f("fk_backup_drill_evidence_drill_id_backup_drills"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_drill_evidence")),
    )
    with op.batch_alter_table("backup_drill_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_backup_drill_evidence_drill_id"), ["drill_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("backup_drill_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_backup_drill_evidence_drill_id"))

    op.drop_table("backup_drill_evidence")
    op.drop_table("backup_policies")
    with op.batch_alter_table("backup_drills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_backup_drills_system_id"))
        batch_op.drop_index(batch_op.f("ix_backup_drills_drilled_on"))

    op.drop_table("backup_drills")
