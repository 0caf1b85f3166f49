"""Deadlines: which reminders, escalations and checks are pending, and what firing does.

:func:`pending_deadlines` and :func:`next_deadline` follow from the status and
its reminder policy alone; :func:`fire_deadlines` handles the ones due at a
given moment (one notice per stream, never a burst; a late file catches up at
once, :mod:`okot.domain.late_files`); :func:`awaiting` says what the trajectory
waits for, and from whom; :func:`overdue_of` which deadline is overdue
(:mod:`okot.domain.overdue`).
"""

from __future__ import annotations

from datetime import date, datetime

from okot.domain import late_files, overdue, rules_versions
from okot.domain.calendar import (
    add_months,
    add_working_days,
    due_at,
    local_date,
    next_working_day,
)
from okot.domain.changes import (
    CW,
    MED,
    TL,
    Accepted,
    _close,
    _keyed,
    _notice,
    _today,
)
from okot.domain.rules_versions import sets_overdue
from okot.domain.status import (
    Deadline,
    Notice,
    OverdueDetail,
    StreamState,
    TrajectoryStatus,
)
from okot.domain.steps import employment_check_dates
from okot.domain.values import (
    Closure,
    DeadlineKind,
    EmploymentCheck,
    Role,
    Stage,
)

_ESCALATION_OF: dict[DeadlineKind, DeadlineKind] = {
    DeadlineKind.AGREEMENT_REMINDER: DeadlineKind.AGREEMENT_ESCALATION,
    DeadlineKind.HANDOVER_REMINDER: DeadlineKind.HANDOVER_ESCALATION,
    DeadlineKind.SCREENING_REMINDER: DeadlineKind.SCREENING_ESCALATION,
}
_ESCALATIONS = frozenset(
    {*_ESCALATION_OF.values(), DeadlineKind.ORIENTATION_ESCALATION}
)
_ORIENTATION = (DeadlineKind.ORIENTATION_REMINDER, DeadlineKind.ORIENTATION_ESCALATION)
_SILENT = frozenset({DeadlineKind.REGISTRATION_RETRY, DeadlineKind.FOLLOW_UP_CLOSE})
"""Deadlines that notify nobody and never make a trajectory overdue."""


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
        stopped = status.stop_report
        end_first = add_working_days(status.expected_end, p.end_reminder_days)
        if stopped is None:
            base = max(d for d in (status.started_on, status.last_progress_on,
                                   stream(DeadlineKind.PROGRESS_CHECK).last) if d is not None)
            add(DeadlineKind.PROGRESS_CHECK, add_months(base, p.progress_check_months), (CW,),
                "progress check in the Klantendossier (record_progress) by the caseworker")
        else:  # no progress to check: the mediator is asked to confirm the end
            end_first = min(end_first, add_working_days(stopped.on, p.end_reminder_days))
        add(DeadlineKind.END_REMINDER, once_then_repeat(DeadlineKind.END_REMINDER, end_first),
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
    and a reminder whose escalation is due as well is folded into it. Under
    rules version 3 the orientation stream counts every period it missed at
    once (a late file, :mod:`okot.domain.late_files`) and the status keeps which
    deadline is overdue (:mod:`okot.domain.overdue`).
    """
    due = [d for d in pending_deadlines(status) if d.due_at <= now]
    if not due:
        return None
    today = _today(now)
    version = status.rules_version
    explain = rules_versions.explains_overdue(version)
    due_kinds = {d.kind for d in due}
    streams = dict(status.streams)
    notices: list[Notice] = []
    update: dict[str, object] = {}
    reminders = escalations = 0
    overdue_now = status.overdue
    found = (status.overdue_detail or overdue_of(status)) if explain and status.overdue else None
    parts: list[str] = []
    closing = False
    for d in due:
        kind, notify = d.kind, d.notify
        extra: dict[str, int] = {}
        if d.kind in _ORIENTATION and rules_versions.catches_up(version):
            kind, notify, extra, counted = _orientation_catch_up(status, streams, now, today)
            parts += [counted] if counted else []
        else:
            s = streams.get(d.kind, StreamState())
            streams[d.kind] = StreamState(sent=s.sent + 1, last=today)
        if (explain and found is None and kind not in _SILENT
                and sets_overdue(d.kind, version)):
            found = overdue.detail(status, d.kind, d.due)
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
        for role in notify:
            to = status.mediator if role is MED else status.caseworker
            if to is not None:
                notices.append(_notice(role, to, kind.value, due=d.due.isoformat(),
                                       awaiting=d.awaiting, **extra))
        if kind in _ESCALATIONS:
            escalations += 1
        else:
            reminders += 1
        overdue_now = overdue_now or sets_overdue(kind, version)
        parts.append(f"{kind.value} due {d.due}")
    new = status.model_copy(
        update={
            **update,
            "streams": streams,
            "reminders_sent": status.reminders_sent + reminders,
            "escalations_sent": status.escalations_sent + escalations,
            "overdue": overdue_now,
            "overdue_detail": found if explain and overdue_now else status.overdue_detail,
            "seq": status.seq + 1,
        }
    )
    if closing:
        new = _close(new, Closure.COMPLETED, now, "month_12_not_recorded")
        notices.append(_notice(CW, status.caseworker, "follow_up_closed"))
        parts.append("closed as completed: 12-month check not recorded in time")
    new = _with_deadline(new)
    return Accepted(new, _keyed(new, notices), "; ".join(parts))


def _orientation_catch_up(
    status: TrajectoryStatus, streams: dict[DeadlineKind, StreamState], now: datetime,
    today: date,
) -> tuple[DeadlineKind, tuple[Role, ...], dict[str, int], str]:
    """Count every orientation period missed by ``now`` in its stream (``streams`` is
    updated); the kind, recipients and extra context of the one notice, and a summary."""
    rem_kind, esc_kind = _ORIENTATION
    rem, esc = streams.get(rem_kind, StreamState()), streams.get(esc_kind, StreamState())
    base = max((d for d in (rem.last, esc.last) if d is not None),
               default=local_date(status.stage_since))
    p = status.policy
    caught = late_files.catch_up(rem.sent + esc.sent, base, now, p.orientation_reminder_days,
                                 p.orientation_escalate_after_reminders)
    missed = caught.missed
    if caught.reminders:
        streams[rem_kind] = StreamState(sent=rem.sent + caught.reminders, last=today)
    if caught.escalations:
        streams[esc_kind] = StreamState(sent=esc.sent + caught.escalations, last=today)
    extra = {"missed": missed} if missed > 1 else {}
    summary = (f"{missed} orientation periods missed at once: {caught.reminders} reminder(s), "
               f"{caught.escalations} escalation(s)" if missed > 1 else "")
    if caught.notice == "escalation":
        return esc_kind, (TL, CW), extra, summary
    return rem_kind, (CW,), extra, summary


def awaiting(status: TrajectoryStatus) -> str:
    """What the trajectory waits for, and from whom (for the UI and the CLI)."""
    if status.stage is Stage.CLOSED:
        return "nothing: closed"
    if status.stage is Stage.FOLLOW_UP and status.follow_up_agreed_on is not None:
        return "employment checks (record_employment) by the caseworker"
    if status.stage is Stage.IN_TRAINING and status.stop_report is not None:
        return "confirmation of the reported stop (record_end) from the mediator"
    deadline = status.next_deadline
    return deadline.awaiting if deadline is not None else "nothing"


_FIRST_OF = {DeadlineKind.ORIENTATION_ESCALATION: DeadlineKind.ORIENTATION_REMINDER}
"""Whose first due day an orientation escalation's lateness counts from."""


def overdue_of(status: TrajectoryStatus) -> OverdueDetail | None:
    """Which deadline is overdue, due since when, awaited from whom; ``None`` when the
    trajectory is not overdue.

    Kept in the status under rules version 3. A status made overdue under older
    rules has none: it is worked out from its streams (the earliest fired deadline
    that sets ``overdue``, since the day it first fell due), for display only.
    """
    if not status.overdue or status.stage is Stage.CLOSED:
        return None
    if status.overdue_detail is not None:
        return status.overdue_detail
    firsts = {d.kind: d.due for d in pending_deadlines(status.model_copy(update={"streams": {}}))}
    order = list(DeadlineKind)
    candidates = []
    for kind, s in status.streams.items():
        if (s.sent == 0 or s.last is None or kind in _SILENT
                or not sets_overdue(kind, status.rules_version)):
            continue
        first = firsts.get(_FIRST_OF.get(kind, kind))
        since = min(first, s.last) if first is not None else s.last
        candidates.append((since, order.index(kind), kind))
    if not candidates:
        return None
    since, _, kind = min(candidates)
    return overdue.detail(status, kind, since)
