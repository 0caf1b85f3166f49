"""Recording one trajectory event: the audit row, the snapshot and the stage history.

:func:`record_event` is what the ``record`` activity calls, once per accepted
or rejected message and system event, in one transaction: the audit row
(keyed on the event key), the trajectory snapshot (kept only when newer, by
``seq``) and the stage history (visits chained by ``seq``, so events recorded
out of order give the same history). Idempotent and synchronous.

Payloads may hold free text: it is stored, never logged. Log lines carry ids,
codes, stages and dates only.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from okot.db.engine import write
from okot.db.reports import funnel_step
from okot.db.tables import (
    AUDIT_LOG,
    STAGE_VISIT,
    TRAJECTORY,
)
from okot.db.writes import (
    jsonable,
    utc_now,
)
from okot.domain.calendar import (
    local_date,
    working_days_between,
)
from okot.domain.deadlines import awaiting
from okot.domain.effects import RecordRequest
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
    snapshot = upsert.on_conflict_do_update(
        index_elements=[t.workflow_id],
        set_={c.name: upsert.excluded[c.name] for c in TRAJECTORY.c if c.name != "workflow_id"},
        where=t.seq < upsert.excluded.seq,
    ).returning(t.workflow_id)
    return {
        "audit": ins(AUDIT_LOG).on_conflict_do_nothing(index_elements=[a.key]).returning(a.id),
        "snapshot": snapshot,
        "visit": ins(STAGE_VISIT)
        .on_conflict_do_nothing(index_elements=[v.workflow_id, v.entered_seq])
        .returning(v.id),
        "before": select(v.id, v.entered_at)
        .where(v.workflow_id == bindparam("wf"), v.entered_seq < bindparam("seq"))
        .order_by(v.entered_seq.desc())
        .limit(1),
        "after": select(v.entered_at)
        .where(v.workflow_id == bindparam("wf"), v.entered_seq > bindparam("seq"))
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


def snapshot_values(workflow_id: str, status: TrajectoryStatus, now: datetime) -> dict[str, Any]:
    """The ``trajectory`` row for ``status`` (flattened, plus the full status JSON)."""
    deadline = status.next_deadline
    six = status.employment_at(EmploymentCheck.MONTH_6)
    twelve = status.employment_at(EmploymentCheck.MONTH_12)
    study_level = status.study_level
    values = {
        "workflow_id": workflow_id,
        "case_id": status.case_id,
        "seq": status.seq,
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
        "status": status.model_dump(mode="json"),
        "updated_at": now,
        "purged_at": None,
    }
    values["funnel_step"] = funnel_step(values)
    return values


def _upsert_snapshot(conn: Connection, values: dict[str, Any]) -> bool:
    """Insert or replace the snapshot, but only with a newer ``seq``. True if written."""
    stmt = _statements(conn.dialect.name)["snapshot"]
    return conn.execute(stmt, values).first() is not None


# ----------------------------------------------------------------- stage history


def _stage_days(entered_at: datetime, left_at: datetime) -> int:
    return working_days_between(local_date(entered_at), local_date(left_at))


def _enter_stage(
    conn: Connection,
    workflow_id: str,
    status: TrajectoryStatus,
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
    values = {
        "workflow_id": workflow_id,
        "ocmw": status.ocmw,
        "opened_on": local_date(status.opened_at),
        "stage": stage,
        "entered_seq": seq,
        "entered_at": at,
    }
    visit_id = conn.execute(st["visit"], values).scalar()
    if visit_id is None:
        return
    before = conn.execute(st["before"], {"wf": workflow_id, "seq": seq}).first()
    if before is not None:
        conn.execute(st["leave"], {"visit_id": before.id, "left": at,
                                   "days": _stage_days(before.entered_at, at)})
    after = conn.execute(st["after"], {"wf": workflow_id, "seq": seq}).first()
    if after is not None:
        conn.execute(st["leave"], {"visit_id": visit_id, "left": after.entered_at,
                                   "days": _stage_days(at, after.entered_at)})


# ------------------------------------------------------------------------ events


def record_event(engine: Engine, request: RecordRequest) -> bool:
    """Record one accepted or rejected message or system event; False on a retry.

    In one transaction: the audit row (unique on ``request.key``: a retry inserts
    nothing and changes nothing), the snapshot from ``request.status`` when its
    ``seq`` is newer than the stored one, and the stage history.
    """
    entry, status = request.entry, request.status
    now = utc_now()
    with write(engine) as conn:
        audit = {
            "key": request.key,
            "workflow_id": request.workflow_id,
            "case_id": status.case_id,
            "at": entry.at,
            "seq": entry.seq,
            "kind": entry.kind,
            "name": entry.name,
            "actor_role": entry.actor.role.value,
            "actor_id": entry.actor.id,
            "accepted": entry.accepted,
            "reason": entry.reason,
            "summary": entry.summary,
            "stage_before": entry.stage_before.value,
            "stage_after": entry.stage_after.value,
            "payload": jsonable(request.payload),
            "recorded_at": now,
        }
        # (not rowcount, which SQLAlchemy may not know: the statement RETURNs the new id)
        if conn.execute(_statements(conn.dialect.name)["audit"], audit).first() is None:
            log.info("event already recorded", workflow_id=request.workflow_id, seq=entry.seq,
                     message=entry.name)
            return False
        newer = _upsert_snapshot(conn, snapshot_values(request.workflow_id, status, now))
        _enter_stage(conn, request.workflow_id, status, Stage.ORIENTATION.value, OPENING_SEQ,
                     status.opened_at)
        if entry.accepted and entry.stage_before is not entry.stage_after:
            _enter_stage(conn, request.workflow_id, status, entry.stage_after.value, entry.seq,
                         entry.at)
    log.info(
        "event recorded",
        workflow_id=request.workflow_id,
        message=entry.name,
        kind=entry.kind,
        accepted=entry.accepted,
        seq=entry.seq,
        stage=entry.stage_after.value,
        snapshot="updated" if newer else "kept (newer stored)",
    )
    return True
