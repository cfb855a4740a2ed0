"""Albums arrive as one update per photo: count what a form kept and refused, and answer once.

The dispatcher handles one chat's updates one at a time and in order (see `bot.app`), so
each photo reads the list the previous one wrote; the report goes out once the album has
stopped arriving.
"""
from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)
ALBUM_QUIET_SECONDS = 0.8  # an album counts as complete after this long without a new photo


@dataclass
class AlbumTally:
    kept: int = 0
    refused: int = 0
    timer: asyncio.Task[None] | None = field(default=None, repr=False)


_albums: dict[tuple[int, str], AlbumTally] = {}


def tally_album(key: tuple[int, str], kept: bool, report: Callable[[int, int], Awaitable[None]]) -> None:
    """Count one photo of an album; the report goes out once the album has stopped arriving."""
    album = _albums.setdefault(key, AlbumTally())
    album.kept += int(kept)
    album.refused += int(not kept)
    if album.timer is not None:
        album.timer.cancel()
    # The report outlives this update's unit of work: a fresh context keeps it off that closed session.
    album.timer = asyncio.create_task(_report_when_quiet(key, report), context=contextvars.Context())


async def _report_when_quiet(key: tuple[int, str], report: Callable[[int, int], Awaitable[None]]) -> None:
    await asyncio.sleep(ALBUM_QUIET_SECONDS)
    album = _albums.pop(key)
    try:
        await report(album.kept, album.refused)
    except Exception:  # a background task: log it, the photos themselves are already saved
        log.exception("album report for chat %s failed", key[0])


