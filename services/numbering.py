"""Numbers people quote (JY-2026-0007, XM-2027-003): the next number of a year, without gaps or twins."""
from __future__ import annotations

import zlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncSession


async def next_in_year(session: AsyncSession, model: Any, year: int) -> int:
    """The next `seq` of `model` in `year`. On PostgreSQL a transaction lock per table makes two
    filings at the same moment take turns; SQLite has one writer, and the unique (year, seq)
    constraint refuses a twin either way."""
    if session.bind.dialect.name == "postgresql":
        key = zlib.crc32(model.__tablename__.encode())
        await session.execute(sql("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    return (await session.scalar(select(func.max(model.seq)).where(model.year == year)) or 0) + 1
