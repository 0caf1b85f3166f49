"""The write API that the activities call: idempotent, synchronous, one transaction each.

* :func:`record_event`: the audit row (keyed on the event key), the trajectory
  snapshot (kept only when newer, by ``seq``) and the stage history;
* :func:`put_notification` / :func:`mark_notification` / :func:`get_notification`
  / :func:`list_notifications`: the notification outbox;
* :func:`record_registration`: the embedded jobseeker registration.

Payloads may hold free text: it is stored, never logged. Log lines carry ids,
codes, stages and dates only.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from okot.db.engine import (
    session,
    write,
)
from okot.db.tables import (
    AUDIT_LOG,
    OUTBOX,
    REGISTRATION,
    STAGE_VISIT,
    TRAJECTORY,
    Outbox,
)
from okot.domain.calendar import (
    local_date,
    working_days_between,
)
from okot.domain.deadlines import awaiting
from okot.domain.effects import (
    NotifyRequest,
    RecordRequest,
    RegisterRequest,
)
from okot.domain.status import TrajectoryStatus
from okot.domain.values import (
    EmploymentCheck,
    Stage,
)
from okot.logging import get_logger

log = get_logger(__name__)

OUTBOX_STATES = ("queued", "sent", "failed")
OPENING_SEQ = 0
"""``entered_seq`` of the first stage visit (orientation, at ``opened_at``)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _insert(conn: Connection, table: Any) -> Any:
    """A dialect-specific INSERT (for ON CONFLICT) on SQLite or PostgreSQL."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database dialect {conn.dialect.name!r}")


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


def _jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (dates and enums become strings)."""
    return None if value is None else json.loads(json.dumps(value, default=str))


# --------------------------------------------------------------------- snapshots


def training_year(started_on: date | None, ended_on: date | None) -> int | None:
    """In which year of the training (1, 2 or 3) it ended; ``None`` when not ended."""
    if started_on is None or ended_on is None:
        return None
    return max(1, min(3, (ended_on - started_on).days // 365 + 1))


def snapshot_values(workflow_id: str, status: TrajectoryStatus, now: datetime) -> dict[str, Any]:
    """The ``trajectory`` row for ``status`` (flattened, plus the full status JSON)."""
    deadline = status.next_deadline
    six = status.employment_at(EmploymentCheck.MONTH_6)
    twelve = status.employment_at(EmploymentCheck.MONTH_12)
    study_level = status.study_level
    return {
        "workflow_id": workflow_id,
        "case_id": status.case_id,
        "seq": status.seq,
        "ocmw": status.ocmw,
        "caseworker": status.caseworker,
        "mediator": status.mediator,
        "study_level": study_level.value if study_level is not None else None,
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
    now = _now()
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
            "payload": _jsonable(request.payload),
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


# ------------------------------------------------------------------------ outbox


def _case_id(workflow_id: str, context: dict[str, Any]) -> str:
    case_id = context.get("case_id")
    if isinstance(case_id, str) and case_id:
        return case_id
    return workflow_id.removeprefix("okot-")


def put_notification(engine: Engine, request: NotifyRequest) -> tuple[int, bool]:
    """Queue a notification, once per ``notice.key``: returns (outbox id, created)."""
    notice = request.notice
    o = OUTBOX.c
    with write(engine) as conn:
        stmt = (
            _insert(conn, OUTBOX)
            .values(
                key=notice.key,
                workflow_id=request.workflow_id,
                case_id=_case_id(request.workflow_id, notice.context),
                template=notice.template,
                recipient_role=notice.role.value,
                recipient=notice.to,
                context=_jsonable(dict(notice.context)),
                state="queued",
                attempts=0,
                created_at=_now(),
            )
            .on_conflict_do_nothing(index_elements=[o.key])
            .returning(o.id)
        )
        inserted = conn.execute(stmt).scalar()
        if inserted is not None:
            outbox_id, created = int(inserted), True
        else:
            outbox_id = int(conn.execute(select(o.id).where(o.key == notice.key)).scalar_one())
            created = False
    log.info("notification queued" if created else "notification already queued",
             outbox_id=outbox_id, workflow_id=request.workflow_id, template=notice.template,
             recipient_role=notice.role.value, recipient=notice.to)
    return outbox_id, created


def mark_notification(
    engine: Engine,
    outbox_id: int,
    state: str,
    error: str | None = None,
    message_id: str | None = None,
) -> None:
    """Record a delivery attempt (``sent``/``failed``) or put it back (``queued``)."""
    if state not in OUTBOX_STATES:
        raise ValueError(f"state must be one of {', '.join(OUTBOX_STATES)}, not {state!r}")
    o = OUTBOX.c
    values: dict[str, Any] = {"state": state}
    if state != "queued":
        values["attempts"] = o.attempts + 1
    if state == "sent":
        values["sent_at"] = _now()
        values["last_error"] = None
    if error is not None:
        values["last_error"] = error
    if message_id is not None:
        values["message_id"] = message_id
    with write(engine) as conn:
        done = conn.execute(update(OUTBOX).where(o.id == outbox_id).values(**values)).rowcount
    if not done:
        raise LookupError(f"no notification with outbox id {outbox_id}")
    log.info("notification marked", outbox_id=outbox_id, state=state)


def get_notification(engine: Engine, outbox_id: int) -> Outbox:
    """The outbox row ``outbox_id`` (detached); :class:`LookupError` if there is none."""
    with session(engine) as s:
        row = s.get(Outbox, outbox_id)
    if row is None:
        raise LookupError(f"no notification with outbox id {outbox_id}")
    return row


def list_notifications(
    engine: Engine, failed_only: bool = False, case_id: str | None = None
) -> list[Outbox]:
    """Outbox rows, oldest first; only failed ones, or one case's, on request."""
    query = select(Outbox).order_by(OUTBOX.c.id)
    if failed_only:
        query = query.where(OUTBOX.c.state == "failed")
    if case_id is not None:
        query = query.where(OUTBOX.c.case_id == case_id)
    with session(engine) as s:
        return list(s.scalars(query).all())


# ------------------------------------------------------------------ registrations


def new_reference() -> str:
    """An opaque jobseeker reference: 'WZ-' and 8 hex digits from a random uuid."""
    return "WZ-" + uuid.uuid4().hex[:8].upper()


def record_registration(engine: Engine, request: RegisterRequest) -> str:
    """Register the client as a jobseeker, once per ``request.key``; the reference."""
    r = REGISTRATION.c
    for _attempt in range(10):
        try:
            with write(engine) as conn:
                existing = conn.execute(
                    select(r.reference).where(r.key == request.key)
                ).scalar_one_or_none()
                if existing is not None:
                    return str(existing)
                reference = new_reference()
                conn.execute(
                    _insert(conn, REGISTRATION)
                    .values(
                        key=request.key,
                        workflow_id=request.workflow_id,
                        case_id=request.case_id,
                        ocmw=request.ocmw,
                        reference=reference,
                        created_at=_now(),
                    )
                    .on_conflict_do_nothing(index_elements=[r.key])
                )
                stored = conn.execute(select(r.reference).where(r.key == request.key)).scalar_one()
        except IntegrityError:  # the random reference is taken: draw another one
            continue
        log.info("jobseeker registered", workflow_id=request.workflow_id, ocmw=request.ocmw,
                 created=stored == reference)
        return str(stored)
    raise RuntimeError("could not draw a free jobseeker reference")  # pragma: no cover
