"""The client's identity at the CLI's doors (``okot open --client-name``, the cohort
CSV's ``client_name`` / ``vdab_client_number`` columns): checked before the
trajectory starts, written to the encrypted client register
(:mod:`okot.db.client_register`) once it has started, never sent to Temporal."""

from __future__ import annotations

from typing import Annotated

import typer

from okot.cli.data import _engine
from okot.cli.errors import EXIT_TROUBLE, CliError
from okot.domain.identity import ClientIdentity, ClientIdentityError, identity_from

# The keyring, the Temporal connection settings and the database are imported where
# they are used: registering `okot open` and `okot import` does not load them.

ClientNameOpt = Annotated[str | None, typer.Option(
    "--client-name", help="The client's name, for the encrypted client register (never sent "
                          "to Temporal, logs or mails).")]
ClientNumberOpt = Annotated[str | None, typer.Option(
    "--vdab-client-number", help="The client's VDAB client number (client register).")]


def identity_of(name: str | None, number: str | None,
                names: tuple[str, str] = ("--client-name", "--vdab-client-number"),
                ) -> ClientIdentity | None:
    """The identity given, checked; a :class:`CliError` (exit 2) saying what is wrong."""
    try:
        identity = identity_from(name, number, names)
    except ClientIdentityError as error:
        raise CliError(f"refused: {error}") from None
    if identity is None:
        return None
    require_register(names[0])
    return identity


def require_register(what: str) -> None:
    """A :class:`CliError` unless the encrypted client register can be written."""
    from okot.crypto.keyring import KeyringError
    from okot.temporal.connection import EncryptionNotConfigured, key_store_in_use

    try:
        store = key_store_in_use()
    except (EncryptionNotConfigured, KeyringError) as error:
        raise CliError(str(error), EXIT_TROUBLE) from None
    if store is None:
        raise CliError(f"refused: {what} needs encryption (the client register is encrypted "
                       "at rest): set OKOT_KEYRING instead of OKOT_ENCRYPTION=off")


def save(case_id: str, identity: ClientIdentity | None) -> None:
    """Write ``identity`` to the client register of the project's database."""
    if identity is None:
        return
    from okot.db.client_register import register
    from okot.temporal.connection import key_store_in_use

    store = key_store_in_use()
    assert store is not None  # identity_of checked it
    register(_engine(), store.keyring, case_id, identity)
