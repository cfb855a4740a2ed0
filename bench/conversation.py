"""Conversations: this bot against a bare aiogram echo bot on the same fake server, in one run.

- Throughput of /menu, and of a realistic mix (the menu, a whole suggestion form that writes,
  /help, "My suggestions"), in updates per second, users talking at once and each waiting for
  its answer; the ratio is this bot's rate over the echo bot's, measured side by side.
- Latency at an offered load: updates sent at a fixed rate whatever the answers do (open
  loop), each timed from the moment it is sent to the moment its answer reaches the fake.
- Memory (RSS) at rest and right after a burst of updates.
"""
from __future__ import annotations

import asyncio
import os
import resource
import sys
import time
from pathlib import Path

from bench.common import TOKEN, Row, database, percentile, running_bot
from fakebot import FakeTelegram, FakeUser
from fakebot.echo import build_echo_dispatcher
from services.i18n import translate

LOCALE = "zh_CN"


def zh(message: str) -> str:
    return translate(LOCALE, message)


async def _menu(user: FakeUser) -> int:
    user.drain()
    await user.send("/menu")
    await user.next_message(timeout=60)
    return 1


def _seen(user: FakeUser) -> dict[int, int]:
    """Each message of the chat so far and how often it was edited: what counts as old."""
    return {m.message_id: len(m.edits) for m in user.inbox}


async def _step(user: FakeUser, act, predicate) -> object:  # noqa: ANN001
    """Do `act`, then wait for a message sent or edited since that shows what `predicate` wants:
    an earlier round's message (the last confirmation, a help text) never passes for the answer."""
    seen = _seen(user)
    await act()
    return await user.wait_for(lambda m: len(m.edits) > seen.get(m.message_id, -1) and predicate(m), timeout=60)


def _says(text: str):  # noqa: ANN202
    return lambda m: text in (m.text or "")


def _offers(label: str):  # noqa: ANN202
    return lambda m: label in m.button_texts


async def _mix(user: FakeUser) -> int:
    """One round of what a resident does: the menu, a whole suggestion, help, their suggestions."""
    menu = await _step(user, lambda: user.send("/menu"), _offers(zh("Suggest a project")))
    prompt = await _step(user, lambda: user.press(zh("Suggest a project"), menu),
                         _says(zh("Which kind of project do you suggest?")))
    await _step(user, lambda: user.press(zh("Roads and transport"), prompt), _says("2000"))  # the limit is named
    done = await _step(user, lambda: user.send("The lane to the primary school has no street lights; children walk "
                                               "home in the dark."), _offers(zh("Done")))
    await _step(user, lambda: user.press(zh("Done"), done), _says(zh(
        "Where exactly? Send the location (📎 → Location, or the button below), or type the village and street.")))
    name = await _step(user, lambda: user.send("East Lane, Shuikou"), _offers(zh("No, without my name")))
    preview = await _step(user, lambda: user.press(zh("No, without my name"), name), _offers(zh("✅ Send")))
    await _step(user, lambda: user.press(zh("✅ Send"), preview), _says("MS-"))
    await _step(user, lambda: user.send("/help"), _says(zh("Commands: /menu main menu, /language change language, "
                                                           "/mydata your data, /cancel leave a form.")))
    menu = await _step(user, lambda: user.send("/menu"), _offers(zh("My suggestions")))
    await _step(user, lambda: user.press(zh("My suggestions"), menu), lambda m: m is menu and "MS-" in (m.text or ""))
    return 10  # updates the bot handled this round


async def _echo(user: FakeUser, rounds: int) -> int:
    for _ in range(rounds):
        user.drain()
        await user.send("hello")
        await user.next_message(timeout=60)
    return rounds


async def _rate(users: list[FakeUser], step, rounds: int) -> float:  # noqa: ANN001
    async def converse(user: FakeUser) -> int:
        return sum([await step(user) for _ in range(rounds)])

    started = time.perf_counter()
    handled = sum(await asyncio.gather(*(converse(u) for u in users)))
    return handled / (time.perf_counter() - started)


async def throughput(backend: str, workdir: Path, users: int, rounds: int) -> list[Row]:
    rows = []
    async with FakeTelegram(token=TOKEN) as tg:
        echo_users = [tg.user(language_code="en") for _ in range(users)]
        async with tg.polling(build_echo_dispatcher()):
            echo_menu = await _rate(echo_users, lambda u: _echo(u, 1), rounds)
            echo_mix = await _rate(echo_users, lambda u: _echo(u, 10), max(1, rounds // 4))
        async with database(backend, workdir) as (url, redis_url), \
                running_bot(tg.base_url, url, redis_url, suggestions_per_day=10_000,
                            outbox_interval_seconds=3600, sweep_interval_seconds=3600) as app:
            ours_users = [tg.user(language_code="zh-hans") for _ in range(users)]
            for user in ours_users:  # a first contact happens once per person, not per message
                await user.send("/start")
                await user.next_message(timeout=60)
                await user.next_message(timeout=60)
            menu = await _rate(ours_users, _menu, rounds)
            mix = await _rate(ours_users, _mix, max(1, rounds // 4))
            del app
    for what, ours, echo in (("/menu throughput", menu, echo_menu), ("realistic mix throughput", mix, echo_mix)):
        rows.append(Row(f"{what}, ratio to a bare echo bot", backend, f"{ours / echo:.2f} ({ours:.0f}/{echo:.0f} per s)",
                        "≥ 0.8", ours / echo >= 0.8, {"ours": ours, "echo": echo, "users": users}))
    return rows


async def latency(backend: str, workdir: Path, offered: float, seconds: float) -> list[Row]:
    """p50 and p99 of /menu at `offered` updates per second for `seconds`, open loop."""
    count = int(offered * seconds)
    async with FakeTelegram(token=TOKEN) as tg, database(backend, workdir) as (url, redis_url), \
            running_bot(tg.base_url, url, redis_url, outbox_interval_seconds=3600, sweep_interval_seconds=3600):
        users = [tg.user(language_code="zh-hans") for _ in range(min(count, 200))]
        for user in users:
            await user.send("/start")
            await user.next_message(timeout=60)
            await user.next_message(timeout=60)
        waits: list[float] = []
        busy: set[int] = set()

        async def one(user: FakeUser) -> None:
            busy.add(user.id)
            user.drain()
            sent = time.perf_counter()
            await user.send("/menu")
            await user.next_message(timeout=60)
            waits.append(time.perf_counter() - sent)
            busy.discard(user.id)

        tasks = []
        started = time.perf_counter()
        for n in range(count):
            await asyncio.sleep(max(0.0, started + n / offered - time.perf_counter()))
            free = next((u for u in users[n % len(users):] + users if u.id not in busy), None)
            if free is not None:
                tasks.append(asyncio.create_task(one(free)))
        await asyncio.gather(*tasks)
    p50, p99 = percentile(waits, 0.5) * 1000, percentile(waits, 0.99) * 1000
    return [Row(f"/menu latency at {offered:.0f} updates/s, p50 / p99", backend, f"{p50:.1f} / {p99:.1f} ms",
                "p99 ≤ 20 ms", p99 <= 20, {"p50_ms": p50, "p99_ms": p99, "answered": len(waits), "offered": count})]


def rss_mib(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def memory(backend: str, workdir: Path, burst: int) -> list[Row]:
    """RSS of the bot as it runs in production (`minsheng run`, its own process) at rest, and at
    its highest while a burst of `burst` first contacts (each answered) goes through it."""
    async with FakeTelegram(token=TOKEN) as tg, database(backend, workdir) as (url, redis_url):
        env = {**os.environ, "BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": tg.base_url, "BOT_USERNAME": "bench_bot",
               "DATABASE_URL": url, "REDIS_URL": redis_url, "WEBHOOK_URL": "", "SWEEP_INTERVAL_SECONDS": "3600"}
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", env=env, cwd=workdir,
                                                       stdout=asyncio.subprocess.DEVNULL,
                                                       stderr=asyncio.subprocess.DEVNULL)
        try:
            while tg._poll_count == 0:
                await asyncio.sleep(0.2)
            await asyncio.sleep(2)
            at_rest = rss_mib(process.pid)
            users = [tg.user(language_code="zh-hans") for _ in range(burst)]
            peak = at_rest
            for user in users:
                await user.send("/start")
            for user in users:
                while not any(m.buttons for m in user.inbox):
                    peak = max(peak, rss_mib(process.pid))
                    await asyncio.sleep(0.05)
            peak = max(peak, rss_mib(process.pid))
        finally:
            process.terminate()
            await process.wait()
    return [Row("memory (RSS) of the bot at rest / at its highest in a burst", backend,
                f"{at_rest:.0f} / {peak:.0f} MiB", "≤ 250 MiB", peak <= 250,
                {"rest_mib": at_rest, "burst_mib": peak, "burst": burst})]
