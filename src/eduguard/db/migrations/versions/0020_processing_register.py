"""processing: the register of purposes (legal basis, fields, retention, recipients) and
the published collection rules (immutable, SM3-hashed versions)

Revision ID: 0020
Revises: 0017
Create Date: 2026-12-02 03:31:50.200945
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "processing_purposes",
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "legal_basis",
            sa.Enum(
                "consent",
                "contract",
                "statutory",
                "emergency",
                "news",
                "published",
                "other_law",
                name="legalbasis",
                native_enum=False,
                length=20,
            ),
            nullable=True,
        ),
        sa.Column("basis_detail", sa.Text(), nullable=False),
        sa.Column(
            "necessity",
            sa.Enum("necessary", "optional", name="necessity", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("collection_method", sa.String(length=500), nullable=False),
        sa.Column("retention_period", sa.String(length=200), nullable=False),
        sa.Column(
            "disposal",
            sa.Enum(
                "delete", "anonymise", "archive", name="disposal", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("sensitive_necessity", sa.Text(), nullable=False),
        sa.Column("automated_decision", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft", "active", "retired", name="purposestatus", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=True),
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
            name=op.f("fk_processing_purposes_system_id_information_systems"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processing_purposes")),
        sa.UniqueConstraint("system_id", "name", name="uq_processing_purposes_name"),
    )
    with op.batch_alter_table("processing_purposes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_processing_purposes_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_processing_purposes_system_id"), ["system_id"], unique=False
        )

    op.create_table(
        "processing_registers",
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("contact", sa.String(length=300), nullable=False),
        sa.Column("rights_channel", sa.Text(), nullable=False),
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
            name=op.f("fk_processing_registers_system_id_information_systems"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processing_registers")),
        sa.UniqueConstraint("system_id", name=op.f("uq_processing_registers_system_id")),
    )
    op.create_table(
        "processing_rules_versions",
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column(
            "audience",
            sa.Enum("general", "children", name="audience", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sm3", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["information_systems.id"],
            name=op.f("fk_processing_rules_versions_system_id_information_systems"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processing_rules_versions")),
        sa.UniqueConstraint("system_id", "audience", "number", name="uq_processing_rules_number"),
    )
    with op.batch_alter_table("processing_rules_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_processing_rules_versions_system_id"), ["system_id"], unique=False
        )

    op.create_table(
        "processing_recipients",
        sa.Column("purpose_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("third_party", "processor", name="recipientkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("contact", sa.String(length=300), nullable=False),
        sa.Column("use", sa.String(length=500), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.id"],
            name=op.f("fk_processing_recipients_agreement_id_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["purpose_id"],
            ["processing_purposes.id"],
            name=op.f("fk_processing_recipients_purpose_id_processing_purposes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processing_recipients")),
    )
    with op.batch_alter_table("processing_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_processing_recipients_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_processing_recipients_purpose_id"), ["purpose_id"], unique=False
        )

    op.create_table(
        "processing_purpose_fields",
        sa.Column("purpose_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["catalog_fields.id"],
            name=op.f("fk_processing_purpose_fields_field_id_catalog_fields"),
        ),
        sa.ForeignKeyConstraint(
            ["purpose_id"],
            ["processing_purposes.id"],
            name=op.f("fk_processing_purpose_fields_purpose_id_processing_purposes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processing_purpose_fields")),
        sa.UniqueConstraint("purpose_id", "field_id", name="uq_processing_purpose_fields_pair"),
    )
    with op.batch_alter_table("processing_purpose_fields", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_processing_purpose_fields_field_id"), ["field_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_processing_purpose_fields_purpose_id"), ["purpose_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("processing_purpose_fields", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processing_purpose_fields_purpose_id"))
        batch_op.drop_index(batch_op.f("ix_processing_purpose_fields_field_id"))

    op.drop_table("processing_purpose_fields")
    with op.batch_alter_table("processing_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processing_recipients_purpose_id"))
        batch_op.drop_index(batch_op.f("ix_processing_recipients_agreement_id"))

    op.drop_table("processing_recipients")
    with op.batch_alter_table("processing_rules_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processing_rules_versions_system_id"))

    op.drop_table("processing_rules_versions")
    op.drop_table("processing_registers")
    with op.batch_alter_table("processing_purposes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processing_purposes_system_id"))
        batch_op.drop_index(batch_op.f("ix_processing_purposes_status"))

    op.drop_table("processing_purposes")
