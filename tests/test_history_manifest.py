"""Recorded histories are append-only: the manifests in tests/histories guard them.

A history in the manifest that is missing or whose bytes changed fails; so does
a history on disk that the manifest does not list (append it, never rewrite).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from history_manifest import (
    CURRENT_VERSION,
    HISTORIES,
    MANIFEST,
    append,
    manifest_line,
    manifests,
    read_manifest,
    read_manifests,
    recorded_files,
    relative,
    sha256,
    target,
)


def problems(root: Path = HISTORIES) -> list[str]:
    """Every way the histories on disk differ from the append-only manifests."""
    found: list[str] = []
    entries = read_manifests(root)
    listed = [name for _, name in entries]
    for name in sorted({n for n in listed if listed.count(n) > 1}):
        found.append(f"{name} is listed twice in the manifests; a history is recorded once")
    for digest, name in entries:
        path = root / name
        if not path.exists():
            found.append(f"{name} is listed in a manifest but missing: recorded histories "
                         "are never deleted; restore it from git")
        elif sha256(path) != digest:
            found.append(f"{name} was modified: recorded histories are never edited or "
                         "regenerated; restore it from git and record the new behaviour "
                         "under a new name in the current version's folder")
    for path in recorded_files(root):
        name = path.relative_to(root).as_posix()
        if name not in listed:
            found.append(f"{name} is not in a manifest: append its line "
                         f"(cd tests/histories && sha256sum {name} >> "
                         f"{path.parent.name}/{MANIFEST.name})")
    for manifest in manifests(root):
        if manifest.parent != root and any(
                not name.startswith(f"{manifest.parent.name}/") for _, name in read_manifest(manifest)):
            found.append(f"{relative(manifest, root)} lists a history of another version")
    return found


def test_every_recorded_history_is_listed_and_unchanged() -> None:
    assert problems() == []


def test_the_released_histories_are_listed() -> None:
    names = {name for _, name in read_manifests()}
    assert len([n for n in names if n.startswith("0.1.0/")]) == 11
    # the top-level manifest is frozen as it was when the folders got their own (0.1.0,
    # 0.2.0 and the first two 0.3.0 histories); it never grows again
    assert [name for _, name in read_manifest()][-2:] == [
        "0.3.0/lean_effects_updates.json", "0.3.0/lean_effects_full_path.json"]
    assert len(read_manifest()) == 33


# The guard itself, on a copy: it must be able to fail.

@pytest.fixture
def copy(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "histories"
    for path in [*recorded_files(), *manifests()]:
        dest = root / path.relative_to(HISTORIES)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(path.read_bytes())
    return root, root / "MANIFEST"


def test_guard_fails_on_a_modified_history(copy: tuple[Path, Path]) -> None:
    root, _manifest = copy
    path = root / "0.1.0" / "continue_as_new.json"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\n ", 1))
    assert problems(root) == [
        "0.1.0/continue_as_new.json was modified: recorded histories are never edited or "
        "regenerated; restore it from git and record the new behaviour under a new name "
        "in the current version's folder"
    ]


def test_guard_fails_on_a_deleted_history(copy: tuple[Path, Path]) -> None:
    root, _manifest = copy
    (root / "0.1.0" / "screening_rejected.json").unlink()
    [problem] = problems(root)
    assert problem.startswith("0.1.0/screening_rejected.json is listed in a manifest but missing")


def test_guard_fails_on_an_unlisted_history_and_says_how_to_append(copy: tuple[Path, Path]) -> None:
    root, manifest = copy
    new = root / "0.2.0" / "new_path.json"
    new.parent.mkdir(exist_ok=True)
    new.write_text("{}")
    [problem] = problems(root)
    assert "0.2.0/new_path.json is not in a manifest" in problem
    assert "sha256sum 0.2.0/new_path.json >> 0.2.0/MANIFEST" in problem
    append(new, root)  # what the message tells the developer to do
    assert problems(root) == []
    assert manifest.read_bytes() == MANIFEST.read_bytes()  # the frozen one is untouched


def test_guard_fails_on_a_history_listed_twice(copy: tuple[Path, Path]) -> None:
    root, manifest = copy
    first = manifest.read_text().splitlines(keepends=True)[0]
    with manifest.open("a") as out:
        out.write(first)
    [problem] = problems(root)
    assert "listed twice" in problem


def test_guard_fails_on_a_history_listed_in_another_versions_manifest(
    copy: tuple[Path, Path],
) -> None:
    root, manifest = copy
    first = manifest.read_text().splitlines(keepends=True)[0]  # a 0.1.0 history
    with (root / CURRENT_VERSION / "MANIFEST").open("a") as out:
        out.write(first)
    assert f"{CURRENT_VERSION}/MANIFEST lists a history of another version" in problems(root)


def test_manifest_lines_are_sha256sum_format() -> None:
    lines = [line for m in manifests() for line in m.read_text().splitlines(keepends=True)]
    for path in recorded_files():
        assert manifest_line(path) in lines
        assert manifest_line(path) == f"{sha256(path)}  {relative(path)}\n"


def test_malformed_manifest_line_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "MANIFEST"
    manifest.write_text("abc 0.1.0/x.json\n")
    with pytest.raises(ValueError, match=r"line 1: expected '<sha256>  <version>/<name>\.json'"):
        read_manifest(manifest)


def test_recorder_writes_into_the_current_version_and_never_overwrites(
    copy: tuple[Path, Path],
) -> None:
    root, _manifest = copy
    path = target("recorded_once", root)
    assert path == root / CURRENT_VERSION / "recorded_once.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text("{}")
    append(path, root)
    assert problems(root) == []
    with pytest.raises(FileExistsError, match=r"recorded_once\.json already exists; .*append-only"):
        target("recorded_once", root)


def test_the_current_version_is_not_a_released_one() -> None:
    released = {name.split("/")[0] for _, name in read_manifest()}  # the frozen manifest
    assert "0.1.0" in released
    assert CURRENT_VERSION != "0.1.0"
