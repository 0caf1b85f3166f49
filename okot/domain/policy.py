"""The reminder policy: data passed in at start and carried through continue-as-new."""

from __future__ import annotations

from pydantic import (
    Field,
    model_validator,
)

from okot.domain.values import Model

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
