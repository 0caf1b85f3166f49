"""The management report: SQL aggregates that match an independent computation."""

from __future__ import annotations

import csv
import io
import json
import math
import random
import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from db_fixtures import Backend, Cli, Simulated, clear, simulate_many
from sqlalchemy import event
from sqlalchemy.engine import Engine

from okot.db.events import record_event
from okot.db.reports import (
    Report,
    ReportFilter,
    StageTime,
    build_report,
    rows,
    to_csv,
    to_json,
)
from okot.domain.calendar import (
    local_date,
    working_days_between,
)
from okot.domain.status import TrajectoryStatus
from okot.domain.values import (
    EmploymentCheck,
    Stage,
    TrainingResult,
)

SIMS = simulate_many(180, seed=42)

pytest_plugins = ("db_fixtures",)


@dataclass
class Data:
    engine: Engine
    backend: Backend


@pytest.fixture(scope="module")
def data(db_backend: Backend) -> Iterator[Data]:
    """The generated data set, recorded once per backend in a random global order."""
    clear(db_backend.engine)
    requests = [r for s in SIMS for r in s.requests]
    random.Random(9).shuffle(requests)
    for r in requests:
        record_event(db_backend.engine, r)
    yield Data(db_backend.engine, db_backend)
    clear(db_backend.engine)


# ------------------------------------------------------- the independent computation


def selected(sims: list[Simulated], flt: ReportFilter) -> list[Simulated]:
    def keep(s: TrajectoryStatus) -> bool:
        opened = local_date(s.opened_at)
        return (
            (flt.ocmw is None or s.ocmw == flt.ocmw)
            and (flt.opened_from is None or opened >= flt.opened_from)
            and (flt.opened_to is None or opened <= flt.opened_to)
        )

    return [s for s in sims if keep(s.status)]


def percentiles(values: list[int]) -> tuple[float, int]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[math.ceil(0.9 * len(ordered)) - 1]


def expected(sims: list[Simulated], flt: ReportFilter) -> Report:
    chosen = selected(sims, flt)
    finals = [s.status for s in chosen]
    durations: dict[str, list[int]] = {}
    for s in chosen:
        for (stage, entered), (_next, left) in zip(s.transitions, s.transitions[1:], strict=False):
            durations.setdefault(stage, []).append(
                working_days_between(local_date(entered), local_date(left))
            )
    times = {}
    for stage in (st.value for st in Stage if st is not Stage.CLOSED):
        values = durations.get(stage, [])
        if values:
            median, p90 = percentiles(values)
            times[stage] = StageTime(stage, len(values), median, p90)
        else:
            times[stage] = StageTime(stage, 0, None, None)
    years: Counter[int] = Counter()
    for f in finals:
        if f.outcome is TrainingResult.STOPPED_EARLY:
            assert f.started_on is not None and f.ended_on is not None
            years[min(3, (f.ended_on - f.started_on).days // 365 + 1)] += 1

    def employment(check: EmploymentCheck) -> dict[str, int]:
        out = {"employed": 0, "not_employed": 0, "not_recorded": 0}
        for f in finals:
            if f.ended_on is None:
                continue
            e = f.employment_at(check)
            out["not_recorded" if e is None else "employed" if e.employed else "not_employed"] += 1
        return out

    def counts(values: list[Any], keys: list[str]) -> dict[str, int]:
        c = Counter(v.value for v in values if v is not None)
        return {k: c.get(k, 0) for k in keys}

    return Report(
        filter=flt,
        stages=counts([f.stage for f in finals], [s.value for s in Stage]),
        closures=counts([f.closure for f in finals],
                        ["ineligible", "agreement_declined", "screening_rejected", "withdrawn",
                         "completed", "cancelled"]),
        results=counts([f.outcome for f in finals], ["passed", "not_passed", "stopped_early"]),
        stage_times=times,
        stopped_early_by_year={y: years.get(y, 0) for y in (1, 2, 3)},
        follow_up_lead=counts([f.follow_up_lead for f in finals], ["vdab", "ocmw"]),
        employment_6m=employment(EmploymentCheck.MONTH_6),
        employment_12m=employment(EmploymentCheck.MONTH_12),
        trajectories=len(finals),
    )


# ---------------------------------------------------------------------------- tests

FILTERS = [
    ReportFilter(),
    ReportFilter(ocmw="gent"),
    ReportFilter(opened_from=date(2022, 4, 1), opened_to=date(2022, 12, 31)),
    ReportFilter(ocmw="aalst", opened_from=date(2022, 6, 1)),
    ReportFilter(ocmw="nowhere"),
]


def test_generated_data_set_is_varied() -> None:
    finals = [s.status for s in SIMS]
    assert len({f.stage for f in finals}) >= 7
    assert len({f.closure for f in finals}) >= 5
    assert {f.outcome for f in finals} >= set(TrainingResult)
    years = {(f.ended_on - f.started_on).days // 365 for f in finals  # type: ignore[operator]
             if f.outcome is TrainingResult.STOPPED_EARLY}
    assert len(years) >= 2


@pytest.mark.parametrize("flt", FILTERS, ids=lambda f: str(f.describe()))
def test_report_matches_independent_figures(data: Data, flt: ReportFilter) -> None:
    assert build_report(data.engine, flt) == expected(SIMS, flt)


def test_report_is_two_sql_statements(data: Data) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(data.engine, "before_cursor_execute", count)
    try:
        build_report(data.engine)
    finally:
        event.remove(data.engine, "before_cursor_execute", count)
    assert len([s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]) == 2


def small_counts_hidden(values: list[Any], m: int) -> None:
    for value in values:
        assert value == f"<{m}" or (isinstance(value, int) and value >= m), value


def test_suppression_in_every_export(data: Data) -> None:
    report = build_report(data.engine)
    flat = rows(report, 5)
    counts = [r.value for r in flat if r.measure in ("count", "visits")]
    small_counts_hidden(counts, 5)
    assert "<5" in counts  # some categories are small (cancelled, registering, ...)

    parsed = list(csv.DictReader(io.StringIO(to_csv(report, 5))))
    assert len(parsed) == len(flat)
    small_counts_hidden(
        [int(r["value"]) if r["value"].isdigit() else r["value"]
         for r in parsed if r["measure"] in ("count", "visits")], 5
    )
    document = json.loads(to_json(report, 5))
    assert document["min_count"] == 5
    assert document["sections"]["closure"]["cancelled"] == "<5"
    json_counts = [v for name, section in document["sections"].items()
                   if name != "time_in_stage" for v in section.values()]
    small_counts_hidden(json_counts, 5)

    # Percentiles of small groups are not shown either.
    everything_small = rows(report, 10_000)
    assert {r.value for r in everything_small if r.measure == "count"} == {"<10000"}
    assert all(r.value is None for r in everything_small if "working_days" in r.measure)


def test_cli_report_formats_and_configurable_minimum(
    data: Data, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = Cli(data.engine, data.backend.url, monkeypatch)
    report = build_report(data.engine, ReportFilter(ocmw="gent"))

    as_csv = cli("report", "--ocmw", "gent", "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    assert as_csv.output == to_csv(report, 5)

    as_json = cli("report", "--ocmw", "gent", "--format", "json")
    assert json.loads(as_json.output) == json.loads(to_json(report, 5))

    table = cli("report", "--format", "table", "--from", "2022-01-01", "--to", "2023-12-31")
    assert table.exit_code == 0, table.output
    assert "time in stage (working days)" in table.output and "<5" in table.output

    ten = cli("report", "--format", "json", env={"OKOT_REPORT_MIN_COUNT": "10"})
    document = json.loads(ten.output)
    assert document["min_count"] == 10
    small_counts_hidden(list(document["sections"]["stage"].values()), 10)

    assert cli("report", "--from", "2023-01-01", "--to", "2022-01-01").exit_code == 2
    assert cli("report", "--from", "yesterday").exit_code == 2
