"""The default ReminderPolicy, stage by stage, with due dates worked out by hand.

Belgian holidays used below: Easter Monday 6 April 2026, 1 May 2026, Ascension
14 May 2026, 21 July (2026: Tuesday, 2027: Wednesday, 2028: Friday), 11 November
2026 (Wednesday), Christmas 25 December 2026 and New Year 1 January 2027 (both
Fridays). Good Friday is not a holiday in Belgium.
"""

from __future__ import annotations

from datetime import date, datetime

from journey_helpers import (
    CASEWORKER,
    MEDIATOR,
    apply,
    at,
    fire_until,
    notice_triples,
    opened,
)

from okot.domain import deadlines
from okot.domain.policy import ReminderPolicy
from okot.domain.status import TrajectoryStatus
from okot.domain.values import (
    Closure,
    DeadlineKind,
    MessageName,
    Role,
    Stage,
)

M = MessageName
K = DeadlineKind
CW, MED, TL = Role.CASEWORKER, Role.MEDIATOR, Role.TEAMLEAD


# -------------------------------------------------------------------- drivers


def orientation(now: datetime, policy: ReminderPolicy | None = None) -> TrajectoryStatus:
    s = opened(now=now, policy=policy)
    return apply(s, M.RECORD_PRECHECK, CW, now).status


def awaiting_agreement(now: datetime, policy: ReminderPolicy | None = None) -> TrajectoryStatus:
    return apply(orientation(now, policy), M.SUBMIT_CANDIDACY, CW, now).status


def handover(now: datetime) -> TrajectoryStatus:
    return apply(awaiting_agreement(now), M.GIVE_AGREEMENT, CW, now).status


def screening(now: datetime) -> TrajectoryStatus:
    return apply(handover(now), M.CONFIRM_HANDOVER, CW, now).status


def awaiting_start(now: datetime, start: date) -> TrajectoryStatus:
    return apply(screening(now), M.RECORD_SCREENING, MED, now, start_date=start.isoformat()).status


def in_training(now: datetime, expected_end: date) -> TrajectoryStatus:
    s = awaiting_start(now, now.date())
    return apply(s, M.CONFIRM_START, MED, now, expected_end=expected_end.isoformat()).status


def follow_up(now: datetime) -> TrajectoryStatus:
    s = in_training(at(2026, 9, 1), date(2027, 6, 30))
    return apply(s, M.RECORD_END, MED, now).status


def fired(
    status: TrajectoryStatus, until: datetime
) -> tuple[TrajectoryStatus, list[tuple[date, set[tuple[Role, str, str]]]]]:
    """Fire every deadline up to ``until`` on time; the local date and notices of each firing."""
    status, results = fire_until(status, until)
    return status, [(moment.date(), notice_triples(result.notices)) for moment, result in results]


def due(status: TrajectoryStatus) -> dict[DeadlineKind, date]:
    return {d.kind: d.due for d in deadlines.pending_deadlines(status)}


# ---------------------------------------------------------------- orientation


def test_orientation_reminders_every_20_working_days_then_escalation() -> None:
    s = orientation(at(2026, 10, 19))  # a Monday
    assert s.next_deadline is not None
    assert s.next_deadline.kind is K.ORIENTATION_REMINDER
    assert s.next_deadline.due == date(2026, 11, 17)  # 20 wd, 11 November skipped
    assert s.next_deadline.notify == (CW,)
    assert "submit_candidacy" in s.next_deadline.awaiting
    s, log = fired(s, at(2027, 3, 12))
    reminder = {(CW, CASEWORKER, "orientation_reminder")}
    escalation = {
        (TL, CASEWORKER, "orientation_escalation"),
        (CW, CASEWORKER, "orientation_escalation"),
    }
    assert log == [
        (date(2026, 11, 17), reminder),
        (date(2026, 12, 15), reminder),
        (date(2027, 1, 14), reminder),  # Christmas and New Year skipped
        (date(2027, 2, 11), escalation),  # after 3 reminders
        (date(2027, 3, 11), escalation),
    ]
    assert s.reminders_sent == 3
    assert s.escalations_sent == 2
    assert s.overdue is True
    assert s.stage is Stage.ORIENTATION


def test_orientation_waits_for_the_precheck_first() -> None:
    s = opened(now=at(2026, 10, 19))
    assert s.next_deadline is not None
    assert s.next_deadline.due == date(2026, 11, 17)
    assert "record_precheck" in s.next_deadline.awaiting


def test_orientation_escalation_threshold_comes_from_the_policy() -> None:
    policy = ReminderPolicy(orientation_escalate_after_reminders=1, orientation_reminder_days=5)
    s = orientation(at(2026, 3, 30), policy)
    s, log = fired(s, at(2026, 4, 20))
    assert [(day, {t for _, _, t in told}) for day, told in log] == [
        (date(2026, 4, 7), {"orientation_reminder"}),  # 5 wd, Easter Monday skipped
        (date(2026, 4, 14), {"orientation_escalation"}),
    ]


# --------------------------------------------------------- awaiting_agreement


def test_agreement_reminder_after_5_and_escalation_after_10_working_days() -> None:
    s = awaiting_agreement(at(2026, 4, 1))  # Wednesday before Easter
    assert due(s) == {
        K.AGREEMENT_REMINDER: date(2026, 4, 9),  # Easter Monday skipped
        K.AGREEMENT_ESCALATION: date(2026, 4, 16),
    }
    s, log = fired(s, at(2026, 5, 19))
    escalation = {
        (TL, CASEWORKER, "agreement_escalation"),
        (CW, CASEWORKER, "agreement_escalation"),
    }
    assert log == [
        (date(2026, 4, 9), {(CW, CASEWORKER, "agreement_reminder")}),
        (date(2026, 4, 16), escalation),
        (date(2026, 4, 30), escalation),  # repeated every 10 wd
        (date(2026, 5, 18), escalation),  # 1 May and Ascension skipped
    ]
    assert s.reminders_sent == 1 and s.escalations_sent == 3


def test_the_repeat_interval_comes_from_the_policy() -> None:
    s = awaiting_agreement(at(2026, 4, 1), ReminderPolicy(repeat_days=3))
    s, log = fired(s, at(2026, 4, 28))
    assert [day for day, _ in log] == [
        date(2026, 4, 9),
        date(2026, 4, 16),
        date(2026, 4, 21),
        date(2026, 4, 24),
    ]


def test_a_running_trajectory_keeps_its_policy() -> None:
    s = awaiting_agreement(
        at(2026, 4, 1), ReminderPolicy(agreement_reminder_days=2, agreement_escalation_days=3)
    )
    assert due(s) == {K.AGREEMENT_REMINDER: date(2026, 4, 3), K.AGREEMENT_ESCALATION: date(2026, 4, 7)}


def test_giving_the_agreement_stops_its_reminders_and_clears_overdue() -> None:
    s = awaiting_agreement(at(2026, 4, 1))
    s, _ = fired(s, at(2026, 4, 10))
    assert s.overdue is True
    s = apply(s, M.GIVE_AGREEMENT, CW, at(2026, 4, 10)).status
    assert s.overdue is False
    assert s.streams == {}
    assert set(due(s)) == {K.HANDOVER_REMINDER, K.HANDOVER_ESCALATION}


# ------------------------------------------------------------------- handover


def test_handover_reminder_and_escalation() -> None:
    s = handover(at(2026, 11, 4))  # Wednesday, the week of 11 November
    assert due(s) == {
        K.HANDOVER_REMINDER: date(2026, 11, 12),
        K.HANDOVER_ESCALATION: date(2026, 11, 19),
    }
    s, log = fired(s, at(2026, 12, 4))
    escalation = {
        (TL, CASEWORKER, "handover_escalation"),
        (CW, CASEWORKER, "handover_escalation"),
    }
    assert log == [
        (date(2026, 11, 12), {(CW, CASEWORKER, "handover_reminder")}),
        (date(2026, 11, 19), escalation),
        (date(2026, 12, 3), escalation),
    ]


# ------------------------------------------------------------------ screening


def test_screening_reminder_to_the_mediator_and_escalation_to_the_teamlead() -> None:
    s = screening(at(2026, 7, 13))  # Monday before 21 July
    assert due(s) == {
        K.SCREENING_REMINDER: date(2026, 8, 4),
        K.SCREENING_ESCALATION: date(2026, 8, 25),
    }
    s, log = fired(s, at(2026, 8, 26))
    assert log == [
        (date(2026, 8, 4), {(MED, MEDIATOR, "screening_reminder")}),
        # the teamlead of the caseworker: the notice names the caseworker
        (
            date(2026, 8, 25),
            {(TL, CASEWORKER, "screening_escalation"), (MED, MEDIATOR, "screening_escalation")},
        ),
    ]


def test_screening_reminder_two_working_days_after_a_planned_intake() -> None:
    s = screening(at(2026, 7, 13))
    s = apply(s, M.SCHEDULE_INTAKE, MED, at(2026, 7, 20), date="2026-07-30").status
    assert due(s) == {
        K.SCREENING_REMINDER: date(2026, 8, 3),
        K.SCREENING_ESCALATION: date(2026, 8, 25),
    }


def test_scheduling_an_intake_after_the_reminder_rearms_it() -> None:
    s = screening(at(2026, 7, 13))
    s, _ = fired(s, at(2026, 8, 5))
    assert K.SCREENING_REMINDER not in due(s)
    assert s.overdue is True
    s = apply(s, M.SCHEDULE_INTAKE, MED, at(2026, 8, 5), date="2026-08-13").status
    assert s.overdue is False
    assert due(s)[K.SCREENING_REMINDER] == date(2026, 8, 17)  # 15 August is a Saturday
    assert due(s)[K.SCREENING_ESCALATION] == date(2026, 8, 25)


# ------------------------------------------------------------- awaiting_start


def test_start_reminder_after_the_probable_start() -> None:
    s = awaiting_start(at(2026, 3, 16), date(2026, 4, 2))  # a Thursday before Easter
    assert due(s) == {K.START_REMINDER: date(2026, 4, 10)}
    s, log = fired(s, at(2026, 4, 25))
    assert log == [
        (date(2026, 4, 10), {(MED, MEDIATOR, "start_reminder")}),
        (date(2026, 4, 24), {(MED, MEDIATOR, "start_reminder")}),
    ]


def test_postponing_the_start_moves_the_start_reminder() -> None:
    s = awaiting_start(at(2026, 3, 16), date(2026, 4, 2))
    s, _ = fired(s, at(2026, 4, 13))
    s = apply(s, M.POSTPONE_START, MED, at(2026, 4, 13), start_date="2026-05-04").status
    assert due(s) == {K.START_REMINDER: date(2026, 5, 11)}
    assert s.overdue is False


# ---------------------------------------------------------------- in_training


def test_progress_check_every_3_months_and_end_reminder() -> None:
    s = in_training(at(2026, 9, 1), date(2027, 7, 9))
    assert due(s) == {
        K.PROGRESS_CHECK: date(2026, 12, 1),
        K.END_REMINDER: date(2027, 7, 26),  # 10 wd after 9 July 2027, 21 July skipped
    }
    s, log = fired(s, at(2027, 7, 27))
    progress = {(CW, CASEWORKER, "progress_check")}
    assert log == [
        (date(2026, 12, 1), progress),
        (date(2027, 3, 1), progress),
        (date(2027, 6, 1), progress),
        (date(2027, 7, 26), {(MED, MEDIATOR, "end_reminder")}),
    ]
    assert due(s) == {K.PROGRESS_CHECK: date(2027, 9, 1), K.END_REMINDER: date(2027, 8, 9)}


def test_record_progress_resets_the_progress_check() -> None:
    s = in_training(at(2026, 9, 1), date(2027, 7, 9))
    s = apply(s, M.RECORD_PROGRESS, CW, at(2026, 10, 15)).status
    assert due(s)[K.PROGRESS_CHECK] == date(2027, 1, 15)
    # a progress note dated earlier than the last one does not move it back
    s = apply(s, M.RECORD_PROGRESS, MED, at(2026, 10, 20), date="2026-09-15").status
    assert due(s)[K.PROGRESS_CHECK] == date(2027, 1, 15)


def test_progress_check_on_a_holiday_or_month_end() -> None:
    s = in_training(at(2026, 8, 11), date(2027, 7, 9))
    assert due(s)[K.PROGRESS_CHECK] == date(2026, 11, 12)  # 11 November -> the 12th
    s = in_training(at(2026, 11, 30), date(2027, 7, 9))
    assert due(s)[K.PROGRESS_CHECK] == date(2027, 3, 1)  # 28 Feb 2027 is a Sunday


# ------------------------------------------------------------------ follow_up


def test_follow_up_reminder_checks_and_closure() -> None:
    s = follow_up(at(2027, 6, 30))
    assert s.ended_on == date(2027, 6, 30)
    assert due(s) == {
        K.FOLLOW_UP_REMINDER: date(2027, 7, 14),
        K.EMPLOYMENT_CHECK_6M: date(2027, 12, 30),
        K.EMPLOYMENT_CHECK_12M: date(2028, 6, 30),
        K.FOLLOW_UP_CLOSE: date(2028, 7, 31),  # 20 wd, 21 July 2028 skipped
    }
    both = {(CW, CASEWORKER, "follow_up_reminder"), (MED, MEDIATOR, "follow_up_reminder")}
    s, log = fired(s, at(2027, 7, 30))
    assert log == [(date(2027, 7, 14), both), (date(2027, 7, 29), both)]
    s = apply(s, M.AGREE_FOLLOW_UP, MED, at(2027, 8, 2)).status
    assert s.follow_up_agreed_on == date(2027, 8, 2)
    assert K.FOLLOW_UP_REMINDER not in due(s)
    assert deadlines.awaiting(s).startswith("employment checks")
    s, log = fired(s, at(2028, 8, 1))
    assert log == [
        (date(2027, 12, 30), {(CW, CASEWORKER, "employment_check_6m")}),
        (date(2028, 6, 30), {(CW, CASEWORKER, "employment_check_12m")}),
        (date(2028, 7, 31), {(CW, CASEWORKER, "follow_up_closed")}),
    ]
    assert s.stage is Stage.CLOSED
    assert s.closure is Closure.COMPLETED
    assert s.closure_reason == "month_12_not_recorded"
    assert s.next_deadline is None


def test_recording_the_12_month_check_closes_before_the_deadline() -> None:
    s = follow_up(at(2027, 6, 30))
    s = apply(s, M.AGREE_FOLLOW_UP, CW, at(2027, 7, 1)).status
    s, _ = fired(s, at(2028, 7, 3))
    s = apply(s, M.RECORD_EMPLOYMENT, CW, at(2028, 7, 3)).status
    assert s.closure is Closure.COMPLETED
    assert s.closure_reason == "month_12_recorded"


# --------------------------------------------------------------- late firing


def test_a_late_firing_sends_one_escalation_not_a_burst() -> None:
    s = awaiting_agreement(at(2026, 4, 1))
    result = deadlines.fire_deadlines(s, at(2026, 6, 1))  # seven weeks without a worker
    assert result is not None
    # reminder and escalation both due: only the escalation goes out
    assert notice_triples(result.notices) == {
        (TL, CASEWORKER, "agreement_escalation"),
        (CW, CASEWORKER, "agreement_escalation"),
    }
    assert result.status.reminders_sent == 0
    assert result.status.escalations_sent == 1
    assert due(result.status) == {K.AGREEMENT_ESCALATION: date(2026, 6, 15)}
    assert deadlines.fire_deadlines(result.status, at(2026, 6, 1, 18)) is None


def test_reminder_and_escalation_due_together_send_only_the_escalation() -> None:
    s = handover(at(2026, 11, 4))
    result = deadlines.fire_deadlines(s, at(2026, 11, 19, 9))  # both due by then
    assert result is not None
    assert {n.template for n in result.notices} == {"handover_escalation"}
    assert "folded" in result.summary
    # the folded reminder does not come back later
    assert set(due(result.status)) == {K.HANDOVER_ESCALATION}


def test_a_late_orientation_firing_sends_one_reminder_under_rules_v2() -> None:
    s = orientation(at(2026, 1, 5)).model_copy(update={"rules_version": 2})
    result = deadlines.fire_deadlines(s, at(2027, 1, 5))
    assert result is not None
    assert notice_triples(result.notices) == {(CW, CASEWORKER, "orientation_reminder")}
    assert result.status.reminders_sent == 1
    assert due(result.status) == {K.ORIENTATION_REMINDER: date(2027, 2, 2)}


def test_a_late_orientation_firing_catches_up_with_one_escalation_under_rules_v3() -> None:
    """A year without a worker: every missed period counted, one notice (tests/test_late_files.py)."""
    s = orientation(at(2026, 1, 5))
    result = deadlines.fire_deadlines(s, at(2027, 1, 5))
    assert result is not None
    assert notice_triples(result.notices) == {(TL, CASEWORKER, "orientation_escalation"),
                                              (CW, CASEWORKER, "orientation_escalation")}
    streams = result.status.streams
    assert streams[K.ORIENTATION_REMINDER].sent == 3 and streams[K.ORIENTATION_ESCALATION].sent > 1
    assert (result.status.reminders_sent, result.status.escalations_sent) == (0, 1)
    assert due(result.status) == {K.ORIENTATION_ESCALATION: date(2027, 2, 2)}


def test_a_late_firing_in_training_sends_one_progress_check() -> None:
    s = in_training(at(2026, 9, 1), date(2027, 7, 9))
    result = deadlines.fire_deadlines(s, at(2027, 8, 2))  # 11 months later
    assert result is not None
    assert [n.template for n in result.notices] == ["progress_check", "end_reminder"]
    assert due(result.status) == {
        K.PROGRESS_CHECK: date(2027, 11, 2),
        K.END_REMINDER: date(2027, 8, 16),
    }


def test_a_late_firing_in_follow_up_sends_each_check_once_and_closes() -> None:
    s = follow_up(at(2027, 6, 30))
    result = deadlines.fire_deadlines(s, at(2029, 1, 2))
    assert result is not None
    templates = [n.template for n in result.notices]
    assert sorted(templates) == sorted(
        [
            "follow_up_reminder",
            "follow_up_reminder",  # to the caseworker and to the mediator
            "employment_check_6m",
            "employment_check_12m",
            "follow_up_closed",
        ]
    )
    assert len({(n.template, n.role, n.to) for n in result.notices}) == len(templates)
    assert result.status.closure is Closure.COMPLETED


def test_nothing_fires_before_nine_on_the_due_day() -> None:
    s = awaiting_agreement(at(2026, 4, 1))
    assert deadlines.fire_deadlines(s, at(2026, 4, 9, 8, 59)) is None
    assert deadlines.fire_deadlines(s, at(2026, 4, 9, 9, 0)) is not None
