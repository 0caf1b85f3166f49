"""The ``record`` activity: audit log and current snapshot in the project's database."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from okot.db import events
from okot.db.failures import describe
from okot.domain.effects import RecordRequest


class RecordActivities:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name="record")
    def record(self, request: RecordRequest) -> bool:
        """Write one event and the snapshot after it. Idempotent on ``request.key``.

        A database failure is reported as one safe line (never the statement or
        its values): retried while the database is unavailable, failed at once
        (non-retryable ``DatabaseRefused``) when it refuses the data itself.
        """
        try:
            created = events.record_event(self._engine, request)
        except SQLAlchemyError as err:
            failure = describe(err)
            activity.logger.warning(
                "event not recorded",
                extra={"key": request.key, "event": request.entry.name, "error": failure.message,
                       "retryable": failure.retryable},
            )
            raise ApplicationError(
                failure.message, type=failure.type, non_retryable=not failure.retryable
            ) from None
        activity.logger.info(
            "event recorded",
            extra={"key": request.key, "event": request.entry.name,
                   "accepted": request.entry.accepted, "new_row": created},
        )
        return created
