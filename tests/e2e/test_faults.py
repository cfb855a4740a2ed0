"""Faults as an operator meets them, on real bot processes (the PostgreSQL + Redis pass of `make test`).

- PostgreSQL unreachable for ten seconds for the bot's own, non-superuser role: people are told
  to try again in a moment, a half-filled form is not lost, and the bot recovers without a restart.
- Redis unreachable for ten seconds: the same.
- Telegram answering 502 for a whole minute: the outbox holds every message (none is given up),
  then delivers them all at the paced rate.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import func, select

from models import Notification
from models.db import Database
from models.suggestions import Suggestion
from services import outbox, people
from services.i18n import translate
from tests.conftest import TOKEN
from tests.support import backends
from tests.support.processes import Zygote, kill
from tests.support.proxy import Proxy
from tests.support.waiting import eventually

pytestmark = pytest.mark.scale_out
APOLOGY = translate("en", "Something went wrong on our side and nothing was saved. Please try again in a moment.")
OUTAGE = 10


def en(message: str) -> str:
    return translate("en", message)


async def _app_role(database_url: str) -> tuple[str, object]:
    """A login role without superuser rights, allowed to use the test database; dropped afterwards."""
    role = "app_" + uuid.uuid4().hex[:10]
    name = database_url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(backends.PG_ADMIN_DSN)
    await admin.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER")
    await admin.execute(f"GRANT CONNECT ON DATABASE {name} TO {role}")
    await admin.close()
    inside = await asyncpg.connect(backends.PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}")
    await inside.execute(f"GRANT USAGE ON SCHEMA public TO {role}; "
                         f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}; "
                         f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}")
    await inside.close()

    async def drop() -> None:
        for dsn in (backends.PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{name}", backends.PG_ADMIN_DSN):
            conn = await asyncpg.connect(dsn)
            await conn.execute(f"DROP OWNED BY {role}")
            await conn.close()
        conn = await asyncpg.connect(backends.PG_ADMIN_DSN)
        await conn.execute(f"DROP ROLE IF EXISTS {role}")
        await conn.close()

    return role, drop


async def _to_preview(user) -> object:  # noqa: ANN001
    """A suggestion filled in up to its preview; returns the preview message."""
    await user.send("/menu")
    menu = await user.wait_for(lambda m: en("Suggest a project") in m.button_texts, timeout=30)
    await user.press(en("Suggest a project"), menu)
    kinds = await user.wait_for(lambda m: en("Roads and transport") in m.button_texts, timeout=30)
    await user.press(en("Roads and transport"), kinds)
    await user.wait_for(lambda m: "2000" in (m.text or ""), timeout=30)
    await user.send("The lane to the school has no street lights.")
    done = await user.wait_for(lambda m: en("Done") in m.button_texts, timeout=30)
    await user.press(en("Done"), done)
    await user.wait_for(lambda: user.reply_keyboard, timeout=30)
    await user.send("East Lane")
    name = await user.wait_for(lambda m: en("No, without my name") in m.button_texts, timeout=30)
    await user.press(en("No, without my name"), name)
    return await user.wait_for(lambda m: en("✅ Send") in m.button_texts, timeout=30)


async def _running(tg, zygote: Zygote, tmp_path: Path, **env: str) -> int:  # noqa: ANN001
    pid = await zygote.spawn({"BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": tg.base_url, "BOT_USERNAME": "minsheng_test_bot",
                              "OUTBOX_INTERVAL_SECONDS": "0.5", **env}, tmp_path, "run")
    await eventually(lambda: tg._poll_count > 0, timeout=60)
    return pid


async def _apology_then_recovery(user, started: float) -> None:  # noqa: ANN001
    user.drain()
    await user.send("/menu")
    await user.wait_for(lambda m: m.text == APOLOGY, timeout=30)  # told, not left in silence
    await asyncio.sleep(max(0.0, started + OUTAGE - time.monotonic()))


async def test_the_database_unreachable_for_ten_seconds(tg, template, tmp_path: Path):
    url, drop_database = await backends.fresh_database(template, tmp_path)
    role, drop_role = await _app_role(url)
    zygote = await Zygote.start()
    pid = None
    try:
        async with Proxy(5432) as proxy:
            app_url = f"postgresql://{role}@127.0.0.1:{proxy.port}/{url.rsplit('/', 1)[1]}"
            pid = await _running(tg, zygote, tmp_path, DATABASE_URL=app_url, REDIS_URL=await backends.fresh_redis())
            user = tg.user(language_code="en")
            preview = await _to_preview(user)
            started = time.monotonic()
            proxy.cut()
            await user.press(en("✅ Send"), preview)  # the database is gone at the very moment of sending
            await user.wait_for(lambda: any(a.text == APOLOGY and a.show_alert for a in user.callback_answers),
                                timeout=30)
            await _apology_then_recovery(user, started)
            proxy.restore()
            await user.press(en("✅ Send"), preview)  # the form waited in Redis: sending again works
            await user.wait_for(lambda m: "MS-" in (m.text or ""), timeout=60)
            user.drain()
            await user.send("/menu")
            await user.wait_for(lambda m: en("Suggest a project") in m.button_texts, timeout=30)
        db = Database(url)
        async with db.session() as s:
            assert await s.scalar(select(func.count()).select_from(Suggestion)) == 1  # saved once, not lost
        await db.dispose()
    finally:
        if pid:
            kill(pid)
        await zygote.stop()
        await drop_role()
        await drop_database()


async def test_redis_unreachable_for_ten_seconds(tg, template, tmp_path: Path):
    url, drop_database = await backends.fresh_database(template, tmp_path)
    redis_url = await backends.fresh_redis()
    redis_port = int(redis_url.split(":")[-1].split("/")[0])
    zygote = await Zygote.start()
    pid = None
    try:
        async with Proxy(redis_port) as proxy:
            pid = await _running(tg, zygote, tmp_path, DATABASE_URL=url,
                                 REDIS_URL=f"redis://127.0.0.1:{proxy.port}/{redis_url.rsplit('/', 1)[1]}")
            user = tg.user(language_code="en")
            preview = await _to_preview(user)
            started = time.monotonic()
            proxy.cut()
            await _apology_then_recovery(user, started)
            proxy.restore()
            await user.press(en("✅ Send"), preview)  # the form's state in Redis outlived the outage
            await user.wait_for(lambda m: "MS-" in (m.text or ""), timeout=60)
    finally:
        if pid:
            kill(pid)
        await zygote.stop()
        await drop_database()


async def test_telegram_answering_502_for_a_minute(tg, template, tmp_path: Path, monkeypatch):
    url, drop_database = await backends.fresh_database(template, tmp_path)
    arrivals: list[float] = []
    recovered = asyncio.Event()
    answer = tg._answer

    async def timed(spec, params):  # noqa: ANN001, ANN202  when each message reaches Telegram once it is back
        if spec.name == "sendMessage" and recovered.is_set():
            arrivals.append(time.monotonic())
        return await answer(spec, params)

    monkeypatch.setattr(tg, "_answer", timed)
    readers = [tg.user(language_code="en") for _ in range(20)]
    db = Database(url)
    async with db.session() as s:
        for reader in readers:
            await people.ensure_user(s, people.Contact(reader.id, "R", None, "en"))
        for n, reader in enumerate(readers * 2):
            await outbox.enqueue(s, reader.id, f"notice {n}", key=f"fault:{n}")
    zygote = await Zygote.start()
    pid = None
    try:
        outage = tg.fail_next("sendMessage", status=502, times=None)
        pid = await zygote.spawn({"BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": tg.base_url, "DATABASE_URL": url,
                                  "REDIS_URL": "", "SEND_RATE_GLOBAL": "5", "OUTBOX_INTERVAL_SECONDS": "0.5"},
                                 tmp_path, "worker")
        await asyncio.sleep(60)
        async with db.session() as s:
            rows = list(await s.scalars(select(Notification.status)))
        assert "failed" not in rows and "sent" not in rows  # held, none given up
        recovered.set()
        outage.cancel()
        await eventually(lambda: len(tg.delivered_messages()) == 40, timeout=120)
        await asyncio.sleep(1)
        assert len(tg.delivered_messages()) == 40  # each once
        # At the paced rate, not a burst: never six in any second (measured where they arrive, so a
        # tenth of a second is allowed for the two event loops' jitter), and the drain takes its time.
        spans = [later - first for first, later in zip(arrivals, arrivals[5:])]
        assert min(spans) >= 1.0 - 0.1, spans
        assert arrivals[-1] - arrivals[0] >= (len(arrivals) - 1) / 5 - 0.5
    finally:
        if pid:
            kill(pid)
        await zygote.stop()
        await db.dispose()
        await drop_database()
