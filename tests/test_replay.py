"""Replay every recorded history of every released version against the current code.

A change that breaks determinism for running trajectories fails here. The
histories live in tests/histories/<version>/ and are append-only (see
tests/test_history_manifest.py); the workflow tests record new ones into the
current version's folder with OKOT_SAVE_HISTORIES=1. They replay through the
project's data converter (encryption on): histories recorded before encryption
hold plain payloads, which the codec passes through.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from history_manifest import HISTORIES, recorded_files
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from okot.temporal.connection import data_converter
from worker import sandbox_runner
from workflows.trajectory import OkotTrajectory

FILES = recorded_files()


def test_histories_are_present() -> None:
    names = {f.relative_to(HISTORIES).as_posix() for f in FILES}
    assert {"0.1.0/full_path_passed.json", "0.1.0/screening_rejected.json",
            "0.1.0/continue_as_new.json"} <= names
    assert {"0.2.0/reopened_second_trajectory.json", "0.2.0/smtp_down_attention.json",
            "0.2.0/continue_as_new_carrying.json"} <= names


@pytest.mark.parametrize("path", FILES, ids=[f.relative_to(HISTORIES).as_posix() for f in FILES])
async def test_replay(path: Path) -> None:
    history = WorkflowHistory.from_json(f"okot-{path.stem}", path.read_text())
    replayer = Replayer(
        workflows=[OkotTrajectory],
        data_converter=data_converter(),
        workflow_runner=sandbox_runner(share_workflow=False),  # the sandbox checks the workflow too
    )
    await replayer.replay_workflow(history)
