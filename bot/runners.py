"""Interchangeable runners: polling (bot and jobs in one process), webhook, worker (jobs only)."""
from __future__ import annotations

import asyncio
import gc
import logging
import signal
from datetime import datetime
from typing import Callable

from bot.context import AppContext
from bot.settings import Settings
from models import migrate, utcnow
from models.db import Database
from services import calendar, i18n, people

log = logging.getLogger(__name__)


async def prepare(settings: Settings, clock: Callable[[], datetime] = utcnow) -> AppContext:
    """Open the database, apply migrations, make sure the configured admins exist."""
    i18n.set_default_locale(settings.default_locale)
    calendar.set_zone(settings.tz)
    db = Database(settings.database_url)
    await migrate.upgrade(db.engine)
    async with db.session() as session:
        await people.bootstrap_admins(session, settings.admin_ids)
    return AppContext(settings=settings, db=db, clock=clock, bot_username=settings.bot_username)


class BotApp:
    """The whole bot in this process: dispatcher (polling or webhook), sender and jobs."""

    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] = utcnow,
                 with_dispatcher: bool = True, with_jobs: bool = True) -> None:
        self.settings = settings
        self.clock = clock
        self.with_dispatcher = with_dispatcher
        self.with_jobs = with_jobs
        self.ctx: AppContext | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._cleanup: list[Callable[[], object]] = []

    async def start(self) -> None:
        from bot import commands
        from bot.app import create_bot, create_dispatcher
        from bot.sender import Sender
        from jobs.registry import JobContext
        from jobs.scheduler import Jobs

        self.settings.require_token()
        self.ctx = ctx = await prepare(self.settings, self.clock)
        self.bot = bot = create_bot(ctx)
        if not ctx.bot_username:
            me = await bot.get_me()
            ctx.bot_username = me.username or ""
        self.sender = Sender(ctx, create_bot(ctx, replies=False))
        if self.settings.health_port and not (self.with_dispatcher and self.settings.webhook_url):
            from bot import metrics

            self._cleanup.append((await metrics.serve(ctx, self.settings.health_host, self.settings.health_port)).cleanup)
        if self.with_jobs:
            self.jobs = Jobs(JobContext(ctx, self.sender))
            self.jobs.start()
            self._cleanup.append(self.jobs.stop)
        if self.with_dispatcher:
            self.dp = dp = create_dispatcher(ctx)
            await commands.publish_defaults(bot)
            if self.settings.webhook_url:
                await self._start_webhook()
            else:
                await bot.delete_webhook(drop_pending_updates=False)
                self._tasks.append(asyncio.create_task(
                    dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=10,
                                     tasks_concurrency_limit=self.settings.updates_in_flight)
                ))
                self._cleanup.append(dp.stop_polling)
        # What start-up built (routers, catalogues, models, compiled queries) lives as long as the
        # process: out of the collector's sight, a full collection no longer walks it. Measured:
        # such a collection stalled every chat for 200-320 ms.
        gc.freeze()

    async def _start_webhook(self) -> None:
        from aiogram.webhook.aiohttp_server import setup_application
        from aiohttp import web

        from bot.webhook import PATH, UpdateLedger, WebhookHandler

        from bot import metrics

        app = web.Application()
        app.add_routes(metrics.routes(self.ctx))
        ledger = UpdateLedger(self.ctx)
        WebhookHandler(self.dp, self.bot, ledger, self.settings.webhook_secret,
                       self.settings.updates_in_flight).register(app, path=PATH)
        setup_application(app, self.dp, bot=self.bot)
        self._cleanup.append(ledger.close)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, self.settings.webhook_host, self.settings.webhook_port)
        await site.start()
        await self.bot.set_webhook(self.settings.webhook_url.rstrip("/") + PATH,
                                   secret_token=self.settings.webhook_secret)
        self._cleanup.append(runner.cleanup)

    async def wait(self) -> None:
        await asyncio.gather(*self._tasks) if self._tasks else await asyncio.Event().wait()

    async def stop(self) -> None:
        """Wind down: the web server or polling, the jobs and the sender, then the connections. Each
        step is bounded, so a step that hangs (a connection that never answers) cannot keep the
        process from exiting; it is logged by name."""
        self.stopped = True
        for step in reversed(self._cleanup):
            await _bounded(step, getattr(step, "__qualname__", repr(step)))
        for task in self._tasks:
            task.cancel()
        await _bounded(lambda: asyncio.gather(*self._tasks, return_exceptions=True), "polling")
        closing = [self.bot.session.close, self.sender.bot.session.close]
        if self.with_dispatcher:
            closing.insert(0, self.dp.storage.close)
        if self.ctx is not None:
            closing.append(self.ctx.db.dispose)
        for step in closing:
            await _bounded(step, step.__qualname__)


STOP_STEP_SECONDS = 15


async def _bounded(step: Callable[[], object], name: str) -> None:
    try:
        result = step()
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            await asyncio.wait_for(result, STOP_STEP_SECONDS)
    except RuntimeError:  # polling already stopped
        pass
    except asyncio.TimeoutError:
        log.error("stopping: %s did not finish within %d s; going on", name, STOP_STEP_SECONDS)
        for task in asyncio.all_tasks():  # which one holds the step up, where it waits: the next fix starts here
            if task is not asyncio.current_task() and not task.done():
                where = " < ".join(f"{frame.f_code.co_name} ({frame.f_code.co_filename.rsplit('/', 1)[-1]}:"
                                   f"{frame.f_lineno})" for frame in reversed(task.get_stack(limit=6)))
                log.error("stopping: still running: %s at %s", task.get_name(), where)


async def serve(app: BotApp) -> None:
    """Run until the process is asked to stop (SIGTERM from a service manager, or Ctrl-C)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await app.start()
    log.info("Minsheng bot is running as @%s", app.ctx.bot_username if app.ctx else "?")
    running = asyncio.create_task(app.wait())
    stop = asyncio.create_task(stopping.wait())
    try:
        await asyncio.wait({running, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
        await app.stop()
        log.info("Minsheng bot stopped")
    if running.done() and not running.cancelled():
        running.result()  # polling ended by itself: surface why
