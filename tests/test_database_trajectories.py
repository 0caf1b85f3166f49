"""Rows per trajectory: a reopened case keeps its trajectories apart; a Temporal Reset
leaves a correct audit log, snapshot and stage history; a retried workflow task (same
run) leaves no trace of the attempt that never completed; text with NUL is storable.
On SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from db_fixtures import Simulated, simulate
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from okot.crypto.data_keys import DataKeyStore
from okot.crypto.keyring import new_keyring
from okot.db import client_register
from okot.db.caseload import caseload
from okot.db.events import record_event, record_events
from okot.db.reports import build_report
from okot.db.retention import NotClosed, erase_case, purge
from okot.db.tables import AUDIT_LOG, STAGE_VISIT, TRAJECTORY
from okot.domain import journey
from okot.domain.changes import Accepted
from okot.domain.effects import RecordBatch, RecordItem, RecordRequest
from okot.domain.identity import ClientIdentity
from okot.domain.keys import Keys
from okot.domain.messages import Withdraw
from okot.domain.status import TimelineEntry
from okot.domain.values import Actor, Role, Stage

pytest_plugins = ("db_fixtures",)

CASE = "gent-4242"
CW = "cw.anna"


def as_trajectory(sim: Simulated, trajectory_id: str) -> list[RecordRequest]:
    """The workflow's requests of ``sim`` under run-scoped keys: timeline numbers 1, 2, ..."""
    keys = Keys.run_scoped(trajectory_id)
    out = []
    for number, r in enumerate(sim.requests, start=1):
        entry = r.entry.model_copy(update={"seq": number})
        out.append(r.model_copy(update={"trajectory_id": trajectory_id, "entry": entry,
                                        "key": keys.record(number)}))
    return out


def find(seed: int, pred, opened: date) -> Simulated:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    while True:
        sim = simulate(rng, CASE, "gent", CW, "med.bart", opened)
        if pred(sim):
            return sim


def current(engine: Engine, trajectory_id: str) -> list[tuple[int, str]]:
    a = AUDIT_LOG.c
    with engine.connect() as conn:
        return [(r.seq, r.name) for r in conn.execute(
            select(a.seq, a.name).where(a.trajectory_id == trajectory_id, a.superseded_at.is_(None))
            .order_by(a.seq))]


def superseded(engine: Engine, trajectory_id: str) -> list[int]:
    a = AUDIT_LOG.c
    with engine.connect() as conn:
        return sorted(conn.execute(select(a.seq).where(
            a.trajectory_id == trajectory_id, a.superseded_at.is_not(None))).scalars())


def snapshot(engine: Engine, trajectory_id: str) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(select(TRAJECTORY).where(TRAJECTORY.c.trajectory_id == trajectory_id))
        return dict(row.one()._mapping)


def visits(engine: Engine, trajectory_id: str) -> list[tuple[str, int, int | None]]:
    v = STAGE_VISIT.c
    with engine.connect() as conn:
        return [(r.stage, r.entered_seq, r.working_days) for r in conn.execute(
            select(v.stage, v.entered_seq, v.working_days)
            .where(v.trajectory_id == trajectory_id).order_by(v.entered_seq))]


def test_a_reopened_case_keeps_both_trajectories_apart(db: Engine) -> None:
    first = find(1, lambda s: not s.status.is_open and s.status.seq > 3, date(2023, 1, 9))
    closed_on = first.status.closed_at.date()  # type: ignore[union-attr]
    second = find(2, lambda s: s.status.is_open and s.status.seq > 2,
                  closed_on + timedelta(days=30))
    one, two = as_trajectory(first, "run-one"), as_trajectory(second, "run-two")
    assert one[0].workflow_id == two[0].workflow_id == f"okot-{CASE}"
    for r in one + two:
        assert record_event(db, r), "nothing of the second trajectory is skipped"

    assert current(db, "run-one") == [(r.entry.seq, r.entry.name) for r in one]
    assert current(db, "run-two") == [(r.entry.seq, r.entry.name) for r in two]
    assert snapshot(db, "run-one")["status"] == first.status.model_dump(mode="json")
    newest = snapshot(db, "run-two")
    assert newest["status"] == second.status.model_dump(mode="json") and newest["is_open"]
    assert visits(db, "run-two")[0][0] == "orientation"
    # the caseload shows the case once: its open (newest) trajectory
    (item,) = [i for i in caseload(db, CW) if i.case_id == CASE]
    assert item.stage == second.status.stage.value
    assert build_report(db).trajectories == 2
    # retention removes the closed trajectory's free text, never the open one's, and
    # keeps the case's data key and client register entry while a trajectory is open
    store = DataKeyStore(db, new_keyring())
    key = store.current(f"okot-{CASE}").id
    client_register.register(db, store, CASE, ClientIdentity(name="Els Janssens"))
    result = purge(db, closed_on + timedelta(days=1))
    assert (result.trajectories, result.snapshots, result.data_keys) == (1, 1, 0)
    assert snapshot(db, "run-one")["status"] is None
    assert snapshot(db, "run-two")["status"] is not None
    assert store.get(key).id == key and client_register.lookup(db, store, CASE) is not None
    with pytest.raises(NotClosed):
        erase_case(db, CASE)


def withdrawn_after(request: RecordRequest, number: int, later: timedelta) -> RecordRequest:
    """The event a new branch records after a Reset: a withdrawal, ``later`` after ``request``."""
    at = request.entry.at + later
    status = request.status
    decision = journey.decide(status, Withdraw(actor=Actor(role=Role.CASEWORKER, id=CW),
                                               reason="stopt"), at)
    assert isinstance(decision, Accepted)
    entry = TimelineEntry(at=at, kind="message", name="withdraw", actor=request.entry.actor,
                          accepted=True, summary=decision.summary, stage_before=status.stage,
                          stage_after=decision.status.stage, seq=number)
    keys = Keys.run_scoped(request.trajectory)
    return request.model_copy(update={"entry": entry, "status": decision.status,
                                      "key": keys.record(number), "payload": None})


def run_ids(engine: Engine, trajectory_id: str) -> list[str | None]:
    a = AUDIT_LOG.c
    with engine.connect() as conn:
        return list(conn.execute(select(a.run_id).where(a.trajectory_id == trajectory_id)
                                 .order_by(a.seq, a.id)).scalars())


def reset_case() -> tuple[list[RecordRequest], list[RecordRequest]]:
    """A closed trajectory of at least 8 accepted events, and its first 7."""
    sim = find(3, lambda s: s.status.seq >= 8 and s.status.closed_at is not None
               and all(r.entry.accepted for r in s.requests), date(2023, 3, 6))
    whole = as_trajectory(sim, "run-r")
    return whole, whole[:7]


@pytest.mark.parametrize(("old_run", "new_run"), [
    (None, None), ("wf-run-1", "wf-run-2"), (None, "wf-run-2")],
    ids=["no-run-ids", "two-runs", "rows-before-0007"])
def test_a_reset_supersedes_the_abandoned_branch(
    db: Engine, old_run: str | None, new_run: str | None,
) -> None:
    """A Reset starts a new run: the old run's rows (or rows without a run) are superseded."""
    whole, branch = reset_case()
    for r in branch:
        record_event(db, r, run_id=old_run)
    before = visits(db, "run-r")
    # Reset to just after entry 4: the new branch withdraws as its entry 5, after the
    # abandoned branch's events (a Reset happens after what it abandons)
    new = withdrawn_after(branch[3], 5, later=whole[-1].entry.at - branch[3].entry.at
                          + timedelta(days=2))
    assert record_event(db, new, run_id=new_run)
    assert current(db, "run-r") == [(r.entry.seq, r.entry.name) for r in branch[:4]] + [
        (5, "withdraw")]
    assert superseded(db, "run-r") == [5, 6, 7], "the abandoned rows are kept, not current"
    row = snapshot(db, "run-r")
    assert row["stage"] == "closed" and row["closure"] == "withdrawn" and row["event_seq"] == 5
    kept = [v for v in before if v[1] < 5]
    got = visits(db, "run-r")
    assert got[:-1] == [*kept[:-1], got[-2]] and got[-1][:2] == ("closed", 5)
    assert got[-2][0] == kept[-1][0] and got[-2][2] is not None, "left when withdrawn"
    assert all(v[1] < 5 or v[0] == "closed" for v in got), "no visit of the abandoned branch"

    assert not record_event(db, new, run_id=new_run), "a retry of the new event changes nothing"
    late = branch[5]  # an attempt of the abandoned branch completing late
    assert not record_event(db, late, run_id=old_run)
    straggler = whole[7]
    assert record_event(db, straggler, run_id=old_run)  # kept, as superseded at once
    assert superseded(db, "run-r") == [5, 6, 7, 8]
    assert current(db, "run-r")[-1] == (5, "withdraw")
    assert snapshot(db, "run-r")["stage"] == "closed"
    assert visits(db, "run-r") == got
    assert run_ids(db, "run-r") == [old_run] * 5 + [new_run] + [old_run] * 3


def test_a_retried_workflow_task_deletes_the_attempt_that_did_not_complete(db: Engine) -> None:
    """A worker killed after the local activity wrote entries 5-7, before the workflow task
    completed: the retried task (same run, later) applies a withdrawal as entry 5. The
    attempt's rows and stage visits go; nothing is superseded."""
    whole, branch = reset_case()
    for r in branch:
        record_event(db, r, run_id="wf-run-1")
    before = visits(db, "run-r")
    new = withdrawn_after(branch[3], 5, later=whole[-1].entry.at - branch[3].entry.at
                          + timedelta(days=2))
    assert record_event(db, new, run_id="wf-run-1")
    assert current(db, "run-r") == [(r.entry.seq, r.entry.name) for r in branch[:4]] + [
        (5, "withdraw")]
    assert superseded(db, "run-r") == [], "the attempt never happened: not kept"
    assert run_ids(db, "run-r") == ["wf-run-1"] * 5
    row = snapshot(db, "run-r")
    assert row["stage"] == "closed" and row["event_seq"] == 5 and row["event_at"] == new.entry.at
    got = visits(db, "run-r")
    assert got[:-2] == [v for v in before if v[1] < 5][:-1] and got[-1][:2] == ("closed", 5)
    assert all(v[1] < 5 or v[0] == "closed" for v in got), "no visit of the attempt"

    # the attempt's local activity completing late (a zombie worker) writes nothing
    assert [record_event(db, r, run_id="wf-run-1") for r in whole[4:]] == [False] * len(whole[4:])
    assert current(db, "run-r")[-1] == (5, "withdraw") and superseded(db, "run-r") == []
    assert snapshot(db, "run-r")["event_at"] == new.entry.at and visits(db, "run-r") == got


def test_a_retried_batch_with_the_same_events_keeps_one_row_each(db: Engine) -> None:
    """The retried task records the same events (same keys, same seq) at a later
    ``workflow.now()``: one current row per key, at the new moment; the first
    attempt completing late afterwards inserts nothing."""
    whole, _ = reset_case()

    def batch(at: datetime) -> RecordBatch:
        return RecordBatch(workflow_id=whole[0].workflow_id, trajectory_id="run-r",
                           records=tuple(RecordItem(key=r.key, entry=r.entry.model_copy(
                               update={"at": at}), payload=r.payload) for r in whole[4:7]),
                           status=whole[6].status)

    for r in whole[:4]:
        record_event(db, r, run_id="wf-run-1")
    first = whole[4].entry.at
    assert record_events(db, batch(first), run_id="wf-run-1").written == 3
    retried = first + timedelta(seconds=4)
    assert record_events(db, batch(retried), run_id="wf-run-1").written == 3
    assert current(db, "run-r") == [(r.entry.seq, r.entry.name) for r in whole[:7]]
    assert superseded(db, "run-r") == [] and len(run_ids(db, "run-r")) == 7
    assert snapshot(db, "run-r")["event_at"] == retried
    v = STAGE_VISIT.c
    with db.connect() as conn:
        entered = set(conn.execute(select(v.entered_at).where(
            v.trajectory_id == "run-r", v.entered_seq >= 5)).scalars())
    assert entered <= {retried}, "the stage visits are the retried attempt's"
    a = AUDIT_LOG.c
    with db.connect() as conn:
        ats = set(conn.execute(select(a.at).where(a.seq >= 5)).scalars())
    assert ats == {retried}

    late = record_events(db, batch(first), run_id="wf-run-1")  # the zombie attempt
    assert late.written == 0 and superseded(db, "run-r") == [] and len(run_ids(db, "run-r")) == 7
    assert snapshot(db, "run-r")["event_at"] == retried


def test_reset_to_the_same_events_changes_nothing(db: Engine) -> None:
    """A Reset re-runs the effects pending at the reset point: same key, same moment."""
    sim = find(4, lambda s: s.status.seq >= 5, date(2023, 5, 8))
    branch = as_trajectory(sim, "run-s")
    for r in branch:
        record_event(db, r)
    snap = snapshot(db, "run-s")
    assert [record_event(db, r) for r in branch] == [False] * len(branch)
    assert superseded(db, "run-s") == []
    after = snapshot(db, "run-s")
    assert after.pop("updated_at") and snap.pop("updated_at")
    assert after == snap


def test_text_with_nul_is_stored_without_it(db: Engine) -> None:
    sim = find(5, lambda s: len(s.requests) > 3, date(2023, 6, 5))
    request = as_trajectory(sim, "run-n")[2]
    status = request.status.model_copy(update={"closure_reason": "a\x00b"})
    entry = request.entry.model_copy(update={"reason": "bad\x00reason", "summary": "s\x00"})
    request = request.model_copy(update={
        "payload": {"notes": "nul \x00 inside", "list": ["x\x00y"], "k\x00ey": 1},
        "entry": entry, "status": status})
    assert record_event(db, request)
    a = AUDIT_LOG.c
    with db.connect() as conn:
        row = conn.execute(select(a.payload, a.reason, a.summary)).one()
        count = conn.execute(select(func.count()).select_from(TRAJECTORY)).scalar_one()
    assert row.payload == {"notes": "nul  inside", "list": ["xy"], "key": 1}
    assert (row.reason, row.summary) == ("badreason", "s")
    assert count == 1 and snapshot(db, "run-n")["status"]["closure_reason"] == "ab"  # type: ignore[index]
    assert Stage(snapshot(db, "run-n")["stage"])
