"""The scale-out path as it is deployed: two `minsheng run` instances in webhook mode and one
`minsheng worker`, separate processes, on one PostgreSQL database and one Redis.

The test plays Telegram: it posts each update to one instance or the other, as a load
balancer would, and reads what the bot sends. Residents fill forms step by step with every
step going to the other instance; every notification reaches its reader once although three
processes run the sender; planted overdue deadlines are escalated once although three
processes sweep; and when one instance is killed in the middle, the other carries on.

It runs on the PostgreSQL + Redis pass of `make test` (tests/conftest.py leaves it out of
the SQLite pass, where it has nothing to say: one process owns a SQLite database).
"""
from __future__ import annotations

import asyncio
import itertools
import socket
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import insert

from fakebot import FakeTelegram
from models import Deadline, utcnow
from models.contact import INQUIRY_DEADLINE
from models import Role
from services import directory, people
from services.i18n import translate
from tests.conftest import TOKEN
from tests.support import backends
from tests.support.processes import Zygote, gone, kill
from tests.support.waiting import eventually

pytestmark = pytest.mark.scale_out
SECRET = "scale-out-Secret_123"
DEPUTY_USER = 4100


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Balancer:
    """Telegram's side of webhooks: each pending update is posted to the next instance that answers."""

    def __init__(self, tg: FakeTelegram, ports: list[int]) -> None:
        self.tg, self.ports, self.down = tg, ports, set()
        self.taken: dict[int, int] = {}  # update id -> the port that took it
        self._task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        turn = itertools.cycle(self.ports)
        async with aiohttp.ClientSession() as http:
            while True:
                if not self.tg._updates:
                    await asyncio.sleep(0.01)
                    continue
                update = self.tg._updates.pop(0)
                for _ in range(len(self.ports)):
                    port = next(turn)
                    if port in self.down:
                        continue
                    try:
                        async with http.post(f"http://127.0.0.1:{port}/telegram", json=update, timeout=5,
                                             headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}) as answer:
                            if answer.status == 200:
                                self.taken[update["update_id"]] = port
                                break
                    except (aiohttp.ClientError, asyncio.TimeoutError):
                        self.down.add(port)  # a dead instance is taken out of rotation
                else:
                    self.tg._updates.insert(0, update)
                    await asyncio.sleep(0.2)

    def __enter__(self) -> "Balancer":
        self._task = asyncio.get_event_loop().create_task(self.run())
        return self

    def __exit__(self, *exc: object) -> None:
        self._task.cancel()


async def _suggest(user, place: str) -> str:  # noqa: ANN001
    """A whole suggestion, one update at a time; returns the tracking number."""
    en = lambda message: translate("en", message)  # noqa: E731
    user.drain()
    await user.send("/menu")
    menu = await user.wait_for(lambda m: en("Suggest a project") in m.button_texts, timeout=30)
    await user.press(en("Suggest a project"), menu)
    kinds = await user.wait_for(lambda m: en("Roads and transport") in m.button_texts, timeout=30)
    await user.press(en("Roads and transport"), kinds)
    await user.wait_for(lambda m: "2000" in (m.text or ""), timeout=30)
    await user.send(f"Street lights for {place}, the lane is dark after six.")
    done = await user.wait_for(lambda m: en("Done") in m.button_texts, timeout=30)
    await user.press(en("Done"), done)
    station = await user.wait_for(lambda m: en("Other / not sure") in m.button_texts, timeout=30)
    await user.press(en("Other / not sure"), station)
    await user.wait_for(lambda: user.reply_keyboard, timeout=30)
    await user.send(place)
    name = await user.wait_for(lambda m: en("No, without my name") in m.button_texts, timeout=30)
    await user.press(en("No, without my name"), name)
    preview = await user.wait_for(lambda m: en("✅ Send") in m.button_texts, timeout=30)
    await user.press(en("✅ Send"), preview)
    receipt = await user.wait_for(lambda m: "MS-" in (m.text or ""), timeout=30)
    return receipt.text.split("MS-")[1][:11]


async def _plant(url: str, overdue: int) -> None:
    """A deputy on the bot, and `overdue` residents' letters whose seven days ran out an hour ago."""
    from models.db import Database
    from models import migrate
    from models.contact import Inquiry

    db = Database(url)
    await migrate.upgrade(db.engine)
    now = utcnow()
    async with db.session() as s:
        station = await directory.add_station(s, None, "East")
        deputy = await directory.add_deputy(s, None, directory.DeputyFields("Wang Fang", "county", station.id))
        await people.ensure_user(s, people.Contact(DEPUTY_USER, "Wang", None, "en"))
        await people.grant_role(s, DEPUTY_USER, Role.deputy, by=None)
        deputy.user_id = DEPUTY_USER
        await s.flush()
        await s.execute(insert(Inquiry.__table__), [dict(
            number=f"DB-2026-{n:06d}", kind="opinion", status="open", resident_alias=1000 + n, deputy_id=deputy.id,
            received_by_deputy_id=deputy.id, station_id=station.id, text="", photos=[], referral_platform="",
            referral_note="", created_at=now - timedelta(days=8), due_on=(now - timedelta(days=1)).date(),
            updated_at=now) for n in range(1, overdue + 1)])
        await s.execute(insert(Deadline.__table__), [dict(
            kind=INQUIRY_DEADLINE, subject_id=n, owner_id=DEPUTY_USER, station_id=station.id,
            started_at=now - timedelta(days=8), due_at=now - timedelta(hours=1), escalate_at=now - timedelta(hours=1),
            calendar_note="", skipped_stages="") for n in range(1, overdue + 1)])
    await db.dispose()


async def test_two_webhook_instances_and_a_worker_share_forms_messages_and_deadlines(tg, template, tmp_path: Path):
    url, drop = await backends.fresh_database(template, tmp_path)
    redis_url = await backends.fresh_redis()
    await _plant(url, overdue=5)
    deputy = tg.user(DEPUTY_USER, "Wang", language_code="en")  # before the processes: they sweep at once
    ports = [_port(), _port()]
    env = {"BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": tg.base_url, "DATABASE_URL": url, "REDIS_URL": redis_url,
           "BOT_USERNAME": "minsheng_test_bot", "WEBHOOK_URL": "https://bot.example.org", "WEBHOOK_SECRET": SECRET,
           "WEBHOOK_HOST": "127.0.0.1", "SWEEP_INTERVAL_SECONDS": "1", "OUTBOX_INTERVAL_SECONDS": "0.3",
           "SEND_RATE_PER_CHAT": "50"}
    zygote = await Zygote.start()
    pids: list[int] = []
    try:
        for n, port in enumerate(ports):
            pids.append(await zygote.spawn({**env, "WEBHOOK_PORT": str(port)}, tmp_path, "run", log=f"run{n}.log"))
        pids.append(await zygote.spawn(env, tmp_path, "worker", log="worker.log"))
        async with aiohttp.ClientSession() as http:
            async def up(port: int) -> bool:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/health") as answer:
                        return answer.status == 200
                except aiohttp.ClientError:
                    return False
            for port in ports:
                await eventually(lambda port=port: up(port), timeout=60)
        residents = [tg.user(language_code="en") for _ in range(6)]
        with Balancer(tg, ports) as balancer:
            numbers = await asyncio.gather(*(_suggest(r, f"Lane {n}") for n, r in enumerate(residents)))
            assert len(set(numbers)) == 6  # six forms, each step to the other instance, all completed
            assert set(balancer.taken.values()) == set(ports)
            # Three processes sweep every second: each overdue letter is escalated to its deputy once.
            await eventually(lambda: len([m for m in deputy.inbox if "overdue" in (m.text or "")]) >= 5, timeout=60)
            await asyncio.sleep(3)  # later sweeps and senders find nothing more to do
            assert len([m for m in deputy.inbox if "overdue" in (m.text or "")]) == 5
            # One instance dies in the middle of a burst; the other carries on with every form.
            kill(pids[0])
            await eventually(lambda: gone(pids[0]), timeout=10)
            later = [tg.user(language_code="en") for _ in range(3)]
            more = await asyncio.gather(*(_suggest(r, f"Street {n}") for n, r in enumerate(later)))
            assert len(set(more)) == 3 and ports[0] in balancer.down
        for resident in residents + later:  # each confirmation once, whichever instance took each step
            assert len([m for m in resident.inbox if "MS-" in (m.text or "")]) == 1
    finally:
        for pid in pids:
            kill(pid)
        await zygote.stop()
        await drop()
