"""The outbox against Telegram's bad days: 429, 5xx, users who blocked the bot, a sender killed mid-delivery."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from sqlalchemy import select

from models import Notification, NotificationStatus, User
from services import outbox, people
from tests.conftest import TOKEN
from tests.support.processes import Zygote, gone, kill
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]


async def _queue(db, chat_ids, prefix="msg"):  # noqa: ANN001, ANN202
    async with db.session() as s:
        for n, chat_id in enumerate(chat_ids):
            await outbox.enqueue(s, chat_id, f"{prefix} {n} for {chat_id}", key=f"{prefix}:{n}:{chat_id}")


async def _rows(db):  # noqa: ANN001, ANN202
    async with db.session() as s:
        return (await s.scalars(select(Notification).order_by(Notification.id))).all()


def _texts(tg, chat_id=None):  # noqa: ANN001, ANN202
    return [m.text for m in tg.delivered_messages(chat_id)]


async def test_429_is_honoured_and_nothing_is_lost_or_repeated(tg, bot, db):
    user = tg.user(language_code="en")
    tg.fail_next("sendMessage", status=429, retry_after=1)
    await _queue(db, [user.id] * 3)
    bot.ctx.ring_outbox()
    await eventually(lambda: len(_texts(tg, user.id)) == 3, timeout=30)
    assert _texts(tg, user.id) == [f"msg {n} for {user.id}" for n in range(3)]  # in order, once each
    await eventually(lambda: _count_status(db, NotificationStatus.sent, 3))
    first = (await _rows(db))[0]
    assert first.status == NotificationStatus.sent and first.last_error == "429 retry after 1"
    assert first.attempts == 1  # Telegram's flood wait is not counted against the message


async def test_server_errors_are_retried_with_backoff(tg, bot, db):
    user = tg.user(language_code="en")
    tg.fail_next("sendMessage", status=502, times=1)
    await _queue(db, [user.id])
    bot.ctx.ring_outbox()
    await eventually(lambda: _texts(tg, user.id), timeout=30)
    await eventually(lambda: _count_status(db, NotificationStatus.sent, 1))
    (row,) = await _rows(db)
    assert row.status == NotificationStatus.sent and row.attempts == 2 and "Bad Gateway" in row.last_error


async def test_per_chat_pacing_keeps_telegram_happy(tg, bot, db):
    tg.enforce_chat_rate = True
    busy, others = tg.user(language_code="en"), [tg.user(language_code="en") for _ in range(4)]
    await _queue(db, [busy.id] * 3 + [u.id for u in others])
    bot.ctx.ring_outbox()
    await eventually(lambda: len(_texts(tg)) == 7, timeout=30)
    assert not [e for e in tg.errors if e.status == 429], "the sender outran 1 message/s per chat"
    assert _texts(tg, busy.id) == [f"msg {n} for {busy.id}" for n in range(3)]


async def test_a_user_who_blocked_the_bot_gets_everything_when_back(tg, bot, db):
    user = tg.user(language_code="en")
    await user.send("/start")
    await user.expect("Welcome")
    await user.expect("Main menu")
    user.block_bot()
    await _queue(db, [user.id], prefix="first")
    bot.ctx.ring_outbox()
    await eventually(lambda: _rows_status(db, "first", NotificationStatus.blocked))
    async with db.session() as s:
        assert (await s.get(User, user.id)).blocked_at is not None
    attempts_before = len(tg.calls_of("sendMessage"))
    await _queue(db, [user.id], prefix="second")
    bot.ctx.ring_outbox()
    await eventually(lambda: _rows_status(db, "second", NotificationStatus.blocked))
    assert len(tg.calls_of("sendMessage")) == attempts_before  # a known-blocked chat is not hammered
    user.unblock_bot()
    await user.send("/menu")
    await eventually(lambda: {"first 0 for %d" % user.id, "second 0 for %d" % user.id} <= set(_texts(tg, user.id)))


async def _rows_status(db, prefix, status):  # noqa: ANN001, ANN202
    return [r for r in await _rows(db) if r.idempotency_key.startswith(prefix) and r.status == status]


async def _worker(tg, database_url: str, tmp_path: Path) -> asyncio.subprocess.Process:  # noqa: ANN001
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": tg.base_url,
           "DATABASE_URL": database_url, "OUTBOX_LEASE_SECONDS": "1", "OUTBOX_INTERVAL_SECONDS": "0.2",
           "REDIS_URL": ""}
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "worker", cwd=tmp_path, env=env,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


async def test_a_sender_killed_mid_delivery_delivers_everything_exactly_once(tg, db, database_url, tmp_path):
    users = [tg.user(language_code="en") for _ in range(6)]
    stuck = users[:2]
    async with db.session() as s:
        for u in users:
            await people.ensure_user(s, people.Contact(u.id, "x", None, "en"))
    holds = [tg.hold("sendMessage", chat_id=u.id) for u in stuck]
    await _queue(db, [u.id for u in users])
    worker = await _worker(tg, database_url, tmp_path)
    try:
        for hold in holds:
            await hold.wait_arrived(1, timeout=30)
        # the four others went out and were recorded as sent; two requests hang in flight
        await eventually(lambda: _count_status(db, NotificationStatus.sent, 4), timeout=30)
        worker.send_signal(signal.SIGKILL)
        await worker.wait()
        for hold in holds:
            await hold.wait_dropped(1)
            hold.release()
        assert len(_texts(tg)) == 4
        assert await _count_status(db, NotificationStatus.sending, 2)
        worker = await _worker(tg, database_url, tmp_path)
        await eventually(lambda: len(_texts(tg)) == 6, timeout=30)
        await eventually(lambda: _count_status(db, NotificationStatus.sent, 6), timeout=30)
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    assert sorted(_texts(tg)) == sorted(f"msg {n} for {u.id}" for n, u in enumerate(users))


async def _count_status(db, status, n):  # noqa: ANN001, ANN202
    return sum(1 for r in await _rows(db) if r.status == status) == n


async def test_a_worker_stops_cleanly_on_sigterm(tg, db, database_url, tmp_path):
    worker = await _worker(tg, database_url, tmp_path)
    await eventually(lambda: tg.calls_of("getMe"), timeout=30)  # it is up
    worker.send_signal(signal.SIGTERM)
    _out, err = await asyncio.wait_for(worker.communicate(), 30)
    assert worker.returncode == 0, err.decode()[-2000:]
    assert "Minsheng bot stopped" in err.decode()


async def test_a_sender_killed_at_twenty_points_repeats_only_what_was_in_flight_and_loses_nothing(
        tg, db, database_url, tmp_path):
    """Round after round a worker sends a few messages; some requests hang at Telegram (which carries
    them out all the same), the others are answered; the worker is killed with SIGKILL while the
    hanging ones are in flight. A message answered before the kill is never sent again; one in
    flight at the kill may be (Telegram gives no idempotency key); none is lost."""
    env = {"BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": tg.base_url, "DATABASE_URL": database_url,
           "OUTBOX_LEASE_SECONDS": "1", "OUTBOX_INTERVAL_SECONDS": "0.2", "SEND_RATE_GLOBAL": "1000",
           "REDIS_URL": ""}
    zygote = await Zygote.start()
    in_flight: dict[int, int] = {}
    sent_before: set[str] = set()
    try:
        for round_ in range(20):
            held = [tg.user(language_code="en") for _ in range(1 + round_ % 3)]
            free = [tg.user(language_code="en") for _ in range(1 + (round_ * 7) % 4)]
            await _queue(db, [u.id for u in held + free], prefix=f"r{round_}")
            holds = [tg.hold("sendMessage", chat_id=u.id, deliver_anyway=True) for u in held]
            pid = await zygote.spawn(env, tmp_path)
            for hold in holds:
                await hold.wait_arrived(1, timeout=30)
            # Everything answered so far is recorded while the held requests still hang.
            hanging = {f"r{round_}:{n}:{u.id}" for n, u in enumerate(held)}
            await eventually(lambda: _all_sent(db, exclude=hanging), timeout=30)
            in_flight[round_] = sum(hold.waiting for hold in holds)
            sent_before |= {r.idempotency_key for r in await _rows(db)
                            if r.idempotency_key.startswith(f"r{round_}:") and r.status == NotificationStatus.sent}
            kill(pid)
            await eventually(lambda: gone(pid), timeout=10)
            for hold in holds:
                hold.release()  # Telegram carries out what it had received
        pid = await zygote.spawn(env, tmp_path)
        await eventually(lambda: _all_sent(db), timeout=60)
        kill(pid)
    finally:
        await zygote.stop()
    delivered: dict[str, int] = {}
    for text in _texts(tg):
        delivered[text] = delivered.get(text, 0) + 1
    rows = await _rows(db)
    assert len(rows) == sum(1 + r % 3 + 1 + (r * 7) % 4 for r in range(20))
    assert all(delivered.get(r.text, 0) >= 1 for r in rows), "a message was lost"
    for round_, hanging in in_flight.items():
        repeated = sum(delivered[r.text] - 1 for r in rows if r.idempotency_key.startswith(f"r{round_}:"))
        assert repeated <= hanging, f"round {round_}: {repeated} repeated, {hanging} were in flight"
    answered = [r for r in rows if r.idempotency_key in sent_before]
    assert len(answered) == sum(1 + (r * 7) % 4 for r in range(20))
    assert all(delivered[r.text] == 1 for r in answered), "a message recorded as sent was sent again"


async def _all_sent(db, exclude: set[str] = frozenset()) -> bool:  # noqa: ANN001
    return all(r.status == NotificationStatus.sent for r in await _rows(db) if r.idempotency_key not in exclude)


async def test_a_sender_killed_anywhere_in_a_stream_repeats_at_most_its_in_flight_window(
        tg, db, database_url, tmp_path):
    """Twenty kills at twenty moments of a flowing stream: after the 1st, 3rd, 5th … 39th message has
    reached Telegram, the worker is killed at once, wherever it is (a request under way, an answer
    waiting to be recorded, a commit half done). A restart sends the rest. No message is lost, and
    each kill repeats at most what the sender had under way then: IN_FLIGHT requests (bot.sender)."""
    from bot.sender import IN_FLIGHT

    env = {"BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": tg.base_url, "DATABASE_URL": database_url,
           "OUTBOX_LEASE_SECONDS": "1", "OUTBOX_INTERVAL_SECONDS": "0.2", "SEND_RATE_GLOBAL": "200",
           "REDIS_URL": ""}
    zygote = await Zygote.start()
    repeats: list[int] = []
    try:
        for round_ in range(20):
            readers = [tg.user(language_code="en") for _ in range(40)]
            await _queue(db, [u.id for u in readers], prefix=f"s{round_}")
            before = len(tg.delivered_messages())
            pid = await zygote.spawn(env, tmp_path)
            await eventually(lambda: len(tg.delivered_messages()) - before >= 1 + 2 * round_, timeout=30,
                             interval=0.001)
            kill(pid)
            await eventually(lambda: gone(pid), timeout=10)
            pid = await zygote.spawn(env, tmp_path)
            await eventually(lambda: _all_sent(db), timeout=60)
            kill(pid)
            await eventually(lambda: gone(pid), timeout=10)
            texts = [m.text for m in tg.delivered_messages()[before:]]
            assert {f"s{round_} {n} for {u.id}" for n, u in enumerate(readers)} <= set(texts), "a message was lost"
            repeats.append(len(texts) - len(set(texts)))
    finally:
        await zygote.stop()
    print(f"messages repeated by each of the 20 kills: {repeats}")
    assert max(repeats) <= IN_FLIGHT, repeats



async def test_a_stop_with_a_delivery_stuck_winding_down_still_stops_the_jobs(tg, start_bot, monkeypatch):
    """A delivery stuck while it winds down (a rollback on a connection that does not answer) holds
    up the jobs' stop until its bound runs out. The scheduler must be down by then: before, it
    went on starting runs after the bot said it had stopped, against a database already closed."""
    import bot.runners

    monkeypatch.setattr(bot.runners, "STOP_STEP_SECONDS", 1)
    app = await start_bot(outbox_interval_seconds=3600)
    stuck = asyncio.Event()

    async def stubborn_drain(max_seconds: float = 50.0) -> int:
        stuck.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            await asyncio.sleep(2)  # winding down takes longer than the stop's bound
            raise
        return 0

    monkeypatch.setattr(app.sender, "drain", stubborn_drain)
    app.ctx.ring_outbox()
    await asyncio.wait_for(stuck.wait(), 10)
    await app.stop()
    assert not app.jobs.scheduler.running
    await asyncio.sleep(2.5)  # the stuck delivery ends: nothing of the bot is left running


async def test_a_stop_while_messages_are_on_their_way_records_them_and_the_restart_sends_the_rest_once(
        tg, start_bot, db):
    """A deploy restarts the bot in the middle of a broadcast: what was on its way to Telegram is
    recorded before the process exits, and the restart sends the rest at once, each message once."""
    from bot.sender import IN_FLIGHT

    users = [tg.user(language_code="en") for _ in range(IN_FLIGHT + 4)]
    app = await start_bot(outbox_lease_seconds=3600)  # a lapsed claim cannot stand in for a handed-back one
    with tg.hold("sendMessage") as held:
        await _queue(db, [u.id for u in users])
        app.ctx.ring_outbox()
        await held.wait_arrived(IN_FLIGHT, timeout=30)
        stopping = asyncio.create_task(app.stop())
        await eventually(lambda: app.sender.stopping)
    await stopping
    assert len(_texts(tg)) == IN_FLIGHT
    statuses = [r.status for r in await _rows(db)]
    assert statuses.count(NotificationStatus.sent) == IN_FLIGHT  # recorded before the stop returned
    assert statuses.count(NotificationStatus.pending) == 4  # handed back, not left claimed
    await start_bot(outbox_lease_seconds=3600)
    await eventually(lambda: len(_texts(tg)) == len(users), timeout=30)
    await eventually(lambda: _count_status(db, NotificationStatus.sent, len(users)))
    assert sorted(_texts(tg)) == sorted(f"msg {n} for {u.id}" for n, u in enumerate(users))
    assert all(r.attempts == 1 for r in await _rows(db))  # a handed-back claim is not an attempt
