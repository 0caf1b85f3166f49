"""A caseworker's or mediator's caseload: their open trajectories, most urgent first.

Order: overdue first, then by next deadline (none last), then by case id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from okot.db.tables import STAFF, TRAJECTORY
from okot.domain.calendar import (
    local_date,
    working_days_between,
)
from okot.domain.values import Role


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


def caseload(
    engine: Engine, staff_id: str, role: Role | str = Role.CASEWORKER, today: date | None = None,
    *, stage: str | None = None,
) -> list[CaseloadItem]:
    """The open trajectories of ``staff_id`` as ``role``, optionally in one ``stage``.

    A caseworker's and a mediator's own cases; a teamlead's: those of the
    caseworkers in their team (staff directory column ``teamlead``).
    """
    role = Role(role)
    t = TRAJECTORY.c
    if role is Role.CASEWORKER:
        person = t.caseworker == staff_id
    elif role is Role.MEDIATOR:
        person = t.mediator == staff_id
    elif role is Role.TEAMLEAD:
        person = t.caseworker.in_(select(STAFF.c.id).where(STAFF.c.teamlead == staff_id))
    else:
        raise ValueError("a caseload is a caseworker's, a mediator's or a teamlead's")
    query = (
        select(
            t.case_id, t.workflow_id, t.ocmw, t.stage, t.stage_since, t.next_deadline_due,
            t.next_deadline_kind, t.overdue, t.awaiting, t.caseworker, t.mediator,
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
        )
        for r in rows
    ]
