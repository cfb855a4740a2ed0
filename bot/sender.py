"""The one paced sender that drains the outbox to Telegram.

It runs on real time, not the business clock (AppContext.clock): pacing and retries
are about Telegram, not about deadlines.

Pacing: a global spacing (SEND_RATE_GLOBAL per second) and at most SEND_RATE_PER_CHAT
per second to any one chat, messages to one chat in the order they were queued. A 429
pauses everything for `retry_after`; 5xx and network errors back off per message; a 403
marks the chat as blocked and holds its messages until the user writes again.
"""
from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup

from bot.context import AppContext
from models import NotificationStatus, User, utcnow
from services import outbox, people

log = logging.getLogger(__name__)
IN_FLIGHT = 8


class Sender:
    def __init__(self, ctx: AppContext, bot: Bot) -> None:
        self.ctx = ctx
        self.bot = bot
        self.lease = timedelta(seconds=ctx.settings.outbox_lease_seconds)
        self.global_gap = 1.0 / ctx.settings.send_rate_global
        self.chat_gap = 1.0 / ctx.settings.send_rate_per_chat
        self._next_global = 0.0
        self._next_for_chat: dict[int, float] = {}
        self._busy_chats: set[int] = set()
        self._paused_until = 0.0
        self._slots = asyncio.Semaphore(IN_FLIGHT)
        self._drain_lock = asyncio.Lock()

    async def drain(self, max_seconds: float = 50.0) -> int:
        """Deliver everything due now (waiting out pacing), for at most `max_seconds`. Returns messages sent."""
        async with self._drain_lock:
            stop_at = time.monotonic() + max_seconds
            tasks: set[asyncio.Task[bool]] = set()
            sent = 0
            while time.monotonic() < stop_at:
                next_ready = await self._start_ready(tasks)
                if tasks:
                    done, tasks = await asyncio.wait(tasks, timeout=next_ready or 0.05,
                                                     return_when=asyncio.FIRST_COMPLETED)
                    sent += sum(1 for task in done if task.result())
                elif next_ready is None:
                    break
                else:
                    await asyncio.sleep(min(next_ready, max(0.0, stop_at - time.monotonic())))
            for task in asyncio.as_completed(tasks):
                sent += 1 if await task else 0
            return sent

    async def _start_ready(self, tasks: set[asyncio.Task[bool]]) -> float | None:
        """Claim and start the oldest due message of every chat that may receive one now.

        Returns how long until a waiting message may start (0 when something started),
        or None when nothing is due at all.
        """
        now = time.monotonic()
        if self._paused_until > now:
            return self._paused_until - now
        async with self.ctx.db.session() as session:
            candidates = await outbox.due_candidates(session, utcnow())
        if not candidates:
            return None
        if len(self._next_for_chat) > 10_000:
            self._next_for_chat = {c: t for c, t in self._next_for_chat.items() if t > now}
        chosen: dict[int, int] = {}
        waits: list[float] = []
        for notification_id, chat_id in candidates:
            if chat_id in chosen or chat_id in self._busy_chats:
                continue
            ready_at = self._next_for_chat.get(chat_id, 0.0)
            if ready_at > now:
                waits.append(ready_at - now)
                continue
            chosen[chat_id] = notification_id
        for chat_id, notification_id in chosen.items():
            async with self.ctx.db.session() as session:
                item = await outbox.claim(session, notification_id, utcnow(), self.lease)
                if item is None or await self._chat_blocked(session, item):
                    continue
            self._busy_chats.add(chat_id)
            self._next_for_chat[chat_id] = time.monotonic() + self.chat_gap
            tasks.add(asyncio.create_task(self._deliver(item)))
        if chosen:
            return 0.0
        return max(0.01, min(waits)) if waits else 0.05

    async def _chat_blocked(self, session, item: outbox.Outgoing) -> bool:  # noqa: ANN001
        user = await session.get(User, item.chat_id)
        if user is not None and user.blocked_at is not None:
            await outbox.mark_final(session, item, NotificationStatus.blocked, "chat blocked the bot")
            return True
        return False

    async def _pace(self) -> None:
        now = time.monotonic()
        start = max(now, self._next_global, self._paused_until)
        self._next_global = start + self.global_gap
        if start > now:
            await asyncio.sleep(start - now)

    async def _deliver(self, item: outbox.Outgoing) -> bool:
        async with self._slots:
            await self._pace()
            try:
                message_id = await self._send(item)
            except TelegramRetryAfter as exc:
                self._paused_until = time.monotonic() + exc.retry_after
                await self._finish(outbox.mark_retry, item, f"429 retry after {exc.retry_after}", exc.retry_after)
                return False
            except TelegramForbiddenError as exc:
                async with self.ctx.db.session() as session:
                    await outbox.mark_final(session, item, NotificationStatus.blocked, str(exc))
                    await people.mark_blocked(session, item.chat_id)
                return False
            except TelegramBadRequest as exc:
                log.warning("notification %s refused by Telegram: %s", item.id, exc.message)
                async with self.ctx.db.session() as session:
                    await outbox.mark_final(session, item, NotificationStatus.failed, str(exc))
                return False
            except (TelegramServerError, TelegramNetworkError, asyncio.TimeoutError) as exc:
                await self._finish(outbox.mark_retry, item, f"{type(exc).__name__}: {exc}")
                return False
            finally:
                self._busy_chats.discard(item.chat_id)
            async with self.ctx.db.session() as session:
                await outbox.mark_sent(session, item.id, message_id, utcnow())
            return True

    async def _finish(self, mark, item: outbox.Outgoing, error: str, retry_after: float | None = None) -> None:  # noqa: ANN001
        async with self.ctx.db.session() as session:
            retrying = await mark(session, item, utcnow(), error, retry_after)
        if not retrying:
            log.error("notification %s to chat %s failed for good: %s", item.id, item.chat_id, error)

    async def _send(self, item: outbox.Outgoing) -> int | None:
        markup = item.payload.get("inline_keyboard")
        reply_markup = InlineKeyboardMarkup.model_validate({"inline_keyboard": markup}) if markup else None
        if item.kind == "photo":
            message = await self.bot.send_photo(item.chat_id, item.payload["photo"], caption=item.text or None,
                                                reply_markup=reply_markup)
        else:
            message = await self.bot.send_message(item.chat_id, item.text, reply_markup=reply_markup)
        return message.message_id
