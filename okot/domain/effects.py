"""What the workflow asks of its activities, and what they answer."""

from __future__ import annotations

from typing import Any

from okot.domain.status import (
    Notice,
    TimelineEntry,
    TrajectoryStatus,
)
from okot.domain.values import (
    CaseId,
    Model,
    OcmwCode,
)

# ---------------------------------------------------------- activity inputs/outputs


class RecordRequest(Model):
    """One accepted or rejected message, or system event, for the audit log.

    ``status`` is the trajectory's status after the event (the snapshot); the
    database keeps a snapshot only when its ``seq`` is newer than the stored one.
    ``key`` is unique per event (workflow id + sequence) so a retry records once.
    """

    workflow_id: str
    key: str
    entry: TimelineEntry
    payload: dict[str, Any] | None = None
    status: TrajectoryStatus


class NotifyRequest(Model):
    workflow_id: str
    notice: Notice


class NotifyResult(Model):
    outbox_id: int
    state: str  # "queued", "sent", "failed"
    detail: str | None = None


class RegisterRequest(Model):
    workflow_id: str
    case_id: CaseId
    ocmw: OcmwCode
    key: str


class RegisterResult(Model):
    reference: str
