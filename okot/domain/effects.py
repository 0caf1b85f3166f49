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


class TrajectoryScoped(Model):
    """A request on behalf of one trajectory of a workflow."""

    workflow_id: str
    trajectory_id: str | None = None
    """``None`` in requests scheduled before run-scoped keys: the workflow id stands in."""

    @property
    def trajectory(self) -> str:
        """The trajectory the request belongs to (see :mod:`okot.domain.keys`)."""
        return self.trajectory_id or self.workflow_id


class RecordRequest(TrajectoryScoped):
    """One accepted or rejected message, or system event, for the audit log.

    ``status`` is the trajectory's status after the event (the snapshot); the
    database keeps a snapshot only when its event is newer than the stored one.
    ``key`` is unique per event (:meth:`okot.domain.keys.Keys.record`) so a retry
    records once.
    """

    key: str
    entry: TimelineEntry
    payload: dict[str, Any] | None = None
    status: TrajectoryStatus


class NotifyRequest(TrajectoryScoped):
    notice: Notice


class NotifyResult(Model):
    outbox_id: int
    state: str  # "queued", "sent", "failed"
    detail: str | None = None


class RegisterRequest(TrajectoryScoped):
    case_id: CaseId
    ocmw: OcmwCode
    key: str


class RegisterResult(Model):
    reference: str


class RecordItem(Model):
    """One event of a :class:`RecordBatch`: its key, timeline entry and payload."""

    key: str
    entry: TimelineEntry
    payload: dict[str, Any] | None = None


class RecordBatch(TrajectoryScoped):
    """The events a workflow task produced, in order, for the audit log (the local
    activity ``record_events``). ``status`` is the trajectory's status after the last
    of them: the snapshot (one per batch, not one per event; a local activity's input
    never enters the workflow history)."""

    records: tuple[RecordItem, ...]
    status: TrajectoryStatus

    def requests(self) -> list[RecordRequest]:
        """Each event as the request :func:`okot.db.events.record_event` takes."""
        return [RecordRequest(workflow_id=self.workflow_id, trajectory_id=self.trajectory_id,
                              key=r.key, entry=r.entry, payload=r.payload, status=self.status)
                for r in self.records]


class RefusedRecord(Model):
    """An event of a batch that the database refused for good (the rest was written)."""

    key: str
    error: str


class RecordBatchResult(Model):
    """What ``record_events`` did: how many events were new, which were refused."""

    written: int = 0
    refused: tuple[RefusedRecord, ...] = ()
