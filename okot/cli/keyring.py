"""``okot keyring``: the master keys of payload encryption (README, "Privacy").

* ``okot keyring init FILE``: write a new keyring with one master key (mode 0600);
* ``okot keyring rotate FILE``: add a master key and make it the active one (the
  old keys stay: what they wrapped still decodes).

Point every process at the file with ``OKOT_KEYRING=FILE``. The keys are never
printed; the commands print the ids only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from okot.cli.errors import EXIT_TROUBLE, fail, guard

# The crypto modules are imported in the command bodies: see okot.cli.app.

keyring_app = typer.Typer(help="Master keys of payload encryption (OKOT_KEYRING).",
                          no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(help="The keyring file.")]


@keyring_app.command("init")
def init(
    file: FileArg,
    force: Annotated[bool, typer.Option(help="Overwrite an existing file (its keys are lost: "
                                             "everything they wrapped becomes unreadable).")] = False,
) -> None:
    """Write a new keyring with one master key to FILE (mode 0600)."""

    def body() -> None:
        from okot.crypto.keyring import new_keyring, write_keyring

        if file.exists() and not force:
            fail(f"{file} exists already: rotate it with `okot keyring rotate {file}` "
                 "(or --force to replace it, losing its keys)")
        ring = new_keyring()
        write_keyring(file, ring)
        typer.echo(f"wrote keyring {file} with master key {ring.active_id}; "
                   f"point processes at it with OKOT_KEYRING={file}")

    guard(body)


@keyring_app.command("rotate")
def rotate(file: FileArg) -> None:
    """Add a new master key to FILE and make it the active one (old keys stay)."""

    def body() -> None:
        from okot.crypto.keyring import KeyringError, load_keyring, write_keyring

        try:
            ring = load_keyring(str(file))
        except KeyringError as error:
            fail(str(error), EXIT_TROUBLE)
        rotated = ring.rotated()
        write_keyring(file, rotated)
        typer.echo(f"{file}: active master key now {rotated.active_id} "
                   f"({len(rotated.keys)} keys); restart the processes that use it")

    guard(body)


def register(app: typer.Typer) -> None:
    app.add_typer(keyring_app, name="keyring")
