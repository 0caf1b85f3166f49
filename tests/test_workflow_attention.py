"""What operations sees while a mail is stuck, and a stuck mail carried through
continue-as-new: on the dev server, in real time (the time-skipping server does not
skip time while an activity is being retried), with a one-second attention window."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from test_workflow_effects import Mailbox, audited, until
from workflow_helpers import CW, MED, Driver, candidacy, save_history_enabled

from okot.db import outbox
from okot.domain.messages import RecordEnd, Withdraw
from okot.domain.status import TrajectoryStatus
from okot.domain.values import Closure
from okot.temporal import search_attributes as sa
from okot.temporal import trajectories
from worker import build_worker


async def attention(handle: WorkflowHandle[Any, Any]) -> bool | None:
    """``OkotAttention`` of the workflow's current run (``None``: unset)."""
    attrs = {p.key.name: p.value for p in (await handle.describe()).typed_search_attributes}
    value = attrs.get(sa.ATTENTION.name)
    return value if isinstance(value, bool) else None


async def details(handle: WorkflowHandle[Any, Any]) -> str:
    meta = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    return str(meta.current_details)


async def test_a_stuck_mail_is_shown_to_operations_until_it_is_delivered(
    dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    mail = Mailbox(up=False)
    d = Driver(dev_env, case_id, task_queue)
    async with build_worker(dev_env.client, engine, task_queue=task_queue, delivery=mail):
        await d.open(attention_after_seconds=1)
        for message in candidacy():
            await d.update(message)
        assert d.handle is not None
        handle = dev_env.client.get_workflow_handle(d.handle.id, result_type=TrajectoryStatus)
        assert await until(lambda: attention(handle), "OkotAttention set") is True
        query = f'OkotAttention = true AND WorkflowId = "{d.handle.id}"'
        found = await until(
            lambda: _listed(dev_env, query), "the Web UI's filter finds it")
        assert found == [d.handle.id]
        shown = await details(handle)
        assert "**Attention:**" in shown and "`notify caseworker: candidacy_submitted`" in shown
        (row,) = outbox.list_notifications(engine, failed_only=True, case_id=case_id)
        assert row.state == "queued" and row.attempts >= 1
        assert (await d.status()).stage.value == "awaiting_agreement"

        s = await d.update(Withdraw(actor=CW, reason="stopt"))
        assert s.closure is Closure.WITHDRAWN
        with pytest.raises(trajectories.AlreadyOpen, match="closed but still delivering"):
            await Driver(dev_env, case_id, task_queue).open()

        mail.up = True
        await until(lambda: _cleared(handle), "OkotAttention cleared once delivered", timeout=40)
        assert "**Attention:**" not in await details(handle)
        await handle.result()
        if save_history_enabled():
            await d.save_history("smtp_down_attention")
        reopened = await Driver(dev_env, case_id, task_queue).open()
        assert reopened.stage.value == "orientation"
    rows = outbox.list_notifications(engine, case_id=case_id)
    assert rows and all(r.state == "sent" for r in rows)
    assert set(mail.sent.values()) == {1} and sorted(mail.sent) == sorted(r.key for r in rows)
    assert {r.template for r in rows} >= {"candidacy_submitted", "withdrawn"}


async def _listed(env: WorkflowEnvironment, query: str) -> list[str]:
    return [w.id async for w in env.client.list_workflows(query)]


async def _cleared(handle: WorkflowHandle[Any, Any]) -> bool:
    return await attention(handle) is None


async def test_continue_as_new_carries_a_stuck_mail_and_it_is_delivered_once(
    dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    mail = Mailbox(up=False)
    d = Driver(dev_env, case_id, task_queue)
    async with build_worker(dev_env.client, engine, task_queue=task_queue, delivery=mail):
        await d.open(attention_after_seconds=1, continue_as_new_after_events=60)
        for message in candidacy():
            await d.update(message)
        assert d.handle is not None and d.handle.result_run_id is not None
        first_run = d.handle.result_run_id
        handle = dev_env.client.get_workflow_handle(d.handle.id, result_type=TrajectoryStatus)
        await until(lambda: attention(handle), "the candidacy mail is stuck")
        today = await d.today()
        for _ in range(12):  # rejected (wrong stage): each grows the history
            await d.signal(RecordEnd(actor=MED, result="passed", date=today))

        async def next_run() -> bool:
            return (await handle.describe()).run_id != first_run

        await until(next_run, "continued as new")
        assert await until(lambda: attention(handle), "still stuck in the next run") is True
        assert mail.sent == Counter()
        mail.up = True
        await until(lambda: _cleared(handle), "delivered by the next run", timeout=40)
        timeline = [e.name for e in await d.timeline()]
        assert timeline.count("record_end") == 12
        await until(lambda: audited(engine, first_run) == timeline, "every entry recorded once")
        s = await d.update(Withdraw(actor=CW, reason="stopt"))
        assert s.closure is Closure.WITHDRAWN
        await handle.result()
        if save_history_enabled():
            await d.save_history("continue_as_new_carrying")
    (row,) = [r for r in outbox.list_notifications(engine, case_id=case_id)
              if r.template == "candidacy_submitted"]
    assert row.state == "sent" and row.attempts >= 2
    assert mail.sent[row.key] == 1 and set(mail.sent.values()) == {1}
