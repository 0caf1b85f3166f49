"""A trajectory's state: its status, deadlines, notices, timeline and workflow input."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
)

from okot.domain.keys import Keys
from okot.domain.policy import ReminderPolicy
from okot.domain.reasons import one_line
from okot.domain.values import (
    Actor,
    CandidacyChannel,
    CaseId,
    Closure,
    Day,
    DeadlineKind,
    EmploymentCheck,
    FollowUpLead,
    HandoverChannel,
    InfoChannel,
    Model,
    OcmwCode,
    Role,
    ScreeningReason,
    StaffId,
    Stage,
    StudyLevel,
    TrainingResult,
)

# -------------------------------------------------------------------------- state

MAX_HISTORY_EVENTS = 50_000
"""Temporal ends a workflow whose history reaches 51,200 events; continue long before."""
MAX_HISTORY_BYTES = 40 * 1024 * 1024
"""Temporal ends a workflow whose history reaches 50 MB; continue long before."""


def _bounded_reason(value: object) -> object:
    return one_line(value) if isinstance(value, str) else value


Reason = Annotated[str, BeforeValidator(_bounded_reason)]
"""A rejection reason: one line, cut to :data:`~okot.domain.reasons.REASON_LIMIT`
characters, also when read back from an older run that kept it whole."""


class Deadline(Model):
    kind: DeadlineKind
    due: date
    due_at: datetime
    notify: tuple[Role, ...]
    awaiting: str


class Precheck(Model):
    on: date
    conditions_met: bool
    twe_active: bool
    study_level: StudyLevel
    notes: str | None = None

    @property
    def positive(self) -> bool:
        return self.conditions_met and not self.twe_active


class Candidacy(Model):
    on: date
    programme: str
    study_level: StudyLevel
    school: str
    channel: CandidacyChannel


class Screening(Model):
    on: date
    approved: bool
    reasons: tuple[ScreeningReason, ...] = ()


class Employment(Model):
    check: EmploymentCheck
    employed: bool
    date: dt.date
    recorded_on: dt.date


class Party(Model):
    """Someone a step is awaited from: a role on the trajectory and, if known, its staff id."""

    role: Role
    id: StaffId | None = None


class OverdueDetail(Model):
    """Why a trajectory is overdue: a deadline that asked someone to act has passed
    and nothing answered it (rules version 3; :mod:`okot.domain.overdue`)."""

    kind: DeadlineKind = Field(description="The deadline that was missed first.")
    since: date = Field(description="The day it fell due.")
    awaited_from: tuple[Party, ...] = Field(
        (), description="Who must act: roles and, where known, their staff ids."
    )


class StopReport(Model):
    """The caseworker reported that the client stopped during the training; shown
    until the mediator records the end (``record_end``)."""

    by: Actor
    on: date = Field(description="The day it was reported.")
    stopped_on: date = Field(description="The day the client stopped, as reported.")
    note: str | None = None


class StreamState(Model):
    """Bookkeeping of one reminder stream in the current stage."""

    sent: int = 0
    last: date | None = None


class TrajectoryStatus(Model):
    """The whole current picture of one trajectory (the ``status`` query)."""

    case_id: CaseId
    ocmw: OcmwCode
    caseworker: StaffId
    mediator: StaffId | None = None
    teamlead: StaffId | None = Field(
        None, description="The caseworker's teamlead (staff directory), who may act on the case."
    )
    registered_jobseeker: bool
    jobseeker_reference: str | None = None

    stage: Stage = Stage.ORIENTATION
    stage_since: datetime
    closure: Closure | None = None
    closure_reason: str | None = None
    outcome: TrainingResult | None = None
    opened_at: datetime
    closed_at: datetime | None = None

    info_on: date | None = None
    info_channel: InfoChannel | None = None
    precheck: Precheck | None = None
    candidacy: Candidacy | None = None
    agreement_on: date | None = None
    agreement_contact: StaffId | None = None
    handover_on: date | None = None
    handover_channel: HandoverChannel | None = None
    intake_date: date | None = None
    screening: Screening | None = None
    probable_start: date | None = None
    location: str | None = None
    started_on: date | None = None
    expected_end: date | None = None
    last_progress_on: date | None = None
    ended_on: date | None = None
    follow_up_lead: FollowUpLead | None = None
    follow_up_plan: str | None = None
    follow_up_agreed_on: date | None = None
    follow_up_agreed_by: Actor | None = Field(
        None, description="Who recorded the follow-up agreement (rules version 3)."
    )
    follow_up_confirmed_by: Actor | None = Field(
        None, description="The other side, once it recorded the same lead (rules version 3)."
    )
    stop_report: StopReport | None = None
    employment: tuple[Employment, ...] = ()

    next_deadline: Deadline | None = None
    overdue: bool = False
    overdue_detail: OverdueDetail | None = Field(
        None, description="Which deadline is overdue, since when, awaited from whom "
        "(rules version 3; older statuses: see okot.domain.deadlines.overdue_of)."
    )
    streams: dict[DeadlineKind, StreamState] = Field(default_factory=dict)
    reminders_sent: int = 0
    escalations_sent: int = 0
    registration_attempts: int = 0
    registration_pending: bool = False
    registration_error: str | None = None
    seq: int = Field(0, description="Number of accepted events so far; keys idempotency.")
    policy: ReminderPolicy = ReminderPolicy()
    rules_version: int = Field(
        1, ge=1, description="Version of the journey rules this trajectory runs under "
        "(okot.domain.rules_versions); 1 for a status recorded before versions existed."
    )

    @property
    def is_open(self) -> bool:
        return self.stage is not Stage.CLOSED

    @property
    def study_level(self) -> StudyLevel | None:
        if self.candidacy is not None:
            return self.candidacy.study_level
        return self.precheck.study_level if self.precheck is not None else None

    def employment_at(self, check: EmploymentCheck) -> Employment | None:
        for e in self.employment:
            if e.check is check:
                return e
        return None


class OpenTrajectory(Model):
    """Workflow input: opens one client's trajectory (or continues it as new)."""

    case_id: CaseId
    ocmw: OcmwCode
    caseworker: StaffId
    mediator: StaffId | None = None
    teamlead: StaffId | None = Field(
        None, description="The caseworker's teamlead, looked up in the staff directory by the opener."
    )
    registered_jobseeker: bool = True
    policy: ReminderPolicy = ReminderPolicy()
    opened_on: Day | None = Field(
        None,
        description="When the file was really opened, for a case kept elsewhere until now "
        "(cohort import): orientation deadlines count from that day. Default: today.",
    )
    continue_as_new_after_events: int = Field(
        10_000, ge=10, le=MAX_HISTORY_EVENTS,
        description="History length after which the workflow continues as new.",
    )
    continue_as_new_after_bytes: int = Field(
        4 * 1024 * 1024, ge=100_000, le=MAX_HISTORY_BYTES,
        description="History size (bytes) after which the workflow continues as new, so "
        "that a flood of rejected Signals cannot push it to the server's 50 MB limit.",
    )
    attention_after_seconds: int = Field(
        300, ge=1, le=86_400,
        description="A side effect (audit record, mail) not done after this long is shown "
        "to operations (search attribute OkotAttention, the Web UI's current details).",
    )
    carried: CarriedState | None = None


class Notice(Model):
    """A notification that a transition implies.

    ``to`` is a staff id. For ``role == teamlead`` it names the caseworker whose
    team lead is meant; the team lead is looked up in the staff directory when
    the notification is sent.
    """

    role: Role
    to: StaffId
    template: str
    key: str
    context: dict[str, str | int | bool | None] = Field(default_factory=dict)


class TimelineEntry(Model):
    at: datetime
    kind: str  # "message" or "system"
    name: str
    actor: Actor
    accepted: bool
    summary: str
    reason: Reason | None = None
    stage_before: Stage
    stage_after: Stage
    seq: int


class PendingRecord(Model):
    """An event whose audit record is still to be written (carried through continue-as-new)."""

    entry: TimelineEntry
    payload: dict[str, Any] | None = None
    status: TrajectoryStatus


class CarriedState(Model):
    """What continue-as-new carries to the next run."""

    status: TrajectoryStatus
    timeline: tuple[TimelineEntry, ...] = ()
    keys: Keys | None = Field(
        None, description="The trajectory's key scheme; None for a trajectory whose chain "
        "started before run-scoped keys (it keeps the legacy scheme)."
    )
    records: tuple[PendingRecord, ...] = Field(
        (), description="Audit records not yet written when the run continued as new, in order."
    )
    notices: tuple[Notice, ...] = Field(
        (), description="Notices (with their final keys) not yet delivered or given up."
    )
    stuck: tuple[str, ...] = Field(
        (), description="Keys of the carried effects that were already stuck (OkotAttention)."
    )


OpenTrajectory.model_rebuild()
