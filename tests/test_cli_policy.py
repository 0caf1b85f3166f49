"""``okot policy update`` and the update_policy Update/Signal, end to end on the dev server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import Cli, cli_on, one_line
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from workflow_helpers import CW, TL, running_worker

from okot.cli.policy import load_policy, update_matching
from okot.cli.queries import build_list_query
from okot.domain.messages import UpdatePolicy
from okot.domain.policy import ReminderPolicy
from okot.domain.status import OpenTrajectory
from okot.domain.values import Actor, Role
from okot.temporal import trajectories

NEW = ReminderPolicy(orientation_reminder_days=10, repeat_days=5)


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, dev_env: WorkflowEnvironment, engine: Engine,
        task_queue: str) -> Iterator[Cli]:
    yield from cli_on(monkeypatch, dev_env, engine, task_queue)


async def visible(client: Client, query: str, expected: int) -> None:
    for _ in range(100):  # visibility is eventually consistent
        if (await client.count_workflows(build_list_query(running=True, query=query))).count \
                == expected:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{expected} trajectories not visible for {query}")


@pytest.fixture
async def cases(dev_env: WorkflowEnvironment, task_queue: str, case_id: str) -> dict[str, str]:
    """Two trajectories in gent (one with the new policy already) and one in aalst."""
    ids = {"old": f"{case_id}-a", "same": f"{case_id}-b", "elsewhere": f"{case_id}-c"}
    for key, cid in ids.items():
        request = OpenTrajectory(case_id=cid, ocmw="aalst" if key == "elsewhere" else "gent",
                                 caseworker=CW.id, teamlead=TL.id,
                                 policy=NEW if key == "same" else ReminderPolicy())
        await trajectories.open_trajectory(dev_env.client, request, task_queue)
    await visible(dev_env.client, f'TaskQueue = "{task_queue}"', 3)
    return ids


def policy_file(tmp_path: Path, suffix: str = ".json") -> Path:
    path = tmp_path / f"policy{suffix}"
    if suffix == ".toml":
        path.write_text("orientation_reminder_days = 10\nrepeat_days = 5\n")
    else:
        path.write_text(json.dumps({"orientation_reminder_days": 10, "repeat_days": 5}))
    return path


async def test_policy_update_end_to_end(
    cli: Cli, dev_env: WorkflowEnvironment, engine: Engine, task_queue: str,
    cases: dict[str, str], tmp_path: Path,
) -> None:
    query = f'TaskQueue = "{task_queue}" AND OkotOcmw = "gent"'
    client = dev_env.client
    async with running_worker(client, engine, task_queue):
        # The Okot* attributes are published by the workflow's first task, which needs
        # the worker: wait until visibility (eventually consistent) shows both gent cases.
        await visible(client, query, 2)
        before = await trajectories.status(client, cases["old"])
        dry = await cli("policy", "update", "--query", query, "--reason", "beleid 2027",
                        "--as", "teamlead:tl-dora", "--dry-run", str(policy_file(tmp_path)))
        assert dry.exit_code == 0, dry.output
        assert dry.stdout.strip().splitlines()[-1] == "would update 1, refused 0, unchanged 1"
        assert (await trajectories.status(client, cases["old"])).policy == before.policy

        done = await cli("policy", "update", "--query", query, "--reason", "beleid 2027",
                         "--as", "operations:ops-olga", str(policy_file(tmp_path, ".toml")))
        assert done.exit_code == 0, done.output
        assert done.stdout.strip().splitlines()[-1] == "updated 1, refused 0, unchanged 1"
        after = await trajectories.status(client, cases["old"])
        assert after.policy == NEW and after.seq == before.seq + 1
        assert after.next_deadline is not None and before.next_deadline is not None
        assert after.next_deadline.due < before.next_deadline.due  # 10 instead of 20 working days
        last = (await trajectories.timeline(client, cases["old"]))[-1]
        assert (last.name, last.accepted, last.actor.role.value) == ("update_policy", True,
                                                                     "operations")
        assert last.summary == ("reminder policy updated: orientation_reminder_days 20 -> 10; "
                                "repeat_days 10 -> 5")
        elsewhere = await trajectories.status(client, cases["elsewhere"])
        assert elsewhere.policy == ReminderPolicy()

        again = await cli("policy", "update", "--query", query, "--reason", "beleid 2027",
                          "--as", "teamlead:tl-dora", str(policy_file(tmp_path)))
        assert again.stdout.strip().splitlines()[-1] == "updated 0, refused 0, unchanged 2"


async def test_refusals_are_counted_with_their_reason(
    dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, cases: dict[str, str],
) -> None:
    client = dev_env.client
    async with running_worker(client, engine, task_queue):
        sent_by_cw = UpdatePolicy(actor=CW, reason="mag niet", policy=NEW)
        outcome = await update_matching(client, f'TaskQueue = "{task_queue}"', sent_by_cw,
                                        concurrency=2)
        assert outcome.summary() == "updated 0, refused 2, unchanged 1"
        assert outcome.exit_code == 2
        assert {why for _, why in outcome.refused} == {
            "update_policy may be sent by teamlead or operations, not by caseworker "
            "(stage orientation)"}


async def test_the_signal_of_the_same_name(
    dev_env: WorkflowEnvironment, engine: Engine, task_queue: str, cases: dict[str, str],
) -> None:
    client = dev_env.client
    async with running_worker(client, engine, task_queue):
        cid = cases["old"]
        stranger = Actor(role=Role.TEAMLEAD, id="tl-other")  # another team's lead
        await trajectories.signal(client, cid, UpdatePolicy(actor=CW, reason="x", policy=NEW))
        await trajectories.signal(client, cid, UpdatePolicy(actor=stranger, reason="x", policy=NEW))
        await trajectories.signal(client, cid, UpdatePolicy(actor=TL, reason="x", policy=NEW))
        for _ in range(50):
            entries = [e for e in await trajectories.timeline(client, cid)
                       if e.name == "update_policy"]
            if len(entries) == 3:
                break
            await asyncio.sleep(0.1)
        assert [(e.actor.id, e.accepted) for e in entries] == [
            (CW.id, False), ("tl-other", False), (TL.id, True)]
        assert entries[1].reason is not None
        assert "only the teamlead of this trajectory's caseworker" in entries[1].reason
        assert (await trajectories.status(client, cid)).policy == NEW


async def test_bad_input_is_one_clear_line(cli: Cli, tmp_path: Path) -> None:
    good = policy_file(tmp_path)
    r = await cli("policy", "update", "--query", "x", "--reason", "r", "--as", "caseworker:cw-anna",
                  str(good))
    assert r.exit_code == 2
    assert one_line(r.stderr) == ("--as / OKOT_ACTOR: a reminder policy is updated by teamlead "
                                  "or operations, not by caseworker")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"agreement_escalation_days": 2}))
    r = await cli("policy", "update", "--query", "x", "--reason", "r", "--as", "teamlead:tl-dora",
                  str(bad))
    assert r.exit_code == 2
    assert one_line(r.stderr) == (f"{bad}: agreement_escalation_days must be after "
                                  "agreement_reminder_days")
    text = tmp_path / "policy.txt"
    text.write_text("{}")
    r = await cli("policy", "update", "--query", "x", "--reason", "r", "--as", "teamlead:tl-dora",
                  str(text))
    assert r.exit_code == 2 and "a policy file is .json or .toml" in r.stderr
    with pytest.raises(Exception, match="not valid TOML"):
        broken = tmp_path / "broken.toml"
        broken.write_text("repeat_days = = 3")
        load_policy(broken)
