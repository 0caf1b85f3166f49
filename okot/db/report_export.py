"""The management report as people read it: Dutch tables, small counts suppressed.

:func:`management_report` is the one entry point every surface uses (``okot
report`` and its formats, the web report page): it computes the raw figures
(:func:`okot.db.reports.build_report`) and returns a :class:`ReportView`, a
pydantic model of labelled tables in which

* a count of 0 is shown as ``0``;
* a count from 1 up to the threshold (``OKOT_REPORT_MIN_COUNT``, default 5,
  or ``min_count``) is shown as ``<N`` (``<5``): too few to show without the
  risk of pointing at a person;
* the median and p90 of a stage with fewer visits than the threshold are not shown.

The figures are counts, codes, months and working days only: no case id, staff
id or other personal data. Exports: :func:`to_csv`, :func:`to_json`,
:func:`to_xlsx`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from pydantic import BaseModel
from sqlalchemy.engine import Engine

from okot.db import report_labels as nl
from okot.db.report_formats import ReportFormat as ReportFormat  # re-exported
from okot.db.reports import (
    FUNNEL_STEPS,
    Report,
    ReportFilter,
    build_report,
)
from okot.settings import get_settings

Cell = int | float | str | None


class ReportLine(BaseModel):
    key: str
    """The code of the row (stage, result, month, ...): stable for programs."""
    label: str
    values: list[Cell]


class ReportTable(BaseModel):
    key: str
    title: str
    columns: list[str]
    """Headers: the first names the rows, the others the values."""
    column_keys: list[str]
    lines: list[ReportLine]


class ReportView(BaseModel):
    scope: dict[str, str | None]
    min_count: int
    trajectories: int | str
    tables: list[ReportTable]

    def table(self, key: str) -> ReportTable:
        return next(t for t in self.tables if t.key == key)


def suppress(count: int, min_count: int) -> int | str:
    """0 as 0; 1 up to ``min_count - 1`` as ``'<min_count'``; larger counts as they are."""
    return count if count == 0 or count >= min_count else f"<{min_count}"


def _counts(key: str, header: str, values: dict[str, int], labels: dict[str, str],
            m: int) -> ReportTable:
    return ReportTable(
        key=key, title=nl.TITLES[key], columns=[header, nl.COUNT], column_keys=["count"],
        lines=[ReportLine(key=k, label=labels.get(k, k), values=[suppress(n, m)])
               for k, n in values.items()],
    )


def _matrix(key: str, header: str, rows: dict[str, dict[str, int]], row_labels: dict[str, str],
            columns: dict[str, str], m: int) -> ReportTable:
    return ReportTable(
        key=key, title=nl.TITLES[key], columns=[header, *columns.values()],
        column_keys=list(columns),
        lines=[ReportLine(key=r, label=row_labels.get(r, r),
                          values=[suppress(values.get(c, 0), m) for c in columns])
               for r, values in rows.items()],
    )


def _rejections(report: Report, m: int) -> ReportTable:
    values = {"screening_rejected": report.closures.get("screening_rejected", 0)}
    labels = {"screening_rejected": nl.SCREENING_REJECTED_ALL}
    for code, n in report.screening_reasons.items():
        values[f"screening_reason:{code}"] = n
        labels[f"screening_reason:{code}"] = (
            nl.SCREENING_REASON_PREFIX + nl.SCREENING_REASONS[code].lower()
        )
    values["agreement_declined"] = report.closures.get("agreement_declined", 0)
    labels["agreement_declined"] = nl.DECLINED
    values["withdrawn"] = report.closures.get("withdrawn", 0)
    labels["withdrawn"] = nl.WITHDRAWN
    values["ineligible"] = report.closures.get("ineligible", 0)
    labels["ineligible"] = nl.CLOSURES["ineligible"]
    return _counts("rejections", nl.REASON, values, labels, m)


def _time_in_stage(report: Report, m: int) -> ReportTable:
    lines = []
    for stage, t in report.stage_times.items():
        shown = t.visits >= m
        lines.append(ReportLine(key=stage, label=nl.STAGES[stage], values=[
            suppress(t.visits, m), t.median if shown else None, t.p90 if shown else None,
        ]))
    return ReportTable(key="time_in_stage", title=nl.TITLES["time_in_stage"],
                       columns=[nl.STAGE, nl.VISITS, nl.MEDIAN, nl.P90],
                       column_keys=["visits", "median_working_days", "p90_working_days"],
                       lines=lines)


def present(report: Report, min_count: int | None = None) -> ReportView:
    """The raw figures as labelled tables, small counts suppressed."""
    m = get_settings().report_min_count if min_count is None else min_count
    steps = {s: nl.FUNNEL_STEPS[s] for s in FUNNEL_STEPS}
    employment = {
        k: {"6m": report.employment_6m.get(k, 0), "12m": report.employment_12m.get(k, 0)}
        for k in nl.EMPLOYMENT
    }
    tables = [
        _counts("funnel", nl.STEP, report.funnel, nl.FUNNEL_STEPS, m),
        _matrix("funnel_by_month", nl.MONTH, report.funnel_by_month, {}, steps, m),
        _counts("stages", nl.STAGE, report.stages, nl.STAGES, m),
        _counts("closures", nl.REASON, report.closures, nl.CLOSURES, m),
        _rejections(report, m),
        _counts("results", nl.RESULT, report.results, nl.RESULTS, m),
        _matrix("results_by_programme", nl.PROGRAMME, report.results_by_programme, {},
                nl.RESULTS, m),
        _matrix("results_by_level", nl.STUDY_LEVEL, report.results_by_level, nl.STUDY_LEVELS,
                nl.RESULTS, m),
        _time_in_stage(report, m),
        _counts("dropout", nl.TRAINING_YEAR, {str(y): n for y, n in report.stopped_early_by_year.items()},
                {str(y): label for y, label in nl.TRAINING_YEARS.items()}, m),
        _counts("follow_up_lead", nl.LEAD, report.follow_up_lead, nl.FOLLOW_UP_LEADS, m),
        _matrix("employment", nl.SITUATION, employment, nl.EMPLOYMENT,
                {"6m": nl.AFTER_6M, "12m": nl.AFTER_12M}, m),
    ]
    return ReportView(scope=report.filter.describe(), min_count=m,
                      trajectories=suppress(report.trajectories, m), tables=tables)


def management_report(engine: Engine, flt: ReportFilter | None = None,
                      min_count: int | None = None) -> ReportView:
    """The whole report for ``flt`` as every surface shows it (two SQL statements)."""
    return present(build_report(engine, flt), min_count)


# ------------------------------------------------------------------------ exports


def cells(view: ReportView) -> Iterable[tuple[str, str, str, Cell]]:
    """Every value as (table title, row label, column header, value)."""
    for table in view.tables:
        for line in table.lines:
            for header, value in zip(table.columns[1:], line.values, strict=True):
                yield table.title, line.label, header, value


def to_csv(view: ReportView) -> str:
    """One line per value: ``tabel,rij,kolom,waarde`` (an empty value: not shown)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["tabel", "rij", "kolom", "waarde"])
    for title, row, column, value in cells(view):
        writer.writerow([title, row, column, "" if value is None else value])
    return buffer.getvalue()


def to_json(view: ReportView) -> str:
    return view.model_dump_json(indent=2)


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def to_xlsx(view: ReportView, path: Path | IO[bytes]) -> None:
    """An Excel workbook: an overview sheet, then one sheet per table (to a file or a
    binary stream)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    overview = book.active
    assert overview is not None
    overview.title = "Overzicht"
    overview.append(["OKOT-managementrapport"])
    overview["A1"].font = Font(bold=True)
    for key, value in view.scope.items():
        overview.append([key, value or "alle"])
    overview.append(["trajecten", view.trajectories])
    overview.append(["aantallen van 1 tot en met", f"{view.min_count - 1}: getoond als "
                     f"<{view.min_count}"])
    for table in view.tables:
        sheet = book.create_sheet(_SHEET_FORBIDDEN.sub("", table.title)[:31])
        sheet.append(table.columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for line in table.lines:
            sheet.append([line.label, *line.values])
        sheet.column_dimensions["A"].width = max(
            [len(table.columns[0]), *(len(line.label) for line in table.lines)]) + 2
    book.save(path)
