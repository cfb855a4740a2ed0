"""Stations, deputies and departments: staff add, edit and import them.

Station scope: a liaison clerk tied to a station (a station-scoped staff grant) manages that
station and its deputies only — renaming it, adding, editing, moving, deactivating and
importing its deputies. Creating stations and departments, and deputies of no station, are
the whole congress office's (staff without a station, and admins). A deputy moves only
between stations the clerk serves, so no clerk can take another station's deputy (and then
its QR code) over.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Iterable, Sequence, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Department, Deputy, Role, RoleGrant, Station
from services import audit
from services.auth import Actor, require, require_station, require_whole_office
from services.errors import InvalidInput, NotFound
from services.i18n import LOCALES, N_, _, translate
from services.text import one_line

LEVELS = {
    "township": N_("township"),
    "county": N_("county"),
    "city": N_("city"),
    "province": N_("province"),
    "national": N_("national"),
}
NAME_MAX = 64
STATION_MAX = 120
AREA_MAX = 120
HOURS_MAX = 255
PAGE_SIZE = 8
IMPORT_MAX_ROWS = 5000  # far above a county's deputies; stops a huge sheet from tying up the bot
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")
IMPORT_SUFFIXES = (".csv", *SPREADSHEET_SUFFIXES)
NOT_SERVED = N_("the station {value} is not one you serve")

# Column headers accepted in an import file, in every language of the catalogues.
_HEADERS = {"name": N_("Name"), "level": N_("Level"), "station": N_("Station"), "phone": N_("Phone")}


def level_label(level: str) -> str:
    return _(LEVELS.get(level, level))


# Other ways a level is written in an import file, "|"-separated; each language adds its own.
_LEVEL_SPELLINGS = {
    "township": N_("town|township level"),
    "county": N_("district|county level"),
    "city": N_("municipal|city level"),
    "province": N_("provincial|province level"),
    "national": N_("NPC|national level"),
}


def _level_from_text(text: str) -> str | None:
    text = text.strip().lower()
    for key, label in LEVELS.items():
        for loc in LOCALES:
            spellings = {key, translate(loc, label), *translate(loc, _LEVEL_SPELLINGS[key]).split("|")}
            if text in {s.strip().lower() for s in spellings}:
                return key
    return None


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; `number` counts from 0 and is clamped into range."""

    items: list[T]
    number: int
    pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 0

    @property
    def has_next(self) -> bool:
        return self.number + 1 < self.pages


async def paginate(session: AsyncSession, query: Select[Any], number: int, size: int = PAGE_SIZE) -> Page[Any]:
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // size))
    number = min(max(number, 0), pages - 1)
    items = list(await session.scalars(query.offset(number * size).limit(size)))
    return Page(items, number, pages, total)


async def stations(session: AsyncSession) -> list[Station]:
    return list(await session.scalars(select(Station).order_by(Station.name)))


async def station_page(session: AsyncSession, actor: Actor, number: int) -> Page[Station]:
    require(actor, Role.staff)
    return await paginate(session, select(Station).order_by(Station.name, Station.id), number)


async def _staff_get(session: AsyncSession, actor: Actor, model: type[T], row_id: int) -> T:
    require(actor, Role.staff)
    row = await session.get(model, row_id)
    if row is None:
        raise NotFound()
    return row


async def get_station(session: AsyncSession, actor: Actor, station_id: int) -> Station:
    return await _staff_get(session, actor, Station, station_id)


async def count_station_deputies(session: AsyncSession, station_id: int) -> int:
    query = select(func.count()).select_from(Deputy).where(Deputy.station_id == station_id, Deputy.active.is_(True))
    return await session.scalar(query) or 0


async def check_station_name(session: AsyncSession, name: str, station_id: int | None = None) -> str:
    """The name tidied, or InvalidInput when it is empty, too long or taken by another station."""
    name = one_line(name)
    if not name or len(name) > STATION_MAX:
        raise InvalidInput(N_("A station name is 1 to {max} characters."), max=STATION_MAX)
    taken = await session.scalar(select(Station.id).where(Station.name == name))
    if taken is not None and taken != station_id:
        raise InvalidInput(N_("A station with this name already exists."))
    return name


async def add_station(session: AsyncSession, actor: Actor | None, name: str, area: str = "") -> Station:
    if actor is not None:
        require_whole_office(actor)
    name = await check_station_name(session, name)
    area = one_line(area)
    if len(area) > AREA_MAX:
        raise InvalidInput(N_("An area is at most {max} characters."), max=AREA_MAX)
    station = Station(name=name, area=area)
    session.add(station)
    await session.flush()
    audit.record(session, actor.id if actor else None, "station.add", "station", station.id, name=name)
    return station


async def station_to_edit(session: AsyncSession, actor: Actor, station_id: int) -> Station:
    """A station the staff member serves, to rename (refused at once, not after the new name is typed)."""
    station = await get_station(session, actor, station_id)
    require_station(actor, station.id)
    return station


async def rename_station(session: AsyncSession, actor: Actor, station_id: int, name: str) -> Station:
    station = await station_to_edit(session, actor, station_id)
    name = await check_station_name(session, name, station_id)
    station.name = name
    audit.record(session, actor.id, "station.rename", "station", station_id, name=name)
    return station


async def station_by_name(session: AsyncSession, name: str) -> Station | None:
    return await session.scalar(select(Station).where(Station.name == one_line(name)))


async def deputies(session: AsyncSession, station_id: int | None = None) -> list[Deputy]:
    query = select(Deputy).where(Deputy.active.is_(True)).order_by(Deputy.name)
    if station_id is not None:
        query = query.where(Deputy.station_id == station_id)
    return list(await session.scalars(query))


async def deputy_page(
    session: AsyncSession, actor: Actor, number: int, *, station_id: int | None = None, without_account: bool = False
) -> Page[Deputy]:
    """Deputies for staff, active first. `without_account`: active records nobody has joined as yet."""
    require(actor, Role.staff)
    query = select(Deputy).order_by(Deputy.active.desc(), Deputy.name, Deputy.id)
    if station_id is not None:
        query = query.where(Deputy.station_id == station_id)
    if actor.stations is not None:
        query = query.where(Deputy.station_id.in_(actor.stations))
    if without_account:
        query = query.where(Deputy.user_id.is_(None), Deputy.active.is_(True))
    return await paginate(session, query, number)


async def get_deputy(session: AsyncSession, actor: Actor, deputy_id: int) -> Deputy:
    """A deputy of a station the staff member serves (the whole office: any deputy)."""
    deputy = await _staff_get(session, actor, Deputy, deputy_id)
    require_station(actor, deputy.station_id)
    return deputy


@dataclass
class DeputyFields:
    name: str
    level: str = "township"
    station_id: int | None = None
    phone: str | None = None


def _clean_deputy(fields: DeputyFields) -> DeputyFields:
    name = one_line(fields.name)
    if not name or len(name) > NAME_MAX:
        raise InvalidInput(N_("A name is 1 to {max} characters."), max=NAME_MAX)
    if fields.level not in LEVELS:
        raise InvalidInput(N_("Unknown level."))
    phone = (fields.phone or "").strip() or None
    if phone and (len(phone) > 32 or not all(c.isdigit() or c in "+- ()" for c in phone)):
        raise InvalidInput(N_("That phone number does not look right."))
    return DeputyFields(name, fields.level, fields.station_id, phone)


async def add_deputy(session: AsyncSession, actor: Actor | None, fields: DeputyFields) -> Deputy:
    """A new deputy; a station's clerk adds them to their station."""
    if actor is not None:
        if fields.station_id is None and actor.stations is not None and len(actor.stations) == 1:
            fields.station_id = next(iter(actor.stations))
        require_station(actor, fields.station_id)
    fields = _clean_deputy(fields)
    deputy = Deputy(name=fields.name, level=fields.level, station_id=fields.station_id, phone=fields.phone)
    session.add(deputy)
    await session.flush()
    audit.record(session, actor.id if actor else None, "deputy.add", "deputy", deputy.id, name=deputy.name)
    return deputy


async def edit_deputy(session: AsyncSession, actor: Actor, deputy_id: int, **changes: object) -> Deputy:
    """Change name, level, station, phone or reception hours of a deputy; staff of the deputy's
    station only, and a move only to a station they also serve."""
    deputy = await get_deputy(session, actor, deputy_id)
    merged = DeputyFields(
        name=str(changes.get("name", deputy.name)),
        level=str(changes.get("level", deputy.level)),
        station_id=changes.get("station_id", deputy.station_id),  # type: ignore[arg-type]
        phone=changes.get("phone", deputy.phone),  # type: ignore[arg-type]
    )
    merged = _clean_deputy(merged)
    if merged.station_id != deputy.station_id:
        require_station(actor, merged.station_id)
        if merged.station_id is not None and await session.get(Station, merged.station_id) is None:
            raise NotFound()
    deputy.name, deputy.level, deputy.station_id, deputy.phone = merged.name, merged.level, merged.station_id, merged.phone
    if "reception_hours" in changes:
        hours = one_line(str(changes["reception_hours"] or ""))
        if len(hours) > HOURS_MAX:
            raise InvalidInput(N_("Reception hours are at most {max} characters."), max=HOURS_MAX)
        deputy.reception_hours = hours
    if "active" in changes:
        deputy.active = bool(changes["active"])
    audit.record(session, actor.id, "deputy.edit", "deputy", deputy_id, fields=sorted(changes))
    return deputy


async def department_name(session: AsyncSession, department_id: int | None) -> str:
    """The unit's name as typed (escape it for HTML), or "" when there is none."""
    department = await session.get(Department, department_id) if department_id else None
    return department.name if department else ""


async def departments(session: AsyncSession) -> list[Department]:
    return list(await session.scalars(select(Department).order_by(Department.name)))


async def department_user_ids(session: AsyncSession, department_id: int | None) -> list[int]:
    """The users who act for a department (its clerks), in a stable order."""
    if department_id is None:
        return []
    return list(await session.scalars(select(RoleGrant.user_id).where(
        RoleGrant.role == Role.department, RoleGrant.department_id == department_id).order_by(RoleGrant.user_id)))


async def department_page(session: AsyncSession, actor: Actor, number: int) -> Page[Department]:
    require(actor, Role.staff)
    return await paginate(session, select(Department).order_by(Department.name, Department.id), number)


async def ensure_department(session: AsyncSession, actor: Actor | None, name: str) -> Department:
    if actor is not None:
        require(actor, Role.staff)  # choosing an existing one is any clerk's; creating one is checked below
    name = one_line(name)
    if not name or len(name) > 120:
        raise InvalidInput(N_("A department name is 1 to {max} characters."), max=120)
    found = await session.scalar(select(Department).where(Department.name == name))
    if found is not None:
        return found
    if actor is not None:
        require_whole_office(actor)
    department = Department(name=name)
    session.add(department)
    await session.flush()
    audit.record(session, actor.id if actor else None, "department.add", "department", department.id, name=name)
    return department


# --- import -----------------------------------------------------------------------------------


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    stations_created: int = 0
    bad_rows: list[tuple[int, str, dict[str, object]]] = field(default_factory=list)  # (row number, message id, params)


def _header_key(cell: object) -> str | None:
    text = str(cell or "").strip().lower()
    for key, label in _HEADERS.items():
        if text == key or any(text == translate(loc, label).lower() for loc in LOCALES):
            return key
    return None


def read_rows(data: bytes, filename: str) -> list[list[str]]:
    """Rows of an XLSX or CSV file as strings. Raises InvalidInput for other formats."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        try:
            return _limited(csv.reader(io.StringIO(_decode_csv(data))))
        except csv.Error as exc:  # e.g. NUL bytes: not a text file
            raise InvalidInput(N_("The file could not be read as CSV.")) from exc
    if suffix in SPREADSHEET_SUFFIXES:
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
            return _limited(sheet.iter_rows(values_only=True))
        except InvalidInput:
            raise
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise InvalidInput(N_("The file could not be read as a spreadsheet.")) from exc
    raise InvalidInput(N_("Send an .xlsx or .csv file."))


def _decode_csv(data: bytes) -> str:
    """UTF-8 first; Excel on Chinese Windows saves CSV as GBK, which GB18030 covers."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _limited(rows: Iterable[Sequence[object]]) -> list[list[str]]:
    """The rows as stripped strings, refusing more than IMPORT_MAX_ROWS (besides the header)."""
    cells: list[list[str]] = []
    for row in rows:
        if len(cells) > IMPORT_MAX_ROWS:
            raise InvalidInput(N_("The file has more than {max} rows. Split it into smaller files."),
                               max=IMPORT_MAX_ROWS)
        cells.append(["" if c is None else str(c).strip() for c in row])
    return cells


async def import_deputies(session: AsyncSession, actor: Actor | None, rows: list[list[str]]) -> ImportReport:
    """Create or update deputies from rows with a header (name, level, station, optional phone).

    A deputy is matched by name and station. Unknown stations are created. Bad rows are
    reported with their row number and left out; good rows are kept.
    """
    if actor is not None:
        require(actor, Role.staff)
    report = ImportReport()
    if not rows:
        raise InvalidInput(N_("The file is empty."))
    columns = {key: i for i, cell in enumerate(rows[0]) if (key := _header_key(cell))}
    if "name" not in columns:
        raise InvalidInput(N_("The first row must name the columns: Name, Level, Station, Phone."))
    station_cache: dict[str, Station] = {}
    for number, row in enumerate(rows[1:], start=2):
        cell = {key: (row[i].strip() if i < len(row) else "") for key, i in columns.items()}
        if not any(cell.values()):
            continue
        level = _level_from_text(cell.get("level") or "township")
        if level is None:
            report.bad_rows.append((number, N_("unknown level {value}"), {"value": cell.get("level", "")}))
            continue
        try:
            fields = _clean_deputy(DeputyFields(cell.get("name", ""), level, None, cell.get("phone")))
        except InvalidInput as exc:
            report.bad_rows.append((number, exc.message, exc.params))
            continue
        station_name = one_line(cell.get("station"))
        if station_name:
            station = station_cache.get(station_name) or await station_by_name(session, station_name)
            if station is None and (actor is None or actor.serves_all_stations):
                try:
                    station = await add_station(session, actor, station_name)
                except InvalidInput as exc:
                    report.bad_rows.append((number, exc.message, exc.params))
                    continue
                report.stations_created += 1
            if station is None:  # a station's clerk imports into their station only
                report.bad_rows.append((number, NOT_SERVED, {"value": station_name}))
                continue
            station_cache[station_name] = station
            fields.station_id = station.id
        elif actor is not None and actor.stations is not None and len(actor.stations) == 1:
            fields.station_id = next(iter(actor.stations))
        if actor is not None and not actor.serves(fields.station_id):
            report.bad_rows.append((number, NOT_SERVED, {"value": station_name or "-"}))
            continue
        existing = await session.scalar(
            select(Deputy).where(Deputy.name == fields.name,
                                 Deputy.station_id.is_not_distinct_from(fields.station_id))
        )
        if existing is None:
            session.add(Deputy(name=fields.name, level=fields.level, station_id=fields.station_id, phone=fields.phone))
            report.added += 1
        else:
            existing.level, existing.phone, existing.active = fields.level, fields.phone or existing.phone, True
            report.updated += 1
    await session.flush()
    audit.record(session, actor.id if actor else None, "deputy.import", "deputy", "",
                 added=report.added, updated=report.updated, bad=len(report.bad_rows))
    return report


async def count_deputies(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Deputy).where(Deputy.active.is_(True))) or 0
