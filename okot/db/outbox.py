"""The notification outbox: every notice queued once, and its delivery state.

* :func:`put_notification`: queue a notice, once per idempotency key;
* :func:`mark_notification`: record a delivery attempt: ``sent``, ``failed`` (for
  good) or ``queued`` with the error it met (retried later); ``attempts`` and
  ``last_attempt_at`` count every attempt, so a backlog shows while it builds up;
* :func:`claim_notification`: take the right to deliver it for a while, so that two
  attempts at once (one still running after its run continued as new or was reset,
  or after a timeout) never both send it;
* :func:`get_notification` / :func:`list_notifications`: read it (the
  ``notify`` activity, ``okot outbox``).

Idempotent, synchronous, one transaction each. The context may hold free
text: it is stored, never logged. Log lines carry ids, codes and templates only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Engine

from okot.db.engine import (
    session,
    write,
)
from okot.db.tables import (
    OUTBOX,
    Outbox,
)
from okot.db.writes import (
    dialect_insert,
    jsonable,
    utc_now,
)
from okot.domain.effects import NotifyRequest
from okot.logging import get_logger

log = get_logger(__name__)

OUTBOX_STATES = ("queued", "sent", "failed")


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
            dialect_insert(conn, OUTBOX)
            .values(
                key=notice.key,
                trajectory_id=request.trajectory,
                workflow_id=request.workflow_id,
                case_id=_case_id(request.workflow_id, notice.context),
                template=notice.template,
                recipient_role=notice.role.value,
                recipient=notice.to,
                context=jsonable(dict(notice.context)),
                state="queued",
                attempts=0,
                created_at=utc_now(),
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
    log.debug("notification queued" if created else "notification already queued",
              outbox_id=outbox_id, workflow_id=request.workflow_id, template=notice.template,
              recipient_role=notice.role.value, recipient=notice.to)
    return outbox_id, created


def claim_notification(engine: Engine, outbox_id: int, lease: timedelta) -> str:
    """Claim ``outbox_id`` for one delivery attempt of at most ``lease``: ``"claimed"``,
    ``"sent"`` (nothing to do) or ``"busy"`` (another attempt is delivering it now)."""
    o = OUTBOX.c
    now = utc_now()
    with write(engine) as conn:
        claimed = conn.execute(
            update(OUTBOX)
            .where(o.id == outbox_id, o.state != "sent",
                   or_(o.claimed_until.is_(None), o.claimed_until < now))
            .values(claimed_until=now + lease)
        ).rowcount
        if claimed:
            return "claimed"
        state = conn.execute(select(o.state).where(o.id == outbox_id)).scalar_one_or_none()
    if state is None:
        raise LookupError(f"no notification with outbox id {outbox_id}")
    return "sent" if state == "sent" else "busy"


def mark_notification(
    engine: Engine,
    outbox_id: int,
    state: str,
    error: str | None = None,
    message_id: str | None = None,
) -> None:
    """Record a delivery attempt: ``sent``, ``failed`` for good, or ``queued`` again
    (with the ``error`` it met: no personal data) to be retried."""
    if state not in OUTBOX_STATES:
        raise ValueError(f"state must be one of {', '.join(OUTBOX_STATES)}, not {state!r}")
    o = OUTBOX.c
    now = utc_now()
    values: dict[str, Any] = {"state": state, "attempts": o.attempts + 1, "last_attempt_at": now,
                              "claimed_until": None}
    if state == "sent":
        values["sent_at"] = now
        values["last_error"] = None
    if error is not None:
        values["last_error"] = error
    if message_id is not None:
        values["message_id"] = message_id
    with write(engine) as conn:
        done = conn.execute(update(OUTBOX).where(o.id == outbox_id).values(**values)).rowcount
    if not done:
        raise LookupError(f"no notification with outbox id {outbox_id}")
    log.debug("notification marked", outbox_id=outbox_id, state=state)


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
    """Outbox rows, oldest first; one case's on request; with ``failed_only`` those whose
    last delivery attempt failed: given up (``failed``) or still retried (``queued``
    with attempts)."""
    o = OUTBOX.c
    query = select(Outbox).order_by(o.id)
    if failed_only:
        query = query.where(or_(o.state == "failed", and_(o.state == "queued", o.attempts > 0)))
    if case_id is not None:
        query = query.where(OUTBOX.c.case_id == case_id)
    with session(engine) as s:
        return list(s.scalars(query).all())
