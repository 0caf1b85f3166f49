"""The append-only register of recorded histories: tests/histories/MANIFEST.

Every recorded history (``<version>/<name>.json``) has one line
``<sha256>  <version>/<name>.json`` (the ``sha256sum`` format). Histories are
the only guard that trajectories running for years still replay, so a listed
history is never edited, regenerated or deleted, and the manifest only grows.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import okot

HISTORIES = Path(__file__).parent / "histories"
MANIFEST = HISTORIES / "MANIFEST"
CURRENT_VERSION = okot.__version__
"""New histories are recorded into the folder of the version being developed."""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def relative(path: Path, root: Path = HISTORIES) -> str:
    return path.relative_to(root).as_posix()


def manifest_line(path: Path, root: Path = HISTORIES) -> str:
    return f"{sha256(path)}  {relative(path, root)}\n"


def read_manifest(manifest: Path = MANIFEST) -> list[tuple[str, str]]:
    """(sha256, relative path) per line, in the order they were appended."""
    entries = []
    for number, line in enumerate(manifest.read_text().splitlines(), start=1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or not name:
            raise ValueError(f"{manifest.name} line {number}: expected '<sha256>  <version>/<name>.json'")
        entries.append((digest, name))
    return entries


def recorded_files(root: Path = HISTORIES) -> list[Path]:
    """Every history on disk, in every version folder."""
    return sorted(root.glob("*/*.json"))


def append(path: Path, root: Path = HISTORIES) -> None:
    with (root / MANIFEST.name).open("a") as out:
        out.write(manifest_line(path, root))


def target(name: str, root: Path = HISTORIES) -> Path:
    """Where a new history called ``name`` is recorded; refuses to overwrite one."""
    path = root / CURRENT_VERSION / f"{name}.json"
    if path.exists():
        raise FileExistsError(
            f"{relative(path, root)} already exists; recorded histories are append-only: "
            "record the new behaviour under a new name instead"
        )
    return path
