"""Webhook mode: Telegram posts each update to `<WEBHOOK_URL>/telegram`.

Telegram sends an update again when the answer is slow or lost, so each `update_id` is
handled once across every instance behind the proxy: the first instance to record it in
the ledger (Redis SET NX when REDIS_URL is set, else a row in the database) handles it; the
others answer 200 and drop it. Only requests carrying the secret token are read; a body that
is not a JSON object Telegram could have sent is answered 400, with one log line and no
traceback.
"""
from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta

from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.context import AppContext
from bot.storage import redis_client
from models import ProcessedUpdate, utcnow

log = logging.getLogger(__name__)
PATH = "/telegram"
REMEMBER_SECONDS = 48 * 3600  # Telegram keeps an update for 24 hours; remember it twice as long


class UpdateLedger:
    """Which update ids some instance has taken; `take` is true for exactly one caller per id."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self._redis = None
        if ctx.settings.redis_url:
            self._redis = redis_client(ctx.settings.redis_url)

    async def take(self, bot_id: int, update_id: int) -> bool:
        if self._redis is not None:
            return bool(await self._redis.set(f"minsheng:update:{bot_id}:{update_id}", 1, nx=True,
                                              ex=REMEMBER_SECONDS))
        async with self.ctx.db.session() as session:
            insert = pg_insert if self.ctx.db.is_postgres else sqlite_insert
            taken = await session.execute(insert(ProcessedUpdate).values(update_id=update_id, received_at=utcnow())
                                          .on_conflict_do_nothing(index_elements=["update_id"]))
            return bool(taken.rowcount)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()


async def forget_old_updates(ctx: AppContext, now: datetime) -> int:
    """The database ledger keeps update ids only as long as Telegram could send them again."""
    async with ctx.db.session() as session:
        result = await session.execute(delete(ProcessedUpdate).where(
            ProcessedUpdate.received_at < now - timedelta(seconds=REMEMBER_SECONDS)))
    return result.rowcount or 0


class WebhookHandler(SimpleRequestHandler):
    def __init__(self, dispatcher: Dispatcher, bot: Bot, ledger: UpdateLedger, secret_token: str,
                 in_flight: int) -> None:
        super().__init__(dispatcher, bot, handle_in_background=True, secret_token=secret_token)
        self.ledger = ledger
        self._turns = asyncio.Semaphore(in_flight)  # as polling's tasks_concurrency_limit

    async def handle(self, request: web.Request) -> web.Response:
        if not self.verify_secret(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), self.bot):
            return web.Response(body="Unauthorized", status=401)
        try:
            raw = json.loads(await request.text())
            if not isinstance(raw, dict):
                raise ValueError("not an object")
            update = Update.model_validate(raw, context={"bot": self.bot})
        except (ValueError, ValidationError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            log.warning("webhook: refused a body that is not an update (%s)", type(exc).__name__)
            return web.Response(body="Bad Request: not a Telegram update", status=400)
        if not await self.ledger.take(self.bot.id, update.update_id):
            log.info("webhook: update %s was already taken; dropped", update.update_id)
            return web.json_response({})
        task = asyncio.create_task(self._feed(update))
        self._background_feed_update_tasks.add(task)
        task.add_done_callback(self._background_feed_update_tasks.discard)
        return web.json_response({})

    async def _feed(self, update: Update) -> None:
        async with self._turns:
            await self.dispatcher.feed_update(self.bot, update, **self.data)
