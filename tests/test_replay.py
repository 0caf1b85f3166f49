"""Replay the recorded histories against the current workflow code.

A change that breaks determinism for running trajectories fails here. The
histories are written by the workflow tests with OKOT_SAVE_HISTORIES=1. They
replay through the project's data converter (encryption on): histories
recorded before encryption hold plain payloads, which the codec passes through.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from workflow_helpers import HISTORIES

from okot.temporal.connection import data_converter
from worker import sandbox_runner
from workflows.trajectory import OkotTrajectory

FILES = sorted(HISTORIES.glob("*.json"))


def test_histories_are_present() -> None:
    names = {f.stem for f in FILES}
    assert {"full_path_passed", "screening_rejected", "continue_as_new"} <= names


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
async def test_replay(path: Path) -> None:
    history = WorkflowHistory.from_json(f"okot-{path.stem}", path.read_text())
    replayer = Replayer(
        workflows=[OkotTrajectory],
        data_converter=data_converter(),
        workflow_runner=sandbox_runner(),
    )
    await replayer.replay_workflow(history)
