"""The deadline sweep over a million open deadlines: idle, and with 100,000 coming due at once.

The data are residents' letters to deputies (the most numerous deadline kind), planted with
bulk inserts; the sweep is the real one, with the inquiry handler writing its notifications
to the outbox. EXPLAIN of the claim is printed, to show the partial index doing the work.
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, insert, select, text

from bench.common import Row, database
from models import Deadline, Deputy, Notification, Station, User, migrate
from models.contact import INQUIRY_DEADLINE, Inquiry
from models.db import Database
import services
from services import deadlines
from services.deadlines import Stage

CHUNK = 20_000


async def _plant(db: Database, total: int, due: int, now: datetime) -> None:
    """`total` open letters, of which `due` are past their last day; the rest are weeks away."""
    async with db.session() as s:
        await s.execute(insert(Station), [dict(name=f"Station {n}", kind="station", area="", address="",
                                                created_at=now) for n in range(20)])
        await s.execute(insert(User), [dict(id=100 + n, locale="zh_CN", locale_chosen=False, first_name=f"D{n}",
                                             created_at=now) for n in range(200)])
        await s.execute(insert(Deputy), [dict(name=f"Deputy {n}", level="township", station_id=1 + n % 20,
                                               user_id=100 + n, active=True, reception_hours="", created_at=now)
                                          for n in range(200)])
    for start in range(0, total, CHUNK):
        count = min(CHUNK, total - start)
        async with db.session() as s:
            await s.execute(insert(Inquiry), [dict(
                id=start + n + 1, number=f"DB-2026-{start + n + 1:06d}", kind="opinion", status="open",
                resident_alias=1000 + n % 9000, deputy_id=1 + (start + n) % 200, received_by_deputy_id=1,
                station_id=1 + (start + n) % 20, text="", photos=[], referral_platform="", referral_note="",
                created_at=now - timedelta(days=8), due_on=(now - timedelta(days=1)).date(), updated_at=now)
                for n in range(count)])
            rows = []
            for n in range(count):
                number = start + n
                late = number < due
                due_at = now - timedelta(hours=1) if late else now + timedelta(days=20 + number % 30)
                rows.append(dict(kind=INQUIRY_DEADLINE, subject_id=number + 1, owner_id=100 + number % 200,
                                 station_id=1 + number % 20, started_at=due_at - timedelta(days=7), due_at=due_at,
                                 escalate_at=due_at, remind_at=due_at - timedelta(days=2, hours=15),
                                 due_day_at=due_at - timedelta(hours=15), calendar_note="", skipped_stages=""))
            await s.execute(insert(Deadline), rows)


async def _explain(db: Database, now: datetime) -> str:
    claim = deadlines._claim(Stage.escalate, now, 500, db.is_postgres)  # noqa: SLF001  the statement the sweep runs
    compiled = claim.compile(db.engine.sync_engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if not db.is_postgres else "EXPLAIN "
    async with db.engine.connect() as conn:
        plan = (await conn.execute(text(prefix + str(compiled)))).all()
        await conn.rollback()
    return "\n".join(" | ".join(str(c) for c in row) for row in plan)


async def sweep(backend: str, workdir: Path, total: int, due: int) -> list[Row]:
    services.load_all()  # every deadline kind's handler
    now = datetime(2026, 6, 1, 2, 0, tzinfo=timezone.utc)
    async with database(backend, workdir) as (url, _redis):
        db = Database(url)
        try:
            await migrate.upgrade(db.engine)
            planted = time.perf_counter()
            await _plant(db, total, due, now)
            planted = time.perf_counter() - planted
            quiet = now - timedelta(days=4)  # before any stage of anything: nothing to do
            idle = []
            for _ in range(20):
                started = time.perf_counter()
                result = await deadlines.sweep(db, quiet)
                idle.append(time.perf_counter() - started)
                assert result.total == 0
            plan = await _explain(db, now)
            started = time.perf_counter()
            result = await deadlines.sweep(db, now)
            busy = time.perf_counter() - started
            async with db.session() as s:
                written = await s.scalar(select(func.count()).select_from(Notification))
        finally:
            await db.dispose()
    idle_ms = sorted(idle)[len(idle) // 2] * 1000
    return [
        Row(f"deadline sweep, {total:,} open, nothing due (median of 20)", backend, f"{idle_ms:.1f} ms", "≤ 5 ms",
            idle_ms <= 5, {"idle_ms": idle_ms, "planted_s": planted}),
        Row(f"deadline sweep, {due:,} due at once, notifications written", backend,
            f"{busy:.1f} s ({result.total:,} fired, {result.skipped:,} skipped, {written:,} messages)", "≤ 5 s",
            busy <= 5 and result.total == due and written >= due,
            {"seconds": busy, "fired": result.total, "skipped": result.skipped, "notifications": written,
             "explain": plan}),
    ]
