"""The dev-only commands of ``okot``: ``okot vdab-sim`` (run the VDAB registration
simulator) and ``okot dev`` (:mod:`okot_dev.devstack`).

:func:`register` is the ``dev`` plugin of the entry-point group ``okot.commands``
(pyproject.toml), which :mod:`okot.cli.app` loads when ``okot_dev`` is installed.
It only defines the commands: the dev stack (Temporal, the web app, the demo data) is
imported when ``okot dev`` runs, so that every other ``okot`` command starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from okot.paths import VAR_DIR
from okot_dev import vdab_sim
from okot_dev.ports import DEFAULT_IDP_PORT, DEFAULT_PORT, DEFAULT_UI_PORT, DEFAULT_WEB_PORT


def register(app: typer.Typer) -> None:
    """Add the ``vdab-sim`` and ``dev`` commands to ``app``."""

    @app.command("vdab-sim")
    def vdab_sim_command(
        port: Annotated[
            int, typer.Option("--port", "-p", help="Port to listen on.", min=0, max=65535)
        ] = vdab_sim.DEFAULT_PORT,
        fail_rate: Annotated[
            float,
            typer.Option("--fail-rate", help="Share of requests answered 503 (0..1).", min=0.0, max=1.0),
        ] = 0.0,
        latency: Annotated[
            int, typer.Option("--latency", help="Delay of every answer, in ms.", min=0)
        ] = 0,
        host: Annotated[str, typer.Option("--host", help="Interface to bind.")] = "127.0.0.1",
        seed: Annotated[int, typer.Option("--seed", help="Seed of the 503 draws.")] = 0,
    ) -> None:
        """Simulate VDAB's jobseeker registration (POST /jobseekers) for OKOT_VDAB_URL."""
        vdab_sim.run(port, fail_rate, latency, host=host, seed=seed)

    register_dev(app)  # `okot dev`: a local Temporal dev server, worker and demo data


def register_dev(app: typer.Typer) -> None:
    """Add the ``dev`` command to ``app``."""

    @app.command("dev")
    def dev_command(
        ui_port: Annotated[
            int, typer.Option("--ui-port", help="Port of the Temporal Web UI.", min=1, max=65535)
        ] = DEFAULT_UI_PORT,
        port: Annotated[
            int, typer.Option("--port", help="gRPC port of the Temporal dev server.", min=1,
                              max=65535)
        ] = DEFAULT_PORT,
        seed: Annotated[
            bool, typer.Option("--seed/--no-seed", help="Create the demo caseload (skipped when "
                               "it exists already).")
        ] = True,
        smtp_port: Annotated[
            int, typer.Option("--smtp-port", help="Port of the SMTP mail catcher.", min=1,
                              max=65535)
        ] = 1025,
        mail_port: Annotated[
            int, typer.Option("--mail-port", help="Port of the page listing caught mails.",
                              min=1, max=65535)
        ] = 8025,
        var_dir: Annotated[
            Path, typer.Option("--var-dir", help="Where the server's data, its log and the "
                               "mails go.")
        ] = VAR_DIR,
        web_port: Annotated[
            int, typer.Option("--web-port", help="Port of the web app (okot web).", min=1,
                              max=65535)
        ] = DEFAULT_WEB_PORT,
        idp_port: Annotated[
            int, typer.Option("--idp-port", help="Port of the local OpenID provider.", min=1,
                              max=65535)
        ] = DEFAULT_IDP_PORT,
    ) -> None:
        """Run everything locally: Temporal dev server and Web UI, mail catcher, worker, the web
        app with a local OpenID provider, demo data."""
        import asyncio

        from okot_dev.devstack import DevOptions, run_dev

        options = DevOptions(port=port, ui_port=ui_port, seed=seed, smtp_port=smtp_port,
                             mail_port=mail_port, var_dir=var_dir, web_port=web_port,
                             idp_port=idp_port)
        code = asyncio.run(run_dev(options))
        raise typer.Exit(code)
