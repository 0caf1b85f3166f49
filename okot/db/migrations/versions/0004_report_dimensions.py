"""report dimensions: programme, screening reason codes, funnel step

Revision ID: 0004
Revises: 0003

All three are written at record time (``okot/db/events.py``) so that the report
groups on plain columns and keeps them after ``okot db purge`` (which removes
the status JSON). Existing rows are filled: programme and reason codes from
their status, the funnel step from the snapshot's dates.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def _backfill() -> None:
    trajectory = sa.table(
        "trajectory",
        sa.column("workflow_id", sa.String()),
        sa.column("status", sa.JSON()),
        sa.column("programme", sa.String()),
        sa.column("screening_reasons", sa.String()),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(trajectory.c.workflow_id, trajectory.c.status)
        .where(trajectory.c.status.is_not(None))
    ).all()
    for workflow_id, status in rows:
        status = status or {}
        candidacy: dict[str, Any] = status.get("candidacy") or {}
        screening: dict[str, Any] | None = status.get("screening")
        reasons = None
        if screening is not None:
            reasons = "," + "".join(f"{r}," for r in sorted(screening.get("reasons") or ()))
        programme = candidacy.get("programme")
        if programme is None and reasons is None:
            continue
        conn.execute(
            trajectory.update()
            .where(trajectory.c.workflow_id == workflow_id)
            .values(programme=programme[:120] if programme else None, screening_reasons=reasons)
        )


def _funnel_steps() -> None:
    """The furthest funnel step (0 opened .. 7 work), as ``okot.db.reports.funnel_step``."""
    t = sa.table("trajectory", *(sa.column(name) for name in (
        "funnel_step", "info_on", "precheck_on", "candidacy_on", "agreement_on", "screening_on",
        "started_on", "ended_on", "employed_6m", "employed_12m")))
    c = t.c
    step = sa.case(
        (sa.or_(c.employed_6m.is_(True), c.employed_12m.is_(True)), 7),
        (c.ended_on.is_not(None), 6),
        (c.started_on.is_not(None), 5),
        (c.screening_on.is_not(None), 4),
        (c.agreement_on.is_not(None), 3),
        (c.candidacy_on.is_not(None), 2),
        (sa.or_(c.info_on.is_not(None), c.precheck_on.is_not(None)), 1),
        else_=0,
    )
    op.get_bind().execute(t.update().values(funnel_step=step))


def upgrade() -> None:
    with op.batch_alter_table("trajectory") as batch:
        batch.add_column(sa.Column("programme", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("screening_reasons", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("funnel_step", sa.Integer(), nullable=True))
    _backfill()
    _funnel_steps()
    op.create_index("ix_trajectory_funnel", "trajectory", ["opened_on", "funnel_step"])
    op.create_index("ix_trajectory_results", "trajectory", ["outcome", "programme", "study_level"])
    op.create_index("ix_trajectory_reasons", "trajectory",
                    ["screening_approved", "screening_reasons"])


def downgrade() -> None:
    op.drop_index("ix_trajectory_funnel", "trajectory")
    op.drop_index("ix_trajectory_reasons", "trajectory")
    op.drop_index("ix_trajectory_results", "trajectory")
    with op.batch_alter_table("trajectory") as batch:
        batch.drop_column("funnel_step")
        batch.drop_column("screening_reasons")
        batch.drop_column("programme")
