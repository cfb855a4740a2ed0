"""The foundation as people meet it: first contact, languages, menus, bad input, restarts."""
from __future__ import annotations

from sqlalchemy import select

from models import AuditEvent, Role, User
from services import invites, people
from services.auth import load_actor
from tests.support.waiting import eventually


async def test_first_contact_in_each_language(tg, bot):
    expected = {"zh-hans": ("欢迎使用民生实事机器人", "主菜单"), "zh-hant": ("歡迎使用民生實事機器人", "主選單"),
                "en": ("Welcome to Minsheng bot", "Main menu")}
    users = {code: tg.user(language_code=code) for code in expected}
    for user in users.values():
        await user.send("/start")
    for code, (welcome, menu) in expected.items():
        first = await users[code].expect(welcome)
        assert "/mydata" in first.text  # the privacy notice
        shown = await users[code].expect(menu)
        assert shown.buttons, "the main menu has buttons"
    # the command menu follows the language, per chat
    zh_tw = users["zh-hant"]
    commands = dict(await eventually(lambda: tg.commands("chat", chat_id=zh_tw.id)))
    assert commands["menu"] == "主選單" and "language" in commands
    assert dict(tg.commands("default", "en"))["menu"] == "Main menu"


async def test_switching_language_is_remembered_across_a_restart(tg, start_bot):
    app = await start_bot()
    user = tg.user(language_code="en")
    await user.send("/start")
    await user.expect("Welcome")
    await user.expect("Main menu")
    await user.send("/language")
    await user.expect("Choose your language")
    await user.press("繁體中文")
    await user.wait_for(lambda m: "語言已設為繁體中文" in (m.text or ""))
    await user.expect("主選單")
    await app.stop()
    await start_bot()
    await user.send("/menu")
    await user.expect("主選單")
    assert dict(await eventually(lambda: tg.commands("chat", chat_id=user.id)))["menu"] == "主選單"


async def test_invite_makes_a_deputy_once(tg, bot, db):
    async with db.session() as s:
        new = await invites.create(s, None, Role.deputy, ttl_days=7)
    first, second = tg.user(language_code="zh-hans"), tg.user(language_code="en")
    await first.send(f"/start {new.payload}")
    await first.expect("欢迎使用民生实事机器人")  # a first contact through an invite gets the notice too
    await first.expect("欢迎加入。您现在的身份是：人大代表")
    await second.send(f"/start {new.payload}")
    await second.expect("Welcome to Minsheng bot")
    await second.expect("already been used")
    async with db.session() as s:
        actor = await load_actor(s, await s.get(User, first.id))
        assert Role.deputy in actor.roles and actor.deputy_id is not None
        refused = await load_actor(s, await s.get(User, second.id))
        assert Role.deputy not in refused.roles
        assert await s.scalar(select(AuditEvent).where(AuditEvent.action == "invite.accept"))
    # the command menu follows the role: a deputy has office work and the vote (decide), a resident does not
    deputy_commands = dict(await eventually(lambda: tg.commands("chat", chat_id=first.id)))
    assert "office" in deputy_commands and "decide" in deputy_commands


async def test_menus_show_only_what_the_role_allows(tg, bot, db):
    resident, staff = tg.user(language_code="en"), tg.user(language_code="en")
    async with db.session() as s:
        await people.ensure_user(s, people.Contact(staff.id, "Staff", None, "en"))
        await people.grant_role(s, staff.id, Role.staff, by=None)
    for user in (resident, staff):
        await user.send("/menu")
    await resident.expect("Welcome to Minsheng bot")  # its first contact
    resident_menu = (await resident.expect("Main menu")).button_texts
    staff_menu = (await staff.expect("Main menu")).button_texts
    assert "Suggest a project" in resident_menu and "Suggestion queue" not in resident_menu
    assert {"Suggestion queue", "People and stations"} <= set(staff_menu)
    await resident.send("/office")
    await resident.expect("Nothing here is open to you yet")
    await staff.send("/decide")
    section = await staff.expect("Decide")
    assert "Suggestion queue" in section.button_texts and "Suggest a project" not in section.button_texts


async def test_unexpected_input_gets_an_answer_and_the_way_back(tg, bot):
    user = tg.user(language_code="en")
    await user.send("/start")
    await user.expect("Welcome")
    await user.expect("Main menu")
    await user.send_sticker()
    assert (await user.next_message()).button_texts == ["« Main menu"]
    await user.send_voice()
    await user.expect("cannot use this kind of message")
    await user.send("/frobnicate")
    await user.expect("do not know that command")
    await user.send("x" * 4096)
    await user.expect("too long")
    await user.send("hello?")
    await user.expect("did not understand")
    await user.press_data("menu:does-not-exist")
    answer = await user.next_callback_answer()
    assert "no longer valid" in answer.text and answer.show_alert
    await user.press_data("\x00garbage|" + "9" * 40)
    assert "no longer valid" in (await user.next_callback_answer()).text
    await user.send("/start inv_" + "A" * 30)
    await user.expect("invite link is not valid")
    await user.send("/start %%%garbage")
    await user.expect("not valid or has expired")


async def test_the_bot_works_in_private_chats_only(tg, bot):
    user = tg.user(language_code="zh-hans")
    group = tg.group()
    await user.send("/start", chat=group)
    await group.expect("我只在私聊中工作")


async def test_cancel_outside_a_form(tg, bot):
    user = tg.user(language_code="en")
    await user.send("/cancel")
    await user.expect("Welcome to Minsheng bot")
    await user.expect("nothing to cancel")


async def test_a_failing_command_menu_does_not_stop_the_bot(tg, start_bot):
    tg.fail_next("setMyCommands", status=500, times=None)
    await start_bot()
    user = tg.user(language_code="en")
    await user.send("/start")
    await user.expect("Welcome")
    assert tg.commands("default", "en") == []


async def test_mydata_shows_and_deletes_what_is_stored(tg, bot, db):
    user = tg.user(language_code="en", first_name="Mei <b>&")
    await user.send("/start")
    await user.expect("Welcome")
    await user.expect("Main menu")
    await user.send("/mydata")
    shown = await user.expect("what Minsheng bot stores about you")
    assert f"Telegram id {user.id}, name Mei <b>&" in shown.text  # a name is text, never markup
    await user.press("Delete my data")
    await user.expect("Delete everything")
    await user.press("Yes, delete")
    await user.wait_for(lambda m: "has been deleted" in (m.text or ""))
    async with db.session() as s:
        assert await s.get(User, user.id) is None
    await user.send("/start")
    await user.expect("Welcome to Minsheng bot")  # a first contact again


async def test_deputies_cannot_erase_themselves(tg, bot, db):
    async with db.session() as s:
        new = await invites.create(s, None, Role.deputy, ttl_days=7)
    user = tg.user(language_code="en")
    await user.send(f"/start {new.payload}")
    await user.expect("Welcome to Minsheng bot")
    await user.expect("Welcome aboard")
    await user.expect("Main menu")
    await user.send("/mydata")
    await user.expect("stores about you")
    await user.press("Delete my data")
    await user.expect("Delete everything")
    await user.press("Yes, delete")
    await user.wait_for(lambda m: "hold an office" in (m.text or ""))
    async with db.session() as s:
        assert await s.get(User, user.id) is not None


async def test_an_unexpected_error_gets_an_apology_not_silence(tg, bot, monkeypatch):
    import handlers.start

    def broken(actor):  # noqa: ANN001, ANN202
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(handlers.start, "menu_text", broken)
    user = tg.user(language_code="zh-hant")
    await user.send("/menu")
    await user.expect("歡迎使用民生實事機器人")
    await user.expect("我們這邊出了問題")
