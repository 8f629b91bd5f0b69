"""retention: rules or exemptions per dataset, holds, write credentials, disposition runs
with their manifest of keyed row hashes, and the archive store

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 07:52:10.174382
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retention_write_credentials",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("registered_by", sa.String(length=64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["catalog_sources.id"],
            name=op.f("fk_retention_write_credentials_source_id_catalog_sources"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_write_credentials")),
        sa.UniqueConstraint("source_id", name=op.f("uq_retention_write_credentials_source_id")),
    )
    op.create_table(
        "retention_exemptions",
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["catalog_datasets.id"],
            name=op.f("fk_retention_exemptions_dataset_id_catalog_datasets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_exemptions")),
        sa.UniqueConstraint("dataset_id", name=op.f("uq_retention_exemptions_dataset_id")),
    )
    op.create_table(
        "retention_holds",
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "complaint",
                "incident",
                "litigation",
                "audit",
                "supervisor",
                name="holdkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(length=64), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=64), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["catalog_datasets.id"],
            name=op.f("fk_retention_holds_dataset_id_catalog_datasets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_holds")),
    )
    with op.batch_alter_table("retention_holds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retention_holds_dataset_id"), ["dataset_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_retention_holds_released_at"), ["released_at"], unique=False
        )

    op.create_table(
        "retention_rules",
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("purpose_id", sa.Integer(), nullable=True),
        sa.Column(
            "trigger",
            sa.Enum(
                "date_column", "event", "row_age", name="trigger", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("trigger_column", sa.String(length=300), nullable=True),
        sa.Column("event_name", sa.String(length=200), nullable=True),
        sa.Column("event_date", sa.Date(), nullable=True),
        sa.Column("period_value", sa.Integer(), nullable=False),
        sa.Column(
            "period_unit",
            sa.Enum("days", "months", "years", name="periodunit", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("minimum_value", sa.Integer(), nullable=True),
        sa.Column(
            "minimum_unit",
            sa.Enum("days", "months", "years", name="periodunit", native_enum=False, length=10),
            nullable=True,
        ),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column(
            "disposition",
            sa.Enum(
                "delete", "anonymise", "archive", name="disposition", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("key_column", sa.String(length=300), nullable=True),
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
            ["dataset_id"],
            ["catalog_datasets.id"],
            name=op.f("fk_retention_rules_dataset_id_catalog_datasets"),
        ),
        sa.ForeignKeyConstraint(
            ["purpose_id"],
            ["processing_purposes.id"],
            name=op.f("fk_retention_rules_purpose_id_processing_purposes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_rules")),
        sa.UniqueConstraint("dataset_id", name=op.f("uq_retention_rules_dataset_id")),
    )
    op.create_table(
        "retention_runs",
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("rule_revision", sa.Integer(), nullable=False),
        sa.Column(
            "disposition",
            sa.Enum(
                "delete", "anonymise", "archive", name="disposition", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("cutoff", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "approval",
                "approved",
                "running",
                "completed",
                "rejected",
                "cancelled",
                name="runstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("table_name", sa.String(length=300), nullable=False),
        sa.Column("key_column", sa.String(length=300), nullable=False),
        sa.Column("date_column", sa.String(length=300), nullable=True),
        sa.Column("selection_sql", sa.Text(), nullable=False),
        sa.Column("pi_columns", sa.Text(), nullable=False),
        sa.Column("rows_before", sa.Integer(), nullable=False),
        sa.Column("selected", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("rows_after", sa.Integer(), nullable=True),
        sa.Column("remaining_after", sa.Integer(), nullable=True),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("planned_by", sa.String(length=64), nullable=False),
        sa.Column("executor", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("longest_batch_ms", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("certificate", sa.Text(), nullable=True),
        sa.Column("certificate_sm3", sa.String(length=64), nullable=True),
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
            ["dataset_id"],
            ["catalog_datasets.id"],
            name=op.f("fk_retention_runs_dataset_id_catalog_datasets"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review_requests.id"],
            name=op.f("fk_retention_runs_review_id_review_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["retention_rules.id"],
            name=op.f("fk_retention_runs_rule_id_retention_rules"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_runs")),
    )
    with op.batch_alter_table("retention_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retention_runs_dataset_id"), ["dataset_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_retention_runs_status"), ["status"], unique=False)

    op.create_table(
        "retention_archive",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["retention_runs.id"],
            name=op.f("fk_retention_archive_run_id_retention_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_archive")),
        sa.UniqueConstraint("run_id", "key_hash", name="uq_retention_archive_key"),
    )
    with op.batch_alter_table("retention_archive", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retention_archive_run_id"), ["run_id"], unique=False)

    op.create_table(
        "retention_manifest",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("pending", "done", name="manifeststate", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["retention_runs.id"],
            name=op.f("fk_retention_manifest_run_id_retention_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_manifest")),
        sa.UniqueConstraint("run_id", "key_hash", name="uq_retention_manifest_key"),
    )
    with op.batch_alter_table("retention_manifest", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_retention_manifest_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("retention_manifest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_manifest_run_id"))

    op.drop_table("retention_manifest")
    with op.batch_alter_table("retention_archive", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_archive_run_id"))

    op.drop_table("retention_archive")
    with op.batch_alter_table("retention_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_runs_status"))
        batch_op.drop_index(batch_op.f("ix_retention_runs_dataset_id"))

    op.drop_table("retention_runs")
    op.drop_table("retention_rules")
    with op.batch_alter_table("retention_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_retention_holds_released_at"))
        batch_op.drop_index(batch_op.f("ix_retention_holds_dataset_id"))

    op.drop_table("retention_holds")
    op.drop_table("retention_exemptions")
    op.drop_table("retention_write_credentials")
