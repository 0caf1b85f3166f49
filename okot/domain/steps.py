"""What each human message changes: one rule function per message, in seed order.

Each function takes the status, the message and the current time, checks what
the table in :mod:`okot.domain.journey` cannot (dates, earlier steps) and
returns the changed status, the notices and a summary, or raises
:class:`~okot.domain.changes.Refusal`. :data:`_HANDLERS` maps each message to its
function; :func:`okot.domain.journey.decide` applies it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from okot.domain import rules_versions
from okot.domain.calendar import add_months, next_working_day
from okot.domain.changes import (
    CW,
    MED,
    Change,
    Refusal,
    _close,
    _move,
    _not_future,
    _notice,
    _planned,
    _today,
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
    ReportStopped,
    ScheduleIntake,
    SubmitCandidacy,
    UpdatePolicy,
    Withdraw,
)
from okot.domain.policy import ReminderPolicy
from okot.domain.status import (
    Candidacy,
    Employment,
    Notice,
    Precheck,
    Screening,
    StopReport,
    TrajectoryStatus,
)
from okot.domain.values import Closure, DeadlineKind, EmploymentCheck, MessageName, Stage


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


def _report_stopped(status: TrajectoryStatus, m: ReportStopped, now: datetime) -> Change:
    _not_future("stop date", m.date, now)
    assert status.started_on is not None
    if m.date < status.started_on:
        raise Refusal(f"stop date {m.date} is before the start of {status.started_on}")
    if status.stop_report is not None:
        raise Refusal(
            f"the stop was already reported on {status.stop_report.on}; the mediator confirms "
            "it with record_end"
        )
    report = StopReport(by=m.actor, on=_today(now), stopped_on=m.date, note=m.note)
    assert status.mediator is not None  # set by submit_candidacy
    notices = [_notice(MED, status.mediator, "stop_reported", stopped_on=m.date.isoformat(),
                       reported_by=m.actor.id)]
    summary = f"client stopped on {m.date} (reported by the caseworker); awaiting record_end"
    return status.model_copy(update={"stop_report": report}), notices, summary


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
    update: dict[str, object] = {
        "follow_up_lead": m.lead, "follow_up_plan": m.plan, "follow_up_agreed_on": _today(now)
    }
    summary = f"follow-up agreed: guidance by {m.lead.value}"
    if not rules_versions.tells_the_other_side(status.rules_version):
        return status.model_copy(update=update), [], summary
    # The mediator and the caseworker agree on it together: the other side is told, and
    # the same lead recorded by the other side confirms the agreement.
    first = status.follow_up_agreed_by
    confirmed = (first is not None and first.role is not m.actor.role
                 and status.follow_up_lead is m.lead)
    update["follow_up_agreed_by"] = first if confirmed else m.actor
    update["follow_up_confirmed_by"] = m.actor if confirmed else None
    other_role = CW if m.actor.role is MED else MED
    other = status.caseworker if other_role is CW else status.mediator
    assert other is not None  # follow_up: both are set
    template = "follow_up_confirmed" if confirmed else "follow_up_agreed"
    notices = [_notice(other_role, other, template, lead=m.lead.value, agreed_by=m.actor.id)]
    if confirmed:
        summary = f"follow-up confirmed by the {m.actor.role.value}: guidance by {m.lead.value}"
    return status.model_copy(update=update), notices, summary


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
        update["teamlead"] = m.teamlead
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


def _update_policy(status: TrajectoryStatus, m: UpdatePolicy, now: datetime) -> Change:
    """The new reminder policy applies from now on: the pending deadlines follow from it."""
    old, new = status.policy, m.policy
    changed = [f for f in ReminderPolicy.model_fields if getattr(old, f) != getattr(new, f)]
    if not changed:
        raise Refusal("the reminder policy is already this one; nothing to change")
    parts = [f"{f} {_policy_value(getattr(old, f))} -> {_policy_value(getattr(new, f))}"
             for f in changed]
    return status.model_copy(update={"policy": new}), [], "reminder policy updated: " + "; ".join(parts)


def _policy_value(value: object) -> str:
    return "/".join(str(v) for v in value) if isinstance(value, tuple) else str(value)


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
    MessageName.REPORT_STOPPED: _report_stopped,  # type: ignore[dict-item]
    MessageName.RECORD_END: _record_end,  # type: ignore[dict-item]
    MessageName.AGREE_FOLLOW_UP: _agree_follow_up,  # type: ignore[dict-item]
    MessageName.RECORD_EMPLOYMENT: _record_employment,  # type: ignore[dict-item]
    MessageName.WITHDRAW: _withdraw,  # type: ignore[dict-item]
    MessageName.REASSIGN: _reassign,  # type: ignore[dict-item]
    MessageName.UPDATE_POLICY: _update_policy,  # type: ignore[dict-item]
}
