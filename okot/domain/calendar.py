"""Belgian working days: weekends and Belgian public holidays are skipped.

Pure functions over dates. The holidays come from the ``holidays`` library
(country BE), through a table of data for 2000-2100; nothing here reads a clock.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from bisect import bisect_right
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from okot.domain.holiday_table import BELGIAN_HOLIDAYS, FIRST_YEAR, LAST_YEAR

BRUSSELS = ZoneInfo("Europe/Brussels")
REMINDER_TIME = time(9, 0)
"""Local time of day at which a deadline falls due (09:00 in Brussels)."""


PRECOMPUTED_YEARS = range(FIRST_YEAR, LAST_YEAR + 1)
"""Years whose holidays are a table of data (:mod:`okot.domain.holiday_table`), so
that workflow code (which runs in Temporal's sandbox, where the library's locale
lookups are not allowed) only reads a table, and importing this module does not
import the library. They cover every date a message or a start may carry
(:data:`~okot.domain.values.EARLIEST_DAY` to :data:`~okot.domain.values.LATEST_DAY`)
and the deadlines that follow (the table runs ten years past the latest)."""

_TABLE = {
    year: frozenset(date(year, month, day) for month, day in days)
    for year, days in BELGIAN_HOLIDAYS.items()
}


@lru_cache(maxsize=64)
def _belgian_holidays(year: int) -> frozenset[date]:
    if year in _TABLE:
        return _TABLE[year]
    import holidays  # only for years outside the table

    return frozenset(holidays.country_holidays("BE", years=year).keys())


def is_holiday(day: date) -> bool:
    return day in _belgian_holidays(day.year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_holiday(day)


def next_working_day(day: date) -> date:
    """``day`` itself when it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, count: int) -> date:
    """The working day ``count`` working days after ``day`` (``count`` >= 0).

    ``add_working_days(d, 0)`` is ``next_working_day(d)``.
    """
    if count < 0:
        raise ValueError("count must be zero or more")
    if count == 0:
        return next_working_day(day)
    while count:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def add_months(day: date, months: int) -> date:
    """Same day of the month ``months`` later, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    last = _stdlib_calendar.monthrange(year, month)[1]
    return date(year, month, min(day.day, last))


_TABLE_START = date(PRECOMPUTED_YEARS.start, 1, 1)
_TABLE_END = date(PRECOMPUTED_YEARS.stop - 1, 12, 31)
_WEEKDAY_HOLIDAYS = tuple(sorted(
    day for days in _TABLE.values() for day in days if day.weekday() < 5))
"""The holidays of the precomputed years that fall on a weekday, in order."""


def _weekdays_through(day: date) -> int:
    """Weekdays from 1 January of year 1 (a Monday) up to and including ``day``."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def _working_days_counted(start: date, end: date) -> int:
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def working_days_between(start: date, end: date) -> int:
    """Working days in the half-open range (start, end]; 0 when end <= start.

    By arithmetic within the precomputed years: the weekdays in the range, less
    the weekday holidays in it (two bisections); counted day by day outside them.
    """
    if end <= start:
        return 0
    if start < _TABLE_START or end > _TABLE_END:
        return _working_days_counted(start, end)
    holidays_in_range = (bisect_right(_WEEKDAY_HOLIDAYS, end)
                         - bisect_right(_WEEKDAY_HOLIDAYS, start))
    return _weekdays_through(end) - _weekdays_through(start) - holidays_in_range


def local_date(moment: datetime) -> date:
    """The calendar date in Brussels at ``moment`` (which must be timezone-aware)."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(BRUSSELS).date()


def due_at(day: date) -> datetime:
    """The moment a deadline on ``day`` falls due: 09:00 in Brussels, as an aware datetime."""
    return datetime.combine(day, REMINDER_TIME, tzinfo=BRUSSELS)
