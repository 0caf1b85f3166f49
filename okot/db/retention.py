"""Retention: remove the personal data of trajectories closed before a date.

``okot db purge --closed-before DATE`` keeps what the management report needs
(the snapshot's codes, dates and staff ids; the stage history) and removes:

* from the audit log: payloads (free text: notes, plans, reasons), rejection
  reasons and summaries;
* from the snapshot: the full status JSON (notes, plans, closure reason,
  location, contact staff, jobseeker reference);
* from the outbox: the notification context (what was looked up for the mail)
  and delivery errors;
* the jobseeker registrations (the link between the case and VDAB);
* the client register's rows (name, VDAB client number);
* the trajectories' data keys (crypto-shredding, :mod:`okot.crypto.data_keys`):
  their Temporal histories, kept until Temporal's retention removes them, can
  never be decrypted again.

``okot case erase CASE`` (:func:`erase_case`) does the same for a case whose
trajectories are all closed, at once.

Rows are removed per trajectory (``trajectory_id``): of a case reopened under the
same workflow id, a closed trajectory is purged while the open one is kept, and
with it the case's data key and client register entry.

Rows that arrive after a purge (a late rejected signal on a closed trajectory)
are scrubbed by the next purge. The figures of the report are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, func, null, or_, select, update
from sqlalchemy.engine import Connection, Engine

from okot.crypto.data_keys import destroy_keys
from okot.db import client_register
from okot.db.engine import write
from okot.db.tables import (
    AUDIT_LOG,
    CLIENT_REGISTER,
    DATA_KEY,
    OUTBOX,
    REGISTRATION,
    TRAJECTORY,
)
from okot.domain.values import workflow_id_for
from okot.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class PurgeResult:
    closed_before: date | None
    trajectories: int
    """Trajectories closed before the date (purged now or earlier)."""
    snapshots: int
    audit_rows: int
    outbox_rows: int
    registrations: int
    dry_run: bool = False
    client_records: int = 0
    data_keys: int = 0

    def lines(self) -> list[str]:
        verb = "would remove" if self.dry_run else "removed"
        first = (f"{self.trajectories} trajectories closed before {self.closed_before}"
                 if self.closed_before is not None else f"{self.trajectories} trajectory")
        return [
            first,
            f"{verb} the status details of {self.snapshots} trajectory snapshots",
            f"{verb} free text from {self.audit_rows} audit log entries",
            f"{verb} the context of {self.outbox_rows} notifications",
            f"{verb} {self.registrations} jobseeker registrations",
            f"{verb} {self.client_records} client register entries",
            f"{'would destroy' if self.dry_run else 'destroyed'} {self.data_keys} data keys "
            "(their Temporal histories can no longer be decrypted)",
        ]


def _remove(conn: Connection, trajectories: Any, workflows: Any, cases: Any,
            dry_run: bool) -> dict[str, int]:
    """Remove the personal data of ``trajectories`` (their rows), and of ``workflows`` /
    ``cases`` (data keys, client register: lists or selects)."""
    t, a, o, r = TRAJECTORY.c, AUDIT_LOG.c, OUTBOX.c, REGISTRATION.c
    now = datetime.now(UTC)
    where = {
        "snapshots": (TRAJECTORY, (t.trajectory_id.in_(trajectories), t.purged_at.is_(None))),
        "audit_rows": (AUDIT_LOG, (
            a.trajectory_id.in_(trajectories),
            or_(a.payload.is_not(None), a.reason.is_not(None), a.summary.is_not(None)))),
        "outbox_rows": (OUTBOX, (o.trajectory_id.in_(trajectories),
                                 or_(o.context.is_not(None), o.last_error.is_not(None)))),
        "registrations": (REGISTRATION, (r.trajectory_id.in_(trajectories),)),
        "client_records": (CLIENT_REGISTER, (CLIENT_REGISTER.c.case_id.in_(cases),)),
        "data_keys": (DATA_KEY, (DATA_KEY.c.scope.in_(workflows), DATA_KEY.c.wrapped.is_not(None))),
    }
    if dry_run:
        return {
            name: int(conn.execute(select(func.count()).select_from(table).where(*cond))
                      .scalar_one())
            for name, (table, cond) in where.items()
        }
    return {
        "snapshots": conn.execute(update(TRAJECTORY).where(*where["snapshots"][1])
                                  .values(status=null(), purged_at=now)).rowcount,
        "audit_rows": conn.execute(update(AUDIT_LOG).where(*where["audit_rows"][1]).values(
            payload=null(), reason=null(), summary=null(), purged_at=now)).rowcount,
        "outbox_rows": conn.execute(update(OUTBOX).where(*where["outbox_rows"][1])
                                    .values(context=null(), last_error=null())).rowcount,
        "registrations": conn.execute(
            delete(REGISTRATION).where(*where["registrations"][1])).rowcount,
        "client_records": client_register.remove(conn, cases),
        "data_keys": destroy_keys(conn, DATA_KEY.c.scope.in_(workflows)),
    }


def _destroy_elsewhere(key_engine: Engine | None, engine: Engine, workflows: list[str],
                       dry_run: bool) -> int:
    """Data keys in a separate key database (``OKOT_KEYSTORE_URL``), destroyed first."""
    if key_engine is None or key_engine is engine or not workflows:
        return 0
    scope = DATA_KEY.c.scope
    with write(key_engine) as conn:
        if dry_run:
            return int(conn.execute(select(func.count()).select_from(DATA_KEY).where(
                scope.in_(workflows), DATA_KEY.c.wrapped.is_not(None))).scalar_one())
        return destroy_keys(conn, scope.in_(workflows))


def purge(engine: Engine, closed_before: date, dry_run: bool = False,
          key_engine: Engine | None = None) -> PurgeResult:
    """Remove the personal data of trajectories closed before ``closed_before``
    (and destroy their data keys, also in ``key_engine`` when the keys live there)."""
    t = TRAJECTORY.c
    is_closed = (t.closed_on.is_not(None), t.closed_on < closed_before)
    # per trajectory; the data key and the client register entry are the case's (its
    # workflow id's): kept while the case has a trajectory still open (reopened)
    done = (*is_closed, t.workflow_id.not_in(select(t.workflow_id).where(t.is_open.is_(True))))
    elsewhere = 0
    if key_engine is not None and key_engine is not engine:
        with engine.connect() as conn:
            closed = list(conn.execute(select(t.workflow_id).where(*done).distinct()).scalars())
        elsewhere = _destroy_elsewhere(key_engine, engine, closed, dry_run)
    with write(engine) as conn:
        trajectories = int(conn.execute(
            select(func.count()).select_from(TRAJECTORY).where(*is_closed)).scalar_one())
        counts = _remove(conn, select(t.trajectory_id).where(*is_closed),
                         select(t.workflow_id).where(*done), select(t.case_id).where(*done),
                         dry_run)
    counts["data_keys"] += elsewhere
    result = PurgeResult(closed_before, trajectories, dry_run=dry_run, **counts)
    _log(result)
    return result


class NotClosed(ValueError):
    """The trajectory is still open: it cannot be erased yet."""


def erase_case(engine: Engine, case_id: str, dry_run: bool = False,
               key_engine: Engine | None = None) -> PurgeResult:
    """Erase the personal data of ``case_id``'s trajectory (closed, or never recorded)
    now: destroy its data keys, delete its client register entry and scrub the audit
    log, snapshot, outbox and registrations. Counts for the report survive."""
    workflow_id = workflow_id_for(case_id)
    t = TRAJECTORY.c
    with write(engine) as conn:
        states = list(conn.execute(select(t.is_open).where(t.workflow_id == workflow_id))
                      .scalars())  # one per trajectory of the case (reopened: several)
        if any(states):
            raise NotClosed(f"the trajectory of case {case_id} is still open")
    elsewhere = _destroy_elsewhere(key_engine, engine, [workflow_id], dry_run)
    with write(engine) as conn:
        counts = _remove(conn, select(t.trajectory_id).where(t.workflow_id == workflow_id),
                         [workflow_id], [case_id], dry_run)
    counts["data_keys"] += elsewhere
    result = PurgeResult(None, len(states), dry_run=dry_run, **counts)
    _log(result)
    return result


def _log(result: PurgeResult) -> None:
    log.info(
        "personal data purged" if not result.dry_run else "purge dry run",
        closed_before=None if result.closed_before is None else result.closed_before.isoformat(),
        trajectories=result.trajectories,
        snapshots=result.snapshots,
        audit_rows=result.audit_rows,
        outbox_rows=result.outbox_rows,
        registrations=result.registrations,
        client_records=result.client_records,
        data_keys=result.data_keys,
    )
