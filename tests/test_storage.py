"""Conversation state outlives the process, whichever storage holds it."""
from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey

from bot.storage import DatabaseStorage, RedisFormStorage, holding
from tests.support import backends

KEY = StorageKey(bot_id=1, chat_id=42, user_id=42)


async def _storages(db):  # noqa: ANN001, ANN202
    found = [lambda: DatabaseStorage(db)]
    if backends.uses_postgres():
        url = await backends.fresh_redis()
        found.append(lambda: RedisFormStorage(url))
    return found


async def test_a_list_grown_in_place_is_stored_and_read_back_by_a_new_process(db):
    """A handler appends to a list it read (a photo to the form's photos): the write must not be
    mistaken for "no change", or the photo lives only in this process's memory."""
    for make in await _storages(db):
        storage = make()
        await storage.set_state(KEY, "Form:photos")
        await storage.set_data(KEY, {"photos": []})
        with holding():
            data = await storage.get_data(KEY)
            data["photos"].append(["file-1", "unique-1"])
            await storage.set_data(KEY, data)
        await storage.close()
        restarted = make()
        assert await restarted.get_data(KEY) == {"photos": [["file-1", "unique-1"]]}
        assert await restarted.get_state(KEY) == "Form:photos"
        await restarted.set_state(KEY, None)
        await restarted.set_data(KEY, {})
        assert await make().get_data(KEY) == {} and await make().get_state(KEY) is None
        await restarted.close()
