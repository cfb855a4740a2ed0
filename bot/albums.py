"""Albums arrive as one update per photo: count what a form kept and refused, and answer once.

The dispatcher handles one chat's updates one at a time and in order (see `bot.app`), so
each photo reads the list the previous one wrote; the report goes out once the album has
stopped arriving, and it takes the chat's turn like an update: a report that read the form
while the next update (Done pressed) moved it on would write the old step back.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from aiogram import Dispatcher
from aiogram.fsm.context import FSMContext

log = logging.getLogger(__name__)
ALBUM_QUIET_SECONDS = 0.8  # an album counts as complete after this long without a new photo


@dataclass
class AlbumTally:
    kept: int = 0
    refused: int = 0
    timer: asyncio.Task[None] | None = field(default=None, repr=False)


_albums: dict[tuple[int, str], AlbumTally] = {}


Turn = Callable[[], AbstractAsyncContextManager[None]]


def chat_turn(dispatcher: Dispatcher, state: FSMContext) -> Turn:
    """The chat's place in the dispatcher's one-update-at-a-time line, to be taken later."""
    return lambda: dispatcher.fsm.events_isolation.lock(state.key)


def tally_album(key: tuple[int, str], kept: bool, report: Callable[[int, int], Awaitable[None]], turn: Turn) -> None:
    """Count one photo of an album; the report goes out, in the chat's turn, once the album has stopped arriving."""
    album = _albums.setdefault(key, AlbumTally())
    album.kept += int(kept)
    album.refused += int(not kept)
    if album.timer is not None:
        album.timer.cancel()
    # The report outlives this update's unit of work: a fresh context keeps it off that closed session.
    album.timer = asyncio.create_task(_report_when_quiet(key, report, turn), context=contextvars.Context())


async def _report_when_quiet(key: tuple[int, str], report: Callable[[int, int], Awaitable[None]], turn: Turn) -> None:
    await asyncio.sleep(ALBUM_QUIET_SECONDS)
    album = _albums.pop(key)
    try:
        async with turn():
            await report(album.kept, album.refused)
    except Exception:  # a background task: log it, the photos themselves are already saved
        log.exception("album report for chat %s failed", key[0])


