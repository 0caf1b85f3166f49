"""The rules of the OKOT journey: pure functions, no I/O, no clock, no Temporal.

Given the current status, a message (with its actor) and the current time,
:func:`decide` returns either :class:`Accepted` (the new status, the
notifications the step implies and a short summary for the timeline) or
:class:`Rejected` (a reason naming the current stage and what is allowed).
System events (opening, registration result, deadlines, cancellation) have a
function each. The next deadline always follows from the status and the
trajectory's :class:`~okot.model.ReminderPolicy` (see :func:`next_deadline`).

Every stage x message x role combination is decided by :data:`RULES` and the
per-message checks below; ``tests/test_journey_table.py`` pins each one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from okot.domain.calendar import (
    add_months,
    add_working_days,
    due_at,
    local_date,
    next_working_day,
)
from okot.domain.messages import (
    AgreeFollowUp,
    ConfirmHandover,
    ConfirmStart,
    DeclineAgreement,
    GiveAgreement,
    Message,
    PostponeStart,
    Reassign,
    RecordEmployment,
    RecordEnd,
    RecordInfo,
    RecordPrecheck,
    RecordProgress,
    RecordScreening,
    ScheduleIntake,
    SubmitCandidacy,
    Withdraw,
)
from okot.domain.status import (
    Candidacy,
    Deadline,
    Employment,
    Notice,
    OpenTrajectory,
    Precheck,
    Screening,
    StreamState,
    TrajectoryStatus,
)
from okot.domain.values import (
    OPEN_STAGES,
    STAGES_BEFORE_START,
    Closure,
    DeadlineKind,
    EmploymentCheck,
    MessageName,
    Role,
    Stage,
)

MAX_PLANNING_DAYS = 2 * 366
"""A planned date (intake, start) more than two years ahead is refused as a typo."""


@dataclass(frozen=True)
class Accepted:
    status: TrajectoryStatus
    notices: tuple[Notice, ...]
    summary: str


@dataclass(frozen=True)
class Rejected:
    reason: str


Decision = Accepted | Rejected


class Refusal(Exception):
    """Raised inside a rule to reject a message; turned into :class:`Rejected`."""


# ------------------------------------------------------------------------ the table

CW, MED, TL = Role.CASEWORKER, Role.MEDIATOR, Role.TEAMLEAD


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
    MessageName.RECORD_END: Rule((Stage.IN_TRAINING,), (MED,)),
    MessageName.AGREE_FOLLOW_UP: Rule((Stage.FOLLOW_UP,), (MED, CW)),
    MessageName.RECORD_EMPLOYMENT: Rule((Stage.FOLLOW_UP,), (CW, MED)),
    MessageName.WITHDRAW: Rule(STAGES_BEFORE_START, (CW,)),
    MessageName.REASSIGN: Rule(OPEN_STAGES, (TL, CW, MED)),
}

# Messages that answer what a reminder asked for, without moving the stage on.
_ANSWERS_REMINDER = frozenset(
    {
        MessageName.SCHEDULE_INTAKE,
        MessageName.POSTPONE_START,
        MessageName.RECORD_PROGRESS,
        MessageName.AGREE_FOLLOW_UP,
        MessageName.RECORD_EMPLOYMENT,
    }
)


def allowed_in(stage: Stage) -> list[tuple[MessageName, tuple[Role, ...]]]:
    """The messages allowed in ``stage`` and who may send each."""
    return [(name, rule.roles) for name, rule in RULES.items() if stage in rule.stages]


def describe_allowed(stage: Stage) -> str:
    options = allowed_in(stage)
    if not options:
        return "nothing: the trajectory is closed"
    return ", ".join(f"{name.value} ({'/'.join(r.value for r in roles)})" for name, roles in options)


# ---------------------------------------------------------------------- opening


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
        registered_jobseeker=request.registered_jobseeker,
        stage=Stage.ORIENTATION,
        stage_since=since,
        opened_at=since,
        policy=request.policy,
        seq=1,
    )
    return _with_deadline(status)


# ------------------------------------------------------------------- messages


def decide(status: TrajectoryStatus, message: Message, now: datetime) -> Decision:
    """Apply one human message. Pure: the same input gives the same decision."""
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
    handler = _HANDLERS[message.name]
    try:
        new_status, notices, summary = handler(status, message, now)
    except Refusal as refusal:
        return Rejected(f"{message.name.value} refused in stage {status.stage.value}: {refusal}")
    if new_status.stage is not status.stage or message.name in _ANSWERS_REMINDER:
        new_status = new_status.model_copy(update={"overdue": False})
    new_status = _with_deadline(new_status.model_copy(update={"seq": status.seq + 1}))
    return Accepted(new_status, _keyed(new_status, notices), summary)


Change = tuple[TrajectoryStatus, list[Notice], str]


def _today(now: datetime) -> date:
    return local_date(now)


def _not_future(label: str, day: date, now: datetime) -> None:
    if day > _today(now):
        raise Refusal(f"{label} {day} is in the future (today is {_today(now)})")


def _planned(label: str, day: date, now: datetime) -> None:
    today = _today(now)
    if day < today:
        raise Refusal(f"{label} {day} is in the past (today is {today})")
    if (day - today).days > MAX_PLANNING_DAYS:
        raise Refusal(f"{label} {day} is more than two years ahead")


def _move(status: TrajectoryStatus, stage: Stage, now: datetime, **changes: object) -> TrajectoryStatus:
    return status.model_copy(
        update={"stage": stage, "stage_since": now, "streams": {}, "overdue": False, **changes}
    )


def _close(
    status: TrajectoryStatus, closure: Closure, now: datetime, reason: str | None = None
) -> TrajectoryStatus:
    return _move(status, Stage.CLOSED, now, closure=closure, closure_reason=reason, closed_at=now)


def _notice(role: Role, to: str, template: str, **context: str | int | bool | None) -> Notice:
    return Notice(role=role, to=to, template=template, key="", context=context)


def _base_context(status: TrajectoryStatus) -> dict[str, str | int | bool | None]:
    candidacy = status.candidacy
    return {
        "case_id": status.case_id,
        "ocmw": status.ocmw,
        "stage": status.stage.value,
        "caseworker": status.caseworker,
        "mediator": status.mediator,
        "programme": candidacy.programme if candidacy else None,
        "school": candidacy.school if candidacy else None,
        "study_level": status.study_level.value if status.study_level else None,
    }


def _keyed(status: TrajectoryStatus, notices: Iterable[Notice]) -> tuple[Notice, ...]:
    base = _base_context(status)
    return tuple(
        n.model_copy(
            update={
                "key": f"okot-{status.case_id}:{status.seq}:{n.template}:{n.role.value}:{n.to}",
                "context": {**base, **n.context},
            }
        )
        for n in notices
    )


def _record_info(status: TrajectoryStatus, m: RecordInfo, now: datetime) -> Change:
    _not_future("info date", m.date, now)
    new = status.model_copy(update={"info_on": m.date, "info_channel": m.channel})
    return new, [], f"info via {m.channel.value} on {m.date}"


def _record_precheck(status: TrajectoryStatus, m: RecordPrecheck, now: datetime) -> Change:
    precheck = Precheck(
        on=_today(now),
        conditions_met=m.conditions_met,
        twe_active=m.twe_active,
        study_level=m.study_level,
        notes=m.notes,
    )
    new = status.model_copy(update={"precheck": precheck})
    if precheck.positive:
        return new, [], f"pre-check positive for {m.study_level.value}"
    why = "an active TWE (OKOT cannot be combined with TWE)" if m.twe_active else (
        "entry conditions not met"
    )
    closed = _close(new, Closure.INELIGIBLE, now, "twe_active" if m.twe_active else "conditions")
    return closed, [], f"pre-check negative: {why}; closed as ineligible"


def _submit_candidacy(status: TrajectoryStatus, m: SubmitCandidacy, now: datetime) -> Change:
    precheck = status.precheck
    if precheck is None:
        raise Refusal("record a positive pre-check (record_precheck) first")
    if precheck.study_level is not m.study_level:
        raise Refusal(
            f"the pre-check was for study level {precheck.study_level.value}, the candidacy is "
            f"for {m.study_level.value}; record a new pre-check for {m.study_level.value} first"
        )
    candidacy = Candidacy(
        on=_today(now),
        programme=m.programme,
        study_level=m.study_level,
        school=m.school,
        channel=m.channel,
    )
    new = _move(status, Stage.AWAITING_AGREEMENT, now, candidacy=candidacy, mediator=m.mediator)
    notices = [_notice(CW, new.caseworker, "candidacy_submitted", channel=m.channel.value)]
    return new, notices, f"candidacy for {m.study_level.value} via {m.channel.value}"


def _give_agreement(status: TrajectoryStatus, m: GiveAgreement, now: datetime) -> Change:
    assert status.mediator is not None  # set by submit_candidacy
    contact = m.contact or status.caseworker
    stage = Stage.HANDOVER if status.registered_jobseeker else Stage.REGISTERING
    new = _move(
        status,
        stage,
        now,
        agreement_on=_today(now),
        agreement_contact=contact,
        registration_pending=stage is Stage.REGISTERING,
    )
    notices = [_notice(MED, status.mediator, "agreement_given", contact=contact)]
    then = "registration as jobseeker" if stage is Stage.REGISTERING else "warm handover"
    return new, notices, f"formal agreement given; next: {then}"


def _decline_agreement(status: TrajectoryStatus, m: DeclineAgreement, now: datetime) -> Change:
    new = _close(status, Closure.AGREEMENT_DECLINED, now, "declined")
    notices = [_notice(MED, status.mediator, "agreement_declined")] if status.mediator else []
    return new, notices, "formal agreement declined; closed"


def _confirm_handover(status: TrajectoryStatus, m: ConfirmHandover, now: datetime) -> Change:
    _not_future("handover date", m.date, now)
    if status.agreement_on is not None and m.date < status.agreement_on:
        raise Refusal(f"handover date {m.date} is before the agreement of {status.agreement_on}")
    new = _move(status, Stage.SCREENING, now, handover_on=m.date, handover_channel=m.channel)
    return new, [], f"warm handover by {m.channel.value} on {m.date}"


def _schedule_intake(status: TrajectoryStatus, m: ScheduleIntake, now: datetime) -> Change:
    _planned("intake date", m.date, now)
    streams = {k: v for k, v in status.streams.items() if k is not DeadlineKind.SCREENING_REMINDER}
    new = status.model_copy(update={"intake_date": m.date, "streams": streams})
    return new, [], f"intake planned on {m.date}"


def _record_screening(status: TrajectoryStatus, m: RecordScreening, now: datetime) -> Change:
    screening = Screening(on=_today(now), approved=m.approved, reasons=m.reasons)
    if m.approved:
        assert m.start_date is not None and m.location is not None  # model validator
        if m.start_date < screening.on:
            raise Refusal(
                f"probable start_date {m.start_date} is before the screening ({screening.on})"
            )
        _planned("probable start_date", m.start_date, now)
        new = _move(
            status,
            Stage.AWAITING_START,
            now,
            screening=screening,
            probable_start=m.start_date,
            location=m.location,
        )
        summary = f"screening approved; probable start {m.start_date}"
    else:
        new = _close(
            status.model_copy(update={"screening": screening}),
            Closure.SCREENING_REJECTED,
            now,
            ",".join(r.value for r in m.reasons),
        )
        summary = "screening rejected: " + ", ".join(r.value for r in m.reasons)
    notices = [
        _notice(
            CW,
            status.caseworker,
            "screening_result",
            approved=m.approved,
            reasons=",".join(r.value for r in m.reasons) or None,
            start_date=m.start_date.isoformat() if m.start_date else None,
            location=m.location,
        )
    ]
    return new, notices, summary


def _postpone_start(status: TrajectoryStatus, m: PostponeStart, now: datetime) -> Change:
    assert status.probable_start is not None
    if m.start_date <= status.probable_start:
        raise Refusal(
            f"new start_date {m.start_date} is not after the current probable start "
            f"{status.probable_start}"
        )
    _planned("start_date", m.start_date, now)
    location = m.location or status.location
    streams = {k: v for k, v in status.streams.items() if k is not DeadlineKind.START_REMINDER}
    new = status.model_copy(
        update={"probable_start": m.start_date, "location": location, "streams": streams}
    )
    notices = [
        _notice(
            CW, status.caseworker, "start_postponed", start_date=m.start_date.isoformat(),
            location=location,
        )
    ]
    return new, notices, f"start postponed to {m.start_date}"


def _confirm_start(status: TrajectoryStatus, m: ConfirmStart, now: datetime) -> Change:
    _not_future("start date", m.date, now)
    if status.screening is not None and m.date < status.screening.on:
        raise Refusal(f"start date {m.date} is before the screening of {status.screening.on}")
    new = _move(
        status, Stage.IN_TRAINING, now, started_on=m.date, location=m.location,
        expected_end=m.expected_end,
    )
    notices = [
        _notice(
            CW, status.caseworker, "training_started", start_date=m.date.isoformat(),
            location=m.location, expected_end=m.expected_end.isoformat(),
        )
    ]
    return new, notices, f"training started on {m.date}; expected end {m.expected_end}"


def _record_progress(status: TrajectoryStatus, m: RecordProgress, now: datetime) -> Change:
    _not_future("progress date", m.date, now)
    assert status.started_on is not None
    if m.date < status.started_on:
        raise Refusal(f"progress date {m.date} is before the start of {status.started_on}")
    new = status.model_copy(update={"last_progress_on": max(m.date, status.last_progress_on or m.date)})
    return new, [], f"progress noted on {m.date}"


def _record_end(status: TrajectoryStatus, m: RecordEnd, now: datetime) -> Change:
    _not_future("end date", m.date, now)
    assert status.started_on is not None
    if m.date < status.started_on:
        raise Refusal(f"end date {m.date} is before the start of {status.started_on}")
    new = _move(status, Stage.FOLLOW_UP, now, ended_on=m.date, outcome=m.result)
    notices = [
        _notice(CW, status.caseworker, "training_ended", result=m.result.value,
                end_date=m.date.isoformat())
    ]
    return new, notices, f"training ended on {m.date}: {m.result.value}"


def _agree_follow_up(status: TrajectoryStatus, m: AgreeFollowUp, now: datetime) -> Change:
    new = status.model_copy(
        update={"follow_up_lead": m.lead, "follow_up_plan": m.plan, "follow_up_agreed_on": _today(now)}
    )
    return new, [], f"follow-up agreed: guidance by {m.lead.value}"


def employment_check_dates(status: TrajectoryStatus) -> tuple[date, date]:
    """When the 6- and 12-month employment checks fall due (working days)."""
    assert status.ended_on is not None
    six, twelve = status.policy.employment_check_months
    return (
        next_working_day(add_months(status.ended_on, six)),
        next_working_day(add_months(status.ended_on, twelve)),
    )


def _record_employment(status: TrajectoryStatus, m: RecordEmployment, now: datetime) -> Change:
    _not_future("employment date", m.date, now)
    assert status.ended_on is not None
    if m.date < status.ended_on:
        raise Refusal(f"employment date {m.date} is before the end of training {status.ended_on}")
    today = _today(now)
    due6, due12 = employment_check_dates(status)
    check = (
        EmploymentCheck.MONTH_12 if today >= due12
        else EmploymentCheck.MONTH_6 if today >= due6
        else EmploymentCheck.EARLY
    )
    record = Employment(check=check, employed=m.employed, date=m.date, recorded_on=today)
    kept = tuple(e for e in status.employment if e.check is not check)
    new = status.model_copy(update={"employment": (*kept, record)})
    word = "employed" if m.employed else "not employed"
    if check is EmploymentCheck.MONTH_12:
        return _close(new, Closure.COMPLETED, now, "month_12_recorded"), [], (
            f"12-month check: {word}; completed"
        )
    return new, [], f"{check.value} check: {word}"


def _withdraw(status: TrajectoryStatus, m: Withdraw, now: datetime) -> Change:
    new = _close(status, Closure.WITHDRAWN, now, "withdrawn")
    informed = status.mediator is not None and status.stage is not Stage.ORIENTATION
    notices = [_notice(MED, status.mediator, "withdrawn")] if informed and status.mediator else []
    return new, notices, "client withdrew before the start; closed"


def _reassign(status: TrajectoryStatus, m: Reassign, now: datetime) -> Change:
    if m.actor.role is MED and m.caseworker is not None:
        raise Refusal("a mediator may reassign the mediator only; ask the teamlead or caseworker")
    if m.caseworker is not None and m.caseworker == status.caseworker:
        raise Refusal(f"{m.caseworker} is already the caseworker")
    if m.mediator is not None and m.mediator == status.mediator:
        raise Refusal(f"{m.mediator} is already the mediator")
    update: dict[str, object] = {}
    notices: list[Notice] = []
    parts = []
    if m.caseworker is not None:
        update["caseworker"] = m.caseworker
        notices += [
            _notice(CW, m.caseworker, "reassigned_to", previous=status.caseworker),
            _notice(CW, status.caseworker, "reassigned_from", successor=m.caseworker),
        ]
        parts.append(f"caseworker {status.caseworker} -> {m.caseworker}")
    if m.mediator is not None:
        update["mediator"] = m.mediator
        notices.append(_notice(MED, m.mediator, "reassigned_to", previous=status.mediator))
        if status.mediator is not None:
            notices.append(_notice(MED, status.mediator, "reassigned_from", successor=m.mediator))
        parts.append(f"mediator {status.mediator or '-'} -> {m.mediator}")
    return status.model_copy(update=update), notices, "reassigned: " + "; ".join(parts)


_HANDLERS: dict[MessageName, Callable[[TrajectoryStatus, Message, datetime], Change]] = {
    MessageName.RECORD_INFO: _record_info,  # type: ignore[dict-item]
    MessageName.RECORD_PRECHECK: _record_precheck,  # type: ignore[dict-item]
    MessageName.SUBMIT_CANDIDACY: _submit_candidacy,  # type: ignore[dict-item]
    MessageName.GIVE_AGREEMENT: _give_agreement,  # type: ignore[dict-item]
    MessageName.DECLINE_AGREEMENT: _decline_agreement,  # type: ignore[dict-item]
    MessageName.CONFIRM_HANDOVER: _confirm_handover,  # type: ignore[dict-item]
    MessageName.SCHEDULE_INTAKE: _schedule_intake,  # type: ignore[dict-item]
    MessageName.RECORD_SCREENING: _record_screening,  # type: ignore[dict-item]
    MessageName.POSTPONE_START: _postpone_start,  # type: ignore[dict-item]
    MessageName.CONFIRM_START: _confirm_start,  # type: ignore[dict-item]
    MessageName.RECORD_PROGRESS: _record_progress,  # type: ignore[dict-item]
    MessageName.RECORD_END: _record_end,  # type: ignore[dict-item]
    MessageName.AGREE_FOLLOW_UP: _agree_follow_up,  # type: ignore[dict-item]
    MessageName.RECORD_EMPLOYMENT: _record_employment,  # type: ignore[dict-item]
    MessageName.WITHDRAW: _withdraw,  # type: ignore[dict-item]
    MessageName.REASSIGN: _reassign,  # type: ignore[dict-item]
}

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


def _require_stage(status: TrajectoryStatus, stage: Stage) -> None:
    if status.stage is not stage:
        raise ValueError(f"expected stage {stage.value}, trajectory is in {status.stage.value}")


# --------------------------------------------------------------------- deadlines

_ESCALATION_OF: dict[DeadlineKind, DeadlineKind] = {
    DeadlineKind.AGREEMENT_REMINDER: DeadlineKind.AGREEMENT_ESCALATION,
    DeadlineKind.HANDOVER_REMINDER: DeadlineKind.HANDOVER_ESCALATION,
    DeadlineKind.SCREENING_REMINDER: DeadlineKind.SCREENING_ESCALATION,
}
_ESCALATIONS = frozenset(
    {*_ESCALATION_OF.values(), DeadlineKind.ORIENTATION_ESCALATION}
)


def pending_deadlines(status: TrajectoryStatus) -> list[Deadline]:
    """Every deadline the current stage has pending, earliest first."""
    if status.stage is Stage.CLOSED:
        return []
    p = status.policy
    anchor = local_date(status.stage_since)
    out: list[Deadline] = []

    def stream(kind: DeadlineKind) -> StreamState:
        return status.streams.get(kind, StreamState())

    def add(kind: DeadlineKind, day: date, notify: tuple[Role, ...], awaiting: str) -> None:
        due = next_working_day(day)
        out.append(Deadline(kind=kind, due=due, due_at=due_at(due), notify=notify, awaiting=awaiting))

    def once_then_repeat(kind: DeadlineKind, first: date) -> date:
        s = stream(kind)
        return first if s.last is None else add_working_days(s.last, p.repeat_days)

    def reminder_and_escalation(
        reminder: DeadlineKind, escalation: DeadlineKind, rem_days: int, esc_days: int,
        first_reminder: date | None, remind: tuple[Role, ...], escalate: tuple[Role, ...],
        awaiting: str,
    ) -> None:
        if stream(reminder).sent == 0:
            add(reminder, first_reminder or add_working_days(anchor, rem_days), remind, awaiting)
        add(escalation, once_then_repeat(escalation, add_working_days(anchor, esc_days)),
            escalate, awaiting)

    stage = status.stage
    if stage is Stage.ORIENTATION:
        rem, esc = stream(DeadlineKind.ORIENTATION_REMINDER), stream(DeadlineKind.ORIENTATION_ESCALATION)
        sent = rem.sent + esc.sent
        last = max((d for d in (rem.last, esc.last) if d is not None), default=anchor)
        awaiting = (
            "candidacy (submit_candidacy) from the caseworker or mediator"
            if status.precheck is not None and status.precheck.positive
            else "pre-check (record_precheck) from the caseworker"
        )
        if sent >= p.orientation_escalate_after_reminders:
            add(DeadlineKind.ORIENTATION_ESCALATION,
                add_working_days(last, p.orientation_reminder_days), (TL, CW), awaiting)
        else:
            add(DeadlineKind.ORIENTATION_REMINDER,
                add_working_days(last, p.orientation_reminder_days), (CW,), awaiting)
    elif stage is Stage.AWAITING_AGREEMENT:
        reminder_and_escalation(
            DeadlineKind.AGREEMENT_REMINDER, DeadlineKind.AGREEMENT_ESCALATION,
            p.agreement_reminder_days, p.agreement_escalation_days, None, (CW,), (TL, CW),
            "formal agreement (give_agreement) from the caseworker",
        )
    elif stage is Stage.REGISTERING:
        retry = stream(DeadlineKind.REGISTRATION_RETRY)
        add(DeadlineKind.REGISTRATION_RETRY,
            add_working_days(retry.last or anchor, p.registration_retry_days), (),
            "jobseeker registration (automatic)")
    elif stage is Stage.HANDOVER:
        reminder_and_escalation(
            DeadlineKind.HANDOVER_REMINDER, DeadlineKind.HANDOVER_ESCALATION,
            p.handover_reminder_days, p.handover_escalation_days, None, (CW,), (TL, CW),
            "warm handover (confirm_handover) from the caseworker",
        )
    elif stage is Stage.SCREENING:
        after_intake = (
            add_working_days(status.intake_date, p.screening_after_intake_days)
            if status.intake_date is not None else None
        )
        reminder_and_escalation(
            DeadlineKind.SCREENING_REMINDER, DeadlineKind.SCREENING_ESCALATION,
            p.screening_reminder_days, p.screening_escalation_days, after_intake, (MED,),
            (TL, MED), "screening result (record_screening) from the mediator",
        )
    elif stage is Stage.AWAITING_START:
        assert status.probable_start is not None
        add(DeadlineKind.START_REMINDER,
            once_then_repeat(DeadlineKind.START_REMINDER,
                             add_working_days(status.probable_start, p.start_reminder_days)),
            (MED,), "start of the training (confirm_start) from the mediator")
    elif stage is Stage.IN_TRAINING:
        assert status.started_on is not None and status.expected_end is not None
        base = max(d for d in (status.started_on, status.last_progress_on,
                               stream(DeadlineKind.PROGRESS_CHECK).last) if d is not None)
        add(DeadlineKind.PROGRESS_CHECK, add_months(base, p.progress_check_months), (CW,),
            "progress check in the Klantendossier (record_progress) by the caseworker")
        add(DeadlineKind.END_REMINDER,
            once_then_repeat(DeadlineKind.END_REMINDER,
                             add_working_days(status.expected_end, p.end_reminder_days)),
            (MED,), "end of the training (record_end) from the mediator")
    elif stage is Stage.FOLLOW_UP:
        due6, due12 = employment_check_dates(status)
        if status.follow_up_agreed_on is None:
            add(DeadlineKind.FOLLOW_UP_REMINDER,
                once_then_repeat(DeadlineKind.FOLLOW_UP_REMINDER,
                                 add_working_days(anchor, p.follow_up_reminder_days)),
                (CW, MED), "follow-up agreement (agree_follow_up) from mediator and caseworker")
        if (status.employment_at(EmploymentCheck.MONTH_6) is None
                and stream(DeadlineKind.EMPLOYMENT_CHECK_6M).sent == 0):
            add(DeadlineKind.EMPLOYMENT_CHECK_6M, due6, (CW,),
                "6-month employment check (record_employment) by the caseworker")
        if stream(DeadlineKind.EMPLOYMENT_CHECK_12M).sent == 0:
            add(DeadlineKind.EMPLOYMENT_CHECK_12M, due12, (CW,),
                "12-month employment check (record_employment) by the caseworker")
        add(DeadlineKind.FOLLOW_UP_CLOSE, add_working_days(due12, p.close_after_last_check_days),
            (CW,), "12-month employment check (record_employment) by the caseworker")
    out.sort(key=lambda d: d.due)  # stable: the order above breaks ties
    return out


def next_deadline(status: TrajectoryStatus) -> Deadline | None:
    pending = pending_deadlines(status)
    return pending[0] if pending else None


def _with_deadline(status: TrajectoryStatus) -> TrajectoryStatus:
    return status.model_copy(update={"next_deadline": next_deadline(status)})


def fire_deadlines(status: TrajectoryStatus, now: datetime) -> Accepted | None:
    """Handle every deadline due at ``now``; ``None`` when nothing is due.

    A timer that fires late (no worker for a while) sends one notice per
    stream, never a burst: repeats are scheduled from the day they were sent,
    and a reminder whose escalation is due as well is folded into it.
    """
    due = [d for d in pending_deadlines(status) if d.due_at <= now]
    if not due:
        return None
    today = _today(now)
    due_kinds = {d.kind for d in due}
    streams = dict(status.streams)
    notices: list[Notice] = []
    update: dict[str, object] = {}
    reminders = escalations = 0
    parts: list[str] = []
    closing = False
    for d in due:
        s = streams.get(d.kind, StreamState())
        streams[d.kind] = StreamState(sent=s.sent + 1, last=today)
        if _ESCALATION_OF.get(d.kind) in due_kinds:
            parts.append(f"{d.kind.value} folded into its escalation")
            continue
        if d.kind is DeadlineKind.REGISTRATION_RETRY:
            update["registration_pending"] = True
            parts.append("registration retry due")
            continue
        if d.kind is DeadlineKind.FOLLOW_UP_CLOSE:
            closing = True
            continue
        for role in d.notify:
            to = status.mediator if role is MED else status.caseworker
            if to is not None:
                notices.append(_notice(role, to, d.kind.value, due=d.due.isoformat(),
                                       awaiting=d.awaiting))
        if d.kind in _ESCALATIONS:
            escalations += 1
        else:
            reminders += 1
        parts.append(f"{d.kind.value} due {d.due}")
    new = status.model_copy(
        update={
            **update,
            "streams": streams,
            "reminders_sent": status.reminders_sent + reminders,
            "escalations_sent": status.escalations_sent + escalations,
            "overdue": status.overdue or bool(reminders or escalations),
            "seq": status.seq + 1,
        }
    )
    if closing:
        new = _close(new, Closure.COMPLETED, now, "month_12_not_recorded")
        notices.append(_notice(CW, status.caseworker, "follow_up_closed"))
        parts.append("closed as completed: 12-month check not recorded in time")
    new = _with_deadline(new)
    return Accepted(new, _keyed(new, notices), "; ".join(parts))


def awaiting(status: TrajectoryStatus) -> str:
    """What the trajectory waits for, and from whom (for the UI and the CLI)."""
    if status.stage is Stage.CLOSED:
        return "nothing: closed"
    if status.stage is Stage.FOLLOW_UP and status.follow_up_agreed_on is not None:
        return "employment checks (record_employment) by the caseworker"
    deadline = status.next_deadline
    return deadline.awaiting if deadline is not None else "nothing"
