"""catalog: overlap sketches of identifying fields (one data, one source) and per-system counts
for the dashboard

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Count = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
COUNTS = (
    "datasets", "datasets_personal", "datasets_no_retention", "fields", "personal", "sensitive",
    "minors", "pending", "rereview", "reviewed", "sensitive_unreviewed", "level_core",
    "level_important", "level_general_4", "level_general_3", "level_general_2", "level_general_1",
)  # fmt: skip


CONTAINS = (  # (index, table, column): trigram GIN on PostgreSQL, for LIKE '%term%'
    ("ix_catalog_datasets_name_trgm", "catalog_datasets", "name"),
    ("ix_catalog_fields_name_trgm", "catalog_fields", "name"),
    ("ix_catalog_fields_comment_trgm", "catalog_fields", "comment"),
    ("ix_catalog_fields_proposed_types_trgm", "catalog_fields", "proposed_pi_types"),
    ("ix_catalog_fields_reviewed_types_trgm", "catalog_fields", "reviewed_pi_types"),
)
PLAIN = (
    ("ix_catalog_fields_proposed_level", "catalog_fields", "proposed_level"),
    ("ix_catalog_fields_reviewed_level", "catalog_fields", "reviewed_level"),
)


def _search_indexes() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        # pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it.
        # In schema public, so every schema's indexes find its operator class there.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    for name, table, column in CONTAINS:
        if postgresql:
            op.create_index(
                name,
                table,
                [column],
                postgresql_using="gin",
                postgresql_ops={column: "public.gin_trgm_ops"},
            )
        else:
            op.create_index(name, table, [column])
    for name, table, column in PLAIN:
        op.create_index(name, table, [column])


def upgrade() -> None:
    op.create_table(
        "catalog_system_stats",
        sa.Column("system_id", sa.Integer(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["information_systems.id"],
            name=op.f("fk_catalog_system_stats_system_id_information_systems"),
        ),
        sa.PrimaryKeyConstraint("system_id", name=op.f("pk_catalog_system_stats")),
    )
    op.create_table(
        "catalog_field_sketches",
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("exact", sa.Boolean(), nullable=False),
        sa.Column("distinct_values", Count, nullable=False),
        sa.Column("rows_read", Count, nullable=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
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
            ["field_id"],
            ["catalog_fields.id"],
            name=op.f("fk_catalog_field_sketches_field_id_catalog_fields"),
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["information_systems.id"],
            name=op.f("fk_catalog_field_sketches_system_id_information_systems"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_field_sketches")),
        sa.UniqueConstraint("field_id", name=op.f("uq_catalog_field_sketches_field_id")),
    )
    op.create_index(
        op.f("ix_catalog_field_sketches_system_id"),
        "catalog_field_sketches",
        ["system_id"],
        unique=False,
    )

    _search_indexes()


def downgrade() -> None:
    for name, table, _column in CONTAINS + PLAIN:
        op.drop_index(name, table_name=table)
    op.drop_index(op.f("ix_catalog_field_sketches_system_id"), table_name="catalog_field_sketches")
    op.drop_table("catalog_field_sketches")
    op.drop_table("catalog_system_stats")
