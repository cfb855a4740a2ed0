"""Verify: the staff dashboard (验单). Every open duty of the four orders — residents' letters to
deputies, written proposals, implementation plans, quarterly reports, site visits owed, the
departments' answers to issues raised, the evaluation's close — counted overdue and due soon,
by owner and by station; and charts of the projects' progress and satisfaction.

Built on the one deadline mechanism: the rows of `services.deadlines`, each kind's `describe`
(its line) and `locate` (its owner, its card, a flag). A clerk tied to a station sees that
station's duties only: `contact_stats.watch_lists` enforces the scope, here as in the digest.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Role, Station
from models.evaluations import Evaluation
from models.projects import Project
from services import contact_stats, deadlines, evaluation
from services.auth import Actor, require
from services.contact_stats import Watched
from services.directory import Page
from services.i18n import _
from services.render.chart import bar_chart_png

LIMIT = 2000  # open duties read for one dashboard; a county has hundreds
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
    overdue: list[Item]  # flagged first, then by due time
    soon: list[Item]
    by_owner: list[Count]  # the most overdue first
    by_station: list[Count]
    soon_days: int


def _flagged_first(items: list[Item]) -> list[Item]:
    return sorted(items, key=lambda item: not item.flagged)  # stable: due time order within each part


def _counted(counts: dict[object, Count]) -> list[Count]:
    return sorted(counts.values(), key=lambda c: (-c.overdue, -c.soon, c.label))


async def board(session: AsyncSession, actor: Actor, now: datetime, tz: ZoneInfo, soon_days: int) -> Board:
    """The staff member's open duties: past due, and those whose last day is within `soon_days`."""
    require(actor, Role.staff)
    overdue, soon = await contact_stats.watch_lists(session, actor, now, tz, soon_days, limit=LIMIT)
    station_ids = {w.deadline.station_id for w in overdue + soon} - {None}
    names = dict((await session.execute(select(Station.id, Station.name).where(Station.id.in_(station_ids)))).all()) \
        if station_ids else {}
    by_owner: dict[object, Count] = {}
    by_station: dict[object, Count] = {}
    lists: tuple[list[Item], list[Item]] = ([], [])
    for late, watched in ((True, overdue), (False, soon)):
        for w in watched:
            place = await deadlines.locate(session, w.deadline)
            lists[0 if late else 1].append(Item(w, place))
            owner = place.owner or _("No owner")
            station = names.get(w.deadline.station_id, _("No station"))
            for counts, key, label in ((by_owner, owner, owner), (by_station, w.deadline.station_id, station)):
                count = counts.setdefault(key, Count(label))
                count.overdue += late
                count.soon += not late
    return Board(_flagged_first(lists[0]), _flagged_first(lists[1]), _counted(by_owner), _counted(by_station),
                 soon_days)


def page(items: Sequence[Item], number: int, size: int = PAGE_SIZE) -> Page[Item]:
    pages = max(1, -(-len(items) // size))
    number = min(max(number, 0), pages - 1)
    return Page(list(items[number * size:(number + 1) * size]), number, pages, len(items))


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
