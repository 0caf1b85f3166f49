"""Shared builders for the tests of the pure core (okot.domain: journey, steps, deadlines, calendar).

Every status a test starts from is reached through real messages applied with
:func:`okot.domain.journey.decide` (and the registration system events), never by
constructing a ``TrajectoryStatus`` by hand, so the builders exercise the same
paths as the workflow. All datetimes are timezone-aware.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from okot.domain import deadlines, journey
from okot.domain.changes import Accepted, Rejected
from okot.domain.messages import (
    Message,
    parse_message,
)
from okot.domain.policy import ReminderPolicy
from okot.domain.status import (
    Notice,
    OpenTrajectory,
    TrajectoryStatus,
)
from okot.domain.values import (
    MessageName,
    Role,
    Stage,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
UTC = ZoneInfo("UTC")

CASE_ID = "gent-2026-0042"
OCMW = "gent"
CASEWORKER = "cw.anna"
MEDIATOR = "med.bart"
TEAMLEAD = "tl.chris"
OTHER_CASEWORKER = "cw.dirk"
OTHER_MEDIATOR = "med.eva"
OTHER_TEAMLEAD = "tl.fons"

ROLE_IDS: dict[Role, str] = {
    Role.CASEWORKER: CASEWORKER,
    Role.MEDIATOR: MEDIATOR,
    Role.TEAMLEAD: TEAMLEAD,
    Role.SYSTEM: "okot-system",
    Role.OPERATIONS: "ops-olga",
}

OTHER_IDS: dict[Role, str] = {
    Role.CASEWORKER: OTHER_CASEWORKER,
    Role.MEDIATOR: OTHER_MEDIATOR,
    Role.TEAMLEAD: OTHER_TEAMLEAD,
    Role.SYSTEM: "okot-system",
    Role.OPERATIONS: "ops-otto",
}


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A timezone-aware moment in Brussels (10:00 local unless told otherwise)."""
    return datetime(year, month, day, hour, minute, tzinfo=BRUSSELS)


def actor(role: Role, staff_id: str | None = None) -> dict[str, str]:
    return {"role": role.value, "id": staff_id or ROLE_IDS[role]}


def today(now: datetime) -> date:
    return now.astimezone(BRUSSELS).date()


# ------------------------------------------------------------------ fixed moments

T_OPEN = at(2026, 3, 2)  # Monday
T_CANDIDACY = at(2026, 3, 3)
T_AGREEMENT = at(2026, 3, 4)
T_REGISTERED = at(2026, 3, 5)
T_HANDOVER = at(2026, 3, 6)
T_SCREENING = at(2026, 3, 16)
PROBABLE_START = date(2026, 4, 20)
T_START = at(2026, 4, 20)
EXPECTED_END = date(2027, 6, 30)
T_END = at(2027, 6, 30)

STUDY_LEVEL = "bachelor"


def open_request(
    registered: bool = True, policy: ReminderPolicy | None = None, mediator: str | None = None
) -> OpenTrajectory:
    return OpenTrajectory(
        case_id=CASE_ID,
        ocmw=OCMW,
        caseworker=CASEWORKER,
        mediator=mediator,
        teamlead=TEAMLEAD,
        registered_jobseeker=registered,
        policy=policy or ReminderPolicy(),
    )


def opened(
    now: datetime = T_OPEN, registered: bool = True, policy: ReminderPolicy | None = None
) -> TrajectoryStatus:
    return journey.open_trajectory(open_request(registered, policy), now)


# ----------------------------------------------------------------- message payloads


def payload(
    name: MessageName | str, role: Role, status: TrajectoryStatus, now: datetime, **over: Any
) -> dict[str, Any]:
    """A valid JSON-like payload for ``name`` sent by ``role`` at ``now``.

    Dates are chosen so that the message passes every business rule when it is
    sent in the stage it belongs to (happened dates today, planned dates ahead).
    """
    d = today(now)
    name = MessageName(name)
    body: dict[str, Any]
    if name is MessageName.RECORD_INFO:
        body = {"date": d.isoformat(), "channel": "info_session"}
    elif name is MessageName.RECORD_PRECHECK:
        body = {"conditions_met": True, "twe_active": False, "study_level": STUDY_LEVEL}
    elif name is MessageName.SUBMIT_CANDIDACY:
        body = {
            "programme": "Verpleegkunde",
            "study_level": STUDY_LEVEL,
            "school": "HOGENT",
            "channel": "training_guide",
            "mediator": MEDIATOR,
        }
    elif name is MessageName.GIVE_AGREEMENT:
        body = {}
    elif name is MessageName.DECLINE_AGREEMENT:
        body = {"reason": "client prefers a job now"}
    elif name is MessageName.CONFIRM_HANDOVER:
        body = {"date": d.isoformat(), "channel": "phone"}
    elif name is MessageName.SCHEDULE_INTAKE:
        body = {"date": (d + timedelta(days=7)).isoformat()}
    elif name is MessageName.RECORD_SCREENING:
        body = {
            "approved": True,
            "start_date": (d + timedelta(days=35)).isoformat(),
            "location": "Gent",
        }
    elif name is MessageName.POSTPONE_START:
        base = status.probable_start or d
        body = {"start_date": (max(base, d) + timedelta(days=14)).isoformat()}
    elif name is MessageName.CONFIRM_START:
        body = {
            "date": d.isoformat(),
            "location": "Gent",
            "expected_end": date(d.year + 1, 6, 30).isoformat(),
        }
    elif name is MessageName.RECORD_PROGRESS:
        body = {"date": d.isoformat(), "note": "attends all classes"}
    elif name is MessageName.REPORT_STOPPED:
        body = {"date": d.isoformat(), "note": "stopped going to school"}
    elif name is MessageName.RECORD_END:
        body = {"result": "passed", "date": d.isoformat()}
    elif name is MessageName.AGREE_FOLLOW_UP:
        body = {"lead": "vdab", "plan": "job coaching by VDAB"}
    elif name is MessageName.RECORD_EMPLOYMENT:
        body = {"employed": True, "date": d.isoformat()}
    elif name is MessageName.WITHDRAW:
        body = {"reason": "moved to another town"}
    elif name is MessageName.REASSIGN:
        body = {"mediator": OTHER_MEDIATOR}
    elif name is MessageName.UPDATE_POLICY:  # another policy than the trajectory's
        body = {"reason": "policy 2027 of the OCMW",
                "policy": status.policy.model_copy(
                    update={"repeat_days": status.policy.repeat_days + 5}).model_dump(mode="json")}
    else:  # pragma: no cover - every name is listed above
        raise AssertionError(name)
    body.update(over)
    body["actor"] = over.get("actor", actor(role))
    return body


def message(
    name: MessageName | str, role: Role, status: TrajectoryStatus, now: datetime, **over: Any
) -> Message:
    """Parse ``payload(...)`` through :func:`okot.model.parse_message`, as the wire does."""
    return parse_message(str(MessageName(name)), payload(name, role, status, now, **over))


def apply(
    status: TrajectoryStatus, name: MessageName | str, role: Role, now: datetime, **over: Any
) -> Accepted:
    """Send one message and insist that it is accepted."""
    decision = journey.decide(status, message(name, role, status, now, **over), now)
    assert isinstance(decision, Accepted), getattr(decision, "reason", decision)
    return decision


def reject(status: TrajectoryStatus, name: MessageName | str, role: Role, now: datetime, **over: Any) -> str:
    """Send one message and insist that it is rejected; returns the reason."""
    decision = journey.decide(status, message(name, role, status, now, **over), now)
    assert isinstance(decision, Rejected), f"accepted: {decision}"
    return decision.reason


# ---------------------------------------------------------------- stage builders


@cache
def at_stage(stage: Stage, registered: bool | None = None) -> tuple[TrajectoryStatus, datetime]:
    """A trajectory driven to ``stage`` through real messages, and the moment it got there.

    ``registered`` says whether the client was a registered jobseeker when the file
    was opened (default: yes, except for ``registering``, which only an
    unregistered client reaches). ``closed`` is reached by a withdrawal in orientation.
    """
    if registered is None:
        registered = stage is not Stage.REGISTERING
    cw, med = Role.CASEWORKER, Role.MEDIATOR
    s = opened(registered=registered)
    s = apply(s, MessageName.RECORD_INFO, cw, T_OPEN).status
    s = apply(s, MessageName.RECORD_PRECHECK, cw, T_OPEN).status
    if stage is Stage.ORIENTATION:
        return s, T_OPEN
    if stage is Stage.CLOSED:
        return apply(s, MessageName.WITHDRAW, cw, T_OPEN).status, T_OPEN
    s = apply(s, MessageName.SUBMIT_CANDIDACY, cw, T_CANDIDACY).status
    if stage is Stage.AWAITING_AGREEMENT:
        return s, T_CANDIDACY
    if stage is Stage.REGISTERING:
        assert not registered, "registering is reached only by a client not yet registered"
        return apply(s, MessageName.GIVE_AGREEMENT, cw, T_AGREEMENT).status, T_AGREEMENT
    s = apply(s, MessageName.GIVE_AGREEMENT, cw, T_AGREEMENT).status
    now = T_AGREEMENT
    if not registered:
        s = journey.registration_succeeded(s, "VDAB-REF-1", T_REGISTERED).status
        now = T_REGISTERED
    if stage is Stage.HANDOVER:
        return s, now
    s = apply(s, MessageName.CONFIRM_HANDOVER, cw, T_HANDOVER).status
    if stage is Stage.SCREENING:
        return s, T_HANDOVER
    s = apply(s, MessageName.RECORD_SCREENING, med, T_SCREENING, start_date=PROBABLE_START.isoformat()).status
    if stage is Stage.AWAITING_START:
        return s, T_SCREENING
    s = apply(s, MessageName.CONFIRM_START, med, T_START, expected_end=EXPECTED_END.isoformat()).status
    if stage is Stage.IN_TRAINING:
        return s, T_START
    s = apply(s, MessageName.RECORD_END, med, T_END).status
    assert stage is Stage.FOLLOW_UP
    return s, T_END


def status_at(stage: Stage, registered: bool | None = None) -> TrajectoryStatus:
    return at_stage(stage, registered)[0]


# ----------------------------------------------------------------------- notices


def notice_triples(notices: Iterable[Notice]) -> set[tuple[Role, str, str]]:
    """(recipient role, staff id, template) of each notice."""
    return {(n.role, n.to, n.template) for n in notices}


def fire_until(
    status: TrajectoryStatus, until: datetime, limit: int = 500
) -> tuple[TrajectoryStatus, list[tuple[datetime, Accepted]]]:
    """Fire each deadline at the moment it falls due (a worker that never sleeps)."""
    fired: list[tuple[datetime, Accepted]] = []
    for _ in range(limit):
        nxt = status.next_deadline
        if nxt is None or nxt.due_at > until:
            return status, fired
        result = deadlines.fire_deadlines(status, nxt.due_at)
        assert result is not None, f"next deadline {nxt} was due but nothing fired"
        fired.append((nxt.due_at, result))
        status = result.status
    raise AssertionError("deadlines keep firing: no progress")
