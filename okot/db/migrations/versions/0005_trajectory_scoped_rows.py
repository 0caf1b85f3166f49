"""rows per trajectory, Reset-safe audit log, delivery attempts

Every row names its trajectory (``trajectory_id``), so a case reopened under the
same workflow id keeps its trajectories apart: the snapshot is keyed by it, the
stage history chains per trajectory. Existing rows were written under the legacy
key scheme, whose trajectory id is the workflow id (``okot.domain.keys``).

The snapshot keeps the moment and timeline number of its event (``event_at``,
``event_seq``: the newest event wins, also across a Temporal Reset); audit rows of
a branch a Reset abandoned are kept as superseded (``superseded_at``) and the key
is unique among the current rows only; the outbox records when the last delivery
attempt was made and which attempt is delivering (``claimed_until``).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

CURRENT_ROWS = sa.text("superseded_at IS NULL")
TRAJECTORY_ID = sa.String(length=80)


def _add_trajectory_id(table: str) -> None:
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column("trajectory_id", TRAJECTORY_ID, nullable=True))
    op.execute(sa.text(f"UPDATE {table} SET trajectory_id = workflow_id"))


def _require(table: str, *columns: str) -> None:
    with op.batch_alter_table(table) as batch:
        for column in columns:
            batch.alter_column(column, nullable=False)


def upgrade() -> None:
    # trajectory: keyed by trajectory id; the moment and number of its event
    _add_trajectory_id("trajectory")
    with op.batch_alter_table("trajectory") as batch:
        batch.add_column(sa.Column("event_seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("event_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(sa.text(
        "UPDATE trajectory SET "
        "event_seq = COALESCE((SELECT MAX(a.seq) FROM audit_log a "
        "WHERE a.workflow_id = trajectory.workflow_id), seq), "
        "event_at = COALESCE((SELECT MAX(a.at) FROM audit_log a "
        "WHERE a.workflow_id = trajectory.workflow_id), opened_at)"
    ))
    with op.batch_alter_table("trajectory") as batch:
        batch.alter_column("trajectory_id", nullable=False)
        batch.alter_column("event_seq", nullable=False)
        batch.alter_column("event_at", nullable=False)
        batch.drop_constraint("pk_trajectory", type_="primary")
        batch.create_primary_key("pk_trajectory", ["trajectory_id"])
        batch.create_index("ix_trajectory_workflow_id", ["workflow_id"])

    # stage_visit: visits chain per trajectory
    _add_trajectory_id("stage_visit")
    with op.batch_alter_table("stage_visit") as batch:
        batch.alter_column("trajectory_id", nullable=False)
        batch.drop_constraint("uq_stage_visit_entered", type_="unique")
        batch.create_unique_constraint("uq_stage_visit_entered", ["trajectory_id", "entered_seq"])

    # audit_log: per trajectory; rows a Reset abandoned are superseded, not unique
    _add_trajectory_id("audit_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True))
        batch.alter_column("trajectory_id", nullable=False)
        batch.drop_constraint("uq_audit_log_key", type_="unique")
        batch.create_index("ix_audit_log_trajectory_seq", ["trajectory_id", "seq"])
        batch.create_index("ux_audit_log_key_current", ["key"], unique=True,
                           sqlite_where=CURRENT_ROWS, postgresql_where=CURRENT_ROWS)

    # outbox and registration: per trajectory; the outbox's last delivery attempt
    _add_trajectory_id("outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch.alter_column("trajectory_id", nullable=False)
        batch.create_index("ix_outbox_trajectory_id", ["trajectory_id"])
    _add_trajectory_id("registration")
    with op.batch_alter_table("registration") as batch:
        batch.alter_column("trajectory_id", nullable=False)
        batch.create_index("ix_registration_trajectory_id", ["trajectory_id"])


def downgrade() -> None:
    """Back to one row per workflow id: of a reopened case only the newest trajectory's
    snapshot is kept, and superseded audit rows are dropped."""
    with op.batch_alter_table("registration") as batch:
        batch.drop_index("ix_registration_trajectory_id")
        batch.drop_column("trajectory_id")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_trajectory_id")
        batch.drop_column("claimed_until")
        batch.drop_column("last_attempt_at")
        batch.drop_column("trajectory_id")

    op.execute(sa.text("DELETE FROM audit_log WHERE superseded_at IS NOT NULL"))
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ux_audit_log_key_current")
        batch.drop_index("ix_audit_log_trajectory_seq")
        batch.create_unique_constraint("uq_audit_log_key", ["key"])
        batch.drop_column("superseded_at")
        batch.drop_column("trajectory_id")

    op.execute(sa.text(
        "DELETE FROM stage_visit WHERE trajectory_id NOT IN "
        "(SELECT trajectory_id FROM trajectory t WHERE t.event_at = "
        "(SELECT MAX(n.event_at) FROM trajectory n WHERE n.workflow_id = t.workflow_id))"
    ))
    op.execute(sa.text(
        "DELETE FROM trajectory WHERE event_at < "
        "(SELECT MAX(n.event_at) FROM trajectory n WHERE n.workflow_id = trajectory.workflow_id)"
    ))
    with op.batch_alter_table("stage_visit") as batch:
        batch.drop_constraint("uq_stage_visit_entered", type_="unique")
        batch.create_unique_constraint("uq_stage_visit_entered", ["workflow_id", "entered_seq"])
        batch.drop_column("trajectory_id")
    with op.batch_alter_table("trajectory") as batch:
        batch.drop_index("ix_trajectory_workflow_id")
        batch.drop_constraint("pk_trajectory", type_="primary")
        batch.create_primary_key("pk_trajectory", ["workflow_id"])
        batch.drop_column("event_at")
        batch.drop_column("event_seq")
        batch.drop_column("trajectory_id")
