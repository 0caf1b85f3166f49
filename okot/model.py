"""The domain model: every wire value, message and shape that the project shares.

Names and values follow ``shared/domain.md``. Everything here is pure pydantic:
no I/O, no clock, no Temporal import. Validation is strict and explains itself,
so a malformed payload is refused with one readable line before it can touch
any state.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

# --------------------------------------------------------------------------- enums


class Stage(StrEnum):
    ORIENTATION = "orientation"
    AWAITING_AGREEMENT = "awaiting_agreement"
    REGISTERING = "registering"
    HANDOVER = "handover"
    SCREENING = "screening"
    AWAITING_START = "awaiting_start"
    IN_TRAINING = "in_training"
    FOLLOW_UP = "follow_up"
    CLOSED = "closed"


OPEN_STAGES: tuple[Stage, ...] = tuple(s for s in Stage if s is not Stage.CLOSED)
STAGES_BEFORE_START: tuple[Stage, ...] = (
    Stage.ORIENTATION,
    Stage.AWAITING_AGREEMENT,
    Stage.REGISTERING,
    Stage.HANDOVER,
    Stage.SCREENING,
    Stage.AWAITING_START,
)


class Closure(StrEnum):
    INELIGIBLE = "ineligible"
    AGREEMENT_DECLINED = "agreement_declined"
    SCREENING_REJECTED = "screening_rejected"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TrainingResult(StrEnum):
    PASSED = "passed"
    NOT_PASSED = "not_passed"
    STOPPED_EARLY = "stopped_early"


class StudyLevel(StrEnum):
    SECONDARY = "secondary"
    SE_N_SE = "se_n_se"
    GRADUAAT = "graduaat"
    BACHELOR = "bachelor"


class InfoChannel(StrEnum):
    INFO_SESSION = "info_session"
    MEDIATOR_TALK = "mediator_talk"


class CandidacyChannel(StrEnum):
    TRAINING_GUIDE = "training_guide"
    MEDIATOR = "mediator"


class HandoverChannel(StrEnum):
    PHONE = "phone"
    MEETING = "meeting"
    EMAIL = "email"


class ScreeningReason(StrEnum):
    MOTIVATION = "motivation"
    PRECONDITIONS_FINANCIAL = "preconditions_financial"
    PRECONDITIONS_MOBILITY = "preconditions_mobility"
    PRECONDITIONS_CHILDCARE = "preconditions_childcare"
    FIT = "fit"
    LEARNING_ABILITY = "learning_ability"
    OTHER = "other"


class Role(StrEnum):
    CASEWORKER = "caseworker"
    MEDIATOR = "mediator"
    TEAMLEAD = "teamlead"
    SYSTEM = "system"


class FollowUpLead(StrEnum):
    VDAB = "vdab"
    OCMW = "ocmw"


class EmploymentCheck(StrEnum):
    """Which follow-up employment check a `record_employment` answers."""

    EARLY = "early"
    MONTH_6 = "month_6"
    MONTH_12 = "month_12"


class DeadlineKind(StrEnum):
    """What a timer is for. Each kind has its own notification template."""

    ORIENTATION_REMINDER = "orientation_reminder"
    ORIENTATION_ESCALATION = "orientation_escalation"
    AGREEMENT_REMINDER = "agreement_reminder"
    AGREEMENT_ESCALATION = "agreement_escalation"
    REGISTRATION_RETRY = "registration_retry"
    HANDOVER_REMINDER = "handover_reminder"
    HANDOVER_ESCALATION = "handover_escalation"
    SCREENING_REMINDER = "screening_reminder"
    SCREENING_ESCALATION = "screening_escalation"
    START_REMINDER = "start_reminder"
    PROGRESS_CHECK = "progress_check"
    END_REMINDER = "end_reminder"
    FOLLOW_UP_REMINDER = "follow_up_reminder"
    EMPLOYMENT_CHECK_6M = "employment_check_6m"
    EMPLOYMENT_CHECK_12M = "employment_check_12m"
    FOLLOW_UP_CLOSE = "follow_up_close"


class MessageName(StrEnum):
    RECORD_INFO = "record_info"
    RECORD_PRECHECK = "record_precheck"
    SUBMIT_CANDIDACY = "submit_candidacy"
    GIVE_AGREEMENT = "give_agreement"
    DECLINE_AGREEMENT = "decline_agreement"
    CONFIRM_HANDOVER = "confirm_handover"
    SCHEDULE_INTAKE = "schedule_intake"
    RECORD_SCREENING = "record_screening"
    POSTPONE_START = "postpone_start"
    CONFIRM_START = "confirm_start"
    RECORD_PROGRESS = "record_progress"
    RECORD_END = "record_end"
    AGREE_FOLLOW_UP = "agree_follow_up"
    RECORD_EMPLOYMENT = "record_employment"
    WITHDRAW = "withdraw"
    REASSIGN = "reassign"


class SystemEvent(StrEnum):
    OPENED = "opened"
    REGISTERED = "registered"
    REGISTRATION_FAILED = "registration_failed"
    DEADLINE = "deadline"
    NOTIFICATION_FAILED = "notification_failed"
    CANCELLED = "cancelled"


# --------------------------------------------------------------------- identifiers

_CASE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$")
_NRN_SEPARATORS_RE = re.compile(r"[\s./_-]")
_ELEVEN_DIGITS_RE = re.compile(r"\d{11}")


def looks_like_national_register_number(value: str) -> bool:
    """True when ``value`` could be a Belgian national register number (INSZ).

    That is 11 digits, written with or without the usual separators
    (``85.07.30-033.28``, ``850730 033 28``, ``85073003328``), or any run of
    11 digits inside a longer id.
    """
    compact = _NRN_SEPARATORS_RE.sub("", value)
    return (compact.isdigit() and len(compact) == 11) or bool(_ELEVEN_DIGITS_RE.search(value))


def check_case_id(value: str) -> str:
    if looks_like_national_register_number(value):
        raise ValueError(
            "case_id looks like a national register number (11 digits); use the "
            "opaque, pseudonymous case id of your OCMW, never the INSZ or anything derived from it"
        )
    if not _CASE_ID_RE.match(value):
        raise ValueError(
            f"case_id {value!r} is not allowed: use 3 to 64 characters, letters, digits, "
            "'-' or '_', starting with a letter or digit"
        )
    return value


_STAFF_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$")


def check_staff_id(value: str) -> str:
    if not _STAFF_ID_RE.match(value):
        raise ValueError(
            f"staff id {value!r} is not allowed: use 2 to 64 characters, letters, digits, "
            "'.', '-' or '_', starting with a letter or digit"
        )
    if looks_like_national_register_number(value):
        raise ValueError("staff id looks like a national register number (11 digits)")
    return value


_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")


def check_code(value: str) -> str:
    if not _CODE_RE.match(value):
        raise ValueError(
            f"code {value!r} is not allowed: use 2 to 64 lower-case letters, digits, "
            "'-' or '_' (for example 'gent')"
        )
    return value


CaseId = Annotated[str, AfterValidator(check_case_id)]
StaffId = Annotated[str, AfterValidator(check_staff_id)]
OcmwCode = Annotated[str, AfterValidator(check_code)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def workflow_id_for(case_id: str) -> str:
    """The workflow id of a client's trajectory: ``okot-<case_id>``."""
    return f"okot-{check_case_id(case_id)}"


# ------------------------------------------------------------------------- models


class Model(BaseModel):
    """Base of every model: strict about unknown fields, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)


class Actor(Model):
    role: Role
    id: StaffId


# ----------------------------------------------------------------------- messages


class Message(Model):
    """A human milestone. Every message carries who sends it."""

    name: ClassVar[MessageName]
    actor: Actor


class RecordInfo(Message):
    name: ClassVar[MessageName] = MessageName.RECORD_INFO
    date: date
    channel: InfoChannel


class RecordPrecheck(Message):
    name: ClassVar[MessageName] = MessageName.RECORD_PRECHECK
    conditions_met: bool
    twe_active: bool
    study_level: StudyLevel
    notes: Text | None = None


class SubmitCandidacy(Message):
    name: ClassVar[MessageName] = MessageName.SUBMIT_CANDIDACY
    programme: ShortText
    study_level: StudyLevel
    school: ShortText
    channel: CandidacyChannel
    mediator: StaffId


class GiveAgreement(Message):
    """The formal agreement. ``contact`` overrides whose contact details VDAB gets.

    It is a staff id (default: the caseworker); the name, phone and e-mail are
    looked up in the staff directory when the 'formeel akkoord' mail is sent,
    so no contact details ever enter the workflow history.
    """

    name: ClassVar[MessageName] = MessageName.GIVE_AGREEMENT
    contact: StaffId | None = None


class DeclineAgreement(Message):
    name: ClassVar[MessageName] = MessageName.DECLINE_AGREEMENT
    reason: Text


class ConfirmHandover(Message):
    name: ClassVar[MessageName] = MessageName.CONFIRM_HANDOVER
    date: date
    channel: HandoverChannel
    notes: Text | None = None


class ScheduleIntake(Message):
    name: ClassVar[MessageName] = MessageName.SCHEDULE_INTAKE
    date: date


class RecordScreening(Message):
    name: ClassVar[MessageName] = MessageName.RECORD_SCREENING
    approved: bool
    reasons: tuple[ScreeningReason, ...] = ()
    start_date: date | None = None
    location: ShortText | None = None

    @model_validator(mode="after")
    def _consistent(self) -> RecordScreening:
        if self.approved and (self.start_date is None or self.location is None):
            raise ValueError(
                "an approved screening needs the probable start_date and location"
            )
        if not self.approved and not self.reasons:
            raise ValueError(
                "a rejected screening needs at least one reason code: "
                + ", ".join(r.value for r in ScreeningReason)
            )
        if len(set(self.reasons)) != len(self.reasons):
            raise ValueError("reasons lists a code twice")
        return self


class PostponeStart(Message):
    name: ClassVar[MessageName] = MessageName.POSTPONE_START
    start_date: date
    location: ShortText | None = None


class ConfirmStart(Message):
    name: ClassVar[MessageName] = MessageName.CONFIRM_START
    date: date
    location: ShortText
    expected_end: dt.date

    @model_validator(mode="after")
    def _consistent(self) -> ConfirmStart:
        if self.expected_end <= self.date:
            raise ValueError(
                f"expected_end {self.expected_end} must be after the start date {self.date}"
            )
        if (self.expected_end - self.date).days > 4 * 366:
            raise ValueError(
                "expected_end is more than 4 years after the start; an OKOT lasts 1 to 3 years"
            )
        return self


class RecordProgress(Message):
    name: ClassVar[MessageName] = MessageName.RECORD_PROGRESS
    date: date
    note: Text


class RecordEnd(Message):
    name: ClassVar[MessageName] = MessageName.RECORD_END
    result: TrainingResult
    date: date


class AgreeFollowUp(Message):
    name: ClassVar[MessageName] = MessageName.AGREE_FOLLOW_UP
    lead: FollowUpLead
    plan: Text


class RecordEmployment(Message):
    name: ClassVar[MessageName] = MessageName.RECORD_EMPLOYMENT
    employed: bool
    date: date


class Withdraw(Message):
    name: ClassVar[MessageName] = MessageName.WITHDRAW
    reason: Text


class Reassign(Message):
    name: ClassVar[MessageName] = MessageName.REASSIGN
    caseworker: StaffId | None = None
    mediator: StaffId | None = None

    @model_validator(mode="after")
    def _something(self) -> Reassign:
        if self.caseworker is None and self.mediator is None:
            raise ValueError("reassign needs a new caseworker and/or a new mediator")
        return self


MESSAGE_TYPES: dict[MessageName, type[Message]] = {
    cls.name: cls
    for cls in (
        RecordInfo,
        RecordPrecheck,
        SubmitCandidacy,
        GiveAgreement,
        DeclineAgreement,
        ConfirmHandover,
        ScheduleIntake,
        RecordScreening,
        PostponeStart,
        ConfirmStart,
        RecordProgress,
        RecordEnd,
        AgreeFollowUp,
        RecordEmployment,
        Withdraw,
        Reassign,
    )
}


def parse_message(name: str, payload: dict[str, Any]) -> Message:
    """Build the message ``name`` from a JSON-like payload (raises ``ValueError``)."""
    try:
        kind = MessageName(name)
    except ValueError:
        raise ValueError(
            f"unknown message {name!r}; known: {', '.join(m.value for m in MessageName)}"
        ) from None
    return MESSAGE_TYPES[kind].model_validate(payload)


# ------------------------------------------------------------------------- policy


class ReminderPolicy(Model):
    """When reminders and escalations fall due, in Belgian working days.

    Data, not code: passed in at start and carried through continue-as-new, so
    a running trajectory keeps the policy it started with.
    """

    orientation_reminder_days: int = Field(20, ge=1)
    orientation_escalate_after_reminders: int = Field(3, ge=1)
    agreement_reminder_days: int = Field(5, ge=1)
    agreement_escalation_days: int = Field(10, ge=1)
    handover_reminder_days: int = Field(5, ge=1)
    handover_escalation_days: int = Field(10, ge=1)
    screening_reminder_days: int = Field(15, ge=1)
    screening_after_intake_days: int = Field(2, ge=1)
    screening_escalation_days: int = Field(30, ge=1)
    start_reminder_days: int = Field(5, ge=1)
    progress_check_months: int = Field(3, ge=1)
    end_reminder_days: int = Field(10, ge=1)
    follow_up_reminder_days: int = Field(10, ge=1)
    employment_check_months: tuple[int, int] = (6, 12)
    close_after_last_check_days: int = Field(20, ge=1)
    repeat_days: int = Field(
        10,
        ge=1,
        description="A one-off reminder or escalation that is not answered is "
        "repeated every this many working days, so nothing falls through the cracks.",
    )
    registration_retry_days: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> ReminderPolicy:
        six, twelve = self.employment_check_months
        if not 0 < six < twelve:
            raise ValueError("employment_check_months must be two increasing month counts")
        for stage in ("agreement", "handover", "screening"):
            if getattr(self, f"{stage}_escalation_days") <= getattr(self, f"{stage}_reminder_days"):
                raise ValueError(f"{stage}_escalation_days must be after {stage}_reminder_days")
        return self


# -------------------------------------------------------------------------- state


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
    employment: tuple[Employment, ...] = ()

    next_deadline: Deadline | None = None
    overdue: bool = False
    streams: dict[DeadlineKind, StreamState] = Field(default_factory=dict)
    reminders_sent: int = 0
    escalations_sent: int = 0
    registration_attempts: int = 0
    registration_pending: bool = False
    registration_error: str | None = None
    seq: int = Field(0, description="Number of accepted events so far; keys idempotency.")
    policy: ReminderPolicy = ReminderPolicy()

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
    registered_jobseeker: bool = True
    policy: ReminderPolicy = ReminderPolicy()
    opened_on: date | None = Field(
        None,
        description="When the file was really opened, for a case kept elsewhere until now "
        "(cohort import): orientation deadlines count from that day. Default: today.",
    )
    continue_as_new_after_events: int = Field(
        10_000, ge=10, description="History length after which the workflow continues as new."
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
    reason: str | None = None
    stage_before: Stage
    stage_after: Stage
    seq: int


class CarriedState(Model):
    """What continue-as-new carries to the next run."""

    status: TrajectoryStatus
    timeline: tuple[TimelineEntry, ...] = ()


OpenTrajectory.model_rebuild()


SYSTEM_ACTOR = Actor(role=Role.SYSTEM, id="okot-system")


# ---------------------------------------------------------- activity inputs/outputs


class RecordRequest(Model):
    """One accepted or rejected message, or system event, for the audit log.

    ``status`` is the trajectory's status after the event (the snapshot); the
    database keeps a snapshot only when its ``seq`` is newer than the stored one.
    ``key`` is unique per event (workflow id + sequence) so a retry records once.
    """

    workflow_id: str
    key: str
    entry: TimelineEntry
    payload: dict[str, Any] | None = None
    status: TrajectoryStatus


class NotifyRequest(Model):
    workflow_id: str
    notice: Notice


class NotifyResult(Model):
    outbox_id: int
    state: str  # "queued", "sent", "failed"
    detail: str | None = None


class RegisterRequest(Model):
    workflow_id: str
    case_id: CaseId
    ocmw: OcmwCode
    key: str


class RegisterResult(Model):
    reference: str
