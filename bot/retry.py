"""What the dispatcher's bot does around every request: commit before replying, and ride out a
short Telegram outage.

A reply tells a person what happened ("registered as MS-2026-000123"), so whatever the update
changed is committed first: if the database fails at that moment, the person gets the apology,
never a confirmation of something that was rolled back. The commit happens at the first
outgoing call after a change (a handler reads, calls a service, then renders), and costs
nothing when there is nothing to commit.

A handler's answer (a menu, a confirmation) is sent directly, not through the outbox, so a
502 or a timeout would leave the person without an answer. Requests of the dispatcher's bot
are retried on 5xx answers, timeouts and network errors with a growing pause (0.5 s doubling
up to 5 s), and on a 429 after the wait Telegram asks for, for up to REPLY_RETRY_SECONDS in
all. Each update runs in its own task, so a reply waiting here holds up only that chat's next
update, never the others. getUpdates keeps aiogram's own backoff; the outbox sender keeps its
own retries and pacing and does not use this. setMyCommands is not retried: the command menu
is decoration, set again at the next start or first contact, and retrying it would hold up
start-up (three calls) or a person's answer by the whole budget during an outage.
"""
from __future__ import annotations

import asyncio
import logging
import time

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import GetUpdates, SetMyCommands, TelegramMethod
from aiogram.methods.base import Response, TelegramType

from bot.storage import unit_of_work

log = logging.getLogger(__name__)
FIRST_PAUSE = 0.5
LONGEST_PAUSE = 5.0


class CommitBeforeReplying(BaseRequestMiddleware):
    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        session = unit_of_work()
        if session is not None and session.in_transaction() and not isinstance(method, GetUpdates):
            await session.commit()
        return await make_request(bot, method)


class RetryOnOutage(BaseRequestMiddleware):
    def __init__(self, budget_seconds: float) -> None:
        self.budget = budget_seconds

    async def __call__(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot,
                       method: TelegramMethod[TelegramType]) -> Response[TelegramType]:
        if isinstance(method, (GetUpdates, SetMyCommands)):
            return await make_request(bot, method)
        give_up_at = time.monotonic() + self.budget
        pause = FIRST_PAUSE
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                wait = float(exc.retry_after)
                error: Exception = exc
            except (TelegramServerError, TelegramNetworkError) as exc:
                wait, pause = pause, min(pause * 2, LONGEST_PAUSE)
                error = exc
            if time.monotonic() + wait > give_up_at:
                raise error
            log.warning("%s failed (%s); trying again in %.1f s", type(method).__name__, type(error).__name__, wait)
            await asyncio.sleep(wait)
