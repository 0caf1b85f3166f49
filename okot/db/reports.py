"""The management report's raw figures, computed with SQL aggregates on SQLite and PostgreSQL.

Figures (for the trajectories opened in the period, optionally of one OCMW):

* the funnel: how many reached each step (info, candidacy, agreement, screening,
  start, result, work), overall and by month of opening;
* counts per current stage, per closure and per training result;
* the reason codes of negative screenings;
* training results per programme and per study level;
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

These are raw counts: never show them directly. :mod:`okot.db.report_export`
turns them into labelled Dutch tables with small counts suppressed
(:func:`~okot.db.report_export.management_report`, what every surface shows).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
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
    ScreeningReason,
    Stage,
    StudyLevel,
    TrainingResult,
)

TIMED_STAGES: tuple[str, ...] = tuple(s.value for s in Stage if s is not Stage.CLOSED)
TRAINING_YEARS: tuple[int, ...] = (1, 2, 3)
EMPLOYMENT_ANSWERS: tuple[str, ...] = ("employed", "not_employed", "not_recorded")
FUNNEL_STEPS: tuple[str, ...] = (
    "opened", "info", "candidacy", "agreement", "screening", "start", "result", "work",
)
"""The steps of the funnel; a trajectory counts for every step up to the furthest it reached."""


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
    funnel: dict[str, int] = field(default_factory=dict)
    funnel_by_month: dict[str, dict[str, int]] = field(default_factory=dict)
    """``YYYY-MM`` (month of opening) -> step -> count; only months with trajectories."""
    screening_reasons: dict[str, int] = field(default_factory=dict)
    """Reason code -> negative screenings giving it (one screening may give several)."""
    results_by_programme: dict[str, dict[str, int]] = field(default_factory=dict)
    results_by_level: dict[str, dict[str, int]] = field(default_factory=dict)


# ------------------------------------------------------------------------ queries


def _employment(column: Any) -> ColumnElement[str]:
    return case(
        (column.is_(None), literal("not_recorded")),
        (column.is_(True), literal("employed")),
        else_=literal("not_employed"),
    )


def funnel_step(row: dict[str, Any]) -> int:
    """The furthest funnel step a snapshot row reached, as its index in :data:`FUNNEL_STEPS`.

    Stored in ``trajectory.funnel_step`` at record time (like the working days of a
    stage visit), so the report only counts. Each step is known from the date (or
    answer) it stored; a later step implies the earlier ones (a migrated file may lack
    the date of an early step)."""
    marks = [
        True,
        row.get("info_on") is not None or row.get("precheck_on") is not None,
        row.get("candidacy_on") is not None,
        row.get("agreement_on") is not None,
        row.get("screening_on") is not None,
        row.get("started_on") is not None,
        row.get("ended_on") is not None,
        bool(row.get("employed_6m")) or bool(row.get("employed_12m")),
    ]
    return max(i for i, reached in enumerate(marks) if reached)


def _counts_query(flt: ReportFilter) -> CompoundSelect[Any]:
    """Four small GROUP BY scans of ``trajectory`` (the dimensions that go together:
    a few hundred groups each), then one GROUP BY per section over those groups."""
    t = TRAJECTORY.c
    where = flt.clause(t)

    def grouped(name: str, *dims: Any, condition: ColumnElement[bool] | None = None) -> Any:
        conditions = [where] if condition is None else [where, condition]
        return (
            select(*dims, func.count().label("n")).where(*conditions)
            .group_by(*(d.element if hasattr(d, "element") else d for d in dims))
            .cte(name).c
        )

    g = grouped(
        "grouped",
        t.stage.label("stage"),
        t.closure.label("closure"),
        t.outcome.label("outcome"),
        t.training_year.label("training_year"),
        t.follow_up_lead.label("lead"),
        case((t.ended_on.is_(None), 0), else_=1).label("ended"),
        _employment(t.employed_6m).label("e6"),
        _employment(t.employed_12m).label("e12"),
    )
    month = func.substr(cast(t.opened_on, String), 1, 7)  # YYYY-MM, cheap on both databases
    f = grouped("funnel", t.funnel_step.label("reach"), month.label("month"))
    r = grouped("results", t.programme.label("programme"), t.study_level.label("level"),
                t.outcome.label("outcome"), condition=t.outcome.is_not(None))
    s = grouped("reasons", t.screening_reasons.label("reasons"),
                condition=t.screening_approved.is_(False))

    def section(name: str, source: Any, item: Any, *conditions: ColumnElement[bool],
                sub: Any = None) -> Any:
        grouping = [item] if sub is None else [item, sub]
        return (
            select(
                literal(name).label("section"),
                cast(item, String).label("item"),
                cast(sub if sub is not None else literal(None), String).label("sub"),
                cast(func.sum(source.n), BigInteger).label("n"),
            )
            .where(*conditions)
            .group_by(*grouping)
        )

    def reason(code: str) -> Any:
        return select(
            literal("screening_reason").label("section"),
            literal(code).label("item"),
            cast(literal(None), String).label("sub"),
            cast(func.coalesce(func.sum(s.n), 0), BigInteger).label("n"),
        ).where(s.reasons.like(f"%,{code},%"))

    return union_all(
        section("stage", g, g.stage),
        section("closure", g, g.closure, g.closure.is_not(None)),
        section("result", g, g.outcome, g.outcome.is_not(None)),
        section("stopped_early_year", g, g.training_year,
                g.outcome == TrainingResult.STOPPED_EARLY.value, g.training_year.is_not(None)),
        section("follow_up_lead", g, g.lead, g.lead.is_not(None)),
        section("employment_6m", g, g.e6, g.ended == 1),
        section("employment_12m", g, g.e12, g.ended == 1),
        section("reach", f, f.reach),
        section("reach_month", f, f.month, sub=f.reach),
        section("result_programme", r, r.programme, r.programme.is_not(None), sub=r.outcome),
        section("result_level", r, r.level, r.level.is_not(None), sub=r.outcome),
        *(reason(code.value) for code in ScreeningReason),
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
    pairs: dict[str, dict[tuple[str, str], int]] = {}
    with engine.connect() as conn:
        for row in conn.execute(_counts_query(flt)):
            if row.sub is None:
                sections.setdefault(row.section, {})[str(row.item)] = int(row.n)
            else:
                pairs.setdefault(row.section, {})[(str(row.item), str(row.sub))] = int(row.n)
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
        funnel=_funnel(sections.get("reach", {})),
        funnel_by_month=_funnel_by_month(pairs.get("reach_month", {})),
        screening_reasons=fixed("screening_reason", (r.value for r in ScreeningReason)),
        results_by_programme=_results_by(pairs.get("result_programme", {}), None),
        results_by_level=_results_by(pairs.get("result_level", {}),
                                     [lvl.value for lvl in StudyLevel]),
    )


def ocmw_codes(engine: Engine) -> list[str]:
    """The OCMW codes that have trajectories, sorted (the report's choice of OCMW)."""
    with engine.connect() as conn:
        rows = conn.execute(select(TRAJECTORY.c.ocmw).distinct().order_by(TRAJECTORY.c.ocmw))
        return [str(row.ocmw) for row in rows]


def _funnel(reach: dict[str, int]) -> dict[str, int]:
    """Counts per furthest step -> counts of trajectories reaching each step."""
    counts = [reach.get(str(i), 0) for i in range(len(FUNNEL_STEPS))]
    return {step: sum(counts[i:]) for i, step in enumerate(FUNNEL_STEPS)}


def _funnel_by_month(pairs: dict[tuple[str, str], int]) -> dict[str, dict[str, int]]:
    months: dict[str, dict[str, int]] = {}
    for (month, reach), n in pairs.items():
        months.setdefault(month, {})[str(int(float(reach)))] = n
    return {key: _funnel(months[key]) for key in sorted(months)}


def _results_by(pairs: dict[tuple[str, str], int],
                keys: list[str] | None) -> dict[str, dict[str, int]]:
    """(group, result) -> count as group -> result -> count; every result present."""
    groups = keys if keys is not None else sorted({g for g, _ in pairs})
    return {g: {r.value: pairs.get((g, r.value), 0) for r in TrainingResult} for g in groups}
