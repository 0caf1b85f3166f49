"""What the ``okot`` CLI prints: the stable ``--json`` shapes of a status, a
timeline entry and an ``okot list`` row (documented in README.md), and their
rich tables for people."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from okot.domain.deadlines import awaiting, overdue_of
from okot.domain.overdue import describe
from okot.domain.shapes import _iso, status_json, timeline_entry_json
from okot.domain.status import (
    TimelineEntry,
    TrajectoryStatus,
)
from okot.domain.values import workflow_id_for

if TYPE_CHECKING:
    from temporalio.client import WorkflowExecution


def console(width: int | None = None) -> Console:
    """Standard output: the terminal's width; when it is not a terminal (pipes, tests)
    ``COLUMNS`` if set, else 120 columns. ``width`` forces one."""
    if width is not None:
        return Console(width=width, highlight=False)
    if sys.stdout.isatty():
        return Console(highlight=False)
    columns = os.environ.get("COLUMNS", "")
    return Console(width=int(columns) if columns.isdigit() else 120, highlight=False)


@dataclass(frozen=True)
class Column:
    """A column of a table that must fit the terminal."""

    header: str
    drop: int | None = None
    """Dropped when the table is too wide: the highest first; ``None``: never dropped."""
    wrap: bool = False
    """Long text that may wrap (down to ``WRAP_MIN`` characters) instead of being dropped."""
    justify: str = "left"


WRAP_MIN = 16
_EDGE = 3  # a column's share of borders and padding ("| x ")


def _needed(cells: list[str], column: Column) -> int:
    natural = max([len(column.header), *(Text.from_markup(c).cell_len for c in cells)])
    return (min(natural, WRAP_MIN) if column.wrap else natural) + _EDGE


def print_fitted(title: str, columns: list[Column], rows: list[list[str]],
                 wide: bool = False) -> None:
    """Print a table that fits the terminal: drop columns in their ``drop`` order until it
    does (ids and dates are never cut or wrapped); ``wide`` keeps every column."""
    keep = list(range(len(columns)))
    needed = {i: _needed([r[i] for r in rows], columns[i]) for i in keep}
    out = console()
    if wide:
        full = sum(needed[i] - _EDGE + (
            max([len(columns[i].header), *(Text.from_markup(r[i]).cell_len for r in rows)])
            if columns[i].wrap else 0) for i in keep) + _EDGE * len(keep) + 1
        out = console(max(out.width, full)) if not sys.stdout.isatty() else out
    else:
        droppable = sorted((i for i in keep if columns[i].drop is not None),
                           key=lambda i: -(columns[i].drop or 0))
        while sum(needed[i] for i in keep) + 1 > out.width and droppable:
            keep.remove(droppable.pop(0))
    table = Table(title=title)
    for i in keep:
        column = columns[i]
        table.add_column(column.header, justify=column.justify,  # type: ignore[arg-type]
                         no_wrap=not column.wrap, overflow="fold" if column.wrap else "ellipsis",
                         min_width=None if column.wrap else needed[i] - _EDGE)
    for row in rows:
        table.add_row(*(row[i] for i in keep))
    out.print(table)


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


# ------------------------------------------------------------------- JSON shapes
# status_json and timeline_entry_json live in okot.domain.shapes (shared with the web API).

__all__ = ["status_json", "timeline_entry_json"]


def execution_json(execution: WorkflowExecution) -> dict[str, Any]:
    """The stable ``--json`` shape of one ``okot list`` row (see README.md)."""
    from okot.temporal import search_attributes as sa

    attrs = execution.typed_search_attributes
    deadline = attrs.get(sa.NEXT_DEADLINE)
    since = attrs.get(sa.STAGE_SINCE)
    workflow_id = execution.id
    return {
        "case_id": workflow_id.removeprefix("okot-"),
        "workflow_id": workflow_id,
        "run_id": execution.run_id,
        "execution_status": execution.status.name.lower() if execution.status else None,
        "start_time": _iso(execution.start_time),
        "close_time": _iso(execution.close_time),
        "stage": attrs.get(sa.STAGE),
        "ocmw": attrs.get(sa.OCMW),
        "caseworker": attrs.get(sa.CASEWORKER),
        "mediator": attrs.get(sa.MEDIATOR),
        "study_level": attrs.get(sa.STUDY_LEVEL),
        "outcome": attrs.get(sa.OUTCOME),
        "closure": attrs.get(sa.CLOSURE),
        "next_deadline": _iso(deadline),
        "stage_since": _iso(since),
        "overdue": attrs.get(sa.OVERDUE),
        "overdue_detail": None,  # from the database: okot.cli.queries.add_overdue_details
    }


# ------------------------------------------------------------------ human output


def print_status(status: TrajectoryStatus, *, brief: bool = False) -> None:
    deadline = status.next_deadline
    stage = status.stage.value
    if status.closure is not None:
        stage += f" ({status.closure.value})"
    rows: list[tuple[str, str]] = [
        ("case", f"{status.case_id} ({workflow_id_for(status.case_id)})"),
        ("stage", f"{stage} since {status.stage_since:%Y-%m-%d %H:%M}"),
    ]
    if not brief:
        rows += [
            ("OCMW", status.ocmw),
            ("caseworker", status.caseworker),
            ("mediator", status.mediator or "-"),
            ("registered jobseeker", "yes" if status.registered_jobseeker else "no"),
            ("study level", status.study_level.value if status.study_level else "-"),
        ]
        if status.candidacy is not None:
            rows.append(("programme", f"{status.candidacy.programme} at {status.candidacy.school}"))
        for label, day in (
            ("agreement", status.agreement_on), ("handover", status.handover_on),
            ("intake", status.intake_date), ("probable start", status.probable_start),
            ("started", status.started_on), ("expected end", status.expected_end),
            ("ended", status.ended_on),
        ):
            if day is not None:
                rows.append((label, day.isoformat()))
        if status.outcome is not None:
            rows.append(("outcome", status.outcome.value))
        if status.follow_up_lead is not None:
            rows.append(("follow-up by", follow_up_text(status)))
        for e in status.employment:
            rows.append((f"employment ({e.check.value})",
                         f"{'employed' if e.employed else 'not employed'} on {e.date}"))
    if status.stop_report is not None:
        stop = status.stop_report
        rows.append(("stop reported", f"by {stop.by.role.value} {stop.by.id} on {stop.on}: the "
                     f"client stopped on {stop.stopped_on}; the mediator confirms with record_end"))
    rows.append(("awaiting", awaiting(status)))
    if deadline is not None:
        rows.append(("next deadline", f"{deadline.due} ({deadline.kind.value})"))
    if status.overdue:
        rows.append(("overdue", overdue_markup(status)))
    if not brief:
        rows.append(("reminders sent", f"{status.reminders_sent} "
                     f"(escalations {status.escalations_sent})"))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for label, value in rows:
        grid.add_row(label, value if label == "overdue" else escape(value))
    console().print(grid)


def overdue_markup(status: TrajectoryStatus) -> str:
    """``OVERDUE: screening result due since 2026-11-02, awaited from mediator med-carl``
    (rich markup, the explanation escaped)."""
    found = overdue_of(status)
    return "[red]OVERDUE[/red]" + (f": {escape(describe(found, status))}" if found else "")


def follow_up_text(status: TrajectoryStatus) -> str:
    """``vdab (agreed on 2027-07-05 by mediator med-carl; confirmed by caseworker cw-anna)``."""
    assert status.follow_up_lead is not None
    parts = [f"agreed on {status.follow_up_agreed_on}"]
    by, confirmed = status.follow_up_agreed_by, status.follow_up_confirmed_by
    if by is not None:  # rules version 3 keeps who agreed and who confirmed
        parts = [f"{parts[0]} by {by.role.value} {by.id}",
                 f"confirmed by {confirmed.role.value} {confirmed.id}" if confirmed
                 else "not yet confirmed by the other side"]
    return f"{status.follow_up_lead.value} ({'; '.join(parts)})"


def print_timeline(entries: list[TimelineEntry]) -> None:
    table = Table(title=f"{len(entries)} events")
    for column in ("#", "at", "event", "actor", "", "stage", "summary"):
        table.add_column(column, overflow="fold")
    for e in entries:
        stage = e.stage_after.value if e.stage_before is e.stage_after else (
            f"{e.stage_before.value} -> {e.stage_after.value}"
        )
        table.add_row(
            str(e.seq), f"{e.at:%Y-%m-%d %H:%M}", escape(e.name),
            escape(f"{e.actor.role.value}:{e.actor.id}"),
            "ok" if e.accepted else "[red]REJECTED[/red]", stage,
            escape(e.summary if e.accepted else (e.reason or e.summary)),
        )
    console().print(table)


LIST_COLUMNS = [
    Column("case"), Column("stage"), Column("next deadline"), Column("overdue"),
    Column("overdue: what, since, from", drop=1, wrap=True), Column("caseworker", drop=2),
    Column("OCMW", drop=3), Column("since", drop=4), Column("mediator", drop=5),
    Column("workflow", drop=6),
]


def print_list(rows: list[dict[str, Any]], wide: bool = False) -> None:
    if not rows:
        console().print("no trajectories match")
        return
    print_fitted(f"{len(rows)} trajectories", LIST_COLUMNS, [
        [
            escape(r["case_id"]),
            escape((r["stage"] or "-") + (f" ({r['closure']})" if r["closure"] else "")),
            (r["next_deadline"] or "-")[:10],
            "[red]OVERDUE[/red]" if r["overdue"] else "",
            escape(r["overdue_detail"]["text"]) if r.get("overdue_detail") else "",
            escape(r["caseworker"] or "-"), escape(r["ocmw"] or "-"),
            (r["stage_since"] or "-")[:10], escape(r["mediator"] or "-"),
            r["execution_status"] or "-",
        ]
        for r in rows
    ], wide)
