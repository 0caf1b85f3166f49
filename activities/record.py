"""The ``record`` activity: audit log and current snapshot in the project's database."""

from __future__ import annotations

from sqlalchemy import Engine
from temporalio import activity

from okot.db import events
from okot.domain.effects import RecordRequest


class RecordActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name="record")
    def record(self, request: RecordRequest) -> bool:
        """Write one event and the snapshot after it. Idempotent on ``request.key``."""
        created = events.record_event(self._engine, request)
        activity.logger.info(
            "event recorded",
            extra={"key": request.key, "event": request.entry.name,
                   "accepted": request.entry.accepted, "new_row": created},
        )
        return created
