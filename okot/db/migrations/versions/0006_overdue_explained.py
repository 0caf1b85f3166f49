"""overdue explained: which deadline, since when, awaited from whom

Revision ID: 0006
Revises: 0005

The snapshot says why a trajectory is overdue (``okot.domain.deadlines.overdue_of``):
``overdue_kind`` (the deadline missed first), ``overdue_since`` (the day it fell
due) and ``overdue_from`` (``role:staff_id``, comma-separated), written at record
time (``okot/db/events.py``). Rows recorded before stay empty until their
trajectory's next event; the caseload shows them as overdue without the detail.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("trajectory") as batch:
        batch.add_column(sa.Column("overdue_kind", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("overdue_since", sa.Date(), nullable=True))
        batch.add_column(sa.Column("overdue_from", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("trajectory") as batch:
        batch.drop_column("overdue_from")
        batch.drop_column("overdue_since")
        batch.drop_column("overdue_kind")
