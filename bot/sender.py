"""The one paced sender that drains the outbox to Telegram.

Pacing: at most SEND_RATE_GLOBAL messages in any one-second window, spread evenly, counted
on the moments messages actually leave (a late wake-up waits its turn instead of
catching up in a burst); at most SEND_RATE_PER_CHAT per second to any one chat, counted
from the last send to that chat; messages to one chat in the order they were queued. A 429
pauses everything for `retry_after`; 5xx and network errors back off per message, and when
they come in a row (an outage) pause everything without blaming the messages; a 403
marks the chat as blocked and holds its messages until the user writes again.

Each outcome is written as soon as Telegram has answered: outcomes go to one recorder that
commits whatever has arrived in one transaction, then the next, and a message holds its
place among the IN_FLIGHT until its outcome is committed. So a sender killed at any moment
repeats at most IN_FLIGHT messages (sent, answer not yet recorded), however slow the
database, and loses none (a claimed message whose sender died is taken again when its
lease ends).
The sender runs on real time, not the business clock (AppContext.clock): pacing and
retries are about Telegram, not deadlines.

`stop()` winds it down without repeats: nothing new is claimed or sent, what is on its way to
Telegram finishes, its outcome is committed and the claimed messages not sent are handed back
before `drain` returns. A drain cancelled instead (its stop ran out of time) takes its
deliveries down with it; their claims lapse.

A notification of kind "redact" edits a message already sent (its resident erased their
data): text becomes the notice; a photo is deleted, or replaced when Telegram no longer
lets the bot delete it.
"""
from __future__ import annotations

import asyncio
import base64
import logging
import math
import time
from collections import deque
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
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, InputMediaPhoto

from bot import metrics
from bot.context import AppContext
from models import NotificationStatus, utcnow
from services import outbox, people

log = logging.getLogger(__name__)
IN_FLIGHT = 8
# Claim only a little ahead of sending, so no claimed message waits anywhere near its lease.
CLAIM_AHEAD = 2 * IN_FLIGHT
WINDOW = 1.0  # seconds: the span the global rate is counted over
OUTAGE_AFTER = 3  # server errors in a row that mean Telegram, not one message, is in trouble
OUTAGE_FIRST, OUTAGE_LONGEST = 1.0, 30.0  # seconds of pause while it lasts
STOP_CHECK = 1.0  # seconds: the longest a wait goes without looking whether stop() was called
WINDOW_MARGIN = 0.01  # seconds kept spare at the window's edge, for the network's jitter
# What a deleted resident's photo becomes when Telegram no longer lets the bot delete it: a grey pixel.
REMOVED_PHOTO = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg==")


@dataclass(frozen=True)
class Outcome:
    item: outbox.Outgoing
    status: str  # sent | retry | blocked | failed | released (never sent: the sender is stopping)
    message_id: int | None = None
    error: str = ""
    retry_after: float | None = None


class Sender:
    def __init__(self, ctx: AppContext, bot: Bot) -> None:
        self.ctx = ctx
        self.bot = bot
        self.lease = timedelta(seconds=ctx.settings.outbox_lease_seconds)
        self.rate = ctx.settings.send_rate_global
        self.global_gap = 1.0 / self.rate
        self.chat_gap = 1.0 / ctx.settings.send_rate_per_chat
        self._sent_at: deque[float] = deque(maxlen=max(1, math.ceil(self.rate)))
        self._pace_lock = asyncio.Lock()
        self._next_for_chat: dict[int, float] = {}
        self._busy_chats: set[int] = set()
        self._paused_until = 0.0
        self._server_errors = 0  # in a row, across messages: Telegram itself is in trouble
        self._outage_pause = 0.0
        self._slots = asyncio.Semaphore(IN_FLIGHT)
        self._drain_lock = asyncio.Lock()
        self._outcomes: asyncio.Queue[tuple[Outcome, asyncio.Future[None]]] = asyncio.Queue()
        self._delivered = 0
        self.stopping = False

    def stop(self) -> None:
        """Claim and send nothing more: a drain running finishes what is on its way, records it, returns."""
        self.stopping = True

    async def drain(self, max_seconds: float = 50.0) -> int:
        """Deliver everything due now (waiting out pacing), for at most `max_seconds`. Returns messages sent."""
        async with self._drain_lock:
            self._delivered = 0
            recorder = asyncio.create_task(self._record_outcomes())
            stop_at = time.monotonic() + max_seconds
            tasks: set[asyncio.Task[None]] = set()
            try:
                try:
                    while not self.stopping and time.monotonic() < stop_at:
                        next_ready = await self._start_ready(tasks)
                        # Long waits (a pause Telegram asked for) are taken a second at a time, for stop().
                        if tasks:
                            _done, tasks = await asyncio.wait(tasks, timeout=min(next_ready or 0.05, STOP_CHECK),
                                                              return_when=asyncio.FIRST_COMPLETED)
                        elif next_ready is None:
                            break
                        else:
                            await asyncio.sleep(min(next_ready, STOP_CHECK, max(0.0, stop_at - time.monotonic())))
                finally:
                    # What is on its way finishes and is recorded, also when the database failed
                    # between two claims; not when this drain itself is cancelled.
                    if not asyncio.current_task().cancelling():
                        await asyncio.gather(*tasks)
                        await self._outcomes.join()
            finally:
                # Never leave a delivery behind: it would hold its slot and its chat for good.
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                recorder.cancel()
                # gather, not a suppressed await: a cancellation of drain itself must go on up.
                await asyncio.gather(recorder, return_exceptions=True)
            return self._delivered

    async def _start_ready(self, tasks: set[asyncio.Task[None]]) -> float | None:
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
            tasks.add(asyncio.create_task(self._deliver(item)))
        if items:
            return 0.0
        return max(0.01, min(waits)) if waits else 0.05

    async def _pace(self) -> bool:
        """Wait for this message's turn: no more than `rate` sends in any window, spread evenly,
        counted on actual send moments, and nothing while Telegram asked us to pause. False when
        the sender is stopping instead: the message is not sent."""
        async with self._pace_lock:
            while True:
                if self.stopping:
                    return False
                now = time.monotonic()
                wait = self._paused_until - now
                if self._sent_at:
                    wait = max(wait, self._sent_at[-1] + self.global_gap - now)
                    if len(self._sent_at) == self._sent_at.maxlen:
                        wait = max(wait, self._sent_at[0] + WINDOW + WINDOW_MARGIN - now)
                if wait <= 0:
                    self._sent_at.append(now)
                    return True
                await asyncio.sleep(min(wait, STOP_CHECK))

    async def _deliver(self, item: outbox.Outgoing) -> None:
        async with self._slots:
            try:
                if await self._pace():
                    # Counted from the moment it leaves: the next message to this chat waits a full gap.
                    self._next_for_chat[item.chat_id] = time.monotonic() + self.chat_gap
                    outcome = await self._attempt(item)
                else:  # stopping: handed back unsent, for the next sender to take at once
                    outcome = Outcome(item, "released")
                # Keep the place, and the chat, until the outcome is committed: sends never run ahead of
                # the record, and a message whose lease ran out meanwhile is not taken again by this sender.
                recorded = asyncio.get_running_loop().create_future()
                self._outcomes.put_nowait((outcome, recorded))
                await recorded
            finally:
                self._busy_chats.discard(item.chat_id)

    async def _attempt(self, item: outbox.Outgoing) -> Outcome:
        """Send one message and say how it went."""
        try:
            outcome = Outcome(item, "sent", message_id=await self._send(item))
            self._server_errors, self._outage_pause = 0, 0.0
            return outcome
        except TelegramRetryAfter as exc:
            metrics.FLOOD_WAITS.inc()
            self._paused_until = time.monotonic() + exc.retry_after
            return Outcome(item, "retry", error=f"429 retry after {exc.retry_after}", retry_after=exc.retry_after)
        except TelegramForbiddenError as exc:
            return Outcome(item, "blocked", error=str(exc))
        except TelegramBadRequest as exc:
            return Outcome(item, "failed", error=str(exc))
        except (TelegramServerError, TelegramNetworkError, asyncio.TimeoutError) as exc:
            return Outcome(item, "retry", error=f"{type(exc).__name__}: {exc}",
                           retry_after=self._outage(time.monotonic()))
        except TelegramAPIError as exc:  # any other refusal (401, 404, ...): retrying will not help
            return Outcome(item, "failed", error=f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # a bug must not strand the message: try it again later
            log.exception("sending notification %s failed", item.id)
            return Outcome(item, "retry", error=f"{type(exc).__name__}: {exc}")

    def _outage(self, now: float) -> float | None:
        """After a 5xx or a timeout: None (the message backs off on its own, counted against it), or,
        once several messages in a row failed so, Telegram's outage: everything pauses, the pause
        doubling up to OUTAGE_LONGEST, and the waiting messages are not blamed (not counted), so a
        long outage fails nothing and sending resumes, paced, as soon as a probe goes through."""
        self._server_errors += 1
        if self._server_errors < OUTAGE_AFTER:
            return None
        self._outage_pause = min(max(self._outage_pause * 2, OUTAGE_FIRST), OUTAGE_LONGEST)
        self._paused_until = max(self._paused_until, now + self._outage_pause)
        return self._outage_pause

    async def _record_outcomes(self) -> None:
        """Commit outcomes as they come: whatever arrived while the last commit ran goes in the next."""
        while True:
            batch = [await self._outcomes.get()]
            while not self._outcomes.empty():
                batch.append(self._outcomes.get_nowait())
            try:
                self._delivered += await self._record([outcome for outcome, _recorded in batch])
            except Exception:  # the messages stay claimed; their leases bring them back
                log.exception("recording %d outcomes failed", len(batch))
            finally:
                for _outcome, recorded in batch:
                    if not recorded.done():
                        recorded.set_result(None)
                    self._outcomes.task_done()

    async def _record(self, outcomes: list[Outcome]) -> int:
        """Write outcomes in one transaction. Returns how many were sent."""
        now = utcnow()
        async with self.ctx.db.session() as session:
            for outcome in outcomes:
                metrics.SENT.labels(outcome.status).inc()
                item = outcome.item
                if outcome.status == "sent":
                    await outbox.mark_sent(session, item.id, outcome.message_id, now)
                elif outcome.status == "retry":
                    if not await outbox.mark_retry(session, item, now, outcome.error, outcome.retry_after):
                        log.error("notification %s to chat %s failed for good: %s", item.id, item.chat_id,
                                  outcome.error)
                elif outcome.status == "released":
                    await outbox.release(session, item.id)
                elif outcome.status == "blocked":
                    await outbox.mark_final(session, item, NotificationStatus.blocked, outcome.error)
                    await people.mark_blocked(session, item.chat_id)
                else:
                    log.warning("notification %s refused by Telegram: %s", item.id, outcome.error)
                    await outbox.mark_final(session, item, NotificationStatus.failed, outcome.error)
        return sum(1 for outcome in outcomes if outcome.status == "sent")

    async def _send(self, item: outbox.Outgoing) -> int | None:
        if item.kind == outbox.REDACT:
            return await self._redact(item)
        markup = item.payload.get("inline_keyboard")
        reply_markup = InlineKeyboardMarkup.model_validate({"inline_keyboard": markup}) if markup else None
        if item.kind == "photo":
            message = await self.bot.send_photo(item.chat_id, item.payload["photo"], caption=item.text or None,
                                                reply_markup=reply_markup)
        else:
            message = await self.bot.send_message(item.chat_id, item.text, reply_markup=reply_markup)
        return message.message_id

    async def _redact(self, item: outbox.Outgoing) -> int | None:
        """Edit a sent copy into the notice (a photo: delete it, or swap it for a grey pixel)."""
        if item.message_id is None:  # it never went out: nothing to take back
            return None
        try:
            if item.payload.get("was") == "photo":
                try:
                    await self.bot.delete_message(item.chat_id, item.message_id)
                except TelegramBadRequest:  # older than Telegram lets a bot delete
                    await self.bot.edit_message_media(
                        InputMediaPhoto(media=BufferedInputFile(REMOVED_PHOTO, "removed.png"), caption=item.text),
                        chat_id=item.chat_id, message_id=item.message_id)
            else:
                await self.bot.edit_message_text(item.text, chat_id=item.chat_id, message_id=item.message_id)
        except TelegramBadRequest as exc:
            if "not modified" not in str(exc) and "not found" not in str(exc):
                raise
        return item.message_id
