"""The outbox's own promises, on the database: idempotent enqueue, exclusive claims, backoff."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from models import Notification, NotificationStatus, User, utcnow
from services import outbox, people
from services.i18n import _, translate


async def test_same_key_queues_once(db):
    async with db.session() as s:
        assert await outbox.enqueue(s, 1, "hello", key="k1")
        assert not await outbox.enqueue(s, 1, "hello again", key="k1")
    async with db.session() as s:
        rows = (await s.scalars(select(Notification))).all()
        assert [(r.text, r.status) for r in rows] == [("hello", NotificationStatus.pending)]


async def test_notify_renders_in_the_recipients_language(db):
    async with db.session() as s:
        for uid, code in ((1, "zh-hans"), (2, "zh-hant"), (3, "en")):
            await people.ensure_user(s, people.Contact(uid, "x", None, code))
        for uid in (1, 2, 3):
            await outbox.notify(s, uid, "Main menu", key=f"m{uid}")
    async with db.session() as s:
        texts = {n.chat_id: n.text for n in await s.scalars(select(Notification))}
    assert texts == {1: "主菜单", 2: "主選單", 3: "Main menu"}


async def test_two_senders_never_claim_the_same_message(db):
    async with db.session() as s:
        for i in range(20):
            await outbox.enqueue(s, 100 + i, f"m{i}", key=f"k{i}")
    now = utcnow()

    async def grab() -> list[int]:
        got = []
        async with db.session() as s:
            candidates = await outbox.due_candidates(s, now)
        for start in range(0, len(candidates), 5):
            async with db.session() as s:
                items = await outbox.claim_many(s, [i for i, _ in candidates[start:start + 5]], now,
                                                timedelta(seconds=60))
            got.extend(item.id for item in items)
        return got

    first, second = await asyncio.gather(grab(), grab())
    assert not set(first) & set(second)
    assert len(first) + len(second) == 20


async def test_lapsed_lease_is_taken_again_but_a_live_one_is_not(db):
    async with db.session() as s:
        await outbox.enqueue(s, 7, "x", key="lease")
    now = utcnow()
    async with db.session() as s:
        (nid, _), = await outbox.due_candidates(s, now)
        assert await outbox.claim_many(s, [nid], now, timedelta(seconds=30))
    async with db.session() as s:
        assert await outbox.due_candidates(s, now + timedelta(seconds=10)) == []
        assert await outbox.claim_many(s, [nid], now + timedelta(seconds=10), timedelta(seconds=30)) == []
    async with db.session() as s:
        (item,) = await outbox.claim_many(s, [nid], now + timedelta(seconds=31), timedelta(seconds=30))
        assert item.attempts == 2


async def test_retry_backs_off_and_gives_up(db):
    async with db.session() as s:
        await outbox.enqueue(s, 8, "x", key="r")
    now = utcnow()
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        async with db.session() as s:
            row = await s.scalar(select(Notification))
            (item,) = await outbox.claim_many(s, [row.id], row.not_before, timedelta(seconds=30))
            retrying = await outbox.mark_retry(s, item, row.not_before, "502 Bad Gateway")
        async with db.session() as s:
            row = await s.scalar(select(Notification))
        if attempt < outbox.MAX_ATTEMPTS:
            assert retrying and row.status == NotificationStatus.pending and row.not_before > now
        else:
            assert not retrying and row.status == NotificationStatus.failed


async def test_blocked_messages_come_back_when_the_user_returns(db):
    async with db.session() as s:
        await people.ensure_user(s, people.Contact(9, "x", None, "en"))
        await outbox.enqueue(s, 9, "while you were away", key="b")
        row = await s.scalar(select(Notification))
        (item,) = await outbox.claim_many(s, [row.id], utcnow(), timedelta(seconds=30))
        await outbox.mark_final(s, item, NotificationStatus.blocked, "403")
        await people.mark_blocked(s, 9)
        await outbox.enqueue(s, 9, "queued after the block", key="b2")
        assert await outbox.hold_for_blocked_chats(s) == 1
    async with db.session() as s:
        user = await s.get(User, 9)
        assert user.blocked_at is not None
        await people.ensure_user(s, people.Contact(9, "x", None, "en"))
    async with db.session() as s:
        rows = (await s.scalars(select(Notification))).all()
        assert [r.status for r in rows] == [NotificationStatus.pending] * 2
        assert (await s.get(User, 9)).blocked_at is None


async def test_delivered_messages_are_forgotten_after_the_retention_period(db):
    async with db.session() as s:
        for key in ("old-sent", "old-pending", "new-sent"):
            await outbox.enqueue(s, 11, key, key=key)
        rows = {r.idempotency_key: r for r in await s.scalars(select(Notification))}
        for key in ("old-sent", "new-sent"):
            rows[key].status = NotificationStatus.sent
        for key in ("old-sent", "old-pending"):
            rows[key].created_at = utcnow() - timedelta(days=40)
    async with db.session() as s:
        assert await outbox.purge_finished(s, utcnow() - timedelta(days=30)) == 1
    async with db.session() as s:
        assert sorted(r.idempotency_key for r in await s.scalars(select(Notification))) == ["new-sent", "old-pending"]


async def test_tell_many_queues_each_letter_in_its_recipients_language_once(db):
    from services.i18n import N_

    async with db.session() as session:
        for uid, code in ((71, "zh-hans"), (72, "zh-hant"), (73, "en")):
            await people.ensure_user(session, people.Contact(uid, "R", None, code))
    message = N_("Cancelled. Nothing was saved.")

    def letters():
        for uid in (71, 72, 73, 74):  # 74 never wrote to the bot: the default language
            yield outbox.Letter(uid, lambda: _(message), key=f"many:{uid}", buttons=((N_("Reply"), "thr:reply:1"),))

    async with db.session() as session:
        assert await outbox.tell_many(session, letters(), chunk=3) == 4
    async with db.session() as session:  # a second run of the same batch queues nothing new
        await outbox.tell_many(session, letters(), chunk=3)
    async with db.session() as session:
        rows = list(await session.scalars(select(Notification).order_by(Notification.chat_id)))
    assert [(r.chat_id, r.text) for r in rows] == [
        (71, translate("zh_CN", message)), (72, translate("zh_TW", message)), (73, translate("en", message)),
        (74, translate("zh_CN", message))]
    assert rows[2].payload["inline_keyboard"] == [[{"text": "Reply", "callback_data": "thr:reply:1"}]]
