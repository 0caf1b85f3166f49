"""The client register: who a case's client is (name, VDAB client number).

The client's identity lives only in the project's database, keyed by
``case_id``, and is joined in when a page or an API answer is rendered for an
authorized caller (``shared/domain.md``, "Client identity"). The encrypted
register itself is another piece of work; until it exists, :func:`client_of`
answers None and the pages show the case id only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import inspect
from sqlalchemy.engine import Engine


@dataclass(frozen=True)
class ClientIdentity:
    name: str
    vdab_client_number: str | None = None


def client_of(engine: Engine, case_id: str) -> ClientIdentity | None:
    """The client of ``case_id``, or None when the register has no entry (or does not exist)."""
    if not inspect(engine).has_table("client"):
        return None
    return None  # the register's schema arrives with it; nothing is invented here
