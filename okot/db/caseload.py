"""A caseworker's or mediator's caseload: their open trajectories, most urgent first.

Order: overdue first, then by next deadline (none last), then by case id. An overdue
case says which deadline, since when and from whom (``overdue_detail``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from okot.db.light_tables import STAFF_READ, TRAJECTORY_READ
from okot.domain.calendar import (
    local_date,
    working_days_between,
)
from okot.domain.overdue import parse_parties
from okot.domain.status import OverdueDetail
from okot.domain.values import DeadlineKind, Role


@dataclass(frozen=True)
class CaseloadItem:
    case_id: str
    workflow_id: str
    ocmw: str
    stage: str
    stage_since: datetime
    days_in_stage: int
    """Working days since the stage was entered."""
    next_deadline: date | None
    next_deadline_kind: str | None
    overdue: bool
    awaiting: str | None
    caseworker: str
    mediator: str | None
    overdue_detail: OverdueDetail | None = None
    """Which deadline is overdue, since when, from whom (``None``: not overdue, or a
    snapshot recorded before migration 0006)."""


def _overdue(kind: str | None, since: date | None, parties: str | None) -> OverdueDetail | None:
    if kind is None or since is None:
        return None
    return OverdueDetail(kind=DeadlineKind(kind), since=since,
                         awaited_from=parse_parties(parties))


def caseload(
    engine: Engine, staff_id: str, role: Role | str = Role.CASEWORKER, today: date | None = None,
    *, stage: str | None = None,
) -> list[CaseloadItem]:
    """The open trajectories of ``staff_id`` as ``role``, optionally in one ``stage``.

    A caseworker's and a mediator's own cases; a teamlead's: those of the
    caseworkers in their team (staff directory column ``teamlead``).
    """
    role = Role(role)
    t = TRAJECTORY_READ.c
    if role is Role.CASEWORKER:
        person = t.caseworker == staff_id
    elif role is Role.MEDIATOR:
        person = t.mediator == staff_id
    elif role is Role.TEAMLEAD:
        person = t.caseworker.in_(select(STAFF_READ.c.id).where(STAFF_READ.c.teamlead == staff_id))
    else:
        raise ValueError("a caseload is a caseworker's, a mediator's or a teamlead's")
    query = (
        select(
            t.case_id, t.workflow_id, t.ocmw, t.stage, t.stage_since, t.next_deadline_due,
            t.next_deadline_kind, t.overdue, t.awaiting, t.caseworker, t.mediator,
            t.overdue_kind, t.overdue_since, t.overdue_from,
        )
        .where(person, t.is_open.is_(True), *([t.stage == stage] if stage else []))
        .order_by(
            t.overdue.desc(), t.next_deadline_due.is_(None), t.next_deadline_due, t.case_id
        )
    )
    today = today or local_date(datetime.now().astimezone())
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        CaseloadItem(
            case_id=r.case_id,
            workflow_id=r.workflow_id,
            ocmw=r.ocmw,
            stage=r.stage,
            stage_since=r.stage_since,
            days_in_stage=working_days_between(local_date(r.stage_since), today),
            next_deadline=r.next_deadline_due,
            next_deadline_kind=r.next_deadline_kind,
            overdue=bool(r.overdue),
            awaiting=r.awaiting,
            caseworker=r.caseworker,
            mediator=r.mediator,
            overdue_detail=_overdue(r.overdue_kind, r.overdue_since, r.overdue_from)
            if r.overdue else None,
        )
        for r in rows
    ]


def overdue_details(engine: Engine, workflow_ids: list[str]) -> dict[str, OverdueDetail]:
    """Why each of these workflows is overdue, from its newest snapshot (for ``okot list``,
    whose rows come from Temporal visibility); workflows not overdue are left out."""
    if not workflow_ids:
        return {}
    t = TRAJECTORY_READ.c
    query = (
        select(t.workflow_id, t.overdue_kind, t.overdue_since, t.overdue_from)
        .where(t.workflow_id.in_(workflow_ids), t.overdue.is_(True))
        .order_by(t.workflow_id, t.opened_at)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    out = {}
    for r in rows:  # the newest trajectory of a workflow id comes last
        found = _overdue(r.overdue_kind, r.overdue_since, r.overdue_from)
        if found is not None:
            out[r.workflow_id] = found
    return out
