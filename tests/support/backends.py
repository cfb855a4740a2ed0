"""Where the tests keep their data: SQLite files by default, PostgreSQL and Redis on request.

`MINSHENG_TEST_BACKEND=postgres` runs every test on a fresh PostgreSQL database cloned
from a migrated template, with FSM state in Redis. An unreachable server fails the run
with a message naming it; it is never skipped.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

PG_ADMIN_DSN = os.environ.get("MINSHENG_TEST_PG", "postgresql://127.0.0.1:5432/test")
# A Redis database of its own per run (by process id), so two runs on one machine do not
# empty each other's conversation state.
REDIS_URL = os.environ.get("MINSHENG_TEST_REDIS", f"redis://127.0.0.1:6379/{1 + os.getpid() % 10}")
BACKEND = os.environ.get("MINSHENG_TEST_BACKEND", "sqlite")
TEMPLATE = f"minsheng_template_{os.getpid()}"  # one per run: parallel runs must not share it


def uses_postgres() -> bool:
    return BACKEND == "postgres"


def _async_url(dsn: str, database: str) -> str:
    base = dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{database}"


async def _pg_admin():  # noqa: ANN202
    import asyncpg

    try:
        return await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        raise RuntimeError(f"PostgreSQL at {PG_ADMIN_DSN} is unreachable ({exc}); these tests need it") from exc


async def _migrate(url: str) -> None:
    from models import migrate
    from models.db import Database

    db = Database(url)
    try:
        await migrate.upgrade(db.engine)
    finally:
        await db.dispose()


async def make_template(workdir: Path) -> str:
    """Build the migrated template once per test session; returns its locator."""
    if uses_postgres():
        conn = await _pg_admin()
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
            await conn.execute(f"CREATE DATABASE {TEMPLATE}")
        finally:
            await conn.close()
        await _migrate(_async_url(PG_ADMIN_DSN, TEMPLATE))
        return TEMPLATE
    path = workdir / "template.sqlite3"
    await _migrate(f"sqlite+aiosqlite:///{path}")
    return str(path)


async def drop_template() -> None:
    if uses_postgres():
        conn = await _pg_admin()
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        finally:
            await conn.close()


async def fresh_database(template: str, workdir: Path) -> tuple[str, object]:
    """A new database cloned from the template. Returns (url, async cleanup)."""
    if uses_postgres():
        name = "t_" + uuid.uuid4().hex[:16]
        conn = await _pg_admin()
        try:
            await conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        finally:
            await conn.close()

        async def drop() -> None:
            admin = await _pg_admin()
            try:
                await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            finally:
                await admin.close()

        return _async_url(PG_ADMIN_DSN, name), drop
    path = workdir / f"{uuid.uuid4().hex[:8]}.sqlite3"
    shutil.copyfile(template, path)

    async def nothing() -> None:
        return None

    return f"sqlite+aiosqlite:///{path}", nothing


async def fresh_redis() -> str:
    """The test Redis database, emptied; '' on the SQLite backend."""
    if not uses_postgres():
        return ""
    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL)
    try:
        await asyncio.wait_for(client.flushdb(), 5)
    except Exception as exc:
        raise RuntimeError(f"Redis at {REDIS_URL} is unreachable ({exc}); these tests need it") from exc
    finally:
        await client.aclose()
    return REDIS_URL
