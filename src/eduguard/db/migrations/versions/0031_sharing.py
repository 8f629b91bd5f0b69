"""sharing: the share attribute (无条件共享 / 有条件共享 / 不予共享) of each catalog dataset
and field, with the owner's protection requirements (issue #21 part 1)

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-04 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sharing_settings",
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=True),
        sa.Column(
            "attribute",
            sa.Enum(
                "unconditional",
                "conditional",
                "none",
                name="shareattribute",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("protection", sa.Text(), nullable=False),
        sa.Column("masking", sa.String(length=40), nullable=True),
        sa.Column("never_shared", sa.Boolean(), nullable=False),
        sa.Column("responsible", sa.String(length=200), nullable=False),
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
            name=op.f("fk_sharing_settings_dataset_id_catalog_datasets"),
        ),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["catalog_fields.id"],
            name=op.f("fk_sharing_settings_field_id_catalog_fields"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_settings")),
        sa.UniqueConstraint("field_id", name=op.f("uq_sharing_settings_field_id")),
    )
    with op.batch_alter_table("sharing_settings") as batch:
        batch.create_index(batch.f("ix_sharing_settings_dataset_id"), ["dataset_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sharing_settings") as batch:
        batch.drop_index(batch.f("ix_sharing_settings_dataset_id"))
    op.drop_table("sharing_settings")
