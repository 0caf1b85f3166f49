"""The worker identifies its build: OKOT_BUILD_ID, else version + git commit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from workflow_helpers import Driver

import okot
from okot.settings import PROJECT_ROOT, Settings
from okot.temporal.build import build_id, git_commit
from worker import build_worker


def test_the_setting_wins() -> None:
    assert build_id(Settings(build_id="okot-2026.11.1")) == "okot-2026.11.1"


def test_default_is_version_plus_git_commit() -> None:
    commit = git_commit(PROJECT_ROOT)
    assert commit is not None and re.fullmatch(r"[0-9a-f]{12}", commit)
    assert build_id(Settings(build_id=None)) == f"{okot.__version__}+{commit}"


def test_outside_a_git_checkout_the_version_alone(tmp_path: Path) -> None:
    assert git_commit(tmp_path) is None
    assert build_id(Settings(build_id=None), root=tmp_path) == okot.__version__


@pytest.mark.parametrize("bad", ["", "has space", "a/b", "x" * 101])
def test_a_bad_build_id_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="build_id"):
        Settings(build_id=bad)


async def test_the_worker_runs_under_its_build_id(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    worker = build_worker(ts_env.client, engine, task_queue=task_queue, build_id="0.2.0+test")
    assert worker.config()["build_id"] == "0.2.0+test"
    async with worker:
        d = Driver(ts_env, case_id, task_queue)
        await d.open()
        assert d.handle is not None
        history = await d.handle.fetch_history()
    completed = [e.workflow_task_completed_event_attributes for e in history.events
                 if e.HasField("workflow_task_completed_event_attributes")]
    assert completed
    assert {c.worker_version.build_id or c.binary_checksum for c in completed} == {"0.2.0+test"}
