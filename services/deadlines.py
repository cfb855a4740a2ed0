"""Deadlines are rows: reminder, last-day reminder and escalation times, claimed by one sweep.

Features register a handler per deadline kind. The sweep claims due stages in bulk with a
conditional UPDATE … RETURNING (…WHERE stage_done IS NULL; on PostgreSQL the rows are
taken with FOR UPDATE SKIP LOCKED), so a stage fires exactly once even when two sweeps
run at the same moment, and each kind's handler writes the notifications of a whole
batch to the outbox in the claim's transaction: a crash loses nothing and repeats nothing.

After downtime only the latest stage that is due is sent: a sweep resumed the day after
the last day escalates, and the reminders it missed are recorded as skipped (never "today
is the last day" on the day after). Every stage fired is audited, with what it skipped.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Awaitable, Callable
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, and_, case, exists, false, literal, null, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Deadline
from models.db import Database
from services import audit
from services.calendar import HolidayCalendar, Period, local_day_start, remind_before

log = logging.getLogger(__name__)


class Stage(StrEnum):
    remind = "remind"  # some days before the last day
    due_day = "due_day"  # the morning of the last day
    escalate = "escalate"  # the period is over and nothing stopped the clock


# In the order they come due: (when it is due, when it was done).
_STAGE_COLUMNS = {
    Stage.remind: (Deadline.remind_at, Deadline.reminded_at),
    Stage.due_day: (Deadline.due_day_at, Deadline.due_day_reminded_at),
    Stage.escalate: (Deadline.escalate_at, Deadline.escalated_at),
}

# A handler fires one stage for a batch of deadlines of its kind, in the claim's transaction. It
# gets rows with the CLAIMED fields (id, kind, subject_id, owner_id, station_id, started_at,
# due_at, skipped_stages); a change to a deadline is an UPDATE of its own (see set_owner).
Handler = Callable[[AsyncSession, list[Row], Stage, datetime], Awaitable[None]]
Describe = Callable[[AsyncSession, Deadline], Awaitable[str]]


@dataclass(frozen=True)
class Place:
    """Where a duty sits for staff's dashboard: who owes it (a deputy, a department, a group), the
    callback data of the card staff open it on ("" when there is none), and whether it needs attention
    before the others (a site visit that found a problem)."""

    owner: str
    card: str = ""
    flagged: bool = False


Locate = Callable[[AsyncSession, Deadline], Awaitable[Place]]


@dataclass(frozen=True)
class Owner:
    """A kind's owner in SQL, so the dashboard counts tens of thousands of duties by owner in one query:
    `name` is a scalar subquery correlated to Deadline (the owner's name, NULL when none) and `label`
    turns it into what staff read (the same text as the kind's `locate`)."""

    name: ColumnElement | None = None
    label: Callable[[str | None], str] = lambda name: name or ""


_handlers: dict[str, Handler] = {}
_describers: dict[str, Describe] = {}
_locators: dict[str, Locate] = {}
_owners: dict[str, Owner] = {}
_flags: dict[str, ColumnElement[bool]] = {}
_unwatched: set[str] = set()


def register_kind(kind: str, handler: Handler, describe: Describe, *, watched: bool = True,
                  locate: Locate | None = None, owner: Owner | None = None,
                  flag: ColumnElement[bool] | None = None) -> None:
    """`handler` fires a stage for a batch (writes notifications); `describe` is one line for staff lists;
    `locate` names its owner and card for the dashboard, `owner` the same owner in SQL for its counts, and
    `flag` is the SQL condition (correlated to Deadline) of `locate`'s flag. A kind that is not `watched`
    is a timer, not a duty (a meeting's reminder): staff's lists leave it out."""
    _handlers[kind] = handler
    _describers[kind] = describe
    if locate is not None:
        _locators[kind] = locate
    if owner is not None:
        _owners[kind] = owner
    if flag is not None:
        _flags[kind] = flag
    if not watched:
        _unwatched.add(kind)


def owner_name() -> ColumnElement:
    """A deadline's owner's name in SQL: each kind's `Owner.name`, NULL for a kind without one."""
    named = {kind: owner.name for kind, owner in _owners.items() if owner.name is not None}
    return case(named, value=Deadline.kind, else_=null()) if named else null()


def owner_label(kind: str, name: str | None) -> str:
    """What staff read for the owner `owner_name` found; "" when the kind names none."""
    owner = _owners.get(kind)
    return owner.label(name) if owner else ""


def flagged() -> ColumnElement[bool]:
    """True in SQL for a deadline its kind's `locate` flags (a site visit that found a problem)."""
    return or_(*(and_(Deadline.kind == kind, condition) for kind, condition in _flags.items())) if _flags \
        else false()


def unwatched_kinds() -> frozenset[str]:
    return frozenset(_unwatched)


async def describe(session: AsyncSession, deadline: Deadline) -> str:
    describer = _describers.get(deadline.kind)
    return await describer(session, deadline) if describer else f"{deadline.kind} #{deadline.subject_id}"


async def locate(session: AsyncSession, deadline: Deadline) -> Place:
    locator = _locators.get(deadline.kind)
    return await locator(session, deadline) if locator else Place("")


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


MORNING = timedelta(hours=9)  # reminders arrive at 09:00 local time, not at midnight


async def open_period(session: AsyncSession, *, kind: str, subject_id: int, period: Period, remind_days: int,
                      tz: ZoneInfo, calendar: HolidayCalendar, owner_id: int | None = None,
                      station_id: int | None = None) -> Deadline:
    """The one way a duty gets its clock: a reminder on the morning `remind_days` before the last
    day (moved back off rest days; none when 0 or before the start), another on the morning of
    the last day, and the escalation when the last day ends. Years whose holidays were not known
    are noted, so staff see the period was counted with weekends only."""
    remind = remind_before(period, remind_days, tz, calendar) if remind_days else None
    return await open_deadline(
        session, kind=kind, subject_id=subject_id, started_at=period.start, due_at=period.due_at,
        owner_id=owner_id, station_id=station_id, remind_at=remind + MORNING if remind else None,
        due_day_at=local_day_start(period.last_day, tz) + MORNING,
        calendar_note=",".join(str(year) for year in period.uncertain_years),
    )


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


async def set_owner(session: AsyncSession, deadline: Row, owner_id: int | None) -> None:
    """A stage handler found the duty's owner changed (a deputy joined or left): recorded and audited."""
    await session.execute(update(Deadline).where(Deadline.id == deadline.id).values(owner_id=owner_id))
    audit.record(session, None, "deadline.owner", "deadline", deadline.id, previous=deadline.owner_id, owner=owner_id)


@dataclass
class SweepResult:
    fired: dict[str, int] = field(default_factory=dict)
    skipped: int = 0  # earlier stages passed over because a later one was due

    def add(self, stage: Stage, count: int = 1) -> None:
        self.fired[stage] = self.fired.get(stage, 0) + count

    @property
    def total(self) -> int:
        return sum(self.fired.values())


def _earlier(stage: Stage) -> list[Stage]:
    order = list(_STAGE_COLUMNS)
    return order[:order.index(stage)]


def _due(stage: Stage, now: datetime):  # noqa: ANN202
    """Open deadlines whose `stage` is due and not done (a partial index per stage serves this)."""
    at_col, done_col = _STAGE_COLUMNS[stage]
    return (at_col <= now) & done_col.is_(None) & Deadline.closed_at.is_(None)


# What a stage handler reads of a deadline: plain rows, not ORM objects, for batches of thousands.
CLAIMED = (Deadline.id, Deadline.kind, Deadline.subject_id, Deadline.owner_id, Deadline.station_id,
           Deadline.started_at, Deadline.due_at, Deadline.skipped_stages)


def _claim(stage: Stage, now: datetime, batch: int, postgres: bool):  # noqa: ANN202
    """UPDATE … RETURNING that takes up to `batch` deadlines whose `stage` is due. In the same
    statement every earlier stage not yet done is marked done and named in skipped_stages (the
    SET clauses read the row as it was): a later stage covers it, after downtime."""
    at_col, done_col = _STAGE_COLUMNS[stage]
    chosen = select(Deadline.id.label("id")).where(_due(stage, now)).order_by(at_col).limit(batch)
    if postgres:
        # The batch is chosen first (a CTE), then joined by primary key: a plan that stays cheap
        # even when the planner's statistics predate a burst of due deadlines (an IN (subquery)
        # became a nested loop over every due row on PostgreSQL).
        batch_ids = chosen.with_for_update(skip_locked=True).cte("due_batch")
        picked = Deadline.id == batch_ids.c.id
    else:
        # SQLite has one writer: no row locks. And Python's sqlite3 opens the transaction only for a
        # statement that starts with UPDATE: a WITH … UPDATE would commit on its own, apart from the
        # notifications the handler writes (a crash between them would lose the reminder).
        picked = Deadline.id.in_(chosen.scalar_subquery())
    values: dict = {done_col.key: now}
    skipped = Deadline.skipped_stages
    for earlier in _earlier(stage):
        earlier_at, earlier_done = _STAGE_COLUMNS[earlier]
        values[earlier_done.key] = case((earlier_done.is_(None), now), else_=earlier_done)
        skipped = skipped + case((earlier_at.is_not(None) & earlier_done.is_(None), literal(f"{earlier} ")),
                                 else_=literal(""))
    values["skipped_stages"] = skipped
    # On the table itself, not through the ORM: nothing here needs objects, and rows are cheaper.
    # No second test of _due here: the batch's rows are locked by the CTE (PostgreSQL) or
    # the statement holds the only write lock (SQLite), so they are still due.
    return update(Deadline.__table__).where(picked).values(values).returning(*CLAIMED)


def _anything_due(now: datetime):  # noqa: ANN202
    """One read that tells an idle sweep there is nothing to do (an index probe per stage)."""
    return select(or_(*(exists().where(_due(stage, now)) for stage in _STAGE_COLUMNS)))


async def sweep(db: Database, now: datetime, batch: int = 1000) -> SweepResult:
    """Fire every stage that is due at `now`, the latest first, a batch per transaction."""
    result = SweepResult()
    async with db.session() as session:
        if not await session.scalar(_anything_due(now)):
            return result
    for stage in reversed(_STAGE_COLUMNS):
        while True:
            async with db.session() as session:
                claimed = list(await session.execute(_claim(stage, now, batch, db.is_postgres)))
                if claimed:
                    await _fire(session, claimed, stage, now, result)
            if len(claimed) < batch:
                break
    return result


async def _fire(session: AsyncSession, claimed: list[Row], stage: Stage, now: datetime,
                result: SweepResult) -> None:
    """Run each kind's handler on its part of the batch. A handler that fails is retried deadline
    by deadline, so one bad row cannot hold back the others; what still fails is logged and audited."""
    by_kind: dict[str, list[Row]] = {}
    for deadline in claimed:
        by_kind.setdefault(deadline.kind, []).append(deadline)
    failed: set[int] = set()
    for kind, group in by_kind.items():
        handler = _handlers.get(kind)
        if handler is None:
            log.warning("no handler for deadline kind %s", kind)
            continue
        try:
            async with session.begin_nested():
                await handler(session, group, stage, now)
            continue
        except Exception:
            log.exception("deadline kind %s failed on a batch of %d at stage %s; retrying one by one",
                          kind, len(group), stage)
        for deadline in group:
            try:
                async with session.begin_nested():
                    await handler(session, [deadline], stage, now)
            except Exception:
                log.exception("deadline %s (%s) failed at stage %s", deadline.id, kind, stage)
                failed.add(deadline.id)
    # One audit event per kind and batch, naming each deadline, the stage and the stages it
    # covered: a per-deadline row would double the sweep's writes for 100,000 deadlines at once.
    for kind, group in by_kind.items():
        for action, members in (("deadline.fire", [d for d in group if d.id not in failed]),
                                ("deadline.failed", [d for d in group if d.id in failed])):
            if members:
                audit.record(session, None, action, "deadline", "", stage=str(stage), kind=kind,
                             deadlines={str(d.id): d.skipped_stages.split() for d in members})
    result.add(stage, len(claimed) - len(failed))
    result.skipped += sum(len(d.skipped_stages.split()) for d in claimed)
