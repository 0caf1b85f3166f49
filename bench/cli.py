"""Wall time of the ``okot`` command line (issue 14), medians of N runs.

* ``okot --help``;
* ``okot status CASE`` against a Temporal dev server this script starts (free
  ports, a temporary database and keyring, a worker in a subprocess, one case);
* ``okot caseload --caseworker ID`` over N open cases (default 1,000) seeded into
  a temporary SQLite database, with, in-process, the working days in stage counted
  by the calendar index against counting them one day at a time.

Each command runs as ``okot`` does (a fresh interpreter, this checkout's code).
Targets on the 2-core machine: ``--help`` under 0.5 s, ``status`` under 1 s,
``caseload`` over 1,000 open cases under 1 s. Figures: README, "Performance".

    .venv/bin/python bench/cli.py [--runs 7] [--cases 1000] [--no-status] [--code DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from okot.db.caseload import caseload  # noqa: E402
from okot.db.engine import create_engine_for, upgrade  # noqa: E402
from okot.db.tables import TRAJECTORY  # noqa: E402
from okot.domain.calendar import (  # noqa: E402
    _working_days_counted,
    local_date,
    working_days_between,
)

OKOT = [sys.executable, "-c", "from okot.cli.app import app; app()"]
CODE = [ROOT]
"""The checkout whose ``okot`` is timed (``--code``; default this one)."""
STAFF_ID = "cw.bench"
CASE_ID = "bench-0001"
STAGES = ("orientation", "awaiting_agreement", "registering", "handover", "screening",
          "awaiting_start", "in_training", "follow_up")


def environment(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(CODE[0]), **extra}
    env.pop("OKOT_ACTOR", None)
    return env


CPU: list[float] = []
"""CPU seconds (user + system) of each ``okot`` run of the last :func:`wall_times`."""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall_times(args: Sequence[str], env: dict[str, str], runs: int) -> list[float]:
    """Seconds per run of ``okot ARGS`` (a failing run stops the benchmark)."""
    times = []
    CPU.clear()
    for _ in range(runs):
        start, cpu = time.perf_counter(), _children_cpu()
        done = subprocess.run([*OKOT, *args], env=env, cwd=CODE[0], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, check=False)
        times.append(time.perf_counter() - start)
        CPU.append(_children_cpu() - cpu)
        if done.returncode != 0:
            raise SystemExit(f"okot {' '.join(args)} failed: {done.stderr.strip()[:300]}")
    return times


def line(label: str, times: Sequence[float], target: float | None = None,
         cpu: Sequence[float] = ()) -> str:
    """One figure: the median wall time (and CPU time of the process, which a busy
    machine inflates less), against ``target``."""
    median = statistics.median(times)
    verdict = "" if target is None else (" ok" if median < target else f" OVER {target} s")
    cpu_text = f", cpu {statistics.median(cpu):.3f} s" if cpu else ""
    return (f"{label:<44} median {median:6.3f} s  (min {min(times):.3f}, "
            f"max {max(times):.3f}, n={len(times)}{cpu_text}){verdict}")


def okot_figure(label: str, args: Sequence[str], env: dict[str, str], runs: int,
                target: float) -> str:
    times = wall_times(args, env, runs)
    return line(label, times, target, list(CPU))


def seed_caseload(url: str, cases: int) -> None:
    """``cases`` open trajectories of :data:`STAFF_ID`, in every stage, up to 3 years old."""
    engine = create_engine_for(url)
    upgrade(engine)
    rng = random.Random(14)
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    rows = []
    for i in range(cases):
        since = now - timedelta(days=rng.randint(0, 3 * 365), hours=rng.randint(0, 23))
        opened = since - timedelta(days=rng.randint(0, 60))
        due = local_date(since) + timedelta(days=rng.randint(5, 90))
        rows.append({
            "trajectory_id": f"okot-bench-{i:06d}", "workflow_id": f"okot-bench-{i:06d}",
            "case_id": f"bench-{i:06d}", "seq": 1, "event_seq": 1, "event_at": since,
            "ocmw": "gent", "caseworker": STAFF_ID, "mediator": None,
            "stage": STAGES[i % len(STAGES)], "is_open": True, "stage_since": since,
            "next_deadline_due": due, "next_deadline_kind": "reminder",
            "awaiting": "caseworker", "overdue": due < local_date(now),
            "opened_at": opened, "opened_on": local_date(opened), "updated_at": now,
        })
    with engine.begin() as conn:
        conn.execute(TRAJECTORY.insert(), rows)
    engine.dispose()


def caseload_figures(url: str, runs: int) -> list[str]:
    """In-process: the caseload query and the working-day counting, index against day by day."""
    engine = create_engine_for(url)
    today = local_date(datetime.now(UTC))
    query = [timed(lambda: caseload(engine, STAFF_ID, today=today)) for _ in range(runs)]
    items = caseload(engine, STAFF_ID, today=today)
    pairs = [(local_date(item.stage_since), today) for item in items]
    indexed = [timed(lambda: [working_days_between(a, b) for a, b in pairs]) for _ in range(runs)]
    counted = [timed(lambda: [_working_days_counted(a, b) for a, b in pairs])
               for _ in range(runs)]
    engine.dispose()
    return [
        line(f"  caseload() in-process ({len(items)} rows)", query),
        line("  working days in stage, by arithmetic", indexed),
        line("  working days in stage, day by day (before)", counted),
    ]


def timed(call: object) -> float:
    assert callable(call)
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


async def status_figure(tmp: Path, runs: int) -> str:
    """``okot status CASE`` against a dev server with a worker and one open case."""
    from okot_dev.devserver import dev_server
    from okot_dev.ports import LOOPBACK, free_port

    port = free_port()
    keyring = tmp / "keyring.json"
    env = environment(
        TEMPORAL_ADDRESS=f"{LOOPBACK}:{port}", TEMPORAL_NAMESPACE="default",
        OKOT_DATABASE_URL=f"sqlite:///{tmp / 'status.db'}", OKOT_KEYRING=str(keyring),
        OKOT_TASK_QUEUE="okot-bench-cli", OKOT_LOG_LEVEL="WARNING",
    )
    wall_times(["keyring", "init", str(keyring)], env, 1)
    os.environ["OKOT_KEYRING"] = str(keyring)  # this process connects too (dev_server)
    async with dev_server(tmp / "temporal.db", port=port, ui_port=None):
        worker = subprocess.Popen([sys.executable, str(CODE[0] / "worker.py")], env=env,
                                  cwd=CODE[0],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wall_times(["open", CASE_ID, "--ocmw", "gent", "--caseworker", STAFF_ID], env, 1)
            for _ in range(30):  # until the worker answers (it may still be starting)
                if subprocess.run([*OKOT, "status", CASE_ID], env=env, cwd=CODE[0],
                                  capture_output=True, check=False).returncode == 0:
                    break
            return okot_figure("okot status CASE (dev server, one case)", ["status", CASE_ID],
                               env, runs, 1.0)
        finally:
            worker.terminate()
            worker.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per figure (median)")
    parser.add_argument("--cases", type=int, default=1000, help="open cases in the caseload")
    parser.add_argument("--no-status", action="store_true",
                        help="skip `okot status` (no dev server)")
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="time the okot of this checkout (e.g. main, for a before figure)")
    options = parser.parse_args()
    CODE[0] = options.code.resolve()
    print(f"okot CLI of {CODE[0]}, {options.runs} runs each, load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="okot-bench-cli-") as name:
        tmp = Path(name)
        print(okot_figure("okot --help", ["--help"], environment(), options.runs, 0.5))
        if not options.no_status:
            print(asyncio.run(status_figure(tmp, options.runs)))
        url = f"sqlite:///{tmp / 'caseload.db'}"
        seed_caseload(url, options.cases)
        print(okot_figure(f"okot caseload ({options.cases} open cases, SQLite)",
                          ["caseload", "--caseworker", STAFF_ID, "--wide"],
                          environment(OKOT_DATABASE_URL=url, COLUMNS="200"), options.runs, 1.0))
        for text in caseload_figures(url, options.runs):
            print(text)


if __name__ == "__main__":
    main()
