"""platform: the one task queue, the clocks (legal deadlines) and the notification outbox

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-02 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("key", sa.String(120), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "failed",
                name="taskstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("backoff_seconds", sa.Integer(), nullable=False),
        sa.Column("every_seconds", sa.Integer(), nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
        sa.UniqueConstraint("key", name="uq_tasks_key"),
    )
    op.create_index("ix_tasks_status_run_at", "tasks", ["status", "run_at"])

    op.create_table(
        "notify_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.String(2000), nullable=False),
        sa.Column("link", sa.String(300), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("cause_type", sa.String(40), nullable=True),
        sa.Column("cause_id", sa.Integer(), nullable=True),
        sa.Column("addressed_to", sa.String(500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_notify_messages_unit_id_units"),
        sa.PrimaryKeyConstraint("id", name="pk_notify_messages"),
    )
    op.create_index("ix_notify_messages_unit_id", "notify_messages", ["unit_id"])
    op.create_table(
        "notify_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("inbox", "email", "webhook", name="channel", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(64), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sent",
                "failed",
                "skipped",
                name="deliverystatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(64), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["notify_messages.id"],
            name="fk_notify_deliveries_message_id_notify_messages",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_notify_deliveries_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notify_deliveries"),
    )
    op.create_index("ix_notify_deliveries_message_id", "notify_deliveries", ["message_id"])
    op.create_index(
        "ix_notify_deliveries_inbox", "notify_deliveries", ["user_id", "channel", "read_at"]
    )
    op.create_table(
        "notify_contacts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_notify_contacts_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_notify_contacts"),
    )

    op.create_table(
        "clocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("subject_type", sa.String(40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "unit",
            sa.Enum(
                "hours", "days", "working_days", name="clockunit", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("calendar_exact", sa.Boolean(), nullable=False),
        sa.Column("owner_role", sa.String(30), nullable=False),
        sa.Column("escalate_role", sa.String(30), nullable=False),
        sa.Column("escalate_unit_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("open", "closed", name="clockstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(64), nullable=True),
        sa.Column("close_reason", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_clocks_unit_id_units"),
        sa.ForeignKeyConstraint(
            ["escalate_unit_id"], ["units.id"], name="fk_clocks_escalate_unit_id_units"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_clocks"),
    )
    op.create_index("ix_clocks_status_due_at", "clocks", ["status", "due_at"])
    op.create_index("ix_clocks_subject", "clocks", ["subject_type", "subject_id"])
    op.create_index("ix_clocks_unit_status", "clocks", ["unit_id", "status"])
    op.create_table(
        "clock_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clock_id", sa.Integer(), nullable=False),
        sa.Column("remind_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["clock_id"],
            ["clocks.id"],
            name="fk_clock_reminders_clock_id_clocks",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_clock_reminders"),
        sa.UniqueConstraint("clock_id", "remind_at", name="uq_clock_reminders_clock_time"),
    )
    op.create_index("ix_clock_reminders_due", "clock_reminders", ["sent_at", "remind_at"])


def downgrade() -> None:
    op.drop_table("clock_reminders")
    op.drop_table("clocks")
    op.drop_table("notify_contacts")
    op.drop_table("notify_deliveries")
    op.drop_table("notify_messages")
    op.drop_table("tasks")
