"""Unit tests for the Chinese working-day calendar (expected dates taken from the State Council notices)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from disputes.sla import BEIJING, add_working_days, is_working_day, working_days_between
from disputes.sla.working_days import _china_calendar


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


# --- is_working_day: 2025 National Day + Mid-Autumn (off Oct 1-8; work Sun Sep 28, Sat Oct 11) ----


@pytest.mark.parametrize("day", [1, 2, 3, 4, 5, 6, 7, 8])
def test_national_day_2025_week_is_off(day: int) -> None:
    assert is_working_day(date(2025, 10, day)) is False


def test_national_day_2025_adjusted_working_weekends() -> None:
    assert is_working_day(date(2025, 9, 28)) is True  # Sunday, make-up working day
    assert is_working_day(date(2025, 10, 11)) is True  # Saturday, make-up working day


def test_national_day_2025_surroundings() -> None:
    assert is_working_day(date(2025, 9, 27)) is False  # ordinary Saturday
    assert is_working_day(date(2025, 9, 29)) is True  # Monday
    assert is_working_day(date(2025, 9, 30)) is True  # Tuesday
    assert is_working_day(date(2025, 10, 9)) is True  # Thursday, first day back
    assert is_working_day(date(2025, 10, 12)) is False  # ordinary Sunday


def test_ordinary_week() -> None:
    # Mon 2025-06-09 .. Sun 2025-06-15, no holiday.
    expected = [True, True, True, True, True, False, False]
    assert [is_working_day(date(2025, 6, 9 + i)) for i in range(7)] == expected


def test_spring_festival_2025() -> None:
    # Off Tue Jan 28 .. Tue Feb 4; make-up working days Sun Jan 26 and Sat Feb 8.
    assert is_working_day(date(2025, 1, 26)) is True
    assert is_working_day(date(2025, 1, 27)) is True
    for day in (date(2025, 1, 28) + timedelta(days=i) for i in range(8)):
        assert is_working_day(day) is False, day
    assert is_working_day(date(2025, 2, 5)) is True
    assert is_working_day(date(2025, 2, 8)) is True


def test_spring_festival_2026() -> None:
    # Off Sun Feb 15 .. Mon Feb 23 (9 days); make-up working days Sat Feb 14 and Sat Feb 28.
    assert is_working_day(date(2026, 2, 13)) is True
    assert is_working_day(date(2026, 2, 14)) is True
    for day in (date(2026, 2, 15) + timedelta(days=i) for i in range(9)):
        assert is_working_day(day) is False, day
    assert is_working_day(date(2026, 2, 24)) is True
    assert is_working_day(date(2026, 2, 28)) is True


def test_new_year_2026() -> None:
    # Off Thu Jan 1 .. Sat Jan 3; make-up working day Sun Jan 4.
    assert is_working_day(date(2026, 1, 1)) is False
    assert is_working_day(date(2026, 1, 2)) is False
    assert is_working_day(date(2026, 1, 3)) is False
    assert is_working_day(date(2026, 1, 4)) is True


def test_national_day_and_mid_autumn_2026() -> None:
    # Mid-Autumn off Fri Sep 25 .. Sun Sep 27; National Day off Thu Oct 1 .. Wed Oct 7;
    # make-up working days Sun Sep 20 and Sat Oct 10.
    assert is_working_day(date(2026, 9, 20)) is True
    assert is_working_day(date(2026, 9, 25)) is False
    for day in (date(2026, 10, 1) + timedelta(days=i) for i in range(7)):
        assert is_working_day(day) is False, day
    assert is_working_day(date(2026, 10, 8)) is True
    assert is_working_day(date(2026, 10, 10)) is True


def test_2027_statutory_days_only() -> None:
    # No 2027 State Council notice in the library yet: only statutory days are known.
    assert is_working_day(date(2027, 1, 1)) is False  # New Year's Day (Friday)
    assert is_working_day(date(2027, 2, 8)) is False  # 3rd day of Spring Festival (CNY is Feb 6)
    assert is_working_day(date(2027, 10, 1)) is False  # National Day (Friday)
    assert is_working_day(date(2027, 3, 10)) is True  # ordinary Wednesday
    assert is_working_day(date(2027, 3, 13)) is False  # ordinary Saturday


def test_cross_year_make_up_day() -> None:
    # 2002 New Year: Jan 2-3, 2002 off in exchange for working Sat-Sun Dec 29-30, 2001.
    assert is_working_day(date(2001, 12, 29)) is True
    assert is_working_day(date(2001, 12, 30)) is True
    assert is_working_day(date(2002, 1, 2)) is False


def test_calendar_cached_per_year() -> None:
    assert _china_calendar(2025) is _china_calendar(2025)
    assert _china_calendar(2025) is not _china_calendar(2026)


def test_is_working_day_refuses_datetime() -> None:
    with pytest.raises(TypeError, match="not a datetime"):
        is_working_day(bj(2025, 10, 9, 10, 0))  # type: ignore[arg-type]


# --- add_working_days -----------------------------------------------------------------------------


def test_six_working_days_across_national_day_2025() -> None:
    # After Tue Sep 30: Oct 9 (Thu), 10 (Fri), 11 (Sat, adjusted), 13 (Mon), 14 (Tue), 15 (Wed).
    result = add_working_days(bj(2025, 9, 30, 10, 0), 6)
    assert result == bj(2025, 10, 15, 10, 0)
    assert result.tzinfo is BEIJING


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        (1, date(2025, 10, 9)),
        (2, date(2025, 10, 10)),
        (3, date(2025, 10, 11)),
        (4, date(2025, 10, 13)),
        (5, date(2025, 10, 14)),
        (6, date(2025, 10, 15)),
    ],
)
def test_each_step_across_national_day_2025(days: int, expected: date) -> None:
    assert add_working_days(bj(2025, 9, 30, 10, 0), days).date() == expected


def test_six_working_days_plain_weeks() -> None:
    # Mon 2025-06-09 10:00 -> Tue 10, Wed 11, Thu 12, Fri 13, Mon 16, Tue 17.
    assert add_working_days(bj(2025, 6, 9, 10, 0), 6) == bj(2025, 6, 17, 10, 0)


def test_six_working_days_from_saturday() -> None:
    # Sat 2025-06-14 10:00 -> Mon 16, Tue 17, Wed 18, Thu 19, Fri 20, Mon 23.
    assert add_working_days(bj(2025, 6, 14, 10, 0), 6) == bj(2025, 6, 23, 10, 0)


def test_normal_weekend_skipped() -> None:
    # Fri 2025-06-13 15:00 + 1 -> Mon 2025-06-16 15:00.
    assert add_working_days(bj(2025, 6, 13, 15, 0), 1) == bj(2025, 6, 16, 15, 0)


def test_adjusted_working_saturday_counted() -> None:
    # Fri 2025-10-10 + 1 -> Sat 2025-10-11 (make-up working day).
    assert add_working_days(bj(2025, 10, 10, 11, 15), 1) == bj(2025, 10, 11, 11, 15)


def test_adjusted_working_sunday_counted() -> None:
    # Fri 2025-09-26 + 1 -> Sat 27 is off, Sun 2025-09-28 is a make-up working day.
    assert add_working_days(bj(2025, 9, 26, 16, 0), 1) == bj(2025, 9, 28, 16, 0)


def test_spring_festival_2026_span() -> None:
    start = bj(2026, 2, 13, 9, 30)  # Friday before the holiday
    assert add_working_days(start, 1) == bj(2026, 2, 14, 9, 30)  # Sat, adjusted
    assert add_working_days(start, 2) == bj(2026, 2, 24, 9, 30)  # Tue after the 9-day break
    # Feb 14, 24, 25, 26, 27, then Sat Feb 28 (adjusted).
    assert add_working_days(start, 6) == bj(2026, 2, 28, 9, 30)


def test_across_new_year_2026() -> None:
    # Wed 2025-12-31 + 1: Jan 1-3 off, Sun 2026-01-04 is a make-up working day.
    assert add_working_days(bj(2025, 12, 31, 10, 0), 1) == bj(2026, 1, 4, 10, 0)


def test_counts_from_beijing_date_not_utc_date() -> None:
    # 2025-10-10 17:00 UTC is Sat 2025-10-11 01:00 in Beijing. The next working day after
    # Oct 11 is Mon Oct 13 (counting from the UTC date would wrongly give Oct 11).
    result = add_working_days(datetime(2025, 10, 10, 17, 0, tzinfo=UTC), 1)
    assert result == bj(2025, 10, 13, 1, 0)
    assert result.tzinfo is BEIJING


def test_start_on_holiday() -> None:
    # Accepted during the break on Fri 2025-10-03 14:00: first working day is Thu Oct 9.
    assert add_working_days(bj(2025, 10, 3, 14, 0), 1) == bj(2025, 10, 9, 14, 0)


def test_zero_days_returns_start_unchanged() -> None:
    start = datetime(2025, 10, 3, 6, 0, tzinfo=UTC)
    assert add_working_days(start, 0) is start


def test_preserves_seconds_and_microseconds() -> None:
    assert add_working_days(bj(2025, 6, 9, 10, 0, 5, 123), 1) == bj(2025, 6, 10, 10, 0, 5, 123)


def test_negative_days_refused() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        add_working_days(bj(2025, 6, 9, 10, 0), -1)


def test_naive_start_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_days(datetime(2025, 6, 9, 10, 0), 1)


# --- working_days_between -------------------------------------------------------------------------


def test_between_across_national_day_2025() -> None:
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 15)) == 6
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 8)) == 0


def test_between_start_exclusive_end_inclusive() -> None:
    assert working_days_between(date(2025, 10, 10), date(2025, 10, 11)) == 1  # Sat Oct 11 adjusted
    assert working_days_between(date(2025, 10, 9), date(2025, 10, 10)) == 1
    assert working_days_between(date(2025, 6, 8), date(2025, 6, 15)) == 5  # Sun..Sun, plain week


def test_between_empty_ranges() -> None:
    assert working_days_between(date(2025, 6, 10), date(2025, 6, 10)) == 0
    assert working_days_between(date(2025, 6, 17), date(2025, 6, 10)) == 0


def test_between_refuses_datetime() -> None:
    with pytest.raises(TypeError, match="not a datetime"):
        working_days_between(bj(2025, 6, 10, 0, 0), date(2025, 6, 17))  # type: ignore[arg-type]
