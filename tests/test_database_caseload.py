"""Caseload: one person's open trajectories, overdue first, then by next deadline."""

from __future__ import annotations

import random
from datetime import date

from db_fixtures import Cli, simulate
from sqlalchemy.engine import Engine

from okot.db.caseload import caseload
from okot.db.events import record_event
from okot.domain.calendar import (
    local_date,
    working_days_between,
)
from okot.domain.deadlines import awaiting
from okot.domain.effects import RecordRequest
from okot.domain.values import (
    Role,
    Stage,
)

pytest_plugins = ("db_fixtures",)


def record_people(engine: Engine) -> list[RecordRequest]:
    """Trajectories of cw.anna / cw.dirk; returns the last request of each."""
    rng = random.Random(21)
    last = []
    for i in range(30):
        cw = "cw.anna" if i % 3 else "cw.dirk"
        sim = simulate(rng, f"gent-{i:03d}", "gent", cw, f"med.{i % 2}", date(2024, 1, 8))
        requests = list(sim.requests)
        if i % 4 == 1 and sim.status.is_open:  # some fell behind
            final = requests[-1]
            requests[-1] = final.model_copy(
                update={"status": final.status.model_copy(update={"overdue": True})}
            )
        for r in requests:
            record_event(engine, r)
        last.append(requests[-1])
    return last


def test_caseload_order_and_content(db: Engine) -> None:
    last = record_people(db)
    today = date(2026, 1, 5)
    mine = caseload(db, "cw.anna", today=today)
    expected = [r.status for r in last if r.status.caseworker == "cw.anna" and r.status.is_open]
    assert {i.case_id for i in mine} == {s.case_id for s in expected}
    assert any(i.overdue for i in mine), "the data set has overdue trajectories"
    keys = [
        (not i.overdue, i.next_deadline is None, i.next_deadline or date.min, i.case_id)
        for i in mine
    ]
    assert keys == sorted(keys)
    by_case = {s.case_id: s for s in expected}
    for item in mine:
        status = by_case[item.case_id]
        assert item.stage == status.stage.value != Stage.CLOSED.value
        assert item.days_in_stage == working_days_between(local_date(status.stage_since), today)
        assert item.overdue == status.overdue
        if status.next_deadline is not None:
            assert item.next_deadline == status.next_deadline.due
            assert item.awaiting == awaiting(status)

    as_mediator = caseload(db, "med.1", Role.MEDIATOR, today=today)
    assert {i.case_id for i in as_mediator} == {
        r.status.case_id for r in last if r.status.mediator == "med.1" and r.status.is_open
    }
    assert caseload(db, "cw.nobody") == []


def test_cli_caseload(cli: Cli) -> None:
    last = record_people(cli.engine)
    result = cli("caseload", "--caseworker", "cw.dirk")
    assert result.exit_code == 0, result.output
    open_cases = [r.status.case_id for r in last
                  if r.status.caseworker == "cw.dirk" and r.status.is_open]
    assert open_cases
    for case_id in open_cases:
        assert case_id in result.output
    assert "Caseload of caseworker cw.dirk" in result.output
    assert cli("caseload", "--mediator", "med.nobody").output.strip() == (
        "mediator med.nobody has no open trajectories"
    )
    assert cli("caseload").exit_code == 2
    assert cli("caseload", "--caseworker", "a", "--mediator", "b").exit_code == 2


def test_a_teamleads_caseload_is_their_teams_and_a_stage_filter_narrows_it(db: Engine) -> None:
    from okot.db.staff import StaffMember, import_members

    last = record_people(db)
    import_members(db, [
        StaffMember(id="cw.anna", role="caseworker", name="Anna", email="anna@example.org",
                    phone=None, ocmw="gent", teamlead="tl.chris"),
        StaffMember(id="cw.dirk", role="caseworker", name="Dirk", email="dirk@example.org",
                    phone=None, ocmw="gent", teamlead="tl.other"),
        StaffMember(id="tl.chris", role="teamlead", name="Chris", email="chris@example.org",
                    phone=None, ocmw="gent", teamlead=None),
    ])
    today = date(2026, 1, 5)
    team = caseload(db, "tl.chris", Role.TEAMLEAD, today=today)
    assert {i.case_id for i in team} == {
        r.status.case_id for r in last if r.status.caseworker == "cw.anna" and r.status.is_open
    }
    assert team and all(i.caseworker == "cw.anna" for i in team)
    stage = team[0].stage
    narrowed = caseload(db, "tl.chris", Role.TEAMLEAD, today=today, stage=stage)
    assert narrowed and {i.stage for i in narrowed} == {stage}
    assert {i.case_id for i in narrowed} == {i.case_id for i in team if i.stage == stage}


def cells_of(output: str) -> list[str]:
    return [c.strip() for line in output.splitlines() for c in line.split("│")]


def test_cli_caseload_fits_80_columns_and_never_cuts_a_case_id(cli: Cli) -> None:
    rng = random.Random(5)
    cases = []
    for i in range(12):
        sim = simulate(rng, f"OCMW-GENT-2026-{i:06d}", "sint-niklaas", "cw.long", "med.0",
                       date(2025, 3, 3))
        for r in sim.requests:
            record_event(cli.engine, r)
        if sim.status.is_open:
            cases.append(sim.status.case_id)
    assert len(cases) >= 3

    narrow = cli("caseload", "--caseworker", "cw.long", env={"COLUMNS": "80"})
    assert narrow.exit_code == 0, narrow.output
    lines = narrow.output.splitlines()
    assert max(len(line) for line in lines) <= 80, narrow.output
    cells = cells_of(narrow.output)
    for case_id in cases:
        assert case_id in cells, (case_id, narrow.output)  # whole, in its own cell
    header = lines[2]
    for column in ("case", "stage", "next deadline", "overdue"):
        assert column in header
    assert "OCMW" not in header and "sint-niklaas" not in narrow.output  # dropped first

    wide = cli("caseload", "--caseworker", "cw.long", "--wide", env={"COLUMNS": "80"})
    assert wide.exit_code == 0
    assert "OCMW" in wide.output and "sint-niklaas" in cells_of(wide.output)
    assert all(case_id in cells_of(wide.output) for case_id in cases)
