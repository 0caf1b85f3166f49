"""The okot-flow worker: ``python worker.py`` is all it takes.

Connects with ``temporalio.envconfig`` (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
profiles), serves the task queue ``OKOT_TASK_QUEUE`` (default ``okot``),
writes to ``OKOT_DATABASE_URL`` (default: SQLite under ``var/``), exposes
Prometheus metrics when ``OKOT_METRICS_PORT`` is set, and stops gracefully on
SIGINT/SIGTERM. It refuses to start (one line on stderr, exit code 1) on a
namespace without every ``Okot*`` search attribute: ``okot temporal setup``.
``okot worker`` runs the same (:func:`register_command`, the ``worker`` plugin of
the entry-point group ``okot.commands``).
"""

from __future__ import annotations

import asyncio
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer
    from sqlalchemy import Engine
    from temporalio.client import Client
    from temporalio.worker import Worker
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

    from okot.mail.delivery import Delivery
    from okot.settings import Settings
    from okot.vdab.gateway import RegistrationGateway

# Temporal, the workflow, the activities and the database are imported in the
# functions that use them: `okot` loads this module (the ``worker`` plugin) just to
# register `okot worker`, and every other command starts without them.


def workflow_classes() -> list[type]:
    """The workflow classes this build runs (and replays: ``okot replay-check``, the tests)."""
    from workflows.trajectory import OkotTrajectory

    return [OkotTrajectory]


def sandbox_runner(*, share_workflow: bool = True) -> SandboxedWorkflowRunner:
    """The workflow sandbox.

    ``share_workflow`` (the worker's default): the workflow's own package (``workflows``)
    is imported once per worker and shared by every run, instead of afresh (compiled,
    its class and its 34 handlers built) in each run's sandbox: a fifth of the worker's
    CPU in the benchmark and about 60 KB per cached trajectory (README, "Performance").
    The sandbox then no longer checks the workflow's own code for non-deterministic
    calls (its state is still per run: the package holds no mutable module state).
    ``share_workflow=False`` keeps that check: the replay of every recorded history
    (tests/test_replay.py) and ``okot replay-check`` run with it, so a forbidden call
    on a replayed path fails there.
    """
    from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

    shared = ("okot", "pydantic", "pydantic_core", "holidays", "annotated_types", "activities")
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(
            *shared, *(("workflows",) if share_workflow else ())
        )
    )


def build_worker(
    client: Client,
    engine: Engine,
    *,
    task_queue: str,
    delivery: Delivery | None = None,
    relay: bool = False,
    gateway: RegistrationGateway | None = None,
    executor: ThreadPoolExecutor | None = None,
    build_id: str | None = None,
) -> Worker:
    """A worker with the workflow and every activity, wired to ``engine``;
    ``relay``: the mail relay sends (``OKOT_DELIVERY=relay``), the notify activity
    waits for it; ``build_id`` identifies this build (:mod:`okot.temporal.build`)."""
    from temporalio.worker import Worker

    from activities.notify import NotifyActivities
    from activities.record import RecordActivities
    from activities.register import EmbeddedRegistrationGateway, RegisterActivities

    records = RecordActivities(engine)
    notifications = NotifyActivities(engine, delivery, relay=relay)
    registrations = RegisterActivities(gateway or EmbeddedRegistrationGateway(engine))
    return Worker(
        client,
        task_queue=task_queue,
        workflows=workflow_classes(),
        activities=[records.record, records.record_events, notifications.notify,
                    registrations.register_jobseeker],
        activity_executor=executor or ThreadPoolExecutor(max_workers=8),
        workflow_runner=sandbox_runner(),
        build_id=build_id,
    )


def delivery_from_settings(settings: Settings, engine: Engine) -> Delivery | None:
    from okot.mail.delivery import delivery_from_settings as build

    return build(settings, engine)


def gateway_from_settings(settings: Settings, engine: Engine) -> RegistrationGateway:
    from activities.register import EmbeddedRegistrationGateway
    from okot.vdab.gateway import gateway_from_settings as build

    return build(settings, EmbeddedRegistrationGateway(engine))


def refuse_without_keyring() -> None:
    """Stop with one line (exit code 1) when encryption is on but no keyring is usable."""
    from okot.crypto.keyring import KeyringError
    from okot.temporal.connection import EncryptionNotConfigured, data_converter

    try:
        data_converter()
    except (EncryptionNotConfigured, KeyringError) as error:
        print(f"okot worker: {error}", file=sys.stderr)
        raise SystemExit(1) from None


async def main() -> None:
    from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

    from okot.db.engine import get_engine, prepare_database
    from okot.logging import configure_logging, get_logger
    from okot.settings import get_settings
    from okot.temporal.build import build_id
    from okot.temporal.connection import connect
    from okot.temporal.namespace import readiness_problem
    from okot.temporal.process_exit import exit_process

    log = get_logger("okot.worker")
    configure_logging()
    settings = get_settings()
    refuse_without_keyring()
    engine = get_engine(settings.database_url)
    prepare_database(engine)
    overrides = {}
    if settings.metrics_port:
        runtime = Runtime(
            telemetry=TelemetryConfig(
                metrics=PrometheusConfig(bind_address=f"0.0.0.0:{settings.metrics_port}")
            )
        )
        overrides["runtime"] = runtime
    client = await connect(**overrides)
    problem = await readiness_problem(client)
    if problem is not None:
        # One line, then stop: every workflow task would fail on this namespace.
        print(f"okot worker: {problem}", file=sys.stderr, flush=True)
        exit_process(1)
    build = build_id(settings)
    worker = build_worker(
        client,
        engine,
        task_queue=settings.task_queue,
        delivery=delivery_from_settings(settings, engine),
        relay=settings.delivery == "relay",
        gateway=gateway_from_settings(settings, engine),
        build_id=build,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker started", task_queue=settings.task_queue, namespace=client.namespace,
             metrics_port=settings.metrics_port, build_id=build)
    async with worker:
        await stop.wait()
        log.info("worker stopping")
    log.info("worker stopped")


def register_command(app: typer.Typer) -> None:
    """Add ``okot worker`` to the ``okot`` CLI (the ``worker`` plugin of ``okot.commands``)."""

    @app.command("worker")
    def worker_command() -> None:
        """Run the worker (same as `python worker.py`); stops on Ctrl-C / SIGTERM."""
        asyncio.run(main())


if __name__ == "__main__":
    from okot.temporal.process_exit import exit_process

    asyncio.run(main())
    exit_process(0)
