"""The demo: a fictitious staff directory and ~40 trajectories spread over every stage.

Two halves, kept apart on purpose:

* the **plan** (:func:`plan`) is pure: which case exists, who handles it, how
  far it goes and which messages take it there, computed from ``today`` only.
  The tests run it through :mod:`okot.domain.journey` without any server;
* the **seeding** (:func:`seed`) runs that plan through real workflows with
  :mod:`okot.temporal.trajectories` (open, then one Update per message), so every demo
  case has a true history, timeline, audit log and notifications. Nothing is
  written into a state directly.

Seeding is idempotent: a case whose workflow exists already (or, when an
engine is given, whose trajectory is in the database) is skipped, and a
second run reports every case as skipped. A case whose seeding was
interrupted (Ctrl-C) is finished on the next run, from the first planned
message its timeline does not hold yet; a case that someone has worked on
since is left alone.

Case ids are opaque (``DEMO-0001``); the staff directory
(``okot/demo_data/staff.csv``) holds clearly fictitious people with
``example.org`` addresses.

Overdue cases are honest: they are orientation files opened weeks ago
(``OpenTrajectory.opened_on``), so their orientation reminder falls due as
soon as the workflow starts.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from okot.db.staff import (
    ImportResult,
    StaffMember,
    import_members,
    parse_csv,
)
from okot.db.tables import TRAJECTORY
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
from okot.domain.policy import ReminderPolicy
from okot.domain.status import OpenTrajectory
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
    StudyLevel,
    TrainingResult,
    workflow_id_for,
)
from okot.temporal import trajectories

DATA_DIR: Final = Path(__file__).resolve().parent / "demo_data"
STAFF_CSV: Final = DATA_DIR / "staff.csv"
CASE_PREFIX: Final = "DEMO-"
OCMWS: Final = ("gent", "aalst", "mechelen", "leuven")


# --------------------------------------------------------------------- the staff


def demo_staff() -> list[StaffMember]:
    """The fictitious staff directory shipped with the demo."""
    return parse_csv(STAFF_CSV.read_text(encoding="utf-8"))


def import_demo_staff(engine: Engine) -> ImportResult:
    """Import the demo staff (idempotent: a second import changes nothing)."""
    return import_members(engine, demo_staff())


# --------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class AwaitRegistration:
    """Wait until the registration activity has moved the case on to ``handover``."""


@dataclass(frozen=True)
class Cancel:
    """Cancel the workflow (an administrator stops the file): closes it as ``cancelled``."""


Step = Message | AwaitRegistration | Cancel


@dataclass(frozen=True)
class DemoCase:
    """One demo trajectory: who, where it ends up, and the steps that take it there."""

    case_id: str
    ocmw: str
    caseworker: str
    mediator: str
    teamlead: str
    target: Stage
    """The stage the case is in once seeded."""
    closure: Closure | None
    opened_on: date
    registered_jobseeker: bool
    overdue: bool
    """Opened so long ago that its orientation reminder is due as soon as it starts."""
    visits: tuple[Stage, ...]
    """Every stage the case passes through, in order, ending with ``target``."""
    steps: tuple[Step, ...] = field(repr=False)

    @property
    def workflow_id(self) -> str:
        return workflow_id_for(self.case_id)

    def request(self) -> OpenTrajectory:
        return OpenTrajectory(
            case_id=self.case_id,
            ocmw=self.ocmw,
            caseworker=self.caseworker,
            registered_jobseeker=self.registered_jobseeker,
            opened_on=self.opened_on,
        )

    @property
    def messages(self) -> tuple[Message, ...]:
        return tuple(s for s in self.steps if isinstance(s, Message))


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


_PROGRAMMES: Final[tuple[tuple[str, StudyLevel, str], ...]] = (
    ("Zorgkundige", StudyLevel.SECONDARY, "CVO Demo Zorg"),
    ("Elektrotechnicus", StudyLevel.SE_N_SE, "Technisch Instituut Demo"),
    ("Verpleegkunde (HBO5)", StudyLevel.GRADUAAT, "Demo Hogeschool"),
    ("Bachelor in de verpleegkunde", StudyLevel.BACHELOR, "Demo Hogeschool"),
    ("Kinderbegeleider", StudyLevel.SECONDARY, "CVO Demo Zorg"),
    ("Boekhouden", StudyLevel.GRADUAAT, "Demo Hogeschool"),
    ("Lasser-monteerder", StudyLevel.SE_N_SE, "Technisch Instituut Demo"),
    ("Bachelor in het onderwijs: lager onderwijs", StudyLevel.BACHELOR, "Demo Hogeschool"),
)


@dataclass(frozen=True)
class _Spec:
    """How far one case goes (turned into steps by :func:`_build`)."""

    target: Stage
    closure: Closure | None = None
    closed_from: Stage | None = None
    """For ``withdrawn``/``cancelled``: the stage the case was in when it closed."""
    weeks_ago: int = 0
    """Orientation only: opened this many weeks ago (overdue when past the reminder)."""
    registered: bool = True
    info: bool = True
    precheck: bool = True
    intake: bool = False
    postponed: bool = False
    progress: bool = False
    reassigned: bool = False
    result: TrainingResult = TrainingResult.PASSED
    follow_up_agreed: bool = False
    twe_active: bool = False


# The caseload: 40 cases. Every stage is a target (``registering`` is passed
# through by the clients who were not registered as jobseekers yet: it only
# lasts until the registration activity succeeds), and five closures.
_SPECS: Final[tuple[_Spec, ...]] = (
    # orientation: 4 overdue (opened 6 to 17 weeks ago), 3 fresh
    _Spec(Stage.ORIENTATION, weeks_ago=6, precheck=False),
    _Spec(Stage.ORIENTATION, weeks_ago=8),
    _Spec(Stage.ORIENTATION, weeks_ago=11, info=False, precheck=False),
    _Spec(Stage.ORIENTATION, weeks_ago=17),
    _Spec(Stage.ORIENTATION, weeks_ago=1, precheck=False),
    _Spec(Stage.ORIENTATION, weeks_ago=2),
    _Spec(Stage.ORIENTATION, info=False, precheck=False),
    # awaiting_agreement
    _Spec(Stage.AWAITING_AGREEMENT),
    _Spec(Stage.AWAITING_AGREEMENT, registered=False),
    _Spec(Stage.AWAITING_AGREEMENT),
    _Spec(Stage.AWAITING_AGREEMENT),
    # handover (two of them through registering)
    _Spec(Stage.HANDOVER),
    _Spec(Stage.HANDOVER, registered=False),
    _Spec(Stage.HANDOVER),
    _Spec(Stage.HANDOVER, registered=False),
    # screening
    _Spec(Stage.SCREENING),
    _Spec(Stage.SCREENING, intake=True),
    _Spec(Stage.SCREENING, registered=False),
    _Spec(Stage.SCREENING, intake=True),
    _Spec(Stage.SCREENING),
    # awaiting_start
    _Spec(Stage.AWAITING_START),
    _Spec(Stage.AWAITING_START, postponed=True),
    _Spec(Stage.AWAITING_START, registered=False),
    _Spec(Stage.AWAITING_START),
    # in_training
    _Spec(Stage.IN_TRAINING),
    _Spec(Stage.IN_TRAINING, progress=True),
    _Spec(Stage.IN_TRAINING, reassigned=True),
    _Spec(Stage.IN_TRAINING),
    _Spec(Stage.IN_TRAINING, progress=True),
    _Spec(Stage.IN_TRAINING),
    # follow_up, every training result
    _Spec(Stage.FOLLOW_UP, result=TrainingResult.PASSED),
    _Spec(Stage.FOLLOW_UP, result=TrainingResult.NOT_PASSED),
    _Spec(Stage.FOLLOW_UP, result=TrainingResult.STOPPED_EARLY),
    _Spec(Stage.FOLLOW_UP, result=TrainingResult.PASSED, follow_up_agreed=True),
    # closed, five closures
    _Spec(Stage.CLOSED, Closure.INELIGIBLE, twe_active=True),
    _Spec(Stage.CLOSED, Closure.INELIGIBLE),
    _Spec(Stage.CLOSED, Closure.AGREEMENT_DECLINED),
    _Spec(Stage.CLOSED, Closure.SCREENING_REJECTED),
    _Spec(Stage.CLOSED, Closure.WITHDRAWN, closed_from=Stage.HANDOVER),
    _Spec(Stage.CLOSED, Closure.CANCELLED, closed_from=Stage.SCREENING),
)

_ORDER: Final[tuple[Stage, ...]] = (
    Stage.ORIENTATION,
    Stage.AWAITING_AGREEMENT,
    Stage.HANDOVER,
    Stage.SCREENING,
    Stage.AWAITING_START,
    Stage.IN_TRAINING,
    Stage.FOLLOW_UP,
)


def _interleaved(specs: Sequence[_Spec]) -> list[_Spec]:
    """Round robin over the target stages, so any prefix of the plan is varied."""
    groups: dict[tuple[Stage, Closure | None], list[_Spec]] = {}
    for spec in specs:
        groups.setdefault((spec.target, spec.closure), []).append(spec)
    columns = list(groups.values())
    out: list[_Spec] = []
    for row in itertools.zip_longest(*columns):
        out.extend(s for s in row if s is not None)
    return out


def _opened_on(spec: _Spec, today: date, index: int) -> date:
    if spec.weeks_ago:
        return today - timedelta(weeks=spec.weeks_ago)
    # Recent enough that no orientation reminder is due before the case moves on.
    return today - timedelta(days=3 + index % 20)


def _build(
    spec: _Spec, case_id: str, team: _Team, n: int, today: date
) -> DemoCase:
    cw_id = team.caseworkers[n % len(team.caseworkers)]
    med_id = team.mediators[n % len(team.mediators)]
    cw = Actor(role=Role.CASEWORKER, id=cw_id)
    med = Actor(role=Role.MEDIATOR, id=med_id)
    tl = Actor(role=Role.TEAMLEAD, id=team.teamlead)
    programme, level, school = _PROGRAMMES[n % len(_PROGRAMMES)]
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
            steps.append(Reassign(actor=tl, caseworker=caseworker_now))
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
    for index, spec in enumerate(_interleaved(_SPECS)):
        team = teams[index % len(teams)]
        cases.append(_build(spec, f"{CASE_PREFIX}{index + 1:04d}", team, index // len(teams), today))
    return tuple(cases)


# ------------------------------------------------------------------- the seeding


@dataclass
class SeedReport:
    """What :func:`seed` did: cases opened and driven, skipped (already there), failed."""

    opened: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.opened) + len(self.resumed) + len(self.skipped) + len(self.failed)

    def summary(self) -> str:
        text = f"{len(self.opened)} demo case(s) created, {len(self.skipped)} already there"
        if self.resumed:
            text += f", {len(self.resumed)} half-seeded finished"
        if self.failed:
            text += f", {len(self.failed)} failed ({', '.join(sorted(self.failed))})"
        return text


class SeedError(RuntimeError):
    """One demo case could not be driven to its planned stage."""


async def _workflow_exists(client: Client, workflow_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


def _in_database(engine: Engine, workflow_id: str) -> bool:
    with engine.connect() as conn:
        row = conn.execute(
            select(TRAJECTORY.c.workflow_id).where(TRAJECTORY.c.workflow_id == workflow_id)
        ).first()
    return row is not None


async def _await_registration(client: Client, case_id: str, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        status = await trajectories.status(client, case_id)
        if status.stage is not Stage.REGISTERING:
            return
        if loop.time() > deadline:
            raise SeedError(
                f"{case_id} is still registering after {timeout:.0f} s "
                f"({status.registration_error or 'no answer yet'})"
            )
        await asyncio.sleep(0.1)


def remaining_steps(case: DemoCase, done: Sequence[str]) -> tuple[Step, ...] | None:
    """The steps still to take when the messages ``done`` were accepted already.

    ``None`` when ``done`` is not the start of the plan's messages: someone
    worked on the case by hand, so the seeding leaves it alone.
    """
    planned = [m.name.value for m in case.messages]
    if list(done) != planned[: len(done)]:
        return None
    seen = start = 0
    for index, step in enumerate(case.steps):
        if isinstance(step, Message):
            if seen == len(done):
                break
            seen += 1
            start = index + 1  # what follows an accepted message (a wait, say) is still to do
    return case.steps[start:]


async def _take(
    client: Client, case: DemoCase, steps: Sequence[Step], registration_timeout: float
) -> None:
    handle = trajectories.handle_for(client, case.case_id)
    for step in steps:
        if isinstance(step, AwaitRegistration):
            await _await_registration(client, case.case_id, registration_timeout)
        elif isinstance(step, Cancel):
            await handle.cancel()
            try:
                await asyncio.wait_for(handle.result(), registration_timeout)
            except TimeoutError:
                raise SeedError(f"{case.case_id} did not close after the cancel") from None
        else:
            try:
                await trajectories.send(client, case.case_id, step)
            except trajectories.MessageRejected as rejected:
                raise SeedError(f"{case.case_id}: {step.name.value} rejected: {rejected}") from None


async def _resume(
    client: Client, case: DemoCase, registration_timeout: float
) -> bool:
    """Finish a case whose seeding was interrupted (Ctrl-C); ``False`` if nothing to do."""
    description = await client.get_workflow_handle(case.workflow_id).describe()
    if description.status is not WorkflowExecutionStatus.RUNNING:
        return False
    entries = await trajectories.timeline(client, case.case_id)
    done = [e.name for e in entries if e.kind == "message" and e.accepted]
    steps = remaining_steps(case, done)
    if not steps or all(isinstance(s, AwaitRegistration) for s in steps):
        return False
    await _take(client, case, steps, registration_timeout)
    return True


async def run_case(
    client: Client, task_queue: str, case: DemoCase, *, engine: Engine | None = None,
    registration_timeout: float = 60.0,
) -> str:
    """Open ``case`` and take its steps.

    Returns ``"opened"``, ``"resumed"`` (it existed, half seeded: the missing
    steps were taken) or ``"skipped"`` (it exists already as planned, or was
    worked on since).
    """
    if await _workflow_exists(client, case.workflow_id):
        resumed = await _resume(client, case, registration_timeout)
        return "resumed" if resumed else "skipped"
    if engine is not None and await asyncio.to_thread(_in_database, engine, case.workflow_id):
        return "skipped"
    try:
        await trajectories.open_trajectory(client, case.request(), task_queue)
    except trajectories.AlreadyOpen:
        return "skipped"
    await _take(client, case, case.steps, registration_timeout)
    return "opened"


async def seed(
    client: Client,
    task_queue: str,
    *,
    limit: int | None = None,
    cases: Sequence[DemoCase] | None = None,
    engine: Engine | None = None,
    concurrency: int = 8,
    today: date | None = None,
) -> SeedReport:
    """Create the demo caseload through real workflows; skips cases that exist.

    ``limit`` seeds only the first cases of the plan (the plan is interleaved,
    so a prefix still visits many stages). ``engine``, when given, is also
    consulted, so a case that Temporal no longer knows (retention) but the
    database does is not created again.
    """
    chosen = list(cases if cases is not None else plan(today))[:limit]
    report = SeedReport()
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(case: DemoCase) -> None:
        async with gate:
            try:
                outcome = await run_case(client, task_queue, case, engine=engine)
            except (SeedError, RPCError, trajectories.MessageRejected) as error:
                report.failed[case.case_id] = str(error)
                return
        {"opened": report.opened, "resumed": report.resumed}.get(
            outcome, report.skipped
        ).append(case.case_id)

    await asyncio.gather(*(one(case) for case in chosen))
    for ids in (report.opened, report.resumed, report.skipped):
        ids.sort()
    return report


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
    busiest = Counter(
        c.caseworker for c in cases if c.target is not Stage.CLOSED
    ).most_common(1)[0][0]
    return Highlights(overdue.case_id, handover.case_id, handover.caseworker, busiest)
