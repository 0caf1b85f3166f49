"""What a mail server outage does to the trajectories, in figures.

On a Temporal dev server (its own port, in memory) with a real worker, a fresh
SQLite database and a delivery that fails until the "SMTP server" comes back:
N trajectories are driven to the jobseeker registration and withdrawn while no
mail can be delivered. Printed:

* how long the database took to show each step (registration done, closed) after
  the message that caused it: records and snapshots wait for no mail;
* how long until every trajectory was flagged ``OkotAttention`` (window 5 s here)
  and how many outbox rows ``okot outbox --failed`` listed meanwhile;
* after the server is back: how long until every workflow finished, and the mails
  delivered per key (lost and duplicated must be 0).

    .venv/bin/python bench/stuck_mail.py [--trajectories 20] [--attention-seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select
from sqlalchemy.engine import Engine
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from okot.db import outbox
from okot.db.engine import get_engine, prepare_database
from okot.db.tables import TRAJECTORY
from okot.domain.messages import GiveAgreement, RecordPrecheck, SubmitCandidacy, Withdraw
from okot.domain.status import Notice, OpenTrajectory
from okot.domain.values import Actor, Role
from okot.mail.errors import TemporaryDeliveryError
from okot.temporal import search_attributes as sa
from okot.temporal import trajectories
from worker import build_worker

CW = Actor(role=Role.CASEWORKER, id="cw-bench")
MED = Actor(role=Role.MEDIATOR, id="med-bench")


class Smtp:
    def __init__(self) -> None:
        self.up = False
        self.sent: Counter[str] = Counter()

    async def deliver(self, notice: Notice, outbox_id: int) -> str:
        if not self.up:
            raise TemporaryDeliveryError("SMTP server unreachable (ConnectionRefusedError)")
        self.sent[notice.key] += 1
        return f"<{outbox_id}@bench>"


def stage_of(engine: Engine, workflow_id: str) -> str | None:
    t = TRAJECTORY.c
    with engine.connect() as conn:
        return conn.execute(select(t.stage).where(t.workflow_id == workflow_id)).scalar()


async def waited(check: Callable[[], Awaitable[bool] | bool], timeout: float = 120) -> float:
    start = time.perf_counter()
    while True:
        got = check()
        if not isinstance(got, bool):
            got = await got
        if got:
            return time.perf_counter() - start
        if time.perf_counter() - start > timeout:
            raise TimeoutError("not reached")
        await asyncio.sleep(0.05)


async def one(env: WorkflowEnvironment, engine: Engine, queue: str, case: str,
              attention: int) -> tuple[float, float]:
    client = env.client
    await trajectories.open_trajectory(client, OpenTrajectory(
        case_id=case, ocmw="gent", caseworker=CW.id, registered_jobseeker=False,
        attention_after_seconds=attention), queue)
    await trajectories.send(client, case, RecordPrecheck(
        actor=CW, conditions_met=True, twe_active=False, study_level="bachelor"))
    await trajectories.send(client, case, SubmitCandidacy(
        actor=CW, programme="Informatica", study_level="bachelor", school="HoGent",
        channel="mediator", mediator=MED.id))
    await trajectories.send(client, case, GiveAgreement(actor=CW))
    wf = f"okot-{case}"
    registered = await waited(lambda: stage_of(engine, wf) == "handover")
    await trajectories.send(client, case, Withdraw(actor=CW, reason="bench"))
    closed = await waited(lambda: stage_of(engine, wf) == "closed")
    return registered, closed


async def main(count: int, attention: int) -> int:
    logging.getLogger("temporalio").setLevel(logging.CRITICAL)  # each failed attempt's traceback
    env = await WorkflowEnvironment.start_local(
        search_attributes=sa.ALL, data_converter=pydantic_data_converter,
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        dev_server_log_level="error")
    smtp, queue = Smtp(), f"bench-{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory() as tmp:
        engine = get_engine(f"sqlite:///{tmp}/okot.db")
        prepare_database(engine)
        cases = [f"B-{uuid.uuid4().hex[:8]}" for _ in range(count)]
        async with build_worker(env.client, engine, task_queue=queue, delivery=smtp):
            started = time.perf_counter()
            steps = await asyncio.gather(*(one(env, engine, queue, c, attention) for c in cases))
            await waited(lambda: _flagged(env, count), timeout=attention * 10 + 60)
            flagged = time.perf_counter() - started
            backlog = len(outbox.list_notifications(engine, failed_only=True))
            smtp.up = True
            up = time.perf_counter()
            for c in cases:
                await env.client.get_workflow_handle(f"okot-{c}").result()
            finished = time.perf_counter() - up
            rows = outbox.list_notifications(engine)
        await env.shutdown()
    registered = [s[0] for s in steps]
    closed = [s[1] for s in steps]
    lost = sum(1 for r in rows if smtp.sent[r.key] == 0)
    duplicated = sum(n - 1 for n in smtp.sent.values() if n > 1)
    print(f"{count} trajectories, SMTP down, attention window {attention} s "
          f"(driven in {time.perf_counter() - started - finished:.1f} s)")
    print(f"{'figure':<52}{'median':>10}{'max':>10}")
    print(f"{'registration recorded after give_agreement (s)':<52}"
          f"{statistics.median(registered):>10.2f}{max(registered):>10.2f}")
    print(f"{'closed in the database after withdraw (s)':<52}"
          f"{statistics.median(closed):>10.2f}{max(closed):>10.2f}")
    print(f"all {count} found by 'OkotAttention = true' {flagged:.1f} s after the first message")
    print(f"okot outbox --failed during the outage: {backlog} rows")
    print(f"SMTP back: every workflow finished after {finished:.1f} s")
    print(f"mails: {len(rows)} in the outbox, {sum(smtp.sent.values())} delivered, "
          f"lost {lost}, duplicated {duplicated}")
    return 1 if lost or duplicated else 0


async def _flagged(env: WorkflowEnvironment, count: int) -> bool:
    found = [w async for w in env.client.list_workflows("OkotAttention = true")]
    return len(found) >= count


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trajectories", type=int, default=20)
    parser.add_argument("--attention-seconds", type=int, default=5)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.trajectories, args.attention_seconds)))
