"""The ``okot`` CLI without a Temporal server: generated commands, option parsing,
one-line errors and exit codes, staff checks, JSON shapes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy import Engine
from typer.main import get_command

from okot.cli import app as cli_app
from okot.cli import client as cli_client
from okot.cli.app import PLUGIN_GROUP, app, register_plugins
from okot.cli.help_texts import COMMAND_HELP, FIELD_HELP, MESSAGE_FIELD_HELP
from okot.cli.messages import OWN_COMMANDS, command_name
from okot.cli.output import status_json, timeline_entry_json
from okot.cli.queries import build_list_query
from okot.cli.starter_app import starter_app
from okot.db.staff import (
    import_members,
    parse_csv,
)
from okot.domain import journey
from okot.domain.messages import (
    MESSAGE_TYPES,
    AgreeFollowUp,
    ConfirmHandover,
    ConfirmStart,
    DeclineAgreement,
    GiveAgreement,
    Message,
    PostponeStart,
    Reassign,
    RecordEmployment,
    RecordEnd,
    RecordInfo,
    RecordPrecheck,
    RecordProgress,
    RecordScreening,
    ReportStopped,
    ScheduleIntake,
    SubmitCandidacy,
    Withdraw,
)
from okot.domain.status import (
    OpenTrajectory,
    TimelineEntry,
    TrajectoryStatus,
)
from okot.domain.values import (
    Actor,
    MessageName,
    Role,
    Stage,
)
from tests.cli_helpers import Cli, configure, one_line

CW = Actor(role=Role.CASEWORKER, id="cw-anna")
MED = Actor(role=Role.MEDIATOR, id="med-carl")
TL = Actor(role=Role.TEAMLEAD, id="tl-dora")
UNREACHABLE = "127.0.0.1:1"
D = "2025-03-03"
DAY = date(2025, 3, 3)

STAFF_CSV = """id,role,name,email,phone,ocmw,teamlead
cw-anna,caseworker,Anna Peeters,anna@ocmw.example,,gent,tl-dora
med-carl,mediator,Carl Claes,carl@vdab.example,,gent,
tl-dora,teamlead,Dora Janssens,dora@ocmw.example,,gent,
"""


def a_status() -> TrajectoryStatus:
    request = OpenTrajectory(case_id="C-1", ocmw="gent", caseworker="cw-anna")
    return journey.open_trajectory(request, datetime(2025, 3, 3, 9, tzinfo=UTC))


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, engine: Engine, tmp_path: Path) -> Cli:
    configure(monkeypatch, engine, "okot-offline", UNREACHABLE)
    return Cli()


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Message, bool]]:
    """Capture what the commands would send, answering with a status."""
    captured: list[tuple[str, Message, bool]] = []

    async def fake_send(case_id: str, message: Message, as_signal: bool) -> TrajectoryStatus | None:
        captured.append((case_id, message, as_signal))
        return None if as_signal else a_status()

    monkeypatch.setattr(cli_client, "send", fake_send)
    return captured


# ------------------------------------------------------------------ the commands


def _command(name: str) -> Any:
    group = get_command(app)
    return group.commands[name]  # type: ignore[attr-defined]


def test_every_message_has_a_command_whose_options_mirror_its_fields() -> None:
    group = get_command(app)
    names = set(group.commands)  # type: ignore[attr-defined]
    expected = {m.value.replace("_", "-") for m in MessageName if m not in OWN_COMMANDS}
    assert expected <= names and "update-policy" not in names and "policy" in names
    assert {"open", "status", "timeline", "list", "import", "worker", "db", "staff",
            "vdab-sim"} <= names
    for kind, model in MESSAGE_TYPES.items():
        if kind in OWN_COMMANDS:
            continue
        command = _command(command_name(kind))
        params = {p.name for p in command.params}
        fields = set(model.model_fields) - {"actor"}
        assert params == fields | {"case_id", "actor_spec", "as_signal", "as_json"}, kind
        for p in command.params:
            if p.name in fields:
                info = model.model_fields[p.name]
                assert p.required == (info.is_required() and p.name != "reasons"), (kind, p.name)


def test_every_field_has_its_own_help_text() -> None:
    for kind, model in MESSAGE_TYPES.items():
        assert kind in COMMAND_HELP
        for field in set(model.model_fields) - {"actor"}:
            assert (kind, field) in MESSAGE_FIELD_HELP or field in FIELD_HELP, (kind, field)


def test_bool_enum_tuple_and_date_fields_become_the_right_options() -> None:
    screening = {p.name: p for p in _command("record-screening").params}
    assert "--approved" in screening["approved"].opts
    assert "--no-approved" in screening["approved"].secondary_opts
    assert screening["reasons"].multiple and "--reason" in screening["reasons"].opts
    precheck = {p.name: p for p in _command("record-precheck").params}
    assert "--no-twe-active" in precheck["twe_active"].secondary_opts
    info = {p.name: p for p in _command("record-info").params}
    assert info["date"].metavar == "YYYY-MM-DD"


def test_help_shows_roles_stages_and_choices(offline: Cli) -> None:
    result = offline.invoke("record-info", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Sent by caseworker or mediator" in text and "orientation" in text
    assert "info_session" in text and "mediator_talk" in text and "OKOT_ACTOR" in text


# ----------------------------------------------------------- building the messages

CASES: list[tuple[list[str], Message]] = [
    (["record-info", "--date", D, "--channel", "info_session"],
     RecordInfo(actor=CW, date=DAY, channel="info_session")),
    (["record-precheck", "--conditions-met", "--no-twe-active", "--study-level", "bachelor",
      "--notes", "ok"],
     RecordPrecheck(actor=CW, conditions_met=True, twe_active=False, study_level="bachelor",
                    notes="ok")),
    (["submit-candidacy", "--programme", "Verpleegkunde", "--study-level", "bachelor",
      "--school", "Artevelde", "--channel", "training_guide", "--mediator", "med-carl"],
     SubmitCandidacy(actor=CW, programme="Verpleegkunde", study_level="bachelor",
                     school="Artevelde", channel="training_guide", mediator="med-carl")),
    (["give-agreement"], GiveAgreement(actor=CW)),
    (["give-agreement", "--contact", "tl-dora"], GiveAgreement(actor=CW, contact="tl-dora")),
    (["decline-agreement", "--reason", "not now"], DeclineAgreement(actor=CW, reason="not now")),
    (["confirm-handover", "--date", D, "--channel", "phone"],
     ConfirmHandover(actor=CW, date=DAY, channel="phone")),
    (["schedule-intake", "--as", "mediator:med-carl", "--date", D],
     ScheduleIntake(actor=MED, date=DAY)),
    (["record-screening", "--as", "mediator:med-carl", "--approved", "--start-date", D,
      "--location", "Gent"],
     RecordScreening(actor=MED, approved=True, start_date=DAY, location="Gent")),
    (["record-screening", "--as", "mediator:med-carl", "--no-approved", "--reason", "fit",
      "--reasons", "motivation"],
     RecordScreening(actor=MED, approved=False, reasons=("fit", "motivation"))),
    (["postpone-start", "--as", "mediator:med-carl", "--start-date", D],
     PostponeStart(actor=MED, start_date=DAY)),
    (["confirm-start", "--as", "mediator:med-carl", "--date", D, "--location", "Gent",
      "--expected-end", "2026-06-30"],
     ConfirmStart(actor=MED, date=DAY, location="Gent", expected_end=date(2026, 6, 30))),
    (["record-progress", "--date", D, "--note", "fine"],
     RecordProgress(actor=CW, date=DAY, note="fine")),
    (["report-stopped", "--date", D, "--note", "stopped coming to class"],
     ReportStopped(actor=CW, date=DAY, note="stopped coming to class")),
    (["record-end", "--as", "mediator:med-carl", "--result", "stopped_early", "--date", D],
     RecordEnd(actor=MED, result="stopped_early", date=DAY)),
    (["agree-follow-up", "--lead", "ocmw", "--plan", "job coaching"],
     AgreeFollowUp(actor=CW, lead="ocmw", plan="job coaching")),
    (["record-employment", "--no-employed", "--date", D],
     RecordEmployment(actor=CW, employed=False, date=DAY)),
    (["withdraw", "--reason", "moved"], Withdraw(actor=CW, reason="moved")),
    (["reassign", "--as", "teamlead:tl-dora", "--caseworker", "cw-bart"],
     Reassign(actor=TL, caseworker="cw-bart")),
]


def test_cases_cover_every_message() -> None:
    assert {m.name for _, m in CASES} == set(MessageName) - OWN_COMMANDS


@pytest.mark.parametrize(("args", "expected"), CASES, ids=[" ".join(a[:1]) + str(i)
                                                          for i, (a, _) in enumerate(CASES)])
def test_options_build_the_message(
    offline: Cli, sent: list[tuple[str, Message, bool]], monkeypatch: pytest.MonkeyPatch,
    args: list[str], expected: Message,
) -> None:
    monkeypatch.setenv("OKOT_ACTOR", "caseworker:cw-anna")
    result = offline.invoke(args[0], "C-1", *args[1:])
    assert result.exit_code == 0, result.stderr
    assert sent == [("C-1", expected, False)]
    assert f"{expected.name.value} accepted" in result.stdout
    assert "orientation" in result.stdout


def test_signal_and_json_output(offline: Cli, sent: list[tuple[str, Message, bool]]) -> None:
    result = offline.invoke("withdraw", "C-1", "--as", "caseworker:cw-anna", "--reason", "x",
                            "--signal")
    assert result.exit_code == 0 and sent[-1][2] is True
    assert "timeline" in result.stdout
    result = offline.invoke("withdraw", "C-1", "--as", "caseworker:cw-anna", "--reason", "x",
                            "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["stage"] == "orientation"


# ------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["record-info", "C-1", "--as", "caseworker:cw-anna", "--date", "2025-02-30",
          "--channel", "info_session"], ["--date", "YYYY-MM-DD"]),
        (["record-info", "C-1", "--as", "caseworker:cw-anna", "--date", D, "--channel", "mail"],
         ["--channel", "info_session", "mediator_talk"]),
        (["record-screening", "C-1", "--as", "mediator:med-carl", "--no-approved",
          "--reason", "lazy"], ["--reason", "motivation", "learning_ability"]),
        (["record-info", "C-1", "--date", D, "--channel", "info_session"],
         ["missing actor", "--as ROLE:ID", "OKOT_ACTOR", "caseworker, mediator, teamlead"]),
        (["record-info", "C-1", "--as", "boss:x", "--date", D, "--channel", "info_session"],
         ["--as", "caseworker, mediator, teamlead"]),
        (["record-info", "C-1", "--as", "caseworker:x", "--date", D, "--channel", "info_session"],
         ["--as", "staff id"]),
        (["record-screening", "C-1", "--as", "mediator:med-carl", "--approved"],
         ["start_date and location"]),
        (["record-screening", "C-1", "--as", "mediator:med-carl"], ["--approved"]),
        (["confirm-start", "C-1", "--as", "mediator:med-carl", "--date", D, "--location", "G",
          "--expected-end", "2024-01-01"], ["expected_end"]),
        (["withdraw", "C-1", "--as", "caseworker:cw-anna", "--reason", "  "], ["--reason"]),
        (["withdraw", "85.07.30-033.28", "--as", "caseworker:cw-anna", "--reason", "x"],
         ["CASE", "national register number"]),
        (["open", "C-1", "--ocmw", "Gent!", "--caseworker", "cw-anna"], ["--ocmw"]),
        (["open", "C-1", "--ocmw", "gent", "--caseworker", "cw-anna", "--opened-on", "3/3/25"],
         ["--opened-on", "YYYY-MM-DD"]),
        (["open", "C-1", "--ocmw", "gent", "--caseworker", "cw-anna", "--opened-on",
          "2999-01-01"], ["--opened-on", "2099-12-31"]),
        (["open", "C-1", "--ocmw", "gent", "--caseworker", "cw-anna", "--opened-on",
          (date.today() + timedelta(days=3)).isoformat()], ["--opened-on", "future"]),
        (["open", "C-1", "--ocmw", "gent", "--caseworker", "cw-anna", "--opened-on",
          "2020-01-01"], ["--opened-on", "three years"]),
        (["list", "--stage", "done"], ["--stage", "orientation", "follow_up"]),
        (["list", "--ocmw", "Gent!"], ["--ocmw"]),
        (["status"], ["CASE"]),
    ],
)
def test_malformed_options_give_one_line_and_exit_2(
    offline: Cli, sent: list[tuple[str, Message, bool]], args: list[str], expected: list[str]
) -> None:
    result = offline.invoke(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    line = one_line(result.stderr)
    for text in expected:
        assert text in line, (text, line)
    assert "Traceback" not in result.output
    assert sent == []


def test_connection_problems_exit_1_with_one_line(offline: Cli) -> None:
    for args in (["status", "C-1"], ["timeline", "C-1"], ["list"],
                 ["record-info", "C-1", "--as", "caseworker:cw-anna", "--date", D,
                  "--channel", "info_session"]):
        result = offline.invoke(*args)
        assert result.exit_code == 1, (args, result.stderr)
        line = one_line(result.stderr)
        assert line == "Temporal is not reachable at 127.0.0.1:1: is `make demo` running?", line
        assert "Traceback" not in result.stderr and "transport" not in result.stderr.lower()


def test_open_refuses_unknown_staff_when_the_directory_has_entries(
    offline: Cli, engine: Engine
) -> None:
    import_members(engine, parse_csv(STAFF_CSV))
    result = offline.invoke("open", "C-1", "--ocmw", "gent", "--caseworker", "cw-nobody")
    assert result.exit_code == 2
    line = one_line(result.stderr)
    assert "unknown staff id 'cw-nobody'" in line and "okot staff import" in line
    result = offline.invoke("open", "C-1", "--ocmw", "gent", "--caseworker", "med-carl")
    assert result.exit_code == 2 and "is a mediator" in one_line(result.stderr)
    result = offline.invoke("open", "C-1", "--ocmw", "gent", "--caseworker", "cw-anna",
                            "--mediator", "cw-anna")
    assert result.exit_code == 2 and "not a mediator" in one_line(result.stderr)
    # known staff: it gets as far as Temporal
    result = offline.invoke("open", "C-1", "--ocmw", "gent", "--caseworker", "cw-anna",
                            "--mediator", "med-carl")
    assert result.exit_code == 1 and "Temporal is not reachable" in one_line(result.stderr)


def test_messages_naming_staff_are_checked_too(
    offline: Cli, engine: Engine, sent: list[tuple[str, Message, bool]]
) -> None:
    import_members(engine, parse_csv(STAFF_CSV))
    result = offline.invoke("reassign", "C-1", "--as", "teamlead:tl-dora", "--mediator", "med-x")
    assert result.exit_code == 2 and "unknown staff id 'med-x'" in one_line(result.stderr)
    assert sent == []
    result = offline.invoke("reassign", "C-1", "--as", "teamlead:tl-dora", "--mediator",
                            "med-carl")
    assert result.exit_code == 0 and len(sent) == 1


def test_an_empty_directory_allows_with_a_warning(offline: Cli) -> None:
    result = offline.invoke("open", "C-1", "--ocmw", "gent", "--caseworker", "cw-nobody")
    assert result.exit_code == 1  # unreachable Temporal, but the staff check let it through
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("warning: the staff directory is empty")
    assert lines[1].startswith("Temporal is not reachable")


# --------------------------------------------------------------------- the shapes

STATUS_KEYS = {
    "case_id", "workflow_id", "ocmw", "stage", "stage_since", "open", "closure",
    "closure_reason", "outcome", "opened_at", "closed_at", "caseworker", "mediator",
    "registered_jobseeker", "study_level", "next_deadline", "awaiting", "overdue",
    "overdue_detail", "stop_report", "follow_up", "reminders_sent", "escalations_sent", "seq",
    "status",
}
DEADLINE_KEYS = {"kind", "due", "due_at", "notify", "awaiting"}
TIMELINE_KEYS = {"seq", "at", "kind", "name", "actor", "accepted", "summary", "reason",
                 "stage_before", "stage_after"}
LIST_KEYS = {"case_id", "workflow_id", "run_id", "execution_status", "start_time",
             "close_time", "stage", "ocmw", "caseworker", "mediator", "study_level",
             "outcome", "closure", "next_deadline", "stage_since", "overdue", "overdue_detail"}


def test_status_json_shape() -> None:
    data = status_json(a_status())
    assert set(data) == STATUS_KEYS
    assert set(data["next_deadline"]) == DEADLINE_KEYS
    assert data["workflow_id"] == "okot-C-1" and data["stage"] == "orientation"
    assert data["open"] is True and data["closure"] is None
    assert data["awaiting"] == data["next_deadline"]["awaiting"]
    assert TrajectoryStatus.model_validate(data["status"]) == a_status()
    json.dumps(data)


def test_timeline_json_shape() -> None:
    entry = TimelineEntry(
        at=datetime(2025, 3, 3, 9, tzinfo=UTC), kind="message", name="record_info", actor=CW,
        accepted=False, summary="refused", reason="not allowed", stage_before=Stage.ORIENTATION,
        stage_after=Stage.ORIENTATION, seq=3,
    )
    data = timeline_entry_json(entry)
    assert set(data) == TIMELINE_KEYS
    assert data["actor"] == {"role": "caseworker", "id": "cw-anna"}
    assert data["at"] == "2025-03-03T09:00:00+00:00" and data["accepted"] is False


def test_list_query() -> None:
    assert build_list_query() == "WorkflowType = 'OkotTrajectory'"
    assert build_list_query(
        stage=Stage.SCREENING, ocmw="Gent", caseworker="cw-anna", mediator="med-carl",
        overdue=True, running=True, query="OkotStudyLevel = 'bachelor'",
    ) == (
        "WorkflowType = 'OkotTrajectory' AND OkotStage = 'screening' AND OkotOcmw = 'gent' "
        "AND OkotCaseworker = 'cw-anna' AND OkotMediator = 'med-carl' AND OkotOverdue = true "
        "AND ExecutionStatus = 'Running' AND (OkotStudyLevel = 'bachelor')"
    )


def test_starter_needs_a_csv_or_a_case(offline: Cli, tmp_path: Path) -> None:
    result = offline.invoke(app=starter_app)
    assert result.exit_code == 2 and "--case" in one_line(result.stderr)
    result = offline.invoke("--case", "C-1", app=starter_app)
    assert result.exit_code == 2 and "--ocmw and --caseworker" in one_line(result.stderr)


def test_other_command_groups_are_registered() -> None:
    names = set(get_command(app).commands)  # type: ignore[attr-defined]
    assert {"dev", "db", "staff", "caseload", "report", "vdab-sim"} <= names
    assert isinstance(app, typer.Typer)


def test_plugins_are_registered_and_a_missing_module_is_skipped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "okot_test_plugin.py").write_text(
        "def register(app):\n"
        "    @app.command('hello')\n"
        "    def hello() -> None:\n"
        "        pass\n"
    )
    (tmp_path / "okot_test_broken_plugin.py").write_text("import okot_test_no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    points = [
        EntryPoint("gone", "okot_test_no_such_package.commands:register", PLUGIN_GROUP),
        EntryPoint("hello", "okot_test_plugin:register", PLUGIN_GROUP),
    ]
    monkeypatch.setattr(cli_app, "entry_points", lambda group: points if group == PLUGIN_GROUP else [])
    target = typer.Typer()

    @target.callback()
    def root() -> None:
        """okot"""

    register_plugins(target)
    assert set(get_command(target).commands) == {"hello"}  # type: ignore[attr-defined]

    # A plugin whose own module is there but lacks a dependency is an error, not skipped.
    points.append(EntryPoint("broken", "okot_test_broken_plugin:register", PLUGIN_GROUP))
    with pytest.raises(ModuleNotFoundError, match="okot_test_no_such_dependency"):
        register_plugins(typer.Typer())


def test_worker_command_runs_worker_main(offline: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import worker

    ran: list[bool] = []

    async def fake_main() -> None:
        ran.append(True)

    monkeypatch.setattr(worker, "main", fake_main)
    assert offline.invoke("worker").exit_code == 0
    assert ran == [True]


def test_list_fits_80_columns_and_wide_shows_every_column(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from okot.cli.output import print_list

    rows = [{
        "case_id": f"OCMW-ANTWERPEN-2026-{i:06d}", "workflow_id": "", "run_id": "",
        "execution_status": "running", "start_time": None, "close_time": None,
        "stage": "awaiting_agreement", "ocmw": "antwerpen", "caseworker": "cw-antwerpen-kristof",
        "mediator": "med-antwerpen-yasmina", "study_level": None, "outcome": None,
        "closure": None, "next_deadline": "2026-12-01T08:00:00+00:00",
        "stage_since": "2026-11-02T09:00:00+00:00", "overdue": i % 2 == 0,
    } for i in range(4)]
    monkeypatch.setenv("COLUMNS", "80")
    print_list(rows)
    narrow = capsys.readouterr().out
    assert max(len(line) for line in narrow.splitlines()) <= 80, narrow
    cells = [c.strip() for line in narrow.splitlines() for c in line.split("│")]
    for row in rows:
        assert row["case_id"] in cells
    assert "2026-12-01" in cells and "OVERDUE" in cells and "running" not in cells
    print_list(rows, wide=True)
    wide = capsys.readouterr().out
    wide_cells = [c.strip() for line in wide.splitlines() for c in line.split("│")]
    for value in ("med-antwerpen-yasmina", "antwerpen", "2026-11-02", "running"):
        assert value in wide_cells


def test_okot_starts_without_temporal_the_database_or_the_dev_stack(tmp_path: Path) -> None:
    """`okot --help` and command parsing stay fast: the heavy packages are imported by
    the commands that use them (bench/cli.py times it). The reads of `okot caseload` and
    of a payload's data key (`okot status`) on a database at head import neither alembic
    nor sqlmodel and its ORM (okot.db.light_tables)."""
    import subprocess
    import sys

    from okot.db.engine import create_engine_for, upgrade

    def loaded(heavy: list[str], code: str) -> str:
        code += f"; print(','.join(m for m in {heavy!r} if m in sys.modules))"
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True, cwd=Path(__file__).resolve().parent.parent)
        return done.stdout.strip()

    heavy = ["temporalio", "sqlalchemy", "alembic", "cryptography", "structlog", "holidays",
             "pydantic_settings", "jinja2", "httpx", "uvicorn", "workflows", "activities",
             "okot_dev.devstack"]
    assert loaded(heavy, "import sys; from okot.cli.app import app") == ""

    url = f"sqlite:///{tmp_path / 'okot.db'}"
    engine = create_engine_for(url)
    upgrade(engine)
    engine.dispose()
    reads = ("import sys; from okot.db.engine import get_engine, prepare_database; "
             "from okot.db.caseload import caseload; from okot.db import data_keys; "
             f"engine = get_engine({url!r}); prepare_database(engine); "
             "assert caseload(engine, 'cw-anna') == []; "
             "assert data_keys.find(engine, 'dk-none') is None")
    assert loaded(["alembic", "sqlmodel", "sqlalchemy.orm", "okot.db.tables"], reads) == ""
