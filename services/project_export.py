"""XLSX exports of Deliver and Verify for staff, in the bot and the CLI: the projects, their
filings (plans, quarterly reports, completion reports), the site-visit reports and the
year-end ratings.

Staff tied to a station export that station's projects; `actor=None` is the CLI operator, who
exports everything. Headers and labels are in the language asked for, times in the congress's
zone. Ratings carry no name: a rating is a deputy's or a resident's, nothing more.
"""
from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Callable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Deadline, Department, Deputy, Role, Station
from models.delivery import REPORT_DEADLINE, Filing, FilingKind, FilingStatus
from models.evaluations import Evaluation, Rating
from models.inspections import Assessment, SiteVisit
from models.projects import PLAN_DEADLINE, Project, ProjectSupervisor
from services import audit, delivery, evaluation, verify
from services.auth import Actor, require
from services.i18n import N_, _, use_locale
from services.suggestions import names_by_id
from services.xlsx import Table, workbook

PROJECT_COLUMNS = (
    (N_("Number"), 13), (N_("Title"), 30), (N_("Year"), 7), (N_("Status"), 14), (N_("Progress (%)"), 10),
    (N_("Implementing unit"), 22), (N_("Station"), 16), (N_("Budget (yuan)"), 14), (N_("Planned completion"), 12),
    (N_("Voted"), 12), (N_("Completed"), 12), (N_("Supervising group"), 26), (N_("Site visits"), 9),
    (N_("Problems found"), 9), (N_("Reason"), 30),
)
FILING_COLUMNS = (
    (N_("Project"), 13), (N_("Title"), 26), (N_("Filing"), 24), (N_("Status"), 18), (N_("Due"), 12),
    (N_("In time"), 8), (N_("Filed"), 17), (N_("Reviewed"), 17), (N_("Progress (%)"), 10),
    (N_("Person in charge"), 14), (N_("Text"), 50), (N_("Problems"), 40), (N_("Review comment"), 30),
    (N_("Corrections"), 10),
)
VISIT_COLUMNS = (
    (N_("Project"), 13), (N_("Title"), 26), (N_("Quarter"), 10), (N_("Deputy"), 14), (N_("Filed"), 17),
    (N_("Assessment"), 14), (N_("Findings"), 50), (N_("Issues raised"), 40), (N_("Department's answer"), 40),
    (N_("Answered"), 17), (N_("Distance from the site (m)"), 12), (N_("Far from the site"), 8), (N_("Photos"), 8),
)
RATING_COLUMNS = (
    (N_("Year"), 7), (N_("Project"), 13), (N_("Title"), 26), (N_("Rated as"), 10), (N_("Answer"), 18),
    (N_("Comment"), 50), (N_("Rated"), 17),
)


def _when(moment: datetime | None, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""


def _yes(value: bool | None) -> str:
    return "" if value is None else _("yes") if value else _("no")


def _book(session: AsyncSession, actor: Actor | None, locale: str, title: str, columns: Sequence[tuple[str, int]],
          rows: Callable[[], list[Sequence[object]]], action: str) -> bytes:
    """One sheet titled `title` (N_-marked) of `rows()` drawn in `locale`; the export audited as `action`."""
    with use_locale(locale):
        found = rows()
        content = workbook(Table(_(title), columns, found))
    audit.record(session, actor.id if actor else None, action, action.split(".")[0], "", rows=len(found))
    return content


async def _projects(session: AsyncSession, actor: Actor | None) -> list[Project]:
    if actor is not None:
        require(actor, Role.staff)
    query = select(Project).order_by(Project.year, Project.seq)
    if actor is not None and actor.stations is not None:
        query = query.where(Project.station_id.in_(actor.stations))
    return list(await session.scalars(query))


async def projects_xlsx(session: AsyncSession, actor: Actor | None, *, locale: str, tz: tzinfo) -> bytes:
    found = await _projects(session, actor)
    ids = [p.id for p in found]
    units = await names_by_id(session, Department.name, {p.department_id for p in found})
    stations = await names_by_id(session, Station.name, {p.station_id for p in found})
    groups: dict[int, list[str]] = {}
    for project_id, name, leader in await session.execute(
            select(ProjectSupervisor.project_id, Deputy.name, ProjectSupervisor.leader)
            .join(Deputy, Deputy.id == ProjectSupervisor.deputy_id).where(ProjectSupervisor.project_id.in_(ids))
            .order_by(ProjectSupervisor.leader.desc(), Deputy.name)):
        groups.setdefault(project_id, []).append(name + (" ★" if leader else ""))
    visits: dict[int, list[str]] = {}
    for project_id, assessment in await session.execute(
            select(SiteVisit.project_id, SiteVisit.assessment).where(SiteVisit.project_id.in_(ids))):
        visits.setdefault(project_id, []).append(assessment)
    return _book(session, actor, locale, N_("Projects"), PROJECT_COLUMNS, lambda: [(
        p.number, p.title, p.year, delivery.status_label(p), p.progress, units.get(p.department_id, ""),
        stations.get(p.station_id, ""), p.budget, p.planned_completion.isoformat() if p.planned_completion else "",
        _when(p.voted_at, tz), _when(p.completed_at, tz), ", ".join(groups.get(p.id, [])),
        len(visits.get(p.id, [])), visits.get(p.id, []).count(Assessment.problem), p.status_reason) for p in found],
        "project.export")


async def filings_xlsx(session: AsyncSession, actor: Actor | None, *, locale: str, tz: tzinfo) -> bytes:
    """Every plan, quarterly report and completion report owed or filed, with its due day."""
    by_id = {p.id: p for p in await _projects(session, actor)}
    filings = list(await session.scalars(select(Filing).where(Filing.project_id.in_(by_id)).order_by(
        Filing.project_id, Filing.opened_at, Filing.id)))
    plans = {f.id: f.project_id for f in filings if f.kind == FilingKind.plan}
    clocks = {}  # filing id -> its deadline: a plan's clock is the project's, a report's its own
    for deadline in await session.scalars(select(Deadline).where(
            ((Deadline.kind == PLAN_DEADLINE) & Deadline.subject_id.in_(list(by_id)))
            | ((Deadline.kind == REPORT_DEADLINE) & Deadline.subject_id.in_([f.id for f in filings])))):
        if deadline.kind == REPORT_DEADLINE:
            clocks[deadline.subject_id] = deadline
        else:
            clocks.update({fid: deadline for fid, pid in plans.items() if pid == deadline.subject_id})
    def row(f: Filing) -> Sequence[object]:
        project, clock = by_id[f.project_id], clocks.get(f.id)
        due = (clock.due_at - timedelta(microseconds=1)).astimezone(tz).date().isoformat() if clock else ""
        return (project.number, project.title, delivery.filing_name(f), _(delivery.FILING_LABELS[FilingStatus(f.status)]),
                due, _yes(clock.closed_in_time) if clock else "", _when(f.filed_at, tz), _when(f.reviewed_at, tz),
                f.percent, f.person_in_charge, f.text, f.problems, f.review_comment, f.corrections)

    return _book(session, actor, locale, N_("Filings"), FILING_COLUMNS, lambda: [row(f) for f in filings],
                 "filing.export")


async def site_visits_xlsx(session: AsyncSession, actor: Actor | None, *, locale: str, tz: tzinfo) -> bytes:
    """Every site-visit report; those that found a problem first. The place it was filed from stays out."""
    by_id = {p.id: p for p in await _projects(session, actor)}
    found = list(await session.scalars(select(SiteVisit).where(SiteVisit.project_id.in_(by_id)).order_by(
        SiteVisit.created_at, SiteVisit.id)))
    found.sort(key=lambda v: v.assessment != Assessment.problem)
    deputies = await names_by_id(session, Deputy.name, {v.deputy_id for v in found})
    return _book(session, actor, locale, N_("Site visits"), VISIT_COLUMNS, lambda: [(
        by_id[v.project_id].number, by_id[v.project_id].title, delivery.quarter_label(v.quarter),
        deputies.get(v.deputy_id, ""), _when(v.created_at, tz), verify.assessment_label(v.assessment), v.findings,
        v.issues, v.answer, _when(v.answered_at, tz), v.distance_m, _("yes") if v.far else "", len(v.photos))
        for v in found], "site_visit.export")


async def evaluations_xlsx(session: AsyncSession, actor: Actor | None, *, locale: str, tz: tzinfo) -> bytes:
    """Every rating of every year-end evaluation, without who gave it."""
    by_id = {p.id: p for p in await _projects(session, actor)}
    years = dict((await session.execute(select(Evaluation.id, Evaluation.year))).all())
    ratings = list(await session.scalars(select(Rating).where(Rating.project_id.in_(by_id)).order_by(
        Rating.evaluation_id, Rating.project_id, Rating.created_at, Rating.id)))
    return _book(session, actor, locale, N_("Ratings"), RATING_COLUMNS, lambda: [(
        years.get(r.evaluation_id), by_id[r.project_id].number, by_id[r.project_id].title,
        _("deputy") if r.as_deputy else _("resident"), evaluation.answer_label(r.answer), r.comment,
        _when(r.updated_at, tz)) for r in ratings], "rating.export")


EXPORTS = {"projects": projects_xlsx, "filings": filings_xlsx, "site-visits": site_visits_xlsx,
           "evaluations": evaluations_xlsx}
