"""Runs since 0.4.0 carry one patch marker (``baseline-0.4``) instead of six, with the
behaviour of every patch it covers; a run recorded before it replays under its own."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

from sqlalchemy import Engine, select
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.testing import WorkflowEnvironment
from workflow_helpers import CW, MED, Driver, running_worker

from okot.db.tables import AUDIT_LOG
from okot.domain import rules_versions
from okot.domain.messages import RecordEnd, RecordInfo, Withdraw
from okot.domain.values import Actor, Closure, Role
from workflows import patches
from workflows.effect_runner import INDEPENDENT_EFFECTS, LEAN_EFFECTS, RUN_SCOPED_KEYS
from workflows.trajectory import HISTORY_SIZE_PATCH, PER_CASE_PATCH

HISTORIES = Path(__file__).parent / "histories"
STRANGER = Actor(role=Role.CASEWORKER, id="cw-not-on-this-case")


def patch_ids(events: list[HistoryEvent]) -> list[str]:
    """The ids of the patch markers in ``events``, in order."""
    found = []
    for event in events:
        if event.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
            continue
        marker = event.marker_recorded_event_attributes
        if marker.marker_name == "core_patch":
            found.append(json.loads(marker.details["patch-data"].payloads[0].data)["id"])
    return found


def change_version_upserts(events: list[HistoryEvent]) -> int:
    return sum(
        1 for e in events
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
        and "TemporalChangeVersion"
        in e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields)


def test_the_baseline_covers_every_patch_a_new_run_asked_for_in_0_3_0() -> None:
    asked_in_0_3_0 = {RUN_SCOPED_KEYS, INDEPENDENT_EFFECTS, LEAN_EFFECTS, PER_CASE_PATCH,
                      HISTORY_SIZE_PATCH, *rules_versions.START_PATCHES.values()}
    assert asked_in_0_3_0 == patches.COVERED
    assert max(rules_versions.START_PATCHES) == patches.BASELINE_RULES_VERSION


def test_runs_recorded_before_the_baseline_carry_a_marker_per_patch() -> None:
    """(What the baseline saves: a 0.3.0 run opened with six patch markers.)"""
    recorded = json.loads((HISTORIES / "0.3.0" / "lean_effects_updates.json").read_text())
    ids = [json.loads(base64.b64decode(marker["details"]["patch-data"]["payloads"][0]["data"]))["id"]
           for marker in (e.get("markerRecordedEventAttributes") for e in recorded["events"])
           if marker and marker["markerName"] == "core_patch"]
    assert len(ids) == 6 and patches.BASELINE not in ids


async def test_a_new_trajectory_has_one_patch_marker_and_the_rules_keys_and_effects_of_0_3_0(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(ts_env, case_id, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        opened = await d.open()
        await d.update(RecordInfo(actor=MED, date=await d.today(), channel="info_session"))
        await d.signal(Withdraw(actor=STRANGER, reason="verhuisd"))
        result = await d.signal(Withdraw(actor=CW, reason="verhuisd"))
        timeline = await d.timeline()
    assert opened.rules_version == patches.BASELINE_RULES_VERSION == rules_versions.CURRENT
    assert result.closure is Closure.WITHDRAWN
    refused = [e for e in timeline if e.actor == STRANGER]  # per-case authorization
    assert len(refused) == 1 and not refused[0].accepted
    assert d.handle is not None
    events = list((await d.handle.fetch_history()).events)
    assert patch_ids(events) == [patches.BASELINE]
    assert change_version_upserts(events) == 1
    scheduled = {e.activity_task_scheduled_event_attributes.activity_type.name for e in events
                 if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED}
    local = [e for e in events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
             and e.marker_recorded_event_attributes.marker_name == "core_local_activity"]
    assert "record" not in scheduled and len(local) >= 3  # lean effects: local activities
    first_run = events[0].workflow_execution_started_event_attributes.first_execution_run_id
    a = AUDIT_LOG.c
    with engine.connect() as conn:
        keyed_by = set(conn.execute(select(a.trajectory_id).where(a.case_id == case_id)).scalars())
    assert keyed_by == {first_run}  # run-scoped keys (legacy: the workflow id)


async def test_a_continued_run_has_one_patch_marker_too(
    dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(dev_env, case_id, task_queue)
    async with running_worker(dev_env.client, engine, task_queue):
        await d.open(continue_as_new_after_events=40)
        assert d.handle is not None and d.handle.result_run_id is not None
        first_run = d.handle.result_run_id
        for _ in range(10):  # rejected (wrong stage): each grows the history
            await d.signal(RecordEnd(actor=MED, result="passed", date=await d.today()))
        handle = dev_env.client.get_workflow_handle(d.handle.id)
        for _ in range(100):
            if (await handle.describe()).run_id != first_run:
                break
            await asyncio.sleep(0.1)
        result = await d.signal(Withdraw(actor=CW, reason="verhuisd"))
        await handle.result()
    assert result.closure is Closure.WITHDRAWN
    latest = list((await handle.fetch_history()).events)
    first = list((await dev_env.client.get_workflow_handle(d.handle.id, run_id=first_run)
                  .fetch_history()).events)
    assert (await handle.describe()).run_id != first_run
    assert patch_ids(first) == patch_ids(latest) == [patches.BASELINE]
