"""Periods counted per the Civil Code (Art. 200-204), on real dates checked against chinese_calendar."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

import services.calendar as calendar_module
from services.calendar import (
    HolidayCalendar,
    YearSchedule,
    add_months,
    days_left,
    get_calendar,
    local_day_start,
    period_end,
    remind_before,
)

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
UTC = timezone.utc
CAL = HolidayCalendar()
SAMPLE_2027 = Path(__file__).parent / "data" / "calendar" / "sample_2027.json"  # illustrative, not the official schedule

@pytest.fixture
def library_without_2027(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled schedule ends with 2026 today; keep these tests about an unknown year
    even after a package update adds 2027."""
    covers = calendar_module._library_covers
    monkeypatch.setattr(calendar_module, "_library_covers", lambda year: year != 2027 and covers(year))


needs_2027_uncovered = pytest.mark.usefixtures("library_without_2027")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def end(start: datetime, **kwargs) -> tuple[date, datetime, bool]:
    kwargs.setdefault("tz", SH)
    kwargs.setdefault("calendar", CAL)
    period = period_end(start, **kwargs)
    assert not period.uncertain_years
    return period.last_day, period.due_at, period.extended


def is_rest(day: str) -> bool:
    return not chinese_calendar.is_workday(date.fromisoformat(day))


# --- days ---------------------------------------------------------------------------


def test_seven_days_end_at_midnight_after_the_seventh_day():
    assert end(sh(2025, 3, 5, 10, 0), days=7) == (date(2025, 3, 12), utc(2025, 3, 12, 16, 0), False)


@pytest.mark.parametrize("start", [sh(2025, 3, 5, 0, 0), sh(2025, 3, 5, 23, 59), utc(2025, 3, 4, 16, 0)])
def test_start_day_is_not_counted_whatever_the_time(start):
    assert end(start, days=7)[0] == date(2025, 3, 12)


def test_start_day_is_the_local_day_not_the_utc_day():
    # 15:59Z on Mar 4 is still Mar 4 in Shanghai; one second later it is Mar 5.
    assert end(utc(2025, 3, 4, 15, 59, 59), days=7)[0] == date(2025, 3, 11)
    assert end(utc(2025, 3, 4, 16, 0, 0), days=7)[0] == date(2025, 3, 12)


def test_last_day_on_saturday_moves_to_monday():
    assert is_rest("2025-03-08") and not is_rest("2025-03-10")
    assert end(sh(2025, 3, 1, 9), days=7) == (date(2025, 3, 10), utc(2025, 3, 10, 16), True)


def test_last_day_inside_national_day_moves_to_first_working_day_after():
    assert all(is_rest(f"2025-10-{d:02}") for d in range(1, 9)) and not is_rest("2025-10-09")
    assert end(sh(2025, 9, 26, 9), days=7) == (date(2025, 10, 9), utc(2025, 10, 9, 16), True)


def test_make_up_working_weekend_days_do_not_extend():
    for day in ("2025-09-28", "2025-10-11"):
        assert date.fromisoformat(day).weekday() >= 5 and not is_rest(day)
    assert end(sh(2025, 9, 21, 9), days=7) == (date(2025, 9, 28), utc(2025, 9, 28, 16), False)
    assert end(sh(2025, 10, 4, 9), days=7) == (date(2025, 10, 11), utc(2025, 10, 11, 16), False)


def test_a_period_may_start_on_a_rest_day():
    # Only the last day is moved; days in between count whatever they are.
    assert end(sh(2025, 10, 1, 12), days=10)[0] == date(2025, 10, 11)


# --- months -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 1, 15), 1, date(2025, 2, 15)),
        (date(2025, 11, 30), 3, date(2026, 2, 28)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2025, 12, 15), 14, date(2027, 2, 15)),
    ],
)
def test_add_months_takes_corresponding_day_or_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_one_month_from_january_31_ends_on_last_day_of_february():
    assert not is_rest("2025-02-28") and not is_rest("2024-02-29")
    assert end(sh(2025, 1, 31, 10), months=1) == (date(2025, 2, 28), utc(2025, 2, 28, 16), False)
    assert end(sh(2024, 1, 31, 10), months=1) == (date(2024, 2, 29), utc(2024, 2, 29, 16), False)


def test_month_end_on_a_rest_day_is_extended():
    assert is_rest("2025-11-30") and not is_rest("2025-12-01")
    assert end(sh(2025, 10, 31, 10), months=1) == (date(2025, 12, 1), utc(2025, 12, 1, 16), True)


def test_month_end_on_a_make_up_saturday_is_not_extended():
    assert date(2026, 2, 28).weekday() == 5 and not is_rest("2026-02-28")
    assert end(sh(2026, 1, 31, 10), months=1)[:2] == (date(2026, 2, 28), utc(2026, 2, 28, 16))


def test_three_months():
    assert end(sh(2024, 11, 30, 10), months=3)[0] == date(2025, 2, 28)
    # Apr 5 2025 is Qingming (Saturday) -> Monday Apr 7.
    assert is_rest("2025-04-05") and is_rest("2025-04-06") and not is_rest("2025-04-07")
    assert end(sh(2025, 1, 5, 10), months=3) == (date(2025, 4, 7), utc(2025, 4, 7, 16), True)


def test_six_months():
    assert end(sh(2025, 4, 1, 10), months=6) == (date(2025, 10, 9), utc(2025, 10, 9, 16), True)
    assert end(sh(2025, 3, 31, 10), months=6) == (date(2025, 9, 30), utc(2025, 9, 30, 16), False)


# --- working days -------------------------------------------------------------------


def test_working_days_skip_the_weekend():
    # Thu Mar 6: Fri 7, Mon 10, Tue 11, Wed 12, Thu 13, Fri 14, Mon 17.
    assert end(sh(2025, 3, 6, 10), days=7, working_days=True) == (date(2025, 3, 17), utc(2025, 3, 17, 16), False)


def test_working_days_skip_the_holiday_and_count_make_up_days():
    # Tue Sep 30: Oct 1-8 off; Oct 9, 10, 11 (make-up Saturday), 13, 14, 15, 16.
    assert not is_rest("2025-10-11") and is_rest("2025-10-12")
    assert end(sh(2025, 9, 30, 10), days=7, working_days=True)[0] == date(2025, 10, 16)
    assert end(sh(2025, 9, 30, 10), days=7)[0] == date(2025, 10, 9)


def test_working_days_in_months_is_refused():
    with pytest.raises(ValueError):
        period_end(sh(2025, 3, 5), months=1, working_days=True, tz=SH, calendar=CAL)


@pytest.mark.parametrize("kwargs", [{}, {"days": 3, "months": 1}, {"days": -1}, {"months": -2}])
def test_exactly_one_positive_length(kwargs):
    with pytest.raises(ValueError):
        period_end(sh(2025, 3, 5), tz=SH, calendar=CAL, **kwargs)


def test_naive_start_is_refused():
    with pytest.raises(ValueError):
        period_end(datetime(2025, 3, 5, 10), days=7, tz=SH, calendar=CAL)


# --- years chinese_calendar does not cover ------------------------------------------


def test_chinese_calendar_coverage_is_what_knows_year_reports():
    assert CAL.knows_year(2004) and CAL.knows_year(2025) and CAL.knows_year(2026)
    assert not CAL.knows_year(2003)
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2003, 12, 31))


@needs_2027_uncovered
def test_uncovered_year_uses_weekends_only_and_says_so():
    # Fri Jan 1 2027 is New Year's Day, but nobody told us: weekends only, flagged.
    period = period_end(sh(2026, 12, 25, 10), days=7, tz=SH, calendar=CAL)
    assert (period.last_day, period.extended, period.uncertain_years) == (date(2027, 1, 1), False, (2027,))
    assert period.uncertain
    saturday = period_end(sh(2027, 2, 27, 10), days=7, tz=SH, calendar=CAL)
    assert (saturday.last_day, saturday.extended, saturday.uncertain_years) == (date(2027, 3, 8), True, (2027,))


@needs_2027_uncovered
def test_uncovered_year_in_working_days_mode_is_flagged():
    period = period_end(sh(2026, 12, 28, 10), days=7, working_days=True, tz=SH, calendar=CAL)
    assert period.uncertain_years == (2027,)


def test_period_inside_a_known_year_is_not_flagged_even_if_later_years_are_unknown():
    period = period_end(sh(2026, 12, 1, 10), days=7, tz=SH, calendar=CAL)
    assert period.uncertain_years == () and not period.uncertain


@needs_2027_uncovered
def test_operator_file_supplies_holidays_and_make_up_days():
    calendar = HolidayCalendar.load(SAMPLE_2027)
    assert calendar.knows_year(2027) and not CAL.knows_year(2027)
    assert calendar.extra[2027].holidays >= {date(2027, 1, 1), date(2027, 2, 10)}

    new_year = period_end(sh(2026, 12, 25, 10), days=7, tz=SH, calendar=calendar)
    assert (new_year.last_day, new_year.extended, new_year.uncertain_years) == (date(2027, 1, 4), True, ())
    assert new_year.due_at == utc(2027, 1, 4, 16)

    # Sun Feb 14 is a make-up working day in the file: no extension (weekends only would give Monday).
    assert period_end(sh(2027, 2, 7, 10), days=7, tz=SH, calendar=CAL).last_day == date(2027, 2, 15)
    make_up = period_end(sh(2027, 2, 7, 10), days=7, tz=SH, calendar=calendar)
    assert (make_up.last_day, make_up.extended, make_up.uncertain_years) == (date(2027, 2, 14), False, ())

    assert calendar.is_rest_day(date(2027, 2, 8)) and not calendar.is_rest_day(date(2027, 2, 20))
    assert calendar.next_working_day(date(2027, 2, 6)) == date(2027, 2, 14)
    assert calendar.next_working_day(date(2027, 2, 15)) == date(2027, 2, 15)


def test_chinese_calendar_wins_for_years_it_covers():
    calendar = HolidayCalendar(extra={2025: YearSchedule(holidays=frozenset({date(2025, 3, 12)}))})
    assert not calendar.is_rest_day(date(2025, 3, 12))


@pytest.mark.parametrize("path", [None, ""])
def test_no_operator_file(path):
    assert HolidayCalendar.load(path).extra == {}


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[]",
        '{"27": {"holidays": [], "workdays": []}}',
        '{"2027": {"holidays": []}}',
        '{"2027": {"holidays": [], "workdays": [], "notes": []}}',
        '{"2027": {"holidays": "2027-01-01", "workdays": []}}',
        '{"2027": {"holidays": ["2027-02-30"], "workdays": []}}',
        '{"2027": {"holidays": ["20270101"], "workdays": []}}',
        '{"2027": {"holidays": ["2028-01-01"], "workdays": []}}',
        '{"2027": {"holidays": [], "workdays": ["2027-02-15"]}}',
        '{"2027": {"holidays": ["2027-02-14"], "workdays": ["2027-02-14"]}}',
        '{"2027": {"holidays": [], "workdays": []}, "2027": {"holidays": [], "workdays": []}}',
    ],
)
def test_malformed_operator_file_names_the_file(tmp_path, content):
    path = tmp_path / "holidays.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match="holidays.json"):
        HolidayCalendar.load(path)


def test_missing_operator_file_names_the_file(tmp_path):
    with pytest.raises(ValueError, match="absent.json"):
        HolidayCalendar.load(tmp_path / "absent.json")


def test_calendar_is_loaded_once_per_path(tmp_path):
    path = tmp_path / "h.json"
    path.write_text(json.dumps({"2030": {"holidays": ["2030-01-01"], "workdays": []}}), encoding="utf-8")
    assert get_calendar(path) is get_calendar(str(path))
    assert get_calendar(None) is get_calendar("")
    assert get_calendar(path).knows_year(2030)


# --- instants, days left, reminders -------------------------------------------------


def test_due_instant_is_24_00_local_in_utc():
    period = period_end(sh(2025, 3, 5, 10), days=7, tz=SH, calendar=CAL)
    assert period.due_at == utc(2025, 3, 12, 16) and period.due_at.tzinfo is UTC
    assert period.due_at.astimezone(SH) == sh(2025, 3, 13, 0, 0)


def test_another_time_zone_across_a_dst_change():
    # New York moves to EDT on Mar 9 2025: Mar 13 00:00 local is 04:00Z, not 05:00Z.
    period = period_end(datetime(2025, 3, 5, 10, tzinfo=NY), days=7, tz=NY, calendar=CAL)
    assert (period.last_day, period.due_at) == (date(2025, 3, 12), utc(2025, 3, 13, 4))
    # Late evening in New York is already the next day in Shanghai, and vice versa.
    late = datetime(2025, 3, 4, 22, tzinfo=NY)
    assert period_end(late, days=7, tz=NY, calendar=CAL).last_day == date(2025, 3, 11)
    assert period_end(late, days=7, tz=SH, calendar=CAL).last_day == date(2025, 3, 12)


def test_local_day_start():
    assert local_day_start(date(2025, 3, 12), SH) == utc(2025, 3, 11, 16)
    assert local_day_start(date(2025, 3, 9), NY) == utc(2025, 3, 9, 5)
    assert local_day_start(date(2025, 3, 10), NY) == utc(2025, 3, 10, 4)


def test_days_left_turns_at_local_midnight():
    due = period_end(sh(2025, 3, 5, 10), days=7, tz=SH, calendar=CAL).due_at  # last day Mar 12
    assert days_left(sh(2025, 3, 5, 10), due, SH) == 7
    assert days_left(sh(2025, 3, 11, 23, 30), due, SH) == 1
    assert days_left(sh(2025, 3, 12, 0, 30), due, SH) == 0
    assert days_left(sh(2025, 3, 12, 23, 59, 59), due, SH) == 0
    assert days_left(sh(2025, 3, 13, 0, 0), due, SH) == -1
    assert days_left(sh(2025, 3, 15, 0, 30), due, SH) == -3
    # The same instant read in UTC would still be Mar 11; the local day is what counts.
    assert days_left(utc(2025, 3, 11, 16, 30), due, SH) == 0


def test_days_left_refuses_naive_now():
    with pytest.raises(ValueError):
        days_left(datetime(2025, 3, 12), utc(2025, 3, 12, 16), SH)


def test_remind_before():
    period = period_end(sh(2025, 3, 5, 10), days=7, tz=SH, calendar=CAL)  # Wed, last day Wed Mar 12
    assert remind_before(period, 0, SH, CAL) == utc(2025, 3, 11, 16)
    assert remind_before(period, 2, SH, CAL) == utc(2025, 3, 9, 16)  # Mon Mar 10
    assert remind_before(period, 4, SH, CAL) == utc(2025, 3, 6, 16)  # Sat Mar 8 moves back to Fri Mar 7
    assert remind_before(period, 6, SH, CAL) == utc(2025, 3, 5, 16)  # Thu Mar 6
    assert remind_before(period, 7, SH, CAL) is None  # 00:00 on the start day is before 10:00
    assert remind_before(period, 30, SH, CAL) is None
    with pytest.raises(ValueError):
        remind_before(period, -1, SH, CAL)


def test_a_reminder_on_a_rest_day_moves_to_the_last_working_day_before_it():
    period = period_end(sh(2025, 9, 26, 9), days=7, tz=SH, calendar=CAL)  # Oct 3, a holiday: moved to Oct 9
    assert period.last_day == date(2025, 10, 9)
    # Oct 8 and Oct 7 fall inside the National Day holiday: the reminder comes on Tue Sep 30 instead.
    assert remind_before(period, 1, SH, CAL) == local_day_start(date(2025, 9, 30), SH)
    assert remind_before(period, 2, SH, CAL) == local_day_start(date(2025, 9, 30), SH)
    # Sun Sep 28 was a make-up working day, so nine days before (Sep 30) stands as it is.
    assert remind_before(period, 9, SH, CAL) == local_day_start(date(2025, 9, 30), SH)


def test_the_configured_zone_decides_local_dates_shown_by_background_jobs(monkeypatch: pytest.MonkeyPatch):
    from services import inquiries

    moment = utc(2026, 3, 1, 20)  # Monday 04:00 in Shanghai, Sunday 15:00 in New York
    assert inquiries.local_day(moment) == "2026-03-02"
    monkeypatch.setattr(calendar_module, "_zone", NY)
    assert inquiries.local_day(moment) == "2026-03-01"
