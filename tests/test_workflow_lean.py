"""Runs since the ``lean-effects`` patch: records by one local activity per workflow task,
one timer per deadline, a small Update answer. Records their histories into
tests/histories/<version>/ (``lean_effects_*``) with OKOT_SAVE_HISTORIES=1."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import Engine, select
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment
from test_workflow_paths import finish, to_training
from workflow_helpers import CW, MED, Driver, candidacy, running_worker, save_history_enabled

from okot.db.tables import AUDIT_LOG
from okot.domain.messages import AgreeFollowUp, RecordEmployment, RecordEnd, RecordInfo, Withdraw
from okot.domain.status import TrajectoryStatus
from okot.domain.values import Closure, Stage
from okot.temporal import trajectories
from okot.temporal.contract import MessageAck


async def events_of(d: Driver) -> tuple[Counter[str], Counter[str]]:
    """Event types and scheduled activity types of the trajectory's history."""
    assert d.handle is not None
    kinds: Counter[str] = Counter()
    activities: Counter[str] = Counter()
    for event in (await d.handle.fetch_history()).events:
        kinds[EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")] += 1
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            activities[event.activity_task_scheduled_event_attributes.activity_type.name] += 1
    return kinds, activities


def audited(engine: Engine, case_id: str) -> list[str]:
    a = AUDIT_LOG.c
    with engine.connect() as conn:
        return list(conn.execute(select(a.name).where(a.case_id == case_id).order_by(a.seq))
                    .scalars())


async def test_updates_are_acknowledged_and_records_are_local_activities(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(ts_env, case_id, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        opened = await d.open()
        today = await d.today()
        answer = await trajectories.send_update(
            d.client, case_id, RecordInfo(actor=MED, date=today, channel="info_session"))
        assert answer == MessageAck(stage=Stage.ORIENTATION, seq=opened.seq + 1)
        precheck, submit = candidacy(by=CW)
        status = await d.update(precheck)  # the callers still get the whole status
        assert isinstance(status, TrajectoryStatus) and status.precheck is not None
        status = await d.update(submit)
        assert status.stage is Stage.AWAITING_AGREEMENT
        await d.signal(Withdraw(actor=CW, reason="verhuisd"))
        result = await finish(d, "lean_effects_updates")
    assert result.closure is Closure.WITHDRAWN
    assert audited(engine, case_id) == ["opened", "record_info", "record_precheck",
                                        "submit_candidacy", "withdraw"]
    kinds, activities = await events_of(d)
    assert "record" not in activities  # written by record_events, a local activity
    assert kinds["MARKER_RECORDED"] >= 5
    # the orientation deadline stayed where it was until the candidacy moved the stage:
    # one timer for it, one for the next stage's, none restarted per message
    assert opened.next_deadline is not None and kinds["TIMER_STARTED"] == 2
    assert kinds["TIMER_CANCELED"] == 1


async def test_a_three_year_path_fires_its_timers_and_records_every_event(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(ts_env, case_id, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        await to_training(d, registered=False)
        await d.sleep(365 * 2 + 300)
        assert (await d.status()).streams["progress_check"].sent >= 11
        await d.signal(RecordEnd(actor=MED, result="passed", date=await d.today()))
        await d.signal(AgreeFollowUp(actor=CW, lead="vdab", plan="Sollicitatietraining"))
        await d.sleep(190)
        await d.signal(RecordEmployment(actor=CW, employed=True, date=await d.today()))
        await d.sleep(190)
        await d.signal(RecordEmployment(actor=CW, employed=True, date=await d.today()))
        result = await finish(d, "lean_effects_full_path")
    assert result.closure is Closure.COMPLETED
    names = audited(engine, case_id)
    assert names.count("deadline") == result.reminders_sent + result.escalations_sent
    assert len(names) == result.seq  # every accepted event recorded, once
    kinds, activities = await events_of(d)
    assert set(activities) == {"notify", "register_jobseeker"}
    assert kinds["TIMER_FIRED"] == names.count("deadline")
    assert kinds["TIMER_CANCELED"] < 10  # only when a message moved the deadline


async def test_continue_as_new_carries_every_signal_and_record(
    dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    """Continue-as-new is decided in a workflow task in which nothing new came in (a short
    timer after the effects are quiet): every Signal of the run is carried."""
    d = Driver(dev_env, case_id, task_queue)
    async with running_worker(dev_env.client, engine, task_queue):
        await d.open(continue_as_new_after_events=40)
        assert d.handle is not None and d.handle.result_run_id is not None
        first_run = d.handle.result_run_id
        handle = dev_env.client.get_workflow_handle(d.handle.id)
        today = await d.today()
        for _ in range(10):  # rejected (wrong stage): each grows the history
            await d.signal(RecordEnd(actor=MED, result="passed", date=today))
        for _ in range(100):
            if (await handle.describe()).run_id != first_run:
                break
            await asyncio.sleep(0.1)
        timeline = [e.name for e in await d.timeline()]
        assert timeline.count("record_end") == 10
        await d.signal(Withdraw(actor=CW, reason="verhuisd"))
        result = await finish(d, "lean_effects_continue_as_new_next_run")
        if save_history_enabled():
            await d.save_history("lean_effects_continue_as_new_first_run", first_run)
    assert result.closure is Closure.WITHDRAWN
    assert (await handle.describe()).run_id != first_run
    assert audited(engine, case_id).count("record_end") == 10
