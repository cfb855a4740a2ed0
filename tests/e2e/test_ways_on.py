"""Every screen leaves a way on: a refusal offers the main menu, pressed buttons change their own
message, and a form's old buttons go away once it has moved on."""
from __future__ import annotations

from tests.e2e.test_contact_flow import deputy_link
from tests.e2e.test_suggest_flow import seed
from tests.support.chat import in_place
from tests.test_contact import build_world

MAIN_MENU = "« Main menu"


async def arrive(user):  # noqa: ANN001, ANN201
    """A first /start: the welcome, then the main menu, which is returned."""
    await user.send("/start")
    menu = await user.wait_for(lambda m: "Main menu. What would you like to do?" in (m.text or ""))
    user.drain()
    return menu


async def answer(user, question: str, text: str) -> None:  # noqa: ANN001
    """Once the form asks `question`, answer it with `text` (what came before is read)."""
    await user.wait_for(lambda m: question in (m.text or ""))
    user.drain()
    await user.send(text)


async def test_a_forged_share_link_is_refused_with_the_main_menu_to_go_on(tg, bot):
    user = tg.user(801, "Wei", language_code="en")
    await arrive(user)
    await user.send("/start s_forged-and-nonsense")
    refusal = await user.expect("This share link is not valid")
    assert refusal.button_texts == [MAIN_MENU]
    await user.press(MAIN_MENU, refusal)
    menu = await user.wait_for(lambda m: "Main menu. What would you like to do?" in (m.text or ""))
    assert "Suggest a project" in menu.button_texts


async def test_a_forged_button_is_still_refused_with_an_alert(tg, bot):
    await seed(bot, 802)
    user = tg.user(803, "Lan", language_code="en")
    await arrive(user)
    await user.press_data("sp:forged-code-1234")
    answer = await user.next_callback_answer()
    assert answer.show_alert and "share link is not valid" in answer.text
    await user.no_message()


async def test_a_refusal_inside_a_form_keeps_the_form_open_without_a_menu_button(tg, bot):
    user = tg.user(804, "Hua", language_code="en")
    await arrive(user)
    await user.press("Suggest a project")
    await user.wait_for(lambda m: "Which kind of project" in (m.text or ""))
    await user.press("Roads and transport")
    await user.wait_for(lambda m: "Describe what is needed" in (m.text or ""))
    user.drain()
    await user.send("abc")
    refusal = await user.expect("at least")
    assert refusal.buttons == []  # the menu would drop what was entered; the form waits for a better answer
    await user.send("The lane to the primary school is dark after 6 pm; please install street lights.")
    await user.expect("Send photos of the place")


async def test_menu_chains_change_the_pressed_message_instead_of_posting_new_ones(tg, db, start_bot):
    await build_world(db)
    await start_bot()
    user = tg.user(805, "Ming", language_code="en")
    menu = await arrive(user)
    question = await in_place(user, "Suggest a project", menu, "Which kind of project do you suggest?")
    assert question.message_id == menu.message_id and "Roads and transport" in question.button_texts
    await user.no_message()
    await user.send("/cancel")
    await user.expect("Cancelled")

    await user.send("/menu")
    menu = await user.expect("Main menu")
    screens = []
    for button, shows in (("Find my deputy", "Choose your liaison station:"),
                          ("东街联络站", "Deputies of 东街联络站"),
                          ("王芳", "You can write to this deputy or ask to meet them."),
                          ("Find another deputy", "Choose your liaison station:")):
        screens.append(await in_place(user, button, menu, shows))
    assert {screen.message_id for screen in screens} == {menu.message_id}
    assert [edit.method for edit in menu.edits] == ["editMessageText"] * 4
    await user.no_message()


async def test_a_photo_steps_old_prompts_lose_their_buttons_once_a_newer_one_or_the_next_step_comes(tg, bot):
    user = tg.user(806, "Fang", language_code="en")
    await arrive(user)
    await user.press("Suggest a project")
    await user.press("Roads and transport", await user.wait_for(lambda m: "Which kind" in (m.text or "")))
    await answer(user, "Describe what is needed", "The lane to the primary school is dark after 6 pm; "
                                                  "please install street lights.")
    first = await user.expect("Send photos of the place")
    await user.send_photo()
    second = await user.expect("Photos saved: 1 of 5.")
    await user.send("a text, not a photo")
    third = await user.expect("That is not a photo")
    await user.wait_for(lambda: not second.buttons)  # only the newest prompt can be answered
    assert first.buttons == [] and [edit.method for edit in second.edits] == ["editMessageReplyMarkup"]
    assert [edit.method for edit in first.edits] == ["editMessageReplyMarkup"]
    assert third.button_texts == ["Done", "Remove the photos"]

    await user.press("Done", third)
    await user.wait_for(lambda m: "Where exactly?" in (m.text or ""))
    assert [m.message_id for m in user.inbox if "Done" in m.button_texts] == []


async def test_an_opinions_photo_and_place_prompts_lose_their_buttons_as_the_form_moves_on(tg, db, start_bot):
    world = await build_world(db)
    payload = await deputy_link(db, world)
    await start_bot()
    user = tg.user(807, "Qing", language_code="en")
    await user.send(f"/start {payload}")
    await user.press("Write to this deputy", await user.wait_for(lambda m: "Write to this deputy" in m.button_texts))
    await answer(user, "Write your opinion", "The street lamp at the village gate has been broken for a month.")
    asked = await user.expect("You can add up to 3 photos")
    await user.send_photo()
    added = await user.expect("Photo 1 of 3 added.")
    await user.wait_for(lambda: not asked.buttons)
    await user.press("Continue", added)
    place = await user.expect("If a place matters")
    assert added.buttons == []
    await user.send_location(22.35, 110.95)
    await user.expect("Your tracking number is")
    await user.wait_for(lambda: not place.buttons)
    live = {text for m in user.inbox for text in m.button_texts}
    assert not live & {"Continue", "Send without location"}
