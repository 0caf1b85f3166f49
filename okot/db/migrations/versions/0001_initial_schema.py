"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("workflow_id", sa.String(length=80), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("stage_before", sa.String(length=32), nullable=False),
        sa.Column("stage_after", sa.String(length=32), nullable=False),
        sa.Column("payload", JSON, nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("key", name=op.f("uq_audit_log_key")),
    )
    op.create_index("ix_audit_log_actor", "audit_log", ["actor_id", "at"])
    op.create_index("ix_audit_log_workflow_at", "audit_log", ["workflow_id", "at"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("workflow_id", sa.String(length=80), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("recipient_role", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("context", JSON, nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    op.create_index("ix_outbox_case", "outbox", ["case_id", "created_at"])
    op.create_index("ix_outbox_state", "outbox", ["state", "created_at"])

    op.create_table(
        "registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("workflow_id", sa.String(length=80), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("ocmw", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration")),
        sa.UniqueConstraint("key", name=op.f("uq_registration_key")),
        sa.UniqueConstraint("reference", name=op.f("uq_registration_reference")),
    )
    op.create_index("ix_registration_case_id", "registration", ["case_id"])
    op.create_index("ix_registration_workflow_id", "registration", ["workflow_id"])

    op.create_table(
        "staff",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("ocmw", sa.String(length=64), nullable=False),
        sa.Column("teamlead", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
    )
    op.create_index("ix_staff_ocmw_role", "staff", ["ocmw", "role"])

    op.create_table(
        "stage_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workflow_id", sa.String(length=80), nullable=False),
        sa.Column("ocmw", sa.String(length=64), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("entered_seq", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("working_days", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_visit")),
        sa.UniqueConstraint("workflow_id", "entered_seq", name="uq_stage_visit_entered"),
    )
    op.create_index(
        "ix_stage_visit_ocmw_stage_days", "stage_visit", ["ocmw", "stage", "working_days"]
    )
    op.create_index("ix_stage_visit_opened", "stage_visit", ["opened_on"])
    op.create_index("ix_stage_visit_stage_days", "stage_visit", ["stage", "working_days"])

    op.create_table(
        "trajectory",
        sa.Column("workflow_id", sa.String(length=80), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ocmw", sa.String(length=64), nullable=False),
        sa.Column("caseworker", sa.String(length=64), nullable=False),
        sa.Column("mediator", sa.String(length=64), nullable=True),
        sa.Column("study_level", sa.String(length=32), nullable=True),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("stage_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closure", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("next_deadline_due", sa.Date(), nullable=True),
        sa.Column("next_deadline_kind", sa.String(length=40), nullable=True),
        sa.Column("awaiting", sa.String(length=200), nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("info_on", sa.Date(), nullable=True),
        sa.Column("precheck_on", sa.Date(), nullable=True),
        sa.Column("candidacy_on", sa.Date(), nullable=True),
        sa.Column("agreement_on", sa.Date(), nullable=True),
        sa.Column("handover_on", sa.Date(), nullable=True),
        sa.Column("intake_date", sa.Date(), nullable=True),
        sa.Column("screening_on", sa.Date(), nullable=True),
        sa.Column("screening_approved", sa.Boolean(), nullable=True),
        sa.Column("probable_start", sa.Date(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("expected_end", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("training_year", sa.Integer(), nullable=True),
        sa.Column("follow_up_lead", sa.String(length=16), nullable=True),
        sa.Column("follow_up_agreed_on", sa.Date(), nullable=True),
        sa.Column("employed_6m", sa.Boolean(), nullable=True),
        sa.Column("employed_12m", sa.Boolean(), nullable=True),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("escalations_sent", sa.Integer(), nullable=False),
        sa.Column("status", JSON, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("workflow_id", name=op.f("pk_trajectory")),
    )
    op.create_index("ix_trajectory_case_id", "trajectory", ["case_id"])
    op.create_index(
        "ix_trajectory_caseworker_open",
        "trajectory",
        ["caseworker", "is_open", "overdue", "next_deadline_due"],
    )
    op.create_index("ix_trajectory_closed", "trajectory", ["closed_on"])
    op.create_index(
        "ix_trajectory_mediator_open",
        "trajectory",
        ["mediator", "is_open", "overdue", "next_deadline_due"],
    )
    op.create_index("ix_trajectory_ocmw_opened", "trajectory", ["ocmw", "opened_on"])
    op.create_index("ix_trajectory_opened", "trajectory", ["opened_on"])
    op.create_index("ix_trajectory_stage", "trajectory", ["stage"])


def downgrade() -> None:
    op.drop_index("ix_trajectory_stage", table_name="trajectory")
    op.drop_index("ix_trajectory_opened", table_name="trajectory")
    op.drop_index("ix_trajectory_ocmw_opened", table_name="trajectory")
    op.drop_index("ix_trajectory_mediator_open", table_name="trajectory")
    op.drop_index("ix_trajectory_closed", table_name="trajectory")
    op.drop_index("ix_trajectory_caseworker_open", table_name="trajectory")
    op.drop_index("ix_trajectory_case_id", table_name="trajectory")

    op.drop_table("trajectory")
    op.drop_index("ix_stage_visit_stage_days", table_name="stage_visit")
    op.drop_index("ix_stage_visit_opened", table_name="stage_visit")
    op.drop_index("ix_stage_visit_ocmw_stage_days", table_name="stage_visit")

    op.drop_table("stage_visit")
    op.drop_index("ix_staff_ocmw_role", table_name="staff")

    op.drop_table("staff")
    op.drop_index("ix_registration_workflow_id", table_name="registration")
    op.drop_index("ix_registration_case_id", table_name="registration")

    op.drop_table("registration")
    op.drop_index("ix_outbox_state", table_name="outbox")
    op.drop_index("ix_outbox_case", table_name="outbox")

    op.drop_table("outbox")
    op.drop_index("ix_audit_log_workflow_at", table_name="audit_log")
    op.drop_index("ix_audit_log_actor", table_name="audit_log")

    op.drop_table("audit_log")
