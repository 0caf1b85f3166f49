"""report dimensions: the candidacy's programme and the screening's reason codes

Revision ID: 0003
Revises: 0002

Both are copied from the status JSON at record time (``okot/db/events.py``) so
that the report groups on plain columns and keeps them after ``okot db purge``
(which removes the status JSON). Existing rows are filled from their status.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
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


def upgrade() -> None:
    with op.batch_alter_table("trajectory") as batch:
        batch.add_column(sa.Column("programme", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("screening_reasons", sa.String(length=200), nullable=True))
    _backfill()


def downgrade() -> None:
    with op.batch_alter_table("trajectory") as batch:
        batch.drop_column("screening_reasons")
        batch.drop_column("programme")
