"""compliance: facts a unit records of its own duties (items 7, 15, 16; NDSR Art. 30) and the
sharing facts of a system (items 9, 10); the scan's per-table important-data proposals kept
with each catalog dataset

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 03:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHARING_REFS = (
    "sharing_approval_ref",
    "children_sharing_assessment_ref",
    "children_sharing_letter_ref",
)


def upgrade() -> None:
    with op.batch_alter_table("catalog_datasets") as batch:
        batch.add_column(sa.Column("important_proposals", sa.Text(), nullable=True))
    with op.batch_alter_table("compliance_facts") as batch:
        batch.add_column(
            sa.Column(
                "pi_shared_with_others", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        for name in SHARING_REFS:
            batch.add_column(sa.Column(name, sa.String(200), nullable=True))
    op.create_table(
        "compliance_unit_facts",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("security_rules_ref", sa.String(length=200), nullable=True),
        sa.Column("security_rules_date", sa.Date(), nullable=True),
        sa.Column("incident_plan_ref", sa.String(length=200), nullable=True),
        sa.Column("incident_plan_date", sa.Date(), nullable=True),
        sa.Column("incident_plan_covers_data", sa.Boolean(), nullable=False),
        sa.Column("last_training_date", sa.Date(), nullable=True),
        sa.Column("training_record_ref", sa.String(length=200), nullable=True),
        sa.Column("open_catalog_ref", sa.String(length=200), nullable=True),
        sa.Column("sharing_list_ref", sa.String(length=200), nullable=True),
        sa.Column("data_security_officer_name", sa.String(length=100), nullable=True),
        sa.Column("data_security_department", sa.String(length=100), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
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
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_compliance_unit_facts_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_unit_facts")),
        sa.UniqueConstraint("unit_id", name=op.f("uq_compliance_unit_facts_unit_id")),
    )


def downgrade() -> None:
    op.drop_table("compliance_unit_facts")
    with op.batch_alter_table("compliance_facts") as batch:
        for name in (*reversed(SHARING_REFS), "pi_shared_with_others"):
            batch.drop_column(name)
    with op.batch_alter_table("catalog_datasets") as batch:
        batch.drop_column("important_proposals")
