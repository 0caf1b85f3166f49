"""The demo plan (pure) and the demo staff directory."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import Engine

from okot.db.staff import OPERATIONS, parse_csv
from okot.domain import deadlines, journey
from okot.domain.calendar import (
    BRUSSELS,
    add_working_days,
)
from okot.domain.changes import Accepted
from okot.domain.policy import ReminderPolicy
from okot.domain.status import TrajectoryStatus
from okot.domain.values import (
    Closure,
    Role,
    Stage,
    looks_like_national_register_number,
)
from okot_dev import (
    demo_caseload,
    demo_plan,
    demo_seed,
)

TODAY = date(2026, 3, 11)  # a Wednesday
NOW = datetime.combine(TODAY, time(10, 0), tzinfo=BRUSSELS).astimezone(UTC)


@pytest.fixture(scope="module")
def cases() -> tuple[demo_caseload.DemoCase, ...]:
    return demo_plan.plan(TODAY)


def drive(case: demo_caseload.DemoCase) -> TrajectoryStatus:
    """Run a case's steps through the pure journey rules, as the workflow would."""
    status = journey.open_trajectory(case.request(), NOW)
    for step in case.steps:
        if isinstance(step, demo_caseload.AwaitRegistration):
            assert status.stage is Stage.REGISTERING, case.case_id
            status = journey.registration_succeeded(status, "VDAB-REF", NOW).status
        elif isinstance(step, demo_caseload.Cancel):
            status = journey.cancel(status, NOW).status
        else:
            decision = journey.decide(status, step, NOW)
            assert isinstance(decision, Accepted), (case.case_id, step.name, decision)
            status = decision.status
    return status


def test_about_forty_cases_with_opaque_ids(cases: tuple[demo_caseload.DemoCase, ...]) -> None:
    assert 35 <= len(cases) <= 45
    ids = [c.case_id for c in cases]
    assert len(set(ids)) == len(ids)
    for case_id in ids:
        assert re.fullmatch(r"DEMO-\d{4}", case_id)
        assert not looks_like_national_register_number(case_id)


def test_every_stage_is_covered_and_several_closures(cases: tuple[demo_caseload.DemoCase, ...]) -> None:
    visited = {stage for c in cases for stage in c.visits}
    assert visited == set(Stage)
    targets = {c.target for c in cases}
    # registering lasts only until the registration activity succeeds: passed through
    assert targets == set(Stage) - {Stage.REGISTERING}
    assert sum(Stage.REGISTERING in c.visits for c in cases) >= 2
    closures = {c.closure for c in cases if c.closure is not None}
    assert len(closures) >= 4
    assert {Closure.INELIGIBLE, Closure.AGREEMENT_DECLINED, Closure.SCREENING_REJECTED,
            Closure.WITHDRAWN} <= closures
    for stage in set(Stage) - {Stage.REGISTERING, Stage.CLOSED}:
        assert sum(c.target is stage for c in cases) >= 3, stage


def test_a_prefix_of_the_plan_still_covers_every_target() -> None:
    prefix = demo_plan.plan(TODAY)[:12]
    assert {c.target for c in prefix} == set(Stage) - {Stage.REGISTERING}
    assert len({c.closure for c in prefix if c.closure}) >= 4


def test_every_case_reaches_its_planned_stage_by_the_rules(
    cases: tuple[demo_caseload.DemoCase, ...],
) -> None:
    for case in cases:
        status = drive(case)
        assert status.stage is case.target, case.case_id
        assert status.closure is case.closure, case.case_id
        if case.target is Stage.FOLLOW_UP:
            assert status.outcome is not None


def test_overdue_cases_are_old_orientation_files(cases: tuple[demo_caseload.DemoCase, ...]) -> None:
    overdue = [c for c in cases if c.overdue]
    assert len(overdue) >= 3
    days = ReminderPolicy().orientation_reminder_days
    for case in cases:
        due = add_working_days(case.opened_on, days)
        if case.overdue:
            assert case.target is Stage.ORIENTATION
            assert due <= TODAY
            # the workflow would fire the orientation reminder as soon as it starts
            opened = journey.open_trajectory(case.request(), NOW)
            fired = deadlines.fire_deadlines(opened, NOW)
            assert fired is not None, case.case_id
            # and says why: the candidacy, since its first reminder, from the caseworker
            detail = fired.status.overdue_detail
            assert detail is not None and detail.since == due, case.case_id
            assert [p.id for p in detail.awaited_from] == [case.caseworker]
            if add_working_days(case.opened_on, 4 * days) <= TODAY:  # old enough: escalated
                assert fired.status.escalations_sent == 1, case.case_id
        else:
            # no reminder falls due before a non-overdue case leaves orientation
            assert due > TODAY, case.case_id
    assert not any(c.overdue for c in cases if c.target is not Stage.ORIENTATION)


def test_the_plan_is_deterministic() -> None:
    assert demo_plan.plan(TODAY) == demo_plan.plan(TODAY)
    assert [c.messages for c in demo_plan.plan(TODAY)] == [c.messages for c in demo_plan.plan(TODAY)]


def test_staff_directory_is_fictitious_and_complete(cases: tuple[demo_caseload.DemoCase, ...]) -> None:
    staff = parse_csv(demo_caseload.STAFF_CSV.read_text(encoding="utf-8"))
    by_id = {m.id: m for m in staff}
    for member in staff:
        assert member.email.endswith("@example.org")
        assert "(demo)" in member.name
        if member.role == Role.CASEWORKER.value:
            assert member.teamlead is not None
            assert by_id[member.teamlead].role == Role.TEAMLEAD.value
            assert by_id[member.teamlead].ocmw == member.ocmw
    for ocmw in demo_caseload.OCMWS:
        roles = {m.role for m in staff if m.ocmw == ocmw and m.role != OPERATIONS}
        assert roles == {Role.CASEWORKER.value, Role.TEAMLEAD.value, Role.MEDIATOR.value}, ocmw
    assert [m.id for m in staff if m.role == OPERATIONS] == ["ops-sam"], "reads the Web UI"
    for case in cases:
        assert by_id[case.caseworker].role == Role.CASEWORKER.value
        assert by_id[case.caseworker].ocmw == case.ocmw
        assert by_id[case.mediator].role == Role.MEDIATOR.value
        for message in case.messages:
            assert message.actor.id in by_id


def test_staff_import_is_idempotent(engine: Engine) -> None:
    first = demo_caseload.import_demo_staff(engine)
    assert first.inserted == len(demo_caseload.demo_staff()) and first.updated == 0
    second = demo_caseload.import_demo_staff(engine)
    assert second.inserted == 0 and second.updated == 0 and second.unchanged == first.inserted


def test_highlights_name_real_cases(cases: tuple[demo_caseload.DemoCase, ...]) -> None:
    spot = demo_plan.highlights(cases)
    by_id = {c.case_id: c for c in cases}
    assert by_id[spot.status_case].overdue
    assert by_id[spot.handover_case].target is Stage.HANDOVER
    assert by_id[spot.handover_case].caseworker == spot.handover_caseworker
    assert any(c.caseworker == spot.caseload_caseworker for c in cases)
    # the caseload the banner and the README show has an overdue case to explain
    assert any(c.caseworker == spot.caseload_caseworker and c.overdue for c in cases)


def test_remaining_steps_resume_an_interrupted_case(cases: tuple[demo_caseload.DemoCase, ...]) -> None:
    case = next(c for c in cases if c.target is Stage.HANDOVER and not c.registered_jobseeker)
    names = [m.name.value for m in case.messages]
    assert demo_seed.remaining_steps(case, []) == case.steps
    rest = demo_seed.remaining_steps(case, names[:2])
    assert rest is not None
    assert [s.name.value for s in rest if not isinstance(s, demo_caseload.AwaitRegistration)] == names[2:]
    # all messages in: only waiting for the registration is left
    assert demo_seed.remaining_steps(case, names) == (demo_caseload.AwaitRegistration(),)
    # worked on by hand: left alone
    assert demo_seed.remaining_steps(case, ["withdraw"]) is None
    assert demo_seed.remaining_steps(case, [*names, "confirm_handover"]) is None
    cancelled = next(c for c in cases if c.closure is Closure.CANCELLED)
    assert demo_seed.remaining_steps(cancelled, [m.name.value for m in cancelled.messages]) == (
        demo_caseload.Cancel(),
    )
