"""Deliberately incompatible variants of ``OkotTrajectory`` (tests only).

Registered under the same workflow type name, they stand for a release that
forgot its ``workflow.patched``: replaying a history recorded by the real
workflow against them must fail.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RawValue

from okot.domain import rules_versions
from okot.domain.status import TrajectoryStatus
from okot.temporal.contract import WORKFLOW_TYPE
from workflows.inputs import NO_INPUT
from workflows.trajectory import OkotTrajectory


@workflow.defn(name=WORKFLOW_TYPE)
class UnpatchedRules(OkotTrajectory):
    """Routine checks no longer set overdue, for every trajectory, without the patch."""

    @workflow.init
    def __init__(self, raw: RawValue = NO_INPUT) -> None:
        super().__init__(raw)

    @workflow.run
    async def run(self, raw: RawValue = NO_INPUT) -> TrajectoryStatus:
        return await super().run(raw)

    def _start_rules(self) -> None:
        self._status = self._status.model_copy(update={"rules_version": rules_versions.CURRENT})


@workflow.defn(name=WORKFLOW_TYPE)
class PauseFirst(OkotTrajectory):
    """Waits a second before it starts: a new command ahead of every recorded one."""

    @workflow.init
    def __init__(self, raw: RawValue = NO_INPUT) -> None:
        super().__init__(raw)

    @workflow.run
    async def run(self, raw: RawValue = NO_INPUT) -> TrajectoryStatus:
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(raw)
