"""A TCP proxy between the worker and PostgreSQL that the fault suite can cut.

The worker reaches its database only through this proxy (its own thread and event
loop, so the suite's load does not slow the database down). :meth:`TcpProxy.cut`
makes the database unreachable for the worker as a network failure or a stopped
server would: every open connection is broken off and new ones are refused
(nothing listens on the port); :meth:`TcpProxy.restore` listens again on the same
port. The suite itself reads the database directly, not through the proxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import Future
from typing import Any

from okot_dev.ports import LOOPBACK, free_port

CHUNK = 65536


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, port: int | None = None) -> None:
        self.target = (target_host, target_port)
        self.port = port or free_port()
        self.connections = 0
        self.broken = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="chaos-db-proxy",
                                        daemon=True)
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    # ----------------------------------------------------------- the thread's side

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(CHUNK):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _serve(self, client_reader: asyncio.StreamReader,
                     client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.close()
            return
        self.connections += 1
        pair = {client_writer, server_writer}
        self._open |= pair
        try:
            await asyncio.gather(self._pump(client_reader, server_writer),
                                 self._pump(server_reader, client_writer))
        finally:
            self._open -= pair

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._serve, LOOPBACK, self.port,
                                                  reuse_address=True)

    async def _cut(self) -> int:
        if self._server is not None:
            self._server.close()
            self._server = None
        broken = len(self._open)
        for writer in list(self._open):
            transport: Any = writer.transport
            transport.abort()  # a broken connection, not a polite close
        self._open.clear()
        return broken

    # ------------------------------------------------------------- the suite's side

    def _call(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(timeout=30)

    def start(self) -> TcpProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def cut(self) -> None:
        """Break every open connection and refuse new ones."""
        self.broken += self._call(self._cut())

    def restore(self) -> None:
        """Accept connections again, on the same port."""
        self._call(self._listen())

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._call(self._cut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
