"""Retention: remove the personal data of trajectories closed before a date.

``okot db purge --closed-before DATE`` keeps what the management report needs
(the snapshot's codes, dates and staff ids; the stage history) and removes:

* from the audit log: payloads (free text: notes, plans, reasons), rejection
  reasons and summaries;
* from the snapshot: the full status JSON (notes, plans, closure reason,
  location, contact staff, jobseeker reference);
* from the outbox: the notification context (what was looked up for the mail)
  and delivery errors;
* the jobseeker registrations (the link between the case and VDAB).

Rows that arrive after a purge (a late rejected signal on a closed trajectory)
are scrubbed by the next purge. The figures of the report are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import delete, func, null, or_, select, update
from sqlalchemy.engine import Engine

from okot.db.engine import write
from okot.db.tables import (
    AUDIT_LOG,
    OUTBOX,
    REGISTRATION,
    TRAJECTORY,
)
from okot.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class PurgeResult:
    closed_before: date
    trajectories: int
    """Trajectories closed before the date (purged now or earlier)."""
    snapshots: int
    audit_rows: int
    outbox_rows: int
    registrations: int
    dry_run: bool = False

    def lines(self) -> list[str]:
        verb = "would remove" if self.dry_run else "removed"
        return [
            f"{self.trajectories} trajectories closed before {self.closed_before}",
            f"{verb} the status details of {self.snapshots} trajectory snapshots",
            f"{verb} free text from {self.audit_rows} audit log entries",
            f"{verb} the context of {self.outbox_rows} notifications",
            f"{verb} {self.registrations} jobseeker registrations",
        ]


def purge(engine: Engine, closed_before: date, dry_run: bool = False) -> PurgeResult:
    """Remove the personal data of trajectories closed before ``closed_before``."""
    t, a, o, r = TRAJECTORY.c, AUDIT_LOG.c, OUTBOX.c, REGISTRATION.c
    closed = select(t.workflow_id).where(t.closed_on.is_not(None), t.closed_on < closed_before)
    now = datetime.now(UTC)
    snapshot_where = (t.workflow_id.in_(closed), t.purged_at.is_(None))
    audit_where = (
        a.workflow_id.in_(closed),
        or_(a.payload.is_not(None), a.reason.is_not(None), a.summary.is_not(None)),
    )
    outbox_where = (o.workflow_id.in_(closed),
                    or_(o.context.is_not(None), o.last_error.is_not(None)))
    registration_where = (r.workflow_id.in_(closed),)

    def count(table: object, *where: object) -> int:
        query = select(func.count()).select_from(table).where(*where)  # type: ignore[arg-type]
        return int(conn.execute(query).scalar_one())

    with write(engine) as conn:
        trajectories = count(TRAJECTORY, t.closed_on.is_not(None), t.closed_on < closed_before)
        if dry_run:
            result = PurgeResult(
                closed_before, trajectories,
                snapshots=count(TRAJECTORY, *snapshot_where),
                audit_rows=count(AUDIT_LOG, *audit_where),
                outbox_rows=count(OUTBOX, *outbox_where),
                registrations=count(REGISTRATION, *registration_where),
                dry_run=True,
            )
        else:
            result = PurgeResult(
                closed_before, trajectories,
                snapshots=conn.execute(
                    update(TRAJECTORY).where(*snapshot_where).values(status=null(), purged_at=now)
                ).rowcount,
                audit_rows=conn.execute(
                    update(AUDIT_LOG).where(*audit_where).values(
                        payload=null(), reason=null(), summary=null(), purged_at=now
                    )
                ).rowcount,
                outbox_rows=conn.execute(
                    update(OUTBOX).where(*outbox_where).values(context=null(), last_error=null())
                ).rowcount,
                registrations=conn.execute(delete(REGISTRATION).where(*registration_where)).rowcount,
            )
    log.info(
        "personal data purged" if not dry_run else "purge dry run",
        closed_before=closed_before.isoformat(),
        trajectories=result.trajectories,
        snapshots=result.snapshots,
        audit_rows=result.audit_rows,
        outbox_rows=result.outbox_rows,
        registrations=result.registrations,
    )
    return result
