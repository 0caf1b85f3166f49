"""Recording one trajectory event: the audit row, the snapshot and the stage history.

:func:`record_event` is what the ``record`` activity calls, once per accepted
or rejected message and system event, in one transaction: the audit row
(keyed on the event key), the trajectory snapshot (kept only when its event is
newer) and the stage history (visits chained by ``seq``, so events recorded out
of order give the same history). Idempotent and synchronous. Every row is the
trajectory's (``request.trajectory``): a case reopened under the same workflow
id has its trajectories apart.

**After a Temporal Reset** the new branch records its events under the keys the
abandoned branch used from the reset point on. A key already recorded for an
*older* event (an earlier ``at``: the abandoned branch's, since the new branch's
events happen after the Reset) is not skipped: that row and every later row of
the abandoned branch are kept but marked superseded, the new event is recorded
as the current row, the abandoned branch's stage visits are dropped and the
snapshot follows the new branch. A retry (same event, same ``at``) changes
nothing. An attempt of the abandoned branch that completes late (a current row
with a lower ``seq`` is newer than its event) is kept as superseded at once and
touches neither the snapshot nor the stage history.

**A retried workflow task** keeps its run id (``run_id``, on every row), a Reset starts
a new run. The ``record_events`` local activity runs before its workflow task completes:
a worker killed in between leaves rows of an attempt that never reached the history,
and the retry records the same keys at a later ``workflow.now()``. Older rows of the
writer's own run are that attempt's: deleted with their stage visits, not superseded;
a late attempt overtaken by a newer one of its run is not written at all. Rows of
another run, or of none (before 0007, or a caller that names none), are a Reset's.

Payloads may hold free text: it is stored (without NUL characters, which
PostgreSQL cannot store), never logged. Log lines carry ids, codes, stages and
dates only.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from okot.db.engine import write
from okot.db.failures import describe
from okot.db.reports import funnel_step
from okot.db.tables import (
    AUDIT_LOG,
    STAGE_VISIT,
    TRAJECTORY,
)
from okot.db.writes import (
    jsonable,
    storable_text,
    utc_now,
)
from okot.domain.calendar import (
    local_date,
    working_days_between,
)
from okot.domain.deadlines import awaiting, overdue_of
from okot.domain.effects import RecordBatch, RecordBatchResult, RecordRequest, RefusedRecord
from okot.domain.overdue import format_parties
from okot.domain.status import TrajectoryStatus
from okot.domain.values import (
    EmploymentCheck,
    Stage,
)
from okot.logging import get_logger

log = get_logger(__name__)

OPENING_SEQ = 0
"""``entered_seq`` of the first stage visit (orientation, at ``opened_at``)."""


@lru_cache(maxsize=32)
def _statements(dialect: str) -> dict[str, Any]:
    """The statements of :func:`record_event`, built once per dialect (parameters at execute)."""
    ins = postgresql.insert if dialect == "postgresql" else sqlite.insert
    t, v, a = TRAJECTORY.c, STAGE_VISIT.c, AUDIT_LOG.c
    upsert = ins(TRAJECTORY)
    new = upsert.excluded
    snapshot = upsert.on_conflict_do_update(
        index_elements=[t.trajectory_id],
        set_={c.name: new[c.name] for c in TRAJECTORY.c if c.name != "trajectory_id"},
        where=or_(t.event_at < new.event_at,
                  and_(t.event_at == new.event_at, t.event_seq < new.event_seq)),
    ).returning(t.trajectory_id)
    tid: Any = bindparam("tid")
    seq: Any = bindparam("b_seq")
    return {
        "audit": ins(AUDIT_LOG)
        .on_conflict_do_nothing(index_elements=[a.key], index_where=a.superseded_at.is_(None))
        .returning(a.id),
        "recorded": select(a.at).where(a.key == bindparam("key"), a.superseded_at.is_(None)),
        "overtaken": select(a.id).where(a.trajectory_id == tid, a.seq < seq, a.at > bindparam("b_at"),
                                        a.superseded_at.is_(None)).limit(1),
        "kept": select(a.id).where(a.key == bindparam("key"), a.at == bindparam("b_at")).limit(1),
        "supersede": update(AUDIT_LOG)
        .where(a.trajectory_id == tid, a.seq >= seq, a.at < bindparam("b_at"),
               a.superseded_at.is_(None))
        .values(superseded_at=bindparam("now")),
        "uncommitted": delete(AUDIT_LOG)
        .where(a.trajectory_id == tid, a.seq >= seq, a.at < bindparam("b_at"),
               a.run_id == bindparam("run"), a.superseded_at.is_(None)),
        "own_run": select(a.id).where(a.trajectory_id == tid, a.seq < seq, a.at > bindparam("b_at"),
                                      a.run_id == bindparam("run"), a.superseded_at.is_(None)).limit(1),
        "forget": delete(STAGE_VISIT).where(v.trajectory_id == tid, v.entered_seq >= seq),
        "snapshot": snapshot,
        "visit": ins(STAGE_VISIT)
        .on_conflict_do_nothing(index_elements=[v.trajectory_id, v.entered_seq])
        .returning(v.id),
        "before": select(v.id, v.entered_at)
        .where(v.trajectory_id == tid, v.entered_seq < seq)
        .order_by(v.entered_seq.desc())
        .limit(1),
        "after": select(v.entered_at)
        .where(v.trajectory_id == tid, v.entered_seq > seq)
        .order_by(v.entered_seq)
        .limit(1),
        "leave": update(STAGE_VISIT)
        .where(v.id == bindparam("visit_id"))
        .values(left_at=bindparam("left"), working_days=bindparam("days")),
    }


# --------------------------------------------------------------------- snapshots


def training_year(started_on: date | None, ended_on: date | None) -> int | None:
    """In which year of the training (1, 2 or 3) it ended; ``None`` when not ended."""
    if started_on is None or ended_on is None:
        return None
    return max(1, min(3, (ended_on - started_on).days // 365 + 1))


def reason_codes(status: TrajectoryStatus) -> str | None:
    """The screening's reason codes as ``,code,code,`` (sorted), or ``None``."""
    if status.screening is None:
        return None
    return "," + "".join(f"{r.value}," for r in sorted(status.screening.reasons))


def overdue_columns(status: TrajectoryStatus) -> dict[str, Any]:
    """``overdue_kind``, ``overdue_since`` and ``overdue_from`` (``role:id,role:id``)."""
    found = overdue_of(status)
    if found is None:
        return {"overdue_kind": None, "overdue_since": None, "overdue_from": None}
    return {
        "overdue_kind": found.kind.value,
        "overdue_since": found.since,
        "overdue_from": format_parties(found.awaited_from)[:200],
    }


def snapshot_values(request: RecordRequest, now: datetime) -> dict[str, Any]:
    """The ``trajectory`` row after ``request``'s event (flattened, plus the full status JSON)."""
    status = request.status
    deadline = status.next_deadline
    six = status.employment_at(EmploymentCheck.MONTH_6)
    twelve = status.employment_at(EmploymentCheck.MONTH_12)
    study_level = status.study_level
    values = {
        "trajectory_id": request.trajectory,
        "workflow_id": request.workflow_id,
        "case_id": status.case_id,
        "seq": status.seq,
        "event_seq": request.entry.seq,
        "event_at": request.entry.at,
        "ocmw": status.ocmw,
        "caseworker": status.caseworker,
        "mediator": status.mediator,
        "study_level": study_level.value if study_level is not None else None,
        "programme": status.candidacy.programme[:120] if status.candidacy is not None else None,
        "stage": status.stage.value,
        "is_open": status.is_open,
        "stage_since": status.stage_since,
        "closure": status.closure.value if status.closure is not None else None,
        "outcome": status.outcome.value if status.outcome is not None else None,
        "next_deadline_due": deadline.due if deadline is not None else None,
        "next_deadline_kind": deadline.kind.value if deadline is not None else None,
        "awaiting": awaiting(status)[:200],
        "overdue": status.overdue,
        **overdue_columns(status),
        "opened_at": status.opened_at,
        "opened_on": local_date(status.opened_at),
        "closed_at": status.closed_at,
        "closed_on": local_date(status.closed_at) if status.closed_at is not None else None,
        "info_on": status.info_on,
        "precheck_on": status.precheck.on if status.precheck is not None else None,
        "candidacy_on": status.candidacy.on if status.candidacy is not None else None,
        "agreement_on": status.agreement_on,
        "handover_on": status.handover_on,
        "intake_date": status.intake_date,
        "screening_on": status.screening.on if status.screening is not None else None,
        "screening_approved": status.screening.approved if status.screening is not None else None,
        "screening_reasons": reason_codes(status),
        "probable_start": status.probable_start,
        "started_on": status.started_on,
        "expected_end": status.expected_end,
        "ended_on": status.ended_on,
        "training_year": training_year(status.started_on, status.ended_on),
        "follow_up_lead": status.follow_up_lead.value if status.follow_up_lead else None,
        "follow_up_agreed_on": status.follow_up_agreed_on,
        "employed_6m": six.employed if six is not None else None,
        "employed_12m": twelve.employed if twelve is not None else None,
        "reminders_sent": status.reminders_sent,
        "escalations_sent": status.escalations_sent,
        "status": jsonable(status.model_dump(mode="json")),
        "updated_at": now,
        "purged_at": None,
    }
    values["funnel_step"] = funnel_step(values)
    return values


def _upsert_snapshot(conn: Connection, values: dict[str, Any]) -> bool:
    """Insert or replace the snapshot, but only with a newer event. True if written."""
    stmt = _statements(conn.dialect.name)["snapshot"]
    return conn.execute(stmt, values).first() is not None


# ----------------------------------------------------------------- stage history


def _stage_days(entered_at: datetime, left_at: datetime) -> int:
    return working_days_between(local_date(entered_at), local_date(left_at))


def _enter_stage(
    conn: Connection,
    request: RecordRequest,
    stage: str,
    seq: int,
    at: datetime,
) -> None:
    """Record that ``stage`` was entered at ``at`` by event ``seq`` (idempotent).

    Visits chain by ``seq``, not by arrival: the visit before this one is left
    at ``at``, and this one is left when the next visit (if already recorded)
    was entered. So events recorded out of order give the same history.
    """
    st = _statements(conn.dialect.name)
    status, tid = request.status, request.trajectory
    values = {
        "trajectory_id": tid,
        "workflow_id": request.workflow_id,
        "ocmw": status.ocmw,
        "opened_on": local_date(status.opened_at),
        "stage": stage,
        "entered_seq": seq,
        "entered_at": at,
    }
    visit_id = conn.execute(st["visit"], values).scalar()
    if visit_id is None:
        return
    before = conn.execute(st["before"], {"tid": tid, "b_seq": seq}).first()
    if before is not None:
        conn.execute(st["leave"], {"visit_id": before.id, "left": at,
                                   "days": _stage_days(before.entered_at, at)})
    after = conn.execute(st["after"], {"tid": tid, "b_seq": seq}).first()
    if after is not None:
        conn.execute(st["leave"], {"visit_id": visit_id, "left": after.entered_at,
                                   "days": _stage_days(at, after.entered_at)})


# ------------------------------------------------------------------------ events


def _supersede_abandoned(conn: Connection, request: RecordRequest, now: datetime,
                         run_id: str | None) -> tuple[int, int]:
    """If the event's key was recorded for an older event, delete the rows from this ``seq``
    on of the writer's run ``run_id`` (a retried workflow task's attempt), supersede those
    of another run (a branch a Temporal Reset abandoned), drop their stage visits; the
    numbers (deleted, superseded) ((0, 0): a first recording or a retry)."""
    st = _statements(conn.dialect.name)
    entry = request.entry
    recorded = conn.execute(st["recorded"], {"key": request.key}).scalar()
    if recorded is None or not recorded < entry.at:
        return 0, 0
    where = {"tid": request.trajectory, "b_seq": entry.seq}
    deleted = int(conn.execute(st["uncommitted"], {**where, "b_at": entry.at, "run": run_id}).rowcount)
    superseded = int(conn.execute(st["supersede"], {**where, "b_at": entry.at, "now": now}).rowcount)
    conn.execute(st["forget"], where)
    last = conn.execute(st["before"], where).first()  # left for a visit that was dropped
    if last is not None:
        conn.execute(st["leave"], {"visit_id": last.id, "left": None, "days": None})
    return deleted, superseded


def record_event(engine: Engine, request: RecordRequest, *, run_id: str | None = None) -> bool:
    """Record one accepted or rejected message or system event; False on a retry.

    In one transaction: the audit row (unique among the current rows on
    ``request.key``: a retry inserts nothing and changes nothing; an older row
    under the key is from a branch a Reset abandoned and is superseded, or, when of
    the writer's run ``run_id``, from a retried workflow task's attempt and is deleted), the
    snapshot from ``request.status`` when its event is newer than the stored one,
    and the stage history.
    """
    now = utc_now()
    with write(engine) as conn:
        created = _record(conn, request, now, snapshot=True, run_id=run_id)
    entry = request.entry
    log.info("event recorded", workflow_id=request.workflow_id, trajectory_id=request.trajectory,
             message=entry.name, kind=entry.kind, accepted=entry.accepted, seq=entry.seq,
             stage=entry.stage_after.value, new_row=created)
    return created


def record_events(engine: Engine, batch: RecordBatch, *, run_id: str | None = None) -> RecordBatchResult:
    """Record a workflow task's events in order, in one transaction, and the snapshot
    after the last one (``batch.status``); idempotent per key like :func:`record_event`
    (``run_id``: the writing run's, as there).

    When the database refuses one of them (an invalid value), each is written in a
    transaction of its own (each with the batch's snapshot, kept only when newer): the
    others are recorded and the refused ones come back with their one safe line. A
    temporary failure (the database unreachable) is raised, for the caller to retry.
    """
    requests = batch.requests()
    now = utc_now()
    try:
        with write(engine) as conn:
            written = sum(_record(conn, r, now, snapshot=r is requests[-1], run_id=run_id)
                          for r in requests)
    except SQLAlchemyError as err:
        if describe(err).retryable or len(requests) == 1:
            raise
        written, refused = 0, []
        for request in requests:
            try:
                with write(engine) as conn:
                    written += _record(conn, request, now, snapshot=True, run_id=run_id)
            except SQLAlchemyError as one:
                failure = describe(one)
                if failure.retryable:
                    raise
                refused.append(RefusedRecord(key=request.key, error=failure.message))
        return RecordBatchResult(written=written, refused=tuple(refused))
    return RecordBatchResult(written=written)


def _record(conn: Connection, request: RecordRequest, now: datetime, *, snapshot: bool,
            run_id: str | None = None) -> bool:
    """One event on ``conn`` (see :func:`record_event`); the snapshot only if ``snapshot``."""
    entry = request.entry
    st = _statements(conn.dialect.name)
    where = {"tid": request.trajectory, "b_seq": entry.seq, "b_at": entry.at}
    overtaken = conn.execute(st["overtaken"], where).first() is not None
    if overtaken and conn.execute(st["own_run"], {**where, "run": run_id}).first() is not None:
        log.info("event of an attempt overtaken in its own run not recorded", seq=entry.seq,
                 workflow_id=request.workflow_id, trajectory_id=request.trajectory)
        return False  # a newer attempt of the same run overtook it: it never happened
    deleted, superseded = (0, 0) if overtaken else _supersede_abandoned(conn, request, now, run_id)
    audit = {
        "key": request.key,
        "trajectory_id": request.trajectory,
        "workflow_id": request.workflow_id,
        "case_id": request.status.case_id,
        "at": entry.at,
        "seq": entry.seq,
        "kind": entry.kind,
        "name": entry.name,
        "actor_role": entry.actor.role.value,
        "actor_id": entry.actor.id,
        "accepted": entry.accepted,
        "reason": storable_text(entry.reason),
        "summary": storable_text(entry.summary),
        "stage_before": entry.stage_before.value,
        "stage_after": entry.stage_after.value,
        "payload": jsonable(request.payload),
        "recorded_at": now,
        "run_id": run_id,
    }
    if overtaken:  # a late attempt of a branch a Reset abandoned: kept, not current
        if conn.execute(st["kept"], {"key": request.key, "b_at": entry.at}).first() is not None:
            return False
        conn.execute(AUDIT_LOG.insert(), {**audit, "superseded_at": now})
        log.info("event of an abandoned branch kept as superseded",
                 workflow_id=request.workflow_id, trajectory_id=request.trajectory,
                 seq=entry.seq, message=entry.name)
        return True
    # (not rowcount, which SQLAlchemy may not know: the statement RETURNs the new id)
    if conn.execute(st["audit"], audit).first() is None:
        return False  # already recorded: a retry
    if snapshot:
        _upsert_snapshot(conn, snapshot_values(request, now))
    _enter_stage(conn, request, Stage.ORIENTATION.value, OPENING_SEQ, request.status.opened_at)
    if entry.accepted and entry.stage_before is not entry.stage_after:
        _enter_stage(conn, request, entry.stage_after.value, entry.seq, entry.at)
    if superseded or deleted:  # deleted: of this run's attempt that did not complete
        log.info("earlier rows superseded or deleted", workflow_id=request.workflow_id,
                 trajectory_id=request.trajectory, seq=entry.seq, superseded=superseded,
                 deleted=deleted)
    return True
