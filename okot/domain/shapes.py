"""The stable JSON shapes of a status and a timeline entry.

Shared by ``okot status --json`` / ``okot timeline --json`` and the HTTP API
(``shared/domain.md``: "The status and timeline shapes are those of okot status
--json and okot timeline --json"); documented in README.md.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from okot.domain.deadlines import awaiting, overdue_of
from okot.domain.overdue import describe
from okot.domain.status import TimelineEntry, TrajectoryStatus
from okot.domain.values import Actor, workflow_id_for


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _actor(actor: Actor | None) -> dict[str, str] | None:
    return None if actor is None else {"role": actor.role.value, "id": actor.id}


def overdue_json(status: TrajectoryStatus) -> dict[str, Any] | None:
    """Which deadline is overdue, since when, awaited from whom (``null``: not overdue)."""
    found = overdue_of(status)
    if found is None:
        return None
    return {
        "kind": found.kind.value,
        "since": _iso(found.since),
        "awaited_from": [{"role": p.role.value, "id": p.id} for p in found.awaited_from],
        "text": describe(found, status),
    }


def status_json(status: TrajectoryStatus) -> dict[str, Any]:
    """The stable ``--json`` shape of a status (see README.md)."""
    deadline = status.next_deadline
    stop = status.stop_report
    return {
        "case_id": status.case_id,
        "workflow_id": workflow_id_for(status.case_id),
        "ocmw": status.ocmw,
        "stage": status.stage.value,
        "stage_since": _iso(status.stage_since),
        "open": status.is_open,
        "closure": status.closure.value if status.closure else None,
        "closure_reason": status.closure_reason,
        "outcome": status.outcome.value if status.outcome else None,
        "opened_at": _iso(status.opened_at),
        "closed_at": _iso(status.closed_at),
        "caseworker": status.caseworker,
        "mediator": status.mediator,
        "registered_jobseeker": status.registered_jobseeker,
        "study_level": status.study_level.value if status.study_level else None,
        "next_deadline": None if deadline is None else {
            "kind": deadline.kind.value,
            "due": _iso(deadline.due),
            "due_at": _iso(deadline.due_at),
            "notify": [r.value for r in deadline.notify],
            "awaiting": deadline.awaiting,
        },
        "awaiting": awaiting(status),
        "overdue": status.overdue,
        "overdue_detail": overdue_json(status),
        "stop_report": None if stop is None else {
            "by": _actor(stop.by), "on": _iso(stop.on), "stopped_on": _iso(stop.stopped_on),
        },
        "follow_up": None if status.follow_up_lead is None else {
            "lead": status.follow_up_lead.value,
            "agreed_on": _iso(status.follow_up_agreed_on),
            "agreed_by": _actor(status.follow_up_agreed_by),
            "confirmed_by": _actor(status.follow_up_confirmed_by),
        },
        "reminders_sent": status.reminders_sent,
        "escalations_sent": status.escalations_sent,
        "seq": status.seq,
        "status": status.model_dump(mode="json"),
    }


def timeline_entry_json(entry: TimelineEntry) -> dict[str, Any]:
    """The stable ``--json`` shape of one timeline entry (see README.md)."""
    return {
        "seq": entry.seq,
        "at": _iso(entry.at),
        "kind": entry.kind,
        "name": entry.name,
        "actor": {"role": entry.actor.role.value, "id": entry.actor.id},
        "accepted": entry.accepted,
        "summary": entry.summary,
        "reason": entry.reason,
        "stage_before": entry.stage_before.value,
        "stage_after": entry.stage_after.value,
    }
