"""Who a client is (name, VDAB client number): personal data that lives only in the
encrypted client register (``shared/domain.md``, "Client identity"), never in a
workflow, a log line or a mail. Checking it is pure; errors never echo it."""

from __future__ import annotations

from dataclasses import dataclass, field

NAME_MAX = 200
CLIENT_NUMBER_MAX = 32


class ClientIdentityError(ValueError):
    """A name or client number that cannot be registered (the message never echoes it)."""


@dataclass(frozen=True)
class ClientIdentity:
    """Who the client is. Personal data: ``repr`` hides it; show it to authorized callers."""

    name: str = field(repr=False)
    vdab_client_number: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        name = " ".join(self.name.split())
        if not name or len(name) > NAME_MAX:
            raise ClientIdentityError(f"client name: give 1 to {NAME_MAX} characters")
        object.__setattr__(self, "name", name)
        number = (self.vdab_client_number or "").strip() or None
        if number is not None and (
            len(number) > CLIENT_NUMBER_MAX or not number.replace("-", "").isalnum()
        ):
            raise ClientIdentityError(
                f"VDAB client number: letters, digits and '-' only, at most {CLIENT_NUMBER_MAX}"
            )
        object.__setattr__(self, "vdab_client_number", number)


def identity_from(name: str | None, number: str | None,
                  names: tuple[str, str] = ("client_name", "vdab_client_number"),
                  ) -> ClientIdentity | None:
    """The identity given at a door (both optional; a number needs a name), or None.

    ``names`` are the door's names of the two fields, for the error message.
    """
    if not (name or "").strip():
        if (number or "").strip():
            raise ClientIdentityError(f"{names[1]} needs {names[0]} as well")
        return None
    return ClientIdentity(name=name or "", vdab_client_number=number)
