"""Deadlines are rows: due, reminder, due-day and escalation times, claimed by one sweep.

Features register a handler per deadline kind. The sweep claims each stage of each
deadline with a conditional UPDATE (…WHERE stage_at IS NULL), so a stage fires exactly
once even when two sweeps run at the same moment (row locks on PostgreSQL, the single
writer on SQLite), and the handler writes its notifications to the outbox in the same
transaction: a crash loses nothing and repeats nothing.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Awaitable, Callable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Deadline
from models.db import Database

log = logging.getLogger(__name__)


class Stage(StrEnum):
    remind = "remind"  # some days before the last day
    due_day = "due_day"  # the morning of the last day
    escalate = "escalate"  # the period is over and nothing stopped the clock


_STAGE_COLUMNS = {
    Stage.remind: (Deadline.remind_at, Deadline.reminded_at, "reminded_at"),
    Stage.due_day: (Deadline.due_day_at, Deadline.due_day_reminded_at, "due_day_reminded_at"),
    Stage.escalate: (Deadline.escalate_at, Deadline.escalated_at, "escalated_at"),
}

Handler = Callable[[AsyncSession, Deadline, Stage, datetime], Awaitable[None]]
Describe = Callable[[AsyncSession, Deadline], Awaitable[str]]
_handlers: dict[str, Handler] = {}
_describers: dict[str, Describe] = {}


def register_kind(kind: str, handler: Handler, describe: Describe) -> None:
    """`handler` fires a stage (writes notifications); `describe` is one line for staff lists."""
    _handlers[kind] = handler
    _describers[kind] = describe


async def describe(session: AsyncSession, deadline: Deadline) -> str:
    describer = _describers.get(deadline.kind)
    return await describer(session, deadline) if describer else f"{deadline.kind} #{deadline.subject_id}"


async def open_deadline(
    session: AsyncSession,
    *,
    kind: str,
    subject_id: int,
    started_at: datetime,
    due_at: datetime,
    owner_id: int | None,
    station_id: int | None = None,
    remind_at: datetime | None = None,
    due_day_at: datetime | None = None,
    calendar_note: str = "",
) -> Deadline:
    deadline = Deadline(
        kind=kind, subject_id=subject_id, owner_id=owner_id, station_id=station_id,
        started_at=started_at, due_at=due_at, escalate_at=due_at,
        remind_at=remind_at if remind_at and started_at < remind_at < due_at else None,
        due_day_at=due_day_at if due_day_at and started_at < due_day_at < due_at else None,
        calendar_note=calendar_note,
    )
    session.add(deadline)
    await session.flush()
    return deadline


async def close_deadline(session: AsyncSession, kind: str, subject_id: int, at: datetime) -> Deadline | None:
    """Stop the clock (answered, referred, filed). Returns the deadline, or None if none was open."""
    deadline = await session.scalar(
        select(Deadline).where(Deadline.kind == kind, Deadline.subject_id == subject_id, Deadline.closed_at.is_(None))
    )
    if deadline is None:
        return None
    deadline.closed_at = at
    deadline.closed_in_time = at <= deadline.due_at
    return deadline


async def reassign(session: AsyncSession, kind: str, subject_id: int, owner_id: int | None) -> None:
    await session.execute(
        update(Deadline).where(Deadline.kind == kind, Deadline.subject_id == subject_id).values(owner_id=owner_id)
    )


@dataclass
class SweepResult:
    fired: dict[str, int] = field(default_factory=dict)

    def add(self, stage: Stage) -> None:
        self.fired[stage] = self.fired.get(stage, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.fired.values())


async def _claim(session: AsyncSession, deadline_id: int, stage: Stage, now: datetime,
                 postgres: bool) -> Deadline | None:
    """Mark `stage` done for this deadline, or None if it is closed or another sweep has it."""
    _, done_col, done_attr = _STAGE_COLUMNS[stage]
    if postgres:
        # Skip a row another sweep is working on instead of waiting for it.
        deadline = await session.scalar(
            select(Deadline)
            .where(Deadline.id == deadline_id, done_col.is_(None), Deadline.closed_at.is_(None))
            .with_for_update(skip_locked=True)
        )
        if deadline is not None:
            setattr(deadline, done_attr, now)
            await session.flush()
        return deadline
    claimed = await session.execute(
        update(Deadline)
        .where(Deadline.id == deadline_id, done_col.is_(None), Deadline.closed_at.is_(None))
        .values({done_attr: now})
    )
    return await session.get(Deadline, deadline_id) if claimed.rowcount == 1 else None


async def sweep(db: Database, now: datetime, batch: int = 200) -> SweepResult:
    """Fire every stage that is due at `now`; each claim and its notifications commit together."""
    result = SweepResult()
    for stage, (at_col, done_col, _) in _STAGE_COLUMNS.items():
        while True:
            async with db.session() as session:
                ids = list(await session.scalars(
                    select(Deadline.id)
                    .where(at_col.is_not(None), at_col <= now, done_col.is_(None), Deadline.closed_at.is_(None))
                    .order_by(at_col)
                    .limit(batch)
                ))
            fired_now = 0
            for deadline_id in ids:
                async with db.session() as session:
                    deadline = await _claim(session, deadline_id, stage, now, db.is_postgres)
                    if deadline is None:
                        continue
                    handler = _handlers.get(deadline.kind)
                    if handler is None:
                        log.warning("no handler for deadline kind %s", deadline.kind)
                    else:
                        await handler(session, deadline, stage, now)
                    fired_now += 1
                    result.add(stage)
            if len(ids) < batch or not fired_now:
                break
    return result
