"""The simulated side of Telegram: users who talk to the bot, and the chats they read.

Every action (``send``, ``press``...) queues an Update shaped exactly like
Telegram's and returns at once; the bot picks it up on its next getUpdates.
Reading is cursor-based: :meth:`ChatView.next_message` returns each bot message
once, in order, and fails with a dump of the chat when nothing arrives.
"""

from __future__ import annotations

import inspect
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .formatting import bot_command_entities
from .media import image_size, make_png
from .models import CallbackAnswer, SentMessage, message_view

if TYPE_CHECKING:
    from .server import FakeTelegram

ButtonMatcher = str | Callable[[str], bool]
DEFAULT_TIMEOUT = 5.0
DEFAULT_LOCATION = (39.9042, 116.4074)


def _find_button(rows: list[list[Any]], wanted: ButtonMatcher) -> dict[str, Any]:
    """The one button whose text equals/contains ``wanted`` (or satisfies it, if callable)."""
    buttons = [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]
    if callable(wanted):
        matches = [b for b in buttons if wanted(b.get("text", ""))]
    else:
        matches = [b for b in buttons if b.get("text") == wanted] or [
            b for b in buttons if wanted in b.get("text", "")
        ]
    if len(matches) != 1:
        problem = "no button matches" if not matches else f"{len(matches)} buttons match"
        raise AssertionError(f"{problem} {wanted!r}; buttons: {[b.get('text') for b in buttons]}")
    return matches[0]


def _takes_argument(predicate: Callable[..., object]) -> bool:
    """True when ``predicate`` has a required positional parameter (a message predicate)."""
    try:
        parameters = inspect.signature(predicate).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) and p.default is p.empty
        for p in parameters
    )


class ChatView(ABC):
    """A chat as a test sees it: the bot's messages there, in order, plus waiting helpers.

    ``inbox`` holds every bot message to this chat (edits update the same object);
    ``next_message`` / ``expect`` consume them one by one through a cursor.
    """

    def __init__(self, tg: FakeTelegram, chat_id: int, username: str | None) -> None:
        self.chat_id = chat_id
        self.username = username
        self._tg = tg
        self._cursor = 0

    @property
    @abstractmethod
    def chat_json(self) -> dict[str, Any]:
        """The Chat object Telegram puts into messages of this chat."""

    @property
    def _messages(self) -> list[SentMessage]:
        return self._tg._inboxes.get(self.chat_id, [])

    @property
    def inbox(self) -> list[SentMessage]:
        """Every message the bot sent to this chat, oldest first (deleted ones flagged)."""
        return list(self._messages)

    @property
    def unread(self) -> list[SentMessage]:
        """Bot messages not yet returned by :meth:`next_message`."""
        return self._messages[self._cursor :]

    @property
    def last_message(self) -> SentMessage | None:
        return self._messages[-1] if self._messages else None

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Texts of the reply keyboard currently shown in this chat, or None."""
        markup = self._tg._reply_keyboards.get(self.chat_id)
        if markup is None:
            return None
        return [[b if isinstance(b, str) else b.get("text", "") for b in row] for row in markup["keyboard"]]

    @property
    def reply_keyboard_markup(self) -> dict[str, Any] | None:
        """The reply keyboard currently shown in this chat as the bot sent it (buttons with their
        ``request_location``/``request_contact`` flags), or None."""
        return self._tg._reply_keyboards.get(self.chat_id)

    def transcript(self) -> list[dict[str, Any]]:
        """The chat as a Telegram client shows it: every live message of both sides, oldest first,
        each current after edits (see :func:`fakebot.models.message_view`)."""
        tg = self._tg
        views = [message_view(payload, from_bot=False, edits=int("edit_date" in payload))
                 for key, payload in tg._user_messages.items()
                 if key[0] == self.chat_id and key not in tg._deleted_user_messages]
        views += [message_view(sent.payload, from_bot=True,
                               edits=sum(edit.method != "editMessageReplyMarkup" for edit in sent.edits))
                  for sent in self._messages if not sent.deleted]
        return sorted(views, key=lambda view: view["message_id"])

    async def next_message(self, timeout: float = DEFAULT_TIMEOUT) -> SentMessage:
        """The next bot message not yet consumed; AssertionError with a dump on timeout."""
        if not await self._tg._wait_until(lambda: len(self._messages) > self._cursor, timeout):
            raise AssertionError(f"no new bot message within {timeout}s\n{self.dump()}")
        message = self._messages[self._cursor]
        self._cursor += 1
        return message

    async def expect(self, contains: str | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> SentMessage:
        """:meth:`next_message`, asserting its text (or caption) contains ``contains``."""
        message = await self.next_message(timeout)
        if contains is not None and (message.text is None or contains not in message.text):
            raise AssertionError(f"expected a message containing {contains!r}, got {message.describe()}\n{self.dump()}")
        return message

    async def wait_for(
        self,
        predicate: Callable[[SentMessage], object] | Callable[[], object],
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Any:
        """Wait for a condition; the read cursor does not move.

        ``predicate(message)`` → returns the newest bot message of this chat (read or
        not, so edits count) for which it is true.  ``predicate()`` without
        parameters → any condition on the fake's state (e.g. ``tg.commands(...)``);
        returns its first truthy value.  AssertionError with a dump on timeout."""
        takes_message = _takes_argument(predicate)
        found: list[Any] = []

        def check() -> bool:
            if takes_message:
                found[:] = [m for m in reversed(self._messages) if predicate(m)][:1]  # type: ignore[call-arg]
            else:
                found[:] = [value] if (value := predicate()) else []  # type: ignore[call-arg]
            return bool(found)

        if not await self._tg._wait_until(check, timeout):
            raise AssertionError(f"the awaited condition did not hold within {timeout}s\n{self.dump()}")
        return found[0]

    async def no_message(self, within: float = 0.3) -> None:
        """Assert no unread bot message exists now or arrives within ``within`` seconds."""
        if await self._tg._wait_until(lambda: len(self._messages) > self._cursor, within):
            raise AssertionError(f"unexpected bot message: {self._messages[self._cursor].describe()}\n{self.dump()}")

    def drain(self) -> list[SentMessage]:
        """Mark every bot message so far as read and return the unread ones."""
        unread = self.unread
        self._cursor = len(self._messages)
        return unread

    def dump(self) -> str:
        """Human-readable state of the chat, used in assertion messages."""
        lines = [f"{self!r}: {len(self._messages)} bot message(s), {self._cursor} read"]
        for index, message in enumerate(self._messages):
            lines.append(f"  [{index}]{' (unread)' if index >= self._cursor else ''} {message.describe()}")
        errors = self._tg._chat_errors(self.chat_id)
        if errors:
            lines.append("  API calls for this chat answered with an error:")
            lines += [f"    {e.method}: {e.error_code} {e.description}" for e in errors]
        if self._tg._poll_count == 0:
            lines.append("  the bot has never called getUpdates: is it polling?")
        elif self._tg.pending_updates:
            lines.append(f"  {len(self._tg.pending_updates)} update(s) not yet confirmed by the bot")
        return "\n".join(lines)


class FakeGroup(ChatView):
    """A group chat (``tg.group(...)``); users post into it with ``user.send(..., chat=group)``."""

    def __init__(self, tg: FakeTelegram, chat_id: int, title: str, *, username: str | None = None) -> None:
        super().__init__(tg, chat_id, username)
        self.title = title

    @property
    def chat_json(self) -> dict[str, Any]:
        kind = "supergroup" if str(self.chat_id).startswith("-100") else "group"
        chat: dict[str, Any] = {"id": self.chat_id, "type": kind, "title": self.title}
        if self.username:
            chat["username"] = self.username
        return chat

    def __repr__(self) -> str:
        return f"FakeGroup({self.chat_id}, {self.title!r})"


class FakeUser(ChatView):
    """A Telegram user talking to the bot in a private chat (chat id == user id).

    Actions take ``chat=`` to act in a group instead; reading helpers (``inbox``,
    ``next_message``...) are about the private chat.
    """

    def __init__(
        self,
        tg: FakeTelegram,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
        is_premium: bool,
    ) -> None:
        super().__init__(tg, user_id, username)
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.language_code = language_code
        self.is_premium = is_premium
        self.blocked = False
        self.sent: list[dict[str, Any]] = []
        """Message objects this user sent, in order (pass one as ``reply_to=``)."""
        self.callback_answers: list[CallbackAnswer] = []
        """The bot's answerCallbackQuery calls for this user's presses, in order."""
        self._answers_read = 0
        self._photos_made = 0

    @property
    def json(self) -> dict[str, Any]:
        """The User object Telegram puts into ``from``."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                user[key] = getattr(self, key)
        if self.is_premium:
            user["is_premium"] = True
        return user

    @property
    def chat_json(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    def __repr__(self) -> str:
        return f"FakeUser({self.id}, {self.first_name!r})"

    def _post(self, content: dict[str, Any], chat: ChatView | None, reply_to: Any = None) -> dict[str, Any]:
        return self._tg._post_user_message(self, chat or self, content, reply_to)

    # ------------------------------------------------------------------ messages

    async def send(
        self, text: str, *, chat: ChatView | None = None, reply_to: SentMessage | dict[str, Any] | int | None = None
    ) -> dict[str, Any]:
        """Send a text; ``/commands`` in it get bot_command entities (so aiogram's Command
        filter and deep-link payloads work).  Returns the Message dict, which stays current."""
        if not text.strip():
            raise ValueError("Telegram clients cannot send an empty message")
        if len(text) > 4096:
            raise ValueError("Telegram clients split texts over 4096 characters; send the parts")
        content: dict[str, Any] = {"text": text}
        entities = bot_command_entities(text)
        if entities:
            content["entities"] = entities
        return self._post(content, chat, reply_to)

    send_text = send

    async def send_photo(
        self,
        data: bytes | None = None,
        caption: str | None = None,
        media_group_id: str | None = None,
        *,
        chat: ChatView | None = None,
        reply_to: SentMessage | dict[str, Any] | int | None = None,
    ) -> dict[str, Any]:
        """Send a photo (default: a small generated PNG, different each call)."""
        if data is None:
            self._photos_made += 1
            data = make_png(4, 3, ((self._photos_made * 53) % 256, 90, 160))
        if image_size(data) is None:
            raise ValueError("send_photo needs PNG/JPEG/GIF/WebP/BMP bytes")
        stored = self._tg.files.store("photo", data, file_name="photo.jpg")
        content: dict[str, Any] = {"photo": stored.json}
        if caption:
            content["caption"] = caption
        if media_group_id:
            content["media_group_id"] = media_group_id
        return self._post(content, chat, reply_to)

    async def send_album(
        self, n: int = 2, *, caption: str | None = None, chat: ChatView | None = None
    ) -> list[dict[str, Any]]:
        """Send ``n`` photos as one album: separate updates sharing a media_group_id
        (the caption, if any, goes on the first photo, as Telegram clients do)."""
        group_id = str(random.randrange(10**17, 10**18))
        return [
            await self.send_photo(caption=caption if i == 0 else None, media_group_id=group_id, chat=chat)
            for i in range(n)
        ]

    async def send_document(
        self,
        data: bytes = b"test document\n",
        file_name: str = "document.txt",
        mime_type: str | None = None,
        *,
        caption: str | None = None,
        chat: ChatView | None = None,
    ) -> dict[str, Any]:
        stored = self._tg.files.store("document", data, file_name=file_name, mime_type=mime_type)
        return self._post({"document": stored.json, **({"caption": caption} if caption else {})}, chat)

    async def send_video(
        self,
        data: bytes = b"\x00\x00\x00\x18ftypmp42" + bytes(64),
        *,
        duration: int = 5,
        width: int = 640,
        height: int = 360,
        caption: str | None = None,
        chat: ChatView | None = None,
    ) -> dict[str, Any]:
        attributes = {"duration": duration, "width": width, "height": height}
        stored = self._tg.files.store("video", data, file_name="video.mp4", attributes=attributes)
        return self._post({"video": stored.json, **({"caption": caption} if caption else {})}, chat)

    async def send_voice(
        self, data: bytes = b"OggS" + bytes(64), *, duration: int = 3, chat: ChatView | None = None
    ) -> dict[str, Any]:
        stored = self._tg.files.store("voice", data, attributes={"duration": duration})
        return self._post({"voice": stored.json}, chat)

    async def send_sticker(self, *, emoji: str = "👍", chat: ChatView | None = None) -> dict[str, Any]:
        data = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(24)
        stored = self._tg.files.store("sticker", data, attributes={"emoji": emoji, "set_name": "TestStickers"})
        return self._post({"sticker": stored.json}, chat)

    async def send_location(
        self, latitude: float = DEFAULT_LOCATION[0], longitude: float = DEFAULT_LOCATION[1], *,
        chat: ChatView | None = None,
    ) -> dict[str, Any]:
        return self._post({"location": {"latitude": latitude, "longitude": longitude}}, chat)

    async def send_venue(
        self, latitude: float, longitude: float, title: str, address: str = "", *, chat: ChatView | None = None,
    ) -> dict[str, Any]:
        """Send a named place (a client's location picker): Telegram puts both ``venue`` and
        ``location`` into the message, so location handlers see it too."""
        location = {"latitude": latitude, "longitude": longitude}
        return self._post({"venue": {"location": location, "title": title, "address": address},
                           "location": location}, chat)

    async def send_contact(
        self,
        phone_number: str,
        *,
        own: bool = True,
        first_name: str | None = None,
        last_name: str | None = None,
        chat: ChatView | None = None,
    ) -> dict[str, Any]:
        """Send a contact card; ``own=True`` makes it this user's (``user_id`` set), as a
        request_contact button does.  Note real clients send phone numbers with or
        without the leading "+"."""
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": first_name or self.first_name}
        if own:
            contact["user_id"] = self.id
            if self.last_name and last_name is None:
                contact["last_name"] = self.last_name
        if last_name:
            contact["last_name"] = last_name
        return self._post({"contact": contact}, chat)

    async def edit(self, message: dict[str, Any] | int, text: str) -> dict[str, Any]:
        """Edit one of this user's text messages (a message id means one in the private
        chat); queues an ``edited_message`` update."""
        key = (self.id, message) if isinstance(message, int) else (message["chat"]["id"], message["message_id"])
        payload = next((m for m in self.sent if (m["chat"]["id"], m["message_id"]) == key and "text" in m), None)
        if payload is None:
            raise ValueError(f"{self!r} has no text message {key[1]} in chat {key[0]}")
        payload["text"] = text
        payload.pop("entities", None)
        if bot_command_entities(text):
            payload["entities"] = bot_command_entities(text)
        payload["edit_date"] = int(time.time())
        self._tg.enqueue_update("edited_message", dict(payload))
        return payload

    # ------------------------------------------------------------------ keyboards

    def _keyboard_message(self, message: SentMessage | int | None, chat: ChatView) -> SentMessage:
        if message is None:
            found = next((m for m in reversed(chat._messages) if m.buttons and not m.deleted), None)
            if found is None:
                raise AssertionError(f"no bot message with an inline keyboard in this chat\n{chat.dump()}")
            return found
        if isinstance(message, int):
            found = self._tg._bot_messages.get((chat.chat_id, message))
            if found is None:
                raise AssertionError(f"the bot sent no message {message} in chat {chat.chat_id}\n{chat.dump()}")
            message = found
        if message.deleted:
            raise AssertionError(f"message {message.message_id} was deleted; it cannot be pressed")
        return message

    async def press(
        self, button: ButtonMatcher, message: SentMessage | int | None = None, *, chat: ChatView | None = None
    ) -> str:
        """Press an inline button found by visible text (exact, else unique substring) or a
        predicate on the text, on ``message`` (default: the latest bot message with an
        inline keyboard).  Queues a callback_query; returns its id."""
        target = self._keyboard_message(message, chat or self)
        rows = (target.reply_markup or {}).get("inline_keyboard")
        if not rows:
            raise AssertionError(f"message {target.message_id} has no inline keyboard: {target.describe()}")
        found = _find_button(rows, button)
        if "callback_data" not in found:
            raise AssertionError(f"button {found.get('text')!r} is not a callback button: {found}")
        return self._tg._post_callback(self, target, found["callback_data"])

    async def press_data(
        self, data: str, message: SentMessage | int | None = None, *, chat: ChatView | None = None
    ) -> str:
        """Send a callback_query with arbitrary (possibly forged) ``data`` for ``message``
        (default: the latest bot message with an inline keyboard, else the latest one)."""
        view = chat or self
        if message is None and not any(m.buttons for m in view._messages) and view.last_message is not None:
            message = view.last_message
        return self._tg._post_callback(self, self._keyboard_message(message, view), data)

    def _reply_buttons(self, chat: ChatView) -> list[list[Any]]:
        markup = self._tg._reply_keyboards.get(chat.chat_id)
        if markup is None:
            raise AssertionError(f"no reply keyboard is shown in this chat\n{chat.dump()}")
        rows: list[list[Any]] = markup["keyboard"]
        return rows

    async def press_reply(self, button: ButtonMatcher, *, chat: ChatView | None = None) -> dict[str, Any]:
        """Tap a button of the reply keyboard currently shown: sends its text, or the
        contact/location for request_contact/request_location buttons."""
        view = chat or self
        found = _find_button(self._reply_buttons(view), button)
        markup = self._tg._reply_keyboards[view.chat_id]
        if markup.get("one_time_keyboard"):
            del self._tg._reply_keyboards[view.chat_id]
        if found.get("request_contact"):
            return await self.send_contact(self.phone_number, chat=chat)
        if found.get("request_location"):
            return await self.send_location(chat=chat)
        return await self.send(found["text"], chat=chat)

    async def share_contact(self, phone_number: str | None = None, *, chat: ChatView | None = None) -> dict[str, Any]:
        """Tap the request_contact button of the current reply keyboard (sends own contact)."""
        view = chat or self
        buttons = [b for row in self._reply_buttons(view) for b in row if isinstance(b, dict)]
        if not any(b.get("request_contact") for b in buttons):
            raise AssertionError(f"the reply keyboard has no request_contact button\n{view.dump()}")
        return await self.send_contact(phone_number or self.phone_number, chat=chat)

    @property
    def phone_number(self) -> str:
        """This user's phone number as shared by request_contact buttons."""
        return f"+86138{self.id % 10**8:08d}"

    # ------------------------------------------------------------------ callback answers, blocking

    async def next_callback_answer(self, timeout: float = DEFAULT_TIMEOUT) -> CallbackAnswer:
        """The next answerCallbackQuery for this user's presses not yet returned."""
        if not await self._tg._wait_until(lambda: len(self.callback_answers) > self._answers_read, timeout):
            raise AssertionError(f"the bot answered no callback query within {timeout}s\n{self.dump()}")
        answer = self.callback_answers[self._answers_read]
        self._answers_read += 1
        return answer

    def block_bot(self) -> None:
        """Block the bot: sends to this chat now fail with 403; queues my_chat_member."""
        self._set_blocked(True)

    def unblock_bot(self) -> None:
        self._set_blocked(False)

    def _set_blocked(self, blocked: bool) -> None:
        if self.blocked == blocked:
            return
        self.blocked = blocked
        member = {"status": "member", "user": dict(self._tg.bot_user)}
        kicked = {"status": "kicked", "user": dict(self._tg.bot_user), "until_date": 0}
        old, new = (member, kicked) if blocked else (kicked, member)
        self._tg.enqueue_update("my_chat_member", {
            "chat": self.chat_json, "from": self.json, "date": int(time.time()),
            "old_chat_member": old, "new_chat_member": new,
        })
