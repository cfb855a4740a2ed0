"""Deadline rows and the sweep: each stage fires exactly once, a closed clock fires nothing."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from models import Deadline, Notification, utcnow
from services import deadlines, outbox

fired: list[tuple[int, str]] = []


async def _on_stage(session, due, stage, now):  # noqa: ANN001
    for deadline in due:
        fired.append((deadline.subject_id, str(stage)))
        await outbox.enqueue(session, 500, f"{stage} {deadline.subject_id}", key=f"t:{deadline.subject_id}:{stage}")


async def _describe(session, deadline):  # noqa: ANN001
    return f"thing {deadline.subject_id}"


deadlines.register_kind("test", _on_stage, _describe)


async def _open(db, subject_id: int, start):  # noqa: ANN001
    async with db.session() as s:
        return await deadlines.open_deadline(
            s, kind="test", subject_id=subject_id, started_at=start, due_at=start + timedelta(days=7),
            owner_id=500, remind_at=start + timedelta(days=5), due_day_at=start + timedelta(days=6),
        )


async def test_each_stage_fires_once_even_with_two_sweeps_at_once(db):
    fired.clear()
    start = utcnow()
    await _open(db, 1, start)
    assert (await deadlines.sweep(db, start + timedelta(days=1))).total == 0
    for day in (5, 6, 8, 9):
        await asyncio.gather(deadlines.sweep(db, start + timedelta(days=day, hours=1)),
                             deadlines.sweep(db, start + timedelta(days=day, hours=1)))
    assert fired == [(1, "remind"), (1, "due_day"), (1, "escalate")]
    async with db.session() as s:
        assert len((await s.scalars(select(Notification))).all()) == 3


async def test_closing_in_time_stops_the_clock(db):
    fired.clear()
    start = utcnow()
    await _open(db, 2, start)
    async with db.session() as s:
        closed = await deadlines.close_deadline(s, "test", 2, start + timedelta(days=6, hours=23))
        assert closed.closed_in_time
        assert await deadlines.close_deadline(s, "test", 2, start + timedelta(days=7)) is None
    result = await deadlines.sweep(db, start + timedelta(days=30))
    assert result.total == 0 and fired == []


async def test_late_close_is_recorded_as_late(db):
    start = utcnow()
    await _open(db, 3, start)
    async with db.session() as s:
        closed = await deadlines.close_deadline(s, "test", 3, start + timedelta(days=7, seconds=1))
        assert closed.closed_in_time is False
        assert await deadlines.describe(s, closed) == "thing 3"


async def _brittle(session, due, stage, now):  # noqa: ANN001
    for deadline in due:
        if deadline.subject_id == 13:
            raise RuntimeError("a bug in one kind's handler")
        await outbox.enqueue(session, 501, f"{stage} {deadline.subject_id}", key=f"b:{deadline.subject_id}:{stage}")


deadlines.register_kind("brittle", _brittle, _describe)


async def test_a_handler_failing_on_one_deadline_does_not_hold_back_the_others(db):
    from models import AuditEvent

    start = utcnow()
    async with db.session() as s:
        for subject_id in (12, 13, 14):
            await deadlines.open_deadline(s, kind="brittle", subject_id=subject_id, started_at=start,
                                          due_at=start + timedelta(days=7), owner_id=501)
    result = await deadlines.sweep(db, start + timedelta(days=8))
    assert result.fired == {"escalate": 2}
    async with db.session() as s:
        sent = sorted((await s.scalars(select(Notification.text).where(Notification.chat_id == 501))).all())
        failed = (await s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "deadline.failed"))).all()
        bad = await s.scalar(select(Deadline.id).where(Deadline.kind == "brittle", Deadline.subject_id == 13))
    assert sent == ["escalate 12", "escalate 14"] and [list(d["deadlines"]) for d in failed] == [[str(bad)]]
    assert (await deadlines.sweep(db, start + timedelta(days=9))).total == 0  # claimed once, not retried forever


async def _killed(session, due, stage, now):  # noqa: ANN001
    raise asyncio.CancelledError  # the process is stopped while the batch's messages are being written


deadlines.register_kind("killed", _killed, _describe)


async def test_a_sweep_stopped_mid_batch_leaves_the_stage_to_fire_again(db):
    """The claim and the messages commit together: a sweep stopped between them claims nothing."""
    start = utcnow()
    async with db.session() as s:
        await deadlines.open_deadline(s, kind="killed", subject_id=21, started_at=start,
                                      due_at=start + timedelta(days=7), owner_id=502)
    try:
        await deadlines.sweep(db, start + timedelta(days=8))
    except asyncio.CancelledError:
        pass
    async with db.session() as s:
        assert (await s.scalar(select(Deadline).where(Deadline.kind == "killed"))).escalated_at is None
