"""``okot dev``: the whole system on one machine, for development and the demo.

``okot dev`` (:func:`run_dev`, wired into the CLI by :func:`okot_dev.commands.register_dev`) starts,
in order: the mail catcher (:mod:`okot_dev.mailcatcher`, SMTP on 1025 and a page
on 8025), the Temporal dev server (:mod:`okot_dev.devserver`: gRPC 7233, Web UI
8233, data in ``var/``), the project's database and the demo staff directory,
the worker (in this process, sending real SMTP to the catcher), the web app with
a local OpenID provider (:mod:`okot_dev.devweb`), then seeds the
demo caseload (:mod:`okot_dev.demo_seed`; skipped for cases that exist already)
and prints where to look (:func:`banner`). Ctrl-C stops the worker first, then
the server and the catcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final
from urllib.parse import quote

from sqlalchemy.engine import Engine, make_url
from temporalio.client import Client
from temporalio.service import RPCError

from okot.domain.calendar import local_date
from okot.domain.values import Stage
from okot.settings import VAR_DIR, Settings
from okot.temporal import trajectories
from okot_dev import (
    demo_caseload,
    demo_plan,
    demo_seed,
)
from okot_dev.devserver import (
    DEFAULT_NAMESPACE,
    DevServer,
    DevStackError,
    dev_server,
)
from okot_dev.devweb import (
    DevWeb,
    codec_endpoint,
    dev_ui_origin,
    dev_web,
)
from okot_dev.ports import (
    DEFAULT_IDP_PORT,
    DEFAULT_PORT,
    DEFAULT_UI_PORT,
    DEFAULT_WEB_PORT,
    LOOPBACK,
)

UI_FILTERS: Final = (
    'OkotStage = "screening"',
    "OkotOverdue = true",
    'OkotOcmw = "gent" AND OkotStage = "in_training"',
)


# ------------------------------------------------------------------- okot dev


@dataclass(frozen=True)
class DevOptions:
    port: int = DEFAULT_PORT
    ui_port: int = DEFAULT_UI_PORT
    seed: bool = True
    smtp_port: int = 1025
    mail_port: int = 8025
    var_dir: Path = VAR_DIR
    namespace: str = DEFAULT_NAMESPACE
    log_level: str | None = None
    web_port: int = DEFAULT_WEB_PORT
    idp_port: int = DEFAULT_IDP_PORT


def ui_links(ui_url: str, namespace: str, filters: Sequence[str] = UI_FILTERS) -> list[tuple[str, str]]:
    """(filter, link) pairs that open the Web UI's workflow list with the filter applied."""
    base = f"{ui_url}/namespaces/{quote(namespace)}/workflows"
    return [(f, f"{base}?query={quote(f)}") for f in filters]


def banner(
    *,
    server: DevServer,
    mail_url: str | None,
    smtp: str,
    mail_dir: Path,
    database: str,
    task_queue: str,
    seeded: str | None,
    status_case: str,
    handover_case: str,
    handover_caseworker: str,
    caseload_caseworker: str,
    today: date,
    web: DevWeb | None = None,
    keyring: str | None = None,
) -> str:
    """What ``okot dev`` prints once everything runs."""
    ui = server.ui_url or "(headless)"
    lines = [
        "",
        "okot-flow dev stack is running. Ctrl-C stops everything.",
        "",
        *([*web.banner_lines(), ""] if web is not None else []),
        f"  Temporal Web UI  {ui}/namespaces/{server.namespace}/workflows",
        f"  Temporal server  {server.address} (namespace {server.namespace}); "
        f"data {server.db_file}, log {server.log_file}",
        f"  Worker           task queue {task_queue}; database {database}",
        f"  Mails            {mail_url or '(no page)'}  (SMTP catcher {smtp}; "
        f".eml files in {mail_dir}/)",
    ]
    if seeded is not None:
        lines.append(f"  Demo caseload    {seeded}")
    lines += ["", "Filters to paste in the Web UI (Workflows, query box):"]
    if server.ui_url is not None:
        for text, link in ui_links(server.ui_url, server.namespace):
            lines.append(f"  {text}")
            lines.append(f"      {link}")
    lines += ["", "Commands to try in another terminal (`.venv/bin/okot` if the venv is not active):"]
    if server.port != DEFAULT_PORT or server.ip != LOOPBACK:
        lines.append(f"  export TEMPORAL_ADDRESS={server.address}")
    if server.namespace != DEFAULT_NAMESPACE:
        lines.append(f"  export TEMPORAL_NAMESPACE={server.namespace}")
    if keyring is not None:
        lines.append(f"  export OKOT_KEYRING={keyring}")
    lines += [
        f"  okot status {status_case}",
        f"  okot confirm-handover {handover_case} --date {today.isoformat()} --channel phone "
        f"--as caseworker:{handover_caseworker}",
        f"  okot caseload --caseworker {caseload_caseworker}",
        "  okot report",
        "",
    ]
    return "\n".join(lines)


def ensure_keyring(var_dir: Path) -> str | None:
    """``OKOT_KEYRING`` for every process ``okot dev`` starts: the one set, or
    ``var/keyring.json`` (created on first run). Returns the keyring file for the
    banner (``None``: encryption off, or the keyring's JSON is in the environment)."""
    from okot.crypto.keyring import new_keyring, write_keyring

    if os.environ.get("OKOT_ENCRYPTION") == "off":
        return None
    if not os.environ.get("OKOT_KEYRING"):
        path = var_dir / "keyring.json"
        if not path.exists():
            write_keyring(path, new_keyring())
        os.environ["OKOT_KEYRING"] = str(path)
    source = os.environ["OKOT_KEYRING"]
    return None if source.lstrip().startswith("{") else source


@contextlib.asynccontextmanager
async def mail_relay(engine: Engine, settings: Settings) -> AsyncIterator[None]:
    """``okot outbox relay`` in this process, until the block ends (mails under way
    are finished first)."""
    from okot.mail.delivery import MailDelivery
    from okot.mail.relay import Relay

    stop = asyncio.Event()
    task = asyncio.create_task(Relay(engine, MailDelivery(engine, settings)).run(stop))
    try:
        yield
    finally:
        stop.set()
        await task


async def run_dev(options: DevOptions, *, out: Callable[[str], None] = print) -> int:
    """``okot dev``: start everything, seed, print where to look, run until Ctrl-C."""
    # Imported here: the worker pulls in the workflow sandbox and every activity.
    from okot.db.engine import (
        DatabaseNotReady,
        get_engine,
        prepare_database,
    )
    from okot.logging import configure_logging
    from okot.settings import get_settings
    from okot_dev.mailcatcher import (
        MailCatcher,
        PortInUse,
    )
    from worker import build_worker, delivery_from_settings, gateway_from_settings

    var_dir = options.var_dir.resolve()
    mail_dir = var_dir / "mail"
    # The worker sends real SMTP to the catcher; anything started from here sees it too.
    os.environ["OKOT_SMTP_HOST"] = LOOPBACK
    os.environ["OKOT_SMTP_PORT"] = str(options.smtp_port)
    os.environ.setdefault("OKOT_DELIVERY", "smtp")
    os.environ.pop("OKOT_MAIL_DIR", None)
    os.environ["OKOT_UI_ORIGIN"] = dev_ui_origin(options.ui_port)  # the codec server's CORS
    keyring = ensure_keyring(var_dir)
    get_settings.cache_clear()
    settings = get_settings().model_copy(
        update={"smtp_tls": False, "smtp_starttls": False, "smtp_username": None,
                "smtp_password": None, "mail_dir": None}
    )
    configure_logging(level=options.log_level or os.environ.get("OKOT_LOG_LEVEL") or "WARNING")

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    main = asyncio.current_task()
    installed: list[signal.Signals] = []

    def on_signal() -> None:
        if stop.is_set():
            return
        stop.set()
        out("\nStopping: worker, then Temporal server and mail catcher ...")
        if main is not None:
            main.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal)
            installed.append(sig)

    started = time.monotonic()
    try:
        async with AsyncExitStack() as stack:
            try:
                catcher = MailCatcher(mail_dir, smtp_port=options.smtp_port,
                                      http_port=options.mail_port).start()
            except PortInUse as error:
                raise DevStackError(str(error)) from None
            stack.callback(catcher.stop)
            out(f"Mail catcher: SMTP {LOOPBACK}:{catcher.smtp_port}, page {catcher.page_url}")

            out(f"Starting the Temporal dev server on {LOOPBACK}:{options.port} "
                f"(Web UI {options.ui_port}, data {var_dir / 'temporal.db'}) ...")
            server, client = await stack.enter_async_context(
                dev_server(
                    var_dir / "temporal.db", port=options.port, ui_port=options.ui_port,
                    namespace=options.namespace, log_file=var_dir / "temporal.log",
                    codec_endpoint=codec_endpoint(options.web_port),
                )
            )

            engine = get_engine(settings.database_url)
            try:
                await asyncio.to_thread(prepare_database, engine)
            except DatabaseNotReady as error:
                raise DevStackError(str(error)) from None
            staff = await asyncio.to_thread(demo_caseload.import_demo_staff, engine)
            out(f"Staff directory: demo staff imported ({staff.inserted} new, "
                f"{staff.updated} updated, {staff.unchanged} unchanged)")

            relay = settings.delivery == "relay"
            if relay:  # OKOT_DELIVERY=relay: the mail relay runs here too, beside the worker
                await stack.enter_async_context(mail_relay(engine, settings))
            worker = build_worker(
                client, engine, task_queue=settings.task_queue,
                delivery=delivery_from_settings(settings, engine), relay=relay,
                gateway=gateway_from_settings(settings, engine),
            )
            await stack.enter_async_context(worker)
            out(f"Worker: polling task queue {settings.task_queue!r}"
                + (" (mails sent by the mail relay)" if relay else ""))
            web = await stack.enter_async_context(dev_web(
                settings, engine, client, demo_caseload.demo_staff(),
                web_port=options.web_port, idp_port=options.idp_port,
                ui_port=options.ui_port))
            out(f"Web app: {web.url} (OpenID provider {web.issuer})")

            plan = demo_plan.plan()
            seeded: str | None = None
            if options.seed:
                out(f"Seeding the demo caseload ({len(plan)} cases, real messages through the "
                    "workflows) ...")
                report = await demo_seed.seed(client, settings.task_queue, cases=plan, engine=engine)
                seeded = report.summary()
                for _case_id, reason in sorted(report.failed.items()):
                    out(f"  {reason}")
            spot = demo_plan.highlights(plan)
            handover_case, handover_cw = await _still_in_handover(client, plan, spot)
            out(banner(
                server=server, mail_url=catcher.page_url, smtp=f"{LOOPBACK}:{catcher.smtp_port}",
                mail_dir=mail_dir, task_queue=settings.task_queue,
                database=make_url(settings.database_url).render_as_string(hide_password=True),
                keyring=keyring,
                seeded=seeded, status_case=spot.status_case, handover_case=handover_case,
                handover_caseworker=handover_cw, caseload_caseworker=spot.caseload_caseworker,
                today=local_date(datetime.now(UTC)), web=web,
            ))
            out(f"(ready in {time.monotonic() - started:.1f} s)")
            await stop.wait()
    except asyncio.CancelledError:
        if not stop.is_set():
            raise
        # Uncancel so the clean-up above (already done by the exit stack) is final.
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
        out("Stopped.")
        return 0
    except DevStackError as error:
        out(f"okot dev: {error}")
        return 1
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
    return 0


async def _still_in_handover(
    client: Client, plan: Sequence[demo_caseload.DemoCase], spot: demo_plan.Highlights
) -> tuple[str, str]:
    """A planned handover case that still waits for its handover (else the planned one)."""
    for case in plan:
        if case.target is not Stage.HANDOVER:
            continue
        try:
            status = await trajectories.status(client, case.case_id)
        except RPCError:
            continue
        if status.stage is Stage.HANDOVER:
            return case.case_id, status.caseworker
    return spot.handover_case, spot.handover_caseworker
