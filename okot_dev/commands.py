"""The dev-only commands of ``okot``: ``okot vdab-sim`` (run the VDAB registration
simulator) and ``okot dev`` (:mod:`okot_dev.devstack`).

:func:`register` is the ``dev`` plugin of the entry-point group ``okot.commands``
(pyproject.toml), which :mod:`okot.cli.app` loads when ``okot_dev`` is installed.
"""

from __future__ import annotations

from typing import Annotated

import typer

from okot_dev import devstack, vdab_sim


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

    devstack.register(app)  # `okot dev`: a local Temporal dev server, worker and demo data
