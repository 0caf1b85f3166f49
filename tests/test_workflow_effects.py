"""Side effects on the time-skipping server: a reopened case is a trajectory of its own,
a mail that cannot be delivered holds nothing else up, a record the database refuses
shows in the timeline. (What operations sees while a mail is stuck, and carrying it
through continue-as-new, run in real time on the dev server: test_workflow_attention.py.)"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.testing import WorkflowEnvironment
from workflow_helpers import CW, Driver, candidacy, save_history_enabled

from okot.db import outbox
from okot.db.caseload import caseload
from okot.db.tables import AUDIT_LOG, TRAJECTORY
from okot.domain.messages import GiveAgreement, RecordPrecheck, Withdraw
from okot.domain.status import Notice, TrajectoryStatus
from okot.domain.values import Closure
from okot.mail.errors import TemporaryDeliveryError
from worker import build_worker


class Mailbox:
    """Delivers (and counts by key) while ``up``; otherwise the server cannot be reached."""

    def __init__(self, up: bool = True) -> None:
        self.up = up
        self.sent: Counter[str] = Counter()
        self.templates: list[str] = []

    async def deliver(self, notice: Notice, outbox_id: int) -> str:
        if not self.up:
            raise TemporaryDeliveryError("SMTP server unreachable (ConnectionRefusedError)")
        self.sent[notice.key] += 1
        self.templates.append(notice.template)
        return f"<{outbox_id}@test>"


async def until(check: Callable[[], Any], what: str, timeout: float = 20) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        got = check()
        if asyncio.iscoroutine(got):
            got = await got
        if got:
            return got
        if loop.time() > end:
            raise AssertionError(f"not reached: {what}")
        await asyncio.sleep(0.1)


def snapshots(engine: Engine, workflow_id: str) -> dict[str, dict[str, Any]]:
    t = TRAJECTORY.c
    with engine.connect() as conn:
        return {r.trajectory_id: dict(r._mapping) for r in conn.execute(
            select(TRAJECTORY).where(t.workflow_id == workflow_id).order_by(t.opened_at))}


def audited(engine: Engine, trajectory_id: str) -> list[str]:
    a = AUDIT_LOG.c
    with engine.connect() as conn:
        return list(conn.execute(select(a.name).where(
            a.trajectory_id == trajectory_id, a.superseded_at.is_(None)).order_by(a.seq)).scalars())


async def test_a_case_reopened_after_withdrawal_is_a_trajectory_of_its_own(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    mail = Mailbox()
    workflow_id = f"okot-{case_id}"
    async with build_worker(ts_env.client, engine, task_queue=task_queue, delivery=mail):
        first = Driver(ts_env, case_id, task_queue)
        await first.open()
        for message in candidacy():
            await first.signal(message)
        await first.signal(Withdraw(actor=CW, reason="verhuisd"))
        assert first.handle is not None
        closed = await ts_env.client.get_workflow_handle(
            workflow_id, result_type=TrajectoryStatus).result()
        assert closed.closure is Closure.WITHDRAWN
        one_timeline = [e.name for e in await first.timeline()]

        second = Driver(ts_env, case_id, task_queue)
        await second.open()
        for message in candidacy():
            await second.signal(message)
        assert second.handle is not None and second.handle.result_run_id != first.handle.result_run_id
        one, two = first.handle.result_run_id, second.handle.result_run_id
        assert one is not None and two is not None
        two_timeline = [e.name for e in await second.timeline()]
        await until(lambda: len(audited(engine, two)) == len(two_timeline), "second recorded")
        await until(lambda: mail.templates.count("candidacy_submitted") == 2, "second mail")
        assert snapshots(engine, workflow_id)[two]["stage"] == "awaiting_agreement"
        open_cases = [i for i in caseload(engine, CW.id) if i.case_id == case_id]
        await second.signal(Withdraw(actor=CW, reason="toch niet"))
        await _finished(ts_env, second)
        if save_history_enabled():
            await first.save_history("reopened_first_trajectory", run_id=one)
            await second.save_history("reopened_second_trajectory")

    assert audited(engine, one) == one_timeline
    assert two_timeline == ["opened", "record_precheck", "submit_candidacy"]
    assert audited(engine, two) == [*two_timeline, "withdraw"]
    rows = snapshots(engine, workflow_id)
    assert list(rows) == [one, two], "one snapshot per trajectory, keyed by its first run id"
    assert (rows[one]["stage"], rows[one]["closure"]) == ("closed", "withdrawn")
    assert (rows[two]["stage"], rows[two]["closure"]) == ("closed", "withdrawn")
    rows = outbox.list_notifications(engine, case_id=case_id)
    candidacy_rows = [r for r in rows if r.template == "candidacy_submitted"]
    assert [r.trajectory_id for r in candidacy_rows] == [one, two]
    assert all(r.state == "sent" for r in candidacy_rows)
    assert all(count == 1 for count in mail.sent.values())
    assert [i.stage for i in open_cases] == ["awaiting_agreement"]


async def test_smtp_down_delays_no_record_registration_or_closing(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    mail = Mailbox(up=False)
    d = Driver(ts_env, case_id, task_queue)
    async with build_worker(ts_env.client, engine, task_queue=task_queue, delivery=mail):
        await d.open(registered_jobseeker=False)
        for message in candidacy():
            await d.signal(message)
        await d.signal(GiveAgreement(actor=CW))
        # registered as jobseeker while the candidacy and agreement mails are stuck
        await until(lambda: _stage(engine, d) == "handover", "registered, recorded")
        failed = await until(lambda: _retried(engine, case_id, 2), "attempts in the outbox")
        assert {r.template for r in failed} == {"candidacy_submitted", "agreement_given"}
        assert all(r.state == "queued" and r.last_error and r.last_attempt_at for r in failed)

        s = await d.signal(Withdraw(actor=CW, reason="stopt"))
        assert s.closure is Closure.WITHDRAWN
        await until(lambda: _stage(engine, d) == "closed", "closing recorded at once")
        assert d.handle is not None
        timeline = [e.name for e in await d.timeline()]
        await until(lambda: audited(engine, d.handle.result_run_id or "") == timeline,
                    "every record written")
        desc = await ts_env.client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=ts_env.client.namespace,
                execution=WorkflowExecution(workflow_id=d.handle.id)))
        running = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
        assert desc.workflow_execution_info.status == running, "its mails are pending"
        assert mail.sent == Counter()
        mail.up = True  # (the next retries come in real time: a few seconds)
        await _finished(ts_env, d)
    rows = outbox.list_notifications(engine, case_id=case_id)
    assert rows and all(r.state == "sent" for r in rows)
    assert set(mail.sent.values()) == {1} and len(mail.sent) == len(rows)


def _retried(engine: Engine, case_id: str, count: int) -> list[Any] | None:
    rows = outbox.list_notifications(engine, failed_only=True, case_id=case_id)
    return rows if len(rows) == count else None


def _stage(engine: Engine, d: Driver) -> str | None:
    assert d.handle is not None
    rows = snapshots(engine, d.handle.id)
    run = d.handle.result_run_id
    return str(rows[run]["stage"]) if run in rows else None


async def test_a_record_the_database_refuses_shows_in_the_timeline_and_the_rest_goes_on(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sqlalchemy.exc import DataError

    from okot.db import events

    real = events._record  # what record_event and record_events (a batch) write with

    def refusing(conn: Any, request: Any, now: Any, *, snapshot: bool, run_id: Any = None) -> bool:
        if request.entry.name == "record_precheck":
            raise DataError("INSERT ... secret parameters", {"notes": "secret"}, Exception("22P05"))
        return real(conn, request, now, snapshot=snapshot, run_id=run_id)

    monkeypatch.setattr(events, "_record", refusing)
    d = Driver(ts_env, case_id, task_queue)
    async with build_worker(ts_env.client, engine, task_queue=task_queue, delivery=Mailbox()):
        await d.open()
        await d.signal(RecordPrecheck(actor=CW, conditions_met=True, twe_active=False,
                                      study_level="bachelor", notes="secret"))
        await d.signal(candidacy()[1])
        entries = await until(
            lambda: _with(d, "record_failed"), "record_failed in the timeline")
        assert d.handle is not None
        await until(lambda: "record_failed" in audited(engine, d.handle.result_run_id or ""),
                    "later records written")
        await d.signal(Withdraw(actor=CW, reason="stopt"))
        await _finished(ts_env, d)
    failed = entries[-1]
    assert failed.summary == "audit record of entry 2 (record_precheck) could not be written"
    names = audited(engine, d.handle.result_run_id or "")
    assert names[0] == "opened" and names[-1] == "withdraw"
    assert sorted(names[1:-1]) == ["record_failed", "submit_candidacy"]
    assert "secret" not in (failed.reason or "") + failed.summary


async def _finished(env: WorkflowEnvironment, d: Driver) -> TrajectoryStatus:
    """Wait for the workflow's end inside the worker: a test on the time-skipping server
    must leave no activity under way (it would hold time still for the next tests)."""
    assert d.handle is not None
    handle = env.client.get_workflow_handle(d.handle.id, result_type=TrajectoryStatus)
    return await asyncio.wait_for(handle.result(), 60)


async def _with(d: Driver, name: str) -> list[Any] | None:
    entries = [e for e in await d.timeline() if e.name == name]
    return entries or None
