"""Write ``okot/domain/holiday_table.py``: Belgian public holidays of the precomputed
years, from the ``holidays`` library.

The calendar reads that table instead of asking the library at import (importing the
library takes about a quarter of a second: every ``okot`` command and every worker
paid it). ``tests/test_calendar.py`` checks the table against the library, so a
library upgrade that changes a holiday fails there; then run

    .venv/bin/python -m okot_dev.holiday_table
"""

from __future__ import annotations

from pathlib import Path

import holidays

from okot.domain.values import EARLIEST_DAY, LATEST_DAY
from okot.paths import PROJECT_ROOT

TARGET = PROJECT_ROOT / "okot" / "domain" / "holiday_table.py"
DEADLINE_MARGIN_YEARS = 10
"""How far a deadline may fall after the latest date a message may carry (the
longest policy periods add up to about five years)."""
FIRST_YEAR, LAST_YEAR = EARLIEST_DAY.year, LATEST_DAY.year + DEADLINE_MARGIN_YEARS


def table_source() -> str:
    by_year: dict[int, list[tuple[int, int]]] = {y: [] for y in range(FIRST_YEAR, LAST_YEAR + 1)}
    for day in holidays.country_holidays("BE", years=range(FIRST_YEAR, LAST_YEAR + 1)):
        by_year[day.year].append((day.month, day.day))
    lines = [
        "# ruff: noqa: E501",
        '"""Belgian public holidays, (month, day) per year: a table of data written by',
        "``python -m okot_dev.holiday_table`` from the ``holidays`` library (country BE);",
        "``tests/test_calendar.py`` checks it against the library. Do not edit by hand.",
        "The library knows no holidays after 2100: those years count weekends only.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        f"FIRST_YEAR = {FIRST_YEAR}",
        f"LAST_YEAR = {LAST_YEAR}",
        "",
        "BELGIAN_HOLIDAYS: dict[int, tuple[tuple[int, int], ...]] = {",
    ]
    for year, days in by_year.items():
        lines.append(f"    {year}: {tuple(sorted(days))!r},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> None:
    Path(TARGET).write_text(table_source(), encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
