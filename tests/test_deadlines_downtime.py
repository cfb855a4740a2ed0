"""Deadlines after downtime: a sweep resumed late sends only the latest stage that is due.

National Day 2026 (Oct 1-7 holidays): an inquiry received Tue Sep 29 has seven days to Oct 6,
a rest day, so its last day moves to Thu Oct 8; the reminder two days before it (Oct 6) would
fall inside the holiday and moves back to Wed Sep 30, the last working day before it.
"""
from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import select

from models import AuditEvent, Deadline
from models.contact import INQUIRY_DEADLINE
from services import deadlines
from tests.support.clock import SHANGHAI
from tests.test_contact import World, build_world, notifications, write


def sh(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SHANGHAI)


RECEIVED = sh(2026, 9, 29, 10)


async def _stages(db, chat_id: int) -> list[str]:  # noqa: ANN001
    return [n.idempotency_key.split(":")[2] for n in await notifications(db, chat_id)]


async def _fired(db) -> list[tuple[str, list[str]]]:  # noqa: ANN001
    """(stage, the stages skipped before it) for each deadline in the sweep's audit events."""
    async with db.session() as s:
        return [(detail["stage"], skipped) for detail in await s.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "deadline.fire").order_by(AuditEvent.id))
            for skipped in detail["deadlines"].values()]


async def test_three_inquiries_due_on_the_eighth_swept_first_on_the_ninth_get_one_overdue_each(db):
    world = await build_world(db)
    made = [await write(db, world, f"Letter {n}", at=RECEIVED) for n in range(3)]
    async with db.session() as s:
        clock = await s.scalar(select(Deadline).where(Deadline.kind == INQUIRY_DEADLINE,
                                                      Deadline.subject_id == made[0].id))
    assert made[0].due_on.isoformat() == "2026-10-08"
    assert clock.remind_at == sh(2026, 9, 30, 9)  # not Oct 6, inside the holiday
    # The sweep was down from Sep 29 until the morning after the last day; two workers resume at once.
    results = await asyncio.gather(deadlines.sweep(db, sh(2026, 10, 9, 8)), deadlines.sweep(db, sh(2026, 10, 9, 8)))
    assert sum(r.fired.get("escalate", 0) for r in results) == 3
    assert sum(r.total for r in results) == 3 and sum(r.skipped for r in results) == 6
    assert await _stages(db, World.DEPUTY_USER) == ["new"] * 3 + ["escalate"] * 3
    assert len(await notifications(db, World.STATION_STAFF)) == 3
    assert await _fired(db) == [("escalate", ["remind", "due_day"])] * 3
    await deadlines.sweep(db, sh(2026, 10, 12, 8))  # later sweeps find nothing left to send
    assert len(await notifications(db, World.DEPUTY_USER)) == 6


async def test_resumed_on_the_last_day_the_deputy_hears_it_is_the_last_day_not_a_late_reminder(db):
    world = await build_world(db)
    await write(db, world, at=RECEIVED)
    await deadlines.sweep(db, sh(2026, 10, 8, 10))
    assert await _stages(db, World.DEPUTY_USER) == ["new", "due_day"]
    await deadlines.sweep(db, sh(2026, 10, 9, 0, 1))
    assert await _stages(db, World.DEPUTY_USER) == ["new", "due_day", "escalate"]
    # The reminder of Sep 30 was passed over and says so, on the last-day reminder and after it.
    assert await _fired(db) == [("due_day", ["remind"]), ("escalate", ["remind"])]


async def test_running_all_along_each_stage_is_sent_on_its_day(db):
    world = await build_world(db)
    await write(db, world, at=RECEIVED)
    for moment in (sh(2026, 9, 30, 9, 5), sh(2026, 10, 8, 9, 5), sh(2026, 10, 9, 0, 5)):
        await deadlines.sweep(db, moment)
    assert await _stages(db, World.DEPUTY_USER) == ["new", "remind", "due_day", "escalate"]
    assert await _fired(db) == [("remind", []), ("due_day", []), ("escalate", [])]
