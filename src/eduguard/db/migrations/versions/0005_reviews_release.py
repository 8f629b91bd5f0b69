"""reviews (one approval mechanism) and research/statistics release requests

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_requests",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=True),
        sa.Column("requester_name", sa.String(length=64), nullable=False),
        sa.Column("requester_unit_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "submitted",
                "approved",
                "rejected",
                "withdrawn",
                "fulfilled",
                name="reviewstate",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("current_step", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
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
            ["requester_id"], ["users.id"], name=op.f("fk_review_requests_requester_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["requester_unit_id"],
            ["units.id"],
            name=op.f("fk_review_requests_requester_unit_id_units"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_review_requests_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_requests")),
    )
    with op.batch_alter_table("review_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_requests_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_review_requests_requester_id"), ["requester_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_review_requests_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_requests_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "review_decisions",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("step_position", sa.Integer(), nullable=True),
        sa.Column(
            "action",
            sa.Enum(
                "submit",
                "approve",
                "reject",
                "back",
                "withdraw",
                "fulfil",
                name="decisionkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_review_decisions_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["review_requests.id"],
            name=op.f("fk_review_decisions_request_id_review_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_decisions")),
    )
    with op.batch_alter_table("review_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_decisions_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "review_steps",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "pending",
                "approved",
                "rejected",
                "returned",
                name="stepstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_name", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_review_steps_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["review_requests.id"],
            name=op.f("fk_review_steps_request_id_review_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_review_steps_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_steps")),
        sa.UniqueConstraint("request_id", "position", name="uq_review_steps_position"),
    )
    with op.batch_alter_table("review_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_steps_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_review_steps_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "release_requests",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("dataset_name", sa.String(length=300), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("ethics_note", sa.Text(), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("quasi_identifiers", sa.Text(), nullable=False),
        sa.Column("k", sa.Integer(), nullable=True),
        sa.Column("l_diversity", sa.Integer(), nullable=False),
        sa.Column("sensitive_attribute", sa.String(length=300), nullable=True),
        sa.Column("output_format", sa.String(length=10), nullable=False),
        sa.Column(
            "job_status",
            sa.Enum(
                "waiting",
                "queued",
                "running",
                "succeeded",
                "failed",
                name="jobstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("job_error", sa.String(length=1000), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("output_file", sa.String(length=500), nullable=True),
        sa.Column("report_file", sa.String(length=500), nullable=True),
        sa.Column("rows_exported", sa.Integer(), nullable=True),
        sa.Column("downloads", sa.Integer(), nullable=False),
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
            name=op.f("fk_release_requests_dataset_id_catalog_datasets"),
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["users.id"], name=op.f("fk_release_requests_requester_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review_requests.id"],
            name=op.f("fk_release_requests_review_id_review_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["information_systems.id"],
            name=op.f("fk_release_requests_system_id_information_systems"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_requests")),
        sa.UniqueConstraint("review_id", name=op.f("uq_release_requests_review_id")),
    )
    with op.batch_alter_table("release_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_release_requests_dataset_id"), ["dataset_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_release_requests_job_status"), ["job_status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_release_requests_requester_id"), ["requester_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_release_requests_system_id"), ["system_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("release_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_release_requests_system_id"))
        batch_op.drop_index(batch_op.f("ix_release_requests_requester_id"))
        batch_op.drop_index(batch_op.f("ix_release_requests_job_status"))
        batch_op.drop_index(batch_op.f("ix_release_requests_dataset_id"))

    op.drop_table("release_requests")
    with op.batch_alter_table("review_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_steps_unit_id"))
        batch_op.drop_index(batch_op.f("ix_review_steps_request_id"))

    op.drop_table("review_steps")
    with op.batch_alter_table("review_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_decisions_request_id"))

    op.drop_table("review_decisions")
    with op.batch_alter_table("review_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_requests_unit_id"))
        batch_op.drop_index(batch_op.f("ix_review_requests_state"))
        batch_op.drop_index(batch_op.f("ix_review_requests_requester_id"))
        batch_op.drop_index(batch_op.f("ix_review_requests_kind"))

    op.drop_table("review_requests")
