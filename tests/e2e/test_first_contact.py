"""Whatever a newcomer's first message is, the welcome and privacy notice comes first, once,
and their chat's command menu is set in their language."""
from __future__ import annotations

from services import deputy_codes
from services.i18n import translate
from tests.e2e.test_suggest_flow import seed
from tests.support.chat import in_place
from tests.support.waiting import eventually
from tests.test_contact import MONDAY, build_world

WELCOME = "Welcome to Minsheng bot, the direct line between residents, deputies and the people's congress."
CLIENT = {"zh_CN": "zh-hans", "zh_TW": "zh-hant", "en": "en"}


def welcome(locale: str) -> str:
    return translate(locale, WELCOME)


def welcomes(user, locale: str) -> int:  # noqa: ANN001
    return sum(welcome(locale) in (m.text or "") for m in user.inbox)


async def test_a_qr_scan_as_first_contact_greets_in_the_clients_language(tg, db, start_bot):
    world = await build_world(db)
    async with db.session() as s:
        payload = deputy_codes.payload(await deputy_codes.code_for(s, None, MONDAY, deputy_id=world.deputy))
    await start_bot()
    for locale, client in CLIENT.items():
        resident = tg.user(language_code=client)
        await resident.send(f"/start {payload}")
        notice = await resident.expect(welcome(locale))
        assert "/mydata" in notice.text  # the privacy notice
        card = await resident.expect("王芳")
        assert translate(locale, "Book a meeting") in card.button_texts
        # the per-chat command menu, in the client's language (Telegram has no zh_TW default)
        menu = dict(await eventually(lambda: tg.commands("chat", chat_id=resident.id)))
        assert menu["menu"] == translate(locale, "Main menu") and "mydata" in menu
        await resident.send("/start")
        await resident.expect(translate(locale, "Welcome back."))
        await resident.expect(translate(locale, "Main menu"))
        assert welcomes(resident, locale) == 1


async def test_a_share_link_a_command_or_a_text_as_first_contact(tg, start_bot):
    app = await start_bot()
    made = await seed(app, 701)
    firsts = {"zh_TW": f"/start s_{made.share_code}", "en": "/help", "zh_CN": "你好，路灯坏了"}
    then = {"zh_TW": made.number, "en": translate("en", "Minsheng bot follows the four orders of livelihood "
                                                  "projects voted by deputies:"),
            "zh_CN": translate("zh_CN", "I did not understand. Use the menu below, or send /help.")}
    for locale, first in firsts.items():
        user = tg.user(language_code=CLIENT[locale])
        await user.send(first)
        await user.expect(welcome(locale))
        await user.expect(then[locale])
        menu = dict(await eventually(lambda: tg.commands("chat", chat_id=user.id)))
        assert menu["menu"] == translate(locale, "Main menu")
        await user.send("/menu")
        await user.expect(translate(locale, "Main menu"))
        await user.send("/start")
        await user.expect(translate(locale, "Welcome back."))
        assert welcomes(user, locale) == 1


async def test_start_as_first_contact_greets_once_and_not_back(tg, bot):
    user = tg.user(language_code="zh-hant")
    await user.send("/start")
    await user.expect(welcome("zh_TW"))
    await user.expect(translate("zh_TW", "Main menu"))
    await user.no_message()
    assert not any(translate("zh_TW", "Welcome back.") in (m.text or "") for m in user.inbox)
    assert welcomes(user, "zh_TW") == 1


# --- /settings and /cancel ---------------------------------------------------------------------


async def test_settings_gives_the_language_and_data_settings(tg, bot):
    for locale, client in CLIENT.items():
        user = tg.user(language_code=client)
        await user.send("/settings")
        await user.expect(welcome(locale))
        shown = await user.expect(translate(locale, "Settings"))
        assert shown.button_texts == [translate(locale, "Language"), translate(locale, "My data"),
                                      translate(locale, "« Main menu")]
        await user.press(translate(locale, "My data"))
        await user.expect(translate(locale, "This is what Minsheng bot stores about you:"))
        menu = dict(await eventually(lambda: tg.commands("chat", chat_id=user.id)))
        assert menu["settings"] == translate(locale, "Language and your data")
    await user.send("/settings")
    await user.expect("Settings")
    await user.press("Language")
    await user.expect("Choose your language")


async def test_cancel_asks_first_only_when_something_was_entered(tg, bot):
    for locale, client in CLIENT.items():
        t = lambda message, **params: translate(locale, message, **params)  # noqa: E731
        user = tg.user(language_code=client)
        await user.send("/start")
        await user.expect(welcome(locale))
        await in_place(user, t("Suggest a project"), await user.expect(t("Main menu")),
                       t("Which kind of project do you suggest?"))
        await user.send("/cancel")  # nothing entered yet: gone at once
        await user.expect(t("Cancelled. Nothing was saved."))
        await user.send("/menu")
        question = await in_place(user, t("Suggest a project"), await user.expect(t("Main menu")),
                                  t("Which kind of project do you suggest?"))
        await user.press(t("Roads and transport"), question)
        await user.expect(t("Category: {category}", category=t("Roads and transport")))
        await user.expect()
        await user.send("The lane to the school is dark after 6 pm.")
        await user.expect()
        await user.send("/cancel")
        asked = await user.expect(t("Leave this form? What you have entered so far will be lost."))
        await user.press(t("No, go on"), asked)
        await user.wait_for(lambda m: t("Good, the form is still open: answer its last question to go on.")
                            in (m.text or "") and not m.buttons)
        await user.send("/cancel")
        asked = await user.expect(t("Leave this form? What you have entered so far will be lost."))
        await user.press(t("Yes, discard it"), asked)
        await user.wait_for(lambda m: t("Cancelled. Nothing was saved.") in (m.text or ""))
        await user.send("/cancel")
        await user.expect(t("There is nothing to cancel."))
        assert asked.buttons == [] or all(t("Yes, discard it") not in text for row in asked.buttons for text, _ in row)
        await user.press_data("fc:discard")  # the question again (a double tap): the form is gone already
        await user.wait_for(lambda m: t("There is nothing to cancel.") in (m.text or "") and m.buttons)


# --- over-long text in a form ------------------------------------------------------------------


SENTENCE = "村口的路灯坏了一个多月，晚上孩子放学看不清路。"  # 23 characters


async def test_an_over_long_letter_is_kept_and_what_fits_is_taken(tg, db, start_bot):
    from sqlalchemy import select

    from models.contact import Inquiry

    world = await build_world(db)
    async with db.session() as s:
        payload = deputy_codes.payload(await deputy_codes.code_for(s, None, MONDAY, deputy_id=world.deputy))
    await start_bot(send_rate_per_chat=100)
    letter = SENTENCE * 100 + "完"  # 2,301 characters; the limit is 2,000
    how = {"zh_CN": "Take the first {max} characters", "zh_TW": "Go on in a second message",
           "en": "Take the first {max} characters"}
    for locale, client in CLIENT.items():
        t = lambda message, **params: translate(locale, message, **params)  # noqa: E731
        resident = tg.user(language_code=client)
        await resident.send(f"/start {payload}")
        await resident.expect(welcome(locale))
        await resident.press(t("Write to this deputy"), await resident.expect("王芳"))
        await resident.expect()
        await resident.send(letter)
        offer = await resident.expect(t("That text has {length} characters; the limit is {max}.",
                                        length="2,301", max="2,000"))
        assert offer.button_texts == [t("Take the first {max} characters", max="2,000"),
                                      t("Go on in a second message")]
        if locale == "en":  # a kept text counts as something entered: /cancel asks first
            await resident.send("/cancel")
            await resident.press(t("No, go on"), await resident.expect(t("Leave this form? What you have "
                                                                       "entered so far will be lost.")))
            await resident.wait_for(lambda m: t("Good, the form is still open: answer its last question to go "
                                                "on.") in (m.text or ""))
        await resident.press(t(how[locale], max="2,000"), offer)
        step = await resident.expect(t("You can add up to {max} photos now, one by one or as an album. Press "
                                       "Continue when you are done, or if you have none.", max=3))
        if locale == "zh_TW":  # what fits up to a sentence's end; the rest comes back to be sent again
            rest = await resident.expect(t("Here is the rest ({length} characters), to copy into a second "
                                           "message:", length="323"))
            assert rest.text.endswith(SENTENCE * 14 + "完")
        assert not offer.buttons or offer.buttons == [[]] or not any(offer.buttons)  # the offer's buttons are gone
        await resident.press_data("lt:cut")  # pressed again: nothing is kept any more
        while (answer := await resident.next_callback_answer()).data != "lt:cut" or not answer.text:
            pass
        assert answer.show_alert and t("This button is no longer valid. Open the menu again with /menu.") == answer.text
        await resident.press(t("Continue"), step)
        await resident.press(t("Send without location"), await resident.expect(t("Send without location")))
        await resident.expect("DB-2026-")
        async with db.session() as s:
            stored = (await s.scalars(select(Inquiry.text).where(Inquiry.resident_id == resident.id))).one()
        assert stored == (letter[:2000] if locale != "zh_TW" else SENTENCE * 86)


async def test_a_department_clerk_is_welcomed_with_their_department(tg, db, bot):
    from models import Role
    from services import directory, invites

    async with db.session() as s:
        roads = await directory.ensure_department(s, None, "交通运输局 <roads>")
        links = [(await invites.create(s, None, Role.department, ttl_days=7, department_id=roads.id)).payload
                 for _ in CLIENT]
    for (locale, client), payload in zip(CLIENT.items(), links):
        clerk = tg.user(language_code=client)
        await clerk.send(f"/start {payload}")
        await clerk.expect(welcome(locale))
        role = translate(locale, "{role}: {department}", role=translate(locale, "implementing department"),
                         department="交通运输局 <roads>")
        await clerk.expect(translate(locale, "Welcome aboard. You now hold the role: {role}.", role=role))


async def test_a_deputy_answering_the_same_day_reads_so_on_the_card(tg, db, clock, start_bot):
    from datetime import timedelta

    from services import inquiries
    from tests.test_contact import World, actor, write

    world = await build_world(db)
    letter = await write(db, world)
    async with db.session() as s:
        await inquiries.answer(s, await actor(s, World.DEPUTY_USER), letter.id, "明天就修", MONDAY + timedelta(hours=3))
        payload = deputy_codes.payload(await deputy_codes.code_for(s, None, MONDAY, deputy_id=world.deputy))
    await start_bot()
    for locale, client in CLIENT.items():
        resident = tg.user(language_code=client)
        await resident.send(f"/start {payload}")
        await resident.expect(welcome(locale))
        card = await resident.expect("王芳")
        assert translate(locale, "Median time to answer: the same day.") in card.text
        assert translate(locale, "Answered in time over the last 12 months: {share}%.", share=100) in card.text


async def test_a_deputys_menu_names_suggestions_and_proposals_apart(tg, db, bot):
    from models import Role
    from services import invites

    async with db.session() as s:
        links = [(await invites.create(s, None, Role.deputy, ttl_days=7)).payload for _ in CLIENT]
    for (locale, client), payload in zip(CLIENT.items(), links):
        deputy = tg.user(language_code=client)
        await deputy.send(f"/start {payload}")
        await deputy.expect(welcome(locale))
        await deputy.expect(translate(locale, "Welcome aboard. You now hold the role: {role}.",
                                      role=translate(locale, "deputy")))
        menu = await deputy.expect(translate(locale, "Main menu"))
        assert len(menu.button_texts) == len(set(menu.button_texts)), menu.button_texts
        assert {translate(locale, "My suggestions"), translate(locale, "My proposals")} <= set(menu.button_texts)
        if locale != "en":
            assert "代表建" in translate(locale, "My proposals")
        back = translate(locale, "« Main menu")
        assert back.startswith("« ")  # an arrow, not an opening quote
