"""Wiring: the Bot, the Dispatcher with its storage, middleware and routers."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StorageKey
from aiogram.fsm.storage.memory import SimpleEventIsolation

from bot.context import AppContext
from bot.middlewares import UnitOfWork
from bot.storage import DatabaseStorage

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


def create_bot(ctx: AppContext) -> Bot:
    settings = ctx.settings
    _pin_response_types()
    session = AiohttpSession(timeout=30)
    if settings.telegram_api_base:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base.rstrip("/")), timeout=30)
    return Bot(settings.require_token(), session=session,
               default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True))


def create_storage(ctx: AppContext) -> BaseStorage:
    if ctx.settings.redis_url:
        from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage

        return RedisStorage.from_url(ctx.settings.redis_url, key_builder=DefaultKeyBuilder(with_destiny=True))
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

        events_isolation = InOrderIsolation(RedisEventIsolation.from_url(ctx.settings.redis_url))
    dp = Dispatcher(storage=storage, events_isolation=events_isolation, ctx=ctx)
    dp.update.outer_middleware(UnitOfWork(ctx))
    for router in handlers.routers():
        dp.include_router(router)
    return dp
