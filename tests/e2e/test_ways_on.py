"""Every screen leaves a way on: a refusal offers the main menu, pressed buttons change their own
message, and a form's old buttons go away once it has moved on."""
from __future__ import annotations

from tests.e2e.test_suggest_flow import seed

MAIN_MENU = "« Main menu"


async def arrive(user):  # noqa: ANN001, ANN201
    """A first /start: the welcome, then the main menu, which is returned."""
    await user.send("/start")
    menu = await user.wait_for(lambda m: "Main menu. What would you like to do?" in (m.text or ""))
    user.drain()
    return menu


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
