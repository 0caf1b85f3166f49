"""The output formats of the management report (``okot report --format``).

Apart from :mod:`okot.db.report_export` so that the CLI can offer the choice
without importing the database layer.
"""

from __future__ import annotations

from enum import StrEnum


class ReportFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    XLSX = "xlsx"
