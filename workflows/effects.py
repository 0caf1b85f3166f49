"""The workflow's effects: the activities it calls, with their timeouts and retries.

:func:`record` writes an event to the audit log, :func:`notify` sends a notice,
:func:`register` asks VDAB to register the client as jobseeker. The activities
are called by their typed methods (``RecordActivities.record``,
``NotifyActivities.notify``, ``RegisterActivities.register_jobseeker``); what a
failure means for the trajectory is decided by the workflow.

How effects are carried out: by :class:`workflows.effect_runner.EffectRunner`
(records in order, each notice on its own, none waiting for another) in runs
started since the ``independent-effects`` patch; runs started before it replay
with :func:`drain` (one queue: each event's record, then its notices).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    FailureError,
    RetryState,
    TimeoutError,
    TimeoutType,
    is_cancelled_exception,
)

with workflow.unsafe.imports_passed_through():
    from activities.notify import NotifyActivities
    from activities.record import RecordActivities
    from activities.register import RegisterActivities
    from okot.domain.effects import (
        NotifyRequest,
        RecordBatch,
        RecordBatchResult,
        RecordRequest,
        RegisterRequest,
        RegisterResult,
    )
    from okot.domain.keys import Keys
    from okot.domain.status import Notice, TrajectoryStatus

RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=["DatabaseRefused"],
)
NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    non_retryable_error_types=["PermanentDeliveryError", "UnknownRecipient", "DatabaseRefused"],
)
REGISTER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=15),
    non_retryable_error_types=["PermanentRegistrationError"],
)
NOTIFY_GIVE_UP = timedelta(days=3)
"""A notice not delivered within this time is given up (and the teamlead told)."""


async def record(request: RecordRequest, within: timedelta | None = None) -> None:
    """Write ``request`` to the audit log; retried without end unless ``within`` is given."""
    await workflow.execute_activity_method(
        RecordActivities.record, request,
        start_to_close_timeout=timedelta(seconds=30),
        schedule_to_close_timeout=within,
        retry_policy=RECORD_RETRY,
        summary=f"record {request.entry.name}",
    )


async def record_events(batch: RecordBatch, within: timedelta | None = None) -> RecordBatchResult:
    """Write ``batch`` to the audit log as a local activity (runs since ``lean-effects``):
    in the workflow task that produced it, one marker in the history, without its input;
    retried without end unless ``within`` is given (longer waits become timers)."""
    try:
        result: RecordBatchResult = await workflow.execute_local_activity_method(
            RecordActivities.record_events, batch,
            start_to_close_timeout=timedelta(seconds=30),
            schedule_to_close_timeout=within,
            retry_policy=RECORD_RETRY,
        )
    except ActivityError:
        raise
    except FailureError as err:  # a local activity's failure may come unwrapped
        raise _as_activity_error(err, "record_events") from err
    return result


def _as_activity_error(err: FailureError, activity_type: str) -> ActivityError:
    """``err`` as the :class:`ActivityError` a regular activity raises (its ``cause``),
    so that one reading of failures (:func:`timed_out`, :func:`failure_text`,
    cancellation) serves both."""
    state = RetryState.TIMEOUT if isinstance(err, TimeoutError) else RetryState.NON_RETRYABLE_FAILURE
    return ActivityError(f"local activity {activity_type} failed", scheduled_event_id=0,
                         started_event_id=0, identity="", activity_type=activity_type,
                         activity_id="", retry_state=state)


async def notify(request: NotifyRequest, within: timedelta | None = NOTIFY_GIVE_UP) -> None:
    """Deliver ``request``'s notice (through the outbox), retried for ``within``."""
    notice = request.notice
    await workflow.execute_activity_method(
        NotifyActivities.notify, request,
        start_to_close_timeout=timedelta(seconds=60),
        schedule_to_close_timeout=within,
        retry_policy=NOTIFY_RETRY,
        summary=f"notify {notice.role.value} {notice.to}: {notice.template}",
    )


def timed_out(err: ActivityError) -> bool:
    """The activity ran out of its schedule-to-close time: during an attempt, or because
    the next retry would come after it (then the cause is the last attempt's failure)."""
    cause = err.cause
    return err.retry_state is RetryState.TIMEOUT or (
        isinstance(cause, TimeoutError) and cause.type is TimeoutType.SCHEDULE_TO_CLOSE)


def failure_text(err: ActivityError, fallback: str) -> str:
    """An activity's failure for the timeline: its message and string details."""
    cause = err.cause
    if isinstance(cause, TimeoutError) and isinstance(cause.cause, ApplicationError):
        cause = cause.cause  # gave up in time: what the last attempt met
    if not isinstance(cause, ApplicationError):
        return fallback
    details = [d for d in cause.details if isinstance(d, str) and d]
    return ": ".join([cause.message, *details])


# ------------------------------------------------------------ the registration


@dataclass(frozen=True)
class RegistrationFailure:
    """The registration activity gave up; ``detail`` is its failure for the timeline."""

    detail: str


async def register(status: TrajectoryStatus, keys: Keys) -> RegisterResult | RegistrationFailure:
    """Register the client of ``status`` as jobseeker (one attempt of the trajectory)."""
    attempt = status.registration_attempts + 1
    request = RegisterRequest(
        workflow_id=workflow.info().workflow_id, trajectory_id=keys.trajectory_id,
        case_id=status.case_id, ocmw=status.ocmw, key=keys.registration(),
    )
    try:
        return await workflow.execute_activity_method(
            RegisterActivities.register_jobseeker, request,
            start_to_close_timeout=timedelta(seconds=60),
            schedule_to_close_timeout=timedelta(hours=8),
            retry_policy=REGISTER_RETRY,
            summary=f"register the client as jobseeker (attempt {attempt})",
        )
    except ActivityError as err:
        if is_cancelled_exception(err):
            raise
        return RegistrationFailure(failure_text(err, "gave up retrying"))


# ---------------------------------------- runs started before independent effects


class Effect:
    """Something the main loop must still do for an event: record it, notify."""

    __slots__ = ("notices", "record")

    def __init__(self, record: RecordRequest, notices: tuple[Notice, ...]) -> None:
        self.record = record
        self.notices = notices


NotificationFailed = Callable[[Notice, str], None]
"""Told of a notice that could not be delivered for good, with the failure text."""
RecordFailed = Callable[[RecordRequest, str], None]
"""Told of an audit record the database refused for good, with the failure text."""


async def drain(effects: deque[Effect], notification_failed: NotificationFailed,
                record_failed: RecordFailed) -> None:
    """Record each event and send its notices, in order (runs started before the
    ``independent-effects`` patch: the command order of their histories).

    An effect runs to its end even when the workflow is cancelled meanwhile
    (shielded: its activities are not cancelled half-way), and it leaves the
    queue only once it is done, so nothing is lost or sent twice. Effects the
    callback adds to ``effects`` are carried out in the same drain.
    """
    while effects:
        job = asyncio.ensure_future(_carry_out(effects[0], notification_failed, record_failed))
        try:
            await asyncio.shield(job)
        except asyncio.CancelledError:
            await job
            effects.popleft()
            raise
        effects.popleft()


async def _carry_out(effect: Effect, notification_failed: NotificationFailed,
                     record_failed: RecordFailed) -> None:
    try:
        await record(effect.record)
    except ActivityError as err:
        if is_cancelled_exception(err):
            raise
        record_failed(effect.record, failure_text(err, "refused by the database"))
    for notice in effect.notices:
        request = NotifyRequest(workflow_id=workflow.info().workflow_id,
                                trajectory_id=effect.record.trajectory_id, notice=notice)
        try:
            await notify(request)
        except ActivityError as err:
            if is_cancelled_exception(err):
                raise
            workflow.logger.warning(
                "notification failed", extra={"template": notice.template, "key": notice.key}
            )
            if notice.template != "notification_failed":
                notification_failed(notice, failure_text(err, "delivery failed"))
