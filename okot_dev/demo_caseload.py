"""The demo caseload: a fictitious staff directory and ~40 cases over every stage.

What the demo is, as data: the staff directory
(``okot_dev/demo_data/staff.csv``: clearly fictitious people with
``example.org`` addresses), the training programmes, and :data:`SPECS`, how
far each case goes (every stage is a target, plus five closures). A planned
case is a :class:`DemoCase`: who handles it, where it ends up and the steps
(messages, a wait for the registration, a cancel) that take it there.

:mod:`okot_dev.demo_plan` turns the specs into cases (pure);
:mod:`okot_dev.demo_seed` drives them through real workflows. Case ids are
opaque (``DEMO-0001``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Final

from sqlalchemy.engine import Engine

from okot.db.staff import (
    ImportResult,
    StaffMember,
    import_members,
    parse_csv,
)
from okot.domain.messages import Message
from okot.domain.status import OpenTrajectory
from okot.domain.values import (
    Closure,
    Stage,
    StudyLevel,
    TrainingResult,
    workflow_id_for,
)

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


# ------------------------------------------------------------------ the cases


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
            teamlead=self.teamlead,
            registered_jobseeker=self.registered_jobseeker,
            opened_on=self.opened_on,
        )

    @property
    def messages(self) -> tuple[Message, ...]:
        return tuple(s for s in self.steps if isinstance(s, Message))


PROGRAMMES: Final[tuple[tuple[str, StudyLevel, str], ...]] = (
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
class Spec:
    """How far one case goes (turned into steps by :func:`okot_dev.demo_plan.plan`)."""

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
SPECS: Final[tuple[Spec, ...]] = (
    # orientation: 4 overdue (opened 6 to 17 weeks ago), 3 fresh
    Spec(Stage.ORIENTATION, weeks_ago=6, precheck=False),
    Spec(Stage.ORIENTATION, weeks_ago=8),
    Spec(Stage.ORIENTATION, weeks_ago=11, info=False, precheck=False),
    Spec(Stage.ORIENTATION, weeks_ago=17),
    Spec(Stage.ORIENTATION, weeks_ago=1, precheck=False),
    Spec(Stage.ORIENTATION, weeks_ago=2),
    Spec(Stage.ORIENTATION, info=False, precheck=False),
    # awaiting_agreement
    Spec(Stage.AWAITING_AGREEMENT),
    Spec(Stage.AWAITING_AGREEMENT, registered=False),
    Spec(Stage.AWAITING_AGREEMENT),
    Spec(Stage.AWAITING_AGREEMENT),
    # handover (two of them through registering)
    Spec(Stage.HANDOVER),
    Spec(Stage.HANDOVER, registered=False),
    Spec(Stage.HANDOVER),
    Spec(Stage.HANDOVER, registered=False),
    # screening
    Spec(Stage.SCREENING),
    Spec(Stage.SCREENING, intake=True),
    Spec(Stage.SCREENING, registered=False),
    Spec(Stage.SCREENING, intake=True),
    Spec(Stage.SCREENING),
    # awaiting_start
    Spec(Stage.AWAITING_START),
    Spec(Stage.AWAITING_START, postponed=True),
    Spec(Stage.AWAITING_START, registered=False),
    Spec(Stage.AWAITING_START),
    # in_training
    Spec(Stage.IN_TRAINING),
    Spec(Stage.IN_TRAINING, progress=True),
    Spec(Stage.IN_TRAINING, reassigned=True),
    Spec(Stage.IN_TRAINING),
    Spec(Stage.IN_TRAINING, progress=True),
    Spec(Stage.IN_TRAINING),
    # follow_up, every training result
    Spec(Stage.FOLLOW_UP, result=TrainingResult.PASSED),
    Spec(Stage.FOLLOW_UP, result=TrainingResult.NOT_PASSED),
    Spec(Stage.FOLLOW_UP, result=TrainingResult.STOPPED_EARLY),
    Spec(Stage.FOLLOW_UP, result=TrainingResult.PASSED, follow_up_agreed=True),
    # closed, five closures
    Spec(Stage.CLOSED, Closure.INELIGIBLE, twe_active=True),
    Spec(Stage.CLOSED, Closure.INELIGIBLE),
    Spec(Stage.CLOSED, Closure.AGREEMENT_DECLINED),
    Spec(Stage.CLOSED, Closure.SCREENING_REJECTED),
    Spec(Stage.CLOSED, Closure.WITHDRAWN, closed_from=Stage.HANDOVER),
    Spec(Stage.CLOSED, Closure.CANCELLED, closed_from=Stage.SCREENING),
)
