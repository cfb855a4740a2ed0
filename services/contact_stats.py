"""How promptly deputies answer residents, and the deadlines staff watch.

Counted over the inquiries received in the last 12 months:
- received: every inquiry;
- answered in time: the clock stopped (answer, referral, meeting response, resolved)
  before the due time, so a referral on day 6 counts as in time;
- referred: handed to one of the four platforms;
- overdue: answered late, or still unanswered after the due time;
- median days: from receipt to the first response;
- solved / partly / unsolved: the residents' own verdicts on the answers and referrals they rated.
An inquiry withdrawn by its resident (who deleted their data) counts as received only.

The watch lists and the daily digest cover every deadline kind; each kind's own
`describe` writes its line.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Deadline, Deputy, Role, RoleGrant, Station, User
from models.contact import INQUIRY_DEADLINE, Inquiry, InquiryRating, InquiryStatus
from services import deadlines, outbox
from services.auth import Actor, require
from services.calendar import days_left, local_day_start
from services.i18n import N_, _, ngettext, use_locale
from services.text import display_width

WINDOW = timedelta(days=365)

COLUMNS = (N_("Received"), N_("In time"), N_("Referred"), N_("Overdue"), N_("Median days"), N_("Solved"),
           N_("Partly"), N_("Unsolved"))


@dataclass(frozen=True)
class Promptness:
    in_time_share: float  # of the inquiries judged (answered, or overdue)
    median_days: float | None
    judged: int


@dataclass
class Tally:
    label: str
    received: int = 0
    in_time: int = 0
    referred: int = 0
    overdue: int = 0
    days: list[float] = field(default_factory=list)
    ratings: dict[str, int] = field(default_factory=dict)  # InquiryRating -> how many residents said so

    @property
    def median_days(self) -> float | None:
        return round(median(self.days), 1) if self.days else None

    def values(self) -> list[float | int | None]:
        return [self.received, self.in_time, self.referred, self.overdue, self.median_days,
                *(self.ratings.get(key, 0) for key in InquiryRating)]

    def add(self, status: str, received_at: datetime, due_at: datetime | None, closed_at: datetime | None,
            closed_in_time: bool | None, now: datetime, rating: str = "") -> None:
        self.received += 1
        if rating:
            self.ratings[rating] = self.ratings.get(rating, 0) + 1
        self.referred += status == InquiryStatus.referred
        if closed_at is not None and closed_in_time is not None:
            self.days.append((closed_at - received_at).total_seconds() / 86400)
            self.in_time += closed_in_time
            self.overdue += not closed_in_time
        elif closed_at is None and due_at is not None and due_at <= now:
            self.overdue += 1

    def add_row(self, row: Row, now: datetime) -> None:
        """One row of `_rows`."""
        self.add(row.status, row.created_at, row.due_at, row.closed_at, row.closed_in_time, now, row.rating)


async def _rows(session: AsyncSession, now: datetime, deputy_id: int | None = None):  # noqa: ANN202
    query = (
        select(Inquiry.deputy_id, Inquiry.station_id, Inquiry.status, Inquiry.created_at,
               Deadline.due_at, Deadline.closed_at, Deadline.closed_in_time, Inquiry.rating)
        .outerjoin(Deadline, (Deadline.kind == INQUIRY_DEADLINE) & (Deadline.subject_id == Inquiry.id))
        .where(Inquiry.created_at >= now - WINDOW)
    )
    if deputy_id is not None:
        query = query.where(Inquiry.deputy_id == deputy_id)
    return (await session.execute(query)).all()


async def promptness(session: AsyncSession, deputy_id: int, now: datetime) -> Promptness | None:
    """The share answered in time and the median days to answer; None for a deputy with no record yet."""
    tally = Tally("")
    for row in await _rows(session, now, deputy_id):
        tally.add_row(row, now)
    judged = tally.in_time + tally.overdue
    if not judged:
        return None
    return Promptness(tally.in_time / judged, tally.median_days, judged)


async def by_deputy(session: AsyncSession, actor: Actor, now: datetime) -> list[Tally]:
    """One tally per deputy in the staff member's stations, busiest first."""
    require(actor, Role.staff)
    scope = await station_scope(session, actor)
    query = select(Deputy).where(Deputy.active.is_(True)).order_by(Deputy.name)
    if scope is not None:
        query = query.where(Deputy.station_id.in_(scope))
    tallies = {deputy.id: Tally(deputy.name) for deputy in await session.scalars(query)}
    for row in await _rows(session, now):
        if row.deputy_id in tallies:
            tallies[row.deputy_id].add_row(row, now)
    return sorted(tallies.values(), key=lambda t: (-t.received, t.label))


async def by_station(session: AsyncSession, actor: Actor, now: datetime) -> list[Tally]:
    require(actor, Role.staff)
    scope = await station_scope(session, actor)
    query = select(Station).order_by(Station.name)
    if scope is not None:
        query = query.where(Station.id.in_(scope))
    tallies: dict[int | None, Tally] = {station.id: Tally(station.name) for station in await session.scalars(query)}
    if scope is None:
        tallies[None] = Tally(_("No station"))
    for row in await _rows(session, now):
        if row.station_id in tallies:
            tallies[row.station_id].add_row(row, now)
    return [t for key, t in tallies.items() if key is not None or t.received]


def _cell(value: float | int | None) -> str:
    return "-" if value is None else f"{value:g}"


def table_text(first_column: str, tallies: Sequence[Tally], name_width: int = 12) -> str:
    """A plain-text table for a monospace block; wide (CJK) characters count double."""

    def fit(text: str) -> str:
        while display_width(text) > name_width:
            text = text[:-1]
        return text + " " * (name_width - display_width(text))

    headers = [_(c) for c in COLUMNS]
    widths = [max(display_width(h), 4) for h in headers]
    lines = [fit(first_column) + "".join(" " + " " * (w - display_width(h)) + h for h, w in zip(headers, widths))]
    for tally in tallies:
        cells = [_cell(v) for v in tally.values()]
        lines.append(fit(tally.label) + "".join(" " + c.rjust(w) for c, w in zip(cells, widths)))
    return "\n".join(lines)


def chart_series(tallies: Sequence[Tally]) -> dict[str, list[int]]:
    return {
        _("Received"): [t.received for t in tallies],
        _("In time"): [t.in_time for t in tallies],
        _("Overdue"): [t.overdue for t in tallies],
    }


LETTER_COLUMNS = (N_("Number"), N_("Received"), N_("Deputy"), N_("Station"), N_("Status"), N_("Due"),
                  N_("First response"), N_("In time"), N_("Resident's rating"), N_("Rating comment"))


def workbook(sheets: Iterable[tuple[str, str, Sequence[Tally]]], letter_rows: Sequence[Sequence[object]] = ()) -> bytes:
    """XLSX with one sheet per (title, first column header, tallies), and the letters themselves."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, first_column, tallies in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append([first_column, *(_(c) for c in COLUMNS)])
        for tally in tallies:
            sheet.append([tally.label, *tally.values()])
        sheet.column_dimensions["A"].width = 24
        sheet.freeze_panes = "B2"
    if letter_rows:
        sheet = book.create_sheet(_("Letters")[:31])
        sheet.append([_(c) for c in LETTER_COLUMNS])
        for row in letter_rows:
            sheet.append(list(row))
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # a resident's comment is never a formula
        sheet.freeze_panes = "B2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- deadlines staff watch (every kind) --------------------------------------------------------


@dataclass(frozen=True)
class Watched:
    deadline: Deadline
    text: str  # the kind's own one-line description (HTML)
    days_left: int  # 0 on the last day, negative when overdue


async def station_scope(session: AsyncSession, actor: Actor | int) -> frozenset[int] | None:
    """The stations a staff member serves; None means all (admins, staff without a station)."""
    if isinstance(actor, Actor):
        return actor.stations
    user_id = actor
    grants = (await session.execute(
        select(RoleGrant.role, RoleGrant.station_id)
        .where(RoleGrant.user_id == user_id, RoleGrant.role.in_([Role.staff, Role.admin])))).all()
    if not grants or any(role == Role.admin or station is None for role, station in grants):
        return None
    return frozenset(station for _role, station in grants)


async def watched(session: AsyncSession, actor: Actor | int, now: datetime, tz: ZoneInfo,
                  soon_days: int) -> list[ColumnElement[bool]]:
    """The WHERE of the open duties a staff member watches: past due or whose last day is within
    `soon_days`, in their stations. Overdue among them: `Deadline.due_at <= now`."""
    if isinstance(actor, Actor):
        require(actor, Role.staff)
    horizon = local_day_start(now.astimezone(tz).date() + timedelta(days=soon_days + 1), tz)
    where = [Deadline.closed_at.is_(None), Deadline.due_at <= horizon,
             Deadline.kind.not_in(deadlines.unwatched_kinds())]
    scope = await station_scope(session, actor)
    if scope is not None:
        where.append(Deadline.station_id.in_(scope))
    return where


async def watched_item(session: AsyncSession, deadline: Deadline, now: datetime, tz: ZoneInfo) -> Watched:
    return Watched(deadline, await deadlines.describe(session, deadline), days_left(now, deadline.due_at, tz))


async def watch_lists(session: AsyncSession, actor: Actor | int, now: datetime, tz: ZoneInfo,
                      soon_days: int, limit: int = 200) -> tuple[list[Watched], list[Watched]]:
    """(overdue, due soon): open deadlines past due, and those whose last day is within `soon_days`."""
    query = (select(Deadline).where(*await watched(session, actor, now, tz, soon_days))
             .order_by(Deadline.due_at, Deadline.id).limit(limit))
    overdue: list[Watched] = []
    soon: list[Watched] = []
    for deadline in await session.scalars(query):
        item = await watched_item(session, deadline, now, tz)
        (overdue if deadline.due_at <= now else soon).append(item)
    return overdue, soon


def watched_line(item: Watched, tz: ZoneInfo) -> str:
    due = (item.deadline.due_at - timedelta(microseconds=1)).astimezone(tz).date().isoformat()
    return " · ".join([item.text, _("due {day}", day=due), due_phrase(item.days_left)])


def due_phrase(left: int) -> str:
    """How a deadline stands, from whole local days left (negative when overdue)."""
    if left < 0:
        return ngettext("{n} day overdue", "{n} days overdue", -left)
    return _("last day today") if left == 0 else ngettext("{n} day left", "{n} days left", left)


def watched_block(title: str, items: Sequence[Watched], tz: ZoneInfo, budget: int = 3500) -> str:
    """A title and one bullet per deadline, stopping whole lines before Telegram's message limit."""
    lines = [title]
    for shown, item in enumerate(items):
        line = "• " + watched_line(item, tz)
        if sum(map(len, lines)) + len(line) > budget:
            lines.append(_("…and {count} more.", count=len(items) - shown))
            break
        lines.append(line)
    return "\n".join(lines)


async def send_overdue_digest(session: AsyncSession, now: datetime, tz: ZoneInfo) -> int:
    """Tell each staff member what is overdue in their stations, once per local day. Returns messages queued."""
    day = now.astimezone(tz).date().isoformat()
    staff = sorted(set(await session.scalars(
        select(RoleGrant.user_id).where(RoleGrant.role.in_([Role.staff, Role.admin])))))
    queued = 0
    for user_id in staff:
        user = await session.get(User, user_id)
        with use_locale(user.locale if user else None):
            overdue, _soon = await watch_lists(session, user_id, now, tz, soon_days=0)
            if not overdue:
                continue
            text = watched_block(_("Overdue today ({day}): {count}", day=day, count=len(overdue)), overdue, tz)
        queued += await outbox.enqueue(session, user_id, text, key=f"overdue-digest:{day}:{user_id}")
    return queued
