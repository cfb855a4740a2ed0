"""Self-check of the fake Telegram Bot API (fakebot) with tiny real aiogram bots."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import suppress
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.methods.base import TelegramMethod
from aiogram.types import (
    BotCommand,
    BotCommandScopeDefault,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    MenuButtonWebApp,
    Message,
    ReplyKeyboardMarkup,
    Update,
    WebAppInfo,
)

from fakebot import FakeTelegram, FakeUser, LoopbackSession, make_png
from fakebot.echo import build_echo_dispatcher
from fakebot.server import CONFLICT_POLL

USER_ID = 1001


class UnknownMethod(TelegramMethod[bool]):
    __returning__ = bool
    __api_method__ = "sendTelepathy"


class LocationWithoutLongitude(TelegramMethod[Message]):
    __returning__ = Message
    __api_method__ = "sendLocation"

    chat_id: int
    latitude: float


def build_menu_dispatcher() -> Dispatcher:
    """/start <payload> echoes the deep-link payload; /menu shows a vote keyboard whose
    presses are answered and turn the message into the result."""
    dispatcher = Dispatcher()

    @dispatcher.message(CommandStart(deep_link=True))
    async def start(message: Message, command: CommandObject) -> None:
        await message.answer(f"payload={command.args}")

    @dispatcher.message(Command("menu"))
    async def menu(message: Message) -> None:
        keyboard = InlineKeyboardMarkup(inline_keyboard=[[
            InlineKeyboardButton(text="👍 Yes", callback_data="vote:yes"),
            InlineKeyboardButton(text="👎 No", callback_data="vote:no"),
        ], [InlineKeyboardButton(text="Site", url="https://example.org")]])
        await message.answer("<b>Vote?</b>", reply_markup=keyboard)

    @dispatcher.callback_query(F.data.startswith("vote:"))
    async def vote(callback: CallbackQuery) -> None:
        choice = (callback.data or "").split(":", 1)[1]
        await callback.answer(f"got {choice}")
        assert isinstance(callback.message, Message)
        await callback.message.edit_text(f"You voted {choice}")

    @dispatcher.message(F.photo)
    async def photo(message: Message) -> None:
        assert message.photo
        await message.answer_photo(message.photo[-1].file_id, caption=f"{len(message.photo)} sizes")

    return dispatcher


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as tg:
        yield tg


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with telegram.make_bot(default=DefaultBotProperties(parse_mode="HTML")) as bot:
        yield bot


@pytest.fixture
def user(telegram: FakeTelegram) -> FakeUser:
    return telegram.user(USER_ID, "Li", language_code="zh-hans")


# ---------------------------------------------------------------- polling round trips


async def test_echo_round_trip_in_private_chat(telegram: FakeTelegram, user: FakeUser) -> None:
    async with telegram.polling(build_echo_dispatcher()):
        first = await user.send("你好, bot")
        reply = await user.expect(contains="你好, bot")
        await user.send("second")
        second = await user.expect("second")
        await user.no_message(within=0.1)

    assert reply.chat_id == USER_ID and reply.method == "sendMessage"
    assert reply.payload["from"] == telegram.bot_user
    assert reply.payload["chat"] == {"id": USER_ID, "type": "private", "first_name": "Li"}
    assert first["message_id"] < reply.message_id < second.message_id
    assert [m.text for m in telegram.delivered_messages(USER_ID)] == ["你好, bot", "second"]
    assert [m for m, _ in telegram.calls] == ["getMe", "sendMessage", "sendMessage"]
    assert telegram.spec.problems("Message", reply.payload) == []
    assert telegram.pending_updates == []  # the bot confirmed both updates
    assert telegram.unknown_params == []


async def test_echo_in_a_group_chat(telegram: FakeTelegram, user: FakeUser) -> None:
    group = telegram.group(-100123, "Deputies")
    async with telegram.polling(build_echo_dispatcher()):
        await user.send_text("hi all", chat=group)
        reply = await group.expect("hi all")
    assert reply.payload["chat"] == {"id": -100123, "type": "supergroup", "title": "Deputies"}
    assert user.inbox == []


async def test_inline_button_press_reaches_the_callback_handler(telegram: FakeTelegram, user: FakeUser) -> None:
    async with telegram.polling(build_menu_dispatcher(), telegram.make_bot(
        default=DefaultBotProperties(parse_mode="HTML")
    )):
        await user.send("/start project_42")
        assert (await user.expect()).text == "payload=project_42"
        await user.send("/menu")
        menu = await user.expect("Vote?")
        assert menu.buttons == [[("👍 Yes", "vote:yes"), ("👎 No", "vote:no")], [("Site", "https://example.org")]]
        assert menu.payload["entities"] == [{"type": "bold", "offset": 0, "length": 5}]

        with pytest.raises(AssertionError, match="not a callback button"):
            await user.press("Site")
        await user.press("Yes")
        answer = await user.next_callback_answer()
        edited = await user.wait_for(lambda m: m.text == "You voted yes")
        assert await user.wait_for(lambda: menu.edits) == menu.edits  # a plain condition works too

    assert (answer.text, answer.data, answer.show_alert) == ("got yes", "vote:yes", False)
    assert edited is menu and [e.method for e in menu.edits] == ["editMessageText"]
    assert menu.buttons == []  # editing text without reply_markup drops the keyboard, as on Telegram
    await user.no_message(within=0)


async def test_photo_round_trip_resolves_file_ids(telegram: FakeTelegram, user: FakeUser) -> None:
    png = make_png(1000, 500)
    async with telegram.polling(build_menu_dispatcher()):
        sent = await user.send_photo(png)
        reply = await user.expect("4 sizes")  # 90, 320, 800 and the original
    assert [(s["width"], s["height"]) for s in sent["photo"]] == [(90, 45), (320, 160), (800, 400), (1000, 500)]
    assert reply.photo_bytes == png
    assert reply.payload["photo"] == sent["photo"]


# ---------------------------------------------------------------- Bot API conformance


async def test_unknown_method_and_wrong_token(telegram: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(TelegramNotFound, match="Not Found"):
        await bot(UnknownMethod())
    session = LoopbackSession(api=TelegramAPIServer.from_base(telegram.base_url))
    async with Bot("999:WRONG", session=session) as stranger:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()


async def test_missing_required_parameter_is_a_bad_request(telegram: FakeTelegram, bot: Bot, user: FakeUser) -> None:
    with pytest.raises(TelegramBadRequest, match='parameter "longitude" is required'):
        await bot(LocationWithoutLongitude(chat_id=USER_ID, latitude=39.9))
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER_ID, "  \n ")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(4242, "who?")
    assert telegram.errors[0].description == 'Bad Request: parameter "longitude" is required'


async def test_raw_http_encodings_and_case_insensitive_methods(telegram: FakeTelegram, user: FakeUser) -> None:
    api = f"{telegram.base_url}/bot{telegram.token}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{api}/GETME") as resp:
            assert (resp.status, (await resp.json())["result"]["username"]) == (200, "minsheng_test_bot")
        async with http.post(f"{api}/sendMessage", json={"chat_id": USER_ID, "text": "json", "foo": 1}) as resp:
            assert (await resp.json())["result"]["text"] == "json"
        async with http.post(f"{api}/sendmessage", data={"chat_id": str(USER_ID), "text": "form"}) as resp:
            assert (await resp.json())["result"]["chat"]["id"] == USER_ID
        async with http.get(f"{api}/sendMessage", params={"chat_id": USER_ID, "text": "query"}) as resp:
            assert resp.status == 200
        async with http.post(f"{telegram.base_url}/bot1:bad/getMe") as resp:
            assert (resp.status, await resp.json()) == (
                401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
        async with http.post(f"{api}/sendMessage", data={"chat_id": USER_ID, "text": "x", "reply_markup": "{"}) as resp:
            assert (await resp.json())["description"] == "Bad Request: can't parse reply keyboard markup JSON object"
    assert [m.text for m in user.inbox] == ["json", "form", "query"]
    assert telegram.unknown_params == [("sendMessage", "foo")]


async def test_text_length_and_html_limits(telegram: FakeTelegram, bot: Bot, user: FakeUser) -> None:
    await bot.send_message(USER_ID, "a" * 4096)
    await bot.send_message(USER_ID, "<b>" + "a" * 4094 + "</b> &amp;")  # tags and entities are not counted
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER_ID, "a" * 4097)
    with pytest.raises(TelegramBadRequest, match="can't parse entities: Can't find end tag corresponding to start tag"):
        await bot.send_message(USER_ID, "<b>unclosed")
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "br" at byte offset 3'):
        await bot.send_message(USER_ID, "one<br>two")
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_photo(USER_ID, BufferedInputFile(make_png(), "p.png"), caption="c" * 1025)
    with pytest.raises(TelegramBadRequest, match=r"Character '\.' is reserved"):
        await bot.send_message(USER_ID, "*Done*.", parse_mode="MarkdownV2")
    await bot.send_message(USER_ID, "*Done*\\.", parse_mode="MarkdownV2")
    assert user.inbox[-1].text == "Done." and user.inbox[-1].entities[0]["type"] == "bold"
    assert [len(m.text or "") for m in user.inbox] == [4096, 4096, 5]
    assert user.inbox[1].entities == [{"type": "bold", "offset": 0, "length": 4094}]


async def test_callback_data_is_limited_to_64_bytes(bot: Bot, user: FakeUser) -> None:
    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="b", callback_data=data)]])

    await bot.send_message(USER_ID, "ok", reply_markup=keyboard("x" * 64))
    await bot.send_message(USER_ID, "ok", reply_markup=keyboard("é" * 32))  # 64 bytes
    for data in ("x" * 65, "é" * 33):
        with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
            await bot.send_message(USER_ID, "too long", reply_markup=keyboard(data))
    assert len(user.inbox) == 2


async def test_edit_rules(telegram: FakeTelegram, bot: Bot, user: FakeUser) -> None:
    sent = await bot.send_message(USER_ID, "v1")
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("v1", chat_id=USER_ID, message_id=sent.message_id)
    await bot.edit_message_text("v2", chat_id=USER_ID, message_id=sent.message_id)
    mine = await user.send("user text")
    with pytest.raises(TelegramBadRequest, match="message can't be edited"):
        await bot.edit_message_text("hack", chat_id=USER_ID, message_id=mine["message_id"])
    await bot.delete_message(USER_ID, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("v3", chat_id=USER_ID, message_id=sent.message_id)
    reply = await bot.send_message(USER_ID, "re", reply_to_message_id=mine["message_id"])
    assert reply.reply_to_message is not None and reply.reply_to_message.text == "user text"
    message = user.inbox[0]
    assert (message.text, message.deleted, len(message.edits)) == ("v2", True, 1)


# ---------------------------------------------------------------- fault injection


async def test_injected_429_surfaces_as_retry_after(telegram: FakeTelegram, bot: Bot, user: FakeUser) -> None:
    telegram.fail_next("sendMessage", retry_after=3)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER_ID, "first try")
    assert caught.value.retry_after == 3
    assert "Too Many Requests: retry after 3" in caught.value.message
    await bot.send_message(USER_ID, "second try")
    telegram.fail_next("sendMessage", 502, chat_id=USER_ID)
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(USER_ID, "third try")
    assert [m.text for m in user.inbox] == ["second try"]
    assert [e.error_code for e in telegram.errors] == [429, 502]


async def test_chat_rate_enforcement(telegram: FakeTelegram, bot: Bot, user: FakeUser) -> None:
    telegram.enforce_chat_rate = True
    await bot.send_message(USER_ID, "one")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER_ID, "two")
    assert caught.value.retry_after == 1
    await bot.send_message(telegram.user(1002).id, "another chat is fine")


async def test_blocked_user_is_forbidden(telegram: FakeTelegram, bot: Bot, user: FakeUser) -> None:
    user.block_bot()
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER_ID, "hello?")
    user.unblock_bot()
    await bot.send_message(USER_ID, "welcome back")
    assert [u["my_chat_member"]["new_chat_member"]["status"] for u in telegram.pending_updates] == ["kicked", "member"]
    assert [m.text for m in user.inbox] == ["welcome back"]


async def test_hold_and_client_disconnect_drop_the_message(telegram: FakeTelegram, bot: Bot, user: FakeUser) -> None:
    held = telegram.hold("sendMessage")
    sender = asyncio.create_task(bot.send_message(USER_ID, "doomed"))
    await held.wait_arrived(1)
    assert telegram.calls_of("sendMessage") == []
    sender.cancel()  # the sending process dies mid-delivery
    with suppress(asyncio.CancelledError):
        await sender
    await held.wait_dropped(1)
    held.release()
    await bot.send_message(USER_ID, "after release")
    assert [m.text for m in telegram.delivered_messages()] == ["after release"]
    assert [p["text"] for p in telegram.calls_of("sendMessage")] == ["after release"]


async def test_released_hold_delivers(telegram: FakeTelegram, bot: Bot, user: FakeUser) -> None:
    with telegram.hold("sendMessage", chat_id=USER_ID) as held:
        sender = asyncio.create_task(bot.send_message(USER_ID, "late"))
        await held.wait_arrived(1)
        await user.no_message(within=0.05)
    assert (await sender).text == "late"
    assert (await user.next_message()).text == "late"


# ---------------------------------------------------------------- files, commands, updates


async def test_uploaded_document_is_stored_and_downloadable(telegram: FakeTelegram, bot: Bot, user: FakeUser) -> None:
    data = b"%PDF-1.4 report"
    sent = await bot.send_document(USER_ID, BufferedInputFile(data, "report.pdf"), caption="Report")
    again = await bot.send_document(USER_ID, sent.document.file_id)  # type: ignore[union-attr]
    file = await bot.get_file(sent.document.file_id)  # type: ignore[union-attr]
    downloaded = await bot.download_file(file.file_path or "")
    first, second = user.inbox
    assert (first.document_bytes, first.document_name, first.text) == (data, "report.pdf", "Report")
    assert second.document_bytes == data and again.document.file_name == "report.pdf"  # type: ignore[union-attr]
    assert sent.document.mime_type == "application/pdf"  # type: ignore[union-attr]
    assert downloaded is not None and downloaded.read() == data
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("nope")
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(USER_ID, "nope")


async def test_media_group_returns_one_message_per_item(bot: Bot, user: FakeUser) -> None:
    pngs = [make_png(rgb=(i, 0, 0)) for i in range(3)]
    media = [
        InputMediaPhoto(media=BufferedInputFile(png, f"{i}.png"), caption="album" if i == 0 else None)
        for i, png in enumerate(pngs)
    ]
    messages = await bot.send_media_group(USER_ID, media)
    assert len(messages) == 3 and len({m.media_group_id for m in messages}) == 1
    assert [m.photo_bytes for m in user.inbox] == pngs
    assert user.inbox[0].text == "album"


async def test_copy_forward_and_other_methods(telegram: FakeTelegram, bot: Bot, user: FakeUser) -> None:
    mine = await user.send_photo(caption="original")
    copied = await bot.copy_message(USER_ID, from_chat_id=USER_ID, message_id=mine["message_id"], caption="copy")
    await bot.forward_message(USER_ID, from_chat_id=USER_ID, message_id=mine["message_id"])
    await bot.send_location(USER_ID, 39.9, 116.4)
    await bot.send_chat_action(USER_ID, "typing")
    app = MenuButtonWebApp(text="App", web_app=WebAppInfo(url="https://example.org/app"))
    await bot.set_chat_menu_button(chat_id=USER_ID, menu_button=app)
    assert await bot.set_my_description("Minsheng") is True  # not simulated, acknowledged like Telegram
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(USER_ID, from_chat_id=USER_ID, message_id=999)
    with pytest.raises(TelegramBadRequest, match="wrong parameter action in request"):
        await bot.send_chat_action(USER_ID, "dancing")

    copy, forward, location = user.inbox
    assert (copy.message_id, copy.text, copy.method) == (copied.message_id, "copy", "copyMessage")
    assert copy.photo_bytes is not None and copy.photo_bytes == telegram.file_bytes(mine["photo"][-1]["file_id"])
    assert forward.text == "original" and forward.payload["forward_origin"]["sender_user"]["id"] == USER_ID
    assert location.payload["location"] == {"latitude": 39.9, "longitude": 116.4}
    assert telegram.menu_button(USER_ID)["web_app"] == {"url": "https://example.org/app"}
    assert [m for m, _ in telegram.calls].count("sendChatAction") == 2


async def test_commands_are_stored_per_scope_and_language(telegram: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Start")])
    await bot.set_my_commands(
        [BotCommand(command="start", description="开始"), BotCommand(command="projects", description="项目")],
        scope=BotCommandScopeDefault(), language_code="zh",
    )
    assert telegram.commands() == [("start", "Start")]
    assert telegram.commands(language_code="zh") == [("start", "开始"), ("projects", "项目")]
    assert [c.command for c in await bot.get_my_commands(language_code="zh")] == ["start", "projects"]
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Start", description="x")])
    with pytest.raises(TelegramBadRequest, match="invalid language code specified"):
        await bot.set_my_commands([BotCommand(command="start", description="x")], language_code="zh-hans")
    await bot.delete_my_commands(language_code="zh")
    assert telegram.commands(language_code="zh") == []


async def test_get_updates_long_poll_offset_and_allowed_updates(telegram: FakeTelegram, user: FakeUser) -> None:
    api = f"{telegram.base_url}/bot{telegram.token}/getUpdates"
    async with aiohttp.ClientSession() as http:
        started = time.monotonic()
        poll = asyncio.create_task(http.post(api, data={"timeout": "5"}))
        await asyncio.sleep(0.05)
        await user.send("wake up")
        first = await (await poll).json()
        assert time.monotonic() - started < 1.0  # answered on arrival, not at the timeout
        [update] = first["result"]
        await user.send("two")
        await user.send("three")
        batch = await (await http.post(api, data={"offset": update["update_id"] + 1, "limit": 1})).json()
        assert [u["message"]["text"] for u in batch["result"]] == ["two"]
        await telegram.user(1002).press_data("forged", await _bot_message(telegram, 1002))
        only_messages = await (await http.post(api, json={
            "offset": batch["result"][0]["update_id"] + 1, "allowed_updates": ["message"],
        })).json()
        assert [u["message"]["text"] for u in only_messages["result"]] == ["three"]

        caught_up = {"offset": only_messages["result"][-1]["update_id"] + 1}
        stale_poll = asyncio.create_task(http.post(api, data={**caught_up, "timeout": 5}))
        await asyncio.sleep(0.05)
        await http.post(api, data={**caught_up, "timeout": 0})  # a second bot instance polls
        conflict = await (await stale_poll).json()
        assert (conflict["error_code"], conflict["description"]) == (409, CONFLICT_POLL)


async def _bot_message(telegram: FakeTelegram, chat_id: int) -> Any:
    async with telegram.make_bot() as bot:
        await bot.send_message(chat_id, "hi")
    return telegram.delivered_messages(chat_id)[-1]


async def test_user_updates_match_the_spec_and_aiogram(telegram: FakeTelegram, bot: Bot, user: FakeUser) -> None:
    keyboard = ReplyKeyboardMarkup(keyboard=[
        [KeyboardButton(text="📱 Share phone", request_contact=True)], [KeyboardButton(text="❓ Help")],
    ])
    await bot.send_message(USER_ID, "menu", reply_markup=InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Go", callback_data="go")]]
    ))
    await bot.send_message(USER_ID, "phone?", reply_markup=keyboard)
    text = await user.send("/start@minsheng_test_bot hello")
    await user.send_photo(caption="pic", reply_to=text)
    await user.send_album(2)
    await user.send_document(b"doc", "a.txt")
    await user.send_video()
    await user.send_voice()
    await user.send_sticker()
    await user.send_location(31.23, 121.47)
    await user.share_contact()
    assert user.reply_keyboard == [["📱 Share phone"], ["❓ Help"]]
    help_request = await user.press_reply("Help")
    await user.press("Go")
    await user.edit(text, "/help")
    user.block_bot()
    updates = telegram.pending_updates
    assert len(updates) == 14
    for update in updates:
        assert telegram.spec.problems("Update", update) == [], update
        Update.model_validate(update)
    assert updates[0]["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 24}]
    assert updates[0]["message"]["text"] == "/start@minsheng_test_bot hello"  # queued updates are snapshots
    assert updates[-2]["edited_message"]["text"] == text["text"] == "/help"
    assert updates[1]["message"]["reply_to_message"]["message_id"] == text["message_id"]
    assert help_request["text"] == "❓ Help"
    contact = updates[-5]["message"]["contact"]
    assert contact["user_id"] == USER_ID and contact["phone_number"] == user.phone_number


# ---------------------------------------------------------------- a chat as a client draws it


async def test_transcript_shows_both_sides_in_order_current_after_edits(telegram: FakeTelegram, bot: Bot,
                                                                        user: FakeUser) -> None:
    since = telegram.revision
    asked = await user.send("/menu")
    assert await telegram.wait_changed(since, timeout=1) > since
    menu = await bot.send_message(USER_ID, "<b>Vote?</b>", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text="Yes", callback_data="vote:yes")]]))
    await bot.edit_message_reply_markup(chat_id=USER_ID, message_id=menu.message_id, reply_markup=None)
    await bot.edit_message_text("You voted <i>yes</i>", chat_id=USER_ID, message_id=menu.message_id)
    await user.send_photo(caption="the lane")
    doomed = await bot.send_message(USER_ID, "gone soon")
    await bot.delete_message(USER_ID, doomed.message_id)
    await bot.send_media_group(USER_ID, [InputMediaPhoto(media=BufferedInputFile(make_png(), "a.png")),
                                         InputMediaPhoto(media=BufferedInputFile(make_png(5, 5), "b.png"))])
    await user.send_venue(30.25, 119.72, "East Lane school", "East Lane 1")

    shown = user.transcript()
    assert [(m["from_bot"], m["kind"]) for m in shown] == [
        (False, "text"), (True, "text"), (False, "photo"), (True, "photo"), (True, "photo"), (False, "venue")]
    assert shown[0]["message_id"] == asked["message_id"] and shown[0]["entities"][0]["type"] == "bot_command"
    edited = shown[1]
    assert edited["text"] == "You voted yes" and edited["entities"] == [{"type": "italic", "offset": 10, "length": 3}]
    assert edited["edited"] == 1 and edited["buttons"] == []  # the markup edit is not marked "edited", as in clients
    photo = shown[2]
    assert photo["text"] == "the lane" and telegram.file_bytes(photo["file"]["file_id"]).startswith(b"\x89PNG")
    assert shown[3]["media_group_id"] == shown[4]["media_group_id"] is not None
    assert shown[5]["venue"]["title"] == "East Lane school" and shown[5]["location"]["latitude"] == 30.25


async def test_a_venue_reaches_location_handlers_and_the_reply_keyboard_keeps_its_flags(
        telegram: FakeTelegram, bot: Bot, user: FakeUser) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message(F.location)
    async def located(message: Message) -> None:
        await message.answer(f"{message.venue.title if message.venue else '-'} {message.location.latitude}")

    keyboard = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Here", request_location=True)]])
    await bot.send_message(USER_ID, "Where?", reply_markup=keyboard)
    assert user.reply_keyboard_markup["keyboard"] == [[{"text": "Here", "request_location": True}]]
    await user.expect("Where?")
    async with telegram.polling(dispatcher, bot):
        await user.send_venue(30.25, 119.72, "School gate")
        await user.expect("School gate 30.25")


async def test_menu_commands_follow_telegrams_scope_order(telegram: FakeTelegram, bot: Bot, user: FakeUser) -> None:
    from aiogram.types import BotCommandScopeChat

    assert telegram.menu_commands(user) == []
    await bot.set_my_commands([BotCommand(command="start", description="any")])
    await bot.set_my_commands([BotCommand(command="menu", description="主菜单")], language_code="zh")
    assert telegram.menu_commands(user) == [("menu", "主菜单")]  # zh-hans reads the "zh" list
    assert telegram.menu_commands(telegram.user(1002, "Ann", language_code="en")) == [("start", "any")]
    await bot.set_my_commands([BotCommand(command="vote", description="only Li")],
                              scope=BotCommandScopeChat(chat_id=USER_ID))
    assert telegram.menu_commands(user) == [("vote", "only Li")]
