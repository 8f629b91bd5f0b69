"""identity: notices to administrators, second-factor failure count, API tokens always expire

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01 20:40:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKEN_MAX_DAYS = 90  # the default of EDUGUARD_TOKEN_MAX_DAYS; resolve() caps by the setting too


def upgrade() -> None:
    op.create_table(
        "account_notices",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_account_notices_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_notices")),
    )
    with op.batch_alter_table("account_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_notices_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("totp_failures", sa.Integer(), nullable=False, server_default="0")
        )
    # Tokens made with "days": null never expired: they now end TOKEN_MAX_DAYS after creation.
    tokens = sa.table(
        "api_tokens",
        sa.column("id", sa.Integer()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("expires_at", sa.DateTime(timezone=True)),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(tokens.c.id, tokens.c.created_at).where(tokens.c.expires_at.is_(None))
    ).all()
    for token_id, created_at in rows:
        created = created_at if created_at is not None else datetime.now(UTC)
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        connection.execute(
            tokens.update()
            .where(tokens.c.id == token_id)
            .values(expires_at=created + timedelta(days=TOKEN_MAX_DAYS))
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("totp_failures")
    with op.batch_alter_table("account_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_notices_user_id"))
    op.drop_table("account_notices")
