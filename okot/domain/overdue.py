"""What "overdue" means, and how it is said (pure).

A trajectory is overdue when a deadline that asked someone to act has passed and
nothing answered it. Routine checks (quarterly progress, employment after 6 and
12 months) are reminders, never overdue (:func:`okot.domain.rules_versions.sets_overdue`).
Under rules version 3 the status keeps which deadline was missed, since when and
from whom (:class:`~okot.domain.status.OverdueDetail`, set by
:func:`okot.domain.deadlines.fire_deadlines`), and a message clears it only when
it answers that deadline (:data:`ANSWERS`). The words of the CLI and the Web UI
details come from :func:`describe`; the web app has its Dutch ones.
"""

from __future__ import annotations

from datetime import date

from okot.domain import authorization
from okot.domain.status import OverdueDetail, Party, TrajectoryStatus
from okot.domain.values import DeadlineKind, MessageName, Role

K = DeadlineKind
_CW, _MED = Role.CASEWORKER, Role.MEDIATOR

AWAITED_FROM: dict[DeadlineKind, tuple[Role, ...]] = {
    K.ORIENTATION_REMINDER: (_CW,),
    K.ORIENTATION_ESCALATION: (_CW,),
    K.AGREEMENT_REMINDER: (_CW,),
    K.AGREEMENT_ESCALATION: (_CW,),
    K.REGISTRATION_RETRY: (),
    K.HANDOVER_REMINDER: (_CW,),
    K.HANDOVER_ESCALATION: (_CW,),
    K.SCREENING_REMINDER: (_MED,),
    K.SCREENING_ESCALATION: (_MED,),
    K.START_REMINDER: (_MED,),
    K.PROGRESS_CHECK: (_CW,),
    K.END_REMINDER: (_MED,),
    K.FOLLOW_UP_REMINDER: (_CW, _MED),
    K.EMPLOYMENT_CHECK_6M: (_CW,),
    K.EMPLOYMENT_CHECK_12M: (_CW,),
    K.FOLLOW_UP_CLOSE: (_CW,),
}
"""Who must act when a deadline of each kind has passed (the team lead is told of an
escalation, but the step is still awaited from the caseworker or the mediator)."""

WHAT: dict[DeadlineKind, str] = {
    K.ORIENTATION_REMINDER: "candidacy",
    K.ORIENTATION_ESCALATION: "candidacy",
    K.AGREEMENT_REMINDER: "formal agreement",
    K.AGREEMENT_ESCALATION: "formal agreement",
    K.REGISTRATION_RETRY: "jobseeker registration",
    K.HANDOVER_REMINDER: "warm handover",
    K.HANDOVER_ESCALATION: "warm handover",
    K.SCREENING_REMINDER: "screening result",
    K.SCREENING_ESCALATION: "screening result",
    K.START_REMINDER: "start of the training",
    K.PROGRESS_CHECK: "progress check",
    K.END_REMINDER: "end of the training",
    K.FOLLOW_UP_REMINDER: "follow-up agreement",
    K.EMPLOYMENT_CHECK_6M: "6-month employment check",
    K.EMPLOYMENT_CHECK_12M: "12-month employment check",
    K.FOLLOW_UP_CLOSE: "12-month employment check",
}
"""What was awaited, in a few English words (the CLI, the Web UI details)."""

ANSWERS: dict[MessageName, frozenset[DeadlineKind]] = {
    MessageName.SCHEDULE_INTAKE: frozenset({K.SCREENING_REMINDER, K.SCREENING_ESCALATION}),
    MessageName.POSTPONE_START: frozenset({K.START_REMINDER}),
    MessageName.RECORD_PROGRESS: frozenset({K.PROGRESS_CHECK}),
    MessageName.AGREE_FOLLOW_UP: frozenset({K.FOLLOW_UP_REMINDER}),
    MessageName.RECORD_EMPLOYMENT: frozenset({K.EMPLOYMENT_CHECK_6M, K.EMPLOYMENT_CHECK_12M}),
}
"""Messages that answer a deadline without moving the stage on (a stage change
answers everything). A planned intake answers the screening reminder and escalation
for now: an escalation repeats until the result is in, and is overdue again then."""

LEGACY_ANSWERS = frozenset(ANSWERS)
"""Rules versions 1 and 2: any of these messages cleared ``overdue``, whatever was late."""


def parties(status: TrajectoryStatus, kind: DeadlineKind) -> tuple[Party, ...]:
    """Who a deadline of ``kind`` awaits on this trajectory, with their staff ids."""
    return tuple(Party(role=role, id=authorization.holder(status, role))
                 for role in AWAITED_FROM[kind])


def detail(status: TrajectoryStatus, kind: DeadlineKind, since: date) -> OverdueDetail:
    return OverdueDetail(kind=kind, since=since, awaited_from=parties(status, kind))


def refreshed(status: TrajectoryStatus) -> TrajectoryStatus:
    """The status with the overdue detail naming the current holders (after a reassignment)."""
    current = status.overdue_detail
    if current is None:
        return status
    now = parties(status, current.kind)
    if now == current.awaited_from:
        return status
    return status.model_copy(update={"overdue_detail": current.model_copy(
        update={"awaited_from": now})})


def clears(status: TrajectoryStatus, name: MessageName, precise: bool) -> bool:
    """Whether an accepted ``name`` that leaves the stage as it is clears ``overdue``.

    ``precise`` (rules version 3): only when it answers the overdue deadline; a
    status that is overdue without a detail (set under older rules) is answered
    as before.
    """
    if not precise or status.overdue_detail is None:
        return name in LEGACY_ANSWERS
    return status.overdue_detail.kind in ANSWERS.get(name, frozenset())


def what(kind: DeadlineKind, status: TrajectoryStatus | None = None) -> str:
    """What was awaited; in orientation, the pre-check too while it is not positive."""
    if status is not None and kind in (K.ORIENTATION_REMINDER, K.ORIENTATION_ESCALATION) and not (
        status.precheck is not None and status.precheck.positive
    ):
        return "pre-check and candidacy"
    return WHAT[kind]


def who(awaited_from: tuple[Party, ...]) -> str:
    """``mediator med-carl``, ``caseworker cw-anna and mediator med-carl``."""
    names = [f"{p.role.value} {p.id}" if p.id else p.role.value for p in awaited_from]
    return " and ".join(names) if names else "nobody (automatic)"


def parse_parties(text: str | None) -> tuple[Party, ...]:
    """``caseworker:cw-anna,mediator`` (as the database keeps it) -> parties."""
    out = []
    for item in (text or "").split(","):
        role, _, staff = item.strip().partition(":")
        if role:
            out.append(Party(role=Role(role), id=staff or None))
    return tuple(out)


def format_parties(parties: tuple[Party, ...]) -> str:
    return ",".join(f"{p.role.value}:{p.id}" if p.id else p.role.value for p in parties)


def describe(found: OverdueDetail, status: TrajectoryStatus | None = None) -> str:
    """One English line: ``screening result due since 2026-11-02, awaited from mediator med-carl``."""
    return (f"{what(found.kind, status)} due since {found.since.isoformat()}, "
            f"awaited from {who(found.awaited_from)}")
