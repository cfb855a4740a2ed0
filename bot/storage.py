"""aiogram FSM storage in the application database, so a half-filled form survives a restart."""
from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import Any, AsyncIterator, Iterator, Mapping

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession

from models import FsmRecord, utcnow
from models.db import Database

# The update's unit of work, while its handler runs. State written there commits or rolls
# back with the handler's own changes, and SQLite (one writer) does not wait on itself.
_unit_of_work: ContextVar[AsyncSession | None] = ContextVar("fsm_unit_of_work", default=None)


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


class DatabaseStorage(BaseStorage):
    def __init__(self, db: Database) -> None:
        self.db = db

    @contextlib.asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        shared = _unit_of_work.get()
        if shared is not None:
            yield shared
            return
        async with self.db.session() as session:
            yield session

    async def _record(self, key: StorageKey) -> FsmRecord | None:
        async with self._session() as session:
            return await session.get(FsmRecord, storage_key(key))

    async def _write(self, key: StorageKey, **fields: Any) -> None:
        async with self._session() as session:
            record = await session.get(FsmRecord, storage_key(key))
            if record is None:
                record = FsmRecord(key=storage_key(key))
            for name, value in fields.items():
                setattr(record, name, value)
            record.updated_at = utcnow()
            if record.state is None and not record.data:
                if inspect(record).persistent:
                    await session.delete(record)
            else:
                session.add(record)
            await session.flush()  # a shared session must find this record on the next read

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._write(key, state=state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._record(key)
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._record(key)
        return dict(record.data) if record and record.data else {}

    async def close(self) -> None:
        return None
