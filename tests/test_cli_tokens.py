"""``okot token create/list/revoke`` and ``okot web`` without its settings."""

from __future__ import annotations

import pytest
from db_fixtures import Cli
from sqlalchemy import select
from typer.testing import CliRunner
from web_helpers import STAFF

from okot.cli.app import app
from okot.db.staff import import_members
from okot.db.tables import API_TOKEN
from okot.db.tokens import verify

pytest_plugins = ("db_fixtures",)


def test_create_list_revoke(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import_members(cli.engine, STAFF)
    run = CliRunner()
    monkeypatch.setenv("OKOT_DATABASE_URL", cli.url)
    from okot.settings import get_settings

    get_settings.cache_clear()
    created = run.invoke(app, ["token", "create", "--staff", "med-carl", "--expires-days", "30"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[0]
    assert token.startswith("okot_") and verify(cli.engine, token) == "med-carl"
    with cli.engine.connect() as conn:
        stored = conn.execute(select(API_TOKEN.c.token_hash, API_TOKEN.c.id)).all()
    assert len(stored) == 1 and token not in stored[0].token_hash  # only the hash is kept
    listed = run.invoke(app, ["token", "list"])
    assert "med-carl" in listed.stdout and "active" in listed.stdout
    assert token not in listed.stdout
    revoked = run.invoke(app, ["token", "revoke", str(stored[0].id)])
    assert revoked.exit_code == 0 and verify(cli.engine, token) is None
    assert "revoked" in run.invoke(app, ["token", "list"]).stdout
    again = run.invoke(app, ["token", "revoke", str(stored[0].id)])
    assert again.exit_code == 2 and "no active token" in again.stderr
    unknown = run.invoke(app, ["token", "create", "--staff", "ghost-nobody"])
    assert unknown.exit_code == 2 and "unknown staff id" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
    get_settings.cache_clear()


def test_okot_web_refuses_to_start_without_a_session_secret(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from okot.settings import get_settings

    monkeypatch.setenv("OKOT_DATABASE_URL", cli.url)
    monkeypatch.delenv("OKOT_WEB_SECRET", raising=False)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["web", "--port", "1"])
    get_settings.cache_clear()
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "cannot serve: OKOT_WEB_SECRET must be set (at least 16 characters): it signs the "
        "session cookies"
    )


@pytest.mark.parametrize(("actor", "why"), [
    ("caseworker:ghost-nobody", "unknown staff id 'ghost-nobody'"),
    ("caseworker:med-carl", "staff id 'med-carl' is a mediator in the staff directory, "
                            "not a caseworker"),
])
def test_as_names_a_staff_id_with_that_role(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                            actor: str, why: str) -> None:
    from okot.settings import get_settings

    import_members(cli.engine, STAFF)
    monkeypatch.setenv("OKOT_DATABASE_URL", cli.url)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["record-info", "C-0001", "--date", "2026-01-05",
                                      "--channel", "info_session", "--as", actor])
    get_settings.cache_clear()
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"refused: {why}")
