"""Unit tests for the Beijing business window and the solution deadline."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from disputes.sla import BEIJING, in_business_window, solution_due_at, to_beijing

NEW_YORK = ZoneInfo("America/New_York")


def bj(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


# --- in_business_window: half-open [09:00, 18:00) in Beijing wall time ---------------------------


def test_one_second_before_opening_is_outside() -> None:
    assert in_business_window(bj(2025, 6, 10, 8, 59, 59)) is False


def test_opening_instant_is_inside() -> None:
    assert in_business_window(bj(2025, 6, 10, 9, 0, 0)) is True


def test_one_second_before_closing_is_inside() -> None:
    assert in_business_window(bj(2025, 6, 10, 17, 59, 59)) is True


def test_last_microsecond_before_closing_is_inside() -> None:
    assert in_business_window(bj(2025, 6, 10, 17, 59, 59, 999999)) is True


def test_closing_instant_is_outside() -> None:
    assert in_business_window(bj(2025, 6, 10, 18, 0, 0)) is False


def test_weekend_and_holiday_are_not_excluded() -> None:
    # Saturday 2025-06-14 and National Day 2025-10-01: the window applies every day.
    assert in_business_window(bj(2025, 6, 14, 10, 0)) is True
    assert in_business_window(bj(2025, 10, 1, 10, 0)) is True


def test_utc_input_judged_in_beijing_time() -> None:
    # 02:30 UTC is 10:30 in Beijing (UTC+8): inside, although 02:30 is not a business hour in UTC.
    assert in_business_window(datetime(2025, 6, 10, 2, 30, tzinfo=UTC)) is True
    # 12:00 UTC is 20:00 in Beijing: outside, although noon looks like a business hour in UTC.
    assert in_business_window(datetime(2025, 6, 10, 12, 0, tzinfo=UTC)) is False


def test_utc_boundaries() -> None:
    # Beijing 09:00 == 01:00 UTC, Beijing 18:00 == 10:00 UTC.
    assert in_business_window(datetime(2025, 6, 10, 0, 59, 59, tzinfo=UTC)) is False
    assert in_business_window(datetime(2025, 6, 10, 1, 0, 0, tzinfo=UTC)) is True
    assert in_business_window(datetime(2025, 6, 10, 9, 59, 59, tzinfo=UTC)) is True
    assert in_business_window(datetime(2025, 6, 10, 10, 0, 0, tzinfo=UTC)) is False


def test_other_zone_crossing_midnight() -> None:
    # Mon 2025-06-09 21:30 EDT (UTC-4) == Tue 01:30 UTC == Tue 09:30 Beijing.
    assert in_business_window(datetime(2025, 6, 9, 21, 30, tzinfo=NEW_YORK)) is True


def test_custom_window() -> None:
    kwargs = {"start": time(10, 0), "end": time(12, 0)}
    assert in_business_window(bj(2025, 6, 10, 9, 59, 59), **kwargs) is False
    assert in_business_window(bj(2025, 6, 10, 10, 0), **kwargs) is True
    assert in_business_window(bj(2025, 6, 10, 11, 59, 59), **kwargs) is True
    assert in_business_window(bj(2025, 6, 10, 12, 0), **kwargs) is False


@pytest.mark.parametrize(("start", "end"), [(time(18, 0), time(9, 0)), (time(9, 0), time(9, 0))])
def test_empty_or_inverted_window_refused(start: time, end: time) -> None:
    with pytest.raises(ValueError, match="must be before"):
        in_business_window(bj(2025, 6, 10, 10, 0), start=start, end=end)


def test_naive_datetime_refused_by_window() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        in_business_window(datetime(2025, 6, 10, 10, 0))


# --- solution_due_at -------------------------------------------------------------------------------


def test_due_one_minute_before_closing() -> None:
    due = solution_due_at(bj(2025, 6, 10, 17, 59), sla=timedelta(hours=1))
    assert due == bj(2025, 6, 10, 18, 59)
    assert due is not None and due.tzinfo is BEIJING


def test_due_at_opening() -> None:
    assert solution_due_at(bj(2025, 6, 10, 9, 0), sla=timedelta(hours=1)) == bj(2025, 6, 10, 10, 0)


def test_due_keeps_input_timezone() -> None:
    # 09:59 UTC == 17:59 Beijing: inside; due one hour later, still expressed in UTC.
    due = solution_due_at(datetime(2025, 6, 10, 9, 59, tzinfo=UTC), sla=timedelta(hours=1))
    assert due == datetime(2025, 6, 10, 10, 59, tzinfo=UTC)
    assert due is not None and due.tzinfo is UTC


@pytest.mark.parametrize(
    "raised_at",
    [
        bj(2025, 6, 10, 18, 0),
        bj(2025, 6, 10, 8, 59, 59),
        bj(2025, 6, 10, 23, 30),
        datetime(2025, 6, 10, 12, 0, tzinfo=UTC),  # 20:00 Beijing
    ],
)
def test_no_due_outside_window(raised_at: datetime) -> None:
    assert solution_due_at(raised_at, sla=timedelta(hours=1)) is None


def test_sla_is_elapsed_time_across_dst() -> None:
    # New York springs forward at 2025-03-09 02:00 EST -> 03:00 EDT (07:00 UTC).
    # 01:30 EST == 06:30 UTC == 14:30 Beijing (inside). One elapsed hour later is 03:30 EDT.
    due = solution_due_at(datetime(2025, 3, 9, 1, 30, tzinfo=NEW_YORK), sla=timedelta(hours=1))
    assert due is not None
    assert (due.year, due.month, due.day, due.hour, due.minute) == (2025, 3, 9, 3, 30)
    assert due.utcoffset() == timedelta(hours=-4)
    assert due.astimezone(UTC) == datetime(2025, 3, 9, 7, 30, tzinfo=UTC)


def test_custom_window_for_due() -> None:
    raised = bj(2025, 6, 10, 11, 0)
    assert solution_due_at(raised, sla=timedelta(hours=2), start=time(12), end=time(13)) is None
    assert solution_due_at(raised, sla=timedelta(hours=2), start=time(11), end=time(13)) == bj(2025, 6, 10, 13, 0)


def test_negative_sla_refused() -> None:
    with pytest.raises(ValueError, match="sla"):
        solution_due_at(bj(2025, 6, 10, 10, 0), sla=timedelta(minutes=-1))


def test_naive_datetime_refused_by_due() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        solution_due_at(datetime(2025, 6, 10, 10, 0), sla=timedelta(hours=1))


# --- to_beijing --------------------------------------------------------------------------------------


def test_to_beijing_converts_utc() -> None:
    converted = to_beijing(datetime(2025, 6, 10, 16, 30, tzinfo=UTC))
    assert converted.tzinfo is BEIJING
    assert (converted.date().isoformat(), converted.time()) == ("2025-06-11", time(0, 30))


def test_to_beijing_refuses_naive() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        to_beijing(datetime(2025, 6, 10, 16, 30))
