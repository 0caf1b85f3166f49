"""The rules of the OKOT journey: pure functions, no I/O, no clock, no Temporal.

Given the current status, a message (with its actor) and the current time,
:func:`decide` returns either :class:`~okot.domain.changes.Accepted` (the new
status, the notifications the step implies and a short summary for the
timeline) or :class:`~okot.domain.changes.Rejected` (a reason naming the
current stage and what is allowed). This module holds the table of which
message is allowed in which stage from which role (:data:`RULES`), the opening
of a trajectory and the system events (registration result, cancellation, a
notification or an audit record that failed). What each message changes is in
:mod:`okot.domain.steps`, one function per message in seed order; deadlines
(which is due next, what happens when one fires) are in
:mod:`okot.domain.deadlines`. The next deadline always follows from the status
and the trajectory's :class:`~okot.domain.policy.ReminderPolicy`.

Every stage x message x role combination is decided by :data:`RULES` and the
per-message checks; ``tests/test_journey_table.py`` pins each one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from okot.domain import authorization, overdue, rules_versions
from okot.domain.calendar import due_at
from okot.domain.changes import (
    CW,
    MED,
    OPS,
    TL,
    Accepted,
    Decision,
    Refusal,
    Rejected,
    _close,
    _keyed,
    _move,
    _notice,
    _today,
)
from okot.domain.deadlines import _with_deadline
from okot.domain.messages import Message
from okot.domain.status import (
    OpenTrajectory,
    StreamState,
    TrajectoryStatus,
)
from okot.domain.steps import _HANDLERS
from okot.domain.values import (
    OPEN_STAGES,
    STAGES_BEFORE_START,
    Closure,
    DeadlineKind,
    MessageName,
    Role,
    Stage,
)

# ------------------------------------------------------------------------ the table


@dataclass(frozen=True)
class Rule:
    stages: tuple[Stage, ...]
    roles: tuple[Role, ...]


RULES: dict[MessageName, Rule] = {
    MessageName.RECORD_INFO: Rule((Stage.ORIENTATION,), (CW, MED)),
    MessageName.RECORD_PRECHECK: Rule((Stage.ORIENTATION,), (CW,)),
    MessageName.SUBMIT_CANDIDACY: Rule((Stage.ORIENTATION,), (CW, MED)),
    MessageName.GIVE_AGREEMENT: Rule((Stage.AWAITING_AGREEMENT,), (CW,)),
    MessageName.DECLINE_AGREEMENT: Rule((Stage.AWAITING_AGREEMENT,), (CW,)),
    MessageName.CONFIRM_HANDOVER: Rule((Stage.HANDOVER,), (CW,)),
    MessageName.SCHEDULE_INTAKE: Rule((Stage.SCREENING,), (MED,)),
    MessageName.RECORD_SCREENING: Rule((Stage.SCREENING,), (MED,)),
    MessageName.POSTPONE_START: Rule((Stage.AWAITING_START,), (MED,)),
    MessageName.CONFIRM_START: Rule((Stage.AWAITING_START,), (MED,)),
    MessageName.RECORD_PROGRESS: Rule((Stage.IN_TRAINING,), (MED, CW)),
    MessageName.REPORT_STOPPED: Rule((Stage.IN_TRAINING,), (CW,)),
    MessageName.RECORD_END: Rule((Stage.IN_TRAINING,), (MED,)),
    MessageName.AGREE_FOLLOW_UP: Rule((Stage.FOLLOW_UP,), (MED, CW)),
    MessageName.RECORD_EMPLOYMENT: Rule((Stage.FOLLOW_UP,), (CW, MED)),
    MessageName.WITHDRAW: Rule(STAGES_BEFORE_START, (CW,)),
    MessageName.REASSIGN: Rule(OPEN_STAGES, (TL, CW, MED)),
    MessageName.UPDATE_POLICY: Rule(OPEN_STAGES, (TL, OPS)),
}

def allowed_in(stage: Stage) -> list[tuple[MessageName, tuple[Role, ...]]]:
    """The messages allowed in ``stage`` and who may send each."""
    return [(name, rule.roles) for name, rule in RULES.items() if stage in rule.stages]


def describe_allowed(stage: Stage) -> str:
    options = allowed_in(stage)
    if not options:
        return "nothing: the trajectory is closed"
    return ", ".join(f"{name.value} ({'/'.join(r.value for r in roles)})" for name, roles in options)


# ---------------------------------------------------------------------- opening

MAX_BACKDATE_DAYS = 3 * 366
"""How long before today a file kept elsewhere may have been opened."""


def opening_problem(request: OpenTrajectory, today: date, slack_days: int = 0) -> str | None:
    """Why ``request`` cannot open a trajectory ``today`` (``None``: it can).

    Checked by every door that opens one: the client before it starts the
    workflow, and the workflow itself (with a day of ``slack_days`` for a
    start that crossed midnight on its way) for a start that came another way.
    """
    if request.opened_on is None:
        return None
    if (request.opened_on - today).days > slack_days:
        return f"opened_on is in the future (today is {today.isoformat()})"
    if (today - request.opened_on).days > MAX_BACKDATE_DAYS + slack_days:
        return (
            "opened_on is more than three years ago; an OKOT file that old cannot "
            "still be in orientation"
        )
    return None


def open_trajectory(request: OpenTrajectory, now: datetime) -> TrajectoryStatus:
    """The status of a newly opened trajectory (or the carried one on continue-as-new)."""
    if request.carried is not None:
        return request.carried.status
    since = now
    if request.opened_on is not None:  # a file kept elsewhere until now: count from then
        since = min(now, due_at(request.opened_on))
    status = TrajectoryStatus(
        case_id=request.case_id,
        ocmw=request.ocmw,
        caseworker=request.caseworker,
        mediator=request.mediator,
        teamlead=request.teamlead,
        registered_jobseeker=request.registered_jobseeker,
        stage=Stage.ORIENTATION,
        stage_since=since,
        opened_at=since,
        policy=request.policy,
        rules_version=rules_versions.CURRENT,
        seq=1,
    )
    return _with_deadline(status)


# ------------------------------------------------------------------- messages


def decide(
    status: TrajectoryStatus, message: Message, now: datetime, *, per_case: bool = True
) -> Decision:
    """Apply one human message. Pure: the same input gives the same decision.

    ``per_case`` checks that the sender holds their role on this trajectory
    (:mod:`okot.domain.authorization`); only the replay of a trajectory that
    ran before that rule existed turns it off.
    """
    rule = RULES[message.name]
    role = message.actor.role
    if status.stage is Stage.CLOSED:
        closure = status.closure.value if status.closure else "closed"
        return Rejected(
            f"{message.name.value} refused: the trajectory is closed ({closure}); "
            "nothing more can be recorded on it"
        )
    if status.stage not in rule.stages:
        return Rejected(
            f"{message.name.value} is not allowed in stage {status.stage.value}; "
            f"allowed there: {describe_allowed(status.stage)}"
        )
    if role not in rule.roles:
        return Rejected(
            f"{message.name.value} may be sent by {' or '.join(r.value for r in rule.roles)}, "
            f"not by {role.value} (stage {status.stage.value})"
        )
    if per_case:
        not_theirs = authorization.refusal(status, message.actor, message.name)
        if not_theirs is not None:
            return Rejected(not_theirs)
    handler = _HANDLERS[message.name]
    try:
        new_status, notices, summary = handler(status, message, now)
    except Refusal as refusal:
        return Rejected(f"{message.name.value} refused in stage {status.stage.value}: {refusal}")
    precise = rules_versions.explains_overdue(status.rules_version)
    if new_status.stage is not status.stage or overdue.clears(status, message.name, precise):
        new_status = new_status.model_copy(update={"overdue": False, "overdue_detail": None})
    elif precise:
        new_status = overdue.refreshed(new_status)  # it names whoever holds the role now
    new_status = _with_deadline(new_status.model_copy(update={"seq": status.seq + 1}))
    return Accepted(new_status, _keyed(new_status, notices), summary)



# ----------------------------------------------------------------- system events


def registration_succeeded(status: TrajectoryStatus, reference: str, now: datetime) -> Accepted:
    """The jobseeker registration activity succeeded: on to the warm handover."""
    _require_stage(status, Stage.REGISTERING)
    new = _move(
        status, Stage.HANDOVER, now, registered_jobseeker=True, jobseeker_reference=reference,
        registration_pending=False, registration_error=None,
        registration_attempts=status.registration_attempts + 1,
    )
    new = _with_deadline(new.model_copy(update={"seq": status.seq + 1}))
    notices = [
        _notice(CW, new.caseworker, "registered", reference=reference),
        *([_notice(MED, new.mediator, "registered", reference=reference)] if new.mediator else []),
    ]
    return Accepted(new, _keyed(new, notices), f"registered as jobseeker ({reference})")


def registration_failed(status: TrajectoryStatus, error: str, now: datetime) -> Accepted:
    """The registration failed for good this time: retried on the next working day."""
    _require_stage(status, Stage.REGISTERING)
    first_failure = status.registration_error is None
    streams = dict(status.streams)
    streams[DeadlineKind.REGISTRATION_RETRY] = StreamState(
        sent=streams.get(DeadlineKind.REGISTRATION_RETRY, StreamState()).sent, last=_today(now)
    )
    new = status.model_copy(
        update={
            "registration_pending": False,
            "registration_error": error,
            "registration_attempts": status.registration_attempts + 1,
            "streams": streams,
            "seq": status.seq + 1,
        }
    )
    new = _with_deadline(new)
    notices = (
        [_notice(CW, new.caseworker, "registration_failed"), _notice(TL, new.caseworker,
                                                                      "registration_failed")]
        if first_failure
        else []
    )
    return Accepted(new, _keyed(new, notices), "jobseeker registration failed; retried next working day")


def cancel(status: TrajectoryStatus, now: datetime) -> Accepted:
    """The trajectory was cancelled (opened by mistake, or by operations)."""
    new = _close(status, Closure.CANCELLED, now, "cancelled")
    new = _with_deadline(new.model_copy(update={"seq": status.seq + 1}))
    return Accepted(new, (), "trajectory cancelled")


def notification_failed(status: TrajectoryStatus, template: str, now: datetime) -> Accepted:
    """A notification could not be delivered for good: the teamlead is told."""
    new = status.model_copy(update={"seq": status.seq + 1})
    notices = [_notice(TL, status.caseworker, "notification_failed", failed_template=template)]
    return Accepted(new, _keyed(new, notices), f"notification {template} could not be delivered")


def record_failed(status: TrajectoryStatus, event_seq: int, event: str) -> Accepted:
    """The audit record of timeline entry ``event_seq`` was refused for good by the
    database (a value it cannot store): the timeline says so; nothing else changes."""
    new = status.model_copy(update={"seq": status.seq + 1})
    return Accepted(new, (), f"audit record of entry {event_seq} ({event}) could not be written")


def _require_stage(status: TrajectoryStatus, stage: Stage) -> None:
    if status.stage is not stage:
        raise ValueError(f"expected stage {stage.value}, trajectory is in {status.stage.value}")
