"""The reminder policy: data passed in at start and carried through continue-as-new."""

from __future__ import annotations

from pydantic import (
    Field,
    model_validator,
)

from okot.domain.values import Model

# ------------------------------------------------------------------------- policy

MAX_DAYS = 260
"""Most working days of any reminder period (about a year)."""
MAX_MONTHS = 36
"""Most months of a progress or employment check period."""
MAX_REMINDERS = 52
"""Most reminders before the orientation escalation."""


class ReminderPolicy(Model):
    """When reminders and escalations fall due, in Belgian working days.

    Data, not code: passed in at start and carried through continue-as-new, so
    a running trajectory keeps the policy it started with.
    """

    orientation_reminder_days: int = Field(20, ge=1, le=MAX_DAYS)
    orientation_escalate_after_reminders: int = Field(3, ge=1, le=MAX_REMINDERS)
    agreement_reminder_days: int = Field(5, ge=1, le=MAX_DAYS)
    agreement_escalation_days: int = Field(10, ge=1, le=MAX_DAYS)
    handover_reminder_days: int = Field(5, ge=1, le=MAX_DAYS)
    handover_escalation_days: int = Field(10, ge=1, le=MAX_DAYS)
    screening_reminder_days: int = Field(15, ge=1, le=MAX_DAYS)
    screening_after_intake_days: int = Field(2, ge=1, le=MAX_DAYS)
    screening_escalation_days: int = Field(30, ge=1, le=MAX_DAYS)
    start_reminder_days: int = Field(5, ge=1, le=MAX_DAYS)
    progress_check_months: int = Field(3, ge=1, le=MAX_MONTHS)
    end_reminder_days: int = Field(10, ge=1, le=MAX_DAYS)
    follow_up_reminder_days: int = Field(10, ge=1, le=MAX_DAYS)
    employment_check_months: tuple[int, int] = (6, 12)
    close_after_last_check_days: int = Field(20, ge=1, le=MAX_DAYS)
    repeat_days: int = Field(
        10,
        ge=1,
        le=MAX_DAYS,
        description="A one-off reminder or escalation that is not answered is "
        "repeated every this many working days, so nothing falls through the cracks.",
    )
    registration_retry_days: int = Field(1, ge=1, le=MAX_DAYS)

    @model_validator(mode="after")
    def _ordered(self) -> ReminderPolicy:
        six, twelve = self.employment_check_months
        if not 0 < six < twelve <= MAX_MONTHS:
            raise ValueError(
                f"employment_check_months must be two increasing month counts, "
                f"at most {MAX_MONTHS}"
            )
        for stage in ("agreement", "handover", "screening"):
            if getattr(self, f"{stage}_escalation_days") <= getattr(self, f"{stage}_reminder_days"):
                raise ValueError(f"{stage}_escalation_days must be after {stage}_reminder_days")
        return self
