"""What the command line and the database say of an overdue trajectory (which deadline,
since when, from whom), of a stop the caseworker reported and of the follow-up agreement."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from db_fixtures import Cli
from journey_helpers import MEDIATOR, apply, at, at_stage
from sqlalchemy import select
from sqlalchemy.engine import Engine
from test_overdue import until_overdue

from okot.cli.output import print_list, print_status
from okot.cli.queries import add_overdue_details
from okot.db.caseload import caseload, overdue_details
from okot.db.events import record_event
from okot.db.tables import TRAJECTORY
from okot.domain.effects import RecordRequest
from okot.domain.shapes import status_json
from okot.domain.status import TimelineEntry, TrajectoryStatus
from okot.domain.values import SYSTEM_ACTOR, MessageName, Role, Stage

pytest_plugins = ("db_fixtures",)
M, S = MessageName, Stage
CW, MED = Role.CASEWORKER, Role.MEDIATOR


def overdue_screening() -> tuple[TrajectoryStatus, date]:
    s, since, _, _ = until_overdue(at_stage(S.SCREENING)[0])
    return s, since


def record(engine: Engine, status: TrajectoryStatus) -> None:
    wf = f"okot-{status.case_id}"
    record_event(engine, RecordRequest(
        workflow_id=wf, key=f"{wf}:{status.seq}", status=status,
        entry=TimelineEntry(at=status.stage_since + timedelta(days=40), kind="system",
                            name="deadline", actor=SYSTEM_ACTOR, accepted=True, summary="due",
                            stage_before=status.stage, stage_after=status.stage, seq=status.seq),
    ))


def test_status_says_which_deadline_since_when_and_from_whom(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    s, since = overdue_screening()
    print_status(s)
    out = capsys.readouterr().out
    assert (f"OVERDUE: screening result due since {since.isoformat()}, awaited from mediator "
            f"{MEDIATOR}") in out
    data = status_json(s)
    assert data["overdue_detail"] == {
        "kind": "screening_reminder", "since": since.isoformat(),
        "awaited_from": [{"role": "mediator", "id": MEDIATOR}],
        "text": f"screening result due since {since.isoformat()}, awaited from mediator {MEDIATOR}",
    }


def test_an_old_status_is_explained_from_its_streams(capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    s, since, _, _ = until_overdue(at_stage(S.HANDOVER)[0].model_copy(update={"rules_version": 2}))
    assert s.overdue_detail is None
    print_status(s)
    assert f"OVERDUE: warm handover due since {since.isoformat()}" in capsys.readouterr().out


def test_a_reported_stop_and_the_follow_up_agreement_show(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    s = apply(at_stage(S.IN_TRAINING)[0], M.REPORT_STOPPED, CW, at(2026, 10, 7),
              date="2026-10-02").status
    print_status(s)
    out = capsys.readouterr().out
    assert "stop reported" in out and "by caseworker cw.anna on 2026-10-07" in out
    assert "client stopped on 2026-10-02; the mediator confirms with record_end" in out
    assert "confirmation of the reported stop (record_end) from the mediator" in out
    assert status_json(s)["stop_report"] == {
        "by": {"role": "caseworker", "id": "cw.anna"}, "on": "2026-10-07",
        "stopped_on": "2026-10-02"}

    s = apply(at_stage(S.FOLLOW_UP)[0], M.AGREE_FOLLOW_UP, CW, at(2027, 7, 5), lead="ocmw").status
    print_status(s)
    assert ("follow-up by          ocmw (agreed on 2027-07-05 by caseworker cw.anna; not yet "
            "confirmed by the other side)") in capsys.readouterr().out
    s = apply(s, M.AGREE_FOLLOW_UP, MED, at(2027, 7, 6), lead="ocmw").status
    print_status(s)
    assert "confirmed by mediator med.bart" in capsys.readouterr().out
    assert status_json(s)["follow_up"] == {
        "lead": "ocmw", "agreed_on": "2027-07-06",
        "agreed_by": {"role": "caseworker", "id": "cw.anna"},
        "confirmed_by": {"role": "mediator", "id": "med.bart"}}


def test_the_snapshot_keeps_it_and_the_caseload_says_it(cli: Cli) -> None:
    s, since = overdue_screening()
    record(cli.engine, s)
    with cli.engine.connect() as conn:
        row = conn.execute(select(TRAJECTORY).where(TRAJECTORY.c.case_id == s.case_id)).one()
    assert (row.overdue_kind, row.overdue_since, row.overdue_from) == (
        "screening_reminder", since, f"mediator:{MEDIATOR}")
    (item,) = caseload(cli.engine, MEDIATOR, Role.MEDIATOR)
    assert item.overdue_detail == s.overdue_detail

    out = cli("caseload", "--mediator", MEDIATOR, env={"COLUMNS": "250"}).output
    assert f"late: screening result due since {since.isoformat()}" in " ".join(out.split())
    # answered: the snapshot forgets it
    answered = apply(s, M.SCHEDULE_INTAKE, MED, s.stage_since + timedelta(days=41))
    record(cli.engine, answered.status.model_copy(update={"seq": s.seq + 5}))
    (item,) = caseload(cli.engine, MEDIATOR, Role.MEDIATOR)
    assert item.overdue is False and item.overdue_detail is None
    with cli.engine.connect() as conn:
        row = conn.execute(select(TRAJECTORY).where(TRAJECTORY.c.case_id == s.case_id)).one()
    assert (row.overdue_kind, row.overdue_since, row.overdue_from) == (None, None, None)


def test_okot_list_adds_the_detail_from_the_database(
    cli: Cli, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, since = overdue_screening()
    record(cli.engine, s)
    assert overdue_details(cli.engine, [f"okot-{s.case_id}", "okot-none"]) == {
        f"okot-{s.case_id}": s.overdue_detail}
    monkeypatch.setenv("OKOT_DATABASE_URL", cli.url)
    from okot.settings import get_settings

    get_settings.cache_clear()
    rows = [{
        "case_id": c, "workflow_id": f"okot-{c}", "run_id": "", "execution_status": "running",
        "start_time": None, "close_time": None, "stage": "screening", "ocmw": "gent",
        "caseworker": "cw.anna", "mediator": MEDIATOR, "study_level": None, "outcome": None,
        "closure": None, "next_deadline": "2026-12-01T08:00:00+00:00",
        "stage_since": "2026-11-02T09:00:00+00:00", "overdue": overdue, "overdue_detail": None,
    } for c, overdue in ((s.case_id, True), ("DEMO-0002", False))]
    try:
        rows = add_overdue_details(rows)
    finally:
        get_settings.cache_clear()
    assert rows[0]["overdue_detail"]["since"] == since.isoformat()
    assert rows[0]["overdue_detail"]["awaited_from"] == [{"role": "mediator", "id": MEDIATOR}]
    assert rows[1]["overdue_detail"] is None
    monkeypatch.setenv("COLUMNS", "250")
    print_list(rows)
    out = " ".join(capsys.readouterr().out.split())
    assert "OVERDUE" in out and "screening result due since" in out and since.isoformat() in out


def test_okot_list_without_a_database_still_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    from okot.settings import get_settings

    monkeypatch.setenv("OKOT_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    try:
        rows = add_overdue_details([{"workflow_id": "okot-X-1", "overdue": True,
                                     "overdue_detail": None}])
    finally:
        get_settings.cache_clear()
    assert rows == [{"workflow_id": "okot-X-1", "overdue": True, "overdue_detail": None}]


def test_the_web_ui_details_say_it() -> None:
    from okot.temporal.ui_texts import current_details

    s, since = overdue_screening()
    details = current_details(s)
    assert (f"**Overdue:** screening result due since {since.isoformat()}, awaited from mediator "
            f"{MEDIATOR}") in details
    s = apply(at_stage(S.IN_TRAINING)[0], M.REPORT_STOPPED, CW, at(2026, 10, 7),
              date="2026-10-02").status
    assert ("**Stop reported:** by caseworker `cw.anna` on 2026-10-07 (stopped on 2026-10-02); "
            "awaiting `record_end` from the mediator") in current_details(s)
    s = apply(at_stage(S.FOLLOW_UP)[0], M.AGREE_FOLLOW_UP, MED, at(2027, 7, 5), lead="vdab").status
    assert "**Follow-up:** `vdab` by mediator `med.bart`, not yet confirmed" in current_details(s)


def test_the_demo_caseload_says_why_in_80_columns(cli: Cli) -> None:
    """``make demo``, then ``okot caseload`` for the caseworker the banner and README name."""
    from test_demo import NOW, TODAY, drive

    from okot.domain import deadlines
    from okot_dev import demo_plan

    plan = demo_plan.plan(TODAY)
    who = demo_plan.highlights(plan).caseload_caseworker
    explained = []
    for case in plan:
        if case.caseworker != who or case.closure is not None:
            continue
        s = drive(case)
        fired = deadlines.fire_deadlines(s, NOW)  # what the workflow does at once
        s = fired.status if fired is not None else s
        record(cli.engine, s)
        if s.overdue_detail is not None:
            explained.append((case.case_id, s.overdue_detail.since))
    assert explained
    out = cli("caseload", "--caseworker", who, env={"COLUMNS": "80"}).output
    assert max(len(line) for line in out.splitlines()) <= 80, out
    assert "late:" in out and "candidacy" in out
    text = "".join(out.split())
    for case_id, since in explained:
        assert case_id in out and since.isoformat() in text
