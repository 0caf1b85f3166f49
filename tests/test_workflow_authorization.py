"""Per-case authorization in the running workflow: Updates and Signals obey it.

The sender must hold their role on this trajectory. A stranger's Update is
refused with the one-line reason and leaves no trace; a stranger's Signal is
recorded in the timeline as rejected. The history of this test is kept (once,
never rewritten) as ``tests/histories/per_case_authorization.json`` so that
replay covers the new rule too.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from workflow_helpers import CW, HISTORIES, MED, TL, Driver, running_worker

from okot.domain.calendar import local_date
from okot.domain.messages import Reassign, RecordInfo, RecordPrecheck, Withdraw
from okot.domain.values import Actor, Closure, Role, StudyLevel
from okot.temporal import trajectories

STRANGER_CW = Actor(role=Role.CASEWORKER, id="cw-zoe")
STRANGER_TL = Actor(role=Role.TEAMLEAD, id="tl-yves")
HISTORY = "per_case_authorization"


async def test_strangers_are_refused_by_update_and_by_signal(
    dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(dev_env, case_id, task_queue)
    async with running_worker(dev_env.client, engine, task_queue):
        opened = await d.open()
        assert opened.teamlead == TL.id
        today = local_date(datetime.now(UTC))
        with pytest.raises(trajectories.MessageRejected) as refused:
            await trajectories.send(d.client, case_id, RecordPrecheck(
                actor=STRANGER_CW, conditions_met=True, twe_active=False,
                study_level=StudyLevel.BACHELOR))
        reason = str(refused.value)
        assert "stage orientation" in reason and "only this trajectory's caseworker" in reason
        assert STRANGER_CW.id not in reason
        assert (await d.status()).seq == opened.seq  # no trace

        await trajectories.signal(d.client, case_id, Reassign(actor=STRANGER_TL,
                                                               mediator=MED.id))
        # any mediator may record the info talk while none is set
        await trajectories.send(d.client, case_id, RecordInfo(
            actor=MED, date=today, channel="mediator_talk"))
        await trajectories.send(d.client, case_id, Reassign(actor=TL, mediator=MED.id))
        closed = await trajectories.send(d.client, case_id, Withdraw(actor=CW, reason="verhuisd"))
        assert closed.closure is Closure.WITHDRAWN
        timeline = await d.timeline()
        rejected = [e for e in timeline if not e.accepted]
        assert [(e.name, e.actor.id) for e in rejected] == [("reassign", STRANGER_TL.id)]
        assert rejected[0].reason is not None and "only the teamlead" in rejected[0].reason
        assert d.handle is not None
        await d.handle.result()
        if not list(HISTORIES.glob(f"*/{HISTORY}.json")):  # append-only: written once
            await d.save_history(HISTORY)
