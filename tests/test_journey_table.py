"""Every stage x message x role, pinned against a table written out here.

The expectations below are deliberately NOT derived from ``journey.RULES``: they
restate ``docs/domain.md`` (who may send what, in which stage, and where it
leads), so a change to the rules that the contract does not allow fails here.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pytest
from journey_helpers import (
    CASE_ID,
    CASEWORKER,
    EXPECTED_END,
    MEDIATOR,
    OTHER_CASEWORKER,
    OTHER_IDS,
    OTHER_MEDIATOR,
    OTHER_TEAMLEAD,
    PROBABLE_START,
    ROLE_IDS,
    T_AGREEMENT,
    T_OPEN,
    T_REGISTERED,
    TEAMLEAD,
    actor,
    apply,
    at,
    at_stage,
    message,
    notice_triples,
    opened,
    reject,
    today,
)

from okot.domain import deadlines, journey
from okot.domain.changes import Accepted, Rejected
from okot.domain.status import TrajectoryStatus
from okot.domain.values import (
    Closure,
    DeadlineKind,
    EmploymentCheck,
    MessageName,
    Role,
    Stage,
    TrainingResult,
)

M = MessageName
CW, MED, TL, SYS, OPS = Role.CASEWORKER, Role.MEDIATOR, Role.TEAMLEAD, Role.SYSTEM, Role.OPERATIONS
S = Stage

# stage -> message -> (roles allowed to send it, stage after an accepted message)
# Anything not listed for a stage is refused there. The system role sends no message.
EXPECTED: dict[Stage, dict[MessageName, tuple[frozenset[Role], Stage]]] = {
    S.ORIENTATION: {
        M.RECORD_INFO: (frozenset({CW, MED}), S.ORIENTATION),
        M.RECORD_PRECHECK: (frozenset({CW}), S.ORIENTATION),
        M.SUBMIT_CANDIDACY: (frozenset({CW, MED}), S.AWAITING_AGREEMENT),
        M.WITHDRAW: (frozenset({CW}), S.CLOSED),
        M.REASSIGN: (frozenset({TL, CW, MED}), S.ORIENTATION),
        M.UPDATE_POLICY: (frozenset({TL, OPS}), S.ORIENTATION),
    },
    S.AWAITING_AGREEMENT: {
        M.GIVE_AGREEMENT: (frozenset({CW}), S.HANDOVER),  # client already registered
        M.DECLINE_AGREEMENT: (frozenset({CW}), S.CLOSED),
        M.WITHDRAW: (frozenset({CW}), S.CLOSED),
        M.REASSIGN: (frozenset({TL, CW, MED}), S.AWAITING_AGREEMENT),
        M.UPDATE_POLICY: (frozenset({TL, OPS}), S.AWAITING_AGREEMENT),
    },
    S.REGISTERING: {
        M.WITHDRAW: (frozenset({CW}), S.CLOSED),
        M.REASSIGN: (frozenset({TL, CW, MED}), S.REGISTERING),
        M.UPDATE_POLICY: (frozenset({TL, OPS}), S.REGISTERING),
    },
    S.HANDOVER: {
        M.CONFIRM_HANDOVER: (frozenset({CW}), S.SCREENING),
        M.WITHDRAW: (frozenset({CW}), S.CLOSED),
        M.REASSIGN: (frozenset({TL, CW, MED}), S.HANDOVER),
        M.UPDATE_POLICY: (frozenset({TL, OPS}), S.HANDOVER),
    },
    S.SCREENING: {
        M.SCHEDULE_INTAKE: (frozenset({MED}), S.SCREENING),
        M.RECORD_SCREENING: (frozenset({MED}), S.AWAITING_START),  # approved payload
        M.WITHDRAW: (frozenset({CW}), S.CLOSED),
        M.REASSIGN: (frozenset({TL, CW, MED}), S.SCREENING),
        M.UPDATE_POLICY: (frozenset({TL, OPS}), S.SCREENING),
    },
    S.AWAITING_START: {
        M.POSTPONE_START: (frozenset({MED}), S.AWAITING_START),
        M.CONFIRM_START: (frozenset({MED}), S.IN_TRAINING),
        M.WITHDRAW: (frozenset({CW}), S.CLOSED),
        M.REASSIGN: (frozenset({TL, CW, MED}), S.AWAITING_START),
        M.UPDATE_POLICY: (frozenset({TL, OPS}), S.AWAITING_START),
    },
    S.IN_TRAINING: {
        M.RECORD_PROGRESS: (frozenset({MED, CW}), S.IN_TRAINING),
        M.REPORT_STOPPED: (frozenset({CW}), S.IN_TRAINING),
        M.RECORD_END: (frozenset({MED}), S.FOLLOW_UP),
        M.REASSIGN: (frozenset({TL, CW, MED}), S.IN_TRAINING),
        M.UPDATE_POLICY: (frozenset({TL, OPS}), S.IN_TRAINING),
    },
    S.FOLLOW_UP: {
        M.AGREE_FOLLOW_UP: (frozenset({MED, CW}), S.FOLLOW_UP),
        M.RECORD_EMPLOYMENT: (frozenset({CW, MED}), S.FOLLOW_UP),  # an early check
        M.REASSIGN: (frozenset({TL, CW, MED}), S.FOLLOW_UP),
        M.UPDATE_POLICY: (frozenset({TL, OPS}), S.FOLLOW_UP),
    },
    S.CLOSED: {},
}


def test_the_expected_table_covers_every_stage() -> None:
    assert set(EXPECTED) == set(Stage)
    assert len(Stage) == 9 and len(MessageName) == 18 and len(Role) == 5


# Who may act on which trajectory (domain.md), restated: the sender must hold the role
# on this trajectory ("own": the trajectory's caseworker / mediator / caseworker's
# teamlead; "other": someone else with that role). While no mediator is set
# (orientation), any mediator may send record_info and submit_candidacy. Operations is
# organisation-wide: any operations id acts on every trajectory (update_policy only).
RELATIONS = ("own", "other")
OPEN_TO_ANY_MEDIATOR = {M.RECORD_INFO, M.SUBMIT_CANDIDACY}
WHO = {
    CW: "this trajectory's caseworker",
    MED: "this trajectory's mediator",
    TL: "the teamlead of this trajectory's caseworker",
}

CELLS = [
    (stage, name, role, relation)
    for stage in Stage for name in MessageName for role in Role for relation in RELATIONS
]


def _sender_holds_role(status: TrajectoryStatus, name: MessageName, role: Role, relation: str) -> bool:
    if role is OPS:
        return True
    if role is MED and status.mediator is None:
        return name in OPEN_TO_ANY_MEDIATOR
    return relation == "own"


@pytest.mark.parametrize(("stage", "name", "role", "relation"), CELLS, ids=lambda v: str(v))
def test_cell(stage: Stage, name: MessageName, role: Role, relation: str) -> None:
    status, now = at_stage(stage)
    assert status.stage is stage
    before = status.model_dump()
    sender = (ROLE_IDS if relation == "own" else OTHER_IDS)[role]
    msg = message(name, role, status, now, actor=actor(role, sender))
    decision = journey.decide(status, msg, now)
    assert status.model_dump() == before, "decide must not mutate its input"

    allowed = EXPECTED[stage].get(name)
    holds = _sender_holds_role(status, name, role, relation)
    if allowed is not None and role in allowed[0] and holds:
        assert isinstance(decision, Accepted), decision
        assert decision.status.stage is allowed[1]
        assert decision.status.seq == status.seq + 1
        assert decision.summary
        if allowed[1] is S.CLOSED:
            assert decision.status.closure is not None
            assert decision.status.next_deadline is None
        else:
            assert decision.status.next_deadline == deadlines.next_deadline(decision.status)
            assert decision.status.next_deadline is not None
        return

    assert isinstance(decision, Rejected), f"{stage}/{name}/{role}/{relation} was accepted"
    reason = decision.reason
    assert name.value in reason
    if stage is S.CLOSED:
        assert "closed" in reason
        assert "nothing" in reason
    elif allowed is None:
        # wrong stage: name the stage and what is allowed there
        assert f"stage {stage.value}" in reason
        assert "allowed there" in reason
        for other in EXPECTED[stage]:
            assert other.value in reason, f"{other} not named as allowed in {stage}"
        for other in MessageName:
            if other not in EXPECTED[stage] and other is not name:
                assert f"{other.value} (" not in reason
    elif role not in allowed[0]:
        # right stage, wrong role: name the stage and who may send it
        assert f"stage {stage.value}" in reason
        assert f"not by {role.value}" in reason
        for r in allowed[0]:
            assert r.value in reason
    else:
        # right stage and role, not on this trajectory: name the stage and who may act,
        # never repeat the sender
        assert f"stage {stage.value}" in reason
        assert f"only {WHO[role]}" in reason
        assert sender not in reason


def test_per_case_off_is_the_old_rule_for_trajectories_that_ran_before_it() -> None:
    status, now = at_stage(S.SCREENING)
    msg = message(M.RECORD_SCREENING, MED, status, now, actor=actor(MED, OTHER_MEDIATOR))
    assert isinstance(journey.decide(status, msg, now), Rejected)
    assert isinstance(journey.decide(status, msg, now, per_case=False), Accepted)


def test_reassigning_the_caseworker_moves_the_case_to_the_new_team() -> None:
    status, now = at_stage(S.SCREENING)
    assert status.teamlead == TEAMLEAD
    moved = apply(status, M.REASSIGN, TL, now, caseworker=OTHER_CASEWORKER,
                  teamlead=OTHER_TEAMLEAD, mediator=None).status
    assert (moved.caseworker, moved.teamlead) == (OTHER_CASEWORKER, OTHER_TEAMLEAD)
    # the old caseworker and the old teamlead are off the case, the new ones are on it
    assert "only this trajectory's caseworker" in reject(moved, M.WITHDRAW, CW, now)
    reason = reject(moved, M.REASSIGN, TL, now, mediator=OTHER_MEDIATOR)
    assert "only the teamlead of this trajectory's caseworker" in reason
    apply(moved, M.WITHDRAW, CW, now, actor=actor(CW, OTHER_CASEWORKER))
    apply(moved, M.REASSIGN, TL, now, actor=actor(TL, OTHER_TEAMLEAD))


def test_a_reassigned_mediator_is_off_the_case() -> None:
    status, now = at_stage(S.SCREENING)
    moved = apply(status, M.REASSIGN, MED, now).status  # to OTHER_MEDIATOR
    assert "only this trajectory's mediator" in reject(moved, M.SCHEDULE_INTAKE, MED, now)
    apply(moved, M.SCHEDULE_INTAKE, MED, now, actor=actor(MED, OTHER_MEDIATOR))


def test_a_teamlead_without_a_known_team_cannot_act() -> None:
    status, now = at_stage(S.SCREENING)
    unknown = status.model_copy(update={"teamlead": None})
    assert "only the teamlead" in reject(unknown, M.REASSIGN, TL, now)


def test_teamlead_goes_with_a_new_caseworker() -> None:
    status, now = at_stage(S.SCREENING)
    with pytest.raises(ValueError, match="teamlead goes with a new caseworker"):
        message(M.REASSIGN, TL, status, now, teamlead=OTHER_TEAMLEAD)


def test_give_agreement_for_an_unregistered_client_goes_to_registering() -> None:
    status, now = at_stage(S.AWAITING_AGREEMENT, registered=False)
    result = apply(status, M.GIVE_AGREEMENT, CW, now)
    assert result.status.stage is S.REGISTERING
    assert result.status.registration_pending is True
    assert result.status.next_deadline is not None
    assert result.status.next_deadline.kind is DeadlineKind.REGISTRATION_RETRY


def test_give_agreement_for_a_registered_client_goes_to_handover() -> None:
    status, now = at_stage(S.AWAITING_AGREEMENT, registered=True)
    result = apply(status, M.GIVE_AGREEMENT, CW, now)
    assert result.status.stage is S.HANDOVER
    assert result.status.registration_pending is False
    assert result.status.agreement_on == today(now)
    assert result.status.agreement_contact == CASEWORKER


# ------------------------------------------------------------ business-rule refusals


def test_candidacy_without_precheck_is_refused() -> None:
    status = opened()
    reason = reject(status, M.SUBMIT_CANDIDACY, CW, T_OPEN)
    assert "orientation" in reason
    assert "record_precheck" in reason
    assert status.candidacy is None


def test_candidacy_with_another_study_level_than_the_precheck_is_refused() -> None:
    status, now = at_stage(S.ORIENTATION)
    reason = reject(status, M.SUBMIT_CANDIDACY, MED, now, study_level="graduaat")
    assert "bachelor" in reason and "graduaat" in reason
    assert "orientation" in reason
    # a new pre-check for that level makes it possible
    status = apply(status, M.RECORD_PRECHECK, CW, now, study_level="graduaat").status
    result = apply(status, M.SUBMIT_CANDIDACY, MED, now, study_level="graduaat")
    assert result.status.candidacy is not None
    assert result.status.candidacy.study_level.value == "graduaat"


@pytest.mark.parametrize(
    ("conditions_met", "twe_active", "why"),
    [(True, True, "twe_active"), (False, False, "conditions"), (False, True, "twe_active")],
)
def test_negative_precheck_closes_as_ineligible(conditions_met: bool, twe_active: bool, why: str) -> None:
    status = opened()
    result = apply(
        status, M.RECORD_PRECHECK, CW, T_OPEN, conditions_met=conditions_met, twe_active=twe_active
    )
    assert result.status.stage is S.CLOSED
    assert result.status.closure is Closure.INELIGIBLE
    assert result.status.closure_reason == why
    assert result.status.closed_at == T_OPEN
    assert result.status.next_deadline is None
    assert result.notices == ()
    reason = reject(result.status, M.SUBMIT_CANDIDACY, CW, T_OPEN)
    assert "closed" in reason and "ineligible" in reason


def test_positive_precheck_keeps_orientation() -> None:
    status = opened()
    result = apply(status, M.RECORD_PRECHECK, CW, T_OPEN)
    assert result.status.stage is S.ORIENTATION
    assert result.status.precheck is not None and result.status.precheck.positive


def test_planned_intake_in_the_past_is_refused() -> None:
    status, now = at_stage(S.SCREENING)
    yesterday = today(now) - timedelta(days=1)
    reason = reject(status, M.SCHEDULE_INTAKE, MED, now, date=yesterday.isoformat())
    assert "in the past" in reason and "screening" in reason
    # today itself is fine
    apply(status, M.SCHEDULE_INTAKE, MED, now, date=today(now).isoformat())


def test_planned_dates_more_than_two_years_ahead_are_refused() -> None:
    status, now = at_stage(S.SCREENING)
    far = today(now) + timedelta(days=3 * 365)
    assert "two years" in reject(status, M.SCHEDULE_INTAKE, MED, now, date=far.isoformat())
    assert "two years" in reject(status, M.RECORD_SCREENING, MED, now, start_date=far.isoformat())


def test_probable_start_in_the_past_is_refused() -> None:
    status, now = at_stage(S.SCREENING)
    past = today(now) - timedelta(days=3)
    reason = reject(status, M.RECORD_SCREENING, MED, now, start_date=past.isoformat())
    assert "start_date" in reason and "screening" in reason


def test_postpone_to_a_date_in_the_past_is_refused() -> None:
    status, _ = at_stage(S.AWAITING_START)
    late = at(2026, 5, 20)  # a month after the probable start of 20 April
    new_start = PROBABLE_START + timedelta(days=7)  # after the probable start, yet past
    reason = reject(status, M.POSTPONE_START, MED, late, start_date=new_start.isoformat())
    assert "in the past" in reason


@pytest.mark.parametrize("days", [-7, 0])
def test_postpone_to_an_earlier_or_the_same_date_is_refused(days: int) -> None:
    status, now = at_stage(S.AWAITING_START)
    new_start = PROBABLE_START + timedelta(days=days)
    reason = reject(status, M.POSTPONE_START, MED, now, start_date=new_start.isoformat())
    assert "not after the current probable start" in reason
    assert "awaiting_start" in reason


def test_postpone_moves_the_probable_start_and_keeps_the_location() -> None:
    status, now = at_stage(S.AWAITING_START)
    result = apply(status, M.POSTPONE_START, MED, now, start_date="2026-05-04")
    assert result.status.probable_start == date(2026, 5, 4)
    assert result.status.location == "Gent"
    result = apply(result.status, M.POSTPONE_START, MED, now, start_date="2026-05-11", location="Aalst")
    assert result.status.location == "Aalst"
    assert notice_triples(result.notices) == {(CW, CASEWORKER, "start_postponed")}


@pytest.mark.parametrize(
    ("stage", "name", "role", "field"),
    [
        (S.ORIENTATION, M.RECORD_INFO, CW, "date"),
        (S.HANDOVER, M.CONFIRM_HANDOVER, CW, "date"),
        (S.AWAITING_START, M.CONFIRM_START, MED, "date"),
        (S.IN_TRAINING, M.RECORD_PROGRESS, CW, "date"),
        (S.IN_TRAINING, M.REPORT_STOPPED, CW, "date"),
        (S.IN_TRAINING, M.RECORD_END, MED, "date"),
        (S.FOLLOW_UP, M.RECORD_EMPLOYMENT, CW, "date"),
    ],
)
def test_happened_dates_in_the_future_are_refused(
    stage: Stage, name: MessageName, role: Role, field: str
) -> None:
    status, now = at_stage(stage)
    tomorrow = today(now) + timedelta(days=1)
    over: dict[str, str] = {field: tomorrow.isoformat()}
    if name is M.CONFIRM_START:
        over["expected_end"] = "2028-06-30"
    reason = reject(status, name, role, now, **over)
    assert "in the future" in reason
    assert stage.value in reason


def test_handover_before_the_agreement_is_refused() -> None:
    status, now = at_stage(S.HANDOVER)
    reason = reject(status, M.CONFIRM_HANDOVER, CW, now, date="2026-03-03")
    assert "before the agreement" in reason


def test_start_date_before_the_screening_is_refused() -> None:
    status, _ = at_stage(S.AWAITING_START)  # screening on 2026-03-16
    later = at(2026, 4, 21)
    reason = reject(status, M.CONFIRM_START, MED, later, date="2026-03-13", expected_end="2027-06-30")
    assert "before the screening" in reason
    ok = apply(status, M.CONFIRM_START, MED, later, date="2026-03-16", expected_end="2027-06-30")
    assert ok.status.started_on == date(2026, 3, 16)


def test_end_before_start_is_refused() -> None:
    status, _ = at_stage(S.IN_TRAINING)  # started 2026-04-20
    later = at(2026, 9, 1)
    reason = reject(status, M.RECORD_END, MED, later, date="2026-04-17")
    assert "before the start" in reason and "in_training" in reason
    assert "before the start" in reject(status, M.RECORD_PROGRESS, CW, later, date="2026-04-17")
    assert "before the start" in reject(status, M.REPORT_STOPPED, CW, later, date="2026-04-17")


def test_employment_before_the_end_of_training_is_refused() -> None:
    status, _ = at_stage(S.FOLLOW_UP)
    later = at(2027, 8, 2)
    assert "before the end" in reject(status, M.RECORD_EMPLOYMENT, CW, later, date="2027-06-29")


def test_reassign_to_the_same_person_is_refused() -> None:
    status, now = at_stage(S.SCREENING)
    assert "already the caseworker" in reject(
        status, M.REASSIGN, TL, now, caseworker=CASEWORKER, mediator=None
    )
    assert "already the mediator" in reject(status, M.REASSIGN, CW, now, mediator=MEDIATOR)


def test_mediator_may_not_reassign_the_caseworker() -> None:
    status, now = at_stage(S.SCREENING)
    reason = reject(status, M.REASSIGN, MED, now, caseworker=OTHER_CASEWORKER, mediator=None)
    assert "mediator may reassign the mediator only" in reason
    apply(status, M.REASSIGN, MED, now, mediator=OTHER_MEDIATOR)


def test_reassign_caseworker_and_mediator_tells_new_and_old_holders() -> None:
    status, now = at_stage(S.IN_TRAINING)
    result = apply(status, M.REASSIGN, TL, now, caseworker=OTHER_CASEWORKER, mediator=OTHER_MEDIATOR)
    assert result.status.caseworker == OTHER_CASEWORKER
    assert result.status.mediator == OTHER_MEDIATOR
    assert result.status.stage is S.IN_TRAINING
    assert notice_triples(result.notices) == {
        (CW, OTHER_CASEWORKER, "reassigned_to"),
        (CW, CASEWORKER, "reassigned_from"),
        (MED, OTHER_MEDIATOR, "reassigned_to"),
        (MED, MEDIATOR, "reassigned_from"),
    }
    by_to = {(n.to, n.template): n for n in result.notices}
    assert by_to[(OTHER_CASEWORKER, "reassigned_to")].context["previous"] == CASEWORKER
    assert by_to[(CASEWORKER, "reassigned_from")].context["successor"] == OTHER_CASEWORKER


def test_reassign_mediator_in_orientation_without_a_mediator_tells_only_the_new_one() -> None:
    status = opened()
    result = apply(status, M.REASSIGN, CW, T_OPEN, mediator=OTHER_MEDIATOR)
    assert notice_triples(result.notices) == {(MED, OTHER_MEDIATOR, "reassigned_to")}


def test_withdraw_after_the_start_is_refused_and_before_closes() -> None:
    status, now = at_stage(S.AWAITING_START)
    result = apply(status, M.WITHDRAW, CW, now)
    assert result.status.closure is Closure.WITHDRAWN
    assert notice_triples(result.notices) == {(MED, MEDIATOR, "withdrawn")}
    status, now = at_stage(S.IN_TRAINING)
    assert "not allowed in stage in_training" in reject(status, M.WITHDRAW, CW, now)


def test_decline_agreement_closes() -> None:
    status, now = at_stage(S.AWAITING_AGREEMENT)
    result = apply(status, M.DECLINE_AGREEMENT, CW, now)
    assert result.status.closure is Closure.AGREEMENT_DECLINED
    assert result.status.closed_at == now


def test_rejected_screening_closes_and_tells_the_caseworker() -> None:
    status, now = at_stage(S.SCREENING)
    result = apply(
        status,
        M.RECORD_SCREENING,
        MED,
        now,
        approved=False,
        reasons=["motivation", "preconditions_mobility"],
        start_date=None,
    )
    assert result.status.stage is S.CLOSED
    assert result.status.closure is Closure.SCREENING_REJECTED
    assert result.status.screening is not None and not result.status.screening.approved
    assert notice_triples(result.notices) == {(CW, CASEWORKER, "screening_result")}
    ctx = result.notices[0].context
    assert ctx["approved"] is False
    assert ctx["reasons"] == "motivation,preconditions_mobility"


# ------------------------------------------------------------------ registration


def test_registration_succeeded_moves_to_handover_and_tells_both() -> None:
    status, _ = at_stage(S.REGISTERING)
    result = journey.registration_succeeded(status, "VDAB-77", T_REGISTERED)
    assert result.status.stage is S.HANDOVER
    assert result.status.registered_jobseeker is True
    assert result.status.jobseeker_reference == "VDAB-77"
    assert result.status.registration_pending is False
    assert result.status.registration_attempts == status.registration_attempts + 1
    assert result.status.seq == status.seq + 1
    assert result.status.next_deadline is not None
    assert result.status.next_deadline.kind is DeadlineKind.HANDOVER_REMINDER
    assert notice_triples(result.notices) == {
        (CW, CASEWORKER, "registered"),
        (MED, MEDIATOR, "registered"),
    }


def test_registration_failed_stays_registering_and_retries_next_working_day() -> None:
    status, _ = at_stage(S.REGISTERING)
    friday = at(2026, 4, 3, 15)  # Easter Monday 6 April follows the weekend
    first = journey.registration_failed(status, "vdab down", friday)
    assert first.status.stage is S.REGISTERING
    assert first.status.registration_error == "vdab down"
    assert first.status.registration_pending is False
    assert first.status.seq == status.seq + 1
    assert notice_triples(first.notices) == {
        (CW, CASEWORKER, "registration_failed"),
        (TL, CASEWORKER, "registration_failed"),
    }
    deadline = first.status.next_deadline
    assert deadline is not None and deadline.kind is DeadlineKind.REGISTRATION_RETRY
    assert deadline.due == date(2026, 4, 7)
    assert deadline.notify == ()
    # the retry fires without telling anyone and asks for a new attempt
    retry = deadlines.fire_deadlines(first.status, deadline.due_at)
    assert retry is not None
    assert retry.notices == ()
    assert retry.status.registration_pending is True
    # a second failure does not tell everyone again
    second = journey.registration_failed(retry.status, "still down", at(2026, 4, 7, 11))
    assert second.notices == ()
    assert second.status.registration_attempts == 2
    ok = journey.registration_succeeded(second.status, "VDAB-1", at(2026, 4, 8))
    assert ok.status.stage is S.HANDOVER and ok.status.registration_error is None


@pytest.mark.parametrize("stage", [s for s in Stage if s is not S.REGISTERING])
def test_registration_events_outside_registering_are_programming_errors(stage: Stage) -> None:
    status, now = at_stage(stage)
    with pytest.raises(ValueError, match="registering"):
        journey.registration_succeeded(status, "X", now)
    with pytest.raises(ValueError, match="registering"):
        journey.registration_failed(status, "X", now)


def test_cancel_closes_and_clears_the_deadline() -> None:
    status, now = at_stage(S.SCREENING)
    result = journey.cancel(status, now)
    assert result.status.stage is S.CLOSED
    assert result.status.closure is Closure.CANCELLED
    assert result.status.seq == status.seq + 1
    assert result.status.next_deadline is None
    assert deadlines.fire_deadlines(result.status, at(2030, 1, 1)) is None


# -------------------------------------------------------------- record_employment


@pytest.mark.parametrize(
    ("when", "check"),
    [
        (at(2027, 7, 15), EmploymentCheck.EARLY),
        (at(2027, 12, 29), EmploymentCheck.EARLY),  # the day before the 6-month check
        (at(2027, 12, 30), EmploymentCheck.MONTH_6),  # 6 months after 30 June 2027
        (at(2028, 6, 29), EmploymentCheck.MONTH_6),
    ],
)
def test_record_employment_picks_the_check_by_date(when: datetime, check: EmploymentCheck) -> None:
    status, _ = at_stage(S.FOLLOW_UP)
    result = apply(status, M.RECORD_EMPLOYMENT, CW, when, date="2027-07-01")
    assert result.status.stage is S.FOLLOW_UP
    assert [e.check for e in result.status.employment] == [check]
    assert result.status.employment_at(check) is not None


def test_month_12_check_closes_as_completed() -> None:
    status, _ = at_stage(S.FOLLOW_UP)
    when = at(2028, 6, 30)  # 12 months after the end, a Friday
    result = apply(status, M.RECORD_EMPLOYMENT, MED, when, employed=False)
    assert result.status.stage is S.CLOSED
    assert result.status.closure is Closure.COMPLETED
    assert result.status.outcome is TrainingResult.PASSED
    emp = result.status.employment_at(EmploymentCheck.MONTH_12)
    assert emp is not None and emp.employed is False


def test_employment_checks_accumulate_and_replace_the_same_check() -> None:
    status, _ = at_stage(S.FOLLOW_UP)
    s = apply(status, M.RECORD_EMPLOYMENT, CW, at(2027, 8, 2), employed=False).status
    s = apply(s, M.RECORD_EMPLOYMENT, CW, at(2027, 9, 1), employed=True).status
    s = apply(s, M.RECORD_EMPLOYMENT, CW, at(2028, 1, 3), employed=True).status
    assert [(e.check, e.employed) for e in s.employment] == [
        (EmploymentCheck.EARLY, True),
        (EmploymentCheck.MONTH_6, True),
    ]
    # once the 6-month check is recorded, no 6-month reminder is pending any more
    kinds = {d.kind for d in deadlines.pending_deadlines(s)}
    assert DeadlineKind.EMPLOYMENT_CHECK_6M not in kinds
    assert DeadlineKind.EMPLOYMENT_CHECK_12M in kinds


# ---------------------------------------------------------------------- notices


def _happy_path() -> list[Accepted]:
    """A full trajectory for an unregistered client, every accepted step in order."""
    steps: list[Accepted] = []

    def go(result: Accepted) -> TrajectoryStatus:
        steps.append(result)
        return result.status

    s = opened(registered=False)
    s = go(apply(s, M.RECORD_INFO, MED, T_OPEN))
    s = go(apply(s, M.RECORD_PRECHECK, CW, T_OPEN))
    s = go(apply(s, M.SUBMIT_CANDIDACY, MED, at(2026, 3, 3)))
    s = go(apply(s, M.GIVE_AGREEMENT, CW, T_AGREEMENT))
    s = go(journey.registration_succeeded(s, "VDAB-9", T_REGISTERED))
    s = go(apply(s, M.CONFIRM_HANDOVER, CW, at(2026, 3, 6)))
    s = go(apply(s, M.SCHEDULE_INTAKE, MED, at(2026, 3, 9), date="2026-03-12"))
    s = go(
        apply(
            s,
            M.RECORD_SCREENING,
            MED,
            at(2026, 3, 16),
            start_date=PROBABLE_START.isoformat(),
            location="Gent",
        )
    )
    s = go(apply(s, M.CONFIRM_START, MED, at(2026, 4, 20), expected_end=EXPECTED_END.isoformat()))
    s = go(apply(s, M.RECORD_PROGRESS, CW, at(2026, 6, 1)))
    s = go(apply(s, M.RECORD_END, MED, at(2027, 6, 30), result="not_passed"))
    s = go(apply(s, M.AGREE_FOLLOW_UP, CW, at(2027, 7, 2), lead="ocmw"))
    s = go(apply(s, M.RECORD_EMPLOYMENT, CW, at(2028, 1, 3)))
    s = go(apply(s, M.RECORD_EMPLOYMENT, CW, at(2028, 7, 3)))
    assert s.stage is S.CLOSED and s.closure is Closure.COMPLETED
    return steps


def test_who_is_told_what() -> None:
    steps = _happy_path()
    told = [notice_triples(step.notices) for step in steps]
    assert told == [
        set(),  # record_info
        set(),  # record_precheck
        {(CW, CASEWORKER, "candidacy_submitted")},
        {(MED, MEDIATOR, "agreement_given")},
        {(CW, CASEWORKER, "registered"), (MED, MEDIATOR, "registered")},
        set(),  # confirm_handover
        set(),  # schedule_intake
        {(CW, CASEWORKER, "screening_result")},
        {(CW, CASEWORKER, "training_started")},
        set(),  # record_progress
        {(CW, CASEWORKER, "training_ended")},
        {(MED, MEDIATOR, "follow_up_agreed")},  # agree_follow_up: the other side is told
        set(),  # 6-month check
        set(),  # 12-month check
    ]
    agreement = steps[3].notices[0]
    assert agreement.context["contact"] == CASEWORKER  # the formeel akkoord carries his details
    screening = steps[7].notices[0]
    assert screening.context["approved"] is True
    assert screening.context["start_date"] == PROBABLE_START.isoformat()
    assert screening.context["location"] == "Gent"
    started = steps[8].notices[0]
    assert started.context["start_date"] == "2026-04-20"
    assert started.context["expected_end"] == EXPECTED_END.isoformat()
    ended = steps[10].notices[0]
    assert ended.context["result"] == "not_passed"
    assert ended.context["end_date"] == "2027-06-30"
    for step in steps:
        for n in step.notices:
            assert n.context["case_id"] == CASE_ID
            assert n.key == f"{step.status.seq}:{n.template}:{n.role.value}:{n.to}"


def test_notice_keys_are_unique_and_seq_increases() -> None:
    steps = _happy_path()
    keys = [n.key for step in steps for n in step.notices]
    assert len(keys) == len(set(keys))
    seqs = [step.status.seq for step in steps]
    assert seqs == sorted(set(seqs))
    assert all(b == a + 1 for a, b in itertools.pairwise(seqs))


def test_agreement_contact_override() -> None:
    status, now = at_stage(S.AWAITING_AGREEMENT)
    result = apply(status, M.GIVE_AGREEMENT, CW, now, contact="cw.backoffice")
    assert result.status.agreement_contact == "cw.backoffice"
    assert result.notices[0].context["contact"] == "cw.backoffice"
    assert result.notices[0].to == MEDIATOR


def test_the_candidacy_sets_the_mediator() -> None:
    status, now = at_stage(S.ORIENTATION)
    result = apply(status, M.SUBMIT_CANDIDACY, CW, now, mediator=OTHER_MEDIATOR, channel="mediator")
    assert result.status.mediator == OTHER_MEDIATOR
    assert result.notices[0].context["channel"] == "mediator"


def test_system_actor_is_refused_with_the_roles_that_may_send() -> None:
    status, now = at_stage(S.ORIENTATION)
    msg = message(M.RECORD_INFO, SYS, status, now, actor=actor(SYS))
    decision = journey.decide(status, msg, now)
    assert isinstance(decision, Rejected)
    assert "caseworker or mediator" in decision.reason
    assert "not by system" in decision.reason
