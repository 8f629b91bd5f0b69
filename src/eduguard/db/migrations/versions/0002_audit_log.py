"""audit log: hash-chained events, signed checkpoints, append-only triggers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 08:10:00

Append-only in the database itself:

* SQLite: triggers ``RAISE(ABORT, …)`` on UPDATE/DELETE of ``audit_events`` and
  ``audit_checkpoints``. The delete trigger lets rows through only while a row exists in
  ``audit_purge_marker``, which only ``eduguard.audit.retention.purge`` writes (and removes in
  the same transaction).
* PostgreSQL: a statement trigger raises on UPDATE, DELETE and TRUNCATE. DELETE on
  ``audit_events`` passes only with ``SET LOCAL eduguard.audit_purge = 'on'`` (the purge
  function). TRUNCATE passes only for a superuser, who can disable triggers anyway (test
  fixtures empty the schema that way). Grants complete it, for the application's role::

      REVOKE UPDATE, DELETE, TRUNCATE ON audit_events, audit_checkpoints FROM eduguard_app;
      GRANT SELECT, INSERT ON audit_events, audit_checkpoints TO eduguard_app;

  so the application cannot delete even by setting the purge flag; purging runs as the owner.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROTECTED = ("audit_events", "audit_checkpoints")

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION eduguard_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_events'
       AND coalesce(current_setting('eduguard.audit_purge', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'TRUNCATE'
       AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'eduguard: % on % refused: the audit log is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    event_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "audit_events",
        sa.Column("id", event_id, autoincrement=False, nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("unit_path", sa.String(length=400), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=64), nullable=True),
        sa.Column("object_id", sa.String(length=64), nullable=True),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=True),
        sa.Column("result", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_time_id", ["time", "id"], unique=False)
        batch_op.create_index("ix_audit_events_username_id", ["username", "id"], unique=False)
        batch_op.create_index("ix_audit_events_action_id", ["action", "id"], unique=False)
        batch_op.create_index("ix_audit_events_object", ["object_type", "object_id"], unique=False)
        batch_op.create_index(
            "ix_audit_events_unit_path_id",
            ["unit_path", "id"],
            unique=False,
            postgresql_ops={"unit_path": "varchar_pattern_ops"},
        )

    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("last_event_id", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("event_count", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    with op.batch_alter_table("audit_checkpoints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_checkpoints_last_event_id"), ["last_event_id"], unique=False
        )

    op.create_table(
        "audit_purge_marker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_purge_marker")),
    )

    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in PROTECTED:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION eduguard_audit_append_only()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION eduguard_audit_append_only()"
            )
    else:
        for table in PROTECTED:
            op.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN "
                f"SELECT RAISE(ABORT, 'eduguard: UPDATE on {table} refused: "
                "the audit log is append-only'); END"
            )
        op.execute(
            "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
            "WHEN NOT EXISTS (SELECT 1 FROM audit_purge_marker) BEGIN "
            "SELECT RAISE(ABORT, 'eduguard: DELETE on audit_events refused: "
            "the audit log is append-only (use eduguard audit purge)'); END"
        )
        op.execute(
            "CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN "
            "SELECT RAISE(ABORT, 'eduguard: DELETE on audit_checkpoints refused: "
            "the audit log is append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in PROTECTED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS eduguard_audit_append_only()")
    op.drop_table("audit_purge_marker")
    op.drop_table("audit_checkpoints")
    op.drop_table("audit_events")
