"""Typed dates and times (services.when): every accepted way of writing a moment reads back as it,
and nothing else is taken for a time."""
from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings, strategies as st

from services import meetings, when
from services.errors import InvalidInput
from services.inquiries import Rules
from tests.support.clock import SHANGHAI

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday
RULES = Rules()
CN = "\u96f6\u4e00\u4e8c\u4e09\u56db\u4e94\u516d\u4e03\u516b\u4e5d"  # 零一二…九
TEN = "\u5341"


def cn(n: int) -> str:
    """A number from 1 to 59 in Chinese numerals, as people write them (十, 十二, 二十五)."""
    tens, units = divmod(n, 10)
    return (CN[tens] if tens > 1 else "") + (TEN if tens else "") + (CN[units] if units or not tens else "")


def moments() -> st.SearchStrategy[datetime]:
    """Local moments on the minute, from an hour after NOW to the booking horizon."""
    return st.integers(60, (meetings.HORIZON.days - 1) * 24 * 60).map(
        lambda minutes: NOW + timedelta(minutes=minutes))


def spellings(at: datetime) -> list[str]:
    day, h, m = at.date(), at.hour, at.minute
    h12, later = (h - 12 if h > 12 else h), h >= 12
    period = "\u4e2d\u5348" if h == 12 else "\u4e0b\u5348" if later else "\u4e0a\u5348"  # 中午 / 下午 / 上午
    clock_cn = f"{h12}\u70b9" + ("\u534a" if m == 30 else f"{m}\u5206" if m else "")  # 3点半, 3点15分
    same_year = day.year == NOW.year
    forms = [
        f"{day.isoformat()} {h:02d}:{m:02d}",
        f"{day.year}/{day.month}/{day.day} {h}:{m:02d}",
        f"{day.year}\u5e74{day.month}\u6708{day.day}\u65e5 {h}:{m:02d}",  # 2026年3月5日 14:00
        f"{day.year}-{day.month:02d}-{day.day:02d}T{h:02d}:{m:02d}",
        f"{day.isoformat()} {h:02d}\uff1a{m:02d}",  # a full-width colon
    ]
    if same_year or (day.month, day.day) < (NOW.month, NOW.day):  # no year: the next such date
        forms += [f"{day.month}/{day.day} {h}:{m:02d}", f"{day.month}\u6708{day.day}\u65e5 {period}{clock_cn}",
                  f"{day.month}\u6708{day.day}\u53f7 {period} {cn(h12)}\u70b9" + (f"{cn(m)}\u5206" if m else "")]
        if 1 <= h12 <= 12:
            forms.append(f"{day.month}/{day.day} {h12}:{m:02d} {'pm' if later else 'am'}" if h12 != 12 or later
                         else f"{day.month}/{day.day} 12:{m:02d} pm")
    ahead = (day - NOW.date()).days
    named = {1: ("\u660e\u5929", "tomorrow"), 2: ("\u540e\u5929", "the day after tomorrow"), 3: ("\u5927\u540e\u5929",)}
    for word in named.get(ahead, ()):
        forms.append(f"{word} {h}:{m:02d}")
    weekday = "\u4e00\u4e8c\u4e09\u56db\u4e94\u516d\u65e5"[day.weekday()]  # 一…日
    if ahead < 7:  # this week's weekday names it
        forms += [f"\u5468{weekday} {period}{clock_cn}", f"{day.strftime('%A')} {h}:{m:02d}"]
    elif ahead < 14 and day.weekday() >= NOW.weekday():
        forms.append(f"\u4e0b\u5468{weekday} {h}:{m:02d}")
    return forms


@settings(max_examples=300, deadline=None)
@given(moments())
def test_every_spelling_of_a_moment_reads_back_as_it(at):
    for typed in spellings(at):
        assert when.parse(typed, NOW, SHANGHAI).at == at, typed
        assert meetings.parse_when(typed, RULES, NOW)[0] == at, typed


@settings(max_examples=300, deadline=None)
@given(moments(), st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30).map(str.strip))
def test_the_rest_of_a_slot_is_kept_as_typed(at, place):
    """What follows the time comes back in the normal form of typed text (NFKC, single spaces)."""
    typed = f"{at.date().isoformat()} {at.hour:02d}:{at.minute:02d} {place}"
    normal = " ".join(unicodedata.normalize("NFKC", place).split())
    if not normal or normal[0].isdigit() or normal[0] in ":.\u70b9\u9ede\u65f6\u6642\u534a\u5206apAP":
        return  # it would read as part of the time
    parsed = when.parse(typed, NOW, SHANGHAI)
    assert (parsed.at, parsed.rest) == (at, normal)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_a_moment_or_refused_with_an_example(text):
    try:
        at, _rest = meetings.parse_when(text, RULES, NOW)
    except InvalidInput as refused:
        assert refused.message in (meetings.HINT, "That time has already passed. Please choose a time in the future.",
                                   "Please choose a time within the next {days} days.")
        if refused.message == meetings.HINT:
            assert refused.params["iso"] == "2026-03-04 15:00"  # the coming week
    else:
        assert NOW < at <= NOW + meetings.HORIZON


@pytest.mark.parametrize("typed, local", [
    ("12\u67083\u65e5 \u4e0b\u53483\u70b9", "2026-12-03 15:00"),  # 12月3日 下午3点
    ("3/12 15:00", "2026-03-12 15:00"),
    ("2026-03-05 14:00", "2026-03-05 14:00"),
    ("\u660e\u5929 15:00", "2026-03-03 15:00"),  # 明天
    ("\u540e\u5929\u4e0b\u53483\u70b9\u534a", "2026-03-04 15:30"),  # 后天下午3点半
    ("\u5f8c\u5929 \u665a\u4e0a\u4e03\u9ede", "2026-03-04 19:00"),  # 後天 晚上七點
    ("\u660e\u5929\u4e2d\u53481\u70b9", "2026-03-03 13:00"),  # 明天中午1点
    ("\u5468\u4e09 \u4e0a\u534810\u70b9", "2026-03-04 10:00"),  # 周三 上午10点
    ("\u661f\u671f\u4e00 9:00", "2026-03-09 09:00"),  # Monday 09:00 has passed today: next week's
    ("\u4e0b\u5468\u4e00 9:00", "2026-03-09 09:00"),  # 下周一
    ("next wed 3:30 pm", "2026-03-11 15:30"),
    ("Tomorrow at 3PM", "2026-03-03 15:00"),
])
def test_common_forms(typed, local):
    """Read as typed (services.when); a meeting further ahead than the horizon is refused after that."""
    assert RULES.local(when.parse(typed, NOW, SHANGHAI).at) == local


@pytest.mark.parametrize("typed", [
    "\u660e\u5929 3",  # 明天 3: a bare number is not a time
    "\u660e\u5929",  # no time
    "15:00",  # no day
    "\u4e0a\u534815\u70b9",  # 上午15点
    "\u665a\u4e0a12\u70b9",  # 晚上12点: noon or midnight?
    "2026-02-30 10:00", "3/5 25:00", "3/5 10:61", "13pm tomorrow", "tomorrow at two",
    "\u660e\u5929 \u4e09\u5341\u4e94\u70b9",  # 明天 三十五点
])
def test_not_understood(typed):
    with pytest.raises(InvalidInput) as refused:
        meetings.parse_when(typed, RULES, NOW)
    assert refused.value.message == meetings.HINT
