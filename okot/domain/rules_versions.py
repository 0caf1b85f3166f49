"""The versions of the journey rules, and what differs between them.

A trajectory runs for years; the rules change under it. Each trajectory
carries the version of the rules it runs under (``TrajectoryStatus.rules_version``):
set when it is opened, kept as it is while the run goes on (so its recorded
history replays), and moved to :data:`CURRENT` at continue-as-new, the one safe
point where a trajectory may change rules (:func:`upgraded`). Every rule that
differs between versions asks this module, with the version as input.

1. The 0.1.0 rules: every reminder or escalation that fires sets ``overdue``.
2. Routine checks (the quarterly progress check in ``in_training``, the 6- and
   12-month employment checks in ``follow_up``) are reminders: they are sent
   and counted, but no longer make the trajectory ``overdue``.

Shipping version N+1: add it here with the rule it changes, add its patch id
to :data:`START_PATCHES` (the workflow opens new trajectories under the newest
version whose patch it is not replaying without), and keep every older branch
until no running trajectory uses it (README, "Changing a running workflow").
"""

from __future__ import annotations

from okot.domain.status import TrajectoryStatus
from okot.domain.values import DeadlineKind

FIRST = 1
"""The rules of 0.1.0, the version of every status recorded without one."""

CURRENT = 2
"""The rules new trajectories get, and every trajectory after its next continue-as-new."""

START_PATCHES: dict[int, str] = {
    2: "rules-v2-routine-checks-not-overdue",
}
"""Version -> ``workflow.patched`` id under which a new trajectory starts with it."""

ROUTINE_CHECKS = frozenset(
    {DeadlineKind.PROGRESS_CHECK, DeadlineKind.EMPLOYMENT_CHECK_6M, DeadlineKind.EMPLOYMENT_CHECK_12M}
)
"""Reminders that ask for a routine check rather than chase a step that is late."""


def sets_overdue(kind: DeadlineKind, rules_version: int) -> bool:
    """Whether a notice of ``kind`` that fires marks the trajectory ``overdue``."""
    if rules_version < 2:
        return True
    return kind not in ROUTINE_CHECKS


def upgraded(status: TrajectoryStatus) -> TrajectoryStatus:
    """The status carried to the next run: under the current rules from then on."""
    if status.rules_version >= CURRENT:
        return status
    return status.model_copy(update={"rules_version": CURRENT})
