"""A date and time as people type them, read as a local moment (meetings, reception slots).

Accepted, after NFKC (full-width digits, colons and spaces become ASCII), in any case:

- a date: `2026-03-05`, `2026/3/5`, `2026.3.5`, `2026年3月5日`, `3-5`, `3/5`, `3月5日` (`号` too),
  month first as Chinese writes it; without a year, the next such date;
- or a day named: today, tomorrow, the day after tomorrow (`今天`, `明天`, `后天`, `大后天`, and
  the traditional forms), a weekday (`周三`, `星期三`, `礼拜三`, `下周三`, `Wednesday`, `next wed`):
  the soonest one still to come, or the one of next week;
- then a time: `14:00`, `14点`, `2点半`, `3点15分`, `三点`, `3pm`, `3:30 pm`, with `上午`, `中午`,
  `下午`, `晚上`… before it (`下午3点` is 15:00); a bare number is not a time;
- and, where the caller allows it, the rest of the text after a space (a slot's place).

The characters of the Chinese words are written as escapes: no Chinese in code.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Chinese numerals up to 59, for hours and minutes typed as words (三点, 十二点半, 两点).
_CN_DIGITS = {"\u96f6": 0, "\u3007": 0, "\u4e00": 1, "\u4e8c": 2, "\u4e24": 2, "\u5169": 2, "\u4e09": 3,
              "\u56db": 4, "\u4e94": 5, "\u516d": 6, "\u4e03": 7, "\u516b": 8, "\u4e5d": 9}
_TEN = "\u5341"
_CN_NUMBER = "[" + "".join(_CN_DIGITS) + _TEN + "]{1,3}"
_NUMBER = rf"(?:\d{{1,2}}|{_CN_NUMBER})"

_RELATIVE = {
    "\u4eca\u5929": 0, "\u4eca\u65e5": 0, "today": 0,  # 今天 今日
    "\u660e\u5929": 1, "\u660e\u65e5": 1, "tomorrow": 1,  # 明天 明日
    "\u540e\u5929": 2, "\u5f8c\u5929": 2, "the day after tomorrow": 2, "day after tomorrow": 2,  # 后天 後天
    "\u5927\u540e\u5929": 3, "\u5927\u5f8c\u5929": 3,  # 大后天 大後天
}
_WEEKDAY_CN = {"\u4e00": 0, "\u4e8c": 1, "\u4e09": 2, "\u56db": 3, "\u4e94": 4, "\u516d": 5, "\u65e5": 6,
               "\u5929": 6, "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_WEEKDAY_EN = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# 上午 早上 早晨 凌晨 (morning), 中午 (noon), 下午 傍晚 晚上 夜里 夜裡 (afternoon and evening)
_MORNING = ("\u4e0a\u5348", "\u65e9\u4e0a", "\u65e9\u6668", "\u51cc\u6668")
_NOON = ("\u4e2d\u5348",)
_LATER = ("\u4e0b\u5348", "\u508d\u665a", "\u665a\u4e0a", "\u591c\u91cc", "\u591c\u88e1")

_DATE = (r"(?:(?P<y>\d{4})\s*[-/.\u5e74]\s*)?(?P<m>\d{1,2})\s*[-/.\u6708]\s*(?P<d>\d{1,2})\s*[\u65e5\u53f7\u865f]?")
_NAMED_DAY = "(?P<rel>" + "|".join(sorted(map(re.escape, _RELATIVE), key=len, reverse=True)) + ")"
_NEXT = r"(?P<next>\u4e0b\u4e2a?|\u4e0b\u500b?|next\s+)?"  # 下 下个 下個 next
_WEEKDAY = (_NEXT + r"(?:(?:\u5468|\u9031|\u661f\u671f|\u793c\u62dc|\u79ae\u62dc)(?P<wd>[\u4e00\u4e8c\u4e09\u56db\u4e94"
            r"\u516d\u65e5\u59291-7])|(?P<wde>" + "|".join(_WEEKDAY_EN) + r")[a-z]*\.?)")
_PERIOD = "(?P<p>" + "|".join(_MORNING + _NOON + _LATER) + ")?"
_TIME = (rf"(?P<h>{_NUMBER})(?:\s*[:.]\s*(?P<mi>\d{{2}})|\s*(?P<dian>[\u70b9\u9ede\u65f6\u6642])\s*"
         rf"(?:(?P<half>\u534a)|(?P<mc>{_NUMBER})\s*\u5206?)?)?\s*(?P<ap>[ap]\.?m\.?)?")
_TYPED = re.compile(
    rf"(?:{_DATE}|{_NAMED_DAY}|{_WEEKDAY})\s*(?:[t,\uff0c]\s*)?(?:at\s+)?{_PERIOD}\s*{_TIME}(?:\s+(?P<rest>.*))?",
    re.DOTALL | re.IGNORECASE,
)


class NotUnderstood(ValueError):
    """The text is not a date and time in any accepted form."""


@dataclass(frozen=True)
class Typed:
    at: datetime  # aware, in the zone it was read in
    rest: str  # what followed the time, stripped ("" when nothing did)


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    tens, _sep, units = text.partition(_TEN)
    if _sep:  # 十 10, 十二 12, 二十 20, 二十五 25
        if len(tens) > 1 or len(units) > 1:
            raise NotUnderstood(text)
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)
    if len(text) != 1:
        raise NotUnderstood(text)
    return _CN_DIGITS[text]


def _clock(match: re.Match[str]) -> time:
    if not (match["mi"] or match["dian"] or match["ap"]):
        raise NotUnderstood("a bare number is not a time")
    hour = _number(match["h"])
    minute = 30 if match["half"] else _number(match["mc"] or match["mi"] or "0")
    period, suffix = match["p"], (match["ap"] or "").replace(".", "").lower()
    if period or suffix:
        if not 1 <= hour <= 12 and not (period and hour <= 23):
            raise NotUnderstood("no such hour of the period")
        if period in _LATER or suffix == "pm":
            if hour == 12 and period in _LATER:
                raise NotUnderstood("noon or midnight?")
            hour = hour + 12 if hour < 12 else hour
        elif period in _NOON:
            hour = hour + 12 if hour <= 2 else hour
        elif hour == 12:  # 12 am, 上午12点: midnight
            hour = 0
        if (period in _MORNING and hour >= 12) or (suffix == "am" and hour >= 12):
            raise NotUnderstood("morning hour in the afternoon")
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise NotUnderstood("no such time")
    return time(hour, minute)


def parse(text: str, now: datetime, tz: ZoneInfo) -> Typed:
    """Read `text` as a local date and time in `tz`, as typed at `now`. Raises NotUnderstood."""
    normal = " ".join(unicodedata.normalize("NFKC", text or "").split())
    match = _TYPED.fullmatch(normal)
    if match is None:
        raise NotUnderstood(text)
    clock = _clock(match)
    today = now.astimezone(tz).date()

    def at(day: date) -> datetime:
        return datetime.combine(day, clock, tzinfo=tz)

    if match["rel"]:
        day = today + timedelta(days=_RELATIVE[" ".join(match["rel"].lower().split())])
    elif match["wd"] or match["wde"]:
        weekday = _WEEKDAY_CN[match["wd"]] if match["wd"] else _WEEKDAY_EN.index(match["wde"][:3].lower())
        if match["next"]:  # that day of next week (weeks start on Monday)
            day = today + timedelta(days=7 - today.weekday() + weekday)
        else:  # the soonest such day still to come, today included
            day = today + timedelta(days=(weekday - today.weekday()) % 7)
            if at(day) <= now:
                day += timedelta(days=7)
    else:
        try:
            day = date(int(match["y"] or today.year), int(match["m"]), int(match["d"]))
            if match["y"] is None and at(day) <= now:
                day = day.replace(year=today.year + 1)
        except ValueError:
            raise NotUnderstood("no such date") from None
    return Typed(at(day), (match["rest"] or "").strip())
