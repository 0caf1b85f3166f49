"""Fixtures and helpers for the database tests (SQLite and PostgreSQL).

Import the fixtures into a test module with
``from db_fixtures import db, db_backend  # noqa: F401``.

* ``db_backend`` (module scope, parametrized ``sqlite`` / ``postgresql``): a
  fresh database brought to head: a SQLite file, or a PostgreSQL schema of its
  own (dropped afterwards). PostgreSQL is ``OKOT_TEST_POSTGRES_URL`` (default
  the local server); it is skipped only when that variable is unset and the
  server is unreachable.
* ``db``: the backend's engine with every table emptied before the test.

:func:`simulate` drives random but realistic trajectories through the real
rules (:func:`okot.domain.journey.decide`) and returns the ``RecordRequest`` objects
the workflow would send, with what the test needs to compute the figures
independently.
"""

from __future__ import annotations

import os
import random
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from okot.db.engine import (
    create_engine_for,
    upgrade,
)
from okot.db.tables import metadata
from okot.domain import journey
from okot.domain.calendar import (
    add_months,
    next_working_day,
)
from okot.domain.changes import Rejected
from okot.domain.effects import RecordRequest
from okot.domain.messages import parse_message
from okot.domain.status import (
    OpenTrajectory,
    TimelineEntry,
    TrajectoryStatus,
)
from okot.domain.steps import employment_check_dates
from okot.domain.values import (
    SYSTEM_ACTOR,
    Actor,
    MessageName,
    Role,
    Stage,
)

BRUSSELS = ZoneInfo("Europe/Brussels")
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_URL = os.environ.get("OKOT_TEST_POSTGRES_URL") or DEFAULT_PG_URL


@lru_cache(maxsize=1)
def postgres_reachable() -> bool:
    try:
        engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@dataclass
class Backend:
    name: str
    url: str
    engine: Engine


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "okot.db"
        url = f"sqlite:///{path}"
        engine = create_engine_for(url)
        upgrade(engine)
        yield Backend("sqlite", url, engine)
        engine.dispose()
        return
    if not os.environ.get("OKOT_TEST_POSTGRES_URL") and not postgres_reachable():
        pytest.skip("PostgreSQL unreachable and OKOT_TEST_POSTGRES_URL unset")
    schema = f"okot_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    engine = create_engine_for(url)
    try:
        upgrade(engine)
        yield Backend("postgresql", url, engine)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def clear(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def db(db_backend: Backend) -> Engine:
    clear(db_backend.engine)
    return db_backend.engine


# ---------------------------------------------------------------------- simulation


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=BRUSSELS)


@dataclass
class Simulated:
    """One simulated trajectory: the requests to record and what happened."""

    workflow_id: str
    requests: list[RecordRequest] = field(default_factory=list)
    transitions: list[tuple[str, datetime]] = field(default_factory=list)
    """(stage entered, when), starting with orientation at opening."""
    final: TrajectoryStatus | None = None
    free_text: list[str] = field(default_factory=list)

    @property
    def status(self) -> TrajectoryStatus:
        assert self.final is not None
        return self.final


class _Run:
    def __init__(self, rng: random.Random, sim: Simulated, status: TrajectoryStatus) -> None:
        self.rng, self.sim, self.status = rng, sim, status
        self.rejections = 0
        self.last_at = status.opened_at

    def moment(self, now: datetime) -> datetime:
        """Events happen in order, as in the workflow (a random hour may fall earlier
        on the same day: then it happens at the previous event's moment)."""
        self.last_at = max(now, self.last_at)
        return self.last_at

    def send(self, name: MessageName, role: Role, staff: str, now: datetime,
             **body: Any) -> bool:
        now = self.moment(now)
        payload = {"actor": {"role": role.value, "id": staff}, **body}
        message = parse_message(name.value, payload)
        before = self.status
        decision = journey.decide(before, message, now)
        wf = self.sim.workflow_id
        if isinstance(decision, Rejected):
            self.rejections += 1
            entry = TimelineEntry(
                at=now, kind="message", name=name.value, actor=message.actor, accepted=False,
                summary=f"{name.value} rejected", reason=decision.reason,
                stage_before=before.stage, stage_after=before.stage, seq=before.seq,
            )
            self.sim.requests.append(RecordRequest(
                workflow_id=wf, key=f"{wf}:r{self.rejections}", entry=entry, payload=payload,
                status=before,
            ))
            return False
        after = decision.status
        self.sim.requests.append(RecordRequest(
            workflow_id=wf, key=f"{wf}:{after.seq}",
            entry=TimelineEntry(
                at=now, kind="message", name=name.value, actor=message.actor, accepted=True,
                summary=decision.summary, stage_before=before.stage, stage_after=after.stage,
                seq=after.seq,
            ),
            payload=payload, status=after,
        ))
        if after.stage is not before.stage:
            self.sim.transitions.append((after.stage.value, now))
        self.status = after
        return True

    def system(self, name: str, now: datetime, after: TrajectoryStatus, summary: str) -> None:
        now = self.moment(now)
        before = self.status
        wf = self.sim.workflow_id
        self.sim.requests.append(RecordRequest(
            workflow_id=wf, key=f"{wf}:{after.seq}",
            entry=TimelineEntry(
                at=now, kind="system", name=name, actor=SYSTEM_ACTOR, accepted=True,
                summary=summary, stage_before=before.stage, stage_after=after.stage,
                seq=after.seq,
            ),
            payload=None, status=after,
        ))
        if after.stage is not before.stage:
            self.sim.transitions.append((after.stage.value, now))
        self.status = after


def _later(rng: random.Random, now: datetime, low: int, high: int) -> datetime:
    return at(next_working_day((now + timedelta(days=rng.randint(low, high))).date()),
              hour=rng.randint(8, 16))


PROGRAMMES = ("Zorgkundige", "Verpleegkunde", "Logistiek medewerker", "Boekhouder")
REASON_SETS = (("motivation",), ("fit", "motivation"), ("preconditions_childcare",),
               ("learning_ability", "preconditions_mobility"))


def simulate(
    rng: random.Random,
    case_id: str,
    ocmw: str,
    caseworker: str,
    mediator: str,
    opened: date,
) -> Simulated:
    """Drive one random trajectory through the real rules (may stop in any stage)."""
    cw, med = Role.CASEWORKER, Role.MEDIATOR
    wf = f"okot-{case_id}"
    sim = Simulated(workflow_id=wf)
    now = at(opened, hour=rng.randint(8, 16))
    registered = rng.random() < 0.8
    status = journey.open_trajectory(
        OpenTrajectory(case_id=case_id, ocmw=ocmw, caseworker=caseworker,
                       registered_jobseeker=registered),
        now,
    )
    run = _Run(rng, sim, status)
    sim.requests.append(RecordRequest(
        workflow_id=wf, key=f"{wf}:{status.seq}",
        entry=TimelineEntry(
            at=now, kind="system", name="opened", actor=SYSTEM_ACTOR, accepted=True,
            summary="opened", stage_before=Stage.ORIENTATION, stage_after=Stage.ORIENTATION,
            seq=status.seq,
        ),
        payload={"case_id": case_id}, status=status,
    ))
    sim.transitions.append((Stage.ORIENTATION.value, now))
    stop = rng.random()  # where an open trajectory stops (still in progress)

    def done() -> Simulated:
        sim.final = run.status
        return sim

    level = rng.choice(["secondary", "se_n_se", "graduaat", "bachelor"])
    # Programme and screening reasons vary with the case id (no extra draws from rng,
    # so the rest of the simulation stays as it was).
    pick = zlib.crc32(case_id.encode())
    programme = PROGRAMMES[pick % len(PROGRAMMES)]
    reasons = REASON_SETS[(pick // 7) % len(REASON_SETS)]
    note = f"private note {uuid.uuid4().hex[:8]}"
    sim.free_text.append(note)
    run.send(MessageName.RECORD_INFO, cw, caseworker, now, date=now.date().isoformat(),
             channel="info_session")
    if rng.random() < 0.1:  # a rejected message: wrong stage
        run.send(MessageName.RECORD_END, med, mediator, now, result="passed",
                 date=now.date().isoformat())
    now = _later(rng, now, 1, 30)
    positive = rng.random() > 0.08
    run.send(MessageName.RECORD_PRECHECK, cw, caseworker, now, conditions_met=positive,
             twe_active=False, study_level=level, notes=note)
    if not positive or stop < 0.05:
        return done()
    if rng.random() < 0.03:
        reason = f"withdrawal reason {uuid.uuid4().hex[:8]}"
        sim.free_text.append(reason)
        run.send(MessageName.WITHDRAW, cw, caseworker, _later(rng, now, 1, 20), reason=reason)
        return done()
    now = _later(rng, now, 1, 60)
    run.send(MessageName.SUBMIT_CANDIDACY, cw, caseworker, now, programme=programme,
             study_level=level, school="CVO", channel="training_guide", mediator=mediator)
    if stop < 0.1:
        return done()
    now = _later(rng, now, 0, 15)
    if rng.random() < 0.07:
        reason = f"decline reason {uuid.uuid4().hex[:8]}"
        sim.free_text.append(reason)
        run.send(MessageName.DECLINE_AGREEMENT, cw, caseworker, now, reason=reason)
        return done()
    run.send(MessageName.GIVE_AGREEMENT, cw, caseworker, now)
    if not registered:
        now = run.moment(_later(rng, now, 0, 2))
        result = journey.registration_succeeded(run.status, "WZ-SIM", now)
        run.system("registered", now, result.status, result.summary)
    if stop < 0.15:
        return done()
    now = _later(rng, now, 0, 15)
    run.send(MessageName.CONFIRM_HANDOVER, cw, caseworker, now, date=now.date().isoformat(),
             channel="phone")
    if stop < 0.2:
        return done()
    now = _later(rng, now, 3, 40)
    if rng.random() < 0.15:
        run.send(MessageName.RECORD_SCREENING, med, mediator, now, approved=False,
                 reasons=list(reasons))
        return done()
    start = next_working_day(now.date() + timedelta(days=rng.randint(10, 90)))
    run.send(MessageName.RECORD_SCREENING, med, mediator, now, approved=True,
             start_date=start.isoformat(), location="Gent")
    if stop < 0.25:
        return done()
    now = at(start, hour=9)
    years = rng.choice([1, 2, 3])
    expected_end = add_months(start, 12 * years - 2)
    run.send(MessageName.CONFIRM_START, med, mediator, now, date=start.isoformat(),
             location="Gent", expected_end=expected_end.isoformat())
    if stop < 0.35:
        return done()
    roll = rng.random()
    if roll < 0.25:
        result_code = "stopped_early"
        end = next_working_day(start + timedelta(days=rng.randint(20, (expected_end - start).days)))
    else:
        result_code = "passed" if roll < 0.85 else "not_passed"
        end = next_working_day(expected_end)
    now = _later(rng, at(end), 0, 10)
    run.send(MessageName.RECORD_END, med, mediator, now, result=result_code,
             date=end.isoformat())
    if stop < 0.45:
        return done()
    plan = f"follow-up plan {uuid.uuid4().hex[:8]}"
    sim.free_text.append(plan)
    run.send(MessageName.AGREE_FOLLOW_UP, cw, caseworker, _later(rng, now, 1, 20),
             lead=rng.choice(["vdab", "ocmw"]), plan=plan)
    if stop < 0.55:
        return done()
    due6, due12 = employment_check_dates(run.status)
    now = _later(rng, at(due6), 0, 10)
    run.send(MessageName.RECORD_EMPLOYMENT, cw, caseworker, now, employed=rng.random() < 0.5,
             date=now.date().isoformat())
    if stop < 0.65:
        return done()
    now = _later(rng, at(due12), 0, 10)
    run.send(MessageName.RECORD_EMPLOYMENT, cw, caseworker, now, employed=rng.random() < 0.6,
             date=now.date().isoformat())
    return done()


def simulate_many(
    count: int, seed: int = 7, ocmws: tuple[str, ...] = ("gent", "aalst", "brugge"),
    first: date = date(2022, 1, 3), days: int = 540,
) -> list[Simulated]:
    rng = random.Random(seed)
    sims = []
    for i in range(count):
        ocmw = ocmws[i % len(ocmws)]
        sims.append(simulate(
            rng, f"{ocmw}-{i:05d}", ocmw, f"cw.{ocmw}{i % 4}", f"med.{i % 5}",
            first + timedelta(days=rng.randint(0, days)),
        ))
    return sims


def actor(role: Role, staff_id: str) -> Actor:
    return Actor(role=role, id=staff_id)


# ---------------------------------------------------------------------------- CLI


@dataclass
class Cli:
    engine: Engine
    url: str
    monkeypatch: pytest.MonkeyPatch

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Any:
        import typer
        from typer.testing import CliRunner

        from okot.cli.data import register
        from okot.settings import get_settings

        for name, value in {"OKOT_DATABASE_URL": self.url, **(env or {})}.items():
            self.monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        app = typer.Typer()
        register(app)
        try:
            return CliRunner().invoke(app, list(args), catch_exceptions=False)
        finally:
            get_settings.cache_clear()


@pytest.fixture
def cli(db: Engine, db_backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Run the database commands against the test database (``cli("report", ...)``)."""
    return Cli(db, db_backend.url, monkeypatch)
