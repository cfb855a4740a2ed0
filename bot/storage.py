"""aiogram FSM storage in the application database, so a half-filled form survives a restart."""
from __future__ import annotations

from typing import Any, Mapping

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import delete

from models import FsmRecord, utcnow
from models.db import Database


def storage_key(key: StorageKey) -> str:
    # chat and user ids sit between colons so privacy erasure can find a user's rows.
    return f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.thread_id or 0}:{key.business_connection_id or ''}:{key.destiny}"


class DatabaseStorage(BaseStorage):
    def __init__(self, db: Database) -> None:
        self.db = db

    async def _record(self, key: StorageKey) -> FsmRecord | None:
        async with self.db.session() as session:
            return await session.get(FsmRecord, storage_key(key))

    async def _write(self, key: StorageKey, **fields: Any) -> None:
        async with self.db.session() as session:
            record = await session.get(FsmRecord, storage_key(key))
            if record is None:
                record = FsmRecord(key=storage_key(key))
            for name, value in fields.items():
                setattr(record, name, value)
            record.updated_at = utcnow()
            if record.state is None and not record.data:
                if record in session:
                    await session.execute(delete(FsmRecord).where(FsmRecord.key == record.key))
                return
            session.add(record)

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
