"""collection → processing register: the purpose a collection plan serves and what its approval
wrote there; the items a purpose is approved to collect before the catalog holds them
(issue #19 part 3)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "processing_planned_items",
        sa.Column("purpose_id", sa.Integer(), nullable=False),
        sa.Column("group", sa.String(length=300), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("label", sa.String(length=500), nullable=True),
        sa.Column("pi_types", sa.String(length=500), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("minors", sa.Boolean(), nullable=False),
        sa.Column("origin", sa.String(length=100), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["purpose_id"],
            ["processing_purposes.id"],
            name=op.f("fk_processing_planned_items_purpose_id_processing_purposes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processing_planned_items")),
        sa.UniqueConstraint("purpose_id", "group", "name", name="uq_processing_planned_items_name"),
    )
    with op.batch_alter_table("processing_planned_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_processing_planned_items_purpose_id"), ["purpose_id"], unique=False
        )
    with op.batch_alter_table("collection_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("register_write", sa.Text(), nullable=False, server_default="")
        )
        batch_op.create_index(
            batch_op.f("ix_collection_plans_purpose_id"), ["purpose_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_collection_plans_purpose_id_processing_purposes"),
            "processing_purposes",
            ["purpose_id"],
            ["id"],
        )
    with op.batch_alter_table("collection_plans", schema=None) as batch_op:
        batch_op.alter_column("register_write", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("collection_plans", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_collection_plans_purpose_id_processing_purposes"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_collection_plans_purpose_id"))
        batch_op.drop_column("register_write")
        batch_op.drop_column("purpose_id")
    with op.batch_alter_table("processing_planned_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processing_planned_items_purpose_id"))
    op.drop_table("processing_planned_items")
