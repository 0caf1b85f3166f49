"""``okot outbox``: the notifications and their delivery state, and resending one.

* ``okot outbox [--failed] [--case C] [--json]``: the outbox, oldest first; ``--failed``
  shows the notifications whose last attempt failed: given up (``failed``) or still
  retried (``queued``, with its attempts and the error class it met);
* ``okot outbox retry ID``: deliver a failed (or still queued) notification again,
  through the same staff directory lookup, template and SMTP settings as the worker;
* ``okot outbox relay``: the mail relay (:mod:`okot.mail.relay`), the process that
  sends the outbox's mails when the worker runs with ``OKOT_DELIVERY=relay``; runs
  until SIGTERM / Ctrl-C (finishing the mails under way), or one round with ``--once``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from okot.db.tables import Outbox

# The database and mail modules are imported in the command bodies: see okot.cli.app.


def _row_json(row: Outbox) -> dict[str, object]:
    return {
        "id": row.id,
        "case_id": row.case_id,
        "template": row.template,
        "recipient_role": row.recipient_role,
        "recipient": row.recipient,
        "state": row.state,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "last_attempt_at": row.last_attempt_at.isoformat() if row.last_attempt_at else None,
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        "message_id": row.message_id,
    }


def _engine() -> Engine:
    from okot.db.engine import DatabaseNotReady, get_engine, prepare_database

    engine = get_engine()
    try:
        prepare_database(engine)
    except DatabaseNotReady as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    return engine


async def _resend(row: Outbox) -> str:
    from okot.db.engine import get_engine
    from okot.mail.delivery import MailDelivery
    from okot.mail.relay import notice_of
    from okot.settings import get_settings

    engine = get_engine()
    return await MailDelivery(engine, get_settings()).deliver(notice_of(row), int(row.id or 0))


async def _relay(engine: Engine, once: bool, concurrency: int) -> str:
    import signal

    from okot.mail.delivery import MailDelivery
    from okot.mail.relay import Relay
    from okot.settings import get_settings

    relay = Relay(engine, MailDelivery(engine, get_settings()), concurrency=concurrency)
    if once:
        done = await relay.run_once()
        return (f"sent {done.sent}, to retry {done.retried}, failed {done.failed}, "
                f"held by another attempt {done.skipped}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await relay.run(stop)
    return "mail relay stopped"


def register(app: typer.Typer) -> None:
    """Add ``okot outbox`` (list) and ``okot outbox retry ID`` to ``app``."""
    outbox_app = typer.Typer(help="Notifications and their delivery state.",
                             invoke_without_command=True)
    app.add_typer(outbox_app, name="outbox")

    @outbox_app.callback()
    def outbox_list(
        ctx: typer.Context,
        failed: Annotated[bool, typer.Option(
            "--failed", help="Only notifications whose last attempt failed: given up (failed) "
            "or still retried (queued).")] = False,
        case: Annotated[str | None, typer.Option("--case", help="Only this case's.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """List the outbox, oldest first (`okot outbox retry ID` resends one)."""
        if ctx.invoked_subcommand is not None:
            return
        from okot.db import outbox

        rows = outbox.list_notifications(_engine(), failed_only=failed, case_id=case)
        if as_json:
            typer.echo(json.dumps([_row_json(r) for r in rows], indent=2))
            return
        table = Table(title=f"{len(rows)} notification(s)")
        for column in ("id", "created", "case", "template", "to", "state", "attempts", "error"):
            table.add_column(column)
        for r in rows:
            table.add_row(
                str(r.id), r.created_at.strftime("%Y-%m-%d %H:%M") if r.created_at else "-",
                r.case_id, r.template, f"{r.recipient_role}:{r.recipient}", r.state,
                str(r.attempts), r.last_error or "",
            )
        console = Console() if sys.stdout.isatty() else Console(width=140)
        console.print(table)

    @outbox_app.command("retry")
    def outbox_retry(
        outbox_id: Annotated[int, typer.Argument(metavar="ID", help="The outbox id.")],
    ) -> None:
        """Deliver a failed notification again (after fixing the address or the server)."""
        from okot.db import outbox

        engine = _engine()
        try:
            row = outbox.get_notification(engine, outbox_id)
        except LookupError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
        if row.state == "sent":
            typer.echo(f"error: notification {outbox_id} was sent already ({row.sent_at}); "
                       "only failed or queued ones are resent", err=True)
            raise typer.Exit(2)
        try:
            message_id = asyncio.run(_resend(row))
        except Exception as error:  # one line; never an address or a name (see okot.mail.compose)
            outbox.mark_notification(engine, outbox_id, "failed", str(error))
            typer.echo(f"error: notification {outbox_id} not delivered: {error}", err=True)
            raise typer.Exit(2) from None
        outbox.mark_notification(engine, outbox_id, "sent", None, message_id)
        typer.echo(f"notification {outbox_id} sent ({row.template} to "
                   f"{row.recipient_role}:{row.recipient})")

    @outbox_app.command("relay")
    def outbox_relay(
        once: Annotated[bool, typer.Option(
            "--once", help="One round: deliver what is due now, then stop.")] = False,
        concurrency: Annotated[int, typer.Option(
            "--concurrency", min=1, max=64, help="Mails sent at once, at most.")] = 8,
    ) -> None:
        """Send the outbox's mails (run beside workers started with OKOT_DELIVERY=relay)."""
        from okot.logging import configure_logging

        configure_logging()
        typer.echo(asyncio.run(_relay(_engine(), once, concurrency)))
