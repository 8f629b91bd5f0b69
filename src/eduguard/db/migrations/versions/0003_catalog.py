"""catalog: data sources, scan runs, versions, datasets, fields, changes and alerts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_sources",
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("database", "files", name="sourcekind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("location", sa.String(length=1000), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
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
            name=op.f("fk_catalog_sources_system_id_information_systems"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_sources")),
    )
    with op.batch_alter_table("catalog_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_sources_system_id"), ["system_id"], unique=False
        )

    op.create_table(
        "catalog_versions",
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["catalog_sources.id"],
            name=op.f("fk_catalog_versions_source_id_catalog_sources"),
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["information_systems.id"],
            name=op.f("fk_catalog_versions_system_id_information_systems"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_versions")),
        sa.UniqueConstraint("system_id", "number", name="uq_catalog_versions_number"),
    )
    with op.batch_alter_table("catalog_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_versions_system_id"), ["system_id"], unique=False
        )

    op.create_table(
        "catalog_changes",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "dataset_added",
                "dataset_removed",
                "field_added",
                "field_removed",
                "types_changed",
                name="changekind",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("dataset_name", sa.String(length=300), nullable=False),
        sa.Column("field_name", sa.String(length=300), nullable=True),
        sa.Column("before", sa.String(length=500), nullable=True),
        sa.Column("after", sa.String(length=500), nullable=True),
        sa.Column("finding", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["information_systems.id"],
            name=op.f("fk_catalog_changes_system_id_information_systems"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["catalog_versions.id"],
            name=op.f("fk_catalog_changes_version_id_catalog_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_changes")),
    )
    with op.batch_alter_table("catalog_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_changes_system_id"), ["system_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_catalog_changes_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "catalog_datasets",
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("row_count", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "rows_sampled", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("subjects", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("minors", sa.Boolean(), nullable=False),
        sa.Column("retention_period", sa.String(length=100), nullable=True),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("last_version_id", sa.Integer(), nullable=True),
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
            ["last_version_id"],
            ["catalog_versions.id"],
            name=op.f("fk_catalog_datasets_last_version_id_catalog_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["catalog_sources.id"],
            name=op.f("fk_catalog_datasets_source_id_catalog_sources"),
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["information_systems.id"],
            name=op.f("fk_catalog_datasets_system_id_information_systems"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_datasets")),
        sa.UniqueConstraint("source_id", "name", name="uq_catalog_datasets_source_name"),
    )
    with op.batch_alter_table("catalog_datasets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_datasets_source_id"), ["source_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_catalog_datasets_system_id"), ["system_id"], unique=False
        )

    op.create_table(
        "catalog_scan_runs",
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "failed",
                name="runstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sample", sa.Integer(), nullable=True),
        sa.Column("tables_total", sa.Integer(), nullable=True),
        sa.Column("tables_done", sa.Integer(), nullable=False),
        sa.Column(
            "rows_read", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("current_table", sa.String(length=300), nullable=True),
        sa.Column("datasets_count", sa.Integer(), nullable=False),
        sa.Column("fields_count", sa.Integer(), nullable=False),
        sa.Column("changes_count", sa.Integer(), nullable=False),
        sa.Column("findings_count", sa.Integer(), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("report_gz", sa.LargeBinary(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["catalog_sources.id"],
            name=op.f("fk_catalog_scan_runs_source_id_catalog_sources"),
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["information_systems.id"],
            name=op.f("fk_catalog_scan_runs_system_id_information_systems"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["catalog_versions.id"],
            name=op.f("fk_catalog_scan_runs_version_id_catalog_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_scan_runs")),
    )
    with op.batch_alter_table("catalog_scan_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_scan_runs_source_id"), ["source_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_catalog_scan_runs_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_catalog_scan_runs_system_id"), ["system_id"], unique=False
        )

    op.create_table(
        "catalog_alerts",
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("message", sa.String(length=1000), nullable=False),
        sa.Column("audience", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["change_id"],
            ["catalog_changes.id"],
            name=op.f("fk_catalog_alerts_change_id_catalog_changes"),
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["information_systems.id"],
            name=op.f("fk_catalog_alerts_system_id_information_systems"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["catalog_versions.id"],
            name=op.f("fk_catalog_alerts_version_id_catalog_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_alerts")),
    )
    with op.batch_alter_table("catalog_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_alerts_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_catalog_alerts_system_id"), ["system_id"], unique=False
        )

    op.create_table(
        "catalog_fields",
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("comment", sa.String(length=500), nullable=True),
        sa.Column("proposed_pi_types", sa.String(length=500), nullable=False),
        sa.Column("proposed_category", sa.String(length=200), nullable=True),
        sa.Column("proposed_level", sa.String(length=20), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("minors", sa.Boolean(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column(
            "review_status",
            sa.Enum(
                "proposed",
                "confirmed",
                "corrected",
                "rereview",
                name="reviewstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reviewed_pi_types", sa.String(length=500), nullable=True),
        sa.Column("reviewed_category", sa.String(length=200), nullable=True),
        sa.Column("reviewed_level", sa.String(length=20), nullable=True),
        sa.Column("review_reason", sa.String(length=1000), nullable=True),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("present", sa.Boolean(), nullable=False),
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
            name=op.f("fk_catalog_fields_dataset_id_catalog_datasets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_fields")),
        sa.UniqueConstraint("dataset_id", "name", name="uq_catalog_fields_name"),
    )
    with op.batch_alter_table("catalog_fields", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_fields_dataset_id"), ["dataset_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_catalog_fields_review_status"), ["review_status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("catalog_fields", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_fields_review_status"))
        batch_op.drop_index(batch_op.f("ix_catalog_fields_dataset_id"))

    op.drop_table("catalog_fields")
    with op.batch_alter_table("catalog_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_alerts_system_id"))
        batch_op.drop_index(batch_op.f("ix_catalog_alerts_status"))

    op.drop_table("catalog_alerts")
    with op.batch_alter_table("catalog_scan_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_scan_runs_system_id"))
        batch_op.drop_index(batch_op.f("ix_catalog_scan_runs_status"))
        batch_op.drop_index(batch_op.f("ix_catalog_scan_runs_source_id"))

    op.drop_table("catalog_scan_runs")
    with op.batch_alter_table("catalog_datasets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_datasets_system_id"))
        batch_op.drop_index(batch_op.f("ix_catalog_datasets_source_id"))

    op.drop_table("catalog_datasets")
    with op.batch_alter_table("catalog_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_changes_version_id"))
        batch_op.drop_index(batch_op.f("ix_catalog_changes_system_id"))

    op.drop_table("catalog_changes")
    with op.batch_alter_table("catalog_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_versions_system_id"))

    op.drop_table("catalog_versions")
    with op.batch_alter_table("catalog_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_sources_system_id"))

    op.drop_table("catalog_sources")
