"""Which build of okot-flow a worker runs: its Temporal build id.

``OKOT_BUILD_ID`` when set (a deploy pipeline passes its own), otherwise the
package version plus the git commit of the checkout (``0.3.0+1a2b3c4d5e6f``),
or the version alone outside a git checkout. The worker passes it to Temporal
(it is recorded on every workflow task it completes, so a history shows which
build wrote it) and shows it in its start log line.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import okot
from okot.settings import PROJECT_ROOT, Settings


def git_commit(root: Path = PROJECT_ROOT) -> str | None:
    """The short commit of the checkout at ``root``, or None when there is none."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=root, capture_output=True,
            text=True, timeout=5, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def build_id(settings: Settings, root: Path = PROJECT_ROOT) -> str:
    if settings.build_id:
        return settings.build_id
    commit = git_commit(root)
    return f"{okot.__version__}+{commit}" if commit else okot.__version__
