"""Engine and session factory. SQLite runs in WAL mode with foreign keys on."""
from __future__ import annotations

import contextlib
import sqlite3
from typing import Any, AsyncIterator

import aiosqlite
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


def make_engine(url: str, **kwargs: object) -> AsyncEngine:
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        # Every unit of work ends in a commit or a rollback (Database.session), so the pool's own
        # rollback when a connection is returned would only cost another trip to the driver's thread.
        engine = create_async_engine(url, connect_args={"timeout": 30, "async_creator_fn": _sqlite_connect},
                                     pool_reset_on_return=None, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # noqa: ANN001
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    # No ping before each use: it costs a round trip per update. A connection the server dropped
    # fails on its first query instead (bot.middlewares retries that once on a fresh one), and
    # connections are renewed hourly anyway.
    return create_async_engine(url, pool_recycle=3600, **kwargs)


class _SQLiteConnection(aiosqlite.Connection):
    """aiosqlite's connection, stopped once only.

    When a task is cancelled in the middle of a statement, SQLAlchemy closes the connection in a
    task of its own and, if cancelled again, stops its thread. A close still queued behind the
    statement then asks the stopped thread to stop once more and waits for an answer that never
    comes, and that wait holds up the event loop's shutdown for ever (aiosqlite 0.22.1).
    """

    def stop(self) -> Any:
        if not self._running:  # already told to stop: the thread ends after what is queued
            return None
        return super().stop()


def _sqlite_connect(database: str, **kwargs: Any) -> aiosqlite.Connection:
    """What aiosqlite.connect does, with the connection above; a daemon thread as SQLAlchemy makes it."""
    connection = _SQLiteConnection(lambda: sqlite3.connect(database, **kwargs), iter_chunk_size=64)
    connection._thread.daemon = True
    return connection


def _ensure_sqlite_dir(url: str) -> None:
    from pathlib import Path

    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


class Database:
    """One engine and its session factory; `session()` is the unit of work."""

    def __init__(self, url: str, **engine_kwargs: object) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, class_=AsyncSession)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session whose transaction commits on success and rolls back on error."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    async def dispose(self) -> None:
        await self.engine.dispose()
