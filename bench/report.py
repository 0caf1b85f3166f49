"""Benchmark of the management report (``make bench``).

Generates N trajectories (default 100,000) with realistic stage histories in a
fresh database, on SQLite and on PostgreSQL, and times

* the report as the CLI computes it (:func:`okot.db.reports.build_report`: SQL
  aggregates over stored per-visit working days), and
* a naive computation of the same figures in the same run: every snapshot and
  every stage visit loaded as an ORM object, counted and sorted in Python.

Both must give the same figures (checked). Targets: the report under 1 s on
SQLite, and at least 20x faster than the naive computation.

    .venv/bin/python bench/report.py [--trajectories 100000] [--no-postgres]

PostgreSQL: ``OKOT_BENCH_POSTGRES_URL``, else ``OKOT_TEST_POSTGRES_URL``, else the
local server; a schema of its own is created and dropped afterwards.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from okot.db.engine import (
    create_engine_for,
    upgrade,
)
from okot.db.reports import (
    FUNNEL_STEPS,
    Report,
    ReportFilter,
    StageTime,
    build_report,
    funnel_step,
)
from okot.db.tables import (
    STAGE_VISIT,
    TRAJECTORY,
    StageVisit,
    Trajectory,
)
from okot.domain.calendar import (
    add_months,
    is_working_day,
)

TODAY = date(2026, 1, 5)
FIRST = date(2019, 1, 7)
OCMWS = ("gent", "antwerpen", "brugge", "leuven", "aalst", "mechelen", "hasselt", "kortrijk",
         "oostende", "genk")
LEVELS = ("secondary", "se_n_se", "graduaat", "bachelor")
STAGES = ("orientation", "awaiting_agreement", "registering", "handover", "screening",
          "awaiting_start", "in_training", "follow_up", "closed")
CLOSURES = ("ineligible", "agreement_declined", "screening_rejected", "withdrawn", "completed",
            "cancelled")
RESULTS = ("passed", "not_passed", "stopped_early")
REASONS = ("motivation", "preconditions_financial", "preconditions_mobility",
           "preconditions_childcare", "fit", "learning_ability", "other")
EMPLOYMENT = ("employed", "not_employed", "not_recorded")
PROGRAMMES = ("Zorgkundige", "Verpleegkunde", "Logistiek medewerker", "Boekhouder",
              "Elektricien", "Kinderbegeleider", "Lasser", "Informaticus")
REASON_SETS = (",motivation,", ",fit,motivation,", ",preconditions_childcare,",
               ",learning_ability,preconditions_mobility,", ",other,", ",")


# ------------------------------------------------------------------ working days


class WorkingDays:
    """``okot.calendar.working_days_between`` in O(1), from a prefix sum per day."""

    def __init__(self, first: date, last: date) -> None:
        self.first = first
        self.prefix = [0]
        day = first
        while day <= last:
            day += timedelta(days=1)
            self.prefix.append(self.prefix[-1] + (1 if is_working_day(day) else 0))

    def between(self, start: date, end: date) -> int:
        if end <= start:
            return 0
        return self.prefix[(end - self.first).days] - self.prefix[(start - self.first).days]

    def next_working(self, day: date) -> date:
        while not is_working_day(day):
            day += timedelta(days=1)
        return day


# -------------------------------------------------------------------- generation


def moment(day: date, hour: int) -> datetime:
    """``hour`` o'clock UTC: the same calendar day in Brussels."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def generate(
    n: int, seed: int, wd: WorkingDays
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """One snapshot row and its stage visits per trajectory."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    for i in range(n):
        yield trajectory(rng, i, wd, now)


def trajectory(
    rng: random.Random, i: int, wd: WorkingDays, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One random trajectory, opened between FIRST and TODAY, as far as it got by TODAY."""
    span = (TODAY - FIRST).days
    ocmw = OCMWS[min(int(rng.expovariate(0.35)), len(OCMWS) - 1)]
    case_id = f"{ocmw[:3]}-{i:07d}"
    opened = wd.next_working(FIRST + timedelta(days=rng.randrange(span)))
    snap: dict[str, Any] = {
        "workflow_id": f"okot-{case_id}", "case_id": case_id, "ocmw": ocmw,
        "caseworker": f"cw.{ocmw}.{rng.randrange(20)}", "mediator": None,
        "study_level": None, "closure": None, "outcome": None, "overdue": False,
        "opened_at": moment(opened, 9), "opened_on": opened, "closed_at": None,
        "closed_on": None, "reminders_sent": 0, "escalations_sent": 0, "updated_at": now,
        "next_deadline_due": None, "next_deadline_kind": None, "awaiting": None,
    }
    visits: list[tuple[str, date]] = [("orientation", opened)]
    day = opened

    def step(stage: str, low: int, high: int) -> bool:
        """Leave the current stage for ``stage`` after low..high days (if before today)."""
        nonlocal day
        nxt = wd.next_working(day + timedelta(days=rng.randint(low, high)))
        if nxt > TODAY:
            return False
        day = nxt
        visits.append((stage, day))
        return True

    def close(closure: str, low: int, high: int) -> None:
        if step("closed", low, high):
            snap["closure"] = closure

    level = rng.choice(LEVELS)
    snap["study_level"] = level
    if rng.random() < 0.9:
        snap["info_on"] = opened
    snap["precheck_on"] = wd.next_working(opened + timedelta(days=rng.randint(0, 10)))
    roll = rng.random()
    if roll < 0.08:
        close("ineligible", 3, 40)
    elif roll < 0.11:
        close("withdrawn", 5, 60)
    elif roll < 0.115:
        close("cancelled", 0, 10)
    elif step("awaiting_agreement", 5, 60):
        snap["candidacy_on"] = day
        snap["programme"] = rng.choice(PROGRAMMES)
        snap["mediator"] = f"med.{ocmw}.{rng.randrange(8)}"
        if rng.random() < 0.07:
            close("agreement_declined", 1, 20)
        else:
            if rng.random() < 0.2:  # not yet a registered jobseeker
                handed = step("registering", 0, 15) and step("handover", 0, 3)
            else:
                handed = step("handover", 0, 15)
            if handed:
                snap["agreement_on"] = visits[-2][1] if len(visits) > 2 else day
            if handed and step("screening", 0, 20):
                snap["handover_on"] = day
                if rng.random() < 0.15:
                    close("screening_rejected", 5, 50)
                    if snap["closure"]:
                        snap["screening_on"], snap["screening_approved"] = day, False
                        snap["screening_reasons"] = rng.choice(REASON_SETS)
                elif step("awaiting_start", 5, 50):
                    snap["screening_on"], snap["screening_approved"] = day, True
                    snap["screening_reasons"] = ","
                    snap["probable_start"] = day + timedelta(days=rng.randint(10, 90))
                    if step("in_training", 10, 90):
                        start = day
                        years = rng.choice((1, 1, 2, 2, 3))
                        expected = add_months(start, 12 * years - 2)
                        snap["started_on"], snap["expected_end"] = start, expected
                        r = rng.random()
                        result = ("stopped_early" if r < 0.22 else
                                  "not_passed" if r < 0.35 else "passed")
                        length = ((expected - start).days if result != "stopped_early"
                                  else rng.randint(20, (expected - start).days))
                        if step("follow_up", length, length + 5):
                            snap["ended_on"], snap["outcome"] = day, result
                            snap["training_year"] = max(1, min(3, (day - start).days // 365 + 1))
                            snap["follow_up_lead"] = rng.choice(("vdab", "ocmw", "ocmw"))
                            snap["follow_up_agreed_on"] = day + timedelta(days=10)
                            if add_months(day, 6) <= TODAY:
                                snap["employed_6m"] = rng.random() < 0.45
                            if step("closed", 370, 395):
                                snap["closure"] = "completed"
                                snap["employed_12m"] = rng.random() < 0.55
    snap["funnel_step"] = funnel_step(snap)  # as okot.db.events writes it
    stage, since = visits[-1]
    snap["stage"] = stage
    snap["is_open"] = stage != "closed"
    snap["stage_since"] = moment(since, 10)
    snap["seq"] = len(visits) * 2
    if stage == "closed":
        snap["closed_at"], snap["closed_on"] = moment(since, 10), since
    else:
        snap["next_deadline_due"] = wd.next_working(since + timedelta(days=7))
        snap["overdue"] = snap["next_deadline_due"] < TODAY
    rows = []
    for k, (stage_k, entered) in enumerate(visits):
        left = visits[k + 1][1] if k + 1 < len(visits) else None
        rows.append({
            "workflow_id": snap["workflow_id"], "ocmw": ocmw, "opened_on": opened,
            "stage": stage_k, "entered_seq": 2 * k, "entered_at": moment(entered, 10),
            "left_at": moment(left, 10) if left else None,
            "working_days": wd.between(entered, left) if left else None,
        })
    return snap, rows


SNAPSHOT_COLUMNS = [c.name for c in TRAJECTORY.c]


def load(engine: Engine, n: int, seed: int, wd: WorkingDays) -> tuple[int, int]:
    snaps: list[dict[str, Any]] = []
    visits: list[dict[str, Any]] = []
    total_visits = 0

    def flush() -> None:
        with engine.begin() as conn:
            conn.execute(TRAJECTORY.insert(), snaps)
            conn.execute(STAGE_VISIT.insert(), visits)
        snaps.clear()
        visits.clear()

    for snap, rows in generate(n, seed, wd):
        # (the workflow id as trajectory id, as for rows from before run-scoped keys)
        snaps.append({c: snap.get(c) for c in SNAPSHOT_COLUMNS}
                     | {"trajectory_id": snap["workflow_id"], "event_seq": snap["seq"],
                        "event_at": snap["stage_since"]})
        visits.extend({**row, "trajectory_id": row["workflow_id"]} for row in rows)
        total_visits += len(rows)
        if len(snaps) >= 10_000:
            flush()
    if snaps:
        flush()
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return n, total_visits


# ------------------------------------------------------------------------- naive


def naive_report(engine: Engine) -> Report:
    """The same figures, the naive way: ORM objects row by row, Python loops."""
    stages: Counter[str] = Counter()
    closures: Counter[str] = Counter()
    results: Counter[str] = Counter()
    years: Counter[int] = Counter()
    leads: Counter[str] = Counter()
    e6: Counter[str] = Counter()
    e12: Counter[str] = Counter()
    durations: dict[str, list[int]] = {}
    reach: Counter[int] = Counter()
    reach_month: dict[str, Counter[int]] = {}
    reasons: Counter[str] = Counter()
    by_programme: dict[str, Counter[str]] = {}
    by_level: dict[str, Counter[str]] = {}
    with Session(engine) as session:
        for t in session.exec(select(Trajectory)):
            marks = [True, t.info_on is not None or t.precheck_on is not None,
                     t.candidacy_on is not None, t.agreement_on is not None,
                     t.screening_on is not None, t.started_on is not None,
                     t.ended_on is not None, bool(t.employed_6m or t.employed_12m)]
            furthest = max(i for i, mark in enumerate(marks) if mark)
            reach[furthest] += 1
            reach_month.setdefault(t.opened_on.strftime("%Y-%m"), Counter())[furthest] += 1
            if t.screening_approved is False and t.screening_reasons:
                reasons.update(c for c in t.screening_reasons.split(",") if c)
            if t.outcome and t.programme:
                by_programme.setdefault(t.programme, Counter())[t.outcome] += 1
            if t.outcome and t.study_level:
                by_level.setdefault(t.study_level, Counter())[t.outcome] += 1
            stages[t.stage] += 1
            if t.closure:
                closures[t.closure] += 1
            if t.outcome:
                results[t.outcome] += 1
                if t.outcome == "stopped_early" and t.training_year:
                    years[t.training_year] += 1
            if t.follow_up_lead:
                leads[t.follow_up_lead] += 1
            if t.ended_on is not None:
                for counter, value in ((e6, t.employed_6m), (e12, t.employed_12m)):
                    counter["not_recorded" if value is None else
                            "employed" if value else "not_employed"] += 1
        for v in session.exec(select(StageVisit)):
            if v.working_days is not None and v.stage != "closed":
                durations.setdefault(v.stage, []).append(v.working_days)
    times = {}
    for stage in STAGES[:-1]:
        values = sorted(durations.get(stage, []))
        times[stage] = (
            StageTime(stage, len(values), statistics.median(values),
                      values[math.ceil(0.9 * len(values)) - 1])
            if values else StageTime(stage, 0, None, None)
        )
    return Report(
        filter=ReportFilter(),
        stages={s: stages[s] for s in STAGES},
        closures={c: closures[c] for c in CLOSURES},
        results={r: results[r] for r in RESULTS},
        stage_times=times,
        stopped_early_by_year={y: years[y] for y in (1, 2, 3)},
        follow_up_lead={k: leads[k] for k in ("vdab", "ocmw")},
        employment_6m={k: e6[k] for k in EMPLOYMENT},
        employment_12m={k: e12[k] for k in EMPLOYMENT},
        trajectories=sum(stages.values()),
        funnel=funnel(reach),
        funnel_by_month={m: funnel(reach_month[m]) for m in sorted(reach_month)},
        screening_reasons={r: reasons[r] for r in REASONS},
        results_by_programme={p: {r: by_programme[p][r] for r in RESULTS}
                              for p in sorted(by_programme)},
        results_by_level={lvl: {r: by_level.get(lvl, Counter())[r] for r in RESULTS}
                          for lvl in LEVELS},
    )


def funnel(reach: Counter[int]) -> dict[str, int]:
    return {step: sum(n for k, n in reach.items() if k >= i)
            for i, step in enumerate(FUNNEL_STEPS)}


# --------------------------------------------------------------------------- run


def best_of(runs: int, fn: Callable[[], Report]) -> tuple[float, Report]:
    best, result = math.inf, None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return best, result


def bench(name: str, engine: Engine, n: int, seed: int, wd: WorkingDays,
          runs: int) -> dict[str, float]:
    upgrade(engine)
    started = time.perf_counter()
    trajectories, visits = load(engine, n, seed, wd)
    loaded = time.perf_counter() - started
    print(f"[{name}] generated {trajectories:,} trajectories, {visits:,} stage visits "
          f"in {loaded:.1f} s", flush=True)
    build_report(engine)  # warm-up (connection, statement cache)
    sql_time, sql = best_of(runs, lambda: build_report(engine))
    filtered_time, _ = best_of(runs, lambda: build_report(engine, ReportFilter(
        ocmw="gent", opened_from=date(2021, 1, 1), opened_to=date(2023, 12, 31))))
    naive_time, naive = best_of(1, lambda: naive_report(engine))
    if naive != sql:
        raise SystemExit(f"[{name}] the naive figures differ from the report:\n{naive}\n{sql}")
    speedup = naive_time / sql_time
    print(f"[{name}] report (SQL aggregates):        {sql_time * 1000:8.1f} ms (best of {runs})")
    print(f"[{name}] report --ocmw gent --from/--to: {filtered_time * 1000:8.1f} ms")
    print(f"[{name}] naive per-row Python (ORM):     {naive_time * 1000:8.1f} ms "
          "(same figures: checked)")
    print(f"[{name}] speed-up: {speedup:.0f}x", flush=True)
    return {"report": sql_time, "filtered": filtered_time, "naive": naive_time,
            "speedup": speedup}


def postgres_url() -> str:
    return (os.environ.get("OKOT_BENCH_POSTGRES_URL") or os.environ.get("OKOT_TEST_POSTGRES_URL")
            or "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trajectories", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=3, help="report timings: best of this many")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    wd = WorkingDays(FIRST - timedelta(days=10), TODAY + timedelta(days=3 * 366 + 800))
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="okot-bench-") as tmp:
        engine = create_engine_for(f"sqlite:///{Path(tmp) / 'bench.db'}")
        figures["sqlite"] = bench("sqlite", engine, args.trajectories, args.seed, wd, args.runs)
        engine.dispose()

    if not args.no_postgres:
        url = postgres_url()
        admin = create_engine(url)
        try:
            with admin.begin() as conn:
                schema = f"okot_bench_{uuid.uuid4().hex[:8]}"
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as error:
            print(f"[postgresql] skipped: {type(error).__name__}: cannot reach {url}")
        else:
            sep = "&" if "?" in url else "?"
            engine = create_engine_for(f"{url}{sep}options=-csearch_path%3D{schema}")
            try:
                figures["postgresql"] = bench("postgresql", engine, args.trajectories,
                                              args.seed, wd, args.runs)
            finally:
                engine.dispose()
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    ok = True
    sqlite_figures = figures["sqlite"]
    if sqlite_figures["report"] >= 1.0:
        print(f"TARGET MISSED: SQLite report {sqlite_figures['report']:.2f} s >= 1 s")
        ok = False
    for name, f in figures.items():
        if f["speedup"] < 20:
            print(f"TARGET MISSED: {name} report only {f['speedup']:.1f}x faster than naive")
            ok = False
    print("targets met: SQLite report < 1 s, >= 20x faster than naive" if ok else
          "targets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
