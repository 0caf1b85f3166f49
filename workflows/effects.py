"""The workflow's effects: the activities it calls, with their timeouts and retries.

Each accepted or rejected event leaves an :class:`Effect` in the workflow's
queue: record it, then send its notices. :func:`drain` carries them out in
order; :func:`register` asks VDAB to register the client as jobseeker. The
activities are called by their typed methods (``RecordActivities.record``,
``NotifyActivities.notify``, ``RegisterActivities.register_jobseeker``); what
a failure means for the trajectory is decided by the workflow through the
callback or the returned :class:`RegistrationFailure`.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from activities.notify import NotifyActivities
    from activities.record import RecordActivities
    from activities.register import RegisterActivities
    from okot.domain.effects import (
        NotifyRequest,
        RecordRequest,
        RegisterRequest,
        RegisterResult,
    )
    from okot.domain.status import Notice, TrajectoryStatus

RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
)
NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    non_retryable_error_types=["PermanentDeliveryError", "UnknownRecipient"],
)
REGISTER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=15),
    non_retryable_error_types=["PermanentRegistrationError"],
)


class Effect:
    """Something the main loop must still do for an event: record it, notify."""

    __slots__ = ("notices", "record")

    def __init__(self, record: RecordRequest, notices: tuple[Notice, ...]) -> None:
        self.record = record
        self.notices = notices


NotificationFailed = Callable[[Notice, str], None]
"""Told of a notice that could not be delivered for good, with the failure text."""


@dataclass(frozen=True)
class RegistrationFailure:
    """The registration activity gave up; ``detail`` is its failure for the timeline."""

    detail: str


async def drain(effects: deque[Effect], notification_failed: NotificationFailed) -> None:
    """Record each event and send its notices, in order.

    An effect runs to its end even when the workflow is cancelled meanwhile
    (shielded: its activities are not cancelled half-way), and it leaves the
    queue only once it is done, so nothing is lost or sent twice. Effects the
    callback adds to ``effects`` are carried out in the same drain.
    """
    while effects:
        job = asyncio.ensure_future(_carry_out(effects[0], notification_failed))
        try:
            await asyncio.shield(job)
        except asyncio.CancelledError:
            await job
            effects.popleft()
            raise
        effects.popleft()


async def _carry_out(effect: Effect, notification_failed: NotificationFailed) -> None:
    await workflow.execute_activity_method(
        RecordActivities.record, effect.record,
        start_to_close_timeout=timedelta(seconds=30),
        retry_policy=RECORD_RETRY,
        summary=f"record {effect.record.entry.name}",
    )
    for notice in effect.notices:
        await _notify(notice, notification_failed)


async def _notify(notice: Notice, notification_failed: NotificationFailed) -> None:
    request = NotifyRequest(workflow_id=workflow.info().workflow_id, notice=notice)
    try:
        await workflow.execute_activity_method(
            NotifyActivities.notify, request,
            start_to_close_timeout=timedelta(seconds=60),
            schedule_to_close_timeout=timedelta(days=3),
            retry_policy=NOTIFY_RETRY,
            summary=f"notify {notice.role.value} {notice.to}: {notice.template}",
        )
    except ActivityError as err:
        if is_cancelled_exception(err):
            raise
        detail = _failure_text(err, "delivery failed")
        workflow.logger.warning(
            "notification failed", extra={"template": notice.template, "key": notice.key}
        )
        if notice.template != "notification_failed":
            notification_failed(notice, detail)


async def register(status: TrajectoryStatus) -> RegisterResult | RegistrationFailure:
    """Register the client of ``status`` as jobseeker (one attempt of the trajectory)."""
    wf_id = workflow.info().workflow_id
    attempt = status.registration_attempts + 1
    request = RegisterRequest(
        workflow_id=wf_id, case_id=status.case_id, ocmw=status.ocmw,
        key=f"{wf_id}:register",
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
        return RegistrationFailure(_failure_text(err, "gave up retrying"))


def _failure_text(err: ActivityError, fallback: str) -> str:
    """An activity's failure for the timeline: its message and string details."""
    cause = err.cause
    if not isinstance(cause, ApplicationError):
        return fallback
    details = [d for d in cause.details if isinstance(d, str) and d]
    return ": ".join([cause.message, *details])
