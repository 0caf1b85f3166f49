"""``okot replay-check`` against a dev server seeded with trajectories in every stage:
it passes on this build and fails, naming the workflow, on an incompatible one."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterator

import pytest
import typer
from cli_helpers import Cli, cli_on
from incompatible_workflows import PauseFirst
from sqlalchemy import Engine
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from workflow_helpers import running_worker

import replay_check
from okot.domain.values import Stage, workflow_id_for
from okot_dev import demo_caseload, demo_plan, demo_seed
from replay_check import replay_running, visibility_query


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, dev_env: WorkflowEnvironment, engine: Engine,
        task_queue: str) -> Iterator[Cli]:
    app = typer.Typer()
    replay_check.register_command(app)
    app.command("noop")(lambda: None)  # a group, so that `replay-check` is a subcommand
    for c in cli_on(monkeypatch, dev_env, engine, task_queue):
        c.app = app
        yield c


async def running_count(client: Client, query: str, expected: int) -> int:
    for _ in range(100):  # visibility is eventually consistent
        count = (await client.count_workflows(visibility_query(query))).count
        if count == expected:
            return count
        await asyncio.sleep(0.2)
    return count


@pytest.fixture
async def seeded(dev_env: WorkflowEnvironment, engine: Engine, task_queue: str) -> int:
    """One demo case of every target stage and closure on this task queue; the number running."""
    demo_caseload.import_demo_staff(engine)
    run = uuid.uuid4().hex[:6].upper()
    cases = [dataclasses.replace(c, case_id=f"R{run}-{c.case_id}") for c in demo_plan.plan()[:12]]
    async with running_worker(dev_env.client, engine, task_queue):
        report = await demo_seed.seed(dev_env.client, task_queue, cases=cases, engine=engine)
    assert report.failed == {}
    stages = {c.target for c in cases}
    assert {Stage.ORIENTATION, Stage.IN_TRAINING, Stage.FOLLOW_UP, Stage.CLOSED} <= stages
    running = 0
    for case in cases:  # a closed stage may still finish its last effects: ask each one
        described = await dev_env.client.get_workflow_handle(workflow_id_for(case.case_id)).describe()
        running += described.status is WorkflowExecutionStatus.RUNNING
    assert running >= 6
    assert await running_count(dev_env.client, f'TaskQueue = "{task_queue}"', running) == running
    return running


async def test_running_trajectories_replay_on_this_build(
    dev_env: WorkflowEnvironment, task_queue: str, seeded: int
) -> None:
    report = await replay_running(dev_env.client, f'TaskQueue = "{task_queue}"')
    assert (report.replayed, report.failed, report.first_failure) == (seeded, 0, None)
    assert report.exit_code == 0
    limited = await replay_running(dev_env.client, f'TaskQueue = "{task_queue}"', limit=3)
    assert limited.replayed == 3


async def test_an_incompatible_build_fails_with_the_workflow_id(
    dev_env: WorkflowEnvironment, task_queue: str, seeded: int
) -> None:
    report = await replay_running(dev_env.client, f'TaskQueue = "{task_queue}"',
                                  workflows=[PauseFirst])
    assert report.replayed == seeded and report.failed == seeded
    assert report.first_failure is not None
    workflow_id, _, error = report.first_failure
    assert workflow_id in report.failed_ids and workflow_id.startswith("okot-R")
    assert "Nondeterminism" in error
    assert report.exit_code == 2


async def test_the_command_passes_and_fails(
    cli: Cli, task_queue: str, seeded: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = f'TaskQueue = "{task_queue}"'
    ok = await cli("replay-check", "--query", query)
    assert ok.exit_code == 0, ok.output
    assert f"replayed {seeded} running trajectories: {seeded} ok, 0 failed" in ok.stdout
    monkeypatch.setattr(replay_check, "workflow_classes", lambda: [PauseFirst])
    bad = await cli("replay-check", "--query", query, "--limit", "2")
    assert bad.exit_code == 2
    assert "replayed 2 running trajectories: 0 ok, 2 failed" in bad.stdout
    first = next(line for line in bad.stdout.splitlines() if line.startswith("first failure: "))
    assert "okot-R" in first and "Nondeterminism" in first


async def test_bad_options_are_refused(cli: Cli) -> None:
    result = await cli("replay-check", "--limit", "0")
    assert result.exit_code == 2 and "--limit must be at least 1, got 0" in result.stderr
    result = await cli("replay-check", "--query", "OkotStage = = ")
    assert result.exit_code == 2
    assert "is not a valid visibility query" in result.stderr


async def test_nothing_running_is_said(cli: Cli) -> None:
    result = await cli("replay-check", "--query", 'OkotOcmw = "nowhere"')
    assert result.exit_code == 0
    assert "replayed 0 running trajectories" in result.stdout
    assert "no running trajectory matched" in result.stderr
