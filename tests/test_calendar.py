"""Belgian working days, month arithmetic and Brussels local time."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okot.domain.calendar import (
    BRUSSELS,
    add_months,
    add_working_days,
    due_at,
    is_holiday,
    is_working_day,
    local_date,
    next_working_day,
    working_days_between,
)

UTC = ZoneInfo("UTC")

HOLIDAYS_2026 = [
    date(2026, 1, 1),  # New Year, Thursday
    date(2026, 4, 6),  # Easter Monday
    date(2026, 5, 1),  # Labour Day, Friday
    date(2026, 5, 14),  # Ascension, Thursday
    date(2026, 5, 25),  # Whit Monday
    date(2026, 7, 21),  # National Day, Tuesday
    date(2026, 8, 15),  # Assumption, Saturday
    date(2026, 11, 1),  # All Saints, Sunday
    date(2026, 11, 11),  # Armistice, Wednesday
    date(2026, 12, 25),  # Christmas, Friday
]


@pytest.mark.parametrize("day", HOLIDAYS_2026, ids=str)
def test_belgian_public_holidays(day: date) -> None:
    assert is_holiday(day)
    assert not is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 4, 21),  # Easter Monday 2025
        date(2025, 7, 21),
        date(2025, 8, 15),
        date(2025, 11, 11),
        date(2025, 12, 25),
        date(2027, 3, 29),  # Easter Monday 2027
        date(2027, 11, 1),
    ],
    ids=str,
)
def test_holidays_of_other_years(day: date) -> None:
    assert is_holiday(day) and not is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 4, 3),  # Good Friday is not a public holiday in Belgium
        date(2026, 12, 24),
        date(2026, 12, 28),
        date(2026, 7, 20),
        date(2026, 11, 10),
        date(2026, 11, 12),
    ],
    ids=str,
)
def test_ordinary_weekdays_are_working_days(day: date) -> None:
    assert not is_holiday(day)
    assert is_working_day(day)


def test_weekends_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 3, 7))  # Saturday
    assert not is_working_day(date(2026, 3, 8))  # Sunday
    assert not is_holiday(date(2026, 3, 7))
    week = [date(2026, 3, 2) + timedelta(days=i) for i in range(7)]
    assert [is_working_day(d) for d in week] == [True] * 5 + [False] * 2


def test_next_working_day() -> None:
    assert next_working_day(date(2026, 3, 4)) == date(2026, 3, 4)  # a Wednesday stays
    assert next_working_day(date(2026, 3, 7)) == date(2026, 3, 9)  # Saturday -> Monday
    assert next_working_day(date(2026, 4, 4)) == date(2026, 4, 7)  # Sat before Easter Monday
    assert next_working_day(date(2026, 4, 6)) == date(2026, 4, 7)  # Easter Monday
    assert next_working_day(date(2026, 11, 11)) == date(2026, 11, 12)
    assert next_working_day(date(2026, 8, 15)) == date(2026, 8, 17)
    assert next_working_day(date(2026, 12, 25)) == date(2026, 12, 28)
    assert next_working_day(date(2026, 5, 1)) == date(2026, 5, 4)
    assert next_working_day(date(2026, 12, 31)) == date(2026, 12, 31)
    assert next_working_day(date(2027, 1, 1)) == date(2027, 1, 4)  # New Year on a Friday


def test_add_working_days_simple() -> None:
    assert add_working_days(date(2026, 3, 2), 1) == date(2026, 3, 3)
    assert add_working_days(date(2026, 3, 2), 5) == date(2026, 3, 9)
    assert add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)  # Friday -> Monday
    assert add_working_days(date(2026, 3, 7), 1) == date(2026, 3, 9)  # from a Saturday
    assert add_working_days(date(2026, 3, 2), 20) == date(2026, 3, 30)


def test_add_working_days_zero_is_next_working_day() -> None:
    assert add_working_days(date(2026, 3, 4), 0) == date(2026, 3, 4)
    assert add_working_days(date(2026, 4, 6), 0) == date(2026, 4, 7)


def test_add_working_days_refuses_negative() -> None:
    with pytest.raises(ValueError, match="zero or more"):
        add_working_days(date(2026, 3, 4), -1)


@pytest.mark.parametrize(
    ("start", "count", "expected"),
    [
        (date(2026, 4, 1), 5, date(2026, 4, 9)),  # crosses Easter Monday 6 April
        (date(2026, 4, 3), 1, date(2026, 4, 7)),  # Friday + 1 skips weekend and Easter Monday
        (date(2026, 4, 30), 1, date(2026, 5, 4)),  # 1 May on a Friday
        (date(2026, 5, 13), 1, date(2026, 5, 15)),  # Ascension
        (date(2026, 7, 20), 1, date(2026, 7, 22)),  # 21 July on a Tuesday
        (date(2026, 11, 10), 1, date(2026, 11, 12)),  # 11 November on a Wednesday
        (date(2026, 11, 4), 5, date(2026, 11, 12)),
        (date(2026, 12, 24), 1, date(2026, 12, 28)),  # Christmas on a Friday
        (date(2026, 12, 24), 5, date(2027, 1, 4)),  # ... and New Year on a Friday
        (date(2026, 10, 19), 20, date(2026, 11, 17)),
        (date(2025, 8, 14), 1, date(2025, 8, 18)),  # 15 August 2025 on a Friday
    ],
)
def test_add_working_days_across_holidays(start: date, count: int, expected: date) -> None:
    assert add_working_days(start, count) == expected
    assert is_working_day(expected)
    assert working_days_between(start, expected) == count


def test_working_days_between() -> None:
    assert working_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
    assert working_days_between(date(2026, 3, 9), date(2026, 3, 2)) == 0
    assert working_days_between(date(2026, 3, 2), date(2026, 3, 9)) == 5
    assert working_days_between(date(2026, 4, 3), date(2026, 4, 7)) == 1


def test_a_deadline_on_a_holiday_moves_to_the_next_working_day() -> None:
    # a month after 11 October is 11 November; a deadline there is due on the 12th
    raw = add_months(date(2026, 10, 11), 1)
    assert raw == date(2026, 11, 11)
    assert next_working_day(raw) == date(2026, 11, 12)
    assert next_working_day(add_months(date(2026, 3, 6), 1)) == date(2026, 4, 7)
    assert next_working_day(add_months(date(2026, 6, 21), 1)) == date(2026, 7, 22)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 6, 30), 6, date(2026, 12, 30)),
        (date(2026, 6, 30), 12, date(2027, 6, 30)),
        (date(2026, 10, 15), 3, date(2027, 1, 15)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 5, 17), 0, date(2026, 5, 17)),
        (date(2026, 1, 31), 25, date(2028, 2, 29)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_last_day(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # winter time, UTC+1
        (datetime(2026, 3, 28, 22, 59, tzinfo=UTC), date(2026, 3, 28)),
        (datetime(2026, 3, 28, 23, 0, tzinfo=UTC), date(2026, 3, 29)),
        # clocks go forward at 01:00 UTC on 29 March 2026; summer time, UTC+2
        (datetime(2026, 3, 29, 21, 59, tzinfo=UTC), date(2026, 3, 29)),
        (datetime(2026, 3, 29, 22, 0, tzinfo=UTC), date(2026, 3, 30)),
        (datetime(2026, 10, 24, 22, 0, tzinfo=UTC), date(2026, 10, 25)),  # still CEST
        # clocks go back at 01:00 UTC on 25 October 2026; winter time again
        (datetime(2026, 10, 25, 22, 30, tzinfo=UTC), date(2026, 10, 25)),
        (datetime(2026, 10, 25, 23, 0, tzinfo=UTC), date(2026, 10, 26)),
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), date(2027, 1, 1)),
        (datetime(2026, 7, 1, 1, 0, tzinfo=ZoneInfo("America/New_York")), date(2026, 7, 1)),
        (datetime(2026, 7, 1, 23, 0, tzinfo=ZoneInfo("America/New_York")), date(2026, 7, 2)),
    ],
    ids=str,
)
def test_local_date_is_the_date_in_brussels(moment: datetime, expected: date) -> None:
    assert local_date(moment) == expected


def test_local_date_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        local_date(datetime(2026, 3, 2, 10, 0))


def test_due_at_is_nine_in_brussels_in_winter_and_summer() -> None:
    winter = due_at(date(2026, 3, 27))
    summer = due_at(date(2026, 3, 30))
    assert winter.tzinfo is not None and summer.tzinfo is not None
    assert winter.astimezone(BRUSSELS).hour == 9 and summer.astimezone(BRUSSELS).hour == 9
    assert winter.astimezone(UTC) == datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    assert summer.astimezone(UTC) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert due_at(date(2026, 10, 26)).astimezone(UTC) == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert local_date(due_at(date(2026, 11, 12))) == date(2026, 11, 12)


def _counted_day_by_day(start: date, end: date) -> int:
    """The definition: working days in (start, end], one day at a time."""
    return sum(
        is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1)
    )


@settings(deadline=None)  # years outside the table ask the holidays library, slowly at first
@given(
    start=st.dates(min_value=date(1995, 1, 1), max_value=date(2105, 12, 31)),
    span=st.integers(min_value=-400, max_value=1500),
)
def test_working_days_between_matches_counting_day_by_day(start: date, span: int) -> None:
    end = start + timedelta(days=span)
    assert working_days_between(start, end) == _counted_day_by_day(start, end)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2000, 1, 1), date(2000, 1, 1)),
        (date(1999, 12, 31), date(2000, 1, 10)),  # starts before the precomputed years
        (date(2000, 1, 1), date(2100, 12, 31)),  # all of them
        (date(2100, 12, 20), date(2101, 1, 10)),  # ends after them
    ],
    ids=str,
)
def test_working_days_between_at_the_edges_of_the_precomputed_years(start: date, end: date) -> None:
    assert working_days_between(start, end) == _counted_day_by_day(start, end)


def test_the_holiday_table_is_the_librarys() -> None:
    """okot/domain/holiday_table.py is what `python -m okot_dev.holiday_table` writes
    from the installed `holidays` library (rerun it when this fails after an upgrade)."""
    from okot_dev.holiday_table import TARGET, table_source

    assert TARGET.read_text(encoding="utf-8") == table_source()


def test_importing_the_calendar_does_not_import_the_holidays_library() -> None:
    import subprocess
    import sys

    code = "import sys, okot.domain.calendar; print('holidays' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"
