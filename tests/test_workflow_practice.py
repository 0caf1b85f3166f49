"""Practice on the time-skipping server (Signals, ``env.sleep`` for timers): overdue
explained and answered; a stop reported by the caseworker, then confirmed with
``record_end``; a follow-up agreement that tells the other side. Each records its
history into tests/histories/0.3.0/ (OKOT_SAVE_HISTORIES=1)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from history_manifest import HISTORIES
from sqlalchemy import Engine
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.testing import WorkflowEnvironment
from test_workflow_paths import finish, templates_for, to_screening, to_training, wait_for
from workflow_helpers import CW, MED, Driver, running_worker

from okot.domain import rules_versions
from okot.domain.messages import (
    AgreeFollowUp,
    Reassign,
    RecordEmployment,
    RecordEnd,
    ReportStopped,
    ScheduleIntake,
    Withdraw,
)
from okot.domain.status import Party
from okot.domain.values import Actor, DeadlineKind, Role, Stage

K = DeadlineKind
MED2 = Actor(role=Role.MEDIATOR, id="med-eva")


async def details(d: Driver) -> str:
    assert d.handle is not None
    meta = await d.handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    return str(meta.current_details)


async def test_overdue_says_which_deadline_since_when_and_from_whom(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(ts_env, case_id, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        s = await to_screening(d)
        assert s.rules_version == rules_versions.CURRENT == 3
        due = s.next_deadline
        assert due is not None and due.kind is K.SCREENING_REMINDER
        await d.sleep(25)  # 15 working days without a screening result
        s = await wait_for(d, lambda s: s.overdue)
        assert s.overdue_detail is not None
        assert (s.overdue_detail.kind, s.overdue_detail.since) == (K.SCREENING_REMINDER, due.due)
        assert s.overdue_detail.awaited_from == (Party(role=Role.MEDIATOR, id=MED.id),)
        text = f"screening result due since {due.due.isoformat()}, awaited from mediator {MED.id}"
        assert f"**Overdue:** {text}" in await details(d)
        # another mediator takes over: the detail names them
        s = await d.signal(Reassign(actor=CW, mediator=MED2.id))
        assert s.overdue_detail is not None
        assert s.overdue_detail.awaited_from == (Party(role=Role.MEDIATOR, id=MED2.id),)
        # a planned intake answers it
        s = await d.signal(ScheduleIntake(actor=MED2, date=await d.today() + timedelta(days=7)))
        assert s.overdue is False and s.overdue_detail is None
        assert "**Overdue:**" not in await details(d)
        await d.signal(Withdraw(actor=CW, reason="verhuisd"))
        await finish(d, "overdue_explained")


async def test_a_stop_reported_by_the_caseworker_then_confirmed_by_record_end(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(ts_env, case_id, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        await to_training(d)
        await d.sleep(30)
        today = await d.today()
        s = await d.signal(ReportStopped(actor=CW, date=today - timedelta(days=2),
                                         note="Komt niet meer naar de les."))
        assert s.stop_report is not None and s.stop_report.by == CW
        assert s.stage is Stage.IN_TRAINING
        assert s.next_deadline is not None and s.next_deadline.kind is K.END_REMINDER
        assert "**Stop reported:** by caseworker `cw-anna`" in await details(d)
        # a second report is refused, and recorded as such in the timeline
        s = await d.signal(ReportStopped(actor=CW, date=today))
        assert (await d.timeline())[-1].accepted is False
        await d.sleep(20)  # ten working days: the mediator is reminded to confirm it
        s = await wait_for(d, lambda s: s.overdue)
        assert s.overdue_detail is not None and s.overdue_detail.kind is K.END_REMINDER
        s = await d.signal(RecordEnd(actor=MED, result="stopped_early", date=today - timedelta(days=2)))
        assert s.stage is Stage.FOLLOW_UP and s.stop_report is None and not s.overdue
        await d.signal(AgreeFollowUp(actor=CW, lead="ocmw", plan="Jobcoaching"))
        await d.signal(RecordEmployment(actor=CW, employed=False, date=await d.today()))
        await d.sleep(420)  # the checks, then closed for want of the 12-month one
        s = await wait_for(d, lambda s: s.stage is Stage.CLOSED)
        await finish(d, "stop_reported_then_ended")
    await asyncio.sleep(0.2)
    sent = templates_for(engine, case_id)
    assert ("stop_reported", "mediator", MED.id) in sent
    assert ("end_reminder", "mediator", MED.id) in sent
    assert ("training_ended", "caseworker", CW.id) in sent


async def test_the_follow_up_agreement_tells_the_other_side(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(ts_env, case_id, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        await to_training(d)
        await d.sleep(30)
        s = await d.signal(RecordEnd(actor=MED, result="passed", date=await d.today()))
        s = await d.signal(AgreeFollowUp(actor=MED, lead="vdab", plan="Sollicitatietraining"))
        assert s.follow_up_agreed_by == MED and s.follow_up_confirmed_by is None
        s = await d.signal(AgreeFollowUp(actor=CW, lead="vdab", plan="Sollicitatietraining"))
        assert s.follow_up_agreed_by == MED and s.follow_up_confirmed_by == CW
        assert "**Follow-up:** `vdab` by mediator `med-carl`, confirmed by caseworker `cw-anna`" \
            in await details(d)
        await d.sleep(400)
        s = await wait_for(d, lambda s: s.stage is Stage.CLOSED)
        await finish(d, "follow_up_other_side_told")
    await asyncio.sleep(0.2)
    sent = templates_for(engine, case_id)
    assert ("follow_up_agreed", "caseworker", CW.id) in sent
    assert ("follow_up_confirmed", "mediator", MED.id) in sent


@pytest.mark.parametrize("name", ["overdue_explained", "late_opened_file",
                                  "stop_reported_then_ended", "follow_up_other_side_told"])
def test_the_new_behaviour_is_recorded(name: str) -> None:
    assert (HISTORIES / "0.3.0" / f"{name}.json").exists(), (
        f"record {name} with OKOT_SAVE_HISTORIES=1")
