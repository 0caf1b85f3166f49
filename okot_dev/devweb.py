"""The web part of ``okot dev``: a local OpenID provider and ``okot web``.

:func:`dev_web` starts ``oidc-provider-mock`` (:mod:`okot_dev.idp`) with every
demo staff member as a one-click user, then the web app (uvicorn, in the dev
stack's event loop) configured against it, and gives the lines for the banner:
the web address and how to log in as a demo caseworker, mediator and team lead.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import uvicorn
from sqlalchemy.engine import Engine
from temporalio.client import Client

from okot.db.staff import StaffMember
from okot.settings import Settings
from okot_dev.devserver import DevStackError
from okot_dev.idp import CLIENT_ID, CLIENT_SECRET, start_idp
from okot_dev.ports import DEFAULT_IDP_PORT, DEFAULT_WEB_PORT, LOOPBACK, port_is_free


@dataclass(frozen=True)
class DevWeb:
    url: str
    issuer: str
    people: tuple[StaffMember, ...]
    ui_url: str | None = None
    """The Web UI on the web app's host (the codec server's session cookie reaches it)."""
    """One demo caseworker, mediator, team lead and operations person, to log in as."""

    def banner_lines(self) -> list[str]:
        lines = [f"  Web app          {self.url}  (login: local OpenID provider {self.issuer})",
                 "", "Log in to the web app: open the address, choose 'Inloggen' and type (or "
                 "click) one of these e-mail addresses on the provider's page:"]
        for member in self.people:
            lines.append(f"  {member.role:<11} {member.email}  ({member.id})")
        if self.ui_url is not None:
            lines.append(f"Decoded payloads in the Web UI: log in to the web app as operations, "
                         f"then open the Web UI at {self.ui_url} (codec server {self.url}/codec)")
        return lines


def dev_ui_origin(ui_port: int) -> str:
    """``OKOT_UI_ORIGIN`` of the dev Web UI: the browser may type either host."""
    return f"http://{LOOPBACK}:{ui_port},http://localhost:{ui_port}"


def codec_endpoint(web_port: int) -> str:
    """The dev server's ``--ui-codec-endpoint``: the web app's codec server."""
    return f"http://{LOOPBACK}:{web_port}/codec"


def login_people(staff: Sequence[StaffMember]) -> tuple[StaffMember, ...]:
    """The first caseworker, mediator, team lead and operations person of the demo staff."""
    people = []
    for role in ("caseworker", "mediator", "teamlead", "operations"):
        people += [m for m in staff if m.role == role][:1]
    return tuple(people)


class _Server(uvicorn.Server):
    """Uvicorn without its own signal handlers: Ctrl-C belongs to ``okot dev``."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@asynccontextmanager
async def dev_web(settings: Settings, engine: Engine, client: Client,
                  staff: Sequence[StaffMember], web_port: int = DEFAULT_WEB_PORT,
                  idp_port: int = DEFAULT_IDP_PORT,
                  ui_port: int | None = None) -> AsyncIterator[DevWeb]:
    """Run the OpenID provider and the web app (its codec server answering the Web UI on
    ``ui_port``) until the block ends."""
    from okot.web.app import create_app

    for port, what in ((web_port, "web app"), (idp_port, "OpenID provider")):
        if not port_is_free(port):
            raise DevStackError(f"port {port} for the {what} is in use; pick another with "
                                f"--{'web' if what == 'web app' else 'idp'}-port")
    url = f"http://{LOOPBACK}:{web_port}"
    ui_url = None if ui_port is None else f"http://{LOOPBACK}:{ui_port}"
    with start_idp(idp_port, staff) as issuer:
        web_settings = settings.model_copy(update={
            "web_url": url, "oidc_issuer": issuer, "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": CLIENT_SECRET,
            "web_secret": os.environ.get("OKOT_WEB_SECRET") or secrets.token_urlsafe(32),
            "ui_origin": dev_ui_origin(ui_port) if ui_port is not None else settings.ui_origin,
        })

        async def connect() -> Client:
            return client

        app = create_app(web_settings, engine, connect)
        server = _Server(uvicorn.Config(app, host=LOOPBACK, port=web_port,
                                        log_level="warning"))
        task = asyncio.create_task(server.serve())
        try:
            for _ in range(200):
                if server.started or task.done():
                    break
                await asyncio.sleep(0.05)
            if not server.started:
                raise DevStackError(f"the web app did not start on port {web_port}")
            yield DevWeb(url, issuer, login_people(staff), ui_url)
        finally:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 10)
