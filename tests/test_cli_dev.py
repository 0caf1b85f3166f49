"""The ``okot`` CLI end to end on the Temporal dev server: one trajectory from
``open`` to ``closed`` with the CLI alone, rejections, ``--json`` and the cohort
import (``okot import`` and ``starter.py``)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from okot.cli.starter_app import starter_app
from tests.cli_helpers import Cli, cli_on, one_line, today, wait_for
from tests.test_cli import LIST_KEYS, STATUS_KEYS, TIMELINE_KEYS
from tests.workflow_helpers import running_worker

CW = "caseworker:cw-anna"
MED = "mediator:med-carl"


@pytest.fixture
def cli(
    monkeypatch: pytest.MonkeyPatch, dev_env: WorkflowEnvironment, engine: Engine, task_queue: str
) -> Iterator[Cli]:
    yield from cli_on(monkeypatch, dev_env, engine, task_queue)


def _later(days: int) -> str:
    return (date.fromisoformat(today()) + timedelta(days=days)).isoformat()


async def _stage(cli: Cli, case_id: str) -> str:
    data: dict[str, Any] = await cli.json("status", case_id)
    return str(data["stage"])


async def _to_screening(cli: Cli, case_id: str, ocmw: str = "gent", *open_args: str) -> None:
    await cli.ok("open", case_id, "--ocmw", ocmw, "--caseworker", "cw-anna", *open_args)
    await cli.ok("record-precheck", case_id, "--as", CW, "--conditions-met", "--no-twe-active",
                 "--study-level", "bachelor")
    await cli.ok("submit-candidacy", case_id, "--as", CW, "--programme", "Verpleegkunde",
                 "--study-level", "bachelor", "--school", "Artevelde", "--channel",
                 "training_guide", "--mediator", "med-carl")
    await cli.ok("give-agreement", case_id, "--as", CW)
    await wait_for(lambda: _is(cli, case_id, "handover"))
    await cli.ok("confirm-handover", case_id, "--as", CW, "--date", today(), "--channel", "phone")


async def _is(cli: Cli, case_id: str, stage: str) -> bool:
    return await _stage(cli, case_id) == stage


async def test_one_trajectory_from_open_to_closed_with_the_cli_alone(
    cli: Cli, dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ocmw = f"o{uuid.uuid4().hex[:8]}"
    async with running_worker(dev_env.client, engine, task_queue):
        opened = await cli("open", case_id, "--ocmw", ocmw, "--caseworker", "cw-anna",
                           "--not-registered", "--opened-on", today())
        assert opened.exit_code == 0, opened.stderr
        assert f"opened okot-{case_id}" in opened.stdout
        assert opened.stderr.startswith("warning: the staff directory is empty")

        monkeypatch.setenv("OKOT_ACTOR", CW)  # the caseworker by default from here on
        await cli.ok("record-info", case_id, "--date", today(), "--channel", "info_session")
        await cli.ok("record-precheck", case_id, "--conditions-met", "--no-twe-active",
                     "--study-level", "bachelor", "--notes", "all documents present")
        await cli.ok("submit-candidacy", case_id, "--programme", "Verpleegkunde",
                     "--study-level", "bachelor", "--school", "Artevelde", "--channel",
                     "training_guide", "--mediator", "med-carl")
        agreed = await cli.ok("give-agreement", case_id)
        assert "give_agreement accepted" in agreed.stdout and "registering" in agreed.stdout
        # the registration activity moves it on to the handover
        await wait_for(lambda: _is(cli, case_id, "handover"))
        await cli.ok("confirm-handover", case_id, "--date", today(), "--channel", "phone")
        await cli.ok("schedule-intake", case_id, "--as", MED, "--date", today())
        await cli.ok("record-screening", case_id, "--as", MED, "--approved",
                     "--start-date", _later(7), "--location", "Gent")
        postponed = await cli.ok("postpone-start", case_id, "--as", MED,
                                 "--start-date", _later(14))
        assert "awaiting_start" in postponed.stdout
        # a teamlead acts only on their team's cases (unknown here: the directory is empty)
        stranger = await cli("reassign", case_id, "--as", "teamlead:tl-dora",
                             "--caseworker", "cw-bart")
        assert stranger.exit_code == 2
        assert "only the teamlead of this trajectory's caseworker" in stranger.stderr
        reassigned = await cli.json("reassign", case_id, "--caseworker", "cw-bart")
        assert reassigned["caseworker"] == "cw-bart"

        # once listed in visibility, `okot list` finds it with the ops filters
        async def listed() -> list[dict[str, Any]]:
            rows: list[dict[str, Any]] = await cli.json("list", "--ocmw", ocmw, "--stage",
                                                        "awaiting_start")
            return rows if rows and rows[0]["caseworker"] == "cw-bart" else []

        rows = await wait_for(listed)
        assert len(rows) == 1 and set(rows[0]) == LIST_KEYS
        assert rows[0]["case_id"] == case_id and rows[0]["execution_status"] == "running"
        assert rows[0]["study_level"] == "bachelor" and rows[0]["overdue"] is False

        closed = await cli.ok("withdraw", case_id, "--as", "caseworker:cw-bart",
                              "--reason", "moved to another city")
        assert "closed (withdrawn)" in closed.stdout

        status = await cli.json("status", case_id)
        assert set(status) == STATUS_KEYS
        assert status["stage"] == "closed" and status["closure"] == "withdrawn"
        assert status["open"] is False and status["next_deadline"] is None
        assert status["mediator"] == "med-carl" and status["caseworker"] == "cw-bart"
        assert status["registered_jobseeker"] is True  # by the registration activity
        assert status["status"]["jobseeker_reference"]

        timeline = await cli.json("timeline", case_id)
        assert all(set(e) == TIMELINE_KEYS for e in timeline)
        assert [e["name"] for e in timeline if e["kind"] == "message"] == [
            "record_info", "record_precheck", "submit_candidacy", "give_agreement",
            "confirm_handover", "schedule_intake", "record_screening", "postpone_start",
            "reassign", "withdraw",
        ]
        assert "registered" in [e["name"] for e in timeline]
        assert timeline[-1]["stage_after"] == "closed"

        # a closed trajectory refuses further messages, with its closure
        late = await cli("record-info", case_id, "--date", today(), "--channel", "info_session")
        assert late.exit_code == 2
        assert "closed (withdrawn)" in one_line(late.stderr)

        human = await cli.ok("timeline", case_id)
        assert "withdraw" in human.stdout
        listed_closed = await wait_for(lambda: cli.json("list", "--ocmw", ocmw, "--stage",
                                                        "closed"))
        assert listed_closed[0]["closure"] == "withdrawn"


async def test_training_and_follow_up_commands(
    cli: Cli, dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    async with running_worker(dev_env.client, engine, task_queue):
        await _to_screening(cli, case_id)
        await cli.ok("record-screening", case_id, "--as", MED, "--approved",
                     "--start-date", today(), "--location", "Gent")
        await cli.ok("confirm-start", case_id, "--as", MED, "--date", today(), "--location",
                     "Gent", "--expected-end", _later(365))
        await cli.ok("record-progress", case_id, "--as", CW, "--date", today(),
                     "--note", "going well")
        await cli.ok("record-end", case_id, "--as", MED, "--result", "passed", "--date", today())
        await cli.ok("agree-follow-up", case_id, "--as", MED, "--lead", "ocmw",
                     "--plan", "job coaching")
        status = await cli.json("record-employment", case_id, "--as", CW, "--employed",
                                "--date", today())
        assert status["stage"] == "follow_up" and status["outcome"] == "passed"
        assert status["status"]["employment"][0]["check"] == "early"
        shown = await cli.ok("status", case_id)
        assert "follow_up" in shown.stdout and "passed" in shown.stdout


async def test_rejections_exit_2_with_the_workflows_reason(
    cli: Cli, dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    async with running_worker(dev_env.client, engine, task_queue):
        opened = await cli.json("open", case_id, "--ocmw", "gent", "--caseworker", "cw-anna")
        assert opened == {"case_id": case_id, "workflow_id": f"okot-{case_id}",
                          "run_id": opened["run_id"], "task_queue": task_queue, "opened": True}
        again = await cli("open", case_id, "--ocmw", "gent", "--caseworker", "cw-anna")
        assert again.exit_code == 2 and "already has an open trajectory" in one_line(again.stderr)

        wrong_stage = await cli("give-agreement", case_id, "--as", CW)
        assert wrong_stage.exit_code == 2
        line = one_line(wrong_stage.stderr)
        assert line.startswith("refused: give_agreement is not allowed in stage orientation")
        assert "submit_candidacy" in line  # what is allowed there
        assert wrong_stage.stdout == ""

        wrong_role = await cli("record-precheck", case_id, "--as", MED, "--conditions-met",
                               "--no-twe-active", "--study-level", "bachelor")
        assert wrong_role.exit_code == 2
        assert "may be sent by caseworker, not by mediator" in one_line(wrong_role.stderr)

        rule = await cli("submit-candidacy", case_id, "--as", CW, "--programme", "X",
                         "--study-level", "bachelor", "--school", "Y", "--channel", "mediator",
                         "--mediator", "med-carl")
        assert rule.exit_code == 2 and "pre-check" in one_line(rule.stderr)

        future = await cli("record-info", case_id, "--as", CW, "--date", _later(3),
                           "--channel", "info_session")
        assert future.exit_code == 2 and "in the future" in one_line(future.stderr)

        # a signal is fire-and-forget: the rejection lands in the timeline
        signalled = await cli("give-agreement", case_id, "--as", CW, "--signal")
        assert signalled.exit_code == 0

        async def rejected_in_timeline() -> list[Any]:
            entries = await cli.json("timeline", case_id)
            return [e for e in entries if e["name"] == "give_agreement" and not e["accepted"]]

        entries = await wait_for(rejected_in_timeline)
        assert "not allowed in stage orientation" in entries[0]["reason"]

        status = await cli.json("status", case_id)
        assert status["stage"] == "orientation" and status["seq"] == 1  # nothing accepted

    missing = await cli("status", "C-does-not-exist")
    assert missing.exit_code == 2 and "no trajectory for case C-does-not-exist" in one_line(
        missing.stderr)
    assert "`okot open C-does-not-exist --ocmw X --caseworker ID`" in one_line(missing.stderr)
    # Another letter case of an existing case: "did you mean", never an invitation to open it.
    for args in (["status", case_id.lower()], ["timeline", case_id.lower()],
                 ["withdraw", case_id.lower(), "--as", CW, "--reason", "x"]):
        other_case = await cli(*args)
        line = one_line(other_case.stderr)
        assert other_case.exit_code == 2, line
        assert f"did you mean {case_id}?" in line and "okot open" not in line, line
    missing = await cli("withdraw", "C-does-not-exist", "--as", CW, "--reason", "x")
    assert missing.exit_code == 2 and "no trajectory" in one_line(missing.stderr)
    bad_query = await cli("list", "--query", "OkotStage === 'x'")
    assert bad_query.exit_code == 2 and one_line(bad_query.stderr).startswith("--query:")


# ----------------------------------------------------------------- cohort import


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cohort.csv"
    path.write_text(text, encoding="utf-8")
    return path


async def test_cohort_import_is_idempotent_and_reports_bad_rows(
    cli: Cli, dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    a, b = f"K-{run}-a", f"K-{run}-b"
    path = _write(tmp_path, (
        "case_id,ocmw,caseworker,mediator,registered_jobseeker,opened_on\n"
        f"{a},gent,cw-anna,med-carl,true,{today()}\n"
        "85073003328,gent,cw-anna,,true,\n"
        f"K-{run}-c,Gent!,cw-anna,,true,\n"
        f"K-{run}-d,gent,cw-anna,,maybe,2024-02-30\n"
        f"{b},gent,cw-anna,,false,\n"
        f"{a},gent,cw-anna,,true,\n"
    ))
    async with running_worker(dev_env.client, engine, task_queue):
        first = await cli("import", str(path))
        assert first.exit_code == 2, first.stderr
        assert first.stdout.strip().splitlines()[-1] == "opened 2, skipped 0, failed 4"
        errors = first.stderr
        assert "line 3: case_id looks like a national register number" in errors
        assert "85073003328" not in errors  # never echoed
        assert f"line 4 (K-{run}-c): ocmw:" in errors
        assert "line 5" in errors and "registered_jobseeker" in errors and "opened_on" in errors
        assert f"line 7 ({a}): case_id is listed twice (also on line 2)" in errors

        second = await cli("import", str(path))
        assert second.exit_code == 2
        assert second.stdout.strip().splitlines()[-1] == "opened 0, skipped 2, failed 4"
        assert f"skipped line 2 ({a}): already has an open trajectory" in second.stderr

        clean = _write(tmp_path, (
            "case_id,ocmw,caseworker\n"
            f"{a},gent,cw-anna\n"
            f"K-{run}-e,gent,cw-anna\n"
        ))
        third = await cli(str(clean), app=starter_app)  # python starter.py cohort.csv
        assert third.exit_code == 0, third.stderr
        assert third.stdout.strip().splitlines()[-1] == "opened 1, skipped 1, failed 0"

        status_b = await cli.json("status", b)
        assert status_b["registered_jobseeker"] is False and status_b["ocmw"] == "gent"

        one = await cli("--case", f"K-{run}-f", "--ocmw", "gent", "--caseworker", "cw-anna",
                        app=starter_app)
        assert one.exit_code == 0 and f"opened okot-K-{run}-f" in one.stdout
        assert (await cli.json("status", f"K-{run}-f"))["stage"] == "orientation"

    bad_header = _write(tmp_path, "case_id,ocmw,caseworker,name\nC-1,gent,cw-anna,Jan\n")
    refused = await cli("import", str(bad_header))
    assert refused.exit_code == 2
    assert "unknown column(s) name" in one_line(refused.stderr)
    assert json.dumps(refused.stdout).count("Jan") == 0
