"""The one paced sender that drains the outbox to Telegram.

Pacing: a global spacing (SEND_RATE_GLOBAL per second) and at most SEND_RATE_PER_CHAT
per second to any one chat, messages to one chat in the order they were queued. A 429
pauses everything for `retry_after`; 5xx and network errors back off per message; a 403
marks the chat as blocked and holds its messages until the user writes again.

Claims and outcomes are written in batches (one transaction per wave), and each outcome
is committed as soon as its wave completes. The sender runs on real time, not the
business clock (AppContext.clock): pacing and retries are about Telegram, not deadlines.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup

from bot.context import AppContext
from models import NotificationStatus, utcnow
from services import outbox, people

log = logging.getLogger(__name__)
IN_FLIGHT = 8
# Claim only a little ahead of sending, so no claimed message waits anywhere near its lease.
CLAIM_AHEAD = 2 * IN_FLIGHT


@dataclass(frozen=True)
class Outcome:
    item: outbox.Outgoing
    status: str  # sent | retry | blocked | failed
    message_id: int | None = None
    error: str = ""
    retry_after: float | None = None


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
            tasks: set[asyncio.Task[Outcome]] = set()
            sent = 0
            while time.monotonic() < stop_at:
                next_ready = await self._start_ready(tasks)
                if tasks:
                    done, tasks = await asyncio.wait(tasks, timeout=next_ready or 0.05,
                                                     return_when=asyncio.FIRST_COMPLETED)
                    sent += await self._record([task.result() for task in done])
                elif next_ready is None:
                    break
                else:
                    await asyncio.sleep(min(next_ready, max(0.0, stop_at - time.monotonic())))
            if tasks:
                sent += await self._record(list(await asyncio.gather(*tasks)))
            return sent

    async def _start_ready(self, tasks: set[asyncio.Task[Outcome]]) -> float | None:
        """Claim and start the oldest due message of every chat that may receive one now.

        Returns how long until a waiting message may start (0 when something started),
        or None when nothing is due at all.
        """
        now = time.monotonic()
        if self._paused_until > now:
            return self._paused_until - now
        room = CLAIM_AHEAD - len(tasks)
        if room <= 0:
            return 0.05
        if len(self._next_for_chat) > 10_000:
            self._next_for_chat = {c: t for c, t in self._next_for_chat.items() if t > now}
        async with self.ctx.db.session() as session:
            await outbox.hold_for_blocked_chats(session)
            candidates = await outbox.due_candidates(session, utcnow())
            if not candidates:
                return None
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
                if len(chosen) == room:
                    break
            items = await outbox.claim_many(session, list(chosen.values()), utcnow(), self.lease)
        for item in items:
            self._busy_chats.add(item.chat_id)
            self._next_for_chat[item.chat_id] = time.monotonic() + self.chat_gap
            tasks.add(asyncio.create_task(self._deliver(item)))
        if items:
            return 0.0
        return max(0.01, min(waits)) if waits else 0.05

    async def _pace(self) -> None:
        now = time.monotonic()
        start = max(now, self._next_global, self._paused_until)
        self._next_global = start + self.global_gap
        if start > now:
            await asyncio.sleep(start - now)

    async def _deliver(self, item: outbox.Outgoing) -> Outcome:
        async with self._slots:
            await self._pace()
            try:
                return Outcome(item, "sent", message_id=await self._send(item))
            except TelegramRetryAfter as exc:
                self._paused_until = time.monotonic() + exc.retry_after
                return Outcome(item, "retry", error=f"429 retry after {exc.retry_after}", retry_after=exc.retry_after)
            except TelegramForbiddenError as exc:
                return Outcome(item, "blocked", error=str(exc))
            except TelegramBadRequest as exc:
                return Outcome(item, "failed", error=str(exc))
            except (TelegramServerError, TelegramNetworkError, asyncio.TimeoutError) as exc:
                return Outcome(item, "retry", error=f"{type(exc).__name__}: {exc}")
            except TelegramAPIError as exc:  # any other refusal (401, 404, ...): retrying will not help
                return Outcome(item, "failed", error=f"{type(exc).__name__}: {exc}")
            except Exception as exc:  # a bug must not abort the wave and strand its sent messages
                log.exception("sending notification %s failed", item.id)
                return Outcome(item, "retry", error=f"{type(exc).__name__}: {exc}")
            finally:
                self._busy_chats.discard(item.chat_id)

    async def _record(self, outcomes: list[Outcome]) -> int:
        """Write a wave of outcomes in one transaction. Returns how many were sent."""
        now = utcnow()
        async with self.ctx.db.session() as session:
            for outcome in outcomes:
                item = outcome.item
                if outcome.status == "sent":
                    await outbox.mark_sent(session, item.id, outcome.message_id, now)
                elif outcome.status == "retry":
                    if not await outbox.mark_retry(session, item, now, outcome.error, outcome.retry_after):
                        log.error("notification %s to chat %s failed for good: %s", item.id, item.chat_id,
                                  outcome.error)
                elif outcome.status == "blocked":
                    await outbox.mark_final(session, item, NotificationStatus.blocked, outcome.error)
                    await people.mark_blocked(session, item.chat_id)
                else:
                    log.warning("notification %s refused by Telegram: %s", item.id, outcome.error)
                    await outbox.mark_final(session, item, NotificationStatus.failed, outcome.error)
        return sum(1 for outcome in outcomes if outcome.status == "sent")

    async def _send(self, item: outbox.Outgoing) -> int | None:
        markup = item.payload.get("inline_keyboard")
        reply_markup = InlineKeyboardMarkup.model_validate({"inline_keyboard": markup}) if markup else None
        if item.kind == "photo":
            message = await self.bot.send_photo(item.chat_id, item.payload["photo"], caption=item.text or None,
                                                reply_markup=reply_markup)
        else:
            message = await self.bot.send_message(item.chat_id, item.text, reply_markup=reply_markup)
        return message.message_id
