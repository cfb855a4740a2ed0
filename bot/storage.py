"""aiogram FSM storage, so a half-filled form survives a restart: in the application database
(one process), or in Redis (several processes behind a webhook)."""
from __future__ import annotations

import contextlib
import json
from copy import deepcopy
from contextvars import ContextVar
from typing import Any, AsyncIterator, Iterator, Mapping

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from models import FsmRecord, utcnow
from models.db import Database

# The update's unit of work, while its handler runs. State written there commits or rolls
# back with the handler's own changes, and SQLite (one writer) does not wait on itself.
_unit_of_work: ContextVar[AsyncSession | None] = ContextVar("fsm_unit_of_work", default=None)


def unit_of_work() -> AsyncSession | None:
    """The session of the update being handled, if any."""
    return _unit_of_work.get()


@contextlib.contextmanager
def within(session: AsyncSession) -> Iterator[None]:
    token = _unit_of_work.set(session)
    try:
        yield
    finally:
        _unit_of_work.reset(token)


def storage_key(key: StorageKey) -> str:
    # chat and user ids sit between colons so privacy erasure can find a user's rows.
    return f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.thread_id or 0}:{key.business_connection_id or ''}:{key.destiny}"


Value = tuple[str | None, dict[str, Any]]
_PENDING = "fsm_pending"


class DatabaseStorage(BaseStorage):
    """FSM rows in the database, read through a cache of committed values.

    With database storage one process owns the conversations (several processes use
    Redis), so the cache is exact. A value written inside an update's unit of work
    reaches the cache only when that transaction commits, and is dropped if it rolls back.
    An unchanged value is not written at all.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._committed: dict[str, Value] = {}

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        shared = _unit_of_work.get()
        if shared is not None:
            yield shared
            return
        async with self.db.session() as session:
            yield session

    async def _current(self, key: str) -> Value:
        shared = _unit_of_work.get()
        if shared is not None and key in shared.info.get(_PENDING, {}):
            return shared.info[_PENDING][key]
        if key not in self._committed:
            async with self._session() as session:
                record = await session.get(FsmRecord, key)
            # Not pending in this unit of work, so what the database holds is committed.
            self._committed[key] = (record.state, dict(record.data or {})) if record else (None, {})
        return self._committed[key]

    async def _write(self, key: StorageKey, *, state: str | None | object = ..., data: dict | object = ...) -> None:
        row_key = storage_key(key)
        old_state, old_data = await self._current(row_key)
        new: Value = (old_state if state is ... else state, old_data if data is ... else deepcopy(data))  # type: ignore[arg-type]
        if new == (old_state, old_data):
            return
        async with self._session() as session:
            record = await session.get(FsmRecord, row_key)
            if new[0] is None and not new[1]:
                if record is not None:
                    await session.delete(record)
            else:
                record = record or FsmRecord(key=row_key)
                record.state, record.data, record.updated_at = new[0], new[1], utcnow()
                session.add(record)
            await session.flush()
            if session is _unit_of_work.get():
                self._remember_on_commit(session, row_key, new)
            else:
                self._committed[row_key] = new

    def _remember_on_commit(self, session: AsyncSession, key: str, value: Value) -> None:
        pending: dict[str, Value] = session.info.setdefault(_PENDING, {})
        if not pending:
            def committed(_sync_session) -> None:  # noqa: ANN001
                self._committed.update(pending)
                pending.clear()

            def rolled_back(_sync_session) -> None:  # noqa: ANN001
                for stale in pending:
                    self._committed.pop(stale, None)
                pending.clear()

            event.listen(session.sync_session, "after_commit", committed, once=True)
            event.listen(session.sync_session, "after_rollback", rolled_back, once=True)
        pending[key] = value

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._write(key, state=state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._current(storage_key(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(key, data=data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        # A copy all the way down: a handler appending to a list it read must not change what is
        # remembered, or the write that follows would look like no change and be skipped.
        return deepcopy((await self._current(storage_key(key)))[1])

    async def close(self) -> None:
        self._committed.clear()


# The values this update has read or written, per storage key, while it holds the chat's lock
# (RedisFormStorage): no other instance can change them meanwhile, so they are exact.
_held: ContextVar[dict[str, Value] | None] = ContextVar("fsm_held", default=None)


@contextlib.contextmanager
def holding() -> Iterator[None]:
    """Within the chat's lock: remember what the update reads and writes."""
    token = _held.set({})
    try:
        yield
    finally:
        _held.reset(token)


REDIS_POOL_SIZE = 100  # connections per client and process
REDIS_POOL_WAIT_SECONDS = 20  # a command waits this long for a free connection before it fails


def redis_options() -> dict[str, Any]:
    """How every Redis client of the bot connects: a connection Redis dropped (a restart, a network
    blip) is noticed before use and replaced, and a command that failed that way is tried again."""
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError, TimeoutError

    return {"health_check_interval": 5, "retry": Retry(ExponentialBackoff(cap=1.0, base=0.1), 3),
            "retry_on_error": [ConnectionError, TimeoutError], "socket_connect_timeout": 5}


def redis_client(url: str):  # noqa: ANN201
    """A Redis client whose pool makes a command wait for a free connection: a burst of updates
    (every deputy voting at once) queues for a moment instead of failing with "Too many connections"."""
    import redis.asyncio as redis

    pool = redis.BlockingConnectionPool.from_url(url, max_connections=REDIS_POOL_SIZE,
                                                 timeout=REDIS_POOL_WAIT_SECONDS, **redis_options())
    return redis.Redis(connection_pool=pool)


class RedisFormStorage(BaseStorage):
    """State and data of a conversation in one Redis hash: one round trip reads both, and a write
    that changes nothing (a /menu clearing a form nobody had open) is not sent at all."""

    def __init__(self, url: str) -> None:
        self.redis = redis_client(url)

    @staticmethod
    def _key(key: StorageKey) -> str:
        return "minsheng:fsm:" + storage_key(key)

    async def _current(self, key: StorageKey) -> Value:
        held = _held.get()
        name = self._key(key)
        if held is not None and name in held:
            return held[name]
        raw = await self.redis.hgetall(name)
        state = raw.get(b"state")
        value: Value = (state.decode() if state else None, json.loads(raw[b"data"]) if b"data" in raw else {})
        if held is not None:
            held[name] = value
        return value

    async def _write(self, key: StorageKey, *, state: str | None | object = ..., data: dict | object = ...) -> None:
        old_state, old_data = await self._current(key)
        new: Value = (old_state if state is ... else state, old_data if data is ... else deepcopy(data))  # type: ignore[arg-type]
        if new == (old_state, old_data):
            return
        name = self._key(key)
        if new[0] is None and not new[1]:
            await self.redis.delete(name)
        else:
            mapping = {"data": json.dumps(new[1], ensure_ascii=False)}
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.delete(name)
                pipe.hset(name, mapping={**mapping, **({"state": new[0]} if new[0] else {})})
                await pipe.execute()
        held = _held.get()
        if held is not None:
            held[name] = new

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._write(key, state=state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._current(key))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(key, data=data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return deepcopy((await self._current(key))[1])  # see DatabaseStorage.get_data

    async def close(self) -> None:
        await self.redis.aclose()
