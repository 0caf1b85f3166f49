"""Driving trajectories through the client API, and what each one should have done.

A :class:`Trajectory` is opened with ``okot.temporal.trajectories.open_trajectory``
(as ``okot open`` and the web app do) and sent Updates under an update id of its own
(asked again under the same id while the worker or the server is away: an Update is
applied once). Every accepted message is also applied to a copy of the state with the
pure rules (:mod:`okot.domain.journey`), which says what the workflow must have done:
its timeline entries and the mails they imply, with their Message-IDs.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from bench import paths
from bench.chaos.stack import CASEWORKERS, MEDIATORS, OCMW, TEAMLEAD, email_of
from okot.domain import journey
from okot.domain.calendar import local_date
from okot.domain.changes import Accepted
from okot.domain.keys import Keys
from okot.domain.messages import (
    Message,
)
from okot.domain.status import Notice, OpenTrajectory, TrajectoryStatus
from okot.domain.values import Actor, Role, Stage
from okot.mail.smtp import message_id_for
from okot.temporal import search_attributes as sa
from okot.temporal import trajectories
from okot.temporal.contract import STATUS_QUERY

RETRIED = {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED,
           RPCStatusCode.RESOURCE_EXHAUSTED, RPCStatusCode.ABORTED, RPCStatusCode.UNKNOWN,
           RPCStatusCode.INTERNAL}
"""Answers that mean "not now" (the server is away or busy): asked again."""
GIVE_UP = 900.0
"""Seconds a client keeps asking before it reports the message as not answered."""


class NoAnswer(Exception):
    """The system did not answer within :data:`GIVE_UP` seconds."""


def today() -> date:
    return local_date(datetime.now(UTC))


@dataclass(frozen=True)
class Mail:
    """A mail as the suite identifies it."""

    message_id: str
    recipient: str
    template: str
    case_id: str
    accepted_at: datetime | None = field(default=None, compare=False)
    """When the mail server accepted it (caught mails only)."""


@dataclass
class Trajectory:
    case_id: str
    scenario: str
    request: OpenTrajectory
    trajectory_id: str = ""
    model: TrajectoryStatus | None = None
    entries: int = 0
    notices: list[Notice] = field(default_factory=list)
    sent: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def workflow_id(self) -> str:
        return f"okot-{self.case_id}"

    @property
    def caseworker(self) -> Actor:
        return Actor(role=Role.CASEWORKER, id=self.request.caseworker)

    @property
    def mediator(self) -> Actor:
        return Actor(role=Role.MEDIATOR, id=MEDIATORS[CASEWORKERS.index(self.request.caseworker)])

    def opened(self, trajectory_id: str, now: datetime) -> None:
        self.trajectory_id = trajectory_id
        self.model = journey.open_trajectory(self.request, now)
        self.entries = 1

    def _take(self, decision: Accepted) -> None:
        self.model = decision.status
        self.entries += 1
        self.notices.extend(decision.notices)

    def apply(self, message: Message, now: datetime) -> bool:
        """Apply ``message`` to the model as the workflow does; False if the rules refuse it."""
        assert self.model is not None
        decision = journey.decide(self.model, message, now)
        if not isinstance(decision, Accepted):
            return False
        self._take(decision)
        if self.model.stage is Stage.REGISTERING and self.model.registration_pending:
            self._take(journey.registration_succeeded(self.model, "REF", now))
        return True

    def rejected_signal(self) -> None:
        """A refused Signal is a timeline entry too (and an audit record)."""
        self.entries += 1

    def expected_mails(self) -> list[Mail]:
        keys = Keys.run_scoped(self.trajectory_id)
        return [Mail(message_id_for(keys.notice(n.key)),
                     email_of(TEAMLEAD if n.role is Role.TEAMLEAD else n.to), n.template,
                     self.case_id) for n in self.notices]


# ----------------------------------------------------------------- the client side


def _retried(error: RPCError) -> bool:
    # "Unable to perform workflow execution update due to Workflow Task in failed state":
    # the worker cannot complete the workflow's tasks just now (its database is away).
    return error.status in RETRIED or "Workflow Task in failed state" in error.message


async def _patiently(call: Callable[[], Any], what: str, give_up: float = GIVE_UP) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + give_up
    pause = 0.2
    while True:
        try:
            return await call()
        except (WorkflowUpdateRPCTimeoutOrCancelledError, RPCError, RuntimeError) as error:
            if isinstance(error, RPCError) and not _retried(error):
                raise
            if loop.time() > deadline:
                raise NoAnswer(f"{what}: no answer within {give_up:.0f} s ({error})") from None
        await asyncio.sleep(pause)
        pause = min(pause * 2, 3.0)


async def open_one(client: Client, t: Trajectory, task_queue: str) -> None:
    async def start() -> WorkflowHandle[Any, Any]:
        try:
            return await trajectories.open_trajectory(client, t.request, task_queue)
        except trajectories.AlreadyOpen:  # an earlier attempt got through: the same run
            return client.get_workflow_handle(t.workflow_id)

    handle = await _patiently(start, f"open {t.case_id}")
    run_id = handle.first_execution_run_id or handle.run_id
    if run_id is None:
        described = await _patiently(handle.describe, f"describe {t.case_id}")
        run_id = described.raw_description.workflow_execution_info.first_run_id or described.run_id
    t.opened(run_id, datetime.now(UTC))


async def update(client: Client, t: Trajectory, message: Message, update_id: str) -> str | None:
    """Send ``message`` as an Update under ``update_id``; None if accepted, else the reason."""
    handle = client.get_workflow_handle(t.workflow_id)

    async def ask() -> str | None:
        try:
            await handle.execute_update(message.name.value, message.model_dump(mode="json"),
                                        id=update_id, result_type=dict[str, Any],  # an ack (or a status)
                                        rpc_timeout=timedelta(seconds=20))
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            return cause.message if isinstance(cause, ApplicationError) else str(cause)
        return None

    t.sent += 1
    try:
        refused = await _patiently(ask, f"{message.name.value} to {t.case_id}")
    except RPCError as error:  # e.g. the workflow has completed: the server refuses
        return f"refused by the server: {error.message}"
    if refused is None and not t.apply(message, datetime.now(UTC)):
        t.problems.append(f"{message.name.value}: accepted, but the rules refuse it")
    return refused  # type: ignore[no-any-return]


async def status(client: Client, case_id: str, give_up: float = GIVE_UP) -> TrajectoryStatus:
    handle = trajectories.handle_for(client, case_id)

    async def ask() -> TrajectoryStatus:
        try:
            return await handle.query(STATUS_QUERY, result_type=TrajectoryStatus,
                                      rpc_timeout=timedelta(seconds=20))
        except WorkflowQueryFailedError as error:  # e.g. the worker cannot reach its keys
            raise RuntimeError(str(error)[:200]) from None

    try:
        return await _patiently(ask, f"status of {case_id}", give_up)  # type: ignore[no-any-return]
    except RPCError as error:  # e.g. a query timed out: not retried by _patiently
        raise NoAnswer(f"status of {case_id}: {error.message}") from None


async def wait_for_stage(client: Client, t: Trajectory, stage: Stage) -> None:
    """Wait until the workflow is in ``stage`` (a registration runs in an activity), as
    its search attribute ``OkotStage`` says (the server answers, not a worker: see
    README, "What the system guarantees under faults", for why not a status query)."""
    handle = client.get_workflow_handle(t.workflow_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + GIVE_UP
    while True:
        described = await _patiently(handle.describe, f"describe {t.case_id}")
        if described.typed_search_attributes.get(sa.STAGE) == stage.value:
            return
        if loop.time() > deadline:
            raise NoAnswer(f"{t.case_id} did not reach {stage.value}")
        await asyncio.sleep(0.5)


# ------------------------------------------------------------------- the journey


def new_trajectory(scenario: str, index: int, rng: random.Random, **request: Any) -> Trajectory:
    case_id = f"{scenario.upper()}-{index:04d}-{rng.randrange(16**6):06x}"
    caseworker = CASEWORKERS[index % len(CASEWORKERS)]
    return Trajectory(case_id, scenario, OpenTrajectory(
        case_id=case_id, ocmw=OCMW, caseworker=caseworker, teamlead=TEAMLEAD,
        registered_jobseeker=rng.random() < 0.5, **request))


def happy_path(t: Trajectory, day: date) -> list[Message]:
    """The 11 milestones from the info talk to the follow-up (about 6 mails)."""
    return paths.happy_path(day, t.caseworker, t.mediator)


async def drive(client: Client, t: Trajectory, messages: list[Message],
                done: Callable[[], None] | None = None) -> None:
    """Send ``messages`` one after the other, as a caseworker and a mediator would."""
    for step, message in enumerate(messages):
        assert t.model is not None
        try:
            if t.model.stage is Stage.HANDOVER and not t.request.registered_jobseeker:
                await wait_for_stage(client, t, Stage.HANDOVER)  # registered meanwhile
            refused = await update(client, t, message,
                                   f"{t.case_id}-{t.sent}-{message.name.value}")
        except NoAnswer as error:
            t.problems.append(str(error)[:300])
            return
        if refused is not None:
            t.problems.append(f"step {step} {message.name.value} refused: {refused[:200]}")
            return
        if done is not None:
            done()
