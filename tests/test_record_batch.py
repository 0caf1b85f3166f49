"""``record_events``: a workflow task's events in one transaction, one snapshot; a refused
event comes back in the result while the others are written; retries change nothing; each
row names the run that wrote it, so a retried workflow task (same run) replaces the rows
of its attempt that never completed and a Reset (a new run) supersedes them."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from db_fixtures import simulate
from sqlalchemy import select
from sqlalchemy.engine import Engine
from temporalio.testing import ActivityEnvironment

from activities.record import RecordActivities
from okot.db import events
from okot.db.tables import AUDIT_LOG, TRAJECTORY
from okot.domain.changes import Accepted
from okot.domain.effects import RecordBatch, RecordItem, RecordRequest
from okot.domain.messages import RecordInfo
from okot.domain.values import Actor, MessageName, Role
from workflows.decisions import ValidatedDecisions

pytest_plugins = ("db_fixtures",)


def batch_of(requests: list[RecordRequest]) -> RecordBatch:
    first = requests[0]
    return RecordBatch(
        workflow_id=first.workflow_id, trajectory_id="run-1",
        records=tuple(RecordItem(key=r.key, entry=r.entry, payload=r.payload) for r in requests),
        status=requests[-1].status)


def simulated(seed: int = 11) -> list[RecordRequest]:
    for attempt in range(seed, seed + 50):  # a trajectory with a few events
        sim = simulate(random.Random(attempt), "gent-0042", "gent", "cw.anna", "med.bart",
                       date(2024, 2, 5))
        if len(sim.requests) >= 4:
            return sim.requests[:4]
    raise AssertionError("no simulated trajectory with four events")


def audit(db: Engine) -> list[tuple[str, int]]:
    a = AUDIT_LOG.c
    with db.connect() as conn:
        return [(r.key, r.seq) for r in conn.execute(select(a.key, a.seq).order_by(a.seq))]


def test_a_batch_writes_every_event_and_the_snapshot_after_the_last(db: Engine) -> None:
    requests = simulated()
    batch = batch_of(requests)
    result = ActivityEnvironment().run(RecordActivities(db).record_events, batch)
    assert result.written == 4 and result.refused == ()
    assert [k for k, _ in audit(db)] == [r.key for r in requests]
    with db.connect() as conn:
        row = conn.execute(select(TRAJECTORY)).one()
    assert row.event_seq == requests[-1].entry.seq and row.stage == requests[-1].status.stage.value
    again = ActivityEnvironment().run(RecordActivities(db).record_events, batch)
    assert again.written == 0 and len(audit(db)) == 4  # a retry changes nothing


def in_run(run_id: str) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, workflow_run_id=run_id, is_local=True)
    return env


def rows(db: Engine) -> list[tuple[int, str | None, bool]]:
    a = AUDIT_LOG.c
    with db.connect() as conn:
        return [(r.seq, r.run_id, r.superseded_at is None) for r in conn.execute(
            select(a.seq, a.run_id, a.superseded_at).order_by(a.seq, a.id))]


def test_the_activity_names_its_run_a_retry_replaces_and_a_reset_supersedes(db: Engine) -> None:
    requests = simulated()
    later = [r.model_copy(update={"entry": r.entry.model_copy(
        update={"at": r.entry.at + timedelta(seconds=3)})}) for r in requests]
    assert in_run("run-a").run(RecordActivities(db).record_events, batch_of(requests)).written == 4
    assert rows(db) == [(r.entry.seq, "run-a", True) for r in requests]
    # the worker was killed before the task completed: the retried task, same run, later
    assert in_run("run-a").run(RecordActivities(db).record_events, batch_of(later)).written == 4
    assert rows(db) == [(r.entry.seq, "run-a", True) for r in requests], "no ghost rows"
    with db.connect() as conn:
        assert conn.execute(select(TRAJECTORY.c.event_at)).scalar_one() == later[-1].entry.at
    # a Reset (a new run) re-runs them later still: the old run's rows are superseded
    moment = later[-1].entry.at + timedelta(days=1)
    first = requests[0].model_copy(update={"trajectory_id": "run-1", "entry": requests[0].entry
                                            .model_copy(update={"at": moment})})
    assert in_run("run-b").run(RecordActivities(db).record, first)
    assert rows(db) == [(1, "run-a", False), (1, "run-b", True)] + [
        (r.entry.seq, "run-a", False) for r in requests[1:]]


def test_a_refused_event_comes_back_and_the_others_are_written(db: Engine) -> None:
    requests = simulated()
    naive = requests[1].entry.model_copy(update={"at": datetime(2024, 2, 5, 10)})  # no zone
    bad = [requests[0], requests[1].model_copy(update={"entry": naive}), *requests[2:]]
    result = events.record_events(db, batch_of(bad))
    assert [r.key for r in result.refused] == [requests[1].key]
    assert result.refused[0].error.startswith("database refused the write: ")
    assert result.written == 3 and [k for k, _ in audit(db)] == [
        r.key for r in requests if r is not requests[1]]


def test_an_update_is_decided_once_unless_something_moved() -> None:
    kept = ValidatedDecisions()
    now = datetime(2026, 1, 5, 10, tzinfo=UTC)
    payload = {"actor": {"role": "caseworker", "id": "cw-anna"}}
    message = RecordInfo(actor=Actor(role=Role.CASEWORKER, id="cw-anna"), date=date(2026, 1, 5),
                         channel="info_session")
    decided = (message, cast(Accepted, object()))
    same: dict[str, Any] = {"name": MessageName.RECORD_INFO, "args": (payload,), "version": 3,
                            "per_case": True, "now": now}
    kept.keep((payload,), 3, True, now, decided)
    assert kept.take(**same) == decided
    assert kept.take(**same) is None  # taken once
    for moved in [{"version": 4}, {"per_case": False}, {"args": ({**payload},)},
                  {"name": MessageName.RECORD_PRECHECK}, {"now": now.replace(minute=1)}]:
        kept.keep((payload,), 3, True, now, decided)
        assert kept.take(**{**same, **moved}) is None, moved
