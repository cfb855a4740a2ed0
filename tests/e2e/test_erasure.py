"""Erasing "my data": every copy of the resident's words goes, and erasing never stores them again."""
from __future__ import annotations

import asyncio

from sqlalchemy import select

from fakebot import make_png
from models import Notification, User
from services.i18n import translate
from services.privacy import REDACTED
from tests.support.waiting import eventually
from tests.test_contact import World, build_world, write


async def _erase(resident, locale: str) -> None:  # noqa: ANN001
    await resident.send("/mydata")
    await resident.expect()
    await resident.press(translate(locale, "Delete my data"))
    await resident.expect()
    await resident.press(translate(locale, "Yes, delete"))
    done = translate(locale, "Your data has been deleted. Send /start if you want to use the bot again.")
    await resident.wait_for(lambda m: m.text == done)


async def test_the_deputys_copy_of_a_letter_is_redacted_when_the_resident_erases(tg, db, start_bot):
    world = await build_world(db)
    await start_bot()
    resident = tg.user(World.RESIDENT, language_code="zh-hans")
    deputy = tg.user(World.DEPUTY_USER, language_code="zh-hans")
    staff = tg.user(World.STATION_STAFF, language_code="zh-hans")
    photo = tg.files.store("photo", make_png(4, 3, (200, 90, 60)))
    await write(db, world, "My neighbour at No. 5 floods the lane", photos=(photo.file_id,))
    await write(db, world, "A second letter to a deputy not on the bot", deputy=world.offline_deputy)
    letter = await deputy.wait_for(lambda m: "No. 5 floods" in (m.text or ""))
    await deputy.wait_for(lambda m: m.kind == "photo")
    liaison = await staff.wait_for(lambda m: "not on the bot" in (m.text or ""))
    await _erase(resident, "zh_CN")  # the world's residents read Simplified Chinese
    notice = translate("zh_CN", REDACTED)
    await deputy.wait_for(lambda m: m is letter and m.text == notice, timeout=10)
    await staff.wait_for(lambda m: m is liaison and m.text == notice, timeout=10)
    await eventually(lambda: all(m.deleted for m in deputy.inbox if m.kind == "photo"), timeout=10)
    async with db.session() as s:
        texts = [n.text for n in await s.scalars(select(Notification))]
    assert not [t for t in texts if "No. 5" in t or "not on the bot" in t]


async def test_pressing_yes_delete_twice_does_not_store_the_person_again(tg, bot, db):
    user = tg.user(language_code="en", first_name="Mei", username="mei_l")
    await user.send("/mydata")
    await user.expect("Welcome to Minsheng bot")
    await user.expect("stores about you")
    await user.press("Delete my data")
    ask = await user.expect("Delete everything")
    yes = next(b["callback_data"] for row in ask.reply_markup["inline_keyboard"] for b in row
               if b["text"] == "Yes, delete")
    await user.press_data(yes, ask)
    await user.press_data(yes, ask)  # a double tap: both presses arrive
    await user.next_callback_answer()
    await user.next_callback_answer()
    await asyncio.sleep(0.3)
    async with db.session() as s:
        assert await s.get(User, user.id) is None
