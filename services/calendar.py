"""Legal periods counted the way China's Civil Code counts them (Art. 200-204).

A deadline shown to a deputy or a citizen must match what a people's congress office
or a court would compute, so the rules are the statute's, not "now + N days":

- the start day is not counted: N days from any moment of local day D end with D+N;
- a period in months ends on the corresponding day of the last month, or on that
  month's last day when it has no such day (1 month from Jan 31 ends Feb 28/29);
- a last day that is a statutory rest day (weekend or public holiday, after make-up
  working days) moves to the first working day after it;
- the last day ends at 24:00 local time; we return that instant in UTC.

China's holiday schedule comes from `chinese_calendar`; for years it does not cover
the operator may supply the published schedule as JSON. Without either, only weekends
are rest days and the result says so (`Period.uncertain_years`) instead of guessing.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo

import chinese_calendar

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
ONE_DAY = timedelta(days=1)
# The congress's zone (TIMEZONE), set once at start-up, for code that runs without the
# settings at hand: deadline stages fired by the sweep, privacy descriptions.
_zone = DEFAULT_TZ


def set_zone(tz: ZoneInfo) -> None:
    global _zone
    _zone = tz


def zone() -> ZoneInfo:
    return _zone

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_YEAR_KEY = re.compile(r"\d{4}", re.ASCII)


@dataclass(frozen=True)
class YearSchedule:
    """One year's published schedule: public holidays and weekend make-up working days."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()

    def is_rest_day(self, day: date) -> bool:
        if day in self.workdays:
            return False
        return day in self.holidays or day.weekday() >= 5


@dataclass(frozen=True)
class HolidayCalendar:
    """Rest days for any date: chinese_calendar, then operator-supplied years, else weekends only.

    chinese_calendar answers every year it covers; the operator file only fills the
    years after (or before) that range.
    """

    extra: Mapping[int, YearSchedule] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def load(cls, path: str | Path | None) -> HolidayCalendar:
        """Read the operator's file; None or "" means no file.

        Raises ValueError naming the file and the problem, so a typo in a published
        schedule stops the bot at start-up instead of shifting deadlines.
        """
        if path is None or path == "":
            return cls()
        path = Path(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicate_keys)
            extra = _parse_schedules(raw)
        except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise ValueError(f"holiday schedule {path}: {exc}") from exc
        return cls(extra=MappingProxyType(extra))

    def is_rest_day(self, day: date) -> bool:
        return self._status(day)[0]

    def knows_year(self, year: int) -> bool:
        """True when the year's holidays are known (chinese_calendar or the operator file)."""
        return _library_covers(year) or year in self.extra

    def next_working_day(self, day: date) -> date:
        """`day` itself if it is a working day, else the first working day after it."""
        while self.is_rest_day(day):
            day += ONE_DAY
        return day

    def _status(self, day: date) -> tuple[bool, bool]:
        """(is a rest day, whether the year's holiday schedule is known)."""
        if _library_covers(day.year):
            return not chinese_calendar.is_workday(day), True
        schedule = self.extra.get(day.year)
        if schedule is not None:
            return schedule.is_rest_day(day), True
        return day.weekday() >= 5, False


@dataclass(frozen=True)
class Period:
    """Where a period ends, and how sure we are about it."""

    start: datetime  # aware
    last_day: date  # local last day, after moving off rest days
    due_at: datetime  # aware UTC: 24:00 local of last_day
    extended: bool  # the last day was moved off rest days
    uncertain_years: tuple[int, ...]  # years consulted whose holidays were unknown (weekends only)

    @property
    def uncertain(self) -> bool:
        return bool(self.uncertain_years)


def period_end(
    start: datetime,
    *,
    days: int = 0,
    months: int = 0,
    tz: ZoneInfo,
    calendar: HolidayCalendar,
    working_days: bool = False,
) -> Period:
    """End of a period of `days` or `months` (exactly one) starting at `start`.

    With `working_days`, every counted day must be a working day, so the last day is
    the `days`-th working day after the start day and never needs moving.
    """
    _require_aware(start, "start")
    if days < 0 or months < 0 or (days > 0) == (months > 0):
        raise ValueError("give exactly one of days or months, and it must be positive")
    if working_days and months:
        raise ValueError("working days are counted in days, not months")

    unknown: set[int] = set()

    def rest(day: date) -> bool:
        is_rest, known = calendar._status(day)
        if not known:
            unknown.add(day.year)
        return is_rest

    first = start.astimezone(tz).date()  # not counted
    if working_days:
        nominal = first
        for _ in range(days):
            nominal += ONE_DAY
            while rest(nominal):
                nominal += ONE_DAY
        last = nominal
    else:
        nominal = first + timedelta(days=days) if days else add_months(first, months)
        last = nominal
        while rest(last):
            last += ONE_DAY
    return Period(
        start=start,
        last_day=last,
        due_at=local_day_start(last + ONE_DAY, tz),
        extended=last != nominal,
        uncertain_years=tuple(sorted(unknown)),
    )


def add_months(day: date, months: int) -> date:
    """The corresponding day `months` later, or that month's last day if it has none."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    month_end = date(year + month // 12, month % 12 + 1, 1) - ONE_DAY
    return date(year, month, min(day.day, month_end.day))


def local_day_start(day: date, tz: ZoneInfo) -> datetime:
    """Aware UTC instant of 00:00 local on `day` (a day that starts in a DST gap starts at the gap's end)."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(timezone.utc)


def days_left(now: datetime, due_at: datetime, tz: ZoneInfo) -> int:
    """Whole local days from today to the last day: 0 on the last day, negative when overdue."""
    _require_aware(now, "now")
    _require_aware(due_at, "due_at")
    last_day = (due_at - timedelta(microseconds=1)).astimezone(tz).date()
    return (last_day - now.astimezone(tz).date()).days


def remind_before(period: Period, days: int, tz: ZoneInfo, calendar: HolidayCalendar) -> datetime | None:
    """00:00 local of the reminder day: `days` before the last day, moved back to the last working
    day before it when it falls on a rest day (nobody reads a reminder in the middle of a holiday).
    None when that is not after the start, so a reminder never fires before (or as) the period opens.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day = period.last_day - timedelta(days=days)
    while calendar.is_rest_day(day):
        day -= ONE_DAY
    at = local_day_start(day, tz)
    return at if at > period.start else None


def get_calendar(path: str | Path | None) -> HolidayCalendar:
    """The calendar for the operator's file, read once per path; errors are not cached."""
    return _cached_calendar("" if path is None else str(path))


@lru_cache(maxsize=None)
def _cached_calendar(path: str) -> HolidayCalendar:
    return HolidayCalendar.load(path)


@lru_cache(maxsize=None)
def _library_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def _require_aware(value: datetime, name: str) -> None:
    # A naive datetime would be read in the server's zone, silently moving deadlines.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"duplicate keys {duplicates}")
    return dict(pairs)


def _parse_schedules(raw: Any) -> dict[int, YearSchedule]:
    if not isinstance(raw, dict):
        raise ValueError("top level must be an object keyed by year")
    schedules: dict[int, YearSchedule] = {}
    for key, entry in raw.items():
        if not _YEAR_KEY.fullmatch(key):
            raise ValueError(f"{key!r}: keys must be four-digit years")
        if not isinstance(entry, dict) or set(entry) != {"holidays", "workdays"}:
            raise ValueError(f"{key}: expected an object with exactly 'holidays' and 'workdays'")
        year = int(key)
        holidays = _parse_dates(entry["holidays"], year, f"{key}.holidays")
        workdays = _parse_dates(entry["workdays"], year, f"{key}.workdays")
        _check(workdays, lambda day: day.weekday() < 5, f"{key}.workdays: not a Saturday or Sunday")
        _check(workdays, holidays.__contains__, f"{key}: both holiday and workday")
        schedules[year] = YearSchedule(holidays=holidays, workdays=workdays)
    return schedules


def _parse_dates(values: Any, year: int, where: str) -> frozenset[date]:
    if not isinstance(values, list):
        raise ValueError(f"{where}: must be a list of YYYY-MM-DD dates")
    days: set[date] = set()
    for value in values:
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            raise ValueError(f"{where}: {value!r} is not a YYYY-MM-DD date")
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{where}: {value!r} is not a valid date") from None
        if day.year != year:
            raise ValueError(f"{where}: {value} is not in {year}")
        days.add(day)
    return frozenset(days)


def _check(days: frozenset[date], bad: Callable[[date], bool], problem: str) -> None:
    found = sorted(day.isoformat() for day in days if bad(day))
    if found:
        raise ValueError(f"{problem}: {', '.join(found)}")
