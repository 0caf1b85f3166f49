"""The tree shows the architecture: the README's layout table matches it, and no
module outgrows one job (400 lines, tables of data excepted)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("okot", "okot_dev", "workflows", "activities")
MAX_LINES = 400
DATA_TABLES: frozenset[str] = frozenset()
"""Modules allowed past MAX_LINES because they are tables of data (none today)."""


def _layout_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## Layout")
    return text[start:text.index("\n## ", start + 1)]


def _rows() -> list[set[str]]:
    """Per table row: the paths it names, bare names resolved against its first path's folder."""
    rows = []
    for line in _layout_section().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[1].startswith("`"):
            continue
        first = re.findall(r"`([^`]+)`", cells[1])[0]
        base = first.rstrip("/") if first.endswith("/") else first.rpartition("/")[0]
        paths = set()
        names = re.findall(r"`([^`]+)`", cells[1]) + [
            n for n in re.findall(r"`([^`]+)`", cells[2]) if n.endswith((".py", "/"))]
        for name in names:
            stem = name.rstrip("/")
            paths.add(stem if "/" in stem or name.endswith("/") else f"{base}/{stem}")
        rows.append(paths)
    return rows


def _named(module: str, paths: set[str]) -> bool:
    return any(module == p or (("*" in p) and re.fullmatch(p.replace("*", "[a-z_]*"), module))
               for p in paths)


def _modules() -> list[Path]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if path.name == "__init__.py" or "migrations" in rel.parts:
                continue
            found.append(rel)
    return found


def test_every_path_in_the_layout_table_exists() -> None:
    for paths in _rows():
        for path in paths:
            if "*" in path or not path.startswith((*PACKAGES, "bench", "docker", "Dockerfile")):
                continue
            assert (ROOT / path).exists(), f"README layout names {path}, which is not in the tree"


def test_every_module_is_in_the_layout_table() -> None:
    rows = _rows()
    missing = [m.as_posix() for m in _modules()
               if not any(_named(m.as_posix(), paths) for paths in rows)]
    assert not missing, f"modules missing from the README layout table: {missing}"


def test_no_module_outgrows_one_job() -> None:
    too_long = {
        m.as_posix(): n for m in _modules()
        if m.as_posix() not in DATA_TABLES
        and (n := len((ROOT / m).read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long, f"modules over {MAX_LINES} lines (split them by job): {too_long}"
