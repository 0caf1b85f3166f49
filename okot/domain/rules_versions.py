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
3. Overdue explained, late files, the other side told (0.3.0):
   - the status says which deadline is overdue, since when and from whom
     (``TrajectoryStatus.overdue_detail``), and a message clears ``overdue`` only
     when it answers that deadline (:func:`explains_overdue`);
   - a file already late when opened or migrated gets at once the reminders and
     the escalation its age calls for, one notice per stream (:func:`catches_up`);
   - ``agree_follow_up`` tells the other side and records who agreed and who
     confirmed (:func:`tells_the_other_side`).

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

CURRENT = 3
"""The rules new trajectories get, and every trajectory after its next continue-as-new."""

START_PATCHES: dict[int, str] = {
    2: "rules-v2-routine-checks-not-overdue",
    3: "rules-v3-overdue-explained",
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


def explains_overdue(rules_version: int) -> bool:
    """Version 3: ``overdue_detail`` is kept, and only an answer to it clears ``overdue``."""
    return rules_version >= 3


def catches_up(rules_version: int) -> bool:
    """Version 3: orientation reminders missed at once (a late file) are counted at once."""
    return rules_version >= 3


def tells_the_other_side(rules_version: int) -> bool:
    """Version 3: a follow-up agreement recorded by one side is mailed to the other."""
    return rules_version >= 3


def upgraded(status: TrajectoryStatus) -> TrajectoryStatus:
    """The status carried to the next run: under the current rules from then on."""
    if status.rules_version >= CURRENT:
        return status
    return status.model_copy(update={"rules_version": CURRENT})
