"""What every handler and job shares: settings, database, clock, and the sender's doorbell."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from bot.settings import Settings
from models import utcnow
from models.db import Database


@dataclass
class AppContext:
    settings: Settings
    db: Database
    clock: Callable[[], datetime] = utcnow
    bot_username: str = ""
    outbox_bell: asyncio.Event = field(default_factory=asyncio.Event)

    def now(self) -> datetime:
        return self.clock()

    def local_time(self, moment: datetime) -> str:
        """A moment as users read it: minutes, in the congress's time zone."""
        return moment.astimezone(self.settings.tz).strftime("%Y-%m-%d %H:%M")

    def ring_outbox(self) -> None:
        """Tell the in-process sender that new notifications are waiting."""
        self.outbox_bell.set()

    def deep_link(self, payload: str) -> str:
        return f"https://t.me/{self.bot_username}?start={payload}"
