"""Benchmark of the ``OkotTrajectory`` workflow against a bare baseline (``make bench``).

The project's workflow, with its real worker (``worker.build_worker``: real
activities, a SQLite database under /tmp, notifications queued in the outbox,
INFO logging as in production), is compared with ``bench/bare.py``: the same
input and the same Update and Signal names, each Update only appending to a
list. Both run on one Temporal dev server that this script starts; every worker
runs as a subprocess of its own, so its CPU time and RSS are read from /proc.
Rounds are interleaved (project, bare, project, bare, ...); each figure shows
the median over rounds and the spread (min-max).

Figures:

* starts/s: N starts at concurrency C, until each workflow completed its first
  workflow task, and until it is quiet (no pending activity or workflow task:
  the project's records are written);
* Updates/s: M trajectories driven concurrently along the happy path
  (11 milestones, one Update each), until every Update returned, and until
  every workflow is quiet again (records and outbox mails done); the latency
  of those Updates (p50, p99) and the worker's CPU time per Update;
* history events and bytes of the 11 Updates on the dev server, and of the
  3-year path to ``passed`` of ``tests/test_workflow_paths.py`` (Signals, as the
  tests drive it) on the time-skipping test server, where timers fire for real;
* worker RSS holding 1,000 cached trajectories (each started and sent one
  Update); ``--quick`` caches fewer and scales linearly, and says so.

The last line reads ``bench: start R1x, updates R2x, p99 R3x, events N, rss R4x``:
project/bare ratios (starts to the first workflow task, Updates until the
effects are done, p99 latency, RSS) and the history events of the 3-year path.

    .venv/bin/python bench/workflow.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import os
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, func, make_url, select
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History, HistoryEvent
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench import paths
from bench.bare import BareTrajectory
from bench.chaos.stack import Database
from okot.crypto.keyring import new_keyring, write_keyring
from okot.db.engine import (
    get_engine,
    prepare_database,
    upgrade,
)
from okot.db.tables import AUDIT_LOG
from okot.domain.calendar import (
    add_months,
    local_date,
)
from okot.domain.messages import (
    AgreeFollowUp,
    ConfirmHandover,
    ConfirmStart,
    GiveAgreement,
    Message,
    RecordEmployment,
    RecordEnd,
    RecordInfo,
    RecordPrecheck,
    RecordScreening,
    SubmitCandidacy,
)
from okot.domain.status import (
    OpenTrajectory,
)
from okot.domain.values import (
    Actor,
    Role,
    Stage,
)
from okot.logging import configure_logging
from okot.settings import LogFormat
from okot.temporal import search_attributes as sa
from okot.temporal import trajectories
from okot.temporal.connection import data_converter, register_search_attributes
from okot_dev.ports import free_port
from worker import build_worker, sandbox_runner

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("project", "bare")
BIN = Path(sys.executable).parent
CW = Actor(role=Role.CASEWORKER, id="cw-anna")
MED = Actor(role=Role.MEDIATOR, id="med-carl")
POLL = 0.05
"""Seconds between two looks at workflows that are not quiet yet."""
UPDATE_ATTEMPTS = 10
RSS_WARM_UP = 20
"""Trajectories that warm a worker up before its RSS baseline is read (see Bench.rss)."""


@dataclass(frozen=True)
class Plan:
    rounds: int
    starts: int
    concurrency: int
    trajectories: int
    rss_workflows: int
    rss_rounds: int
    year_paths: int


QUICK = Plan(rounds=2, starts=30, concurrency=50, trajectories=12, rss_workflows=100, rss_rounds=1,
             year_paths=1)
FULL = Plan(rounds=5, starts=200, concurrency=50, trajectories=100, rss_workflows=1000,
            rss_rounds=2, year_paths=3)
RSS_TARGET = 1000
YEARS_EVENTS = "history events, 3-year path (time-skipping)"


# ----------------------------------------------------------------------- messages


def today() -> date:
    """Today in Brussels, as the workflow sees it on the dev server."""
    return local_date(datetime.now(UTC))


def happy_path(day: date) -> list[Message]:
    """The 11 milestones of a registered jobseeker's path to a passed training."""
    return paths.happy_path(day, CW, MED)


Step = tuple[float, Callable[[date], Message]]
"""Days to let pass first, then the message for that day."""

THREE_YEAR_PATH: list[Step] = [
    # tests/test_workflow_paths.py::test_full_path_to_passed_over_three_years
    (0, lambda d: RecordInfo(actor=MED, date=d, channel="info_session")),
    (0, lambda d: RecordPrecheck(actor=CW, conditions_met=True, twe_active=False,
                                 study_level="graduaat")),
    (0, lambda d: SubmitCandidacy(actor=CW, programme="Verpleegkunde", study_level="graduaat",
                                  school="HBO5 Gent", channel="training_guide", mediator=MED.id)),
    (0, lambda d: GiveAgreement(actor=CW)),
    (0, lambda d: ConfirmHandover(actor=CW, date=d, channel="phone")),
    (0, lambda d: RecordScreening(actor=MED, approved=True, start_date=d + timedelta(days=14),
                                  location="Gent")),
    (14, lambda d: ConfirmStart(actor=MED, date=d, location="Gent",
                                expected_end=add_months(d, 34))),
    (365 * 2 + 300, lambda d: RecordEnd(actor=MED, result="passed", date=d)),
    (0, lambda d: AgreeFollowUp(actor=CW, lead="vdab", plan="Sollicitatietraining")),
    (190, lambda d: RecordEmployment(actor=CW, employed=True, date=d)),
    (190, lambda d: RecordEmployment(actor=CW, employed=True, date=d)),
]


def open_request(case_id: str, registered: bool = True) -> OpenTrajectory:
    return OpenTrajectory(case_id=case_id, ocmw="gent", caseworker=CW.id,
                          registered_jobseeker=registered)


# ------------------------------------------------------------------ the workflows


async def start(kind: str, client: Client, case_id: str, task_queue: str,
                registered: bool = True) -> WorkflowHandle[Any, Any]:
    """Start one workflow the way its users would: the project through okot.trajectories."""
    request = open_request(case_id, registered)
    if kind == "project":
        return await trajectories.open_trajectory(client, request, task_queue)
    return await client.start_workflow(BareTrajectory.run, request, id=f"bare-{case_id}",
                                       task_queue=task_queue)


async def update(kind: str, handle: WorkflowHandle[Any, Any], message: Message,
                 retried: Counter[str]) -> None:
    """One message as an Update, with the result type each caller would ask for.

    When the server gives up waiting for a busy worker to take the Update (an
    RPC timeout), it is asked again under the same update id, so it is applied
    once; ``retried`` counts those waits per kind.
    """
    result_type: type = dict if kind == "project" else int  # (an ack, or an older status)
    update_id = uuid.uuid4().hex
    for attempt in range(1, UPDATE_ATTEMPTS + 1):
        try:
            await handle.execute_update(message.name.value, message.model_dump(mode="json"),
                                        id=update_id, result_type=result_type)
            return
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            if attempt == UPDATE_ATTEMPTS:
                raise
            retried[kind] += 1


def kind_worker(kind: str, client: Client, engine: Engine, task_queue: str,
                max_cached: int | None) -> Worker:
    """The project's real worker (outbox delivery), or the bare one with the same runner.

    ``max_cached``: the same worker again with a bigger workflow cache. Its
    configuration is read from a template built on a task queue of its own (one
    task queue takes one worker per process); the template is never run.
    """
    queue = task_queue if max_cached is None else f"{task_queue}-template"
    if kind == "project":
        worker = build_worker(client, engine, task_queue=queue)
    else:
        worker = Worker(client, task_queue=queue, workflows=[BareTrajectory],
                        workflow_runner=sandbox_runner())
    if max_cached is None:
        return worker
    config = worker.config()
    config["task_queue"] = task_queue
    config["max_cached_workflows"] = max_cached
    return Worker(**config)


async def serve(args: argparse.Namespace) -> None:
    """The worker subprocess: serve until SIGTERM, say ``ready`` on stdout once polling."""
    configure_logging(LogFormat.JSON, args.log_level)
    client = await Client.connect(args.address, data_converter=data_converter())
    engine = get_engine(args.database)
    worker = kind_worker(args.serve, client, engine, args.task_queue, args.max_cached)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        print("ready", flush=True)
        await stop.wait()


# ---------------------------------------------------------------- worker processes


@dataclass
class WorkerProcess:
    """A worker subprocess: its task queue, CPU time and resident memory from /proc."""

    kind: str
    task_queue: str
    process: asyncio.subprocess.Process

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
        return (utime + stime) / os.sysconf("SC_CLK_TCK")

    def rss_bytes(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS in /proc status")


@asynccontextmanager
async def worker_process(kind: str, address: str, database: str, workdir: Path,
                         log_level: str, max_cached: int | None = None) -> AsyncIterator[WorkerProcess]:
    task_queue = f"bench-{kind}-{uuid.uuid4().hex[:8]}"
    argv = [sys.executable, __file__, "--serve", kind, "--address", address, "--task-queue",
            task_queue, "--database", database, "--log-level", log_level]
    if max_cached is not None:
        argv += ["--max-cached", str(max_cached)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with (workdir / f"{task_queue}.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=log, env=env)
        try:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), 120)
            if line.strip() != b"ready":
                raise RuntimeError(f"{kind} worker did not start; see {log.name}")
            yield WorkerProcess(kind, task_queue, process)
        finally:
            await stop_process(process)


async def stop_process(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        process.kill()
        await process.wait()


# ------------------------------------------------------------------------ waiting


async def bounded(items: Iterable[Any], fn: Callable[[Any], Awaitable[Any]],
                  concurrency: int) -> list[Any]:
    """``fn`` over ``items``, at most ``concurrency`` at a time, results in order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(item: Any) -> Any:
        async with gate:
            return await fn(item)

    return list(await asyncio.gather(*(one(item) for item in items)))


async def first_task_done(handle: WorkflowHandle[Any, Any]) -> None:
    """Long-poll the history until the first workflow task completed."""
    async for event in handle.fetch_history_events(wait_new_event=True):
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            return


async def is_quiet(handle: WorkflowHandle[Any, Any]) -> bool:
    """No pending activity and no pending workflow task: effects are done. (The raw
    description: the time-skipping server's search attributes do not decode.)"""
    client = handle._client
    raw = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace,
            execution=WorkflowExecution(workflow_id=handle.id, run_id=handle.run_id or "")))
    return not raw.pending_activities and not raw.HasField("pending_workflow_task")


async def wait_quiet(handles: Sequence[WorkflowHandle[Any, Any]], concurrency: int,
                     timeout: float = 600) -> None:
    waiting = list(handles)
    end = time.perf_counter() + timeout
    while waiting:
        quiet = await bounded(waiting, is_quiet, concurrency)
        waiting = [h for h, q in zip(waiting, quiet, strict=True) if not q]
        if waiting and time.perf_counter() > end:
            raise TimeoutError(f"{len(waiting)} workflows still busy after {timeout:.0f} s")
        if waiting:
            await asyncio.sleep(POLL)


async def wait_rows(engine: Engine, at_least: int, timeout: float = 600) -> None:
    """Until the audit log holds ``at_least`` rows (a cheap gate before describing)."""
    end = time.perf_counter() + timeout
    while await asyncio.to_thread(audit_rows, engine) < at_least:
        if time.perf_counter() > end:
            raise TimeoutError(f"audit log below {at_least} rows after {timeout:.0f} s")
        await asyncio.sleep(POLL)


def audit_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(AUDIT_LOG)).scalar_one())


async def terminate(handles: Sequence[WorkflowHandle[Any, Any]], concurrency: int) -> None:
    async def one(handle: WorkflowHandle[Any, Any]) -> None:
        with contextlib.suppress(RPCError):
            await handle.terminate("benchmark done")

    await bounded(handles, one, concurrency)


# ------------------------------------------------------------------------ figures


@dataclass
class Figures:
    """Samples per figure and kind, in the order figures were first added."""

    samples: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: str, kind: str, value: float) -> None:
        self.samples.setdefault(figure, {k: [] for k in KINDS})[kind].append(value)

    def median(self, figure: str, kind: str) -> float:
        return statistics.median(self.samples[figure][kind])

    def ratio(self, figure: str) -> float:
        bare = self.median(figure, "bare")
        return self.median(figure, "project") / bare if bare else math.nan


def cell(values: list[float]) -> str:
    if not values:
        return "-"
    mid = statistics.median(values)
    text = f"{mid:,.1f}" if abs(mid) < 1000 else f"{mid:,.0f}"
    if len(values) > 1 and min(values) != max(values):
        text += f" ({min(values):,.1f}-{max(values):,.1f})"
    return text


def table(figures: Figures) -> str:
    rows = [("figure", "project", "bare", "ratio")]
    for name, by_kind in figures.samples.items():
        ratio = figures.ratio(name)
        rows.append((name, cell(by_kind["project"]), cell(by_kind["bare"]),
                     f"{ratio:.2f}" if math.isfinite(ratio) else "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [" | ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths, strict=True)))
             for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


# --------------------------------------------------------------------- histories


@dataclass
class HistoryStats:
    events: int
    size: int
    by_type: Counter[str]
    bytes_by_type: Counter[str]
    activities: Counter[str]
    record_inputs: list[int]


def history_stats(events: Sequence[HistoryEvent]) -> HistoryStats:
    by_type: Counter[str] = Counter()
    bytes_by_type: Counter[str] = Counter()
    activities: Counter[str] = Counter()
    record_inputs: list[int] = []
    for event in events:
        name = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
        by_type[name] += 1
        bytes_by_type[name] += event.ByteSize()
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            activities[attrs.activity_type.name] += 1
            if attrs.activity_type.name == "record":
                record_inputs.append(sum(p.ByteSize() for p in attrs.input.payloads))
        elif event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            marker = event.marker_recorded_event_attributes.marker_name
            if marker == "core_local_activity":  # record_events, since lean-effects
                activities["local activity"] += 1
    size = History(events=list(events)).ByteSize()
    return HistoryStats(len(events), size, by_type, bytes_by_type, activities, record_inputs)


async def fetch_stats(handle: WorkflowHandle[Any, Any]) -> HistoryStats:
    return history_stats((await handle.fetch_history()).events)


# ----------------------------------------------------------------------- phases


@dataclass
class Bench:
    engine: Engine
    plan: Plan
    figures: Figures
    tag: str
    profiles: dict[str, HistoryStats] = field(default_factory=dict)
    began: float = field(default_factory=time.perf_counter)
    retried: Counter[str] = field(default_factory=Counter)
    client: Client = field(init=False)

    def progress(self, done: str) -> None:
        print(f"[{time.perf_counter() - self.began:4.0f} s] {done} done", file=sys.stderr, flush=True)

    def case_ids(self, kind: str, phase: str, n: int) -> list[str]:
        return [f"B{self.tag}-{kind[0]}{phase}-{i:05d}" for i in range(n)]

    async def starts(self, worker: WorkerProcess, round_no: int) -> None:
        """N starts at concurrency C: until the first workflow task, until quiet."""
        kind, plan = worker.kind, self.plan
        rows = await asyncio.to_thread(audit_rows, self.engine)
        began = time.perf_counter()

        async def one(case_id: str) -> WorkflowHandle[Any, Any]:
            handle = await start(kind, self.client, case_id, worker.task_queue)
            await first_task_done(handle)
            return handle

        handles = await bounded(self.case_ids(kind, f"s{round_no}", plan.starts), one,
                                plan.concurrency)
        first = time.perf_counter() - began
        if kind == "project":  # one "opened" record per start
            await wait_rows(self.engine, rows + plan.starts)
        await wait_quiet(handles, plan.concurrency)
        quiet = time.perf_counter() - began
        self.figures.add("starts/s, to first workflow task", kind, plan.starts / first)
        self.figures.add("starts/s, until quiet (records done)", kind, plan.starts / quiet)
        await terminate(handles, plan.concurrency)

    async def updates(self, worker: WorkerProcess, round_no: int) -> None:
        """M trajectories x 11 Updates, all trajectories at once, each one in order."""
        kind, plan = worker.kind, self.plan
        ids = self.case_ids(kind, f"u{round_no}", plan.trajectories)
        handles = await bounded(
            ids, lambda c: start(kind, self.client, c, worker.task_queue), plan.concurrency)
        await wait_quiet(handles, plan.concurrency)
        messages = happy_path(today())
        count = len(messages) * len(handles)
        rows = await asyncio.to_thread(audit_rows, self.engine)
        latencies: list[float] = []

        async def drive(handle: WorkflowHandle[Any, Any]) -> None:
            for message in messages:
                sent = time.perf_counter()
                await update(kind, handle, message, self.retried)
                latencies.append(time.perf_counter() - sent)

        cpu, began = worker.cpu_seconds(), time.perf_counter()
        await asyncio.gather(*(drive(h) for h in handles))
        returned = time.perf_counter() - began
        if kind == "project":  # one record per accepted message
            await wait_rows(self.engine, rows + count)
        await wait_quiet(handles, plan.concurrency)
        done = time.perf_counter() - began
        cpu = worker.cpu_seconds() - cpu
        figures = self.figures
        figures.add("Updates/s, until returned", kind, count / returned)
        figures.add("Updates/s, until records+mails done", kind, count / done)
        figures.add("Update latency p50 ms", kind, 1000 * percentile(latencies, 50))
        figures.add("Update latency p99 ms", kind, 1000 * percentile(latencies, 99))
        figures.add("worker CPU ms per Update", kind, 1000 * cpu / count)
        stats = await fetch_stats(handles[0])
        self.profiles[kind] = stats
        figures.add("history events, 11 Updates (dev server)", kind, stats.events)
        figures.add("history KB, 11 Updates (dev server)", kind, stats.size / 1024)
        await terminate(handles, plan.concurrency)

    async def rss(self, worker: WorkerProcess, round_no: int) -> None:
        """Start K workflows, touch each with one Update, read the worker's VmRSS.

        The first :data:`RSS_WARM_UP` trajectories only warm the worker up (and stay
        cached): what a worker loads once, on its first trajectory (the activities'
        lazy imports, the database's statement cache, the templates), is part of its
        baseline, not counted K times over; the growth is measured over the next K.
        """
        kind, plan = worker.kind, self.plan
        message = happy_path(today())[0]

        async def one(case_id: str) -> WorkflowHandle[Any, Any]:
            handle = await start(kind, self.client, case_id, worker.task_queue)
            await update(kind, handle, message, self.retried)
            return handle

        warm = await bounded(self.case_ids(kind, f"w{round_no}", RSS_WARM_UP), one,
                             plan.concurrency)
        await wait_quiet(warm, plan.concurrency)
        await asyncio.sleep(1)
        baseline = worker.rss_bytes()
        handles = await bounded(self.case_ids(kind, f"r{round_no}", plan.rss_workflows), one,
                                plan.concurrency)
        await wait_quiet(handles, plan.concurrency)
        await asyncio.sleep(1)
        grown = worker.rss_bytes() - baseline
        per = grown / plan.rss_workflows
        self.figures.add("worker RSS MB, 1,000 cached", kind,
                         (baseline + per * (RSS_TARGET - RSS_WARM_UP)) / 2**20)
        self.figures.add("worker RSS KB per cached trajectory", kind, per / 1024)
        await terminate([*warm, *handles], plan.concurrency)


async def three_year_path(engine: Engine, runs: int) -> list[dict[str, HistoryStats]]:
    """The 3-year path to ``passed`` on the time-skipping test server, as the tests drive it."""
    quiet = Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(
        filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))))
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=data_converter(), port=free_port(), runtime=quiet)
    try:
        await register_search_attributes(env.client)
        found: list[dict[str, HistoryStats]] = []
        for _ in range(runs):
            found.append({})
            for kind in KINDS:
                task_queue = f"bench-ts-{kind}-{uuid.uuid4().hex[:8]}"
                async with kind_worker(kind, env.client, engine, task_queue, None):
                    found[-1][kind] = await walk_three_years(env, kind, task_queue)
        return found
    finally:
        await env.shutdown()


async def walk_three_years(env: WorkflowEnvironment, kind: str, task_queue: str) -> HistoryStats:
    case_id = f"B3Y-{kind}-{uuid.uuid4().hex[:6]}"
    handle = await start(kind, env.client, case_id, task_queue, registered=False)
    for sent, (days, build) in enumerate(THREE_YEAR_PATH, start=1):
        if days:
            await env.sleep(timedelta(days=days))
        message = build(local_date(await env.get_current_time()))
        await handle.signal(message.name.value, message.model_dump(mode="json"))
        await settle(kind, handle, sent)
    if kind == "project":
        result = await asyncio.wait_for(handle.result(), 60)
        if result.stage is not Stage.CLOSED:
            raise RuntimeError(f"3-year path did not close: {result.stage}")
    stats = await fetch_stats(handle)
    if kind == "bare":
        await handle.terminate("benchmark done")
    return stats


async def settle(kind: str, handle: WorkflowHandle[Any, Any], sent: int, timeout: float = 30) -> None:
    """Until the workflow has taken ``sent`` Signals and is quiet again (a workflow task
    completed after the last one, no workflow task or activity pending: for the project,
    the registration and every notice done).

    Read from the history and the description, never by a query: a query that comes in
    while a workflow task is under way (a record's local activity) makes the server add
    a workflow task of its own to the history (3 events), which would count the
    harness's polling as the workflow's cost. (Until 0.4.0 this polled the ``status``
    and ``timeline`` queries, as the tests do: 24 more events on the project's path.)
    """
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        if await is_quiet(handle):
            events = (await handle.fetch_history()).events
            signals = [i for i, e in enumerate(events)
                       if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED]
            completed = [i for i, e in enumerate(events)
                         if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED]
            if len(signals) >= sent and completed and completed[-1] > signals[-1]:
                return
        await asyncio.sleep(POLL)
    raise TimeoutError(f"{kind}: message {sent} of the 3-year path not taken")


# ------------------------------------------------------------------------- report


def profile(stats: dict[str, HistoryStats], years: dict[str, HistoryStats],
            messages: int) -> list[str]:
    p, b = stats["project"], stats["bare"]
    lines = [
        f"profile of one trajectory's 11 Updates (dev server; {messages} messages):",
        f"  events per message: project {p.events / messages:.1f}, bare {b.events / messages:.1f}",
        "  activities per message: " + ", ".join(
            f"{name} {n / messages:.2f}" for name, n in p.activities.most_common()),
        (f"  record input: {statistics.mean(p.record_inputs) / 1024:.1f} KB per record "
         f"({sum(p.record_inputs) * 100 / p.size:.0f}% of the history's {p.size / 1024:.0f} KB)"
         if p.record_inputs else "  record input: none in the history (a local activity)"),
        "  history bytes by event type: " + ", ".join(
            f"{name.lower()} {size / 1024:.0f} KB ({p.by_type[name]})"
            for name, size in p.bytes_by_type.most_common(5)),
    ]
    y = years["project"]
    lines.append(
        f"3-year path (time-skipping server, {len(THREE_YEAR_PATH)} Signals): project "
        f"{y.events} events, {y.size / 1024:.0f} KB, timers fired {y.by_type['TIMER_FIRED']}, "
        "activities " + ", ".join(f"{n} {c}" for n, c in y.activities.most_common())
        + f"; bare {years['bare'].events} events (open, never closes)")
    return lines


def summary(figures: Figures) -> str:
    return (f"bench: start {figures.ratio('starts/s, to first workflow task'):.2f}x, "
            f"updates {figures.ratio('Updates/s, until records+mails done'):.2f}x, "
            f"p99 {figures.ratio('Update latency p99 ms'):.2f}x, "
            f"events {figures.median(YEARS_EVENTS, 'project'):.0f}, "
            f"rss {figures.ratio('worker RSS MB, 1,000 cached'):.2f}x")


# -------------------------------------------------------------------------- main


async def run(plan: Plan, log_level: str, keep: Path | None, postgres: str | None) -> int:
    began, load = time.perf_counter(), os.getloadavg()[0]
    configure_logging(LogFormat.CONSOLE, "WARNING")  # this process: the figures only
    with contextlib.ExitStack() as stack:
        workdir = keep or Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="okot-bench-wf-", dir="/tmp")))
        workdir.mkdir(parents=True, exist_ok=True)
        database = f"sqlite:///{workdir / 'okot.db'}"
        if postgres:  # a database of its own on that server, dropped at the end
            pg = Database(postgres, name=f"okot_bench_{uuid.uuid4().hex[:10]}")
            pg.create()
            stack.callback(pg.drop)
            database = pg.url
        engine = get_engine(database)
        if postgres:
            upgrade(engine)  # (as `okot db upgrade` does before a deployment)
        prepare_database(engine)
        bench = Bench(engine, plan, Figures(), uuid.uuid4().hex[:6])
        await on_dev_server(bench, database, workdir, log_level)
        years = await three_year_path(engine, plan.year_paths)
        bench.progress("3-year path")
        engine.dispose()
    figures = bench.figures
    for run_stats in years:
        for kind in KINDS:
            figures.add(YEARS_EVENTS, kind, run_stats[kind].events)
            figures.add("history KB, 3-year path (time-skipping)", kind, run_stats[kind].size / 1024)
    print(describe(plan, (load, os.getloadavg()[0]), database), flush=True)
    print(table(figures))
    print("\n".join(profile(bench.profiles, years[-1], len(happy_path(today())))))
    print(f"wall time {time.perf_counter() - began:.0f} s; Update RPC timeouts asked again: "
          + ", ".join(f"{kind} {bench.retried[kind]}" for kind in KINDS))
    print(summary(figures))
    return 0


async def on_dev_server(bench: Bench, database: str, workdir: Path, log_level: str) -> None:
    """Throughput and memory rounds on one dev server started here (its own SQLite file)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"), search_attributes=sa.ALL,
        data_converter=data_converter(), port=free_port(),
        dev_server_database_filename=str(workdir / "temporal.db"),
        dev_server_log_level="error")
    try:
        bench.client = env.client
        address = env.client.service_client.config.target_host
        await throughput(bench, address, database, workdir, log_level)
        await memory(bench, address, database, workdir, log_level)
    finally:
        await env.shutdown()


async def throughput(bench: Bench, address: str, database: str, workdir: Path,
                     log_level: str) -> None:
    async with contextlib.AsyncExitStack() as stack:
        workers = {kind: await stack.enter_async_context(
            worker_process(kind, address, database, workdir, log_level)) for kind in KINDS}
        for round_no in range(bench.plan.rounds):
            for kind in KINDS:
                await bench.starts(workers[kind], round_no)
                await bench.updates(workers[kind], round_no)
            bench.progress(f"round {round_no + 1}/{bench.plan.rounds}")


async def memory(bench: Bench, address: str, database: str, workdir: Path, log_level: str) -> None:
    cache = max(bench.plan.rss_workflows, RSS_TARGET) + 100
    for round_no in range(bench.plan.rss_rounds):
        for kind in KINDS:
            async with worker_process(kind, address, database, workdir, log_level,
                                      max_cached=cache) as worker:
                await bench.rss(worker, round_no)
        bench.progress(f"memory round {round_no + 1}/{bench.plan.rss_rounds}")


def describe(plan: Plan, load: tuple[float, float], database: str) -> str:
    scaled = (f"; RSS measured with {plan.rss_workflows} cached and scaled linearly to "
              f"{RSS_TARGET:,}" if plan.rss_workflows != RSS_TARGET else "")
    return (f"okot-flow workflow benchmark: {plan.rounds} interleaved rounds; starts: "
            f"{plan.starts} at concurrency {plan.concurrency}; Updates: {plan.trajectories} "
            f"trajectories x 11 at once; RSS: {plan.rss_rounds} round(s){scaled}; the project's "
            f"database: {make_url(database).get_backend_name()}.\n"
            "Values: median (min-max) over rounds; ratio = project / bare. 3-year path: Signals "
            "on the time-skipping test server (timers really fire).\n"
            f"Machine: {os.cpu_count()} cores; 1-minute load average {load[0]:.1f} at the start, "
            f"{load[1]:.1f} at the end (other processes share the cores).")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and trajectories (< 3 min)")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--starts", type=int)
    parser.add_argument("--trajectories", type=int)
    parser.add_argument("--rss-workflows", type=int)
    parser.add_argument("--log-level", default="INFO", help="the workers' log level (production: INFO)")
    parser.add_argument("--postgres", metavar="ADMIN_URL",
                        help="the project's database on this PostgreSQL server (a database of "
                             "its own, dropped at the end), as in production; default: SQLite")
    parser.add_argument("--workdir", type=Path,
                        help="keep the databases and worker logs here (default: a temporary directory)")
    for hidden in ("--serve", "--address", "--task-queue", "--database"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    parser.add_argument("--max-cached", type=int, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def plan_from(args: argparse.Namespace) -> Plan:
    base = QUICK if args.quick else FULL
    return Plan(
        rounds=args.rounds or base.rounds, starts=args.starts or base.starts,
        concurrency=base.concurrency, trajectories=args.trajectories or base.trajectories,
        rss_workflows=args.rss_workflows or base.rss_workflows, rss_rounds=base.rss_rounds,
        year_paths=base.year_paths)


def use_a_keyring() -> None:
    """Encryption on, as in production: a keyring for this run unless one is configured.

    Both workflows go through the project's data converter (one codec, one key per
    workflow), so the comparison is of the workflows, not of the encryption.
    """
    if os.environ.get("OKOT_ENCRYPTION") == "off" or os.environ.get("OKOT_KEYRING"):
        return
    keys = Path(tempfile.mkdtemp(prefix="okot-bench-keys-"))
    write_keyring(keys / "keyring.json", new_keyring())
    os.environ["OKOT_KEYRING"] = str(keys / "keyring.json")
    os.environ["OKOT_KEYSTORE_URL"] = f"sqlite:///{keys / 'keys.db'}"


def main() -> int:
    args = parse_args()
    if not args.serve:
        use_a_keyring()  # the worker subprocesses inherit it
    if args.serve:
        asyncio.run(serve(args))
        # The worker has shut down gracefully. Skip interpreter finalization: the SDK's
        # native threads can still call into Python then and abort (PyGILState_Release).
        logging.shutdown()
        sys.stdout.flush()
        os._exit(0)
    return asyncio.run(run(plan_from(args), args.log_level, args.workdir, args.postgres))


if __name__ == "__main__":
    raise SystemExit(main())
