"""How a suggestion reads, alike for its author (handlers.suggest) and for staff (handlers.pool)."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.text import h
from models import Deputy, Station
from models.suggestions import Suggestion
from services import suggestions
from services.i18n import _


def place_line(place_text: str, latitude: float | None, longitude: float | None) -> str:
    parts = [h(place_text)] if place_text else []
    if latitude is not None and longitude is not None:
        parts.append(f"📍 {latitude:.5f}, {longitude:.5f}")
    return " · ".join(parts) or "-"


def detail_lines(category: str, description: str, station: str | None, place: str, photos: int) -> list[str]:
    """The lines every view of a suggestion shares: what, where, how many photos."""
    return [
        _("Category: {category}", category=h(suggestions.category_label(category))),
        _("Station area: {station}", station=h(station) if station else _("not chosen")),
        _("Place: {place}", place=place),
        _("Photos: {count}", count=photos),
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
