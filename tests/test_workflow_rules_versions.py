"""Rules versions in the workflow (time-skipping server): new trajectories get the
current rules at once; one running under the old rules keeps them until its next
continue-as-new and then switches; an unpatched change would break old histories."""

from __future__ import annotations

from pathlib import Path

import pytest
from history_manifest import HISTORIES
from incompatible_workflows import UnpatchedRules
from sqlalchemy import Engine
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer
from test_workflow_paths import finish, to_training, wait_for
from workflow_helpers import CW, MED, OPENED, Driver, running_worker

from okot.domain import rules_versions
from okot.domain.messages import AgreeFollowUp, RecordEnd, RecordProgress
from okot.domain.status import CarriedState, OpenTrajectory, TrajectoryStatus
from okot.domain.values import DeadlineKind, Stage, workflow_id_for
from okot.temporal.contract import WORKFLOW_TYPE
from worker import sandbox_runner
from workflows.trajectory import OkotTrajectory

K = DeadlineKind


def sent(s: TrajectoryStatus, kind: DeadlineKind) -> int:
    return s.streams[kind].sent if kind in s.streams else 0


async def test_new_trajectory_routine_checks_are_reminders_not_overdue(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    d = Driver(ts_env, case_id, task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        s = await to_training(d)
        assert s.rules_version == rules_versions.CURRENT
        await d.sleep(100)  # the first quarterly progress check
        s = await wait_for(d, lambda s: sent(s, K.PROGRESS_CHECK) == 1)
        assert s.stage is Stage.IN_TRAINING and s.overdue is False and s.reminders_sent >= 1
        s = await d.signal(RecordEnd(actor=MED, result="passed", date=await d.today()))
        s = await d.signal(AgreeFollowUp(actor=CW, lead="vdab", plan="Sollicitatietraining"))
        assert s.stage is Stage.FOLLOW_UP and s.overdue is False
        await d.sleep(200)  # the 6-month employment check is not answered
        s = await wait_for(d, lambda s: sent(s, K.EMPLOYMENT_CHECK_6M) == 1)
        assert s.overdue is False
        await d.sleep(170)  # the 12-month check
        s = await wait_for(d, lambda s: sent(s, K.EMPLOYMENT_CHECK_12M) == 1)
        assert s.stage is Stage.FOLLOW_UP and s.overdue is False
        await d.sleep(40)  # closed for want of it
        s = await wait_for(d, lambda s: s.stage is Stage.CLOSED)
        await finish(d, "routine_checks_not_overdue")


async def test_old_rules_until_continue_as_new_then_the_new_rules(
    ts_env: WorkflowEnvironment, engine: Engine, task_queue: str, case_id: str
) -> None:
    """A trajectory carried in under rules version 1 (as one opened before 0.2.0 is)
    keeps version 1 until it continues as new, then runs under the current rules."""
    opener = Driver(ts_env, f"{case_id}-0", task_queue)
    async with running_worker(ts_env.client, engine, task_queue):
        s = await to_training(opener)
        old = s.model_copy(update={"case_id": case_id, "rules_version": 1})
        request = OpenTrajectory(
            case_id=case_id, ocmw=s.ocmw, caseworker=s.caseworker, mediator=s.mediator,
            continue_as_new_after_events=40, carried=CarriedState(status=old),
        )
        d = Driver(ts_env, case_id, task_queue)
        d.handle = await ts_env.client.start_workflow(
            WORKFLOW_TYPE, request, id=workflow_id_for(case_id), task_queue=task_queue,
            result_type=TrajectoryStatus,
        )
        OPENED.append((ts_env.client, d.handle.id))
        first_run = d.handle.result_run_id
        assert (await d.status()).rules_version == 1
        checks = 0
        for _ in range(12):  # quarterly checks under the old rules, until continued as new
            await d.sleep(95)
            checks += 1
            s = await wait_for(d, lambda s, n=checks: sent(s, K.PROGRESS_CHECK) >= n
                               or s.rules_version == rules_versions.CURRENT)
            if s.rules_version == rules_versions.CURRENT:
                break
            assert s.overdue is True  # the old rule, while the run goes on
        assert checks >= 2, "the old rules were seen in action first"
        desc = await ts_env.client.get_workflow_handle(d.handle.id).describe()
        assert desc.run_id != first_run
        assert s.rules_version == rules_versions.CURRENT and s.stage is Stage.IN_TRAINING
        s = await d.update(RecordProgress(actor=CW, date=await d.today(), note="loopt goed"))
        assert s.overdue is False
        before = sent(s, K.PROGRESS_CHECK)
        await d.sleep(95)
        s = await wait_for(d, lambda s: sent(s, K.PROGRESS_CHECK) == before + 1)
        assert s.overdue is False  # the new rule since the continue-as-new


def history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"okot-{path.stem}", path.read_text())


async def test_old_history_replays_with_the_patch_and_breaks_without_it() -> None:
    """full_path_passed (0.1.0) had overdue set by its progress checks: the patched
    code replays it; the same rule change without the patch is non-deterministic."""
    path = HISTORIES / "0.1.0" / "full_path_passed.json"
    patched = Replayer(workflows=[OkotTrajectory], data_converter=pydantic_data_converter,
                       workflow_runner=sandbox_runner())
    assert (await patched.replay_workflow(history(path), raise_on_replay_failure=False)
            ).replay_failure is None
    unpatched = Replayer(workflows=[UnpatchedRules], data_converter=pydantic_data_converter,
                         workflow_runner=sandbox_runner())
    result = await unpatched.replay_workflow(history(path), raise_on_replay_failure=False)
    assert result.replay_failure is not None
    assert "Nondeterminism" in str(result.replay_failure)


@pytest.mark.parametrize("name", ["opened_earlier", "full_path_passed"])
async def test_rules_v3_without_its_patch_would_break_0_2_0_histories(name: str) -> None:
    """A late file caught up at once (opened_earlier) and the follow-up agreement told to
    the other side (full_path_passed) issue other commands: the patched code replays the
    0.2.0 histories under version 2; the same rules without the patch do not."""
    path = HISTORIES / "0.2.0" / f"{name}.json"
    patched = Replayer(workflows=[OkotTrajectory], data_converter=pydantic_data_converter,
                       workflow_runner=sandbox_runner())
    assert (await patched.replay_workflow(history(path), raise_on_replay_failure=False)
            ).replay_failure is None
    unpatched = Replayer(workflows=[UnpatchedRules], data_converter=pydantic_data_converter,
                         workflow_runner=sandbox_runner())
    result = await unpatched.replay_workflow(history(path), raise_on_replay_failure=False)
    assert result.replay_failure is not None
    assert "Nondeterminism" in str(result.replay_failure)


@pytest.mark.parametrize("name", ["routine_checks_not_overdue"])
def test_the_new_behaviour_is_recorded(name: str) -> None:
    assert list(HISTORIES.glob(f"*/{name}.json")), f"record {name} with OKOT_SAVE_HISTORIES=1"
