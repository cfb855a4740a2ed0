"""Residents through the fake Telegram: scan a deputy's code, write, follow the thread, share a phone.

The world (stations, deputies, staff) comes from tests/test_contact.py; residents and
deputies read Simplified Chinese, so button labels are looked up in that catalogue.
"""
from __future__ import annotations

import re


from models.contact import Inquiry, InquiryStatus
from services import contact_stats, deputy_codes
from services.i18n import translate, use_locale
from tests.support.chat import in_place
from tests.test_contact import MONDAY, World, build_world


def zh(message: str, **params: object) -> str:
    return translate("zh_CN", message, **params)


def due(locale: str, days_left: int) -> str:
    """How a deadline reads in `locale`: "2 days left", "3 days overdue"..."""
    with use_locale(locale):
        return contact_stats.due_phrase(days_left)


async def _codes(db, world: World) -> tuple[str, str]:  # noqa: ANN001
    async with db.session() as s:
        station = await deputy_codes.code_for(s, None, MONDAY, station_id=world.station)
    return await deputy_link(db, world), deputy_codes.payload(station)


async def deputy_link(db, world: World) -> str:  # noqa: ANN001
    """The `/start` payload of the code of deputy 王芳 (`world.deputy`)."""
    async with db.session() as s:
        return deputy_codes.payload(await deputy_codes.code_for(s, None, MONDAY, deputy_id=world.deputy))


async def scan_and_write(resident, payload: str, text: str) -> str:  # noqa: ANN001
    """A resident scans the code and sends an opinion without photos or place; returns the tracking number."""
    await resident.send(f"/start {payload}")
    await resident.expect("王芳")
    await resident.press(zh("Write to this deputy"))
    await resident.expect()
    await resident.send(text)
    await resident.press(zh("Continue"), await resident.expect(zh("Continue")))
    await resident.press(zh("Send without location"), await resident.expect(zh("Send without location")))
    return tracking_number((await resident.expect("DB-2026-")).text)


def tracking_number(text: str) -> str:
    return re.search(r"DB-\d{4}-\d{6}", text).group()


async def test_scan_write_and_the_thread_runs_both_ways(tg, db, start_bot):
    world = await build_world(db)
    deputy_payload, _station = await _codes(db, world)
    await start_bot(send_rate_per_chat=100)
    resident = tg.user(World.RESIDENT, "Xiaoming", username="xiaoming_li", language_code="zh-hans")
    deputy = tg.user(World.DEPUTY_USER, "Wang", language_code="zh-hans")

    await resident.send(f"/start {deputy_payload}")
    card = await resident.expect("王芳")
    assert "东街联络站" in card.text and zh("New deputy: no answers on record yet.") in card.text
    await resident.press(zh("Write to this deputy"))
    await resident.expect(zh("Write your opinion to deputy {deputy} in one message (up to {max} characters). "
                             "Send /cancel to stop.", deputy="王芳", max=2000))
    await resident.send_sticker()
    await resident.expect(zh("Please write your opinion as text. You can add photos in the next step."))
    await resident.send("长" * 2500)
    await resident.expect(zh("That text has {length} characters; the limit is {max}.", length="2,500", max="2,000"))
    await resident.send("村口路灯坏了一个月 <没人修>")
    await resident.expect(zh("Continue"))
    await resident.send_album(2)
    added = [(await resident.next_message()).text for _ in range(2)]
    assert added == [zh("Photo {n} of {max} added.", n=n, max=3) for n in (1, 2)]
    await resident.send("这是文字")
    await resident.expect(zh("Send a photo, or press Continue."))
    await resident.press(zh("Continue"))
    await resident.expect(zh("Send without location"))
    await resident.send_location(30.12, 119.45)
    receipt = await resident.expect("DB-2026-")
    assert "2026-03-09" in receipt.text and "王芳" in receipt.text

    notice = await deputy.expect("DB-2026-")
    assert "村口路灯坏了一个月 <没人修>" in notice.text and "2026-03-09" in notice.text
    assert not any(who in re.sub(r"#\d{4}", "", notice.text) for who in ("Xiaoming", "xiaoming_li", "7001"))
    photos = [await deputy.next_message(), await deputy.next_message()]
    assert all(p.kind == "photo" for p in photos)
    await deputy.press(zh("Open"), notice)
    assert [(await deputy.next_message()).kind for _ in range(2)] == ["photo", "photo"]
    detail = await deputy.expect("DB-2026-")
    assert "30.12000, 119.45000" in detail.text
    await deputy.press(zh("Reply"))
    await deputy.expect()
    await deputy.send("已联系供电所，本周修好")
    await deputy.expect(zh("Your answer was passed on to the resident."))

    answer = await resident.expect("已联系供电所，本周修好")
    assert "王芳" in answer.text
    await resident.press(zh("Reply"), answer)
    await resident.expect()
    await resident.send("谢谢王代表")
    await resident.expect(zh("Your reply was passed on to the deputy."))
    relayed = await deputy.expect("谢谢王代表")
    assert "Xiaoming" not in relayed.text

    # The phone: only the resident's own card is taken.
    await resident.press(zh("Share my phone number with the deputy"), receipt)
    await resident.expect()
    assert resident.reply_keyboard is not None
    await resident.send_contact("+8613912345678", own=False, first_name="Someone")
    await resident.expect(zh("Please share your own phone number with the button below."))
    await resident.share_contact()
    await resident.expect(zh("Your phone number was shared with the deputy."))
    assert resident.phone_number.lstrip("+") in (await deputy.expect()).text


async def test_a_half_written_opinion_survives_a_restart(tg, db, start_bot):
    world = await build_world(db)
    deputy_payload, _station = await _codes(db, world)
    app = await start_bot(send_rate_per_chat=100)
    resident = tg.user(World.RESIDENT, "Li", language_code="zh-hans")
    await resident.send(f"/start {deputy_payload}")
    await resident.expect("王芳")
    await resident.press(zh("Write to this deputy"))
    await resident.expect()
    await resident.send("桥栏杆松动")
    await resident.expect(zh("Continue"))
    await resident.send_sticker()  # answered only once the text's update has been committed
    await resident.expect(zh("Send a photo, or press Continue."))
    await app.stop()
    await start_bot(send_rate_per_chat=100)
    await resident.press(zh("Continue"))
    await resident.press(zh("Send without location"), await resident.expect(zh("Send without location")))
    number = tracking_number((await resident.expect("DB-2026-")).text)
    await resident.send("/menu")
    threads = await in_place(resident, zh("My messages to deputies"), await resident.expect(),
                             zh("Your messages to deputies, newest first:"))
    await resident.press(lambda text: text.startswith(number), threads)
    assert "桥栏杆松动" in (await resident.expect(number)).text


async def test_garbage_truncated_and_revoked_codes(tg, db, start_bot):
    world = await build_world(db)
    deputy_payload, station_payload = await _codes(db, world)
    await start_bot(send_rate_per_chat=100)
    resident = tg.user(World.RESIDENT, "Li", language_code="zh-hans")
    for payload, answer in (("d_" + "Z" * 16, deputy_codes.NOT_VALID), ("d_", deputy_codes.NOT_VALID),
                            (deputy_payload[:10], deputy_codes.INCOMPLETE),
                            ("d_" + "a" * 40, deputy_codes.NOT_VALID)):
        await resident.send(f"/start {payload}")
        reply = await resident.expect(zh(answer))
        assert {zh("Find my deputy"), zh("« Main menu")} <= set(reply.button_texts)  # a way on, not a dead end

    async with db.session() as s:
        await deputy_codes.regenerate(s, None, MONDAY, deputy_id=world.deputy)
    await resident.send(f"/start {deputy_payload}")
    withdrawn = await resident.expect(zh(deputy_codes.WITHDRAWN))
    assert f"https://t.me/minsheng_test_bot?start={station_payload}" in withdrawn.text
    await resident.send(f"/start {station_payload}")
    listing = await resident.expect("东街联络站")
    assert {"王芳", "李明", "钱多", zh("« Main menu")} <= set(listing.button_texts)
    card = await in_place(resident, "王芳", listing, zh("New deputy: no answers on record yet."))
    assert {zh("Book a meeting"), zh("Find another deputy"), zh("« Main menu")} <= set(card.button_texts)
    picker = await in_place(resident, zh("Find another deputy"), card, zh("Choose your liaison station:"))
    assert zh("« Main menu") in picker.button_texts
    await resident.no_message()  # each step changed the one message


async def test_no_reading_anothers_thread_and_no_forged_deputy_buttons(tg, db, start_bot):
    world = await build_world(db)
    deputy_payload, _station = await _codes(db, world)
    await start_bot(send_rate_per_chat=100)
    owner = tg.user(World.RESIDENT, "Li", language_code="zh-hans")
    intruder = tg.user(World.OTHER_RESIDENT, "Eve", language_code="zh-hans")
    inquiry_id = int((await scan_and_write(owner, deputy_payload, "我家门口的排水沟堵了"))[-6:])

    await intruder.send("/menu")
    await intruder.expect()
    for forged in (f"thr:view:{inquiry_id}", f"thr:reply:{inquiry_id}", f"thr:phone:{inquiry_id}",
                   f"ibx:open:{inquiry_id}", f"ibx:resolve:{inquiry_id}", f"ibx:reply:{inquiry_id}",
                   f"ovi:open:{inquiry_id}", f"ovr:{inquiry_id}:0:{world.far_deputy}"):
        await intruder.press_data(forged)
        refused = await intruder.next_callback_answer()
        assert refused.show_alert and refused.text == zh("You are not allowed to do that."), forged
    await intruder.press_data("ibx:open:not-a-number")
    assert (await intruder.next_callback_answer()).show_alert
    await intruder.no_message()
    assert all("排水沟" not in (m.text or "") for m in intruder.inbox)
    async with db.session() as s:
        stored = await s.get(Inquiry, inquiry_id)
        assert (stored.status, stored.deputy_id) == (InquiryStatus.open, world.deputy)
