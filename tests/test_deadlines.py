"""Deadline rows and the sweep: each stage fires exactly once, a closed clock fires nothing."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from models import Notification, utcnow
from services import deadlines, outbox

fired: list[tuple[int, str]] = []


async def _on_stage(session, deadline, stage, now):  # noqa: ANN001
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
