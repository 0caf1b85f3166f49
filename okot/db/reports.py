"""The management report, computed with SQL aggregates on SQLite and PostgreSQL.

Figures (for the trajectories opened in the period, optionally of one OCMW):

* counts per current stage, per closure and per training result;
* time in each stage, in working days: median and 90th percentile over the
  stage visits that have ended (durations are stored per visit at record time,
  in ``stage_visit.working_days``; here they are only aggregated);
* trainings stopped early, by training year (1st, 2nd, 3rd);
* who leads the follow-up (VDAB or OCMW);
* employment at the 6- and 12-month checks (of the trainings that ended).

Percentiles use the same definition on both databases: the median is the mean
of the two middle values (the middle one for an odd count), the 90th percentile
is the nearest-rank value (the ``ceil(0.9 n)``-th smallest). Both come from a
per-stage histogram of working days with running totals (window functions), so
neither database sorts the visits themselves.

Small counts are suppressed in every export: a count under
``settings.report_min_count`` (default 5) is shown as ``<5``, and the
percentiles of a stage with fewer visits than that are not shown.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.engine import Engine
from sqlalchemy.sql import CompoundSelect, Select

from okot.db.tables import (
    STAGE_VISIT,
    TRAJECTORY,
)
from okot.domain.values import (
    Closure,
    FollowUpLead,
    Stage,
    TrainingResult,
)
from okot.settings import get_settings

TIMED_STAGES: tuple[str, ...] = tuple(s.value for s in Stage if s is not Stage.CLOSED)
TRAINING_YEARS: tuple[int, ...] = (1, 2, 3)
EMPLOYMENT_ANSWERS: tuple[str, ...] = ("employed", "not_employed", "not_recorded")


class ReportFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


@dataclass(frozen=True)
class ReportFilter:
    """Which trajectories: of one OCMW, opened between two dates (inclusive)."""

    ocmw: str | None = None
    opened_from: date | None = None
    opened_to: date | None = None

    def clause(self, columns: Any) -> ColumnElement[bool]:
        parts: list[ColumnElement[bool]] = []
        if self.ocmw is not None:
            parts.append(columns.ocmw == self.ocmw)
        if self.opened_from is not None:
            parts.append(columns.opened_on >= self.opened_from)
        if self.opened_to is not None:
            parts.append(columns.opened_on <= self.opened_to)
        return and_(true(), *parts)

    def describe(self) -> dict[str, str | None]:
        return {
            "ocmw": self.ocmw,
            "opened_from": self.opened_from.isoformat() if self.opened_from else None,
            "opened_to": self.opened_to.isoformat() if self.opened_to else None,
        }


@dataclass(frozen=True)
class StageTime:
    stage: str
    visits: int
    median: float | None
    p90: int | None


@dataclass(frozen=True)
class Report:
    """The raw figures. Never print these directly: export with :func:`rows` et al."""

    filter: ReportFilter
    stages: dict[str, int]
    closures: dict[str, int]
    results: dict[str, int]
    stage_times: dict[str, StageTime]
    stopped_early_by_year: dict[int, int]
    follow_up_lead: dict[str, int]
    employment_6m: dict[str, int]
    employment_12m: dict[str, int]
    trajectories: int = 0


# ------------------------------------------------------------------------ queries


def _employment(column: Any) -> ColumnElement[str]:
    return case(
        (column.is_(None), literal("not_recorded")),
        (column.is_(True), literal("employed")),
        else_=literal("not_employed"),
    )


def _counts_query(flt: ReportFilter) -> CompoundSelect[Any]:
    """One scan of ``trajectory`` grouped on every dimension, then one small
    GROUP BY per section over that (a few hundred rows at most)."""
    t = TRAJECTORY.c
    base = (
        select(
            t.stage.label("stage"),
            t.closure.label("closure"),
            t.outcome.label("outcome"),
            t.training_year.label("training_year"),
            t.follow_up_lead.label("lead"),
            case((t.ended_on.is_(None), 0), else_=1).label("ended"),
            _employment(t.employed_6m).label("e6"),
            _employment(t.employed_12m).label("e12"),
        )
        .where(flt.clause(t))
        .subquery("base")
    )
    dims = list(base.c)
    grouped = select(*dims, func.count().label("n")).group_by(*dims).cte("grouped")
    g = grouped.c

    def section(name: str, item: Any, *where: ColumnElement[bool]) -> Any:
        return (
            select(
                literal(name).label("section"),
                cast(item, String).label("item"),
                cast(func.sum(g.n), BigInteger).label("n"),
            )
            .where(*where)
            .group_by(item)
        )

    return union_all(
        section("stage", g.stage),
        section("closure", g.closure, g.closure.is_not(None)),
        section("result", g.outcome, g.outcome.is_not(None)),
        section("stopped_early_year", g.training_year,
                g.outcome == TrainingResult.STOPPED_EARLY.value, g.training_year.is_not(None)),
        section("follow_up_lead", g.lead, g.lead.is_not(None)),
        section("employment_6m", g.e6, g.ended == 1),
        section("employment_12m", g.e12, g.ended == 1),
    )


def _stage_times_query(flt: ReportFilter) -> Select[Any]:
    """Median and p90 of ``working_days`` per stage, from a histogram with running totals."""
    v = STAGE_VISIT.c
    histogram = (
        select(v.stage.label("stage"), v.working_days.label("days"), func.count().label("n"))
        .where(flt.clause(v), v.working_days.is_not(None), v.stage != Stage.CLOSED.value)
        .group_by(v.stage, v.working_days)
        .cte("histogram")
    )
    h = histogram.c
    running = select(
        h.stage,
        h.days,
        cast(func.sum(h.n).over(partition_by=h.stage, order_by=h.days), BigInteger).label("cum"),
        cast(func.sum(h.n).over(partition_by=h.stage), BigInteger).label("total"),
    ).cte("running")
    r = running.c
    # k-th smallest value = the first histogram bucket whose running total reaches k.
    # lower middle: k = ceil(n/2)  <=> 2*cum >= n;  upper middle: k = floor(n/2)+1 <=> 2*cum > n;
    # p90 (nearest rank): k = ceil(0.9 n) <=> 10*cum >= 9*n.
    return select(
        r.stage,
        func.max(r.total).label("visits"),
        func.min(case((2 * r.cum >= r.total, r.days))).label("low_middle"),
        func.min(case((2 * r.cum > r.total, r.days))).label("high_middle"),
        func.min(case((10 * r.cum >= 9 * r.total, r.days))).label("p90"),
    ).group_by(r.stage)


def build_report(engine: Engine, flt: ReportFilter | None = None) -> Report:
    """Compute the report's raw figures (two SQL statements)."""
    flt = flt or ReportFilter()
    sections: dict[str, dict[str, int]] = {}
    with engine.connect() as conn:
        for row in conn.execute(_counts_query(flt)):
            sections.setdefault(row.section, {})[str(row.item)] = int(row.n)
        times = {
            row.stage: StageTime(
                stage=row.stage,
                visits=int(row.visits),
                median=(int(row.low_middle) + int(row.high_middle)) / 2,
                p90=int(row.p90),
            )
            for row in conn.execute(_stage_times_query(flt))
        }

    def fixed(name: str, keys: Iterable[str]) -> dict[str, int]:
        got = sections.get(name, {})
        return {k: got.get(k, 0) for k in keys}

    stages = fixed("stage", (s.value for s in Stage))
    return Report(
        filter=flt,
        stages=stages,
        closures=fixed("closure", (c.value for c in Closure)),
        results=fixed("result", (r.value for r in TrainingResult)),
        stage_times={
            s: times.get(s, StageTime(stage=s, visits=0, median=None, p90=None))
            for s in TIMED_STAGES
        },
        stopped_early_by_year={
            y: sections.get("stopped_early_year", {}).get(str(y), 0) for y in TRAINING_YEARS
        },
        follow_up_lead=fixed("follow_up_lead", (lead.value for lead in FollowUpLead)),
        employment_6m=fixed("employment_6m", EMPLOYMENT_ANSWERS),
        employment_12m=fixed("employment_12m", EMPLOYMENT_ANSWERS),
        trajectories=sum(stages.values()),
    )


# -------------------------------------------------------------------- suppression


def suppress(count: int, min_count: int) -> int | str:
    """``count``, or ``'<min_count'`` when it is under ``min_count`` (zero included)."""
    return count if count >= min_count else f"<{min_count}"


Value = int | float | str | None


@dataclass(frozen=True)
class ReportRow:
    section: str
    item: str
    measure: str
    value: Value


_YEAR_NAMES = {1: "1st", 2: "2nd", 3: "3rd"}


def rows(report: Report, min_count: int | None = None) -> list[ReportRow]:
    """The report as flat rows, small counts suppressed: what every export shows."""
    m = get_settings().report_min_count if min_count is None else min_count
    out: list[ReportRow] = []

    def counts(section: str, values: dict[str, int]) -> None:
        out.extend(ReportRow(section, k, "count", suppress(n, m)) for k, n in values.items())

    counts("stage", report.stages)
    counts("closure", report.closures)
    counts("training_result", report.results)
    for stage, t in report.stage_times.items():
        shown = t.visits >= m
        out.append(ReportRow("time_in_stage", stage, "visits", suppress(t.visits, m)))
        out.append(ReportRow("time_in_stage", stage, "median_working_days",
                             t.median if shown else None))
        out.append(ReportRow("time_in_stage", stage, "p90_working_days", t.p90 if shown else None))
    counts("stopped_early_by_training_year",
           {_YEAR_NAMES[y]: n for y, n in report.stopped_early_by_year.items()})
    counts("follow_up_lead", report.follow_up_lead)
    counts("employment_6m", report.employment_6m)
    counts("employment_12m", report.employment_12m)
    return out


def to_csv(report: Report, min_count: int | None = None) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["section", "item", "measure", "value"])
    for row in rows(report, min_count):
        writer.writerow([row.section, row.item, row.measure, "" if row.value is None else row.value])
    return buffer.getvalue()


def to_json(report: Report, min_count: int | None = None) -> str:
    m = get_settings().report_min_count if min_count is None else min_count
    sections: dict[str, dict[str, Any]] = {}
    for row in rows(report, m):
        item = sections.setdefault(row.section, {})
        if row.section == "time_in_stage":
            item.setdefault(row.item, {})[row.measure] = row.value
        else:
            item[row.item] = row.value
    document = {"filter": report.filter.describe(), "min_count": m, "sections": sections}
    return json.dumps(document, indent=2)


def by_section(report: Report, min_count: int | None = None) -> dict[str, list[ReportRow]]:
    grouped: dict[str, list[ReportRow]] = {}
    for row in rows(report, min_count):
        grouped.setdefault(row.section, []).append(row)
    return grouped
