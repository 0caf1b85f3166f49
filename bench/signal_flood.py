"""How many large rejected Signals a trajectory survives (a benchmark that prints figures).

Starts a Temporal dev server of its own (a fresh SQLite file, free ports) and the
worker as a subprocess (``worker.py``, as in production), opens one trajectory
and sends it, one after the other, ``--rate`` per second (default 5; 0: as fast
as the server takes them), from ``--parallel`` senders,

* ``--signals`` (default 60) ``record_progress`` Signals whose note is a
  ``--size`` (default 1,000,000) character string: each is refused (a note is
  at most 2,000 characters) and lands in the timeline as a one-line reason;
* ``--name-signals`` (default 4) Signals with one field whose *name* is that
  long.

Then it checks (for up to a minute) that the trajectory answers its ``status``
query and accepts a valid Update, and prints, per run of the workflow (continue-as-new
starts a new one), its history length and size, and the totals. It exits
non-zero if the workflow is no longer running or refuses the valid Update.

    .venv/bin/python bench/signal_flood.py [--signals 60] [--size 1000000] [--name-signals 4]
                                           [--parallel 1] [--rate 5] [--bound BYTES]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from okot.db.engine import get_engine, prepare_database
from okot.domain.messages import RecordInfo
from okot.domain.status import OpenTrajectory
from okot.domain.values import Actor, InfoChannel, Role
from okot.temporal import search_attributes as sa
from okot.temporal import trajectories

ROOT = Path(__file__).resolve().parent.parent
CW = Actor(role=Role.CASEWORKER, id="cw-anna")


async def _runs(client: Client, workflow_id: str) -> list[tuple[str, str, int, int]]:
    """(run id, status, history length, history bytes) of every run, oldest first."""
    found = []
    async for execution in client.list_workflows(f"WorkflowId = '{workflow_id}'"):
        described = await client.workflow_service.describe_workflow_execution(
            DescribeWorkflowExecutionRequest(
                namespace=client.namespace,
                execution=WorkflowExecution(workflow_id=workflow_id, run_id=execution.run_id),
            )
        )
        info = described.workflow_execution_info
        found.append((info.start_time.ToDatetime(), execution.run_id,
                      (execution.status or WorkflowExecutionStatus.RUNNING).name,
                      info.history_length, info.history_size_bytes))
    return [(run, status, length, size) for _, run, status, length, size in sorted(found)]


async def main(signals: int, size: int, name_signals: int, parallel: int = 1,
               bound: int | None = None, rate: float = 0.0) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
            search_attributes=sa.ALL, data_converter=pydantic_data_converter,
            dev_server_log_level="error",
            dev_server_extra_args=["--db-filename", str(Path(tmp) / "temporal.db")],
        )
        database_url = f"sqlite:///{Path(tmp) / 'okot.db'}"
        engine = get_engine(database_url)
        prepare_database(engine)
        task_queue = f"flood-{uuid.uuid4().hex[:8]}"
        case_id = f"FLOOD-{uuid.uuid4().hex[:8]}"
        client = env.client
        try:
            worker = subprocess.Popen(
                [sys.executable, str(ROOT / "worker.py")], cwd=ROOT,
                env={**os.environ, "TEMPORAL_ADDRESS": env.client.service_client.config.target_host,
                     "TEMPORAL_NAMESPACE": client.namespace, "OKOT_TASK_QUEUE": task_queue,
                     "OKOT_DATABASE_URL": database_url, "OKOT_DELIVERY": "outbox",
                     "OKOT_ENCRYPTION": "off",  # this script's client sends plain payloads
                     "OKOT_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            try:
                request = OpenTrajectory(
                    case_id=case_id, ocmw="gent", caseworker=CW.id,
                    **({"continue_as_new_after_bytes": bound} if bound else {}),
                )
                started_handle = await trajectories.open_trajectory(client, request, task_queue)
                handle = client.get_workflow_handle(started_handle.id)  # the newest run
                await trajectories.status(client, case_id)  # the worker is up and has it
                actor = CW.model_dump(mode="json")
                started = time.perf_counter()
                big = "x" * size
                payloads = [("record_progress",
                             {"actor": actor, "date": "2026-01-05", "note": f"{n}{big}"})
                            for n in range(signals)]
                payloads += [("withdraw", {"actor": actor, f"{n}{big}": "x"})
                             for n in range(name_signals)]

                refused: list[str] = []

                async def sender(lane: int) -> None:
                    pace = time.perf_counter()
                    for name, payload in payloads[lane::parallel]:
                        if rate:
                            pace += 1 / rate
                            await asyncio.sleep(max(0.0, pace - time.perf_counter()))
                        try:
                            await handle.signal(name, payload)
                        except RPCError as error:  # the server refused it
                            refused.append(error.message)

                await asyncio.gather(*(sender(lane) for lane in range(parallel)))
                accepted_by_server = len(payloads) - len(refused)
                sent = time.perf_counter() - started
                rejected = 0
                deadline = time.perf_counter() + 300
                timeline = []
                while time.perf_counter() < deadline:
                    try:
                        timeline = await trajectories.timeline(client, case_id)
                    except RPCError:  # a workflow task retried just now, or no longer running
                        if (await handle.describe()).status is not WorkflowExecutionStatus.RUNNING:
                            break
                    rejected = sum(1 for e in timeline if not e.accepted)
                    if rejected >= accepted_by_server:
                        break
                    await asyncio.sleep(1)
                settled = time.perf_counter() - started
                reasons = [len(e.reason or "") for e in timeline if not e.accepted]
                update = RecordInfo(actor=CW, date=date(2026, 1, 5),
                                    channel=InfoChannel.INFO_SESSION)
                after, answer = None, "no answer"
                for _ in range(60):
                    try:
                        status = await trajectories.status(client, case_id)
                        after = await trajectories.send(client, case_id, update)
                        answer = (f"status query: stage {status.stage.value}; a valid Update "
                                  f"after the flood: accepted, stage {after.stage.value}")
                        break
                    except (RPCError, trajectories.MessageRejected) as error:
                        answer = f"the trajectory does not answer: {error}"
                        await asyncio.sleep(1)
                runs = await _runs(client, handle.id)
                audited = 0
                for _ in range(120):  # records carried to a later run are written there
                    with engine.connect() as conn:
                        audited = conn.execute(text(
                            "SELECT count(*) FROM audit_log WHERE workflow_id = :w AND NOT accepted"
                        ), {"w": handle.id}).scalar_one()
                    if audited >= rejected:
                        break
                    await asyncio.sleep(0.5)
            finally:
                worker.terminate()
                worker.wait(30)
        finally:
            await env.shutdown()
            engine.dispose()
    print(f"signals of {size:,} characters: {signals} in a note, {name_signals} as a field name, "
          f"sent by {parallel} sender(s), " + (f"{rate:g}/s each" if rate else "at full speed"))
    print(f"sent in {sent:.1f} s; refused by the server: {len(refused)} "
          f"({'; '.join(sorted(set(refused))) or '-'}); {rejected} rejections in the timeline "
          f"after {settled:.1f} s")
    print(f"longest rejection reason: {max(reasons, default=0)} characters; "
          f"rejections in the audit log: {audited}")
    print(f"{'run':<38} {'status':<16} {'events':>7} {'bytes':>12}")
    for run, state, length, nbytes in runs:
        print(f"{run:<38} {state:<16} {length:>7} {nbytes:>12,}")
    print(f"runs: {len(runs)}; largest history: {max(r[3] for r in runs):,} bytes")
    print(answer)
    expected = signals + name_signals - len(refused)
    ok = after is not None and runs[-1][1] == "RUNNING" and rejected == audited == expected
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--signals", type=int, default=60)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--name-signals", type=int, default=4)
    parser.add_argument("--parallel", type=int, default=1, help="concurrent senders")
    parser.add_argument("--bound", type=int, default=None,
                        help="OpenTrajectory.continue_as_new_after_bytes (default: the model's)")
    parser.add_argument("--rate", type=float, default=5.0,
                        help="Signals per second per sender (0: as fast as possible)")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.signals, args.size, args.name_signals, args.parallel,
                              args.bound, args.rate)))
