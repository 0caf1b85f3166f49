"""Client-side operations on trajectories: open one, send it a message, read it.

Shared by the CLI, ``starter.py`` and the tests, so every caller opens and
drives a trajectory the same way.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from temporalio.api.errordetails.v1 import QueryFailedFailure
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.converter import WorkflowSerializationContext
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from okot.domain.calendar import local_date
from okot.domain.journey import opening_problem
from okot.domain.messages import Message
from okot.domain.status import (
    OpenTrajectory,
    TimelineEntry,
    TrajectoryStatus,
)
from okot.domain.values import Stage, workflow_id_for
from okot.settings import get_settings
from okot.temporal.contract import STATUS_QUERY, TIMELINE_QUERY, WORKFLOW_TYPE, MessageAck
from okot.temporal.search_attributes import STAGE
from okot.temporal.ui_texts import static_details, static_summary


class AlreadyOpen(Exception):
    """The client already has an open trajectory."""


class MessageRejected(Exception):
    """The workflow refused a message; ``str()`` is the one-line reason."""


async def open_trajectory(
    client: Client,
    request: OpenTrajectory,
    task_queue: str | None = None,
    *,
    today: date | None = None,
) -> WorkflowHandle[Any, TrajectoryStatus]:
    """Start ``OkotTrajectory`` for a case; refuses a second open trajectory.

    ``today`` (default: today in Brussels) bounds ``request.opened_on``.
    """
    workflow_id = workflow_id_for(request.case_id)
    problem = opening_problem(request, today or local_date(datetime.now(UTC)))
    if problem is not None:
        raise ValueError(problem)
    try:
        return await client.start_workflow(
            WORKFLOW_TYPE,
            request,
            result_type=TrajectoryStatus,
            id=workflow_id,
            task_queue=task_queue or get_settings().task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            static_summary=static_summary(request),
            static_details=static_details(request),
        )
    except WorkflowAlreadyStartedError:
        if await _closed_but_finishing(client, workflow_id):
            raise AlreadyOpen(
                f"case {request.case_id}: its trajectory ({workflow_id}) is closed but still "
                "delivering its last notifications; open it again once they are done "
                f"(okot outbox --case {request.case_id})"
            ) from None
        raise AlreadyOpen(
            f"case {request.case_id} already has an open trajectory ({workflow_id})"
        ) from None


async def _closed_but_finishing(client: Client, workflow_id: str) -> bool:
    """The running workflow's stage is ``closed``: it only finishes its side effects."""
    try:
        description = await client.get_workflow_handle(workflow_id).describe()
    except Exception:  # gone meanwhile, or unreadable: say it is open
        return False
    stage = description.typed_search_attributes.get(STAGE)
    return stage == Stage.CLOSED.value


def handle_for(client: Client, case_id: str) -> WorkflowHandle[Any, TrajectoryStatus]:
    return client.get_workflow_handle(workflow_id_for(case_id), result_type=TrajectoryStatus)


async def send(client: Client, case_id: str, message: Message) -> TrajectoryStatus:
    """Send ``message`` as an Update; returns the new status or raises ``MessageRejected``.

    A trajectory answers an accepted Update with a :class:`MessageAck` (runs since
    0.3.0; older runs with the whole status): the status is then queried.
    """
    answer = await send_update(client, case_id, message)
    if isinstance(answer, TrajectoryStatus):
        return answer
    return await status(client, case_id)


async def send_update(client: Client, case_id: str,
                      message: Message) -> MessageAck | TrajectoryStatus:
    """Send ``message`` as an Update; its answer (a :class:`MessageAck`, or the whole
    status from a run started before 0.3.0), or ``MessageRejected``."""
    handle = handle_for(client, case_id)
    try:
        answer: dict[str, Any] = await handle.execute_update(
            message.name.value, message.model_dump(mode="json"), result_type=dict[str, Any]
        )
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        reason = cause.message if isinstance(cause, ApplicationError) else str(cause)
        raise MessageRejected(reason) from None
    if "case_id" in answer:
        return TrajectoryStatus.model_validate(answer)
    return MessageAck.model_validate(answer)


async def signal(client: Client, case_id: str, message: Message) -> None:
    """Send ``message`` as a fire-and-forget Signal (rejections land in the timeline)."""
    await handle_for(client, case_id).signal(message.name.value, message.model_dump(mode="json"))


QUERY_ATTEMPT = timedelta(seconds=10)
"""How long one query may wait for its answer before it is asked again."""

QUERY_ATTEMPTS = 3
"""A query that races a continue-as-new can be lost with the run it was sent to (the
server answers it with a deadline, not an error); asked again, it reaches the new run."""


async def _query(client: Client, case_id: str, name: str, result_type: Any) -> Any:
    for attempt in range(1, QUERY_ATTEMPTS + 1):
        try:
            return await handle_for(client, case_id).query(
                name, result_type=result_type, rpc_timeout=QUERY_ATTEMPT)
        except RPCError as error:
            if error.status is not RPCStatusCode.DEADLINE_EXCEEDED or attempt == QUERY_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


async def status(client: Client, case_id: str) -> TrajectoryStatus:
    result: TrajectoryStatus = await _query(client, case_id, STATUS_QUERY, TrajectoryStatus)
    return result


async def timeline(client: Client, case_id: str) -> list[TimelineEntry]:
    result: list[TimelineEntry] = await _query(client, case_id, TIMELINE_QUERY, list[TimelineEntry])
    return result


async def query_failure(client: Client, case_id: str, error: BaseException) -> str:
    """The message of a failed query, decoded (failures are encoded by the codec, so
    ``WorkflowQueryFailedError`` only says "Encoded failure")."""
    rpc = error.__context__
    if isinstance(rpc, RPCError):
        for detail in rpc.grpc_status.details:
            failed = QueryFailedFailure()
            if detail.Unpack(failed) and failed.HasField("failure"):
                converter = client.data_converter.with_context(WorkflowSerializationContext(
                    namespace=client.namespace, workflow_id=workflow_id_for(case_id)))
                return str(await converter.decode_failure(failed.failure))
    return str(error)
