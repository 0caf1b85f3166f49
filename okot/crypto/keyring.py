"""The keyring: master keys that wrap the data keys, one of them active.

``OKOT_KEYRING`` is the path of a keyring file or the keyring itself (its JSON,
for secret stores that hand out values, not files)::

    {"version": 1, "active": "mk-20261128-1a2b3c",
     "keys": [{"id": "mk-20261128-1a2b3c", "key": "<base64 of 32 bytes>",
               "created": "2026-11-28T22:00:00+00:00"}]}

New data keys are wrapped with the active master key; every key of the ring
unwraps the data keys it wrapped, so after ``okot keyring rotate`` old
histories still decode. Never remove a master key while data keys wrapped by it
are in use. ``repr`` and ``str`` of a keyring never show a key.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from okot.crypto import aead

VERSION = 1


class KeyringError(ValueError):
    """The keyring is missing, unreadable or malformed (one line, never a key)."""


@dataclass(frozen=True)
class MasterKey:
    id: str
    secret: bytes = field(repr=False)
    created: datetime


@dataclass(frozen=True)
class Keyring:
    keys: tuple[MasterKey, ...]
    active_id: str

    def __post_init__(self) -> None:
        ids = [key.id for key in self.keys]
        if len(set(ids)) != len(ids):
            raise KeyringError("keyring: a master key id appears twice")
        if self.active_id not in ids:
            raise KeyringError(f"keyring: the active key {self.active_id!r} is not among its keys")

    @property
    def active(self) -> MasterKey:
        return self.get(self.active_id)

    def get(self, key_id: str) -> MasterKey:
        for key in self.keys:
            if key.id == key_id:
                return key
        raise KeyringError(
            f"master key {key_id!r} is not in the keyring (it holds {', '.join(self.ids)})"
        )

    @property
    def ids(self) -> list[str]:
        return [key.id for key in self.keys]

    def wrap(self, data_key: bytes, aad: bytes) -> tuple[str, bytes]:
        """``data_key`` sealed with the active master key: (master key id, blob)."""
        return self.active_id, aead.seal(self.active.secret, data_key, aad)

    def unwrap(self, master_id: str, blob: bytes, aad: bytes) -> bytes:
        return aead.open_sealed(self.get(master_id).secret, blob, aad)

    def rotated(self) -> Keyring:
        """This keyring plus a new master key, which becomes the active one."""
        key = new_master_key()
        return Keyring(keys=(*self.keys, key), active_id=key.id)

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": VERSION,
                "active": self.active_id,
                "keys": [
                    {"id": k.id, "key": base64.b64encode(k.secret).decode(),
                     "created": k.created.isoformat()}
                    for k in self.keys
                ],
            },
            indent=2,
        ) + "\n"


def new_master_key() -> MasterKey:
    now = datetime.now(UTC)
    return MasterKey(
        id=f"mk-{now:%Y%m%d}-{secrets.token_hex(3)}", secret=aead.new_key(), created=now
    )


def new_keyring() -> Keyring:
    key = new_master_key()
    return Keyring(keys=(key,), active_id=key.id)


def parse_keyring(text: str, where: str = "the keyring") -> Keyring:
    """A keyring from its JSON; a :class:`KeyringError` naming what is wrong."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise KeyringError(f"{where} is not JSON (line {error.lineno})") from None
    if not isinstance(raw, dict) or raw.get("version") != VERSION:
        raise KeyringError(f"{where} is not a version {VERSION} okot keyring")
    entries = raw.get("keys")
    if not isinstance(entries, list) or not entries:
        raise KeyringError(f"{where} has no master keys (\"keys\" must be a non-empty list)")
    keys = []
    for n, entry in enumerate(entries, 1):
        try:
            secret = base64.b64decode(entry["key"], validate=True)
            key = MasterKey(id=str(entry["id"]), secret=secret,
                            created=datetime.fromisoformat(entry["created"]))
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise KeyringError(
                f"{where}: master key {n} needs \"id\", \"key\" (base64) and \"created\" (ISO)"
            ) from None
        if len(secret) != aead.KEY_BYTES:
            raise KeyringError(f"{where}: master key {key.id!r} is not {aead.KEY_BYTES} bytes")
        keys.append(key)
    return Keyring(keys=tuple(keys), active_id=str(raw.get("active")))


def load_keyring(source: str) -> Keyring:
    """The keyring of ``OKOT_KEYRING``: its JSON itself, or the path of a keyring file."""
    if source.lstrip().startswith("{"):
        return parse_keyring(source, "OKOT_KEYRING")
    path = Path(source).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise KeyringError(
            f"cannot read the keyring file {path}: {error.strerror or error}; "
            "create one with `okot keyring init FILE`"
        ) from None
    return parse_keyring(text, f"keyring file {path}")


def write_keyring(path: Path, keyring: Keyring) -> None:
    """Write ``keyring`` to ``path`` (mode 0600), atomically (a temporary file, then rename)."""
    path = path.expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(keyring.to_json())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
