"""Input and faults the review tried from outside: Telegram's outages, forged numbers, invisible text."""
from __future__ import annotations

import asyncio
import time

from tests.support.chat import in_place


async def test_a_reply_survives_a_telegram_outage_of_a_few_seconds(tg, bot):
    user = tg.user(language_code="en")
    await user.send("/start")
    await user.expect("Welcome")
    await user.expect("Main menu")
    outage = tg.fail_next("sendMessage", status=502, times=None)
    started = time.monotonic()
    await user.send("/menu")
    while time.monotonic() - started < 3:  # Telegram answers 502 to everything for three seconds
        await asyncio.sleep(0.1)
    failed = len([e for e in tg.errors if e.method == "sendMessage" and e.error_code == 502])
    outage.cancel()
    await user.expect("Main menu", timeout=10)
    assert failed >= 3  # it was retried through the outage, not given up at the first 502


async def test_replies_are_retried_within_a_bound_not_forever(tg, start_bot):
    await start_bot(reply_retry_seconds=1)
    user = tg.user(language_code="en")
    tg.fail_next("sendMessage", status=502, times=None)
    await user.send("/menu")
    await asyncio.sleep(3)
    attempts = len(tg.calls_of("sendMessage")) + len([e for e in tg.errors if e.method == "sendMessage"])
    await asyncio.sleep(2)
    later = len(tg.calls_of("sendMessage")) + len([e for e in tg.errors if e.method == "sendMessage"])
    assert 2 <= attempts == later  # a few tries in the first second, then it gave up


async def test_a_forged_button_with_a_huge_number_is_refused_like_any_stale_button(tg, bot):
    user = tg.user(language_code="en")
    await user.send("/menu")
    await user.expect("Welcome to Minsheng bot")  # its first contact
    await user.expect("Main menu")
    await user.press_data("sm:99999999999999999999999")
    answer = await user.next_callback_answer()
    assert answer.show_alert and "no longer valid" in answer.text


async def test_an_edited_message_is_answered_in_a_form_and_out_of_it(tg, bot):
    user = tg.user(language_code="en")
    await user.send("/menu")
    await user.expect("Welcome to Minsheng bot")  # its first contact
    menu = await user.expect("Main menu")
    hello = await user.send("hello there")
    await user.expect("I did not understand")
    await user.edit(hello, "hello again")
    assert "Send the corrected text as a new message" in (await user.expect("as you first sent it")).text
    question = await in_place(user, "Suggest a project", menu, "Which kind of project")
    await user.press("Roads and transport", question)
    await user.expect("Category")
    await user.expect("Describe what is needed")
    description = await user.send("The lane to the school has no street lights at all.")
    await user.expect("Send photos")
    await user.edit(description, "The lane to the school needs twelve street lights.")
    assert "edit buttons on the summary" in (await user.expect("as you first sent it")).text


async def test_a_connection_the_database_dropped_costs_no_update(tg, bot, db, monkeypatch):
    """Without a ping before each use, a dropped pooled connection shows on the update's first
    query; the middleware takes a fresh one instead of failing the person's message. On
    PostgreSQL the server really drops them; SQLite has no server to drop a file's connection,
    so there the first query is made to fail the way a dropped connection does."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from services import people

    user = tg.user(language_code="en")
    await user.send("/menu")
    await user.expect("Welcome to Minsheng bot")  # its first contact
    await user.expect("Main menu")
    if bot.ctx.db.is_postgres:
        async with bot.ctx.db.engine.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            await conn.commit()
    else:
        arrive, failed = people.arrive, []

        async def dropped_once(session, contact):  # noqa: ANN001, ANN202
            if not failed:
                failed.append(True)
                raise DBAPIError("SELECT", {}, ConnectionError("server closed the connection"),
                                 connection_invalidated=True)
            return await arrive(session, contact)

        monkeypatch.setattr(people, "arrive", dropped_once)
    await user.send("/menu")
    await user.expect("Main menu")


async def test_a_burst_of_more_updates_than_connections_is_answered_without_an_error(tg, bot):
    """Every deputy of a county pressing at once: 150 updates in flight exceed the Redis pool (100)
    and SQLite's single writer; each waits its turn and gets its menu, nobody an apology."""
    users = [tg.user(language_code="en") for _ in range(150)]
    await asyncio.gather(*(user.send("/menu") for user in users))
    for user in users:
        await user.wait_for(lambda m: "Main menu" in (m.text or ""), timeout=60)
    assert not [m for user in users for m in user._messages if "Something went wrong" in (m.text or "")]
