"""Open OKOT trajectories: ``python starter.py cohort.csv`` or one case with
``python starter.py --case C --ocmw X --caseworker ID``.

A thin wrapper around the ``okot`` CLI (the same as ``okot import cohort.csv`` and
``okot open``): the CSV parsing lives in :mod:`okot.cli.cohort_csv`, the wiring in
:mod:`okot.cli.starter_app`. Idempotent: a case that already has an open trajectory is
skipped. Exit code 0 when no row failed, 2 otherwise, 1 when Temporal cannot be
reached. See README.md for the CSV columns.
"""

from __future__ import annotations

from okot.cli.starter_app import starter_app

if __name__ == "__main__":
    starter_app()
