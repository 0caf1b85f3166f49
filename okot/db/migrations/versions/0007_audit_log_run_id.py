"""the run that wrote each audit row

Revision ID: 0007
Revises: 0006

``audit_log.run_id`` is the Temporal run whose record activity wrote the row
(``okot/db/events.py``). A retried workflow task keeps its run id, a Reset starts a
new run: rows of the writer's own run with an older event are an attempt that never
reached the history (a worker killed after the local activity wrote them) and are
deleted, rows of another run are a branch a Reset abandoned and are superseded.
Rows written before stay ``NULL`` (no backfill) and are treated as another run's.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("run_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("run_id")
