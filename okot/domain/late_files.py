"""A file already late when it is opened or migrated (pure; rules version 3).

A file kept elsewhere until now (``okot open --opened-on``, the cohort import)
counts its orientation deadlines from the day it was really opened. When the
workflow starts, several reminder periods may already have passed: it gets at
once what its age calls for (so many reminders, then escalations after
``orientation_escalate_after_reminders``), counted in their streams, with one
notice per stream (a reminder due together with an escalation is folded into
it, as for any timer that fires late), and then the normal cadence from that
day. The same holds for a worker that was down for weeks.

:func:`catch_up` says how many periods were missed and how they split;
:func:`okot.domain.deadlines.fire_deadlines` applies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from okot.domain.calendar import due_at, local_date, working_days_between


@dataclass(frozen=True)
class CatchUp:
    """Missed orientation periods, split over the two streams."""

    missed: int
    reminders: int
    escalations: int

    @property
    def notice(self) -> str | None:
        """The one notice to send: the escalation when one is due (the reminders are
        folded into it), else the reminder; ``None`` when nothing was missed."""
        if self.escalations:
            return "escalation"
        return "reminder" if self.reminders else None


def reference_day(now: datetime) -> date:
    """The last day whose deadline (09:00 in Brussels) has passed at ``now``."""
    today = local_date(now)
    return today if now >= due_at(today) else today - timedelta(days=1)


def missed_periods(base: date, period: int, day: date) -> int:
    """How many deadlines every ``period`` working days after ``base`` fell due by ``day``."""
    if period < 1:
        raise ValueError("period must be at least one working day")
    return working_days_between(base, day) // period


def split(sent: int, missed: int, escalate_after: int) -> tuple[int, int]:
    """(reminders, escalations) among ``missed`` deadlines after ``sent`` were sent: the
    first ``escalate_after`` of the stream are reminders, the rest escalations."""
    reminders = max(0, min(missed, escalate_after - sent))
    return reminders, missed - reminders


def catch_up(sent: int, base: date, now: datetime, period: int, escalate_after: int) -> CatchUp:
    """What an orientation stream with ``sent`` notices so far, the last on ``base`` (or
    opened then), has missed at ``now``. Asked when its deadline is due: at least one."""
    missed = max(1, missed_periods(base, period, reference_day(now)))
    reminders, escalations = split(sent, missed, escalate_after)
    return CatchUp(missed, reminders, escalations)
