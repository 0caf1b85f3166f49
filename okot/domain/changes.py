"""What a rule yields and the helpers every rule builds it with (package-internal).

:class:`Accepted` (the new status, its notices, a summary) or :class:`Rejected`
(the reason); :class:`Refusal` is raised inside a rule to reject a message. The
underscored helpers (moving to a stage, closing, addressing and keying notices,
date checks) are shared by :mod:`okot.domain.journey`, :mod:`okot.domain.steps`
and :mod:`okot.domain.deadlines` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from okot.domain.calendar import local_date
from okot.domain.keys import notice_suffix
from okot.domain.status import (
    Notice,
    TrajectoryStatus,
)
from okot.domain.values import (
    Closure,
    Role,
    Stage,
)

MAX_PLANNING_DAYS = 2 * 366
"""A planned date (intake, start) more than two years ahead is refused as a typo."""


@dataclass(frozen=True)
class Accepted:
    status: TrajectoryStatus
    notices: tuple[Notice, ...]
    summary: str


@dataclass(frozen=True)
class Rejected:
    reason: str


Decision = Accepted | Rejected


class Refusal(Exception):
    """Raised inside a rule to reject a message; turned into :class:`Rejected`."""


Change = tuple[TrajectoryStatus, list[Notice], str]
"""What a rule returns: the changed status, the notices it implies, a summary."""

# ------------------------------------------------------------------ the helpers

CW, MED, TL = Role.CASEWORKER, Role.MEDIATOR, Role.TEAMLEAD
OPS = Role.OPERATIONS


def _today(now: datetime) -> date:
    return local_date(now)


def _not_future(label: str, day: date, now: datetime) -> None:
    if day > _today(now):
        raise Refusal(f"{label} {day} is in the future (today is {_today(now)})")


def _planned(label: str, day: date, now: datetime) -> None:
    today = _today(now)
    if day < today:
        raise Refusal(f"{label} {day} is in the past (today is {today})")
    if (day - today).days > MAX_PLANNING_DAYS:
        raise Refusal(f"{label} {day} is more than two years ahead")


def _move(status: TrajectoryStatus, stage: Stage, now: datetime, **changes: object) -> TrajectoryStatus:
    return status.model_copy(
        update={"stage": stage, "stage_since": now, "streams": {}, "overdue": False,
                "overdue_detail": None, "stop_report": None, **changes}
    )


def _close(
    status: TrajectoryStatus, closure: Closure, now: datetime, reason: str | None = None
) -> TrajectoryStatus:
    return _move(status, Stage.CLOSED, now, closure=closure, closure_reason=reason, closed_at=now)


def _notice(role: Role, to: str, template: str, **context: str | int | bool | None) -> Notice:
    return Notice(role=role, to=to, template=template, key="", context=context)


def _base_context(status: TrajectoryStatus) -> dict[str, str | int | bool | None]:
    candidacy = status.candidacy
    return {
        "case_id": status.case_id,
        "ocmw": status.ocmw,
        "stage": status.stage.value,
        "caseworker": status.caseworker,
        "mediator": status.mediator,
        "programme": candidacy.programme if candidacy else None,
        "school": candidacy.school if candidacy else None,
        "study_level": status.study_level.value if status.study_level else None,
    }


def _keyed(status: TrajectoryStatus, notices: Iterable[Notice]) -> tuple[Notice, ...]:
    base = _base_context(status)
    return tuple(
        n.model_copy(
            update={
                "key": notice_suffix(status.seq, n.template, n.role.value, n.to),
                "context": {**base, **n.context},
            }
        )
        for n in notices
    )
