"""Verify: the staff dashboard (验单). Every open duty of the four orders — residents' letters to
deputies, written proposals, implementation plans, quarterly reports, site visits owed, the
departments' answers to issues raised, the evaluation's close — counted overdue and due soon,
by owner and by station; and charts of the projects' progress and satisfaction.

Built on the one deadline mechanism: the rows of `services.deadlines`, counted in SQL by station and
by each kind's `Owner`, so the counts are exact and cheap however many duties are open; a page of a
list shows each kind's `describe` (its line) and `locate` (its owner, its card, a flag). A clerk tied
to a station sees that station's duties only: `contact_stats.watched` enforces the scope, here as in
the digest.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Deadline, Role, Station
from models.evaluations import Evaluation
from models.projects import Project
from services import contact_stats, deadlines, evaluation
from services.auth import Actor, require
from services.contact_stats import Watched
from services.directory import Page
from services.i18n import _
from services.render.chart import bar_chart_png

PAGE_SIZE = 8
GROUPS_SHOWN = 10  # owners or stations listed on the summary, the busiest first
CHART_SIZE = (1080, 1350)  # portrait, a phone screen's shape
CHART_FONT = 24  # points at 100 dpi: legible once Telegram shrinks the photo to a phone's width
CHART_BARS = 15  # projects in one chart
LABEL_MAX = 16  # characters of a project's title beside its bar


@dataclass(frozen=True)
class Item:
    watched: Watched
    place: deadlines.Place

    @property
    def flagged(self) -> bool:
        return self.place.flagged


@dataclass
class Count:
    label: str
    overdue: int = 0
    soon: int = 0

    @property
    def total(self) -> int:
        return self.overdue + self.soon


@dataclass(frozen=True)
class Board:
    overdue: int
    soon: int
    flagged: int  # site-visit reports that found a problem, among them
    by_owner: list[Count]  # the most overdue first
    by_station: list[Count]
    soon_days: int


def _counted(counts: dict[object, Count]) -> list[Count]:
    return sorted(counts.values(), key=lambda c: (-c.overdue, -c.soon, c.label))


def _ones(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


async def board(session: AsyncSession, actor: Actor, now: datetime, tz: ZoneInfo, soon_days: int) -> Board:
    """The staff member's open duties, past due and those whose last day is within `soon_days`, counted
    in SQL: a handful of queries and exact counts however many thousands are open."""
    require(actor, Role.staff)
    where = await contact_stats.watched(session, actor, now, tz, soon_days)
    late = _ones(Deadline.due_at <= now)
    stations = (await session.execute(
        select(Deadline.station_id, func.count(), func.sum(late), func.sum(_ones(deadlines.flagged())))
        .where(*where).group_by(Deadline.station_id))).all()
    ids = {station_id for station_id, *_counts in stations} - {None}
    names = dict((await session.execute(select(Station.id, Station.name).where(Station.id.in_(ids))))
                 .all()) if ids else {}
    by_station = {station_id: Count(names.get(station_id, _("No station")), int(overdue), total - int(overdue))
                  for station_id, total, overdue, _flagged in stations}
    # Each kind names its owner in SQL: grouped by kind and name, then merged by the label staff read
    # (a department owes proposals and plans alike).
    rows = select(Deadline.kind, deadlines.owner_name().label("owner"), late.label("late")).where(*where).subquery()
    by_owner: dict[object, Count] = {}
    for kind, name, total, overdue in await session.execute(
            select(rows.c.kind, rows.c.owner, func.count(), func.sum(rows.c.late)).group_by(rows.c.kind, rows.c.owner)):
        label = deadlines.owner_label(kind, name) or _("No owner")
        count = by_owner.setdefault(label, Count(label))
        count.overdue += int(overdue)
        count.soon += total - int(overdue)
    return Board(sum(c.overdue for c in by_station.values()), sum(c.soon for c in by_station.values()),
                 sum(int(flagged) for *_counts, flagged in stations), _counted(by_owner), _counted(by_station),
                 soon_days)


async def listing(session: AsyncSession, actor: Actor, now: datetime, tz: ZoneInfo, soon_days: int, late: bool,
                  number: int, size: int = PAGE_SIZE) -> Page[Item]:
    """One page of the overdue duties (`late`) or of those due soon: site-visit reports that found a
    problem first, then by due time. Only the page's duties are described and located."""
    require(actor, Role.staff)
    where = await contact_stats.watched(session, actor, now, tz, soon_days)
    where.append(Deadline.due_at <= now if late else Deadline.due_at > now)
    total = await session.scalar(select(func.count()).select_from(Deadline).where(*where))
    pages = max(1, -(-total // size))
    number = min(max(number, 0), pages - 1)
    shown = await session.scalars(select(Deadline).where(*where)
                                  .order_by(_ones(deadlines.flagged()).desc(), Deadline.due_at, Deadline.id)
                                  .offset(number * size).limit(size))
    items = [Item(await contact_stats.watched_item(session, deadline, now, tz), await deadlines.locate(session, deadline))
             for deadline in shown]
    return Page(items, number, pages, total)


# --- charts -------------------------------------------------------------------------------------------------


async def _scoped_projects(session: AsyncSession, actor: Actor, year: int) -> list[Project]:
    query = select(Project).where(Project.year == year).order_by(Project.seq)
    if actor.stations is not None:
        query = query.where(Project.station_id.in_(actor.stations))
    return list(await session.scalars(query))


async def latest_year(session: AsyncSession, actor: Actor) -> int | None:
    """The latest year with projects of the actor's stations."""
    require(actor, Role.staff)
    query = select(func.max(Project.year))
    if actor.stations is not None:
        query = query.where(Project.station_id.in_(actor.stations))
    return await session.scalar(query)


def _label(project: Project) -> str:
    title = project.title if len(project.title) <= LABEL_MAX else project.title[:LABEL_MAX - 1] + "…"
    return f"{project.seq:03d} {title}"


@dataclass(frozen=True)
class Chart:
    title: str
    categories: list[str]
    series: dict[str, list[float]]
    axis: str

    def png(self) -> bytes:
        """Rendered apart from the query (matplotlib is slow: handlers run it in a thread)."""
        return bar_chart_png(self.title, self.categories, self.series, ylabel=self.axis, size=CHART_SIZE,
                             font_size=CHART_FONT, horizontal=True)


async def progress_chart(session: AsyncSession, actor: Actor, year: int) -> Chart | None:
    """Each project's progress in percent, as its department last reported and staff accepted."""
    require(actor, Role.staff)
    shown = (await _scoped_projects(session, actor, year))[:CHART_BARS]
    if not shown:
        return None
    return Chart(_("Projects of {year}: progress", year=year), [_label(p) for p in shown],
                 {_("Progress"): [p.progress for p in shown]}, _("Percent"))


async def closed_evaluation(session: AsyncSession, actor: Actor) -> Evaluation | None:
    """The latest evaluation whose results are published."""
    require(actor, Role.staff)
    return await session.scalar(select(Evaluation).where(Evaluation.closed_at.is_not(None))
                                .order_by(Evaluation.year.desc()).limit(1))


async def satisfaction_chart(session: AsyncSession, actor: Actor) -> Chart | None:
    """The published satisfaction rate of each project, deputies and residents apart."""
    found = await closed_evaluation(session, actor)
    if found is None:
        return None
    scoped = {p.id for p in await _scoped_projects(session, actor, found.year)}
    results = [r for r in await evaluation.results(session, found) if r.project.id in scoped][:CHART_BARS]
    if not results:
        return None
    series = {_("Deputies"): [round(r.deputies.rate or 0, 1) for r in results]}
    if any(r.residents.total for r in results):  # residents rated too: their bars beside the deputies'
        series[_("Residents")] = [round(r.residents.rate or 0, 1) for r in results]
    return Chart(_("Projects of {year}: satisfaction", year=found.year), [_label(r.project) for r in results],
                 series, _("Percent satisfied"))
