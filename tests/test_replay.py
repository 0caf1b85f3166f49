"""Replay the recorded histories against the current workflow code.

A change that breaks determinism for running trajectories fails here. Every
version folder is replayed (``0.1.0/``, ``0.2.0/``, ..., and files at the top);
the current version's histories are written by the workflow tests with
OKOT_SAVE_HISTORIES=1 (with plain payloads), released ones are never rewritten.
They replay through the project's data converter (encryption on): histories
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

FILES = sorted(HISTORIES.rglob("*.json"))


def test_histories_are_present() -> None:
    names = {f.stem for f in FILES}
    assert {"full_path_passed", "screening_rejected", "continue_as_new"} <= names
    assert {"reopened_second_trajectory", "smtp_down_attention", "continue_as_new_carrying"} <= {
        f.stem for f in FILES if f.parent.name == "0.2.0"}


@pytest.mark.parametrize("path", FILES, ids=[str(f.relative_to(HISTORIES)) for f in FILES])
async def test_replay(path: Path) -> None:
    history = WorkflowHistory.from_json(f"okot-{path.stem}", path.read_text())
    replayer = Replayer(
        workflows=[OkotTrajectory],
        data_converter=data_converter(),
        workflow_runner=sandbox_runner(),
    )
    await replayer.replay_workflow(history)
