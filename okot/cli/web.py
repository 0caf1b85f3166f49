"""``okot web [--host H] [--port P]``: serve the web app and the HTTP API v1 (uvicorn)."""

from __future__ import annotations

from typing import Annotated

import typer

from okot.cli.data import _engine
from okot.cli.errors import EXIT_REFUSED, error_line


def register(app: typer.Typer) -> None:
    """Add ``okot web`` to ``app``."""

    @app.command("web")
    def web(
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    ) -> None:
        """Serve the Dutch web app and the HTTP API v1 (settings: OKOT_WEB_*, OKOT_OIDC_*)."""
        import uvicorn

        from okot.settings import get_settings
        from okot.temporal.connection import connect
        from okot.web.app import WebConfigError, create_app

        try:
            asgi = create_app(get_settings(), _engine(), connect)
        except WebConfigError as error:
            error_line(f"cannot serve: {error}")
            raise typer.Exit(EXIT_REFUSED) from None
        uvicorn.run(asgi, host=host, port=port, log_level="warning", proxy_headers=True)
