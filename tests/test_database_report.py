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
from okot.db.report_export import (
    management_report,
    present,
    suppress,
    to_csv,
    to_json,
)
from okot.db.reports import (
    FUNNEL_STEPS,
    Report,
    ReportFilter,
    StageTime,
    build_report,
)
from okot.domain.calendar import (
    local_date,
    working_days_between,
)
from okot.domain.status import TrajectoryStatus
from okot.domain.values import (
    EmploymentCheck,
    ScreeningReason,
    Stage,
    StudyLevel,
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

    def reached(f: TrajectoryStatus) -> int:
        """The furthest funnel step, from what the status holds."""
        work = any(e.employed for e in f.employment)
        marks = [True, f.info_on is not None or f.precheck is not None, f.candidacy is not None,
                 f.agreement_on is not None, f.screening is not None, f.started_on is not None,
                 f.ended_on is not None, work]
        return max(i for i, mark in enumerate(marks) if mark)

    def funnel(statuses: list[TrajectoryStatus]) -> dict[str, int]:
        furthest = [reached(f) for f in statuses]
        return {step: sum(1 for r in furthest if r >= i) for i, step in enumerate(FUNNEL_STEPS)}

    months: dict[str, list[TrajectoryStatus]] = {}
    for f in finals:
        months.setdefault(local_date(f.opened_at).strftime("%Y-%m"), []).append(f)
    reasons: Counter[str] = Counter(
        r.value for f in finals if f.screening is not None and not f.screening.approved
        for r in f.screening.reasons
    )

    def results_by(group: Any, keys: list[str] | None) -> dict[str, dict[str, int]]:
        table: dict[str, Counter[str]] = {}
        for f in finals:
            if f.outcome is not None and group(f) is not None:
                table.setdefault(group(f), Counter())[f.outcome.value] += 1
        return {k: {r.value: table.get(k, Counter())[r.value] for r in TrainingResult}
                for k in (keys if keys is not None else sorted(table))}

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
        funnel=funnel(finals),
        funnel_by_month={m: funnel(months[m]) for m in sorted(months)},
        screening_reasons={r.value: reasons.get(r.value, 0) for r in ScreeningReason},
        results_by_programme=results_by(
            lambda f: f.candidacy.programme if f.candidacy else None, None),
        results_by_level=results_by(
            lambda f: f.study_level.value if f.study_level else None,
            [lvl.value for lvl in StudyLevel]),
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
    assert len({f.candidacy.programme for f in finals if f.candidacy}) >= 3
    assert len({r for f in finals if f.screening for r in f.screening.reasons}) >= 4


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


def test_funnel_is_monotone_and_months_add_up(data: Data) -> None:
    report = build_report(data.engine)
    steps = list(report.funnel.values())
    assert steps[0] == report.trajectories == len(SIMS)
    assert steps == sorted(steps, reverse=True) and steps[-1] > 0
    for step in FUNNEL_STEPS:
        assert sum(m[step] for m in report.funnel_by_month.values()) == report.funnel[step]
    assert len(report.funnel_by_month) >= 12  # the data set spans 18 months


@pytest.mark.parametrize(("count", "shown"), [(0, 0), (1, "<5"), (4, "<5"), (5, 5), (12, 12)])
def test_suppress(count: int, shown: int | str) -> None:
    assert suppress(count, 5) == shown


def counts_of(view: Any) -> list[Any]:
    return [v for t in view.tables if t.key != "time_in_stage"
            for line in t.lines for v in line.values]


def small_counts_hidden(values: list[Any], m: int) -> None:
    for value in values:
        assert value == 0 or value == f"<{m}" or (isinstance(value, int) and value >= m), value


def test_view_suppresses_small_counts_and_keeps_zero(data: Data) -> None:
    report = build_report(data.engine)
    view = present(report, 5)
    values = counts_of(view)
    small_counts_hidden(values, 5)
    assert "<5" in values and 0 in values
    # The raw figures behind them: the same numbers where shown.
    assert [line.values[0] for line in view.table("funnel").lines] == [
        suppress(n, 5) for n in report.funnel.values()]
    assert view.table("stages").lines[-1].label == "Afgesloten"
    by_level = view.table("results_by_level")
    assert by_level.columns == ["Studieniveau", "Geslaagd", "Niet geslaagd",
                                "Voortijdig gestopt"]
    assert [line.key for line in by_level.lines] == [lvl.value for lvl in StudyLevel]
    rejections = {line.key: line.values[0] for line in view.table("rejections").lines}
    assert rejections["screening_rejected"] == suppress(report.closures["screening_rejected"], 5)
    assert rejections["screening_reason:motivation"] == suppress(
        report.screening_reasons["motivation"], 5)
    assert rejections["screening_reason:other"] == 0

    # Percentiles of small groups are not shown either; a huge threshold hides every count.
    everything_small = present(report, 10_000)
    assert set(counts_of(everything_small)) <= {"<10000", 0}
    assert all(line.values[1] is None and line.values[2] is None
               for line in everything_small.table("time_in_stage").lines)


def test_no_personal_data_in_the_report(data: Data) -> None:
    document = to_json(present(build_report(data.engine), 1))
    for sim in SIMS:
        assert sim.status.case_id not in document
        assert sim.status.caseworker not in document
        for text in sim.free_text:
            assert text not in document


def test_cli_report_formats_and_configurable_minimum(
    data: Data, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    cli = Cli(data.engine, data.backend.url, monkeypatch)
    view = management_report(data.engine, ReportFilter(ocmw="gent"), 5)

    as_csv = cli("report", "--ocmw", "gent", "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    assert as_csv.output == to_csv(view)
    parsed = list(csv.DictReader(io.StringIO(as_csv.output)))
    funnel = {r["rij"]: r["waarde"] for r in parsed
              if r["tabel"] == "Trechter: trajecten die elke stap bereikten"}
    assert funnel["Dossier geopend"] == str(view.trajectories)

    as_json = cli("report", "--ocmw", "gent", "--format", "json")
    assert json.loads(as_json.output) == json.loads(to_json(view))

    table = cli("report", "--format", "table", "--from", "2022-01-01", "--to", "2023-12-31")
    assert table.exit_code == 0, table.output
    assert "Tijd per fase (werkdagen)" in table.output and "<5" in table.output
    assert "Resultaat per opleiding" in table.output and "Verpleegkunde" in table.output

    ten = cli("report", "--format", "json", env={"OKOT_REPORT_MIN_COUNT": "10"})
    document = json.loads(ten.output)
    assert document["min_count"] == 10
    small_counts_hidden([line["values"][0] for t in document["tables"] if t["key"] == "stages"
                         for line in t["lines"]], 10)
    two = json.loads(cli("report", "--format", "json", "--min-count", "2").output)
    assert two["min_count"] == 2

    xlsx = tmp_path / "rapport.xlsx"
    written = cli("report", "--format", "xlsx", "--output", str(xlsx), "--min-count", "5")
    assert written.exit_code == 0, written.output
    from openpyxl import load_workbook

    book = load_workbook(xlsx)
    full = management_report(data.engine, None, 5)
    sheet = book["Trechter per maand van opening"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == full.table("funnel_by_month").columns
    assert [list(r) for r in rows[1:]] == [
        [line.label, *line.values] for line in full.table("funnel_by_month").lines]

    assert cli("report", "--format", "xlsx").exit_code == 2
    assert cli("report", "--from", "2023-01-01", "--to", "2022-01-01").exit_code == 2
    assert cli("report", "--from", "yesterday").exit_code == 2
