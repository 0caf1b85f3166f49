"""The record activities: audit log and current snapshot in the project's database.

``record_events`` (a local activity, since 0.3.0) writes the events of one workflow
task in one transaction, with one snapshot; ``record`` (one event, a regular
activity) stays for runs started before it, and for their attempts still in flight.
Both pass their run's id (``activity.info().workflow_run_id``) to the audit log: a
retried workflow task keeps it, a Reset starts a new run (``okot.db.events``).
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from okot.db import events
from okot.db.failures import describe
from okot.domain.effects import RecordBatch, RecordBatchResult, RecordRequest


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
            return events.record_event(self._engine, request, run_id=activity.info().workflow_run_id)
        except SQLAlchemyError as err:
            raise _failure(err, request.key, request.entry.name) from None

    @activity.defn(name="record_events")
    def record_events(self, batch: RecordBatch) -> RecordBatchResult:
        """Write a workflow task's events and the snapshot after them. Idempotent per key.

        An event the database refuses comes back in the result (the others are
        written); an unavailable database is retried (``DatabaseUnavailable``).
        """
        try:
            result = events.record_events(self._engine, batch, run_id=activity.info().workflow_run_id)
        except SQLAlchemyError as err:
            raise _failure(err, batch.records[0].key, batch.records[0].entry.name) from None
        first, last = batch.records[0].entry, batch.records[-1].entry
        activity.logger.info(
            "events recorded",
            extra={"trajectory_id": batch.trajectory, "seq": first.seq, "last_seq": last.seq,
                   "events": ",".join(r.entry.name for r in batch.records),
                   "rejected": sum(not r.entry.accepted for r in batch.records),
                   "stage": last.stage_after.value, "new_rows": result.written,
                   "refused": len(result.refused)},
        )
        return result


def _failure(err: SQLAlchemyError, key: str, event: str) -> ApplicationError:
    failure = describe(err)
    activity.logger.warning(
        "event not recorded",
        extra={"key": key, "event": event, "error": failure.message,
               "retryable": failure.retryable},
    )
    return ApplicationError(failure.message, type=failure.type, non_retryable=not failure.retryable)
