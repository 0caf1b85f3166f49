"""Bad input at the workflow's own doors (dev server): a start, a Signal or an
Update sent by any Temporal client (``temporal workflow start``, the Web UI, a
script) without the project's checks in front.

* a bad start input fails the workflow at once with a clear reason, never a
  workflow task that fails on every attempt;
* a bad Signal (any shape, any size) is one bounded line in the timeline and
  changes nothing; the workflow keeps answering queries and Updates;
* a run whose history passes ``continue_as_new_after_bytes`` continues as new
  at once, carrying the records still queued: nothing is lost.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowUpdateFailedError,
)
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from workflow_helpers import CW, Driver, running_worker, save_history_enabled

from okot.domain.messages import RecordInfo
from okot.domain.reasons import REASON_LIMIT
from okot.domain.values import InfoChannel
from okot.temporal.contract import WORKFLOW_TYPE

NRN = "85073003328"
GOOD = {"case_id": "C-good", "ocmw": "gent", "caseworker": "cw-anna"}
ACTOR = {"role": "caseworker", "id": "cw-anna"}

async def _raw_client(env: WorkflowEnvironment) -> Client:
    """A client with Temporal's default JSON converter: what `temporal` and the Web UI send."""
    return await Client.connect(env.client.service_client.config.target_host,
                                namespace=env.client.namespace)


async def _task_failures(client: Client, workflow_id: str) -> int:
    """Workflow task failures of the worker's making. Not counted: those the server
    makes itself (``FORCE_CLOSE_COMMAND`` by ``history-service``) when Signals that came
    in while a task ran fill its buffer (a few 1 MB Signals do, on a slow machine); that
    task runs again at once with them."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    return sum(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
               and e.workflow_task_failed_event_attributes.identity != "history-service"
               for e in history.events)


START_CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("register-number", {"args": [GOOD | {"case_id": NRN}]}, ["national register number"]),
    ("not-an-object", {"args": ["hello"]}, ["needs one JSON object", "case_id"]),
    ("null", {"args": [None]}, ["needs one JSON object"]),
    ("no-input", {"args": []}, ["needs one JSON object"]),
    ("missing-fields", {"args": [{"case_id": "C-1"}]}, ["ocmw: Field required",
                                                        "caseworker: Field required"]),
    ("opened-1900", {"args": [GOOD | {"opened_on": "1900-01-01"}]}, ["opened_on", "2000-01-01"]),
    ("opened-2100", {"args": [GOOD | {"opened_on": "2100-01-01"}]}, ["opened_on", "2099-12-31"]),
    ("opened-future", {"args": [GOOD | {"opened_on": "2099-01-01"}]}, ["opened_on is in the future"]),
    ("extra-field", {"args": [GOOD | {"name": "Jan Peeters"}]}, ["name: Extra inputs"]),
    ("binary-payload", {"args": [RawValue(Payload(metadata={"encoding": b"binary/plain"},
                                                  data=b"\x00\x01"))]},
     ["needs one JSON object"]),
    ("unknown-encoding", {"args": [RawValue(Payload(metadata={"encoding": b"x/made-up"},
                                                    data=b"{}"))]},
     ["needs one JSON object"]),
    ("broken-json", {"args": [RawValue(Payload(metadata={"encoding": b"json/plain"},
                                               data=b'{"case_id": '))]},
     ["OkotTrajectory input"]),
]


@pytest.mark.parametrize(("label", "start", "expected"), START_CASES, ids=[c[0] for c in START_CASES])
async def test_a_bad_start_fails_the_workflow_at_once_with_a_clear_reason(
    dev_env: WorkflowEnvironment, engine: Engine, task_queue: str,
    label: str, start: dict[str, Any], expected: list[str],
) -> None:
    raw = await _raw_client(dev_env)
    workflow_id = f"okot-bad-{label}-{uuid.uuid4().hex[:6]}"
    async with running_worker(dev_env.client, engine, task_queue):
        await raw.start_workflow(WORKFLOW_TYPE, args=start["args"], id=workflow_id,
                                 task_queue=task_queue)
        handle = dev_env.client.get_workflow_handle(workflow_id)  # decodes the failure
        with pytest.raises(WorkflowFailureError) as failed:
            await asyncio.wait_for(handle.result(), 60)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError), cause
    assert cause.type == "InvalidInput" and cause.non_retryable
    for part in expected:
        assert part in cause.message, (part, cause.message)
    assert NRN not in cause.message and "Jan Peeters" not in cause.message
    assert len(cause.message) <= REASON_LIMIT and "\n" not in cause.message
    assert await _task_failures(raw, workflow_id) == 0
    if label == "missing-fields" and save_history_enabled():
        recorder = Driver(dev_env, "C-good", task_queue)
        recorder.handle = dev_env.client.get_workflow_handle(workflow_id)
        await recorder.save_history("invalid_start")


async def test_bad_signals_are_bounded_lines_in_the_timeline_and_change_nothing(
    dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(dev_env, case_id, task_queue)
    raw = await _raw_client(dev_env)
    big = "Q" * 1_000_000
    signals: list[tuple[str, list[Any]]] = [
        ("record_progress", []),                                       # no argument
        ("record_progress", [{"actor": ACTOR}, {"actor": ACTOR}]),     # two
        ("record_progress", [{"actor": ACTOR, "date": "2026-01-05", "note": big}]),
        ("withdraw", [{"actor": ACTOR, big: "x"}]),                    # 1 MB field name
        ("withdraw", [{"actor": {"role": "caseworker", "id": big}, "reason": "x"}]),
        ("withdraw", [{"actor": ACTOR, "reason": "a\x00b"}]),
        ("withdraw", [{"actor": ACTOR, "reason": f"klant {NRN[:6]} {NRN[6:9]} {NRN[9:]}"}]),
        ("record_info", [{"actor": ACTOR, "date": "2100-01-01", "channel": "info_session"}]),
    ]
    async with running_worker(dev_env.client, engine, task_queue):
        before = await d.open()
        handle = raw.get_workflow_handle(f"okot-{case_id}")
        for name, args in signals:
            await handle.signal(name, args=args)
        for _ in range(100):
            timeline = await d.timeline()
            if len(timeline) == 1 + len(signals):
                break
            await asyncio.sleep(0.2)
        rejected = timeline[1:]
        assert len(rejected) == len(signals) and not any(e.accepted for e in rejected)
        reasons = [e.reason or "" for e in rejected]
        assert all(0 < len(r) <= REASON_LIMIT for r in reasons)
        assert not any("QQQQ" in r or NRN[:6] in r or "\x00" in r for r in reasons)
        assert "one JSON object" in reasons[0] and "one JSON object" in reasons[1]
        assert "note: String should have at most 2000 characters" in reasons[2]
        assert "Extra inputs are not permitted" in reasons[3]
        assert "actor.id" in reasons[4] and rejected[4].actor.id == "unknown"
        assert "control character" in reasons[5]
        assert "national register number" in reasons[6]
        assert "2099-12-31" in reasons[7]
        assert await d.status() == before
        # the trajectory still answers and moves on
        after = await d.update(RecordInfo(actor=CW, date=await d.today(),
                                          channel=InfoChannel.INFO_SESSION))
        assert after.info_on is not None
        assert await _task_failures(raw, f"okot-{case_id}") == 0
        # the audit log holds the bounded reasons and never the rejected payload
        await asyncio.sleep(1)
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT reason, payload FROM audit_log WHERE workflow_id = :w AND NOT accepted"
            ), {"w": f"okot-{case_id}"}).all()
        assert len(rows) == len(signals)
        assert all(row.payload is None and len(row.reason) <= REASON_LIMIT for row in rows)


async def test_bad_updates_are_refused_with_one_line(
    dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(dev_env, case_id, task_queue)
    async with running_worker(dev_env.client, engine, task_queue):
        await d.open()
        handle = dev_env.client.get_workflow_handle(f"okot-{case_id}")  # decodes failures
        for args, expected in (
            ([], "one JSON object"),
            ([{"actor": ACTOR}, {"actor": ACTOR}], "one JSON object"),
            ([{"actor": ACTOR, "reason": "r" * 1_000_000}], "at most 2000 characters"),
            ([{"actor": ACTOR, "reason": f"nr {NRN}"}], "national register number"),
        ):
            with pytest.raises(WorkflowUpdateFailedError) as refused:
                await handle.execute_update("withdraw", args=args)
            cause = refused.value.cause
            assert isinstance(cause, ApplicationError) and cause.type == "InvalidMessage"
            assert expected in cause.message and len(cause.message) <= REASON_LIMIT
            assert NRN not in cause.message and "rrrr" not in cause.message
        assert [e.name for e in await d.timeline()] == ["opened"]


async def test_a_large_history_continues_as_new_early_and_loses_no_record(
    dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(dev_env, case_id, task_queue)
    count = 15
    async with running_worker(dev_env.client, engine, task_queue):
        await d.open(continue_as_new_after_bytes=100_000)
        handle = dev_env.client.get_workflow_handle(f"okot-{case_id}")
        first_run = (await handle.describe()).run_id
        for n in range(count):
            await handle.signal("record_progress",
                                {"actor": ACTOR, "date": "2026-01-05", "note": f"{n}" + "x" * 12_000})
        for _ in range(150):  # every rejection in the timeline
            timeline = await d.timeline()
            if sum(not e.accepted for e in timeline) == count:
                break
            await asyncio.sleep(0.2)
        assert sum(not e.accepted for e in timeline) == count
        # A workflow task sees the history's size without the Signals it was started for
        # (Temporal's history_size_bytes): when the last batch is what crosses the bound,
        # the next message continues as new. Here that is the Update.
        status = await d.update(RecordInfo(actor=CW, date=await d.today(),
                                           channel=InfoChannel.INFO_SESSION))
        assert status.info_on is not None
        for _ in range(150):
            current_run = (await handle.describe()).run_id
            if current_run != first_run:
                break
            await asyncio.sleep(0.2)
        assert current_run != first_run
        runs = [e async for e in dev_env.client.list_workflows(f"WorkflowId = 'okot-{case_id}'")]
        assert len(runs) >= 2
        for _ in range(50):
            with engine.connect() as conn:
                recorded = conn.execute(text(
                    "SELECT count(*) FROM audit_log WHERE workflow_id = :w AND NOT accepted"
                ), {"w": f"okot-{case_id}"}).scalar_one()
            if recorded == count:
                break
            await asyncio.sleep(timedelta(milliseconds=200).total_seconds())
        assert recorded == count
        if save_history_enabled():
            await d.save_history("history_size_bound_first_run", first_run)
            await d.save_history("history_size_bound_next_run", runs[0].run_id)  # the newest
