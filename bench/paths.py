"""The message sequence the workflow benchmark and the fault suite both drive."""

from __future__ import annotations

from datetime import date, timedelta

from okot.domain.calendar import add_months
from okot.domain.messages import (
    AgreeFollowUp,
    ConfirmHandover,
    ConfirmStart,
    GiveAgreement,
    Message,
    RecordEnd,
    RecordInfo,
    RecordPrecheck,
    RecordProgress,
    RecordScreening,
    ScheduleIntake,
    SubmitCandidacy,
)
from okot.domain.values import Actor


def happy_path(day: date, cw: Actor, med: Actor) -> list[Message]:
    """The 11 milestones from the info talk to the follow-up agreement of a passed
    training (about 6 mails), sent by caseworker ``cw`` and mediator ``med``."""
    return [
        RecordInfo(actor=med, date=day, channel="info_session"),
        RecordPrecheck(actor=cw, conditions_met=True, twe_active=False, study_level="graduaat"),
        SubmitCandidacy(actor=cw, programme="Verpleegkunde", study_level="graduaat",
                        school="HBO5 Gent", channel="training_guide", mediator=med.id),
        GiveAgreement(actor=cw),
        ConfirmHandover(actor=cw, date=day, channel="phone"),
        ScheduleIntake(actor=med, date=day + timedelta(days=7)),
        RecordScreening(actor=med, approved=True, start_date=day + timedelta(days=14),
                        location="Gent"),
        ConfirmStart(actor=med, date=day, location="Gent", expected_end=add_months(day, 34)),
        RecordProgress(actor=med, date=day, note="Goed op weg, eerste examens behaald"),
        RecordEnd(actor=med, result="passed", date=day),
        AgreeFollowUp(actor=cw, lead="vdab", plan="Sollicitatietraining"),
    ]
