"""Wiring: the Bot, the Dispatcher with its storage, middleware and routers."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StorageKey
from aiogram.fsm.storage.memory import SimpleEventIsolation

from bot.context import AppContext
from bot.forms import FormMessages
from bot.middlewares import UnitOfWork
from bot.retry import CommitBeforeReplying, RetryOnOutage
from bot.storage import DatabaseStorage, RedisFormStorage, holding, redis_client

log = logging.getLogger(__name__)


# aiogram parametrises `Response[T]` for every API answer, and pydantic caches those classes
# only weakly: a garbage collection throws them away and the next answer rebuilds the
# schema (milliseconds each). Holding the ones this bot uses keeps them built.
_RESPONSE_TYPES: list[type] = []


def _pin_response_types() -> None:
    from aiogram import methods
    from aiogram.methods.base import Response

    if not _RESPONSE_TYPES:
        used = (methods.SendMessage, methods.SendPhoto, methods.SendDocument, methods.SendMediaGroup,
                methods.SendLocation, methods.EditMessageText, methods.EditMessageReplyMarkup,
                methods.AnswerCallbackQuery, methods.DeleteMessage, methods.GetUpdates, methods.GetFile,
                methods.SetMyCommands, methods.GetMe)
        _RESPONSE_TYPES.extend(Response[method.__returning__] for method in used)


def create_bot(ctx: AppContext, *, replies: bool = True) -> Bot:
    """The bot that talks to Telegram. `replies`: the dispatcher's, which commits the update's changes
    before each reply and whose replies ride out a short outage (bot.retry); the outbox sender has
    a bot of its own with its own retries and pacing."""
    settings = ctx.settings
    _pin_response_types()
    session = AiohttpSession(timeout=30)
    if settings.telegram_api_base:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base.rstrip("/")), timeout=30)
    if replies:
        session.middleware(CommitBeforeReplying())
        session.middleware(RetryOnOutage(settings.reply_retry_seconds))
    return Bot(settings.require_token(), session=session,
               default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True))


def create_storage(ctx: AppContext) -> BaseStorage:
    if ctx.settings.redis_url:
        return RedisFormStorage(ctx.settings.redis_url)
    return DatabaseStorage(ctx.db)


class InOrderIsolation(BaseEventIsolation):
    """Redis locks are not first come, first served, so a chat's updates (an album, the parts
    of a long text) could be handled out of order; a local FIFO lock in front keeps the order."""

    def __init__(self, shared: BaseEventIsolation) -> None:
        self.local = SimpleEventIsolation()
        self.shared = shared

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        async with self.local.lock(key), self.shared.lock(key):
            with holding():  # the chat is ours until the update is done: its form state can be remembered
                yield

    async def close(self) -> None:
        await self.local.close()
        await self.shared.close()


def create_dispatcher(ctx: AppContext, storage: BaseStorage | None = None) -> Dispatcher:
    import handlers

    storage = storage or create_storage(ctx)
    # One update per chat at a time: an album's photos arrive as separate updates at once,
    # and must not race on the same form's data.
    events_isolation: BaseEventIsolation = SimpleEventIsolation()
    if ctx.settings.redis_url:
        from aiogram.fsm.storage.redis import RedisEventIsolation

        # A lock whose release failed (Redis dropped the connection at that moment) holds its
        # chat until it expires: 20 s, not aiogram's 60.
        events_isolation = InOrderIsolation(RedisEventIsolation(
            redis_client(ctx.settings.redis_url), lock_kwargs={"timeout": 20}))
    dp = Dispatcher(storage=storage, events_isolation=events_isolation, ctx=ctx)
    dp.update.outer_middleware(UnitOfWork(ctx))
    dp.message.middleware(FormMessages())
    for router in handlers.routers():
        dp.include_router(router)
    run_filters_inline(dp)
    return dp


def run_filters_inline(dp: Dispatcher) -> int:
    """aiogram runs every synchronous filter (magic F filters, bare State objects) through
    asyncio.to_thread: a thread hand-off per filter per update, dozens for one message. They are
    pure and quick, so they run on the event loop instead. Returns how many were changed."""
    changed = 0
    for router in dp.chain_tail:
        for observer in router.observers.values():
            for handler in (observer._handler, *observer.handlers):
                for event_filter in handler.filters or ():
                    if not event_filter.awaitable:
                        event_filter.callback = _inline(event_filter.callback)
                        event_filter.awaitable = True
                        changed += 1
    return changed


def _inline(check: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def run(*args: Any, **kwargs: Any) -> Any:
        return check(*args, **kwargs)

    return run
