"""Residents suggest projects and support others' suggestions, end to end through the fake Telegram."""
from __future__ import annotations

import re
from sqlalchemy import select

from models.suggestions import Suggestion, Support
from services import directory, people, suggestions
from services.auth import load_actor
from services.i18n import translate
from services.suggestions import Draft, Rules
from tests.support.chat import in_place
from tests.support.waiting import eventually

ALICE, BOB = 701, 702


async def shows(user, text: str, timeout: float = 5.0):
    """The newest bot message (sent or edited) containing `text`."""
    return await user.wait_for(lambda m: text in (m.text or ""), timeout=timeout)


async def committed(app, condition) -> Suggestion:
    """The suggestion matching `condition`, once the handler that answered has committed it."""
    async def find() -> Suggestion | None:
        async with app.ctx.db.session() as s:
            return await s.scalar(select(Suggestion).where(condition))

    return await eventually(find)


async def open_menu(user):  # noqa: ANN201
    await user.send("/menu")
    return await user.expect("Main menu")


async def seed(app, author: int, lang: str = "en", **changes) -> Suggestion:
    """A suggestion made through the service, as the bot would (the form is tested below)."""
    settings = app.ctx.settings
    rules = Rules(tuple(settings.suggestion_categories), settings.suggestions_per_day, settings.tz)
    async with app.ctx.db.session() as s:
        user, _ = await people.ensure_user(s, people.Contact(author, f"Author{author}", None, lang))
        draft = Draft(**{"category": "roads", "description": "Street lights on East Lane, please.",
                         "place_text": "East Lane", **changes})
        return await suggestions.submit(s, await load_actor(s, user), rules, draft, app.ctx.now())


async def test_a_complete_suggestion_with_an_album_a_location_and_an_edit(tg, start_bot):
    app = await start_bot()
    async with app.ctx.db.session() as s:
        station = await directory.add_station(s, None, "East Street Station", area="Shuikou")
    alice = tg.user(ALICE, "Alice", language_code="en")
    await alice.send("/start")
    await alice.expect("Welcome")
    menu = await alice.expect("Main menu")
    await in_place(alice, "Suggest a project", menu, "Which kind of project")
    await alice.send_photo()  # a photo where a category is expected
    await alice.expect("choose a category with the buttons")
    await alice.press("Roads and transport")
    await alice.expect("Category: Roads and transport")
    await alice.expect("Describe what is needed")

    await alice.send_sticker()
    await alice.expect("describe the need as a text message")
    for part in ("x" * 4096, "x" * 4096, "x" * 1808):  # 10,000 characters, as a Telegram client splits them
        await alice.send(part)
    await alice.expect("arrived in parts. The limit here is 2000 characters")
    await alice.no_message(within=0.5)  # one answer, and no fragment taken for the description
    await alice.send("y" * 2500)
    await alice.expect("That text has 2,500 characters; the limit is 2,000.")
    await alice.send_photo()  # a photo without text: kept, and the description still asked for
    kept = await alice.expect("Photos saved: 1 of 5.")
    assert "describe the need in words" in kept.text
    await alice.send("The lane to the primary school is dark after 6 pm; please install street lights.")
    await alice.expect("you have 1")

    await alice.send("here is my text instead of a photo")
    await alice.expect("That is not a photo")
    await alice.send_album(20)
    album = await alice.expect("Photos saved: 5 of 5.")
    assert "16 more photos were not added" in album.text
    await alice.no_message(within=1.2)  # one answer for the whole album

    await alice.press("Done")
    await alice.expect("Which liaison station's area")
    await alice.press("East Street Station · Shuikou")
    await alice.expect("Station area: East Street Station")
    place = await alice.expect("Where exactly?")
    assert place.reply_keyboard == [["📍 Send my location"]]
    await alice.send_location(22.35, 110.95)
    await alice.expect("Place: 📍 22.35000, 110.95000")
    await alice.expect("May we show your first name (Alice)")
    await alice.press("Yes, show my name")
    preview = await alice.expect("Please check your suggestion")
    assert "Photos: 5" in preview.text and "East Street Station" in preview.text
    assert "Your name is shown" in preview.text

    await alice.press("Edit description")
    await alice.expect("Describe what is needed")
    await alice.send("The lane to the primary school is dark after 6 pm; twelve street lights are needed.")
    preview = await alice.expect("Please check your suggestion")
    assert "twelve street lights" in preview.text and "Photos: 5" in preview.text
    await alice.press("✅ Send")
    done = await alice.expect("Your suggestion is registered as")
    number = re.search(r"MS-2026-\d{6}", done.text).group(0)
    code = re.search(r"start=s_([\w-]+)", done.text).group(1)

    made = await committed(app, Suggestion.number == number)
    async with app.ctx.db.session() as s:
        photos = await suggestions.photos(s, made.id)
    assert (made.latitude, made.longitude, made.station_id, made.show_name) == (22.35, 110.95, station.id, True)
    assert made.share_code == code and "twelve street lights" in made.description
    assert len(photos) == 5 and len({p.file_unique_id for p in photos}) == 5

    await open_menu(alice)
    await alice.press("My suggestions")
    listing = await shows(alice, "newest first")
    assert number in listing.text and "received" in listing.text and "supporters: 0" in listing.text
    await alice.press(number)
    card = await shows(alice, "History")
    assert "received" in card.text and f"start=s_{code}" in card.text


async def test_a_form_interrupted_by_a_restart_is_finished_afterwards(tg, start_bot):
    app = await start_bot()
    li = tg.user(ALICE, "Li", language_code="zh-hans")

    def zh(message: str, **params) -> str:
        return translate("zh_CN", message, **params)

    await li.send("/menu")
    await li.expect(zh("Welcome to Minsheng bot, the direct line between residents, deputies and the people's congress."))
    menu = await li.expect(zh("Main menu. What would you like to do?"))
    await in_place(li, zh("Suggest a project"), menu, zh("Which kind of project do you suggest?"))
    await li.press(zh("Safe drinking water"))
    await li.expect(zh("Category: {category}", category=zh("Safe drinking water")))
    await li.expect(zh("Describe what is needed and why, in your own words ({min} to {max} characters). "
                       "You may send a photo with the description as its caption.", min=5, max=2000))
    await li.send_photo(caption="西村自来水管老化，经常停水，希望更换主管道。")
    await li.expect(zh("Photos saved: {count} of {max}.", count=1, max=5))

    await app.stop()
    app = await start_bot()

    await li.press(zh("Done"))  # a button from before the restart still works: the form lives in the database
    await li.expect(zh("Where exactly? Send the location (📎 → Location, or the button below), "
                       "or type the village and street."))
    await li.send("西村三组")
    await li.expect(zh("Place: {place}", place="西村三组"))
    await li.expect(zh("May we show your first name ({name}) with the suggestion when it is shared? "
                       "If not, it appears without a name.", name="Li"))
    await li.press(zh("No, without my name"))
    preview = await li.expect(zh("<b>Please check your suggestion before sending it.</b>").removeprefix("<b>")[:6])
    assert "西村自来水管老化" in preview.text
    await li.press(zh("✅ Send"))
    await li.expect("MS-2026-")
    made = await committed(app, Suggestion.author_id == li.id)
    assert (made.category, made.place_text, made.show_name) == ("drinking_water", "西村三组", False)
    async with app.ctx.db.session() as s:
        assert len(await suggestions.photos(s, made.id)) == 1


async def test_a_second_resident_supports_once_and_garbage_links_are_answered(tg, start_bot):
    app = await start_bot()
    made = await seed(app, ALICE, show_name=False)
    bob = tg.user(BOB, "Bob", language_code="en")
    await bob.send(f"/start s_{made.share_code}")
    await bob.expect("Welcome to Minsheng bot")  # its first contact
    card = await bob.expect(f"Suggestion {made.number}")
    assert "Street lights on East Lane" in card.text and "Author" not in card.text
    assert "chose not to be named" in card.text and "Supporters: 0" in card.text
    await bob.press("👍 Support this suggestion")
    await bob.next_callback_answer()
    supported = await shows(bob, "You support this suggestion")
    assert "Supporters: 1" in supported.text
    forged = supported.buttons  # the support button is gone; pressing its data again is refused
    assert all("Support this" not in text for row in forged for text, _ in row)
    await bob.press_data(f"sp:{made.share_code}")
    assert "already support" in (await bob.next_callback_answer()).text

    for garbage in ("s_", "s_nonsense", "s_" + "A" * 60, "s_<b>x</b>"):
        await bob.send(f"/start {garbage}")
        await bob.expect("This share link is not valid")
    await bob.press_data("sp:doesnotexist")
    assert "not valid" in (await bob.next_callback_answer()).text

    # /cancel reaches the core handler from inside the form
    await in_place(bob, "Suggest a project", await open_menu(bob), "Which kind of project")
    await bob.press("Other")
    await bob.expect("Category: Other")
    await bob.expect("Describe what is needed")
    await bob.send("/cancel")
    await bob.expect("Cancelled. Nothing was saved.")
    await bob.send("The lane needs lights")
    await bob.expect("I did not understand")

    alice = tg.user(ALICE, "Alice", language_code="en")
    await alice.send(f"/start s_{made.share_code}")
    own = await alice.expect(f"Suggestion {made.number}")
    assert "your own suggestion" in own.text and not any("Support" in t for t in own.button_texts)
    await open_menu(alice)
    await alice.press("My suggestions")
    listing = await shows(alice, "newest first")
    assert f"{made.number} · Roads and transport · received · supporters: 1" in listing.text
    async with app.ctx.db.session() as s:  # the later screens were answered, so the support is committed
        assert [(x.user_id, x.suggestion_id) for x in await s.scalars(select(Support))] == [(BOB, made.id)]


async def test_the_daily_limit_is_answered_politely(tg, start_bot):
    app = await start_bot(suggestions_per_day=2)
    for _ in range(2):
        await seed(app, ALICE)
    alice = tg.user(ALICE, "Alice", language_code="en")
    await open_menu(alice)
    await alice.press("Suggest a project")
    answer = await alice.next_callback_answer()
    assert answer.show_alert and "You have sent 2 today" in answer.text and "2026-03-03 00:00" in answer.text
    await alice.no_message(within=0.3)  # no form was started
