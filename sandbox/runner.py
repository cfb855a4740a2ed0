"""`Sandbox`: the fake Telegram, the real bot pointed at it with a throwaway SQLite database,
the seeded township and the page, started and stopped together in this process."""
from __future__ import annotations

import logging
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.runners import BotApp
from bot.settings import load_settings
from fakebot import FakeTelegram
from sandbox import seed, township
from sandbox.clock import SandboxClock
from sandbox.samples import sample_photo

log = logging.getLogger(__name__)
TOKEN = "424242:SANDBOX-no-real-telegram"
USERNAME = "minsheng_sandbox_bot"
BOT_NAME = "Minsheng"


class Sandbox:
    """Start with `await sandbox.start()`, read `sandbox.url` (set once everything is ready), stop
    with `await sandbox.stop()`.

    `port` 0 takes a free port. `start` is the bot clock's starting moment (default: now).
    `settings` override the operator's settings (e.g. pacing); the database, the Bot API,
    Redis, webhook and administrators are always the sandbox's own.
    """

    def __init__(self, *, port: int, start: datetime | None = None, town: township.Township | None = None,
                 **settings: Any) -> None:
        self.port = port
        self.clock = SandboxClock(start)
        self.town = town or township.load()
        self._overrides = settings
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self._web = None
        self._photos_made = 0
        self.tg: FakeTelegram | None = None
        self.app: BotApp | None = None
        self.url = ""

    async def start(self) -> None:
        from sandbox import web

        try:
            self._web = await web.serve(self, self.port)  # first: a taken port stops nothing half-started
            host, port = self._web.addresses[0][:2]
            self._workdir = tempfile.TemporaryDirectory(prefix="minsheng-sandbox-")
            self.tg = FakeTelegram(TOKEN, username=USERNAME, first_name=BOT_NAME)
            await self.tg.start()
            for persona in self.town.personas:
                self.tg.user(persona.id, persona.name, language_code=persona.language)
            database = Path(self._workdir.name) / "sandbox.sqlite3"
            settings = load_settings(**{
                "congress_name": self.town.data.get("congress", ""),  # the posters name it
                **self._overrides, "bot_token": TOKEN, "bot_username": USERNAME,
                "database_url": f"sqlite:///{database}", "redis_url": "", "telegram_api_base": self.tg.base_url,
                "webhook_url": "", "webhook_secret": "", "admin_ids": [],
            })
            self.app = BotApp(settings, clock=self.clock)
            await self.app.start()
            await seed.plant(seed.Planting(self.app.ctx.db, settings, self.clock(), self.town, self._store_photo))
            await self._publish_commands()
            await self.catch_up()
            self.url = f"http://{host}:{port}"
        except BaseException:
            await self.stop()
            raise

    def _store_photo(self) -> tuple[str, str]:
        self._photos_made += 1
        stored = self.tg.files.store("photo", sample_photo(self._photos_made), file_name="photo.jpg")
        return stored.file_id, stored.file_unique_id

    async def _publish_commands(self) -> None:
        """Each persona's command menu, as the bot sets it when someone gains a role."""
        from bot import commands
        from models import User
        from services.auth import load_actor

        async with self.app.ctx.db.session() as session:
            actors = [await load_actor(session, await session.get(User, p.id)) for p in self.town.personas]
        for actor in actors:
            await commands.publish_for(self.app.bot, actor)

    async def catch_up(self) -> dict[str, str]:
        """Run every job that depends on time (the deadline sweep, digests...) at the clock's now and
        ring the outbox, so what is due now reaches the chats at once. Returns each job's summary."""
        from jobs.registry import JOBS, JobContext

        ctx = self.app.ctx
        summaries = {}
        for job in JOBS.values():
            if not job.needs_bot:
                summaries[job.name] = await job.fn(JobContext(ctx, self.app.sender), ctx.now())
        ctx.ring_outbox()
        log.info("sandbox clock at %s: %s", ctx.now().isoformat(timespec="minutes"), summaries)
        return summaries

    async def jump(self, delta: timedelta) -> datetime:
        """Move the bot's clock ahead; the sweep and the digests run at once at the new time."""
        self.clock.jump(delta)
        await self.catch_up()
        return self.clock()

    async def stop(self) -> None:
        """Stop the page, the bot and the fake Telegram; the township's database is deleted."""
        if self._web is not None:
            await self._web.cleanup()
            self._web = None
        if self.app is not None and self.app.ctx is not None and not getattr(self.app, "stopped", False):
            await self.app.stop()
        if self.tg is not None:
            await self.tg.stop()
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None
