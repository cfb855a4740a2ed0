"""A fake Telegram Bot API server over real HTTP, for end-to-end tests of aiogram bots.

The real aiogram ``Dispatcher`` long-polls it with ``getUpdates``; tests play users
through :class:`~fakebot.user.FakeUser` and read what the bot sent.  Answers
follow Telegram: the method list and required parameters come from the official
spec JSON, error texts and status codes are Telegram's.

Typical use::

    async with FakeTelegram() as tg, tg.polling(dispatcher):
        user = tg.user(1001, "Li", language_code="zh-hans")
        await user.send("/start")
        reply = await user.expect(contains="欢迎")
        await user.press("Projects")
"""

from __future__ import annotations

import asyncio
import copy
import functools
import itertools
import json
import random
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiohttp import web

from .errors import TelegramError, bad_request
from .files import MAX_UPLOAD, FileStore
from .formatting import PARSERS, EntityParseError, FormattedText, strip_formatted
from .models import (
    CONTENT_KEYS,
    MEDIA_KEYS,
    ApiError,
    Call,
    CallbackAnswer,
    SentMessage,
    StoredFile,
    UploadedFile,
)
from .spec import FieldSpec, MethodSpec, Spec, load_spec
from .user import ChatView, FakeGroup, FakeUser

DEFAULT_TOKEN = "123456:TEST-TOKEN-abcdefghij"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_DOWNLOAD = 20 * 1024 * 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
CONFLICT_POLL = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
CALLBACK_EXPIRED = "query is too old and response timeout expired or query ID is invalid"
# Updates Telegram only sends when asked for explicitly in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# Accepted by Telegram for backward compatibility although no longer in the spec.
LEGACY_PARAMS = {
    "reply_to_message_id": FieldSpec("reply_to_message_id", ("Integer",), False),
    "allow_sending_without_reply": FieldSpec("allow_sending_without_reply", ("Boolean",), False),
    "disable_web_page_preview": FieldSpec("disable_web_page_preview", ("Boolean",), False),
}
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
})
INLINE_ACTIONS = frozenset({
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay",
})
FILE_SENDS = {
    "sendPhoto": "photo", "sendDocument": "document", "sendVideo": "video", "sendAudio": "audio",
    "sendVoice": "voice", "sendAnimation": "animation", "sendVideoNote": "video_note", "sendSticker": "sticker",
}
_INT = re.compile(r"-?\d+")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE = re.compile(r"[a-z]{2}")  # the bot-settings methods take ISO 639-1 codes only ("zh", not "zh-hans")


def _now() -> int:
    return int(time.time())


class LoopbackSession(AiohttpSession):
    """aiogram's aiohttp session minus the 250 ms TLS-shutdown grace period on close,
    which plain HTTP to 127.0.0.1 does not need (it would slow every bot restart)."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


@dataclass
class Fault:
    """An injected error for ``method`` (see :meth:`FakeTelegram.fail_next`).

    ``remaining`` counts the answers still to fail (None: until :meth:`cancel`)."""

    method: str
    status: int
    description: str
    retry_after: int | None
    chat_id: int | str | None
    remaining: int | None

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        return (
            self.method == method
            and self.remaining != 0
            and (self.chat_id is None or params.get("chat_id") == self.chat_id)
        )

    def cancel(self) -> None:
        self.remaining = 0


class Hold:
    """Holds calls of one method unanswered and unrecorded until :meth:`release`.

    A held request whose client disconnects (e.g. the sending task was cancelled) is
    dropped: it is neither recorded nor delivered — unless ``deliver_anyway``: then, as
    Telegram does with a request it has already received, it is carried out on release
    although nobody reads the answer (a sender killed mid-request).  Usable as a context
    manager that releases on exit.
    """

    def __init__(self, tg: FakeTelegram, method: str, chat_id: int | str | None,
                 deliver_anyway: bool = False) -> None:
        self.method = method
        self.chat_id = chat_id
        self.deliver_anyway = deliver_anyway
        self.waiting = 0
        """Requests currently held."""
        self.dropped = 0
        """Held requests abandoned by their client."""
        self.released = False
        self._tg = tg

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        return (
            not self.released
            and self.method == method
            and (self.chat_id is None or params.get("chat_id") == self.chat_id)
        )

    def release(self) -> None:
        """Let held and future requests through."""
        self.released = True
        with suppress(ValueError):
            self._tg._holds.remove(self)
        self._tg._notify()

    async def wait_arrived(self, n: int = 1, timeout: float = 5.0) -> None:
        """Wait until at least ``n`` requests are being held."""
        if not await self._tg._wait_until(lambda: self.waiting >= n, timeout):
            raise AssertionError(f"only {self.waiting} {self.method} request(s) held after {timeout}s, wanted {n}")

    async def wait_dropped(self, n: int = 1, timeout: float = 5.0) -> None:
        """Wait until ``n`` held requests have been abandoned by their clients."""
        if not await self._tg._wait_until(lambda: self.dropped >= n, timeout):
            raise AssertionError(f"only {self.dropped} held {self.method} request(s) dropped after {timeout}s")

    async def _admit(self, request: web.Request) -> bool:
        """Block a request until release; False if its client went away meanwhile."""
        self.waiting += 1
        self._tg._notify()
        try:
            await self._tg._wait_until(lambda: self.released or self._tg.closing, None)
        except asyncio.CancelledError:
            self.dropped += 1
            raise
        finally:
            self.waiting -= 1
            self._tg._notify()
        transport = request.transport
        if self._tg.closing or transport is None or transport.is_closing():
            self.dropped += 1
            self._tg._notify()
            return False
        return True

    def __enter__(self) -> Hold:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


@dataclass
class _Press:
    query_id: str
    user: FakeUser
    data: str | None
    answered: bool = False


class FakeTelegram:
    """The fake Bot API server plus the state of the simulated Telegram world.

    Start it with ``async with FakeTelegram() as tg`` (binds 127.0.0.1 on a free
    port) and point aiogram at ``tg.base_url`` — :meth:`make_bot` and
    :meth:`polling` do that for you.

    Inspect what happened with :attr:`calls` (every answered request except
    getUpdates, in order), :attr:`errors` (requests answered with an error),
    :meth:`delivered_messages`, :meth:`commands`, :attr:`unknown_params`.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        username: str = "minsheng_test_bot",
        first_name: str = "Minsheng Test Bot",
        spec: Spec | None = None,
    ) -> None:
        prefix = token.split(":", 1)[0]
        if not prefix.isdigit() or ":" not in token:
            raise ValueError("token must look like '<bot id>:<secret>'")
        self.token = token
        self.bot_id = int(prefix)
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id, "is_bot": True, "first_name": first_name, "username": username,
        }
        self.spec = spec or load_spec()
        self.latency = 0.0
        """Seconds to wait before answering each request (except getUpdates)."""
        self.enforce_chat_rate = False
        """Answer 429 when the bot exceeds 1 message/s in a private chat or 20/min in a group."""
        self.calls: list[Call] = []
        self.errors: list[ApiError] = []
        self.unknown_params: list[tuple[str, str]] = []
        """(method, parameter) pairs the bot sent that the spec does not know (Telegram ignores them)."""
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        """secret_token of the last setWebhook (sent by Telegram as X-Telegram-Bot-Api-Secret-Token)."""
        self.closing = False
        self.revision = 0
        """Counts changes of the simulated world (messages, edits, presses...); see :meth:`wait_changed`."""
        self._base_url: str | None = None
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Event()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._update_types = [f for f in self.spec.types["Update"].fields if f != "update_id"]
        self._allowed_updates: list[str] | None = None
        self._active_poll: object | None = None
        self._poll_count = 0
        self._chats: dict[int, ChatView] = {}
        self._user_ids = itertools.count(1001)
        self._group_ids = itertools.count(-1001000000001, -1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._user_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._deleted_user_messages: set[tuple[int, int]] = set()
        self._bot_messages: dict[tuple[int, int], SentMessage] = {}
        self._inboxes: dict[int, list[SentMessage]] = {}
        self._delivered: list[SentMessage] = []
        self._reply_keyboards: dict[int, dict[str, Any]] = {}
        self._send_times: dict[int, deque[float]] = {}
        self.files = FileStore()
        """Every file sent by the bot or the users (``tg.files.store(...)`` registers one)."""
        self._presses: dict[str, _Press] = {}
        self._press_ids = itertools.count(4_000_000_000_000_000_001)
        self._commands: dict[tuple[Any, ...], list[tuple[str, str]]] = {}
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._faults: list[Fault] = []
        self._holds: list[Hold] = []
        self._handlers: dict[str, Callable[[dict[str, Any]], Any]] = {
            "getMe": lambda p: dict(self.bot_user, can_join_groups=True, can_read_all_group_messages=False,
                                    supports_inline_queries=False),
            "logOut": lambda p: True,
            "close": lambda p: True,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": lambda p: {
                "url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": len(self._updates),
            },
            "sendMessage": lambda p: self._deliver("sendMessage", p, self._text_content(p)).payload,
            "sendMediaGroup": self._send_media_group,
            "sendLocation": lambda p: self._deliver("sendLocation", p, {"location": _location(p)}).payload,
            "sendVenue": self._send_venue,
            "sendContact": self._send_contact,
            "sendDice": lambda p: self._deliver(
                "sendDice", p, {"dice": {"emoji": p.get("emoji", "🎲"), "value": random.randint(1, 6)}}
            ).payload,
            "sendPoll": self._send_poll,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_text,
            "editMessageCaption": self._edit_caption,
            "editMessageReplyMarkup": self._edit_markup,
            "editMessageMedia": self._edit_media,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback,
            "setMyCommands": self._set_commands,
            "getMyCommands": lambda p: [
                {"command": c, "description": d} for c, d in self._commands.get(self._scope_key(p), [])
            ],
            "deleteMyCommands": self._delete_commands,
            "setChatMenuButton": self._set_menu_button,
            "getChatMenuButton": lambda p: self.menu_button(p.get("chat_id")),
            "getFile": self._get_file,
            "copyMessage": lambda p: {"message_id": self._copy(p, p["message_id"]).message_id},
            "copyMessages": lambda p: [{"message_id": self._copy(p, m).message_id} for m in p["message_ids"]],
            "forwardMessage": lambda p: self._forward(p, p["message_id"]).payload,
            "forwardMessages": lambda p: [{"message_id": self._forward(p, m).message_id} for m in p["message_ids"]],
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
        }
        for method in FILE_SENDS:
            self._handlers[method] = functools.partial(self._send_file, method)

    # ------------------------------------------------------------------ lifecycle

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Serve on 127.0.0.1 at a free port (see :attr:`base_url`)."""
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._base_url = f"http://{host}:{port}"

    async def stop(self) -> None:
        """Answer pending long polls with [], drop held requests and shut the server down."""
        self.closing = True
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, for ``TelegramAPIServer.from_base``."""
        if self._base_url is None:
            raise RuntimeError("FakeTelegram is not started; use 'async with FakeTelegram() as tg'")
        return self._base_url

    def make_bot(self, **bot_kwargs: Any) -> Bot:
        """An aiogram ``Bot`` with this token whose session talks to the fake."""
        session = LoopbackSession(api=TelegramAPIServer.from_base(self.base_url))
        return Bot(self.token, session=session, **bot_kwargs)

    @asynccontextmanager
    async def polling(
        self, dispatcher: Dispatcher, bot: Bot | None = None, *, startup_timeout: float = 5.0, **polling_kwargs: Any
    ) -> AsyncIterator[Bot]:
        """Run ``dispatcher.start_polling`` against the fake for the duration of the block.

        Waits until the bot's first getUpdates arrives (so its startup hooks ran),
        yields the bot, and on exit stops polling and re-raises any polling crash.
        """
        bot = bot or self.make_bot()
        polls_before = self._poll_count
        task = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, **polling_kwargs))
        started = await self._wait_until(lambda: self._poll_count > polls_before or task.done(), startup_timeout)
        if task.done():
            task.result()
            raise RuntimeError("polling stopped before its first getUpdates")
        if not started:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            raise AssertionError(f"the bot did not call getUpdates within {startup_timeout}s")
        try:
            yield bot
        finally:
            if not task.done():
                with suppress(RuntimeError):
                    await dispatcher.stop_polling()
            await task

    # ------------------------------------------------------------------ the simulated world

    def user(
        self,
        id: int | None = None,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        is_premium: bool = False,
    ) -> FakeUser:
        """The user with this id (created on first call; its private chat id equals ``id``)."""
        if id is None:
            id = next(i for i in self._user_ids if i not in self._chats and i != self.bot_id)
        existing = self._chats.get(id)
        if isinstance(existing, FakeUser):
            return existing
        if existing is not None or id <= 0 or id == self.bot_id:
            raise ValueError(f"{id} cannot be a user id here")
        user = FakeUser(self, id, first_name or f"User{id}", last_name=last_name, username=username,
                        language_code=language_code, is_premium=is_premium)
        self._chats[id] = user
        return user

    def group(
        self, chat_id: int | None = None, title: str = "Test group", *, username: str | None = None
    ) -> FakeGroup:
        """The group with this id (created on first call); ``-100…`` ids are supergroups."""
        if chat_id is None:
            chat_id = next(i for i in self._group_ids if i not in self._chats)
        existing = self._chats.get(chat_id)
        if isinstance(existing, FakeGroup):
            return existing
        if existing is not None or chat_id >= 0:
            raise ValueError(f"{chat_id} cannot be a group id here (groups have negative ids)")
        group = FakeGroup(self, chat_id, title, username=username)
        self._chats[chat_id] = group
        return group

    def enqueue_update(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue a raw update of type ``kind`` (e.g. "my_chat_member"); returns its update_id.

        The payload is copied: later edits of the message do not change the queued update."""
        if kind not in self._update_types:
            raise ValueError(f"{kind!r} is not an Update field")
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, kind: copy.deepcopy(payload)})
        self._notify()
        return update_id

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot (via a later getUpdates offset)."""
        return list(self._updates)

    def file_bytes(self, file_id: str) -> bytes | None:
        """Bytes of a known file (None for files the bot sent by URL); KeyError if unknown."""
        stored = self.files.get(file_id)
        if stored is None:
            raise KeyError(file_id)
        return stored.data

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 3,
        times: int | None = 1,
        chat_id: int | str | None = None,
        *,
        description: str | None = None,
    ) -> Fault:
        """Answer the next ``times`` calls of ``method`` (None: all, until cancelled) with an error.

        429 → "Too Many Requests: retry after N" with ``parameters.retry_after``;
        500 → "Internal Server Error"; 502 → "Bad Gateway"; other statuses need
        or accept a ``description``.  ``chat_id`` restricts it to calls for that chat.
        """
        defaults = {
            400: "Bad Request", 403: "Forbidden", 409: "Conflict",
            429: f"Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error", 502: "Bad Gateway",
        }
        text = description or defaults.get(status)
        if text is None:
            raise ValueError(f"give a description for status {status}")
        fault = Fault(self.spec.canonical(method), status, text, retry_after if status == 429 else None, chat_id, times)
        self._faults.append(fault)
        return fault

    def hold(self, method: str, *, chat_id: int | str | None = None, deliver_anyway: bool = False) -> Hold:
        """Hold calls of ``method`` (optionally only for ``chat_id``) until ``.release()``; with
        ``deliver_anyway`` a held call whose client went away is still carried out on release."""
        hold = Hold(self, self.spec.canonical(method), chat_id, deliver_anyway)
        self._holds.append(hold)
        return hold

    # ------------------------------------------------------------------ records

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every call of ``method`` (any outcome), in order."""
        name = self.spec.canonical(method)
        return [call.params for call in self.calls if call.method == name]

    def delivered_messages(self, chat_id: int | None = None) -> list[SentMessage]:
        """Every message the bot successfully sent (optionally to one chat), in order."""
        return [m for m in self._delivered if chat_id is None or m.chat_id == chat_id]

    def commands(
        self,
        scope_type: str = "default",
        language_code: str = "",
        *,
        chat_id: int | str | None = None,
        user_id: int | None = None,
    ) -> list[tuple[str, str]]:
        """The (command, description) list set for exactly this scope and language."""
        return list(self._commands.get((scope_type, chat_id, user_id, language_code), []))

    def menu_commands(self, user: FakeUser) -> list[tuple[str, str]]:
        """The command list ``user``'s client shows in the private chat with the bot: the narrowest
        scope set (chat, all private chats, default), each first in the user's language, as Telegram picks."""
        language = (user.language_code or "")[:2].lower()
        for scope, chat_id in (("chat", user.id), ("all_private_chats", None), ("default", None)):
            for code in dict.fromkeys((language, "")):
                found = self._commands.get((scope, chat_id, None, code))
                if found:
                    return list(found)
        return []

    def menu_button(self, chat_id: int | None = None) -> dict[str, Any]:
        """The menu button set for ``chat_id`` (or the default one)."""
        return self._menu_buttons.get(chat_id) or self._menu_buttons.get(None) or {"type": "commands"}

    # ------------------------------------------------------------------ HTTP

    async def _api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return TelegramError(401, "Unauthorized").response()
        spec = self.spec.method(request.match_info["method"])
        if spec is None:
            return TelegramError(404, "Not Found").response()
        try:
            params = await self._read_params(request, spec)
            if spec.name == "getUpdates":
                _raise_malformed(params)
                self._raise_fault(spec.name, params)
                return _ok(await self._get_updates(params))
        except TelegramError as error:
            return error.response()
        hold = next((h for h in self._holds if h.matches(spec.name, params)), None)
        if hold is not None and hold.deliver_anyway:
            # Carried out even if this handler is cancelled because the client went away.
            return await asyncio.shield(asyncio.ensure_future(self._after_hold(hold, spec, params)))
        if hold is not None and not await hold._admit(request):
            return web.Response(status=499)
        return await self._answer(spec, params)

    async def _after_hold(self, hold: Hold, spec: MethodSpec, params: dict[str, Any]) -> web.StreamResponse:
        hold.waiting += 1
        self._notify()
        try:
            await self._wait_until(lambda: hold.released or self.closing, None)
        finally:
            hold.waiting -= 1
            self._notify()
        return await self._answer(spec, params)

    async def _answer(self, spec: MethodSpec, params: dict[str, Any]) -> web.StreamResponse:
        if self.latency:
            await asyncio.sleep(self.latency)
        self.calls.append(Call(spec.name, params))
        try:
            result = self._process(spec, params)
        except TelegramError as error:
            self.errors.append(ApiError(spec.name, params, error.code, error.description))
            self._notify()
            return error.response()
        return _ok(result)

    async def _download(self, request: web.Request) -> web.StreamResponse:
        stored = self.files.by_path(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None or stored.data is None:
            return TelegramError(404, "Not Found").response()
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    async def _read_params(self, request: web.Request, spec: MethodSpec) -> dict[str, Any]:
        values: dict[str, Any] = dict(request.query)
        uploads: dict[str, UploadedFile] = {}
        if request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise bad_request("can't parse JSON object") from None
                if not isinstance(body, dict):
                    raise bad_request("can't parse JSON object")
                values.update(body)
            else:
                for key, value in (await request.post()).items():
                    if isinstance(value, web.FileField):
                        uploads[key] = UploadedFile(value.file.read(), value.filename, value.content_type)
                    else:
                        values[key] = value
        params: dict[str, Any] = {}
        for key, value in values.items():
            field = spec.fields.get(key) or LEGACY_PARAMS.get(key)
            if field is None:
                self.unknown_params.append((spec.name, key))
                continue
            params[key] = self._decode(field, value, uploads)
        for key, upload in uploads.items():
            field = spec.fields.get(key)
            if field is not None and field.accepts_file:
                params.setdefault(key, upload)
        return params

    def _decode(self, field: FieldSpec, value: Any, uploads: dict[str, UploadedFile]) -> Any:
        """Turn a query/form string into the typed value the spec says the field takes."""
        if not isinstance(value, str):
            if field.types == ("String",) and isinstance(value, (int, float)) and not isinstance(value, bool):
                return str(value)
            return value
        if field.accepts_file and value.startswith("attach://"):
            return uploads.get(value.removeprefix("attach://"), value)
        if field.is_json and "String" not in field.types:
            try:
                decoded = json.loads(value)
            except ValueError:
                return _Malformed("reply keyboard markup" if field.name == "reply_markup" else field.name)
            return _attach(decoded, uploads)
        if "Integer" in field.types and _INT.fullmatch(value):
            return int(value)
        if "Float" in field.types:
            with suppress(ValueError):
                return float(value)
        if "Boolean" in field.types and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        return value

    # ------------------------------------------------------------------ dispatch

    def _process(self, spec: MethodSpec, params: dict[str, Any]) -> Any:
        _raise_malformed(params)
        missing = [name for name in spec.required if name not in params]
        if missing:
            if spec.name == "sendMessage" and missing[0] == "text":
                raise bad_request("message text is empty")  # what Telegram says for a missing text
            raise bad_request(f'parameter "{missing[0]}" is required')
        self._raise_fault(spec.name, params)
        if params.get("language_code") and not _LANGUAGE.fullmatch(str(params["language_code"])):
            raise bad_request("invalid language code specified")
        if "reply_markup" in params:
            _check_markup(params["reply_markup"])
        if "from_chat_id" in params:
            self._chat(params["from_chat_id"])
        if "chat_id" in params:
            self._check_recipient(spec.name, self._chat(params["chat_id"]))
        handler = self._handlers.get(spec.name)
        if handler is not None:
            return handler(params)
        if "Message" in spec.returns and "chat_id" in params:
            return self._deliver(spec.name, params, {}).payload
        return True

    def _raise_fault(self, method: str, params: dict[str, Any]) -> None:
        fault = next((f for f in self._faults if f.matches(method, params)), None)
        if fault is None:
            return
        if fault.remaining is not None:
            fault.remaining -= 1
        raise TelegramError(fault.status, fault.description, fault.retry_after)

    def _check_recipient(self, method: str, chat: ChatView) -> None:
        """403 for a user who blocked the bot; 429 over the per-chat rate when enforced."""
        sending = method.startswith(("send", "copy", "forward", "edit", "stop"))
        if sending and isinstance(chat, FakeUser) and chat.blocked:
            raise TelegramError(403, "Forbidden: bot was blocked by the user")
        creates_message = method.startswith(("send", "copy", "forward")) and method != "sendChatAction"
        if not (self.enforce_chat_rate and creates_message):
            return
        now = time.monotonic()
        limit, window = (1, 1.0) if isinstance(chat, FakeUser) else (20, 60.0)
        recent = [t for t in self._send_times.get(chat.chat_id, ()) if now - t < window]
        if len(recent) >= limit:
            wait = max(1, int(window - (now - recent[-limit]) + 0.999))
            raise TelegramError(429, f"Too Many Requests: retry after {wait}", wait)

    def _chat(self, chat_id: Any) -> ChatView:
        chat: ChatView | None = None
        if isinstance(chat_id, int):
            chat = self._chats.get(chat_id)
        elif isinstance(chat_id, str) and chat_id.startswith("@"):
            chat = next((c for c in self._chats.values() if c.username == chat_id[1:]), None)
            chat = chat if isinstance(chat, FakeGroup) else None
        if chat is None:
            raise bad_request("chat not found")
        return chat

    # ------------------------------------------------------------------ updates

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise TelegramError(409, CONFLICT_WEBHOOK)
        self._poll_count += 1
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"] or []) or None
        offset = params.get("offset")
        if isinstance(offset, int) and offset:
            self._confirm(offset)
        token = object()
        self._active_poll = token
        self._notify()
        try:
            await self._wait_until(
                lambda: self._active_poll is not token or self.closing or bool(self._deliverable(limit)), timeout
            )
            if self._active_poll is not token:
                raise TelegramError(409, CONFLICT_POLL)
            return self._deliverable(limit)
        finally:
            if self._active_poll is token:
                self._active_poll = None

    def _allowed(self, update: dict[str, Any]) -> bool:
        kind = next(k for k in update if k != "update_id")
        return kind in self._allowed_updates if self._allowed_updates else kind not in OPT_IN_UPDATES

    def _deliverable(self, limit: int) -> list[dict[str, Any]]:
        return [u for u in self._updates if self._allowed(u)][:limit]

    def _confirm(self, offset: int) -> None:
        """Forget confirmed updates (and skipped ones the bot did not subscribe to)."""
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        else:
            self._updates = self._updates[offset:]

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params["url"])
        if url and not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook_url = url
        self.webhook_secret = params.get("secret_token")
        return True

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        self.webhook_secret = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    # ------------------------------------------------------------------ waiting

    async def wait_changed(self, since: int, timeout: float) -> int:
        """Wait until :attr:`revision` has moved past ``since`` (or ``timeout`` passed); returns it.

        Lets a viewer long-poll the world: ask again with the revision it last saw."""
        await self._wait_until(lambda: self.revision > since or self.closing, timeout)
        return self.revision

    def _notify(self) -> None:
        """Wake everything waiting in :meth:`_wait_until` to re-check its condition."""
        self.revision += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_until(self, predicate: Callable[[], bool], timeout: float | None) -> bool:
        """Wait until ``predicate()`` holds (re-checked on every state change); False on timeout."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not predicate():
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return False
            with suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
        return True

    # ------------------------------------------------------------------ sending

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))

    def _deliver(
        self,
        method: str,
        params: dict[str, Any],
        content: dict[str, Any],
        *,
        file: StoredFile | None = None,
        media_group_id: str | None = None,
    ) -> SentMessage:
        """Create a bot message in ``params["chat_id"]`` with ``content`` and record it."""
        chat = self._chat(params["chat_id"])
        reply = self._replied_message(chat.chat_id, params)
        markup = params.get("reply_markup")
        payload: dict[str, Any] = {
            "message_id": self._next_message_id(chat.chat_id),
            "from": dict(self.bot_user),
            "chat": chat.chat_json,
            "date": _now(),
            **content,
        }
        if media_group_id:
            payload["media_group_id"] = media_group_id
        if reply:
            payload["reply_to_message"] = reply
        if markup and "inline_keyboard" in markup:
            payload["reply_markup"] = markup
        sent = SentMessage(payload["message_id"], chat.chat_id, method, params, payload,
                           params.get("parse_mode"), markup, file)
        self._bot_messages[(chat.chat_id, sent.message_id)] = sent
        self._inboxes.setdefault(chat.chat_id, []).append(sent)
        self._delivered.append(sent)
        if markup and "keyboard" in markup:
            self._reply_keyboards[chat.chat_id] = markup
        elif markup and markup.get("remove_keyboard"):
            self._reply_keyboards.pop(chat.chat_id, None)
        self._send_times.setdefault(chat.chat_id, deque(maxlen=20)).append(time.monotonic())
        self._notify()
        return sent

    def _message(self, chat_id: int, message_id: Any) -> tuple[dict[str, Any], StoredFile | None] | None:
        """A live (not deleted) message of the bot or a user, with its file."""
        sent = self._bot_messages.get((chat_id, message_id))
        if sent is not None:
            return None if sent.deleted else (sent.payload, sent.file)
        key = (chat_id, message_id)
        payload = self._user_messages.get(key)
        if payload is None or key in self._deleted_user_messages:
            return None
        return payload, self._file_of(payload)

    def _file_of(self, payload: dict[str, Any]) -> StoredFile | None:
        for key in MEDIA_KEYS:
            media = payload.get(key)
            if media:
                return self.files.get((media[-1] if isinstance(media, list) else media)["file_id"])
        return None

    def _replied_message(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any] | None:
        reply = params.get("reply_parameters")
        if reply is None and "reply_to_message_id" in params:
            reply = {
                "message_id": params["reply_to_message_id"],
                "allow_sending_without_reply": params.get("allow_sending_without_reply", False),
            }
        if not reply:
            return None
        if not isinstance(reply, dict) or "message_id" not in reply:
            raise bad_request("can't parse reply parameters JSON object")
        target_chat = self._chat(reply["chat_id"]).chat_id if "chat_id" in reply else chat_id
        found = self._message(target_chat, reply["message_id"])
        if found is None:
            if reply.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return {k: v for k, v in found[0].items() if k != "reply_to_message"}

    def _formatted(self, text: str, parse_mode: Any, entities: Any) -> FormattedText:
        if entities:
            parsed = FormattedText(text, list(entities))
        elif parse_mode:
            parser = PARSERS.get(str(parse_mode).lower())
            if parser is None:
                raise bad_request("unsupported parse_mode")
            try:
                parsed = parser(text)
            except EntityParseError as error:
                raise bad_request(f"can't parse entities: {error}") from None
        else:
            parsed = FormattedText(text)
        return strip_formatted(parsed)

    def _text_content(self, params: dict[str, Any]) -> dict[str, Any]:
        parsed = self._formatted(str(params.get("text") or ""), params.get("parse_mode"), params.get("entities"))
        if not parsed.text:
            raise bad_request("message text is empty")
        if len(parsed.text) > MAX_TEXT:
            raise bad_request("message is too long")
        return {"text": parsed.text, **({"entities": parsed.entities} if parsed.entities else {})}

    def _caption_content(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("caption"):
            return {}
        parsed = self._formatted(str(params["caption"]), params.get("parse_mode"), params.get("caption_entities"))
        if len(parsed.text) > MAX_CAPTION:
            raise bad_request("message caption is too long")
        content: dict[str, Any] = {"caption": parsed.text} if parsed.text else {}
        if parsed.entities:
            content["caption_entities"] = parsed.entities
        return content

    def _send_file(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        kind = FILE_SENDS[method]
        caption = self._caption_content(params) if kind not in ("sticker", "video_note") else {}
        stored = self.files.resolve(params[kind], kind, params)
        return self._deliver(method, params, {kind: stored.json, **caption}, file=stored).payload

    def _send_media_group(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        media = params["media"]
        if not isinstance(media, list) or not media:
            raise bad_request("media to send are not specified")
        if len(media) > 10:
            raise bad_request("too much messages to send as an album")
        captions = [self._media_item_caption(item) for item in media]
        group_id = str(random.randrange(10**17, 10**18))
        sent = []
        for item, caption in zip(media, captions, strict=True):
            stored = self.files.resolve(item["media"], item["type"], item)
            content = {item["type"]: stored.json, **caption}
            sent.append(self._deliver("sendMediaGroup", params, content, file=stored, media_group_id=group_id))
        return [message.payload for message in sent]

    def _media_item_caption(self, item: Any) -> dict[str, Any]:
        """Validate one InputMedia and return its caption content."""
        if not isinstance(item, dict) or item.get("type") not in ("photo", "video", "document", "audio", "animation"):
            raise bad_request("can't parse InputMedia JSON object")
        media = item.get("media")
        if media is None or (isinstance(media, str) and media.startswith("attach://")):
            raise bad_request("can't parse InputMedia: media not found")
        return self._caption_content(item)

    def _send_venue(self, params: dict[str, Any]) -> dict[str, Any]:
        venue = {"location": _location(params), "title": params["title"], "address": params["address"]}
        return self._deliver("sendVenue", params, {"venue": venue, "location": venue["location"]}).payload

    def _send_contact(self, params: dict[str, Any]) -> dict[str, Any]:
        contact = {k: params[k] for k in ("phone_number", "first_name", "last_name", "vcard") if k in params}
        return self._deliver("sendContact", params, {"contact": contact}).payload

    def _send_poll(self, params: dict[str, Any]) -> dict[str, Any]:
        options = params["options"]
        if not isinstance(options, list) or not 2 <= len(options) <= 12:
            raise bad_request("POLL_ANSWERS_INVALID")
        poll = {
            "id": str(random.randrange(10**18, 10**19)),
            "question": params["question"],
            "options": [
                {"persistent_id": str(i), "text": o["text"] if isinstance(o, dict) else str(o), "voter_count": 0}
                for i, o in enumerate(options)
            ],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": params.get("is_anonymous", True),
            "type": params.get("type", "regular"),
            "allows_multiple_answers": params.get("allows_multiple_answers", False),
            "allows_revoting": True,
            "members_only": False,
        }
        return self._deliver("sendPoll", params, {"poll": poll}).payload

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        if params["action"] not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _copy(self, params: dict[str, Any], message_id: Any) -> SentMessage:
        source, file = self._source(params, message_id, "copy")
        content = {k: v for k, v in source.items() if k in CONTENT_KEYS}
        if "caption" in params and any(k in content for k in MEDIA_KEYS):
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(self._caption_content(params))
        return self._deliver("copyMessage", params, content, file=file)

    def _forward(self, params: dict[str, Any], message_id: Any) -> SentMessage:
        source, file = self._source(params, message_id, "forward")
        content = {k: v for k, v in source.items() if k in CONTENT_KEYS}
        content["forward_origin"] = {"type": "user", "sender_user": source["from"], "date": source["date"]}
        return self._deliver("forwardMessage", params, content, file=file)

    def _source(
        self, params: dict[str, Any], message_id: Any, verb: str
    ) -> tuple[dict[str, Any], StoredFile | None]:
        found = self._message(self._chat(params["from_chat_id"]).chat_id, message_id)
        if found is None:
            raise bad_request(f"message to {verb} not found")
        return found

    # ------------------------------------------------------------------ editing and deleting

    def _edit_target(self, params: dict[str, Any]) -> SentMessage | None:
        """The bot message an edit refers to; None for inline messages (not simulated)."""
        if params.get("inline_message_id"):
            return None
        if "chat_id" not in params or "message_id" not in params:
            raise bad_request("message identifier is not specified")
        key = (self._chat(params["chat_id"]).chat_id, params["message_id"])
        sent = self._bot_messages.get(key)
        if sent is None and key in self._user_messages and key not in self._deleted_user_messages:
            raise bad_request("message can't be edited")
        if sent is None or sent.deleted:
            raise bad_request("message to edit not found")
        return sent

    def _edit(
        self, sent: SentMessage, method: str, params: dict[str, Any], content: dict[str, Any], fields: tuple[str, ...]
    ) -> dict[str, Any]:
        """Replace ``fields`` of ``sent`` with ``content`` and its inline keyboard with the new one
        (an edit without reply_markup removes the keyboard, as on Telegram)."""
        markup = params.get("reply_markup")
        inline = markup if markup and "inline_keyboard" in markup else None
        payload = sent.payload
        if all(payload.get(f) == content.get(f) for f in fields) and payload.get("reply_markup") == inline:
            raise bad_request(NOT_MODIFIED)
        for name in fields:
            if name in content:
                payload[name] = content[name]
            else:
                payload.pop(name, None)
        if inline:
            payload["reply_markup"] = inline
            sent.reply_markup = inline
        else:
            payload.pop("reply_markup", None)
            if sent.reply_markup and "inline_keyboard" in sent.reply_markup:
                sent.reply_markup = None
        payload["edit_date"] = _now()
        if fields:
            sent.parse_mode = params.get("parse_mode")
        sent.edits.append(Call(method, params))
        self._notify()
        return payload

    def _edit_text(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        sent = self._edit_target(params)
        content = self._text_content(params)
        if sent is None:
            return True
        if "text" not in sent.payload:
            raise bad_request("there is no text in the message to edit")
        return self._edit(sent, "editMessageText", params, content, ("text", "entities"))

    def _edit_caption(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        sent = self._edit_target(params)
        content = self._caption_content(params)
        if sent is None:
            return True
        if not any(k in sent.payload for k in MEDIA_KEYS):
            raise bad_request("there is no caption in the message to edit")
        return self._edit(sent, "editMessageCaption", params, content, ("caption", "caption_entities"))

    def _edit_markup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        sent = self._edit_target(params)
        return True if sent is None else self._edit(sent, "editMessageReplyMarkup", params, {}, ())

    def _edit_media(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        sent = self._edit_target(params)
        item = params["media"]
        caption = self._media_item_caption(item)
        if sent is None:
            return True
        if not any(k in sent.payload for k in MEDIA_KEYS):
            raise bad_request("there is no media in the message to edit")
        stored = self.files.resolve(item["media"], item["type"], item)
        result = self._edit(sent, "editMessageMedia", params, {item["type"]: stored.json, **caption},
                            (*MEDIA_KEYS, "caption", "caption_entities"))
        sent.file = stored
        return result

    def _delete_message(self, params: dict[str, Any]) -> bool:
        if not self._delete(self._chat(params["chat_id"]).chat_id, params["message_id"]):
            raise bad_request("message to delete not found")
        return True

    def _delete_messages(self, params: dict[str, Any]) -> bool:
        chat_id = self._chat(params["chat_id"]).chat_id
        for message_id in params["message_ids"]:
            self._delete(chat_id, message_id)
        return True

    def _delete(self, chat_id: int, message_id: Any) -> bool:
        key = (chat_id, message_id)
        if self._message(chat_id, message_id) is None:
            return False
        if key in self._bot_messages:
            self._bot_messages[key].deleted = True
        else:
            self._deleted_user_messages.add(key)
        self._notify()
        return True

    # ------------------------------------------------------------------ callbacks, commands, files, chats

    def _answer_callback(self, params: dict[str, Any]) -> bool:
        press = self._presses.get(str(params["callback_query_id"]))
        if press is None or press.answered:
            raise bad_request(CALLBACK_EXPIRED)
        press.answered = True
        press.user.callback_answers.append(CallbackAnswer(
            press.query_id, press.data, params.get("text"), bool(params.get("show_alert", False)),
            params.get("url"), params.get("cache_time"),
        ))
        self._notify()
        return True

    def _scope_key(self, params: dict[str, Any]) -> tuple[Any, ...]:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        return scope["type"], scope.get("chat_id"), scope.get("user_id"), params.get("language_code") or ""

    def _set_commands(self, params: dict[str, Any]) -> bool:
        commands = params["commands"]
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        parsed = []
        for item in commands:
            if not isinstance(item, dict) or not _COMMAND.fullmatch(str(item.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            description = str(item.get("description", "")).strip()
            if not description:
                raise bad_request("command description must be non-empty")
            if len(description) > 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            parsed.append((item["command"], description))
        key = self._scope_key(params)
        if parsed:
            self._commands[key] = parsed
        else:
            self._commands.pop(key, None)
        return True

    def _delete_commands(self, params: dict[str, Any]) -> bool:
        self._commands.pop(self._scope_key(params), None)
        return True

    def _set_menu_button(self, params: dict[str, Any]) -> bool:
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or "type" not in button:
            raise bad_request("can't parse menu button JSON object")
        self._menu_buttons[params.get("chat_id")] = button
        return True

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.files.get(str(params["file_id"]))
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size is not None and stored.size > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        result: dict[str, Any] = {
            "file_id": stored.file_id, "file_unique_id": stored.file_unique_id, "file_path": stored.file_path,
        }
        if stored.size is not None:
            result["file_size"] = stored.size
        return result

    def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        gifts = dict.fromkeys(self.spec.types["AcceptedGiftTypes"].fields, False)
        return {**chat.chat_json, "accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": gifts}

    def _get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        user_id = params["user_id"]
        if user_id == self.bot_id:
            return {"status": "member", "user": dict(self.bot_user)}
        member = self._chats.get(user_id)
        if not isinstance(member, FakeUser) or (isinstance(chat, FakeUser) and chat is not member):
            raise bad_request("user not found")
        if isinstance(chat, FakeUser) and member.blocked:
            return {"status": "kicked", "user": member.json, "until_date": 0}
        return {"status": "member", "user": member.json}

    # ------------------------------------------------------------------ the user side (used by user.py)

    def _post_user_message(
        self, user: FakeUser, chat: ChatView, content: dict[str, Any], reply_to: Any = None
    ) -> dict[str, Any]:
        """Create a message from ``user`` in ``chat`` and queue it as a "message" update."""
        payload: dict[str, Any] = {
            "message_id": self._next_message_id(chat.chat_id),
            "from": user.json,
            "chat": chat.chat_json,
            "date": _now(),
            **content,
        }
        if reply_to is not None:
            replied_id = reply_to if isinstance(reply_to, int) else (
                reply_to.message_id if isinstance(reply_to, SentMessage) else reply_to["message_id"]
            )
            found = self._message(chat.chat_id, replied_id)
            if found is None:
                raise ValueError(f"message {replied_id} does not exist in chat {chat.chat_id}")
            payload["reply_to_message"] = {k: v for k, v in found[0].items() if k != "reply_to_message"}
        self._user_messages[(chat.chat_id, payload["message_id"])] = payload
        user.sent.append(payload)
        self.enqueue_update("message", payload)
        return payload

    def _post_callback(self, user: FakeUser, message: SentMessage, data: str) -> str:
        """Queue a callback_query update for a press on ``message``; returns the query id."""
        query_id = str(next(self._press_ids))
        self._presses[query_id] = _Press(query_id, user, data)
        self.enqueue_update("callback_query", {
            "id": query_id,
            "from": user.json,
            "message": message.payload,
            "chat_instance": str((message.chat_id * 2654435761) % 10**19),
            "data": data,
        })
        return query_id

    def _chat_errors(self, chat_id: int) -> list[ApiError]:
        return [e for e in self.errors if e.params.get("chat_id") == chat_id]


@dataclass(frozen=True)
class _Malformed:
    """A parameter whose JSON could not be decoded; rejected once the call is recorded."""

    label: str


def _raise_malformed(params: dict[str, Any]) -> None:
    malformed = next((v for v in params.values() if isinstance(v, _Malformed)), None)
    if malformed is not None:
        raise bad_request(f"can't parse {malformed.label} JSON object")


def _location(params: dict[str, Any]) -> dict[str, Any]:
    keys = ("latitude", "longitude", "horizontal_accuracy", "live_period", "heading", "proximity_alert_radius")
    return {k: params[k] for k in keys if k in params}


def _attach(value: Any, uploads: dict[str, UploadedFile]) -> Any:
    """Replace ``attach://name`` strings nested in a decoded JSON value with the uploaded parts."""
    if isinstance(value, str) and value.startswith("attach://"):
        return uploads.get(value.removeprefix("attach://"), value)
    if isinstance(value, list):
        return [_attach(v, uploads) for v in value]
    if isinstance(value, dict):
        return {k: _attach(v, uploads) for k, v in value.items()}
    return value


def _check_markup(markup: Any) -> None:
    """Reject reply_markup Telegram would reject (bad callback_data, button without action...)."""
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    for key in ("inline_keyboard", "keyboard"):
        rows = markup.get(key)
        if rows is not None and not (isinstance(rows, list) and all(isinstance(row, list) for row in rows)):
            raise bad_request(f"can't parse {'inline keyboard' if key == 'inline_keyboard' else 'reply keyboard'} "
                       "markup JSON object")
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Text is not specified")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
                    raise bad_request("BUTTON_DATA_INVALID")
            elif "url" in button:
                if not button["url"]:
                    raise bad_request("BUTTON_URL_INVALID")
            elif not INLINE_ACTIONS.intersection(button):
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
    for row in markup.get("keyboard") or []:
        for button in row:
            if not isinstance(button, str) and not (isinstance(button, dict) and isinstance(button.get("text"), str)):
                raise bad_request("can't parse keyboard button: Text is not specified")
