"""processing register: a planned item (approved by a collection review before the catalog held
it) remembers the catalog field a later scan found for it, and when — the expected catalog
(issue #19 part 3)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 18:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("processing_planned_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("field_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_processing_planned_items_field_id"), ["field_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_processing_planned_items_field_id_catalog_fields"),
            "catalog_fields",
            ["field_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("processing_planned_items", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_processing_planned_items_field_id_catalog_fields"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_processing_planned_items_field_id"))
        batch_op.drop_column("collected_at")
        batch_op.drop_column("field_id")
