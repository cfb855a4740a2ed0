"""A fake Telegram Bot API for end-to-end tests of the bot with real aiogram polling.

* :class:`FakeTelegram` — the HTTP server and the simulated Telegram state
  (``async with FakeTelegram() as tg``; ``tg.polling(dispatcher)`` runs the bot).
* :class:`FakeUser` — a user acting in chats (``tg.user(1001, "Li")``) and reading
  the bot's replies (``await user.expect(contains="...")``).
* :class:`SentMessage` — one message the bot sent, kept current across edits.
"""

from .errors import TelegramError
from .files import FileStore
from .media import make_png
from .models import (
    ApiError,
    Call,
    CallbackAnswer,
    SentMessage,
    StoredFile,
    UploadedFile,
)
from .server import FakeTelegram, Fault, Hold, LoopbackSession
from .user import ChatView, FakeGroup, FakeUser

__all__ = [
    "ApiError",
    "Call",
    "CallbackAnswer",
    "ChatView",
    "FakeGroup",
    "FakeTelegram",
    "FakeUser",
    "Fault",
    "FileStore",
    "Hold",
    "LoopbackSession",
    "SentMessage",
    "StoredFile",
    "TelegramError",
    "UploadedFile",
    "make_png",
]
