"""CLI commands on the project's database (added to ``okot`` by :func:`register`).

* ``okot db upgrade``: bring the database to head;
* ``okot db purge --closed-before DATE``: retention (personal data of old trajectories);
* ``okot staff import staff.csv``: the staff directory;
* ``okot caseload --caseworker ID`` / ``--mediator ID``: open trajectories, most urgent first;
* ``okot report``: the management report (small counts suppressed).

The database is ``OKOT_DATABASE_URL`` (default: a SQLite file under ``var/``).
SQLite is brought to head on first use; PostgreSQL must be upgraded explicitly.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from okot.cli.output import Column, console, print_fitted
from okot.db.report_formats import ReportFormat
from okot.domain.values import Role

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from okot.db.report_export import ReportView

# SQLAlchemy, alembic and the database modules are imported in the command bodies:
# `okot --help` and the commands that do not touch the database do not pay for them.

errors = Console(stderr=True)
_console = console

CASELOAD_COLUMNS = [
    Column("case"), Column("stage"), Column("next deadline"), Column("overdue"),
    Column("awaiting", drop=1, wrap=True), Column("days in stage", drop=2, justify="right"),
    Column("for", drop=3), Column("OCMW", drop=4),
]
"""Caseload columns; in a narrow terminal the OCMW goes first, then the deadline's kind.
An overdue case says in ``awaiting`` which deadline, since when and from whom."""
CASELOAD_LIMIT = 100
"""Rows ``okot caseload`` shows by default, the most urgent (rendering 1,000 rows as a
table takes seconds; ``--limit 0`` shows all)."""


def _database_label() -> str:
    """The database URL without a password, for messages."""
    from sqlalchemy.engine import make_url

    from okot.settings import get_settings

    return make_url(get_settings().database_url).render_as_string(hide_password=True)


def _engine() -> Engine:
    """The configured engine, ready to use (or a clear error and exit code 1)."""
    from okot.db.engine import DatabaseNotReady, get_engine, prepare_database

    engine = get_engine()
    try:
        prepare_database(engine)
    except DatabaseNotReady as error:
        errors.print(f"[red]{_database_label()}: {error}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    return engine


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter("is not a date (YYYY-MM-DD)", param_hint=option) from None


def register(app: typer.Typer) -> None:
    """Add the database commands (``db``, ``staff``, ``caseload``, ``report``) to ``app``."""
    db_app = typer.Typer(help="The project's database: migrations and retention.",
                         no_args_is_help=True)
    staff_app = typer.Typer(help="The staff directory.", no_args_is_help=True)
    app.add_typer(db_app, name="db")
    app.add_typer(staff_app, name="staff")

    @db_app.command("upgrade")
    def db_upgrade() -> None:
        """Bring the database (OKOT_DATABASE_URL) to the newest schema revision."""
        from okot.db.engine import get_engine, upgrade

        before, after = upgrade(get_engine())
        if before == after:
            _console().print(f"{_database_label()} is at head ({after}); nothing to do",
                          highlight=False)
        else:
            _console().print(f"{_database_label()} upgraded: {before or 'empty'} -> {after}",
                          highlight=False)

    @db_app.command("purge")
    def db_purge(
        closed_before: Annotated[
            str, typer.Option("--closed-before", help="Purge trajectories closed before this date "
                              "(YYYY-MM-DD).")
        ],
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Only count what would be removed.")
        ] = False,
    ) -> None:
        """Remove the personal data of trajectories closed before a date; keep the figures."""
        from okot.db.data_keys import separate_key_engine
        from okot.db.retention import purge

        day = _parse_date(closed_before, "--closed-before")
        assert day is not None
        result = purge(_engine(), day, dry_run=dry_run, key_engine=separate_key_engine())
        for line in result.lines():
            _console().print(line, highlight=False)

    @staff_app.command("import")
    def staff_import(
        path: Annotated[Path, typer.Argument(help="CSV with columns "
                                             "id,role,name,email,phone,ocmw,teamlead")],
    ) -> None:
        """Import the staff directory from CSV (re-importing updates, never duplicates)."""
        from okot.db.staff import StaffImportError, import_csv

        try:
            result = import_csv(_engine(), path)
        except StaffImportError as error:
            errors.print(f"[red]{error}[/red]", highlight=False, markup=True)
            raise typer.Exit(1) from None
        _console().print(
            f"staff directory: {result.inserted} added, {result.updated} updated, "
            f"{result.unchanged} unchanged",
            highlight=False,
        )

    @app.command("caseload")
    def show_caseload(
        caseworker: Annotated[
            str | None, typer.Option("--caseworker", help="Staff id of the caseworker.")
        ] = None,
        mediator: Annotated[
            str | None, typer.Option("--mediator", help="Staff id of the VDAB mediator.")
        ] = None,
        wide: Annotated[
            bool, typer.Option("--wide", help="Every column, however wide (else columns are "
                               "dropped to fit the terminal).")
        ] = False,
        limit: Annotated[
            int, typer.Option("--limit", min=0, help="Show the N most urgent (0: all of them).")
        ] = CASELOAD_LIMIT,
    ) -> None:
        """Open trajectories of one caseworker or mediator: overdue first, then by deadline."""
        from rich.markup import escape

        from okot.db.caseload import caseload
        from okot.domain.overdue import describe

        if (caseworker is None) == (mediator is None):
            raise typer.BadParameter("give exactly one of --caseworker ID or --mediator ID")
        role = Role.CASEWORKER if caseworker is not None else Role.MEDIATOR
        staff_id = caseworker or mediator or ""
        items = caseload(_engine(), staff_id, role)
        if not items:
            _console().print(f"{role.value} {staff_id} has no open trajectories", highlight=False)
            return
        shown = items[:limit] if limit else items
        title = f"Caseload of {role.value} {staff_id} ({len(items)} open"
        title += f"; the {len(shown)} most urgent)" if len(shown) < len(items) else ")"
        print_fitted(title, CASELOAD_COLUMNS, [
            [
                escape(item.case_id),
                item.stage,
                item.next_deadline.isoformat() if item.next_deadline else "-",
                "[red]OVERDUE[/red]" if item.overdue else "",
                f"[red]late:[/red] {escape(describe(item.overdue_detail))}"
                if item.overdue_detail is not None else escape(item.awaiting or ""),
                str(item.days_in_stage),
                item.next_deadline_kind or "-",
                escape(item.ocmw),
            ]
            for item in shown
        ], wide)
        if len(shown) < len(items):
            _console().print(f"{len(items) - len(shown)} more not shown: --limit 0 shows all",
                             highlight=False)

    @app.command("report")
    def show_report(
        ocmw: Annotated[str | None, typer.Option("--ocmw", help="Only this OCMW (code).")] = None,
        date_from: Annotated[
            str | None, typer.Option("--from", help="Trajectories opened on or after (YYYY-MM-DD).")
        ] = None,
        date_to: Annotated[
            str | None, typer.Option("--to", help="Trajectories opened on or before (YYYY-MM-DD).")
        ] = None,
        fmt: Annotated[
            ReportFormat, typer.Option("--format", help="table, csv, json or xlsx.")
        ] = ReportFormat.TABLE,
        output: Annotated[
            Path | None, typer.Option("--output", help="Write to this file (required for xlsx).")
        ] = None,
        min_count: Annotated[
            int | None, typer.Option("--min-count", min=1, help="Counts from 1 to this minus one "
                                     "show as <N (default OKOT_REPORT_MIN_COUNT, 5).")
        ] = None,
    ) -> None:
        """Management report in Dutch: counts from 1 under the minimum show as <N, zero as 0."""
        from okot.db.report_export import management_report, to_csv, to_json, to_xlsx
        from okot.db.reports import ReportFilter

        flt = ReportFilter(
            ocmw=ocmw,
            opened_from=_parse_date(date_from, "--from"),
            opened_to=_parse_date(date_to, "--to"),
        )
        if flt.opened_from and flt.opened_to and flt.opened_from > flt.opened_to:
            raise typer.BadParameter("--from is after --to")
        if fmt is ReportFormat.XLSX and output is None:
            raise typer.BadParameter("xlsx needs --output FILE.xlsx", param_hint="--format")
        view = management_report(_engine(), flt, min_count)
        if fmt is ReportFormat.XLSX:
            assert output is not None
            to_xlsx(view, output)
            _console().print(f"report written to {output}", highlight=False)
            return
        text = {ReportFormat.CSV: to_csv, ReportFormat.JSON: to_json}.get(fmt)
        if text is not None:
            document = text(view)
            if output is not None:
                output.write_text(document if document.endswith("\n") else document + "\n",
                                  encoding="utf-8")
                _console().print(f"report written to {output}", highlight=False)
            else:
                typer.echo(document, nl=not document.endswith("\n"))
            return
        _print_report(view)


def _print_report(view: ReportView) -> None:
    from rich.table import Table

    scope = ", ".join(f"{k}={v}" for k, v in view.scope.items() if v) or "alle OCMW's"
    m = view.min_count
    _console().print(f"OKOT-managementrapport ({scope}): {view.trajectories} trajecten; "
                     f"aantallen van 1 tot en met {m - 1} staan als <{m}", highlight=False)
    for report_table in view.tables:
        table = Table(title=report_table.title)
        for i, column in enumerate(report_table.columns):
            table.add_column(column, justify="left" if i == 0 else "right")
        for line in report_table.lines:
            table.add_row(line.label, *("-" if v is None else str(v) for v in line.values))
        _console().print(table)
