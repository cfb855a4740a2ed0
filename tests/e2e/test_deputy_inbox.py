"""Deputies through the fake Telegram: notices, the inbox on the 7-day clock, referrals, meetings."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from services import deadlines, inquiries, meetings
from services.i18n import ngettext, use_locale
from tests.e2e.test_contact_flow import deputy_link, due, scan_and_write, tracking_number, zh
from tests.support.chat import in_place
from tests.support.clock import SHANGHAI
from tests.test_contact import MONDAY, World, actor, build_world


# The hint for a time not understood, with its example from the coming week (the clock starts Monday 2 March).
HINT_ZH = zh(meetings.HINT, iso="2026-03-04 15:00", month=3, day=4, hour=15, hour12=3)


def _id(number: str) -> int:
    return int(number.rsplit("-", 1)[1])


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


async def _deputy_and_resident(tg, db, start_bot):  # noqa: ANN001, ANN202
    """The world, 王芳's code, and the bot running with deputy 王芳 and a resident at their phones."""
    world = await build_world(db)
    payload = await deputy_link(db, world)
    await start_bot(send_rate_per_chat=100)
    return world, payload, tg.user(World.DEPUTY_USER, "Wang", language_code="zh-hans"), tg.user(World.RESIDENT, "Li")


async def _sweep(app, at: datetime, times: int = 1) -> None:  # noqa: ANN001
    await asyncio.gather(*(deadlines.sweep(app.ctx.db, at) for _ in range(times)))
    app.ctx.ring_outbox()


async def test_reminded_answered_in_time_and_the_other_escalated_once(tg, db, start_bot, clock):
    world = await build_world(db)
    payload = await deputy_link(db, world)
    app = await start_bot(send_rate_per_chat=100)
    deputy = tg.user(World.DEPUTY_USER, "Wang", language_code="zh-hans")
    staff = tg.user(World.STATION_STAFF, "Zhou", language_code="zh-hans")
    first, second = tg.user(World.RESIDENT, "Li"), tg.user(World.OTHER_RESIDENT, "Zhang")

    answered = await scan_and_write(first, payload, "路灯坏了")
    clock.advance(hours=3)
    ignored = await scan_and_write(second, payload, "垃圾没人收")
    assert answered in (await deputy.expect(answered)).text
    assert ignored in (await deputy.expect(ignored)).text

    clock.set(sh(2026, 3, 7, 9, 5))  # Saturday: two days before the last day
    await _sweep(app, clock())
    reminders = [(await deputy.next_message()).text for _ in range(2)]
    assert all(number in reminders[i] and "2026-03-09" in reminders[i] for i, number in enumerate((answered, ignored)))

    await deputy.send("/menu")
    inbox = await in_place(deputy, zh("My inbox"), await deputy.expect(),
                           zh("Messages from residents, the most urgent first:"))
    assert inbox.button_texts[0].startswith(answered) and due("zh_CN", 2) in inbox.button_texts[0]
    await deputy.press(lambda text: text.startswith(answered), inbox)
    await deputy.press(zh("Reply"), await deputy.expect(answered))
    await deputy.expect()
    await deputy.send("周一前修好")
    await deputy.expect(zh("Your answer was passed on to the resident."))
    assert "周一前修好" in (await first.expect("周一前修好")).text

    clock.set(sh(2026, 3, 9, 9, 1))
    await _sweep(app, clock())
    last_day = await deputy.expect(ignored)
    assert answered not in last_day.text
    clock.set(sh(2026, 3, 10, 0, 1))  # the period is over
    await _sweep(app, clock(), times=2)
    alert = await staff.expect(ignored)
    assert "王芳" in alert.text and answered not in alert.text
    assert ignored in (await deputy.expect(ignored)).text
    clock.set(sh(2026, 3, 10, 8))
    await _sweep(app, clock(), times=2)
    await staff.no_message()
    await deputy.no_message()
    await first.no_message()


async def test_a_referral_tells_the_resident_where_it_went(tg, db, start_bot):
    world, payload, deputy, resident = await _deputy_and_resident(tg, db, start_bot)
    number = await scan_and_write(resident, payload, "小区门口有人占道经营")
    await deputy.press(zh("Open"), await deputy.expect(number))
    await deputy.press(zh("Refer to a platform"), await deputy.expect(number))
    platforms = await deputy.expect()
    assert platforms.button_texts == [zh(label) for label in (
        "Comprehensive governance", "Market supervision", "Comprehensive law enforcement", "Convenience services")]
    await deputy.press(zh("Comprehensive law enforcement"), platforms)
    await deputy.expect()
    await deputy.send("已转镇综合执法队，联系电话 12345")
    await deputy.expect(number)
    told = await resident.expect(number)
    assert zh("Comprehensive law enforcement") in told.text and "12345" in told.text
    assert zh("Reply") in told.button_texts


async def test_a_meeting_is_booked_in_a_slot_accepted_and_moved(tg, db, start_bot):
    world, payload, deputy, resident = await _deputy_and_resident(tg, db, start_bot)

    await deputy.send("/menu")
    await deputy.press(zh("Reception hours and slots"), await deputy.expect())
    await deputy.press(zh("Set reception hours"), await deputy.expect(zh("You offer no slots residents can book.")))
    await deputy.expect()
    await deputy.send("每周三上午 9:00-11:30，东街联络站")
    await deputy.press(zh("Add a slot"), await deputy.expect("9:00-11:30"))
    await deputy.expect()
    await deputy.send("下周找个时间")
    await deputy.expect(HINT_ZH)
    await deputy.send("2026-03-05 14:00 东街联络站二楼")
    slots = await deputy.expect("2026-03-05 14:00")
    assert "东街联络站二楼" in slots.text

    await resident.send(f"/start {payload}")
    card = await resident.expect("王芳")
    assert "每周三上午 9:00-11:30" in card.text
    await resident.press(zh("Book a meeting"), card)
    choice = await resident.expect()
    await resident.press(lambda text: text.startswith("2026-03-05 14:00"), choice)
    await resident.press(zh("Skip"), await resident.expect())
    number = tracking_number((await resident.expect("2026-03-05 14:00")).text)

    notice = await deputy.expect(number)
    assert "2026-03-05 14:00" in notice.text
    await deputy.press(zh("Open"), notice)
    thread = await deputy.expect(number)
    assert "东街联络站二楼" in thread.text  # the slot's place
    await deputy.press(zh("Accept"), thread)
    await deputy.expect()
    confirmed = await resident.expect(number)
    assert "2026-03-05 14:00" in confirmed.text and "东街联络站二楼" in confirmed.text

    await deputy.press(zh("Move"), thread)
    await deputy.expect()
    await deputy.send("2026-03-06 16:30")
    await deputy.expect("2026-03-06 16:30")
    moved = await resident.expect(number)
    assert "2026-03-06 16:30" in moved.text and zh("Reply") in moved.button_texts

    # Another resident proposes their own time, with a typo first.
    other = tg.user(World.OTHER_RESIDENT, "Zhang")
    await other.send(f"/start {payload}")
    await other.press(zh("Book a meeting"), await other.expect("王芳"))
    await other.press(zh("Propose another time"), await other.expect())  # the booked slot is no longer offered
    await other.expect()
    await other.send_voice()
    await other.expect(HINT_ZH)
    await other.send("2026-03-40 10:00")
    await other.expect(HINT_ZH)
    await other.send("2026-03-12 10:00")
    await other.expect()
    await other.send("想谈谈修桥的事")
    assert "2026-03-12 10:00" in (await other.expect("DB-2026-")).text
    assert "想谈谈修桥的事" in (await deputy.expect("2026-03-12 10:00")).text


async def test_an_over_long_answer_is_refused_whole_and_the_thread_shows_the_newest(tg, db, start_bot):
    world, payload, deputy, resident = await _deputy_and_resident(tg, db, start_bot)
    number = await scan_and_write(resident, payload, "楼道灯不亮")
    notice = await deputy.expect(number)
    await deputy.press(zh("Open"), notice)
    await deputy.press(zh("Reply"), await deputy.expect(number))
    await deputy.expect()
    for part in ("长" * 4096, "长" * 4096, "长" * 808):  # as a Telegram client splits 9,000 characters
        await deputy.send(part)
    await deputy.expect(zh("That text is longer than one Telegram message, so it arrived in parts. The limit here "
                           "is {max} characters: please shorten it and send it again.", max=2000))
    await deputy.no_message(within=0.5)  # one answer, and the last part is not taken as the answer
    await resident.no_message(within=0.1)
    await deputy.send("第0次答复" + "好" * 1900)
    await deputy.expect(zh("Your answer was passed on to the resident."))
    async with db.session() as s:
        for n in (1, 2):
            await inquiries.answer(s, await actor(s, World.DEPUTY_USER), _id(number), f"第{n}次答复" + "好" * 1900,
                                   MONDAY + timedelta(hours=n))
    await deputy.press(zh("Open"), notice)
    thread = await deputy.expect(number)
    assert "第2次答复" in thread.text and "第0次答复" not in thread.text and "楼道灯不亮" not in thread.text
    assert len(thread.text) <= 4096
    with use_locale("zh_CN"):
        assert ngettext("{n} earlier message is not shown.", "{n} earlier messages are not shown.", 2) in thread.text
