"""``okot token create --staff ID [--expires-days N]``, ``okot token list``,
``okot token revoke ID``: API tokens for the HTTP API (``okot web``), stored hashed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from okot.cli.data import _console, _engine
from okot.cli.errors import fail, guard

# The database modules are imported in the command bodies: see okot.cli.app.


def register(app: typer.Typer) -> None:
    """Add ``okot token ...`` to ``app``."""
    token_app = typer.Typer(help="API tokens for the HTTP API (stored hashed).",
                            no_args_is_help=True)
    app.add_typer(token_app, name="token")

    @token_app.command("create")
    def token_create(
        staff: Annotated[str, typer.Option("--staff", help="Staff id the token acts as.")],
        expires_days: Annotated[int | None, typer.Option(
            "--expires-days", min=1, max=3660, help="Days until it expires (default: never).")
        ] = None,
    ) -> None:
        """Issue a token; it is printed once and never shown again."""

        def body() -> None:
            from okot.db.staff import UnknownStaff
            from okot.db.tokens import create_token

            try:
                token_id, token = create_token(_engine(), staff, expires_days)
            except UnknownStaff as error:
                fail(f"refused: {error}")
            typer.echo(token)
            typer.echo(f"token {token_id} for {staff}: keep it now, it is not shown again "
                       "(send it as 'Authorization: Bearer <token>')", err=True)

        guard(body)

    @token_app.command("list")
    def token_list() -> None:
        """Every token: id, staff id, created, expires, state (never the token itself)."""
        from rich.table import Table

        from okot.db.tokens import list_tokens

        now = datetime.now(UTC)
        table = Table("id", "staff", "created", "expires", "state")
        for t in list_tokens(_engine()):
            state = "revoked" if t.revoked_at else ("active" if t.active(now) else "expired")
            table.add_row(str(t.id), t.staff_id, f"{t.created_at:%Y-%m-%d %H:%M}",
                          f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "never", state)
        _console().print(table)

    @token_app.command("revoke")
    def token_revoke(token_id: Annotated[int, typer.Argument(help="Token id (okot token list).")]
                     ) -> None:
        """Revoke a token: it stops working at once."""

        def body() -> None:
            from okot.db.tokens import revoke_token

            if not revoke_token(_engine(), token_id):
                fail(f"refused: no active token with id {token_id} (see `okot token list`)")
            typer.echo(f"token {token_id} revoked")

        guard(body)
