"""The faults, one function each: drive trajectories while something breaks.

Each returns the trajectories it drove (checked at the end, once everything had
time to recover) and what it saw while the fault lasted.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench.chaos.driving import (
    Trajectory,
    drive,
    happy_path,
    new_trajectory,
    open_one,
    status,
    today,
)
from bench.chaos.stack import ROOT, Stack
from okot.domain.messages import Message

MAIL_STEPS = (2, 3, 6, 7, 9)
"""Happy-path steps whose message implies a mail (candidacy, agreement, screening,
start, end)."""


@dataclass
class Seen:
    """What a scenario observed while its fault lasted (besides the final counts)."""

    notes: list[str] = field(default_factory=list)
    label: str = ""
    """What ``expected`` and ``observed`` count, for a row of its own (if any)."""
    expected: int = 0
    observed: int = 0


def _client(stack: Stack) -> Client:
    assert stack.client is not None
    return stack.client


async def open_all(client: Client, task_queue: str, trajs: list[Trajectory],
                   concurrency: int = 16) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(t: Trajectory) -> None:
        async with gate:
            await open_one(client, t, task_queue)

    await asyncio.gather(*(one(t) for t in trajs))


async def _drive_all(stack: Stack, plans: list[tuple[Trajectory, list[Message]]],
                     concurrency: int, done: Callable[[], None] | None = None) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(t: Trajectory, messages: list[Message]) -> None:
        async with gate:
            await drive(_client(stack), t, messages, done)

    await asyncio.gather(*(one(t, m) for t, m in plans))


# ------------------------------------------------------------------ worker SIGKILL


async def worker_kills(stack: Stack, rng: random.Random, count: int, kills: int,
                       concurrency: int) -> tuple[list[Trajectory], Seen]:
    """``count`` trajectories along the happy path while the worker is SIGKILLed
    ``kills`` times (spread over the Updates, each at a random moment) and restarted."""
    seen = Seen()
    trajs = [new_trajectory("crash", n, rng) for n in range(count)]
    await open_all(_client(stack), stack.task_queue, trajs)
    day = today()
    plans = [(t, happy_path(t, day)) for t in trajs]
    total = sum(len(m) for _, m in plans)
    marks = sorted(rng.uniform((k + 0.3) / kills, (k + 0.9) / kills) * total
                   for k in range(kills))
    progress = 0

    def done() -> None:
        nonlocal progress
        progress += 1

    async def killer() -> None:
        for n, mark in enumerate(marks):
            while progress < mark:
                await asyncio.sleep(0.05)
            await asyncio.sleep(rng.uniform(0, 0.5))
            stack.kill_worker()
            await asyncio.sleep(rng.uniform(0, 2))
            stack.start_worker()
            if n == len(marks) // 2:  # a deploy of the mail relay meanwhile
                await asyncio.to_thread(stack.restart_relay)

    started = time.perf_counter()
    await asyncio.gather(_drive_all(stack, plans, concurrency, done), killer())
    seen.notes.append(f"worker SIGKILLed {len(marks)} times during {total:,} Updates "
                      f"({time.perf_counter() - started:.0f} s); the mail relay restarted "
                      f"(SIGTERM) {stack.relay_restarts} time(s) meanwhile")
    return trajs, seen


# ------------------------------------------------------------- dev server restart


async def _pending_timers(stack: Stack, t: Trajectory) -> list[datetime]:
    """Fire times of the timers started and neither fired nor cancelled (current run)."""
    history = await _client(stack).get_workflow_handle(t.workflow_id).fetch_history()
    started: dict[str, datetime] = {}
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            attrs = event.timer_started_event_attributes
            started[attrs.timer_id] = (event.event_time.ToDatetime(UTC)
                                       + attrs.start_to_fire_timeout.ToTimedelta())
        elif event.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
            started.pop(event.timer_fired_event_attributes.timer_id, None)
        elif event.event_type == EventType.EVENT_TYPE_TIMER_CANCELED:
            started.pop(event.timer_canceled_event_attributes.timer_id, None)
    return sorted(started.values())


def _attempts_after(stack: Stack, trajs: list[Trajectory], moment: datetime) -> tuple[int, int]:
    """(held mails, held mails attempted again after ``moment``) of ``trajs``."""
    ids = [t.trajectory_id for t in trajs]
    with stack.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT last_attempt_at FROM outbox WHERE trajectory_id = ANY(:ids) "
            "AND state = 'queued' AND attempts > 0"), {"ids": ids}).scalars().all()
    return len(rows), sum(1 for r in rows if r is not None and r > moment)


def _same(a: list[datetime], b: list[datetime]) -> bool:
    return len(a) == len(b) and all(abs(x - y) < timedelta(seconds=1) for x, y in zip(a, b, strict=True))


async def server_restart(stack: Stack, rng: random.Random, count: int,
                         down: float) -> tuple[list[Trajectory], Seen]:
    """Trajectories in several stages, each with its deadline timer pending and a mail
    held back (SMTP down: its retry timer pending), while the dev server is stopped and
    started again on its SQLite file; then every trajectory is sent its next message."""
    seen = Seen(label="timers")
    trajs = [new_trajectory("restart", n, rng) for n in range(count)]
    await open_all(_client(stack), stack.task_queue, trajs)
    day = today()
    paths = {t.case_id: happy_path(t, day) for t in trajs}
    cut = {t.case_id: MAIL_STEPS[n % len(MAIL_STEPS)] for n, t in enumerate(trajs)}
    await _drive_all(stack, [(t, paths[t.case_id][:cut[t.case_id]]) for t in trajs], 16)
    stack.smtp_down()
    await _drive_all(stack, [(t, paths[t.case_id][cut[t.case_id]:cut[t.case_id] + 1])
                             for t in trajs], 16)
    await asyncio.sleep(2)  # the first delivery attempts fail: retry timers pending
    before = {t.case_id: await _pending_timers(stack, t) for t in trajs}
    held, _ = _attempts_after(stack, trajs, datetime.now(UTC))
    await stack.stop_server()
    stopped = time.perf_counter()
    await asyncio.sleep(down)
    await stack.start_server()
    restarted = datetime.now(UTC)
    seen.notes.append(f"dev server down {time.perf_counter() - stopped:.0f} s; pending at the "
                      f"stop: {sum(len(v) for v in before.values())} deadline timers, {held} mail "
                      "retry timers (SMTP down)")
    # Retry timers fire after the restart: each held mail is attempted again (SMTP is
    # still down, so nothing but its timer can cause that attempt).
    deadline = time.perf_counter() + 120
    retried = 0
    while time.perf_counter() < deadline:
        _held_now, retried = _attempts_after(stack, trajs, restarted)
        if retried >= held:
            break
        await asyncio.sleep(1)
    after = {t.case_id: await _pending_timers(stack, t) for t in trajs}
    kept = [t for t in trajs if _same(before[t.case_id], after[t.case_id])]
    seen.expected = sum(len(v) for v in before.values()) + held
    seen.observed = sum(len(before[t.case_id]) for t in kept) + retried
    seen.notes.append(f"after the restart: {len(kept)} of {len(trajs)} trajectories keep their "
                      f"deadline timers; {retried} of {held} held mails retried by their timer")
    stack.smtp_up()
    await _drive_all(stack, [(t, paths[t.case_id][cut[t.case_id] + 1:cut[t.case_id] + 2])
                             for t in trajs], 16)
    return trajs, seen


# ----------------------------------------------------------------- okot outbox


def outbox_failed(stack: Stack, cases: set[str]) -> int:
    """Rows of ``okot outbox --failed --json`` (the real command) for ``cases``."""
    env = {**stack.worker_env(), "OKOT_DATABASE_URL": stack.database.url}
    okot = str(Path(sys.executable).parent / "okot")
    done = subprocess.run([okot, "outbox", "--failed", "--json"],
                          cwd=ROOT, env=env, capture_output=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"okot outbox --failed: exit {done.returncode}: "
                           f"{done.stderr.decode(errors='replace')[-300:]}")
    rows = json.loads(done.stdout)
    return sum(1 for r in rows if r["case_id"] in cases)


# ------------------------------------------------------------------- SMTP down


async def smtp_outage(stack: Stack, rng: random.Random, count: int, down: float,
                      concurrency: int) -> tuple[list[Trajectory], Seen]:
    """The happy path while the mail server is down for ``down`` seconds; meanwhile
    ``okot outbox --failed`` must list every mail being attempted: a trajectory's mails
    to one recipient go out one after the other, in order, so the first undelivered
    one per recipient is attempted (and listed) and the others wait behind it in the
    workflow (README, "What the system guarantees under faults")."""
    seen = Seen(label="okot outbox --failed")
    trajs = [new_trajectory("smtp", n, rng) for n in range(count)]
    await open_all(_client(stack), stack.task_queue, trajs)
    stack.smtp_down()
    began = time.perf_counter()
    day = today()
    await _drive_all(stack, [(t, happy_path(t, day)) for t in trajs], concurrency)
    driven = time.perf_counter() - began
    cases = {t.case_id for t in trajs}
    implied = sum(len(t.notices) for t in trajs)
    seen.expected = sum(len({(n.role, n.to) for n in t.notices}) for t in trajs)
    while True:
        listed = await asyncio.to_thread(outbox_failed, stack, cases)
        seen.observed = max(seen.observed, listed)
        if listed >= seen.expected or time.perf_counter() - began > down:
            break
        await asyncio.sleep(2)
    shown = time.perf_counter() - began
    await asyncio.sleep(max(0.0, down - (time.perf_counter() - began)))
    stack.smtp_up()
    seen.notes.append(f"SMTP down {time.perf_counter() - began:.0f} s ({sum(t.sent for t in trajs)}"
                      f" Updates answered in {driven:.0f} s meanwhile); `okot outbox --failed` "
                      f"listed {seen.observed} of the {seen.expected} mails being attempted (one "
                      f"per trajectory and recipient) {shown:.0f} s after it went down; the other "
                      f"{implied - seen.expected} of the {implied} mails waited behind them, in "
                      "order, not yet in the outbox")
    return trajs, seen


# ------------------------------------------------------------------- DB down


async def database_outage(stack: Stack, rng: random.Random, count: int, down: float,
                          concurrency: int) -> tuple[list[Trajectory], Seen]:
    """The happy path while the worker cannot reach its database for ``down`` seconds
    (every connection broken off, new ones refused: audit log, snapshots, outbox, staff
    directory, registrations and the data keys of the payload codec)."""
    seen = Seen()
    trajs = [new_trajectory("db", n, rng) for n in range(count)]
    await open_all(_client(stack), stack.task_queue, trajs)
    await asyncio.gather(*(status(_client(stack), t.case_id) for t in trajs))  # worker has them
    stack.db_down()
    began = time.perf_counter()
    day = today()
    answered = 0

    def done() -> None:
        nonlocal answered
        if time.perf_counter() - began < down:
            answered += 1

    driving = asyncio.create_task(
        _drive_all(stack, [(t, happy_path(t, day)) for t in trajs], concurrency, done))
    await asyncio.wait([driving], timeout=down)
    stack.db_up()
    up = time.perf_counter()
    await driving
    total = sum(t.sent for t in trajs)
    seen.notes.append(f"database unreachable for the worker {up - began:.0f} s: {answered} of "
                      f"{total} Updates answered meanwhile, the rest "
                      f"{time.perf_counter() - up:.0f} s after it came back")
    return trajs, seen
