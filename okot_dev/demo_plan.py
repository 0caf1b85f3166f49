"""The demo plan: every demo case with the steps that take it to its stage. Pure.

:func:`plan` computes, from ``today`` only, which case exists, who handles it
(round robin over the teams of :mod:`okot_dev.demo_caseload`), how far it
goes and which messages take it there. The tests run it through
:mod:`okot.domain.journey` without any server; :mod:`okot_dev.demo_seed`
sends it to real workflows. :func:`highlights` picks the cases and staff
that the ``okot dev`` banner names.

Overdue cases are honest: they are orientation files opened weeks ago
(``OpenTrajectory.opened_on``), so their orientation reminders fall due as soon
as the workflow starts; the oldest (17 weeks) gets the escalation its age calls
for at once (rules version 3), and each says why it is overdue.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

from okot.db.staff import StaffMember
from okot.domain.calendar import (
    add_working_days,
    local_date,
)
from okot.domain.messages import (
    AgreeFollowUp,
    ConfirmHandover,
    ConfirmStart,
    DeclineAgreement,
    GiveAgreement,
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
from okot.domain.policy import ReminderPolicy
from okot.domain.values import (
    Actor,
    CandidacyChannel,
    Closure,
    FollowUpLead,
    HandoverChannel,
    InfoChannel,
    Role,
    ScreeningReason,
    Stage,
)
from okot_dev.demo_caseload import (
    CASE_PREFIX,
    OCMWS,
    PROGRAMMES,
    SPECS,
    AwaitRegistration,
    Cancel,
    DemoCase,
    Spec,
    Step,
    demo_staff,
)


@dataclass(frozen=True)
class _Team:
    ocmw: str
    teamlead: str
    caseworkers: tuple[str, ...]
    mediators: tuple[str, ...]


def _teams(staff: Sequence[StaffMember]) -> list[_Team]:
    teams = []
    for ocmw in OCMWS:
        members = [m for m in staff if m.ocmw == ocmw]
        teamlead = next(m.id for m in members if m.role == Role.TEAMLEAD.value)
        caseworkers = tuple(m.id for m in members if m.role == Role.CASEWORKER.value)
        mediators = tuple(m.id for m in members if m.role == Role.MEDIATOR.value)
        teams.append(_Team(ocmw, teamlead, caseworkers, mediators))
    return teams


_ORDER: Final[tuple[Stage, ...]] = (
    Stage.ORIENTATION,
    Stage.AWAITING_AGREEMENT,
    Stage.HANDOVER,
    Stage.SCREENING,
    Stage.AWAITING_START,
    Stage.IN_TRAINING,
    Stage.FOLLOW_UP,
)


def _interleaved(specs: Sequence[Spec]) -> list[Spec]:
    """Round robin over the target stages, so any prefix of the plan is varied."""
    groups: dict[tuple[Stage, Closure | None], list[Spec]] = {}
    for spec in specs:
        groups.setdefault((spec.target, spec.closure), []).append(spec)
    columns = list(groups.values())
    out: list[Spec] = []
    for row in itertools.zip_longest(*columns):
        out.extend(s for s in row if s is not None)
    return out


def _opened_on(spec: Spec, today: date, index: int) -> date:
    if spec.weeks_ago:
        return today - timedelta(weeks=spec.weeks_ago)
    # Recent enough that no orientation reminder is due before the case moves on.
    return today - timedelta(days=3 + index % 20)


def _build(
    spec: Spec, case_id: str, team: _Team, n: int, today: date
) -> DemoCase:
    cw_id = team.caseworkers[n % len(team.caseworkers)]
    med_id = team.mediators[n % len(team.mediators)]
    cw = Actor(role=Role.CASEWORKER, id=cw_id)
    med = Actor(role=Role.MEDIATOR, id=med_id)
    tl = Actor(role=Role.TEAMLEAD, id=team.teamlead)
    programme, level, school = PROGRAMMES[n % len(PROGRAMMES)]
    opened_on = _opened_on(spec, today, n)
    location = f"VDAB-campus {team.ocmw.capitalize()} (demo)"

    # How far along the path the case goes before it (maybe) closes.
    if spec.closure is Closure.INELIGIBLE:
        reach = Stage.ORIENTATION
    elif spec.closure is Closure.AGREEMENT_DECLINED:
        reach = Stage.AWAITING_AGREEMENT
    elif spec.closure is Closure.SCREENING_REJECTED:
        reach = Stage.SCREENING
    elif spec.closure is not None:
        assert spec.closed_from is not None
        reach = spec.closed_from
    else:
        reach = spec.target
    depth = _ORDER.index(reach)

    steps: list[Step] = []
    visits: list[Stage] = [Stage.ORIENTATION]
    caseworker_now = cw_id

    def go(stage: Stage) -> None:
        visits.append(stage)

    if spec.info or depth > 0 or spec.closure is Closure.INELIGIBLE:
        info_day = min(opened_on + timedelta(days=2), today)
        channel = InfoChannel.INFO_SESSION if n % 2 else InfoChannel.MEDIATOR_TALK
        steps.append(RecordInfo(actor=cw, date=info_day, channel=channel))
    if spec.closure is Closure.INELIGIBLE:
        steps.append(
            RecordPrecheck(
                # The TWE case meets the entry conditions but cannot combine; the other does not.
                actor=cw, conditions_met=spec.twe_active, twe_active=spec.twe_active,
                study_level=level,
                notes="Loopt nog een TWE-traject." if spec.twe_active
                else "Instapvoorwaarden (diploma) niet vervuld.",
            )
        )
    elif spec.precheck or depth > 0:
        steps.append(
            RecordPrecheck(actor=cw, conditions_met=True, twe_active=False, study_level=level)
        )
    if depth >= 1:
        steps.append(
            SubmitCandidacy(
                actor=cw if n % 3 else med, programme=programme, study_level=level, school=school,
                channel=CandidacyChannel.TRAINING_GUIDE if n % 2 else CandidacyChannel.MEDIATOR,
                mediator=med_id,
            )
        )
        go(Stage.AWAITING_AGREEMENT)
    if depth >= 2:
        steps.append(GiveAgreement(actor=cw))
        if not spec.registered:
            go(Stage.REGISTERING)
            steps.append(AwaitRegistration())
        go(Stage.HANDOVER)
    if depth >= 3:
        handover_channel = (HandoverChannel.PHONE, HandoverChannel.MEETING, HandoverChannel.EMAIL)
        steps.append(
            ConfirmHandover(
                actor=cw, date=today, channel=handover_channel[n % 3],
                notes="Warme overdracht: motivatie en mobiliteit besproken (demo).",
            )
        )
        go(Stage.SCREENING)
        if spec.intake:
            steps.append(ScheduleIntake(actor=med, date=add_working_days(today, 5 + n % 5)))
    if depth >= 4:
        start = add_working_days(today, 15 + n % 20)
        steps.append(RecordScreening(actor=med, approved=True, start_date=start, location=location))
        go(Stage.AWAITING_START)
        if spec.postponed:
            steps.append(
                PostponeStart(actor=med, start_date=add_working_days(start, 20), location=location)
            )
    if depth >= 5:
        years = 1 + n % 3
        steps.append(
            ConfirmStart(
                actor=med, date=today, location=location,
                expected_end=today + timedelta(days=365 * years - 30),
            )
        )
        go(Stage.IN_TRAINING)
        if spec.progress:
            steps.append(
                RecordProgress(actor=cw, date=today, note="Klantendossier nagekeken: goed op weg.")
            )
        if spec.reassigned:
            others = [c for c in team.caseworkers if c != cw_id]
            caseworker_now = others[n % len(others)]
            steps.append(Reassign(actor=tl, caseworker=caseworker_now, teamlead=team.teamlead))
            cw = Actor(role=Role.CASEWORKER, id=caseworker_now)  # the new caseworker goes on
    if depth >= 6:
        steps.append(RecordEnd(actor=med, result=spec.result, date=today))
        go(Stage.FOLLOW_UP)
        if spec.follow_up_agreed:
            steps.append(
                AgreeFollowUp(
                    actor=med, lead=FollowUpLead.VDAB if n % 2 else FollowUpLead.OCMW,
                    plan="Sollicitatietraining en jobdating in de zorgsector (demo).",
                )
            )
            steps.append(RecordEmployment(actor=cw, employed=True, date=today))

    # Closing.
    if spec.closure is Closure.INELIGIBLE:
        pass  # the negative pre-check closes the file
    elif spec.closure is Closure.AGREEMENT_DECLINED:
        steps.append(DeclineAgreement(actor=cw, reason="Cliënt kiest toch voor werk (demo)."))
    elif spec.closure is Closure.SCREENING_REJECTED:
        reasons = (ScreeningReason.PRECONDITIONS_CHILDCARE, ScreeningReason.PRECONDITIONS_MOBILITY)
        steps.append(RecordScreening(actor=med, approved=False, reasons=reasons))
    elif spec.closure is Closure.WITHDRAWN:
        steps.append(Withdraw(actor=cw, reason="Cliënt verhuist naar een andere gemeente (demo)."))
    elif spec.closure is Closure.CANCELLED:
        steps.append(Cancel())
    if spec.closure is not None:
        go(Stage.CLOSED)

    overdue = spec.target is Stage.ORIENTATION and (
        add_working_days(opened_on, ReminderPolicy().orientation_reminder_days) <= today
    )
    return DemoCase(
        case_id=case_id, ocmw=team.ocmw, caseworker=cw_id, mediator=med_id,
        teamlead=team.teamlead, target=spec.target, closure=spec.closure, opened_on=opened_on,
        registered_jobseeker=spec.registered, overdue=overdue, visits=tuple(visits),
        steps=tuple(steps),
    )


def plan(today: date | None = None) -> tuple[DemoCase, ...]:
    """The demo caseload as of ``today`` (default: today in Brussels). Pure."""
    today = today or local_date(datetime.now(UTC))
    teams = _teams(demo_staff())
    cases = []
    for index, spec in enumerate(_interleaved(SPECS)):
        team = teams[index % len(teams)]
        cases.append(_build(spec, f"{CASE_PREFIX}{index + 1:04d}", team, index // len(teams), today))
    return tuple(cases)


# ------------------------------------------------------------------ for the banner


@dataclass(frozen=True)
class Highlights:
    """Demo cases and staff worth naming in the ``okot dev`` banner."""

    status_case: str
    handover_case: str
    handover_caseworker: str
    caseload_caseworker: str


def highlights(cases: Sequence[DemoCase] | None = None) -> Highlights:
    cases = list(cases if cases is not None else plan())
    overdue = next((c for c in cases if c.overdue), cases[0])
    handover = next(c for c in cases if c.target is Stage.HANDOVER)
    # the busiest caseworker with an overdue case: their caseload says why it is late
    late = {c.caseworker for c in cases if c.overdue}
    busiest = Counter(
        c.caseworker for c in cases if c.target is not Stage.CLOSED and c.caseworker in late
    ).most_common(1)[0][0]
    return Highlights(overdue.case_id, handover.case_id, handover.caseworker, busiest)
