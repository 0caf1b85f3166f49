"""Wire values, validated identifiers and the base model every shape shares.

Names and values follow the domain contract (docs/domain.md). Pure pydantic: no I/O,
no clock, no Temporal import.
"""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from okot.domain.register_numbers import (
    contains_national_register_number,
    looks_like_national_register_number,
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
    OPERATIONS = "operations"


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
    REPORT_STOPPED = "report_stopped"
    RECORD_END = "record_end"
    AGREE_FOLLOW_UP = "agree_follow_up"
    RECORD_EMPLOYMENT = "record_employment"
    WITHDRAW = "withdraw"
    REASSIGN = "reassign"
    UPDATE_POLICY = "update_policy"


class SystemEvent(StrEnum):
    OPENED = "opened"
    REGISTERED = "registered"
    REGISTRATION_FAILED = "registration_failed"
    DEADLINE = "deadline"
    NOTIFICATION_FAILED = "notification_failed"
    RECORD_FAILED = "record_failed"
    CANCELLED = "cancelled"


# --------------------------------------------------------------------- identifiers

EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)
"""The dates a message or a start may carry; the holiday table of
:mod:`okot.domain.calendar` covers them (and the deadlines that follow them)."""

_CASE_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,63}")
_STAFF_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,63}")
_CODE_RE = re.compile(r"[a-z0-9][a-z0-9_-]{1,63}")
_ID_LIMIT = 64
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
# The messages below never repeat the value: it may be long, or personal data.


def check_case_id(value: str) -> str:
    if len(value) <= _ID_LIMIT and looks_like_national_register_number(value):
        raise ValueError(
            "case_id looks like a national register number (11 digits); use the "
            "opaque, pseudonymous case id of your OCMW, never the INSZ or anything derived from it"
        )
    if len(value) > _ID_LIMIT or not _CASE_ID_RE.fullmatch(value):
        raise ValueError(
            "case_id is not allowed: use 3 to 64 characters, letters, digits, "
            "'-' or '_', starting with a letter or digit"
        )
    return value


def check_staff_id(value: str) -> str:
    if len(value) > _ID_LIMIT or not _STAFF_ID_RE.fullmatch(value):
        raise ValueError(
            "staff id is not allowed: use 2 to 64 characters, letters, digits, "
            "'.', '-' or '_', starting with a letter or digit"
        )
    if looks_like_national_register_number(value):
        raise ValueError("staff id looks like a national register number (11 digits)")
    return value


def check_code(value: str) -> str:
    if len(value) > _ID_LIMIT or not _CODE_RE.fullmatch(value):
        raise ValueError(
            "code is not allowed: use 2 to 64 lower-case letters, digits, "
            "'-' or '_' (for example 'gent')"
        )
    return value


def _check_no_register_number(value: str) -> str:
    if contains_national_register_number(value):
        raise ValueError(
            "contains what looks like a national register number; leave it out "
            "(the case id identifies the client)"
        )
    return value


def check_free_text(value: str) -> str:
    """Free text (notes, reasons, plans): tabs and line breaks, no other control characters."""
    if _CONTROL_RE.search(value):
        raise ValueError(
            "contains a control character; only letters, digits, punctuation, spaces, "
            "tabs and line breaks are allowed"
        )
    return _check_no_register_number(value)


def check_short_text(value: str) -> str:
    """One line of text (a programme, a school, a location): no control characters."""
    if _LINE_CONTROL_RE.search(value):
        raise ValueError(
            "contains a control character or a line break; one line of text is allowed"
        )
    return _check_no_register_number(value)


CaseId = Annotated[str, AfterValidator(check_case_id)]
StaffId = Annotated[str, AfterValidator(check_staff_id)]
OcmwCode = Annotated[str, AfterValidator(check_code)]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(check_free_text),
]
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(check_short_text),
]
Day = Annotated[date, Field(ge=EARLIEST_DAY, le=LATEST_DAY)]
"""A date a person gives: from :data:`EARLIEST_DAY` to :data:`LATEST_DAY`."""


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


SYSTEM_ACTOR = Actor(role=Role.SYSTEM, id="okot-system")
