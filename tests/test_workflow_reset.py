"""A Temporal Reset on the dev server: the new branch records under the same trajectory
and keys; the audit log shows each timeline entry once (the abandoned branch's rows
kept as superseded), the snapshot follows the new branch, no mail goes out twice."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType, ResetReapplyExcludeType
from temporalio.api.workflowservice.v1 import ResetWorkflowExecutionRequest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from test_workflow_effects import Mailbox, audited, snapshots, until
from workflow_helpers import CW, Driver, candidacy

from okot.db import outbox
from okot.db.tables import AUDIT_LOG
from okot.domain.messages import Withdraw
from okot.domain.status import TrajectoryStatus
from okot.domain.values import Closure
from worker import build_worker


def abandoned(engine: Engine, trajectory_id: str) -> list[str]:
    a = AUDIT_LOG.c
    with engine.connect() as conn:
        return list(conn.execute(select(a.name).where(
            a.trajectory_id == trajectory_id, a.superseded_at.is_not(None)).order_by(a.seq)
        ).scalars())


async def settled_point(handle: WorkflowHandle[object, TrajectoryStatus]) -> tuple[int, bool] | None:
    """The last workflow task, once the pre-check's record is done (a local activity: its
    marker follows the task that ran it) and no activity is under way; and whether that
    task is the one that applied the pre-check (a Reset re-runs the task it resets to:
    the pre-check is then applied and recorded again, at its new moment). The record
    lands in that task or, when a query came in meanwhile (``Driver.signal`` asks the
    status), in a task of its own that applied nothing (and an empty task may follow)."""
    events = (await handle.fetch_history()).events
    kinds = [e.event_type for e in events]
    if kinds.count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) != kinds.count(
            EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED):
        return None
    signalled = [i for i, k in enumerate(kinds)
                 if k == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED]
    pending = {EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED}
    if (len(signalled) != 1 or kinds[-1] in pending
            or EventType.EVENT_TYPE_MARKER_RECORDED not in kinds[signalled[0]:]):
        return None
    done = [i for i, k in enumerate(kinds) if k == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]
    last = done[-1]  # ... SCHEDULED, STARTED, COMPLETED: what came before SCHEDULED woke it
    return events[last].event_id, kinds[last - 3] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED


async def reset(env: WorkflowEnvironment, workflow_id: str, event_id: int,
                reapply: bool) -> str:
    excluded = [] if reapply else [ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL,
                                   ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE]
    response = await env.client.workflow_service.reset_workflow_execution(
        ResetWorkflowExecutionRequest(
            namespace=env.client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id),
            reason="okot test: reset after the pre-check", request_id=str(uuid.uuid4()),
            workflow_task_finish_event_id=event_id, reset_reapply_exclude_types=excluded,
        )
    )
    return response.run_id


@pytest.mark.parametrize("reapply", [False, True], ids=["new-branch", "candidacy-reapplied"])
async def test_reset_leaves_a_correct_audit_log_snapshot_and_outbox(
    dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str, reapply: bool
) -> None:
    mail = Mailbox()
    d = Driver(dev_env, case_id, task_queue)
    precheck, submit = candidacy()
    async with build_worker(dev_env.client, engine, task_queue=task_queue, delivery=mail):
        await d.open()
        assert d.handle is not None and d.handle.result_run_id is not None
        trajectory = d.handle.result_run_id
        handle = dev_env.client.get_workflow_handle(d.handle.id, result_type=TrajectoryStatus)
        await d.signal(precheck)
        await until(lambda: audited(engine, trajectory) == ["opened", "record_precheck"],
                    "pre-check recorded")
        point, reruns_precheck = await until(lambda: settled_point(handle),
                                             "the pre-check's effects done")
        await d.signal(submit)
        await until(lambda: mail.templates == ["candidacy_submitted"], "candidacy mail sent")
        await until(lambda: len(audited(engine, trajectory)) == 3, "candidacy recorded")

        new_run = await reset(dev_env, d.handle.id, point, reapply)
        assert new_run != trajectory
        if reapply:  # the candidacy signal is applied again in the new branch
            await until(lambda: _stage_is(d, "awaiting_agreement"), "candidacy reapplied")
        s = await d.update(Withdraw(actor=CW, reason="verhuisd"))
        assert s.closure is Closure.WITHDRAWN
        await handle.result()
        timeline = [e.name for e in await d.timeline()]
        await until(lambda: audited(engine, trajectory) == timeline, "new branch recorded")

    expected = ["opened", "record_precheck", *(["submit_candidacy"] if reapply else []),
                "withdraw"]
    assert timeline == expected
    assert abandoned(engine, trajectory) == [
        *(["record_precheck"] if reruns_precheck else []), "submit_candidacy"], "kept, not current"
    rows = snapshots(engine, d.handle.id)
    assert list(rows) == [trajectory], "the same trajectory: keys survive the Reset"
    assert (rows[trajectory]["stage"], rows[trajectory]["closure"]) == ("closed", "withdrawn")
    sent = outbox.list_notifications(engine, case_id=case_id)
    assert [r.template for r in sent].count("candidacy_submitted") == 1
    assert set(mail.sent.values()) == {1}, "no mail twice"
    assert mail.templates.count("candidacy_submitted") == 1


async def _stage_is(d: Driver, stage: str) -> bool:
    return (await d.status()).stage.value == stage
