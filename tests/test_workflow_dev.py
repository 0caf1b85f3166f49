"""The OkotTrajectory workflow on the Temporal dev server: Updates, Signals,
visibility and the Web UI's summary and details."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import Engine
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from workflow_helpers import CW, MED, Driver, candidacy, running_worker

from okot.domain.messages import (
    ConfirmHandover,
    GiveAgreement,
    RecordPrecheck,
    RecordScreening,
    SubmitCandidacy,
)
from okot.domain.status import OpenTrajectory
from okot.domain.values import Stage
from okot.temporal import trajectories


async def _to_screening(d: Driver, ocmw: str) -> None:
    await d.open(ocmw=ocmw)
    for message in candidacy("bachelor", "Verpleegkunde", "Artevelde", "training_guide"):
        await d.update(message)
    await d.update(GiveAgreement(actor=CW))
    await d.update(ConfirmHandover(actor=CW, date=await d.today(), channel="phone"))


async def test_updates_are_accepted_or_rejected_with_reasons(
    dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(dev_env, case_id, task_queue)
    async with running_worker(dev_env.client, engine, task_queue):
        await d.open()
        with pytest.raises(trajectories.MessageRejected) as wrong_stage:
            await d.update(GiveAgreement(actor=CW))
        assert "not allowed in stage orientation" in str(wrong_stage.value)
        assert "submit_candidacy" in str(wrong_stage.value)
        with pytest.raises(trajectories.MessageRejected) as wrong_role:
            await d.update(RecordPrecheck(actor=MED, conditions_met=True, twe_active=False,
                                          study_level="bachelor"))
        assert "may be sent by caseworker, not by mediator" in str(wrong_role.value)
        with pytest.raises(trajectories.MessageRejected) as bad_rule:
            await d.update(SubmitCandidacy(actor=CW, programme="X", study_level="bachelor",
                                           school="Y", channel="mediator", mediator=MED.id))
        assert "pre-check" in str(bad_rule.value)
        # a malformed payload sent raw is refused with a one-line reason
        handle = dev_env.client.get_workflow_handle(f"okot-{case_id}")
        with pytest.raises(WorkflowUpdateFailedError) as malformed:
            await handle.execute_update("record_precheck", {"actor": {"role": "caseworker",
                                                                     "id": CW.id},
                                                           "study_level": "phd"})
        cause = malformed.value.cause
        assert isinstance(cause, ApplicationError) and cause.type == "InvalidMessage"
        assert "study_level" in cause.message and "conditions_met" in cause.message
        assert "\n" not in cause.message
        # rejections left no trace
        timeline = await d.timeline()
        assert [e.name for e in timeline] == ["opened"]
        s = await d.update(RecordPrecheck(actor=CW, conditions_met=True, twe_active=False,
                                          study_level="bachelor"))
        assert s.stage is Stage.ORIENTATION and s.precheck is not None and s.seq == 2
        with pytest.raises(trajectories.AlreadyOpen):
            await trajectories.open_trajectory(
                dev_env.client,
                OpenTrajectory(case_id=case_id, ocmw="gent", caseworker=CW.id),
                task_queue,
            )


async def test_invalid_signal_is_recorded_as_rejected_and_changes_nothing(
    dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(dev_env, case_id, task_queue)
    async with running_worker(dev_env.client, engine, task_queue):
        before = await d.open()
        handle = dev_env.client.get_workflow_handle(f"okot-{case_id}")
        await handle.signal("record_screening", {"actor": {"role": "mediator", "id": MED.id},
                                                 "approved": True, "start_date": "2030-01-01",
                                                 "location": "Gent"})
        await handle.signal("record_precheck", {"actor": {"role": "caseworker", "id": CW.id},
                                                "conditions_met": "maybe"})
        await handle.signal("confirm_start", "not an object")
        for _ in range(50):
            timeline = await d.timeline()
            if len(timeline) == 4:
                break
            await asyncio.sleep(0.1)
        rejected = timeline[1:]
        assert [e.accepted for e in rejected] == [False, False, False]
        assert "not allowed in stage orientation" in (rejected[0].reason or "")
        assert "conditions_met" in (rejected[1].reason or "")
        assert "JSON object" in (rejected[2].reason or "")
        after = await d.status()
        assert after == before


async def test_search_attributes_answer_visibility_queries_and_ui_shows_details(
    dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(dev_env, case_id, task_queue)
    ocmw = "ocmw-" + case_id[-6:].lower()
    async with running_worker(dev_env.client, engine, task_queue):
        await _to_screening(d, ocmw)
        query = f'OkotStage = "screening" AND OkotOcmw = "{ocmw}"'
        found: list[str] = []
        for _ in range(100):
            found = [w.id async for w in dev_env.client.list_workflows(query)]
            if found:
                break
            await asyncio.sleep(0.2)
        assert found == [f"okot-{case_id}"]
        handle = dev_env.client.get_workflow_handle(f"okot-{case_id}")
        desc = await handle.describe()
        attrs = {pair.key.name: pair.value for pair in desc.typed_search_attributes}
        assert attrs["OkotStudyLevel"] == "bachelor" and attrs["OkotMediator"] == MED.id
        assert attrs["OkotOverdue"] is False and attrs["OkotCaseworker"] == CW.id
        summary = await desc.static_summary()
        details = await desc.static_details()
        assert summary is not None and case_id in summary and ocmw in summary
        assert details is not None and ocmw in details
        meta = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        assert "`screening`" in meta.current_details
        assert "screening result (record_screening) from the mediator" in meta.current_details
        s = await d.update(RecordScreening(actor=MED, approved=False, reasons=("fit",)))
        assert s.stage is Stage.CLOSED
        await handle.result()
        attrs = {pair.key.name: pair.value for pair in (await handle.describe()).typed_search_attributes}
        assert attrs["OkotStage"] == "closed" and attrs["OkotClosure"] == "screening_rejected"


async def test_cancel_right_after_messages_always_closes_as_cancelled(
    dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    """A cancellation may land while an activity runs (it then surfaces as an
    activity failure): it must never be swallowed nor fail the workflow."""
    from okot.db import outbox
    from okot.domain.status import TrajectoryStatus
    from okot.domain.values import Closure

    async with running_worker(dev_env.client, engine, task_queue):
        for attempt in range(8):
            d = Driver(dev_env, f"{case_id}-{attempt}", task_queue)
            await _to_screening(d, "gent")
            handle = dev_env.client.get_workflow_handle(
                f"okot-{case_id}-{attempt}", result_type=TrajectoryStatus
            )
            await handle.cancel()
            result = await asyncio.wait_for(handle.result(), 20)
            assert result.closure is Closure.CANCELLED, attempt
            keys = [r.key for r in outbox.list_notifications(engine, case_id=f"{case_id}-{attempt}")]
            assert len(keys) == len(set(keys)) and len(keys) >= 2  # candidacy + agreement
