"""The ``okot`` command line: the typer app, its root callback and the
registration of every command group (the ``okot`` console script is :data:`app`).

* ``okot open CASE --ocmw X --caseworker ID``: start a client's trajectory
  (:mod:`okot.cli.opening`);
* one command per message of ``docs/domain.md`` (``okot record-info``,
  ``okot give-agreement``, ...), generated from the message models so their
  options mirror the fields exactly; the actor is ``--as ROLE:ID`` or
  ``OKOT_ACTOR`` (:mod:`okot.cli.messages`);
* ``okot status CASE``, ``okot timeline CASE``, ``okot list``: read them (``--json``
  for scripts; :mod:`okot.cli.queries`);
* ``okot import cohort.csv``: open a cohort of cases (idempotent; :mod:`okot.cli.cohort`);
* ``okot policy update --query Q FILE``: a new reminder policy for running trajectories
  (:mod:`okot.cli.policy`);
* the database commands of :mod:`okot.cli.data` and ``okot outbox``
  (:mod:`okot.cli.outbox`);
* ``okot case erase CASE``: erase a closed trajectory (:mod:`okot.cli.case`);
* ``okot keyring init|rotate FILE``: the master keys of payload encryption
  (:mod:`okot.cli.keyring`);
* ``okot temporal setup``: the namespace and its search attributes
  (:mod:`okot.cli.temporal_setup`);
* plus the commands of plugins, entry points of the group ``okot.commands``:
  ``okot worker`` (``worker.register_command``), ``okot vdab-sim`` and ``okot dev``
  (:func:`okot_dev.commands.register`, absent from the production image).

Exit codes (:mod:`okot.cli.errors`): 0 done; 1 trouble reaching Temporal or the
database (nothing was decided); 2 refused (the workflow refused the message, a
malformed option, an unknown staff id, a cohort row that failed). Errors are one
line on stderr. ``README.md`` documents the commands, the ``--json`` shapes and
the cohort CSV.
"""

from __future__ import annotations

import gc
import time
from importlib.metadata import entry_points

import typer

from okot.cli import (
    case,
    cohort,
    data,
    keyring,
    messages,
    opening,
    outbox,
    policy,
    queries,
    temporal_setup,
    tokens,
    web,
)
from okot.cli.errors import OkotGroup

STARTUP_GC_THRESHOLD = 50_000
"""Allocations between two young-generation collections while ``okot`` starts (the
default is 700)."""
STARTUP_SECONDS = 5.0
"""The default thresholds come back at the first collection after this long."""


def relax_gc_at_startup() -> None:
    """Collect garbage less often while the command starts.

    Importing what a command needs (the domain models, SQLAlchemy, the Temporal SDK)
    makes a few hundred thousand objects and next to no garbage; at the default
    threshold the collector runs some 250 times meanwhile, twice over every object,
    about 0.1 s of ``okot caseload`` (bench/cli.py). The default thresholds come back
    at the first collection after :data:`STARTUP_SECONDS`, so a command that keeps
    running (``okot worker``, ``okot web``) collects as usual.
    """
    default = gc.get_threshold()
    if default[0] >= STARTUP_GC_THRESHOLD:
        return
    started = time.monotonic()
    gc.set_threshold(STARTUP_GC_THRESHOLD, *default[1:])

    def restore(phase: str, _info: dict[str, int]) -> None:
        if (phase == "stop" and gc.get_threshold()[0] == STARTUP_GC_THRESHOLD
                and time.monotonic() - started > STARTUP_SECONDS):
            gc.set_threshold(*default)

    gc.callbacks.append(restore)


relax_gc_at_startup()

PLUGIN_GROUP = "okot.commands"
"""Entry-point group of the plugins: each one is a ``register(app)`` function."""

app = typer.Typer(
    name="okot",
    cls=OkotGroup,
    help="OKOT trajectories of OCMW clients, as durable Temporal workflows.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _logging() -> None:
    """Log lines go to stderr (structlog), never into the command's output."""
    from okot.logging import configure_logging  # not for `okot --help`

    configure_logging(workflow_loggers=False)  # `okot worker` and `okot dev` set them up


def _is_missing(error: ModuleNotFoundError, module: str) -> bool:
    """Whether ``error`` says that ``module`` itself (or a package it is in) is not installed."""
    return error.name is not None and (module == error.name or module.startswith(error.name + "."))


def register_plugins(target: typer.Typer) -> None:
    """Call every plugin of :data:`PLUGIN_GROUP` with ``target``.

    A plugin whose module is not installed (the production image has no
    ``okot_dev``) is skipped; any other import error is raised.
    """
    for entry_point in entry_points(group=PLUGIN_GROUP):
        try:
            register = entry_point.load()
        except ModuleNotFoundError as error:
            if _is_missing(error, entry_point.module):
                continue
            raise
        register(target)


opening.register(app)
messages.register(app)
queries.register(app)
cohort.register(app)
data.register(app)
outbox.register(app)
tokens.register(app)
web.register(app)
keyring.register(app)
case.register(app)
policy.register(app)
temporal_setup.register(app)
register_plugins(app)
