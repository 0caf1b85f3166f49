"""The append-only register of recorded histories: the manifests in tests/histories.

Every recorded history (``<version>/<name>.json``) has one line
``<sha256>  <version>/<name>.json`` (the ``sha256sum`` format) in a manifest:
``tests/histories/MANIFEST``, frozen as it was when the version folders got their own
(0.1.0, 0.2.0 and the first two 0.3.0 histories), and for every history recorded since
the version folder's own ``<version>/MANIFEST``, so that a released version's folder,
manifest included, never changes again. Histories are the only guard that
trajectories running for years still replay, so a listed history is never edited,
regenerated or deleted, and a manifest only grows while its version is developed.
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


def manifests(root: Path = HISTORIES) -> list[Path]:
    """The top-level manifest (0.1.0, 0.2.0) and each version folder's own."""
    top = root / MANIFEST.name
    return [*([top] if top.exists() else []), *sorted(root.glob(f"*/{MANIFEST.name}"))]


def read_manifests(root: Path = HISTORIES) -> list[tuple[str, str]]:
    """(sha256, relative path) of every manifest's lines, in order."""
    return [entry for manifest in manifests(root) for entry in read_manifest(manifest)]


def manifest_for(path: Path) -> Path:
    """Where a history's line goes: its version folder's own manifest."""
    return path.parent / MANIFEST.name


def recorded_files(root: Path = HISTORIES) -> list[Path]:
    """Every history on disk, in every version folder."""
    return sorted(root.glob("*/*.json"))


def append(path: Path, root: Path = HISTORIES) -> None:
    with manifest_for(path).open("a") as out:
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
