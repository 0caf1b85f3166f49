"""The caseworker reports a stop during the training; the follow-up agreement tells the
other side (pure rules)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from journey_helpers import (
    CASEWORKER,
    MEDIATOR,
    OTHER_CASEWORKER,
    actor,
    apply,
    at,
    at_stage,
    notice_triples,
    reject,
)

from okot.domain import deadlines
from okot.domain.calendar import add_working_days
from okot.domain.status import TrajectoryStatus
from okot.domain.values import Actor, DeadlineKind, MessageName, Role, Stage

K, M, S = DeadlineKind, MessageName, Stage
CW, MED, TL = Role.CASEWORKER, Role.MEDIATOR, Role.TEAMLEAD
T_REPORT = at(2026, 10, 7)  # a Wednesday, in the training that started 2026-04-20
STOPPED = date(2026, 10, 2)


def in_training(version: int = 3) -> TrajectoryStatus:
    return at_stage(S.IN_TRAINING)[0].model_copy(update={"rules_version": version})


def reported(version: int = 3) -> TrajectoryStatus:
    return apply(in_training(version), M.REPORT_STOPPED, CW, T_REPORT,
                 date=STOPPED.isoformat()).status


# ------------------------------------------------------------------ report_stopped


@pytest.mark.parametrize("version", [1, 2, 3])
def test_the_caseworker_reports_the_stop_and_the_mediator_is_asked_to_confirm(version: int) -> None:
    """A new message: the same under every rules version (no recorded history has it)."""
    result = apply(in_training(version), M.REPORT_STOPPED, CW, T_REPORT, date=STOPPED.isoformat())
    s = result.status
    assert s.stage is S.IN_TRAINING
    assert s.stop_report is not None
    assert s.stop_report.by == Actor(role=CW, id=CASEWORKER)
    assert (s.stop_report.on, s.stop_report.stopped_on) == (T_REPORT.date(), STOPPED)
    assert s.stop_report.note == "stopped going to school"
    assert notice_triples(result.notices) == {(MED, MEDIATOR, "stop_reported")}
    context = result.notices[0].context
    assert (context["stopped_on"], context["reported_by"]) == ("2026-10-02", CASEWORKER)
    assert "stopped going to school" not in str(context)  # free text never in a mail
    assert deadlines.awaiting(s) == "confirmation of the reported stop (record_end) from the mediator"
    assert "2026-10-02" in result.summary and "record_end" in result.summary


def test_the_mediator_is_reminded_ten_working_days_after_the_report() -> None:
    s = reported()
    pending = {d.kind: d.due for d in deadlines.pending_deadlines(s)}
    assert pending == {K.END_REMINDER: add_working_days(T_REPORT.date(), 10)}  # no progress check
    assert s.next_deadline is not None and s.next_deadline.notify == (MED,)
    result = deadlines.fire_deadlines(s, s.next_deadline.due_at)
    assert result is not None
    assert notice_triples(result.notices) == {(MED, MEDIATOR, "end_reminder")}
    assert result.status.overdue_detail is not None
    assert result.status.overdue_detail.kind is K.END_REMINDER
    assert result.status.stop_report == s.stop_report  # shown until the end is recorded


def test_record_end_confirms_it_and_the_report_is_no_longer_shown() -> None:
    result = apply(reported(), M.RECORD_END, MED, T_REPORT + timedelta(days=1),
                   result="stopped_early", date=STOPPED.isoformat())
    assert result.status.stage is S.FOLLOW_UP
    assert result.status.stop_report is None
    assert result.status.outcome is not None and result.status.outcome.value == "stopped_early"
    assert notice_triples(result.notices) == {(CW, CASEWORKER, "training_ended")}


def test_only_the_caseworker_of_the_trajectory_during_the_training() -> None:
    s = in_training()
    assert "may be sent by caseworker, not by mediator" in reject(
        s, M.REPORT_STOPPED, MED, T_REPORT)
    assert "only this trajectory's caseworker" in reject(
        s, M.REPORT_STOPPED, CW, T_REPORT, actor=actor(CW, OTHER_CASEWORKER))
    follow_up, now = at_stage(S.FOLLOW_UP)
    assert "not allowed in stage follow_up" in reject(follow_up, M.REPORT_STOPPED, CW, now)


def test_a_second_report_a_future_date_or_one_before_the_start_is_refused() -> None:
    s = reported()
    assert "already reported on 2026-10-07" in reject(s, M.REPORT_STOPPED, CW, T_REPORT)
    fresh = in_training()
    assert "in the future" in reject(fresh, M.REPORT_STOPPED, CW, T_REPORT, date="2026-10-08")
    assert "before the start" in reject(fresh, M.REPORT_STOPPED, CW, T_REPORT, date="2026-04-17")


# -------------------------------------------------------------- agree_follow_up


def follow_up(version: int = 3) -> TrajectoryStatus:
    return at_stage(S.FOLLOW_UP)[0].model_copy(update={"rules_version": version})


T_AGREE = at(2027, 7, 5)


def test_one_side_records_the_agreement_and_the_other_is_told() -> None:
    result = apply(follow_up(), M.AGREE_FOLLOW_UP, CW, T_AGREE, lead="ocmw")
    s = result.status
    assert (s.follow_up_agreed_by, s.follow_up_confirmed_by) == (Actor(role=CW, id=CASEWORKER), None)
    assert notice_triples(result.notices) == {(MED, MEDIATOR, "follow_up_agreed")}
    context = result.notices[0].context
    assert (context["lead"], context["agreed_by"]) == ("ocmw", CASEWORKER)
    assert "job coaching" not in str(context)  # the plan stays on the case page

    # the mediator records the same lead: confirmed, and the caseworker is told
    result = apply(s, M.AGREE_FOLLOW_UP, MED, T_AGREE + timedelta(days=1), lead="ocmw")
    s = result.status
    assert s.follow_up_agreed_by == Actor(role=CW, id=CASEWORKER)
    assert s.follow_up_confirmed_by == Actor(role=MED, id=MEDIATOR)
    assert notice_triples(result.notices) == {(CW, CASEWORKER, "follow_up_confirmed")}
    assert "confirmed by the mediator" in result.summary


def test_another_lead_from_the_other_side_is_a_new_agreement() -> None:
    s = apply(follow_up(), M.AGREE_FOLLOW_UP, MED, T_AGREE, lead="vdab").status
    result = apply(s, M.AGREE_FOLLOW_UP, CW, T_AGREE, lead="ocmw")
    assert result.status.follow_up_agreed_by == Actor(role=CW, id=CASEWORKER)
    assert result.status.follow_up_confirmed_by is None
    assert notice_triples(result.notices) == {(MED, MEDIATOR, "follow_up_agreed")}


def test_the_same_side_again_is_no_confirmation() -> None:
    s = apply(follow_up(), M.AGREE_FOLLOW_UP, MED, T_AGREE, lead="vdab").status
    result = apply(s, M.AGREE_FOLLOW_UP, MED, T_AGREE, lead="vdab", plan="another plan")
    assert result.status.follow_up_confirmed_by is None
    assert result.status.follow_up_plan == "another plan"


@pytest.mark.parametrize("version", [1, 2])
def test_older_rules_tell_nobody_and_keep_no_names(version: int) -> None:
    result = apply(follow_up(version), M.AGREE_FOLLOW_UP, CW, T_AGREE, lead="ocmw")
    assert result.notices == ()
    assert result.status.follow_up_agreed_by is None
    assert result.status.follow_up_agreed_on == T_AGREE.date()
