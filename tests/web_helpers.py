"""The web app under test: a staff directory, API tokens, an httpx client on the app."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from temporalio.client import Client

from okot.db.staff import StaffMember, import_members
from okot.db.tokens import create_token
from okot.settings import Settings
from okot.temporal.connection import connect
from okot.web.app import create_app
from okot.web.runtime import Runtime

SECRET = "test-secret-for-sessions-0123456789"

STAFF = [
    StaffMember(id="cw-anna", role="caseworker", name="Anna Peeters", email="anna@example.org",
                phone=None, ocmw="gent", teamlead="tl-chris"),
    StaffMember(id="cw-bart", role="caseworker", name="Bart Claes", email="bart@example.org",
                phone=None, ocmw="gent", teamlead="tl-chris"),
    StaffMember(id="cw-dirk", role="caseworker", name="Dirk Maes", email="dirk@example.org",
                phone=None, ocmw="aalst", teamlead="tl-fons"),
    StaffMember(id="med-carl", role="mediator", name="Carl Wouters", email="carl@example.org",
                phone=None, ocmw="gent", teamlead=None),
    StaffMember(id="med-eva", role="mediator", name="Eva Jacobs", email="eva@example.org",
                phone=None, ocmw="gent", teamlead=None),
    StaffMember(id="tl-chris", role="teamlead", name="Chris Smet", email="chris@example.org",
                phone=None, ocmw="gent", teamlead=None),
    StaffMember(id="tl-fons", role="teamlead", name="Fons Goossens", email="fons@example.org",
                phone=None, ocmw="aalst", teamlead=None),
    StaffMember(id="ops-olga", role="operations", name="Olga Wuyts", email="olga@example.org",
                phone=None, ocmw="gent", teamlead=None),
]


def settings(task_queue: str, **over: Any) -> Settings:
    return Settings(web_secret=SECRET, task_queue=task_queue, **over)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Api:
    http: httpx.AsyncClient
    tokens: dict[str, str]
    engine: Engine

    async def call(self, method: str, path: str, who: str | None = None,
                   **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return await self.http.request(method, path, headers=headers, **kw)


def prepare(engine: Engine) -> dict[str, str]:
    """Import the test staff; one API token each."""
    import_members(engine, STAFF)
    return {m.id: create_token(engine, m.id)[1] for m in STAFF}


@asynccontextmanager
async def api_on(client: Client, engine: Engine, task_queue: str,
                 **over: Any) -> AsyncIterator[Api]:
    """The app in process (httpx's ASGI transport), on ``client`` (``over``: settings)."""
    tokens = prepare(engine)
    app = create_app(settings(task_queue, **over), engine, lambda: _never())
    app.state.runtime = Runtime(settings(task_queue, **over), engine, client, task_queue)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://okot.test") as http:
        yield Api(http, tokens, engine)


async def _never() -> Client:  # pragma: no cover - lifespan is not run in process
    raise AssertionError("the runtime is set by the test")


@contextmanager
def live_app(app: FastAPI, port: int) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread (its own event loop); yields its URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            threading.Event().wait(0.05)
        assert server.started, "the web app did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def live_web_app(engine: Engine, task_queue: str, target: str, **over: Any) -> FastAPI:
    """The app as ``okot web`` builds it, connecting to the Temporal server at ``target``."""

    async def connect_here() -> Client:
        return await connect(target_host=target)

    return create_app(settings(task_queue, **over), engine, connect_here)


async def settle() -> None:
    await asyncio.sleep(0)


def session_cookie(staff_id: str, csrf: str = "test-csrf-token", login_at: int | None = None
                   ) -> str:
    """A signed session cookie as the app's SessionMiddleware writes it (a logged-in person)."""
    import json
    import time
    from base64 import b64encode

    from itsdangerous import TimestampSigner

    data = {"staff_id": staff_id, "login_at": int(time.time()) if login_at is None else login_at,
            "csrf": csrf}
    return TimestampSigner(SECRET).sign(b64encode(json.dumps(data).encode())).decode()


@contextmanager
def live_stack(engine: Engine, task_queue: str, target: str, port: int) -> Iterator[str]:
    """A worker and ``okot web`` on one event loop of their own, in a thread.

    For synchronous callers (schemathesis): they block the test's loop, so the
    worker must not live there.
    """
    from worker import build_worker

    app = live_web_app(engine, task_queue, target, web_url=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))

    async def main() -> None:
        client = await connect(target_host=target)
        async with build_worker(client, engine, task_queue=task_queue):
            await server.serve()

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    try:
        for _ in range(400):
            if server.started:
                break
            threading.Event().wait(0.05)
        assert server.started, "the web app did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
