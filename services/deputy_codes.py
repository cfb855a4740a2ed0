"""Deputy and station codes (seed 003): the unguessable, revocable tokens behind the QR posters.

A deputy's poster encodes `/start d_<token>`, a station's `/start st_<token>`. Tokens
are random (never derived from an id), so nobody can walk the list of deputies by
guessing codes. Revoking keeps the row: an old poster still gets a clear answer and,
where the station has one, the way to the station's current code.
"""
from __future__ import annotations

import re
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import Deputy, Role, Station
from models.contact import ContactCode
from services import audit
from services.auth import Actor, require, require_station
from services.directory import level_label
from services.errors import DomainError, InvalidInput, NotFound
from services.i18n import N_, _
from services.render.cards import PosterCard, StationSheet

DEPUTY_PREFIX = "d_"
STATION_PREFIX = "st_"
TOKEN_BYTES = 12
TOKEN_LENGTH = 16  # len(secrets.token_urlsafe(TOKEN_BYTES))
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,%d}" % TOKEN_LENGTH)

NOT_VALID = N_("This code is not valid. Please scan the QR code on the poster again, or use “Find my deputy” in the menu.")
INCOMPLETE = N_("This code is incomplete: the link was probably cut off. Please scan the whole QR code again, or use “Find my deputy” in the menu.")
HEADING = N_("Deputy contact code")
SHEET_HEADING = N_("Deputies of this station and their reception hours")
OPENS_IN = N_("The code and the link open the Telegram app. No camera? Type the link into Telegram or a browser.")
WITHDRAWN = N_("This code was withdrawn or replaced and no longer works.")


@dataclass(frozen=True)
class Scan:
    """Where a scanned code leads: a deputy, a station, or a problem to explain."""

    deputy: Deputy | None = None
    station: Station | None = None
    problem: str | None = None  # gettext id
    station_now: tuple[Station, str] | None = None  # a withdrawn code's station and its current payload


def payload(code: ContactCode) -> str:
    return (DEPUTY_PREFIX if code.deputy_id is not None else STATION_PREFIX) + code.token


async def resolve(session: AsyncSession, raw_payload: str) -> Scan:
    """Read a `d_…` or `st_…` deep-link payload."""
    wanted_deputy = raw_payload.startswith(DEPUTY_PREFIX)
    token = raw_payload.removeprefix(DEPUTY_PREFIX if wanted_deputy else STATION_PREFIX)
    if token == raw_payload or not _TOKEN_SHAPE.fullmatch(token):
        return Scan(problem=NOT_VALID)
    code = await session.scalar(select(ContactCode).where(ContactCode.token == token))
    if code is None or (code.deputy_id is not None) != wanted_deputy:
        return Scan(problem=INCOMPLETE if len(token) < TOKEN_LENGTH else NOT_VALID)
    deputy = await session.get(Deputy, code.deputy_id) if code.deputy_id is not None else None
    station_id = deputy.station_id if deputy is not None else code.station_id
    station = await session.get(Station, station_id) if station_id is not None else None
    if not code.active or (deputy is not None and not deputy.active):
        current = await active_code(session, station_id=station.id) if station is not None else None
        return Scan(problem=WITHDRAWN, station_now=(station, payload(current)) if current else None)
    return Scan(deputy=deputy, station=station)


def _active(deputy_id: int | None, station_id: int | None):  # noqa: ANN202
    owner = ContactCode.deputy_id == deputy_id if deputy_id is not None else ContactCode.station_id == station_id
    return select(ContactCode).where(owner, ContactCode.revoked_at.is_(None)).order_by(ContactCode.id)


async def active_code(session: AsyncSession, *, deputy_id: int | None = None,
                      station_id: int | None = None) -> ContactCode | None:
    return await session.scalar(_active(deputy_id, station_id))


async def code_for(session: AsyncSession, actor: Actor | None, now: datetime, *, deputy_id: int | None = None,
                   station_id: int | None = None) -> ContactCode:
    """The active code of a deputy or station, issued on first use. `actor=None` is the CLI."""
    await _target(session, actor, deputy_id, station_id, issuing=True)
    return await active_code(session, deputy_id=deputy_id, station_id=station_id) or await _issue(
        session, actor, now, deputy_id, station_id)


async def regenerate(session: AsyncSession, actor: Actor | None, now: datetime, *, deputy_id: int | None = None,
                     station_id: int | None = None) -> ContactCode:
    """Withdraw the current code (a lost or defaced poster) and issue a new one."""
    await _target(session, actor, deputy_id, station_id, issuing=True)
    old = await _revoke_all(session, actor, now, deputy_id, station_id)
    new = await _issue(session, actor, now, deputy_id, station_id)
    for code in old:
        if code.id != new.id:
            code.replaced_by_id = new.id
    return new


async def revoke(session: AsyncSession, actor: Actor | None, now: datetime, *, deputy_id: int | None = None,
                 station_id: int | None = None) -> ContactCode | None:
    """Withdraw the current code without a successor (a deputy who left). Returns it, if there was one."""
    await _target(session, actor, deputy_id, station_id, issuing=False)
    withdrawn = await _revoke_all(session, actor, now, deputy_id, station_id)
    return withdrawn[0] if withdrawn else None


async def _revoke_all(session: AsyncSession, actor: Actor | None, now: datetime, deputy_id: int | None,
                      station_id: int | None) -> list[ContactCode]:
    """Every active code of the deputy or station (one, unless rows predate the unique index)."""
    codes = list(await session.scalars(_active(deputy_id, station_id)))
    for code in codes:
        code.revoked_at, code.revoked_by = now, actor.id if actor else None
        audit.record(session, actor.id if actor else None, "code.revoke", "contactcode", code.id,
                     deputy_id=deputy_id, station_id=station_id)
    await session.flush()  # before a successor is inserted: one active code each
    return codes


async def check_manager(session: AsyncSession, actor: Actor, *, deputy_id: int | None = None,
                        station_id: int | None = None) -> None:
    """Refuse now, before asking "are you sure?", if the actor may not manage this code."""
    await _target(session, actor, deputy_id, station_id, issuing=False)


async def _target(session: AsyncSession, actor: Actor | None, deputy_id: int | None, station_id: int | None, *,
                  issuing: bool) -> None:
    """The deputy or station exists and the actor may manage its code: staff, and, for staff
    tied to stations, one of theirs. `actor=None` is the CLI."""
    if actor is not None:
        require(actor, Role.staff)
    if (deputy_id is None) == (station_id is None):
        raise InvalidInput()
    row = await session.get(Deputy, deputy_id) if deputy_id is not None else await session.get(Station, station_id)
    if row is None:
        raise NotFound()
    if actor is not None:
        require_station(actor, row.station_id if isinstance(row, Deputy) else row.id)
    if issuing and isinstance(row, Deputy) and not row.active:
        raise DomainError(N_("This deputy is no longer active; their code cannot be used."))


async def _issue(session: AsyncSession, actor: Actor | None, now: datetime, deputy_id: int | None,
                 station_id: int | None) -> ContactCode:
    """Insert a new active code; if a concurrent request has just inserted one (the partial unique
    index refuses a second), that one is the code."""
    code = ContactCode(token=secrets.token_urlsafe(TOKEN_BYTES), deputy_id=deputy_id, station_id=station_id,
                       created_at=now, created_by=actor.id if actor else None)
    try:
        async with session.begin_nested():
            session.add(code)
            await session.flush()
    except IntegrityError:
        winner = await active_code(session, deputy_id=deputy_id, station_id=station_id)
        if winner is None:
            raise
        return winner
    audit.record(session, actor.id if actor else None, "code.issue", "contactcode", code.id,
                 deputy_id=deputy_id, station_id=station_id)
    return code


# --- posters -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PosterSet:
    """What to print for a deputy or a whole station: QR links and poster pages, already translated."""

    name: str  # file name stem: deputy-3, station-2
    links: list[tuple[str, str]]  # (file name stem, deep link) for one PNG each
    cards: list[PosterCard]
    heading: str
    congress: str  # CONGRESS_NAME, atop every page


async def poster_set(session: AsyncSession, actor: Actor | None, now: datetime, link: Callable[[str], str], *,
                     deputy_id: int | None = None, station_id: int | None = None,
                     congress: str = "") -> PosterSet:
    """Posters in the current language: one page for a deputy, or the station's page and one per deputy."""
    if deputy_id is not None:
        deputy = await session.get(Deputy, deputy_id)
        card = await _deputy_card(session, actor, now, link, deputy)
        return PosterSet(f"deputy-{deputy.id}", [(f"deputy-{deputy.id}", card.link)], [card], _(HEADING), congress)
    station = await session.get(Station, station_id)
    if station is None:
        raise NotFound()
    station_link = link(payload(await code_for(session, actor, now, station_id=station_id)))
    members = await _members(session, station_id)
    cards = [PosterCard(title=station.name, lines=[_("Deputies: {names}", names=", ".join(d.name for d in members))]
                        if members else [], call_to_action=_("Scan to reach the deputies of this station"),
                        link=station_link, footer=station.address, link_note=_(OPENS_IN))]
    cards += [await _deputy_card(session, actor, now, link, deputy) for deputy in members]
    links = [(f"station-{station.id}", station_link)]
    links += [(f"deputy-{deputy.id}", card.link) for deputy, card in zip(members, cards[1:])]
    return PosterSet(f"station-{station.id}", links, cards, _(HEADING), congress)


async def _members(session: AsyncSession, station_id: int) -> list[Deputy]:
    return list(await session.scalars(
        select(Deputy).where(Deputy.station_id == station_id, Deputy.active.is_(True)).order_by(Deputy.name)))


async def _deputy_card(session: AsyncSession, actor: Actor | None, now: datetime, link: Callable[[str], str],
                       deputy: Deputy | None) -> PosterCard:
    if deputy is None:
        raise NotFound()
    code = await code_for(session, actor, now, deputy_id=deputy.id)
    station = await session.get(Station, deputy.station_id) if deputy.station_id is not None else None
    return PosterCard(
        title=deputy.name,
        lines=[_("{level} people's congress deputy", level=level_label(deputy.level)), station.name if station else ""],
        call_to_action=_("Scan to write to your deputy or book a meeting"),
        link=link(payload(code)),
        footer=_("Reception hours: {hours}", hours=deputy.reception_hours) if deputy.reception_hours else "",
        link_note=_(OPENS_IN),
    )


def render_posters(posters: PosterSet) -> tuple[list[tuple[str, bytes]], bytes]:
    """(PNG files, the PDF). CPU-bound: call it through asyncio.to_thread."""
    from services.render.poster import poster_pdf
    from services.render.qr import qr_png

    pngs = [(f"{stem}.png", qr_png(link)) for stem, link in posters.links]
    return pngs, poster_pdf(posters.cards, heading=posters.heading, congress=posters.congress)


@dataclass(frozen=True)
class StationPoster:
    """A station's notice for its wall, already translated."""

    name: str  # file name stem: station-2-hours
    sheet: StationSheet
    heading: str
    congress: str


async def station_poster(session: AsyncSession, actor: Actor | None, link: Callable[[str], str], station_id: int, *,
                         congress: str = "") -> StationPoster:
    """The station's deputies and their reception hours, with the station's code if it has an active one.

    No code is issued here: a station whose code was withdrawn gets a notice without one."""
    await _target(session, actor, None, station_id, issuing=False)
    station = await session.get(Station, station_id)
    code = await active_code(session, station_id=station_id)
    rows = [(deputy.name, deputy.reception_hours or _("to be announced"))
            for deputy in await _members(session, station_id)]
    sheet = StationSheet(
        title=station.name, lines=[station.address], columns=(_("Deputy"), _("Reception hours")), rows=rows,
        call_to_action=_("Scan to reach the deputies of this station") if code else "",
        link=link(payload(code)) if code else "", link_note=_(OPENS_IN) if code else "")
    return StationPoster(f"station-{station.id}-hours", sheet, _(SHEET_HEADING), congress)


def render_station_poster(poster: StationPoster) -> bytes:
    """The PDF. CPU-bound: call it through asyncio.to_thread."""
    from services.render.poster import station_sheet_pdf

    return station_sheet_pdf(poster.sheet, heading=poster.heading, congress=poster.congress)


# --- the roster, for operators -------------------------------------------------------------------


@dataclass(frozen=True)
class RosterDeputy:
    id: int
    name: str
    station: str
    active: bool
    joined: bool  # has a Telegram account linked through an invite
    code: bool  # has an active contact code


@dataclass(frozen=True)
class RosterStation:
    id: int
    name: str
    deputies: int  # active ones
    joined: int  # of those, how many are on the bot
    code: bool


async def _coded(session: AsyncSession, column) -> set[int]:  # noqa: ANN001
    return set(await session.scalars(select(column).where(column.is_not(None), ContactCode.revoked_at.is_(None))))


async def deputy_roster(session: AsyncSession) -> list[RosterDeputy]:
    """Every deputy, by station and name; three queries whatever the size. For the CLI (no actor)."""
    stations = {station.id: station.name for station in await session.scalars(select(Station))}
    coded = await _coded(session, ContactCode.deputy_id)
    deputies = await session.scalars(select(Deputy).order_by(Deputy.station_id, Deputy.name, Deputy.id))
    return [RosterDeputy(d.id, d.name, stations.get(d.station_id, ""), d.active, d.user_id is not None, d.id in coded)
            for d in deputies]


async def station_roster(session: AsyncSession) -> list[RosterStation]:
    """Every station with its active deputies counted. For the CLI (no actor)."""
    coded = await _coded(session, ContactCode.station_id)
    members, joined = Counter(), Counter()
    for station_id, user_id in await session.execute(
            select(Deputy.station_id, Deputy.user_id).where(Deputy.active.is_(True))):
        members[station_id] += 1
        joined[station_id] += user_id is not None
    return [RosterStation(s.id, s.name, members[s.id], joined[s.id], s.id in coded)
            for s in await session.scalars(select(Station).order_by(Station.name))]
