"""The columns the CLI's read paths select, as core ``TableClause``s: no sqlmodel, no
ORM (importing :mod:`okot.db.tables` builds every model, about 0.1 s of each command).

* ``okot caseload`` (and ``okot list``'s overdue details) read ``trajectory`` and
  ``staff`` (:mod:`okot.db.caseload`);
* every command that decodes a payload (``okot status``, ...) looks its data key up in
  ``data_key`` (:func:`okot.db.data_keys.find`).

Reads only: writes go through :mod:`okot.db.tables` (a condition on one of its columns
must not meet a statement on one of these). ``tests/test_database_schema.py`` checks
that each column here is the column of the same name and type in :mod:`okot.db.tables`.
"""

from __future__ import annotations

import sqlalchemy as sa

from okot.db.types import UtcDateTime

TRAJECTORY_READ = sa.table(
    "trajectory",
    sa.column("case_id", sa.String(64)),
    sa.column("workflow_id", sa.String(80)),
    sa.column("ocmw", sa.String(64)),
    sa.column("caseworker", sa.String(64)),
    sa.column("mediator", sa.String(64)),
    sa.column("stage", sa.String(32)),
    sa.column("is_open", sa.Boolean()),
    sa.column("stage_since", UtcDateTime()),
    sa.column("next_deadline_due", sa.Date()),
    sa.column("next_deadline_kind", sa.String(40)),
    sa.column("awaiting", sa.String(200)),
    sa.column("overdue", sa.Boolean()),
    sa.column("overdue_kind", sa.String(40)),
    sa.column("overdue_since", sa.Date()),
    sa.column("overdue_from", sa.String(200)),
    sa.column("opened_at", UtcDateTime()),
)
STAFF_READ = sa.table(
    "staff",
    sa.column("id", sa.String(64)),
    sa.column("teamlead", sa.String(64)),
)
DATA_KEY_READ = sa.table(
    "data_key",
    sa.column("id", sa.String(40)),
    sa.column("scope", sa.String(200)),
    sa.column("master_key_id", sa.String(40)),
    sa.column("wrapped", sa.LargeBinary()),
    sa.column("created_at", UtcDateTime()),
    sa.column("destroyed_at", UtcDateTime()),
)
"""Every column of ``data_key`` (a stored key is read whole)."""

READ_TABLES = (TRAJECTORY_READ, STAFF_READ, DATA_KEY_READ)
