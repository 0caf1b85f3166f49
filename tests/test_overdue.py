"""Overdue explained (rules version 3, pure): which deadline, due since when, awaited
from whom; only what answers it clears it; older statuses are explained from their
streams; routine checks never make a trajectory overdue."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from journey_helpers import (
    CASEWORKER,
    MEDIATOR,
    OTHER_CASEWORKER,
    OTHER_MEDIATOR,
    OTHER_TEAMLEAD,
    apply,
    at_stage,
)

from okot.domain import deadlines, overdue, rules_versions
from okot.domain.changes import Accepted
from okot.domain.status import OverdueDetail, Party, TrajectoryStatus
from okot.domain.values import DeadlineKind, MessageName, Role, Stage

K, M, S = DeadlineKind, MessageName, Stage
CW, MED, TL = Role.CASEWORKER, Role.MEDIATOR, Role.TEAMLEAD

# stage -> (the deadline that makes it overdue first, awaited from)
LATE_STEP: dict[Stage, tuple[DeadlineKind, tuple[Role, ...]]] = {
    S.ORIENTATION: (K.ORIENTATION_REMINDER, (CW,)),
    S.AWAITING_AGREEMENT: (K.AGREEMENT_REMINDER, (CW,)),
    S.HANDOVER: (K.HANDOVER_REMINDER, (CW,)),
    S.SCREENING: (K.SCREENING_REMINDER, (MED,)),
    S.AWAITING_START: (K.START_REMINDER, (MED,)),
    S.IN_TRAINING: (K.END_REMINDER, (MED,)),
    S.FOLLOW_UP: (K.FOLLOW_UP_REMINDER, (CW, MED)),
}
HOLDER = {CW: CASEWORKER, MED: MEDIATOR}


def until_overdue(s: TrajectoryStatus) -> tuple[TrajectoryStatus, date, datetime, list[Accepted]]:
    """Fire each deadline on time until the trajectory is overdue: the status, the due
    day of the deadline that made it so, that moment, and every firing."""
    fired = []
    for _ in range(200):
        nxt = s.next_deadline
        assert nxt is not None
        result = deadlines.fire_deadlines(s, nxt.due_at)
        assert result is not None
        fired.append(result)
        s = result.status
        if s.overdue:
            return s, nxt.due, nxt.due_at, fired
    raise AssertionError("never overdue")


def version(s: TrajectoryStatus, v: int) -> TrajectoryStatus:
    return s.model_copy(update={"rules_version": v})


@pytest.mark.parametrize("stage", list(LATE_STEP))
def test_the_status_says_which_deadline_since_when_and_from_whom(stage: Stage) -> None:
    start, _ = at_stage(stage)
    assert start.rules_version == 3
    s, since, _, _ = until_overdue(start)
    kind, roles = LATE_STEP[stage]
    assert s.overdue_detail == OverdueDetail(
        kind=kind, since=since, awaited_from=tuple(Party(role=r, id=HOLDER[r]) for r in roles))
    assert deadlines.overdue_of(s) == s.overdue_detail
    text = overdue.describe(s.overdue_detail, s)
    assert f"due since {since.isoformat()}, awaited from " in text
    assert text.startswith(overdue.WHAT[kind])
    assert all(f"{r.value} {HOLDER[r]}" in text for r in roles)


def test_the_example_of_the_issue() -> None:
    s, since, _, _ = until_overdue(at_stage(S.SCREENING)[0])
    assert s.overdue_detail is not None
    assert overdue.describe(s.overdue_detail, s) == (
        f"screening result due since {since.isoformat()}, awaited from mediator {MEDIATOR}")


@pytest.mark.parametrize("stage", list(LATE_STEP))
def test_the_first_missed_deadline_stays_while_later_ones_fire(stage: Stage) -> None:
    s, _, moment, _ = until_overdue(at_stage(stage)[0])
    first = s.overdue_detail
    for _ in range(4):  # escalations and repeats fire on
        nxt = s.next_deadline
        if nxt is None or s.stage is not stage:
            break
        result = deadlines.fire_deadlines(s, max(nxt.due_at, moment))
        assert result is not None
        s = result.status
        if s.stage is stage:
            assert s.overdue and s.overdue_detail == first


@pytest.mark.parametrize("stage", list(LATE_STEP))
def test_older_rules_keep_no_detail_and_it_is_worked_out_the_same(stage: Stage) -> None:
    s3, since, _, _ = until_overdue(at_stage(stage)[0])
    s2, since2, _, _ = until_overdue(version(at_stage(stage)[0], 2))
    assert s2.overdue and s2.overdue_detail is None
    assert since2 == since
    assert deadlines.overdue_of(s2) == s3.overdue_detail


def test_an_old_status_without_any_fired_stream_is_overdue_without_a_detail() -> None:
    s = version(at_stage(S.SCREENING)[0], 2).model_copy(update={"overdue": True})
    assert deadlines.overdue_of(s) is None


def test_not_overdue_or_closed_has_no_detail() -> None:
    s, _ = at_stage(S.SCREENING)
    assert deadlines.overdue_of(s) is None
    closed, _ = at_stage(S.CLOSED)
    assert deadlines.overdue_of(closed.model_copy(update={"overdue": True})) is None


@pytest.mark.parametrize("v", [1, 2])
def test_version_1_routine_checks_are_explained_as_such(v: int) -> None:
    s = version(at_stage(S.IN_TRAINING)[0], v)
    nxt = s.next_deadline
    assert nxt is not None and nxt.kind is K.PROGRESS_CHECK
    result = deadlines.fire_deadlines(s, nxt.due_at)
    assert result is not None
    assert result.status.overdue is (v == 1)
    found = deadlines.overdue_of(result.status)
    if v == 1:
        assert found is not None and found.kind is K.PROGRESS_CHECK and found.since == nxt.due
    else:
        assert found is None


def test_routine_checks_are_reminders_not_overdue() -> None:
    s, _ = at_stage(S.IN_TRAINING)
    nxt = s.next_deadline
    assert nxt is not None and nxt.kind is K.PROGRESS_CHECK
    result = deadlines.fire_deadlines(s, nxt.due_at)
    assert result is not None and result.notices
    assert result.status.overdue is False and result.status.overdue_detail is None


# ------------------------------------------------------------------ what answers it

# stage, message (sender) that stays in the stage, clears under v3, cleared under v2
ANSWER_TABLE = [
    (S.SCREENING, M.SCHEDULE_INTAKE, MED, True, True),
    (S.AWAITING_START, M.POSTPONE_START, MED, True, True),
    (S.IN_TRAINING, M.RECORD_PROGRESS, CW, False, True),  # progress does not answer the end
    (S.FOLLOW_UP, M.AGREE_FOLLOW_UP, MED, True, True),
    (S.FOLLOW_UP, M.RECORD_EMPLOYMENT, CW, False, True),  # nor employment the agreement
    (S.IN_TRAINING, M.REPORT_STOPPED, CW, False, False),
    (S.SCREENING, M.REASSIGN, TL, False, False),
]


@pytest.mark.parametrize(("stage", "name", "role", "v3", "v2"), ANSWER_TABLE)
def test_only_an_answer_clears_overdue(stage: Stage, name: MessageName, role: Role, v3: bool,
                                       v2: bool) -> None:
    for v, clears in ((3, v3), (2, v2)):
        s, _, moment, _ = until_overdue(version(at_stage(stage)[0], v))
        over = {"caseworker": OTHER_CASEWORKER, "teamlead": OTHER_TEAMLEAD} if name is M.REASSIGN \
            else {}
        after = apply(s, name, role, moment + timedelta(hours=1), **over).status
        assert after.stage is stage
        assert after.overdue is (not clears), (v, name)
        assert (after.overdue_detail is None) is (clears or v == 2)


@pytest.mark.parametrize("stage", list(LATE_STEP))
def test_moving_on_clears_it(stage: Stage) -> None:
    s, _, moment, _ = until_overdue(at_stage(stage)[0])
    forward = {
        S.ORIENTATION: (M.SUBMIT_CANDIDACY, CW), S.AWAITING_AGREEMENT: (M.GIVE_AGREEMENT, CW),
        S.HANDOVER: (M.CONFIRM_HANDOVER, CW), S.SCREENING: (M.RECORD_SCREENING, MED),
        S.AWAITING_START: (M.CONFIRM_START, MED), S.IN_TRAINING: (M.RECORD_END, MED),
        S.FOLLOW_UP: (M.AGREE_FOLLOW_UP, CW),
    }[stage]
    later = moment + timedelta(hours=1)
    over = {"start_date": (later.date() + timedelta(days=30)).isoformat()} \
        if forward[0] is M.RECORD_SCREENING else {}
    after = apply(s, *forward, later, **over).status
    assert after.overdue is False and after.overdue_detail is None


def test_a_planned_intake_answers_for_now_and_the_escalation_makes_it_overdue_again() -> None:
    s, _, moment, _ = until_overdue(at_stage(S.SCREENING)[0])
    s = apply(s, M.SCHEDULE_INTAKE, MED, moment + timedelta(hours=1)).status
    assert not s.overdue
    s, since, _, _ = until_overdue(s)
    assert s.overdue_detail is not None
    assert s.overdue_detail.since == since > moment.date()


def test_the_detail_names_whoever_holds_the_role_now() -> None:
    s, _, moment, _ = until_overdue(at_stage(S.SCREENING)[0])
    s = apply(s, M.REASSIGN, CW, moment + timedelta(hours=1), mediator=OTHER_MEDIATOR).status
    assert s.overdue and s.overdue_detail is not None
    assert s.overdue_detail.awaited_from == (Party(role=MED, id=OTHER_MEDIATOR),)
    assert OTHER_MEDIATOR in overdue.describe(s.overdue_detail, s)


@pytest.mark.parametrize("kind", list(DeadlineKind))
def test_every_kind_has_words_and_someone_to_wait_for(kind: DeadlineKind) -> None:
    assert overdue.WHAT[kind]
    assert kind in overdue.AWAITED_FROM
    silent = {K.REGISTRATION_RETRY}
    assert bool(overdue.AWAITED_FROM[kind]) is (kind not in silent)


def test_who_reads_well() -> None:
    assert overdue.who((Party(role=MED, id="med-x"),)) == "mediator med-x"
    assert overdue.who((Party(role=CW, id="cw-a"), Party(role=MED))) == "caseworker cw-a and mediator"
    assert overdue.who(()) == "nobody (automatic)"


def test_orientation_says_pre_check_until_it_is_positive() -> None:
    s, _ = at_stage(S.ORIENTATION)
    assert overdue.what(K.ORIENTATION_REMINDER, s) == "candidacy"
    assert overdue.what(K.ORIENTATION_REMINDER, s.model_copy(update={"precheck": None})) == (
        "pre-check and candidacy")


@settings(max_examples=200, deadline=None, database=None)
@given(stage=st.sampled_from(list(LATE_STEP)), hours=st.integers(0, 24 * 400))
def test_a_late_worker_explains_it_the_same_way(stage: Stage, hours: int) -> None:
    """However late the one firing comes, the detail names the first deadline missed."""
    s, _ = at_stage(stage)
    first = s.next_deadline
    assert first is not None
    moment = first.due_at + timedelta(hours=hours)
    result = deadlines.fire_deadlines(s, moment)
    assert result is not None
    missed = [d for d in deadlines.pending_deadlines(s) if d.due_at <= moment
              and d.kind is not K.FOLLOW_UP_CLOSE and rules_versions.sets_overdue(d.kind, 3)]
    found = result.status.overdue_detail
    if result.status.stage is S.CLOSED:  # follow-up closed for want of the 12-month check
        assert found is None and not result.status.overdue
    elif result.status.overdue:
        assert found is not None and (found.kind, found.since) == (missed[0].kind, missed[0].due)
    else:
        assert found is None and not missed
