"""Stations, deputies and departments: staff add, edit and import them."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Department, Deputy, Role, Station
from services import audit
from services.auth import Actor, require
from services.errors import InvalidInput, NotFound
from services.i18n import LOCALES, N_, _, translate

LEVELS = {
    "township": N_("township"),
    "county": N_("county"),
    "city": N_("city"),
    "province": N_("province"),
    "national": N_("national"),
}
NAME_MAX = 64
STATION_MAX = 120

# Column headers accepted in an import file, in every language of the catalogues.
_HEADERS = {"name": N_("Name"), "level": N_("Level"), "station": N_("Station"), "phone": N_("Phone")}


def level_label(level: str) -> str:
    return _(LEVELS.get(level, level))


def _level_from_text(text: str) -> str | None:
    text = text.strip().lower()
    for key, label in LEVELS.items():
        if text == key or any(text == translate(loc, label).lower() for loc in LOCALES):
            return key
    return None


async def stations(session: AsyncSession) -> list[Station]:
    return list(await session.scalars(select(Station).order_by(Station.name)))


async def add_station(session: AsyncSession, actor: Actor | None, name: str, area: str = "") -> Station:
    if actor is not None:
        require(actor, Role.staff)
    name = " ".join(name.split())
    if not name or len(name) > STATION_MAX:
        raise InvalidInput(N_("A station name is 1 to {max} characters."), max=STATION_MAX)
    if await session.scalar(select(Station.id).where(Station.name == name)) is not None:
        raise InvalidInput(N_("A station with this name already exists."))
    station = Station(name=name, area=area.strip()[:120])
    session.add(station)
    await session.flush()
    audit.record(session, actor.id if actor else None, "station.add", "station", station.id, name=name)
    return station


async def rename_station(session: AsyncSession, actor: Actor, station_id: int, name: str) -> Station:
    require(actor, Role.staff)
    station = await session.get(Station, station_id)
    if station is None:
        raise NotFound()
    name = " ".join(name.split())
    if not name or len(name) > STATION_MAX:
        raise InvalidInput(N_("A station name is 1 to {max} characters."), max=STATION_MAX)
    station.name = name
    audit.record(session, actor.id, "station.rename", "station", station_id, name=name)
    return station


async def station_by_name(session: AsyncSession, name: str) -> Station | None:
    return await session.scalar(select(Station).where(Station.name == " ".join(name.split())))


async def deputies(session: AsyncSession, station_id: int | None = None) -> list[Deputy]:
    query = select(Deputy).where(Deputy.active.is_(True)).order_by(Deputy.name)
    if station_id is not None:
        query = query.where(Deputy.station_id == station_id)
    return list(await session.scalars(query))


@dataclass
class DeputyFields:
    name: str
    level: str = "township"
    station_id: int | None = None
    phone: str | None = None


def _clean_deputy(fields: DeputyFields) -> DeputyFields:
    name = " ".join(fields.name.split())
    if not name or len(name) > NAME_MAX:
        raise InvalidInput(N_("A name is 1 to {max} characters."), max=NAME_MAX)
    if fields.level not in LEVELS:
        raise InvalidInput(N_("Unknown level."))
    phone = (fields.phone or "").strip() or None
    if phone and (len(phone) > 32 or not all(c.isdigit() or c in "+- ()" for c in phone)):
        raise InvalidInput(N_("That phone number does not look right."))
    return DeputyFields(name, fields.level, fields.station_id, phone)


async def add_deputy(session: AsyncSession, actor: Actor | None, fields: DeputyFields) -> Deputy:
    if actor is not None:
        require(actor, Role.staff)
    fields = _clean_deputy(fields)
    deputy = Deputy(name=fields.name, level=fields.level, station_id=fields.station_id, phone=fields.phone)
    session.add(deputy)
    await session.flush()
    audit.record(session, actor.id if actor else None, "deputy.add", "deputy", deputy.id, name=deputy.name)
    return deputy


async def edit_deputy(session: AsyncSession, actor: Actor, deputy_id: int, **changes: object) -> Deputy:
    """Change name, level, station, phone or reception hours of a deputy; staff only."""
    require(actor, Role.staff)
    deputy = await session.get(Deputy, deputy_id)
    if deputy is None:
        raise NotFound()
    merged = DeputyFields(
        name=str(changes.get("name", deputy.name)),
        level=str(changes.get("level", deputy.level)),
        station_id=changes.get("station_id", deputy.station_id),  # type: ignore[arg-type]
        phone=changes.get("phone", deputy.phone),  # type: ignore[arg-type]
    )
    merged = _clean_deputy(merged)
    deputy.name, deputy.level, deputy.station_id, deputy.phone = merged.name, merged.level, merged.station_id, merged.phone
    if "reception_hours" in changes:
        deputy.reception_hours = str(changes["reception_hours"]).strip()[:255]
    if "active" in changes:
        deputy.active = bool(changes["active"])
    audit.record(session, actor.id, "deputy.edit", "deputy", deputy_id, fields=sorted(changes))
    return deputy


async def departments(session: AsyncSession) -> list[Department]:
    return list(await session.scalars(select(Department).order_by(Department.name)))


async def ensure_department(session: AsyncSession, actor: Actor | None, name: str) -> Department:
    if actor is not None:
        require(actor, Role.staff)
    name = " ".join(name.split())
    if not name or len(name) > 120:
        raise InvalidInput(N_("A department name is 1 to {max} characters."), max=120)
    found = await session.scalar(select(Department).where(Department.name == name))
    if found is not None:
        return found
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
        text = data.decode("utf-8-sig", errors="replace")
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise InvalidInput(N_("The file could not be read as a spreadsheet.")) from exc
        return [["" if c is None else str(c).strip() for c in row] for row in sheet.iter_rows(values_only=True)]
    raise InvalidInput(N_("Send an .xlsx or .csv file."))


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
        station_name = " ".join((cell.get("station") or "").split())
        if station_name:
            station = station_cache.get(station_name) or await station_by_name(session, station_name)
            if station is None:
                try:
                    station = await add_station(session, None, station_name)
                except InvalidInput as exc:
                    report.bad_rows.append((number, exc.message, exc.params))
                    continue
                report.stations_created += 1
            station_cache[station_name] = station
            fields.station_id = station.id
        existing = await session.scalar(
            select(Deputy).where(Deputy.name == fields.name, Deputy.station_id == fields.station_id)
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
