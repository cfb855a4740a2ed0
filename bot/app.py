"""Wiring: the Bot, the Dispatcher with its storage, middleware and routers."""
from __future__ import annotations

import logging

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation

from bot.context import AppContext
from bot.middlewares import UnitOfWork
from bot.storage import DatabaseStorage

log = logging.getLogger(__name__)


def create_bot(ctx: AppContext) -> Bot:
    settings = ctx.settings
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


def create_dispatcher(ctx: AppContext, storage: BaseStorage | None = None) -> Dispatcher:
    import handlers

    storage = storage or create_storage(ctx)
    # One update per chat at a time: an album's photos arrive as separate updates at once,
    # and must not race on the same form's data.
    events_isolation: BaseEventIsolation = SimpleEventIsolation()
    if ctx.settings.redis_url:
        from aiogram.fsm.storage.redis import RedisEventIsolation

        events_isolation = RedisEventIsolation.from_url(ctx.settings.redis_url)
    dp = Dispatcher(storage=storage, events_isolation=events_isolation, ctx=ctx)
    dp.update.outer_middleware(UnitOfWork(ctx))
    for router in handlers.routers():
        dp.include_router(router)
    return dp
