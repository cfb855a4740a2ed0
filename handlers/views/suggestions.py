"""How a suggestion reads, alike for its author (handlers.suggest) and for staff (handlers.pool)."""
from __future__ import annotations

import logging
from collections.abc import Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InputMediaPhoto
from sqlalchemy.ext.asyncio import AsyncSession

from bot.text import CAPTION_LIMIT, clip, h
from models import Deputy, Station
from models.suggestions import Suggestion
from services import suggestions
from services.i18n import _

log = logging.getLogger(__name__)


def place_line(place_text: str, latitude: float | None, longitude: float | None) -> str:
    parts = [h(place_text)] if place_text else []
    if latitude is not None and longitude is not None:
        parts.append(f"📍 {latitude:.5f}, {longitude:.5f}")
    return " · ".join(parts) or "-"


def detail_lines(category: str, description: str, station: str | None, place: str,
                 captions: Sequence[str]) -> list[str]:
    """The lines every view of a suggestion shares: what, where, its photos (one caption each, or "")."""
    return [
        _("Category: {category}", category=h(suggestions.category_label(category))),
        _("Station area: {station}", station=h(station) if station else _("not chosen")),
        _("Place: {place}", place=place),
        _("Photos: {count}", count=len(captions)),
        *(f"  {n}. {h(caption)}" for n, caption in enumerate(captions, 1) if caption),
        "",
        h(description),
    ]


async def station_name(session: AsyncSession, station_id: int | None) -> str | None:
    station = await session.get(Station, station_id) if station_id else None
    return station.name if station else None


async def origin_line(session: AsyncSession, suggestion: Suggestion) -> str:
    """Who brought it: the author if they allowed their name, or the deputy who logged it."""
    if suggestion.deputy_id is not None:
        deputy = await session.get(Deputy, suggestion.deputy_id)
        return _("{source}: deputy {deputy}, raised by {count} residents",
                 source=suggestions.source_label(suggestion.source), deputy=h(deputy.name if deputy else "-"),
                 count=suggestion.raised_by)
    name = await suggestions.author_name(session, suggestion)
    return _("Suggested by {name}", name=h(name)) if name else _("Suggested by a resident who chose not to be named")


async def send_media(bot: Bot, chat_id: int, session: AsyncSession, s: Suggestion) -> None:
    """What a suggestion shows before its card: its photos (as an album) and its location."""
    photos = await suggestions.photos(session, s.id)
    # Each photo under its own caption; the first also names the suggestion.
    heading = _("Photos of {number}", number=s.number)
    captions = [clip("\n".join(filter(None, [heading if i == 0 else "", h(p.caption)])), CAPTION_LIMIT) or None
                for i, p in enumerate(photos)]
    try:
        if len(photos) > 1:
            await bot.send_media_group(chat_id, [InputMediaPhoto(media=p.file_id, caption=caption)
                                                 for p, caption in zip(photos, captions)])
        elif photos:
            await bot.send_photo(chat_id, photos[0].file_id, caption=captions[0])
        if s.latitude is not None and s.longitude is not None:
            await bot.send_location(chat_id, s.latitude, s.longitude)
    except TelegramBadRequest as error:  # e.g. a photo Telegram no longer has: the card still matters
        log.warning("could not show the media of suggestion %s: %s", s.id, error.message)
