"""envelope keys: wrapped data keys; unit contacts widened to hold ciphertext

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 11:00:00

The data migration (encrypting contacts stored in plaintext, rewriting ``sm4gcm:v1:`` values under
a data key) needs the master key, which never reaches the database or this script: it is
``eduguard keys migrate``, run by ``eduguard init`` right after the schema upgrade. Until then the
contacts read as before (see eduguard.db.sealed ``legacy_plaintext``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONTACTS = ("principal_leader", "leader_in_charge", "security_contact")


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("wrapped_key", sa.Text(), nullable=False),
        sa.Column("master_fingerprint", sa.String(length=32), nullable=False),
        sa.Column(
            "state",
            sa.Enum("active", "retiring", "retired", name="keystate", native_enum=False, length=20),
            nullable=False,
        ),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_keys")),
    )
    with op.batch_alter_table("data_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_data_keys_state"), ["state"], unique=False)

    with op.batch_alter_table("units", schema=None) as batch_op:
        for column in CONTACTS:
            batch_op.alter_column(
                column,
                existing_type=sa.String(length=100),
                type_=sa.Text(),
                existing_nullable=True,
            )


def downgrade() -> None:
    # Only possible once the contacts are decrypted again (they no longer fit 100 characters).
    with op.batch_alter_table("units", schema=None) as batch_op:
        for column in CONTACTS:
            batch_op.alter_column(
                column,
                existing_type=sa.Text(),
                type_=sa.String(length=100),
                existing_nullable=True,
            )
    with op.batch_alter_table("data_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_keys_state"))
    op.drop_table("data_keys")
