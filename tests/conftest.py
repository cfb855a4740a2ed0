"""Fixtures shared by all tests: a fresh database per test, the fake Telegram, the running bot.

The backend (SQLite, or PostgreSQL + Redis) is chosen by MINSHENG_TEST_BACKEND; see
tests/support/backends.py.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from hypothesis import settings as hypothesis_settings

from bot.settings import Settings, load_settings
from models.db import Database
from tests.support import backends
from tests.support.clock import FakeClock

# The property tests draw the same cases on every run, so `make test` passes or fails the same way
# each time; `--hypothesis-profile=explore` draws new ones to look for more.
hypothesis_settings.register_profile("repeatable", derandomize=True, deadline=None)
hypothesis_settings.register_profile("explore", max_examples=2000, deadline=None)
hypothesis_settings.load_profile("repeatable")

TOKEN = "123456:TEST-TOKEN-abcdefghij"
BOT_USERNAME = "minsheng_test_bot"


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield asyncio.run(backends.make_template(tmp_path_factory.mktemp("template")))
    asyncio.run(backends.drop_template())


@pytest.fixture
async def database_url(template: str, tmp_path: Path) -> AsyncIterator[str]:
    url, cleanup = await backends.fresh_database(template, tmp_path)
    yield url
    await cleanup()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def tg() -> AsyncIterator["FakeTelegram"]:
    from fakebot import FakeTelegram

    async with FakeTelegram(token=TOKEN, username=BOT_USERNAME) as server:
        yield server


@pytest.fixture
async def settings(database_url: str, tg) -> Settings:  # noqa: ANN001
    return load_settings(
        bot_token=TOKEN,
        bot_username="",
        database_url=database_url,
        redis_url=await backends.fresh_redis(),
        telegram_api_base=tg.base_url,
        admin_ids=[],
        webhook_url="",
        outbox_interval_seconds=0.5,
        sweep_interval_seconds=3600,
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The scale-out tests run several processes on one PostgreSQL and one Redis; on the SQLite pass
    (one process owns a SQLite database) they are left out, and they run on the PostgreSQL pass."""
    if backends.uses_postgres():
        return
    kept = [item for item in items if item.get_closest_marker("scale_out") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


StartBot = Callable[..., Awaitable["BotApp"]]


@pytest.fixture
async def start_bot(settings: Settings, clock: FakeClock) -> AsyncIterator[StartBot]:
    """Start the whole bot in this process against the fake Telegram; stopped after the test.

    Call it again after `await app.stop()` to simulate a restart on the same database.
    """
    from bot.runners import BotApp

    running: list[BotApp] = []

    async def start(**overrides: object) -> BotApp:
        app = BotApp(settings.model_copy(update=overrides) if overrides else settings, clock=clock)
        await app.start()
        running.append(app)
        return app

    yield start
    for app in running:
        if not getattr(app, "stopped", False):
            await app.stop()


@pytest.fixture
async def bot(start_bot: StartBot):  # noqa: ANN201
    """The bot, running."""
    return await start_bot()
