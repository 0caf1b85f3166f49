"""``okot temporal setup``: make the Temporal namespace ready for okot-flow.

Creates the namespace (``TEMPORAL_NAMESPACE``, default ``default``) when it is
missing, registers every ``Okot*`` search attribute that is missing and sets
the namespace's retention to ``--retention`` (default ``30d``): how long
Temporal keeps a closed trajectory's history, the other half of erasure.
Idempotent: run it again and it changes nothing. No keyring is needed: no
workflow payload passes. The worker refuses to start until it has
run (:func:`okot.temporal.namespace.readiness_problem`); ``okot dev`` and
docker-compose's ``temporal-setup`` one-shot run it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from okot.cli.errors import EXIT_REFUSED, CliError, run

if TYPE_CHECKING:
    from okot.temporal.namespace import SetupReport

# Temporal is imported in the command: registering `okot temporal` must not load it
# (see okot.cli.app).

_DURATION_RE = re.compile(r"([1-9][0-9]{0,5})([dh])")


def parse_retention(value: str) -> timedelta:
    """``30d`` or ``720h`` (the Temporal CLI's notation) as a duration of 1 hour to 10 years."""
    found = _DURATION_RE.fullmatch(value.strip())
    if found is None:
        raise typer.BadParameter("give days or hours, for example 30d or 720h")
    number, unit = int(found.group(1)), found.group(2)
    retention = timedelta(days=number) if unit == "d" else timedelta(hours=number)
    if retention > timedelta(days=3650):
        raise typer.BadParameter("at most 3650d")
    return retention


RetentionOpt = Annotated[timedelta, typer.Option(
    "--retention", parser=parse_retention, metavar="DURATION",
    help="How long Temporal keeps a closed trajectory's history (the namespace's retention, "
         "set to this value): days or hours, for example 30d.")]


def _days(duration: timedelta) -> str:
    return f"{duration.total_seconds() / 86400:g}"


def _lines(report: SetupReport, attributes: int) -> list[str]:
    state = "created" if report.created else "exists"
    was = (f" (was {_days(report.previous_retention)})"
           if report.previous_retention is not None and not report.created else "")
    added = ", ".join(report.added)
    return [
        f"namespace {report.namespace}: {state}, retention {_days(report.retention)} days{was}",
        f"search attributes: added {added}" if added
        else f"search attributes: all {attributes} present",
    ]


def setup_command(retention: RetentionOpt = "30d") -> None:  # type: ignore[assignment]
    """Create the namespace if needed, register every Okot search attribute and set the
    retention (idempotent)."""

    from temporalio.service import RPCError

    from okot.cli.client import connect, rpc_trouble
    from okot.temporal.namespace import NamespaceNotReady, setup_namespace, wanted

    async def setup() -> SetupReport:
        client = await connect(payloads=False)
        try:
            return await setup_namespace(client, retention)
        except NamespaceNotReady as error:
            raise CliError(str(error), EXIT_REFUSED) from None
        except RPCError as error:
            raise rpc_trouble(error) from None

    for line in _lines(run(setup), len(wanted())):
        typer.echo(line)


def register(app: typer.Typer) -> None:
    """Add ``okot temporal setup`` to ``app``."""
    temporal_app = typer.Typer(help="The Temporal namespace okot-flow runs in.",
                               no_args_is_help=True)
    app.add_typer(temporal_app, name="temporal")
    temporal_app.command("setup")(setup_command)
