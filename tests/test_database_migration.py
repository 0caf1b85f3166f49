"""Migrations on a database with rows, on SQLite and PostgreSQL. 0005 (rows per
trajectory): every row gets its trajectory (the legacy key scheme's, the workflow id)
and the trajectories running under it go on recording. 0006 (overdue explained): old
snapshots stay overdue without a detail until their next event. 0007 (the run of each
audit row): old rows keep no run and a later event of another moment supersedes them."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from db_fixtures import PG_URL, postgres_reachable, simulate
from journey_helpers import at_stage
from sqlalchemy import MetaData, create_engine, func, select, text
from sqlalchemy.engine import Engine
from test_overdue import until_overdue

from okot.db.caseload import caseload
from okot.db.engine import (
    alembic_config,
    create_engine_for,
    current_revision,
    head_revision,
    upgrade,
)
from okot.db.events import record_event, snapshot_values
from okot.db.tables import TRAJECTORY
from okot.db.writes import jsonable, utc_now
from okot.domain.effects import RecordRequest
from okot.domain.status import TimelineEntry
from okot.domain.values import SYSTEM_ACTOR, Role, Stage

pytest_plugins = ("db_fixtures",)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database without any table."""
    if request.param == "sqlite":
        engine = create_engine_for(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    if not os.environ.get("OKOT_TEST_POSTGRES_URL") and not postgres_reachable():
        pytest.skip("PostgreSQL unreachable and OKOT_TEST_POSTGRES_URL unset")
    schema = f"okot_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine_for(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def legacy_requests(case_id: str, seed: int) -> list[RecordRequest]:
    """What a trajectory recorded before run-scoped keys: keys ``{workflow_id}:t{n}``."""
    rng = random.Random(seed)
    while True:
        sim = simulate(rng, case_id, "gent", "cw.anna", "med.bart", date(2022, 3, 7))
        if len(sim.requests) >= 6 and all(r.entry.accepted for r in sim.requests):
            break
    out = []
    for number, r in enumerate(sim.requests, start=1):
        out.append(r.model_copy(update={
            "entry": r.entry.model_copy(update={"seq": number}),
            "key": f"{r.workflow_id}:t{number}"}))
    return out


def utc(values: dict[str, Any]) -> dict[str, Any]:
    """As the models store them (reflected tables do not convert to UTC on SQLite)."""
    return {k: v.astimezone(UTC) if isinstance(v, datetime) else v for k, v in values.items()}


def write_as_0001(engine: Engine, requests: list[RecordRequest]) -> None:
    """The rows revision 0001's code wrote for ``requests`` (snapshot keyed by workflow id)."""
    meta = MetaData()
    meta.reflect(engine)
    audit, outbox, visit, snap = (meta.tables[n] for n in
                                  ("audit_log", "outbox", "stage_visit", "trajectory"))
    now = utc_now()
    last = requests[-1]
    with engine.begin() as conn:
        for r in requests:
            e = r.entry
            conn.execute(audit.insert().values(**utc(dict(
                key=r.key, workflow_id=r.workflow_id, case_id=r.status.case_id, at=e.at,
                seq=e.seq, kind=e.kind, name=e.name, actor_role=e.actor.role.value,
                actor_id=e.actor.id, accepted=e.accepted, reason=e.reason, summary=e.summary,
                stage_before=e.stage_before.value, stage_after=e.stage_after.value,
                payload=jsonable(r.payload), recorded_at=now))))
        values = {k: v for k, v in snapshot_values(last, now).items() if k in snap.c}
        conn.execute(snap.insert().values(**utc(values)))
        conn.execute(visit.insert().values(**utc(dict(
            workflow_id=last.workflow_id, ocmw="gent", opened_on=last.status.opened_at.date(),
            stage="orientation", entered_seq=0, entered_at=last.status.opened_at))))
        conn.execute(outbox.insert().values(
            key=f"okot-{last.status.case_id}:2:candidacy_submitted:caseworker:cw.anna",
            workflow_id=last.workflow_id, case_id=last.status.case_id,
            template="candidacy_submitted", recipient_role="caseworker", recipient="cw.anna",
            context={}, state="sent", attempts=1, created_at=now, sent_at=now))


def test_existing_rows_belong_to_their_legacy_trajectory(empty: Engine) -> None:
    with empty.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
    assert current_revision(empty) == "0001"
    requests = legacy_requests("gent-0815", seed=8)
    done, running = requests[:-1], requests[-1]
    write_as_0001(empty, done)

    assert upgrade(empty) == ("0001", head_revision())
    meta = MetaData()
    meta.reflect(empty)
    workflow_id = done[0].workflow_id
    with empty.connect() as conn:
        for name in ("trajectory", "audit_log", "stage_visit", "outbox"):
            t = meta.tables[name]
            ids = set(conn.execute(select(t.c.trajectory_id)).scalars())
            assert ids == {workflow_id}, name
        snap = conn.execute(select(TRAJECTORY)).one()._mapping
    assert snap["event_seq"] == done[-1].entry.seq
    assert snap["event_at"] == done[-1].entry.at

    # the trajectory that was running goes on under its legacy keys
    assert not record_event(empty, done[-1]), "already recorded under the legacy key"
    assert record_event(empty, running)
    with empty.connect() as conn:
        snap = conn.execute(select(TRAJECTORY)).one()._mapping
        audit = conn.execute(select(func.count()).select_from(meta.tables["audit_log"])).scalar()
    assert snap["seq"] == running.status.seq and snap["event_seq"] == running.entry.seq
    assert audit == len(requests)


def test_0006_adds_the_overdue_explanation_and_a_running_trajectory_fills_it(
    empty: Engine,
) -> None:
    """A snapshot written at 0005 (overdue, without the explanation) reads as overdue
    without a detail after the upgrade; the trajectory's next event fills the columns;
    the downgrade drops them again."""
    with empty.begin() as conn:
        command.upgrade(alembic_config(conn), "0005")
    status, since, moment, _ = until_overdue(at_stage(Stage.SCREENING)[0])
    wf = f"okot-{status.case_id}"

    def request(seq: int, at: datetime) -> RecordRequest:
        return RecordRequest(
            workflow_id=wf, key=f"{wf}:{seq}", status=status.model_copy(update={"seq": seq}),
            entry=TimelineEntry(at=at, kind="system", name="deadline", actor=SYSTEM_ACTOR,
                                accepted=True, summary="due", stage_before=Stage.SCREENING,
                                stage_after=Stage.SCREENING, seq=seq))

    values = snapshot_values(request(status.seq, moment), utc_now())
    for column in ("overdue_kind", "overdue_since", "overdue_from"):
        values.pop(column)
    meta = MetaData()
    meta.reflect(empty)
    with empty.begin() as conn:
        conn.execute(meta.tables["trajectory"].insert().values(utc(values)))

    assert upgrade(empty) == ("0005", head_revision())
    (item,) = caseload(empty, status.mediator or "", Role.MEDIATOR)
    assert item.overdue is True and item.overdue_detail is None
    assert record_event(empty, request(status.seq + 1, moment.replace(hour=11)))
    (item,) = caseload(empty, status.mediator or "", Role.MEDIATOR)
    assert item.overdue_detail == status.overdue_detail and item.overdue_detail is not None
    assert item.overdue_detail.since == since

    with empty.begin() as conn:
        command.downgrade(alembic_config(conn), "0005")
    meta = MetaData()
    meta.reflect(empty)
    assert "overdue_kind" not in meta.tables["trajectory"].c


def test_0007_old_audit_rows_have_no_run_and_are_superseded_not_deleted(empty: Engine) -> None:
    """Rows written at 0006 get ``run_id`` NULL (no backfill); a later event under the same
    key from a run (a Reset's new branch, or a retry: either way they cannot be told
    apart) supersedes them as before; the downgrade drops the column again."""
    with empty.begin() as conn:
        command.upgrade(alembic_config(conn), "0006")
    requests = legacy_requests("gent-0707", seed=7)
    meta = MetaData()
    meta.reflect(empty)
    assert "run_id" not in meta.tables["audit_log"].c
    with empty.begin() as conn:  # the audit rows the 0006 code wrote
        for r in requests:
            e = r.entry
            conn.execute(meta.tables["audit_log"].insert().values(**utc(dict(
                key=r.key, trajectory_id=r.trajectory, workflow_id=r.workflow_id,
                case_id=r.status.case_id, at=e.at, seq=e.seq, kind=e.kind, name=e.name,
                actor_role=e.actor.role.value, actor_id=e.actor.id, accepted=e.accepted,
                stage_before=e.stage_before.value, stage_after=e.stage_after.value,
                recorded_at=utc_now()))))
    assert upgrade(empty) == ("0006", head_revision())
    meta = MetaData()
    meta.reflect(empty)
    audit = meta.tables["audit_log"]
    with empty.connect() as conn:
        assert set(conn.execute(select(audit.c.run_id)).scalars()) == {None}
    again = requests[2].model_copy(update={"entry": requests[2].entry.model_copy(
        update={"at": requests[-1].entry.at + timedelta(days=1)})})
    assert record_event(empty, again, run_id="run-new")
    with empty.connect() as conn:
        rows = conn.execute(select(audit.c.seq, audit.c.run_id, audit.c.superseded_at)
                            .order_by(audit.c.seq, audit.c.id)).all()
    assert len(rows) == len(requests) + 1
    assert [(s, run) for s, run, gone in rows if gone is None] == [
        (1, None), (2, None), (3, "run-new")]
    assert all(run is None for _, run, gone in rows if gone is not None)

    with empty.begin() as conn:
        command.downgrade(alembic_config(conn), "0006")
    meta = MetaData()
    meta.reflect(empty)
    assert "run_id" not in meta.tables["audit_log"].c
