"""Where the project lives on disk: its root and ``var/`` (data of the local setup).

Apart from :mod:`okot.settings` so that modules that only need a path (the ``okot dev``
command's defaults) do not load pydantic-settings.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"
