"""Seeding the demo: the planned cases, through real workflows, idempotently.

:func:`seed` runs the plan of :mod:`okot_dev.demo_plan` through real workflows
with :mod:`okot.temporal.trajectories` (open, then one Update per message), so
every demo case has a true history, timeline, audit log and notifications.
Nothing is written into a state directly.

Seeding is idempotent: a case whose workflow exists already (or, when an
engine is given, whose trajectory is in the database) is skipped, and a
second run reports every case as skipped. A case whose seeding was
interrupted (Ctrl-C) is finished on the next run, from the first planned
message its timeline does not hold yet (:func:`remaining_steps`); a case that
someone has worked on since is left alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from okot.db.tables import TRAJECTORY
from okot.domain.messages import Message
from okot.domain.values import Stage
from okot.temporal import trajectories
from okot_dev.demo_caseload import (
    AwaitRegistration,
    Cancel,
    DemoCase,
    Step,
)
from okot_dev.demo_plan import plan


@dataclass
class SeedReport:
    """What :func:`seed` did: cases opened and driven, skipped (already there), failed."""

    opened: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.opened) + len(self.resumed) + len(self.skipped) + len(self.failed)

    def summary(self) -> str:
        text = f"{len(self.opened)} demo case(s) created, {len(self.skipped)} already there"
        if self.resumed:
            text += f", {len(self.resumed)} half-seeded finished"
        if self.failed:
            text += f", {len(self.failed)} failed ({', '.join(sorted(self.failed))})"
        return text


class SeedError(RuntimeError):
    """One demo case could not be driven to its planned stage."""


async def _workflow_exists(client: Client, workflow_id: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id).describe()
    except RPCError as error:
        if error.status is RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


def _in_database(engine: Engine, workflow_id: str) -> bool:
    with engine.connect() as conn:
        row = conn.execute(
            select(TRAJECTORY.c.workflow_id).where(TRAJECTORY.c.workflow_id == workflow_id)
        ).first()
    return row is not None


async def _await_registration(client: Client, case_id: str, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        status = await trajectories.status(client, case_id)
        if status.stage is not Stage.REGISTERING:
            return
        if loop.time() > deadline:
            raise SeedError(
                f"{case_id} is still registering after {timeout:.0f} s "
                f"({status.registration_error or 'no answer yet'})"
            )
        await asyncio.sleep(0.1)


def remaining_steps(case: DemoCase, done: Sequence[str]) -> tuple[Step, ...] | None:
    """The steps still to take when the messages ``done`` were accepted already.

    ``None`` when ``done`` is not the start of the plan's messages: someone
    worked on the case by hand, so the seeding leaves it alone.
    """
    planned = [m.name.value for m in case.messages]
    if list(done) != planned[: len(done)]:
        return None
    seen = start = 0
    for index, step in enumerate(case.steps):
        if isinstance(step, Message):
            if seen == len(done):
                break
            seen += 1
            start = index + 1  # what follows an accepted message (a wait, say) is still to do
    return case.steps[start:]


async def _take(
    client: Client, case: DemoCase, steps: Sequence[Step], registration_timeout: float
) -> None:
    handle = trajectories.handle_for(client, case.case_id)
    for step in steps:
        if isinstance(step, AwaitRegistration):
            await _await_registration(client, case.case_id, registration_timeout)
        elif isinstance(step, Cancel):
            await handle.cancel()
            try:
                await asyncio.wait_for(handle.result(), registration_timeout)
            except TimeoutError:
                raise SeedError(f"{case.case_id} did not close after the cancel") from None
        else:
            try:
                await trajectories.send(client, case.case_id, step)
            except trajectories.MessageRejected as rejected:
                raise SeedError(f"{case.case_id}: {step.name.value} rejected: {rejected}") from None


async def _resume(
    client: Client, case: DemoCase, registration_timeout: float
) -> bool:
    """Finish a case whose seeding was interrupted (Ctrl-C); ``False`` if nothing to do."""
    description = await client.get_workflow_handle(case.workflow_id).describe()
    if description.status is not WorkflowExecutionStatus.RUNNING:
        return False
    entries = await trajectories.timeline(client, case.case_id)
    done = [e.name for e in entries if e.kind == "message" and e.accepted]
    steps = remaining_steps(case, done)
    if not steps or all(isinstance(s, AwaitRegistration) for s in steps):
        return False
    await _take(client, case, steps, registration_timeout)
    return True


async def run_case(
    client: Client, task_queue: str, case: DemoCase, *, engine: Engine | None = None,
    registration_timeout: float = 60.0,
) -> str:
    """Open ``case`` and take its steps.

    Returns ``"opened"``, ``"resumed"`` (it existed, half seeded: the missing
    steps were taken) or ``"skipped"`` (it exists already as planned, or was
    worked on since).
    """
    if await _workflow_exists(client, case.workflow_id):
        resumed = await _resume(client, case, registration_timeout)
        return "resumed" if resumed else "skipped"
    if engine is not None and await asyncio.to_thread(_in_database, engine, case.workflow_id):
        return "skipped"
    try:
        await trajectories.open_trajectory(client, case.request(), task_queue)
    except trajectories.AlreadyOpen:
        return "skipped"
    await _take(client, case, case.steps, registration_timeout)
    return "opened"


async def seed(
    client: Client,
    task_queue: str,
    *,
    limit: int | None = None,
    cases: Sequence[DemoCase] | None = None,
    engine: Engine | None = None,
    concurrency: int = 8,
    today: date | None = None,
) -> SeedReport:
    """Create the demo caseload through real workflows; skips cases that exist.

    ``limit`` seeds only the first cases of the plan (the plan is interleaved,
    so a prefix still visits many stages). ``engine``, when given, is also
    consulted, so a case that Temporal no longer knows (retention) but the
    database does is not created again.
    """
    chosen = list(cases if cases is not None else plan(today))[:limit]
    report = SeedReport()
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(case: DemoCase) -> None:
        async with gate:
            try:
                outcome = await run_case(client, task_queue, case, engine=engine)
            except (SeedError, RPCError, trajectories.MessageRejected) as error:
                report.failed[case.case_id] = str(error)
                return
        {"opened": report.opened, "resumed": report.resumed}.get(
            outcome, report.skipped
        ).append(case.case_id)

    await asyncio.gather(*(one(case) for case in chosen))
    for ids in (report.opened, report.resumed, report.skipped):
        ids.sort()
    return report
