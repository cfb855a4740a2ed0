"""What every benchmark shares: a fresh database on either backend, the bot started against a
fake Telegram, percentiles, and a result row for the table."""
from __future__ import annotations

import asyncio
import os
import statistics
import uuid
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import AsyncIterator

from bot.runners import BotApp
from bot.settings import load_settings

TOKEN = "123456:BENCH-TOKEN-abcdefghij"
PG_ADMIN = os.environ.get("MINSHENG_BENCH_PG", "postgresql://127.0.0.1:5432/test")
REDIS = os.environ.get("MINSHENG_BENCH_REDIS", "redis://127.0.0.1:6379/9")
BACKENDS = ("sqlite", "postgres")


@dataclass
class Row:
    """One figure of the table: what, on which backend, measured, the goal, and whether it is met."""

    what: str
    backend: str
    measured: str
    goal: str
    met: bool | None  # None: informative only
    detail: dict = field(default_factory=dict)

    def json(self) -> dict:
        return asdict(self)


@asynccontextmanager
async def database(backend: str, workdir: Path) -> AsyncIterator[tuple[str, str]]:
    """(DATABASE_URL, REDIS_URL) of a new, empty database, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / (uuid.uuid4().hex[:8] + '.sqlite3')}", ""
        return
    import asyncpg
    import redis.asyncio as redis

    name = "bench_" + uuid.uuid4().hex[:12]
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f"CREATE DATABASE {name}")
    await admin.close()
    client = redis.from_url(REDIS)
    await client.flushdb()
    await client.aclose()
    try:
        yield PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}", REDIS
    finally:
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


@asynccontextmanager
async def running_bot(api_base: str, database_url: str, redis_url: str, **overrides: object) -> AsyncIterator[BotApp]:
    settings = load_settings(bot_token=TOKEN, telegram_api_base=api_base, bot_username="bench_bot",
                             database_url=database_url, redis_url=redis_url, webhook_url="", admin_ids=[],
                             **overrides)
    app = BotApp(settings)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def median(values: list[float]) -> float:
    return statistics.median(values)


async def settle(seconds: float = 0.2) -> None:
    await asyncio.sleep(seconds)
