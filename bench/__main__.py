"""Benchmarks, each a ratio measured side by side in one run on the same fake Bot API server.

    .venv/bin/python -m bench [--users 20] [--messages 10] [--notifications 400]

1. Conversation throughput: this bot answering /menu (user lookup, roles, rendering,
   one transaction per update) over a bare aiogram echo bot, both polling the fake.
2. Outbox delivery: the paced sender draining N notifications (pacing lifted) over a
   bare loop of `send_message` calls with the same concurrency.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path

from bot.runners import BotApp
from bot.settings import load_settings
from services import outbox
from tests.fakebot import FakeTelegram
from tests.fakebot.echo import build_echo_dispatcher

TOKEN = "123456:BENCH-TOKEN-abcdefghij"


async def _round_trips(tg: FakeTelegram, users: list, text: str, per_user: int) -> float:  # noqa: ANN001
    """Seconds for every user to send `per_user` messages, each waiting for its answer."""
    async def converse(user) -> None:  # noqa: ANN001
        for _ in range(per_user):
            user.drain()
            await user.send(text)
            await user.next_message(timeout=30)

    started = time.perf_counter()
    await asyncio.gather(*(converse(u) for u in users))
    return time.perf_counter() - started


async def bench_conversations(n_users: int, per_user: int, workdir: Path) -> tuple[float, float]:
    async with FakeTelegram(token=TOKEN) as tg:
        echo_users = [tg.user(language_code="en") for _ in range(n_users)]
        async with tg.polling(build_echo_dispatcher()):
            echo = _rate(n_users * per_user, await _round_trips(tg, echo_users, "hello", per_user))
        settings = load_settings(bot_token=TOKEN, telegram_api_base=tg.base_url, bot_username="bench_bot",
                                 database_url=f"sqlite:///{workdir / 'conv.sqlite3'}", redis_url="")
        app = BotApp(settings)
        await app.start()
        try:
            ours_users = [tg.user(language_code="zh-hans") for _ in range(n_users)]
            for user in ours_users:  # first contact happens once per person, not per message
                await user.send("/start")
                await user.next_message(timeout=30)
                await user.next_message(timeout=30)
            ours = _rate(n_users * per_user, await _round_trips(tg, ours_users, "/menu", per_user))
        finally:
            await app.stop()
    return ours, echo


async def bench_outbox(n: int, workdir: Path) -> tuple[float, float]:
    async with FakeTelegram(token=TOKEN) as tg:
        chats = [tg.user(language_code="en").id for _ in range(n)]
        bot = tg.make_bot()
        slots = asyncio.Semaphore(8)

        async def send(chat_id: int) -> None:
            async with slots:
                await bot.send_message(chat_id, f"bare {chat_id}")

        started = time.perf_counter()
        await asyncio.gather(*(send(c) for c in chats))
        bare = _rate(n, time.perf_counter() - started)
        await bot.session.close()

        settings = load_settings(bot_token=TOKEN, telegram_api_base=tg.base_url, bot_username="bench_bot",
                                 database_url=f"sqlite:///{workdir / 'outbox.sqlite3'}", redis_url="",
                                 send_rate_global=100_000, outbox_interval_seconds=3600)
        app = BotApp(settings, with_dispatcher=False, with_jobs=False)
        await app.start()
        try:
            async with app.ctx.db.session() as session:
                for chat_id in chats:
                    await outbox.enqueue(session, chat_id, f"queued {chat_id}", key=f"bench:{chat_id}")
            started = time.perf_counter()
            sent = await app.sender.drain(max_seconds=300)
            ours = _rate(sent, time.perf_counter() - started)
        finally:
            await app.stop()
    return ours, bare


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--notifications", type=int, default=400)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        ours, echo = await bench_conversations(args.users, args.messages, Path(tmp))
        print(f"conversations: minsheng {ours:7.1f} updates/s, bare aiogram echo {echo:7.1f} updates/s, "
              f"ratio {ours / echo:.2f}  ({args.users} users x {args.messages} messages)")
        sent, bare = await bench_outbox(args.notifications, Path(tmp))
        print(f"outbox:        minsheng {sent:7.1f} messages/s, bare send_message loop {bare:7.1f} messages/s, "
              f"ratio {sent / bare:.2f}  ({args.notifications} notifications, pacing lifted)")


if __name__ == "__main__":
    asyncio.run(main())
