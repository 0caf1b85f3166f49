"""The human milestones: one message model per name, and ``parse_message``."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import (
    Field,
    model_validator,
)

from okot.domain.policy import ReminderPolicy
from okot.domain.values import (
    Actor,
    CandidacyChannel,
    Day,
    FollowUpLead,
    HandoverChannel,
    InfoChannel,
    MessageName,
    Model,
    ScreeningReason,
    ShortText,
    StaffId,
    StudyLevel,
    Text,
    TrainingResult,
)

# ----------------------------------------------------------------------- messages


class Message(Model):
    """A human milestone. Every message carries who sends it."""

    name: ClassVar[MessageName]
    actor: Actor


class RecordInfo(Message):
    name: ClassVar[MessageName] = MessageName.RECORD_INFO
    date: Day
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
    date: Day
    channel: HandoverChannel
    notes: Text | None = None


class ScheduleIntake(Message):
    name: ClassVar[MessageName] = MessageName.SCHEDULE_INTAKE
    date: Day


class RecordScreening(Message):
    name: ClassVar[MessageName] = MessageName.RECORD_SCREENING
    approved: bool
    reasons: tuple[ScreeningReason, ...] = Field((), max_length=len(ScreeningReason))
    start_date: Day | None = None
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
    start_date: Day
    location: ShortText | None = None


class ConfirmStart(Message):
    name: ClassVar[MessageName] = MessageName.CONFIRM_START
    date: Day
    location: ShortText
    expected_end: Day

    @model_validator(mode="after")
    def _consistent(self) -> ConfirmStart:
        if self.expected_end <= self.date:
            raise ValueError("expected_end must be after the start date")
        if (self.expected_end - self.date).days > 4 * 366:
            raise ValueError(
                "expected_end is more than 4 years after the start; an OKOT lasts 1 to 3 years"
            )
        return self


class RecordProgress(Message):
    name: ClassVar[MessageName] = MessageName.RECORD_PROGRESS
    date: Day
    note: Text


class ReportStopped(Message):
    """The caseworker heard that the client stopped during the training (often
    first): the mediator is asked to confirm it with ``record_end``."""

    name: ClassVar[MessageName] = MessageName.REPORT_STOPPED
    date: Day
    note: Text | None = None


class RecordEnd(Message):
    name: ClassVar[MessageName] = MessageName.RECORD_END
    result: TrainingResult
    date: Day


class AgreeFollowUp(Message):
    name: ClassVar[MessageName] = MessageName.AGREE_FOLLOW_UP
    lead: FollowUpLead
    plan: Text


class RecordEmployment(Message):
    name: ClassVar[MessageName] = MessageName.RECORD_EMPLOYMENT
    employed: bool
    date: Day


class Withdraw(Message):
    name: ClassVar[MessageName] = MessageName.WITHDRAW
    reason: Text


class Reassign(Message):
    """Another caseworker and/or mediator takes over.

    ``teamlead`` is the new caseworker's teamlead: the sender's side looks it up
    in the staff directory and passes it, so the rules know whose team the
    trajectory is in.
    """

    name: ClassVar[MessageName] = MessageName.REASSIGN
    caseworker: StaffId | None = None
    mediator: StaffId | None = None
    teamlead: StaffId | None = None

    @model_validator(mode="after")
    def _something(self) -> Reassign:
        if self.caseworker is None and self.mediator is None:
            raise ValueError("reassign needs a new caseworker and/or a new mediator")
        if self.teamlead is not None and self.caseworker is None:
            raise ValueError("teamlead goes with a new caseworker (the new caseworker's teamlead)")
        return self


class UpdatePolicy(Message):
    """Replace the reminder policy of a running trajectory from now on (team lead or operations)."""

    name: ClassVar[MessageName] = MessageName.UPDATE_POLICY
    reason: Text
    policy: ReminderPolicy


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
        ReportStopped,
        RecordEnd,
        AgreeFollowUp,
        RecordEmployment,
        Withdraw,
        Reassign,
        UpdatePolicy,
    )
}


def parse_message(name: str, payload: dict[str, Any]) -> Message:
    """Build the message ``name`` from a JSON-like payload (raises ``ValueError``)."""
    try:
        kind = MessageName(name)
    except ValueError:
        raise ValueError(
            f"unknown message; known: {', '.join(m.value for m in MessageName)}"
        ) from None
    return MESSAGE_TYPES[kind].model_validate(payload)
