"""Verify (renda yandan): the deputies of a project's supervising group inspect it on site and
report what they saw (seeds 000, 002, 004).

Staff of the project's station assign the group (one leader). Any deputy may file a site-visit
report on any project, a group member on theirs above all: photos with captions, where it was
sent from (its distance from the project's site, flagged when farther than the setting), the
findings, an assessment and the issues to raise. Issues reach the implementing department,
which answers in the bot within `Rules.answer_days` (a deadline: reminded, then the station's
staff alerted), and the station's staff. A report is read by its group, the department and
staff; everyone else sees a public summary without the deputy's location.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, delete, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models import Deadline, Department, Deputy, Role
from models.inspections import ISSUE_DEADLINE, VISIT_DEADLINE, Assessment, InspectionDuty, InspectionRound, SiteVisit
from models.projects import Project, ProjectStatus, ProjectSupervisor
from services import audit, deadlines, directory, outbox, projects
from services.auth import Actor, require, require_station
from services.calendar import HolidayCalendar, Period, get_calendar, local_day_start, period_end
from services.deadlines import Stage
# One project's names, days and quarters, as Deliver shows them.
from services.delivery import _department_name, _last_day, quarter_label, quarter_last_day, quarter_of
from services.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from services.i18n import N_, _
from services.inquiries import liaison_map
from services.suggestions import clean_location
from services.text import clean_caption, fit, one_line, tidy

PHOTOS_MIN, PHOTOS_MAX = 1, 10
FINDINGS_MAX = 3000
ISSUES_MAX = 2000
ANSWER_MAX = 3000
GROUP_MAX = 15
PAGE_SIZE = 10

ASSESSMENT_LABELS = {
    Assessment.on_track: N_("on track"),
    Assessment.delayed: N_("delayed"),
    Assessment.problem: N_("problem found"),
}


@dataclass(frozen=True)
class Rules:
    """The settings site visits need (services do not read bot settings themselves)."""

    max_distance_m: int
    answer_days: int
    remind_days: int
    tz: ZoneInfo
    calendar: HolidayCalendar
    visit_due_days_before: int = 15  # a quarter's site visit is due this many days before the quarter ends

    @classmethod
    def from_settings(cls, settings: Any) -> Rules:
        return cls(round(settings.site_visit_max_distance_km * 1000), settings.visit_issue_answer_days,
                   settings.reminder_days_before, settings.tz, get_calendar(settings.holidays_file),
                   settings.site_visit_due_days_before_quarter_end)


@dataclass(frozen=True)
class VisitDraft:
    photos: list[tuple[str, str]]  # (file_id, caption)
    findings: str
    assessment: str
    issues: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Member:
    deputy: Deputy
    leader: bool


def _h(value: str) -> str:
    return escape(value, quote=False)


def visit_data(visit_id: int) -> str:
    """Callback data of the "open the report" button in notifications (handlers.verify.VisitCb)."""
    return f"vv:show:{visit_id}"


def file_data(project_id: int) -> str:
    """Callback data of the "file a report" button (handlers.verify.VisitProjectCb)."""
    return f"vp:file:{project_id}:0"


def mine_data() -> str:
    return "vp:mine:0:0"


def assessment_label(value: str) -> str:
    return _(ASSESSMENT_LABELS[Assessment(value)])


def project_label(project: Project) -> str:
    return _("{number} «{title}»", number=project.number, title=_h(project.title))


# --- geometry --------------------------------------------------------------------------------------------

EARTH_RADIUS_M = 6_371_000


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    """Great-circle distance in metres (haversine): enough for "was the deputy on site"."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a))))


def distance_text(metres: int) -> str:
    return f"{metres} m" if metres < 1000 else f"{metres / 1000:.1f} km"


@dataclass(frozen=True)
class Distance:
    metres: int
    far: bool  # farther than the setting allows


def _distance(project: Project, latitude: float, longitude: float, rules: Rules) -> Distance | None:
    if project.latitude is None or project.longitude is None:
        return None
    metres = distance_m(latitude, longitude, project.latitude, project.longitude)
    return Distance(metres, metres > rules.max_distance_m)


async def distance_from_site(session: AsyncSession, project_id: int, latitude: float, longitude: float,
                             rules: Rules) -> Distance | None:
    """How far a location is from the project's site (None: the project has no site on record)."""
    return _distance(await projects.get(session, project_id), *clean_location(latitude, longitude), rules)


# --- typed input --------------------------------------------------------------------------------------------


def clean_findings(value: str | None) -> str:
    text = tidy(value)
    if not text:
        raise InvalidInput(N_("Please write what you found on site."))
    return fit(text, FINDINGS_MAX)


def clean_issues(value: str | None) -> str:
    text = tidy(value)
    return fit(text, ISSUES_MAX)


def clean_assessment(value: str) -> str:
    if value not in Assessment.__members__:
        raise InvalidInput()
    return value


# --- supervising groups ---------------------------------------------------------------------------------------


async def project_to_manage(session: AsyncSession, actor: Actor, project_id: int) -> Project:
    """A project whose group this staff member may change: one of a station they serve."""
    require(actor, Role.staff)
    project = await projects.get(session, project_id)
    require_station(actor, project.station_id)
    return project


async def managed_projects(session: AsyncSession, actor: Actor, page: int = 0) -> tuple[list[Project], bool]:
    """Staff: the projects not completed of the stations they serve (all, for the whole office)."""
    require(actor, Role.staff)
    query = select(Project).where(Project.status != ProjectStatus.completed).order_by(Project.year, Project.seq)
    if actor.stations is not None:
        query = query.where(Project.station_id.in_(actor.stations))
    rows = list(await session.scalars(query.offset(max(page, 0) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


async def group(session: AsyncSession, project_id: int) -> list[Member]:
    """The supervising group, its leader first (who is in it is public, as deputies are)."""
    rows = await session.execute(select(Deputy, ProjectSupervisor.leader).join(
        ProjectSupervisor, ProjectSupervisor.deputy_id == Deputy.id).where(
        ProjectSupervisor.project_id == project_id).order_by(ProjectSupervisor.leader.desc(), Deputy.name))
    return [Member(deputy, leader) for deputy, leader in rows.all()]


GROUP_NOTICE = N_("You are now in the supervising group of project {number} «{title}»{role}. You will be reminded "
                  "of each quarter's inspection; file site-visit reports from «My supervised projects».")


async def add_member(session: AsyncSession, actor: Actor, project_id: int, deputy_id: int, now: datetime) -> Member:
    """Staff add an active deputy to the group; the first member leads it until staff choose another."""
    project = await project_to_manage(session, actor, project_id)
    deputy = await directory.get_deputy(session, actor, deputy_id)
    if not deputy.active:
        raise DomainError(N_("{name} is no longer an active deputy."), name=deputy.name)
    members = await group(session, project.id)
    if any(m.deputy.id == deputy.id for m in members):
        raise DomainError(N_("{name} is already in the group."), name=deputy.name)
    if len(members) >= GROUP_MAX:
        raise DomainError(N_("A supervising group has at most {max} deputies."), max=GROUP_MAX)
    leader = not members
    session.add(ProjectSupervisor(project_id=project.id, deputy_id=deputy.id, leader=leader, assigned_by=actor.id,
                                  assigned_at=now))
    await session.flush()
    audit.record(session, actor.id, "supervisor.add", "project", project.id, deputy_id=deputy.id, leader=leader)
    if deputy.user_id is not None:
        await outbox.tell(session, deputy.user_id, lambda: _(
            GROUP_NOTICE, number=project.number, title=_h(project.title), role=_(" as its leader") if leader else ""),
            key=f"supervisor-{project.id}-{deputy.id}-{now.isoformat()}", buttons=((N_("My supervised projects"),
                                                                                      mine_data()),))
    return Member(deputy, leader)


async def set_leader(session: AsyncSession, actor: Actor, project_id: int, deputy_id: int) -> None:
    """One leader per group: choosing one steps the previous one down."""
    project = await project_to_manage(session, actor, project_id)
    row = await session.scalar(select(ProjectSupervisor).where(ProjectSupervisor.project_id == project.id,
                                                               ProjectSupervisor.deputy_id == deputy_id))
    if row is None:
        raise NotFound()
    await session.execute(update(ProjectSupervisor).where(ProjectSupervisor.project_id == project.id)
                          .values(leader=ProjectSupervisor.deputy_id == deputy_id))
    audit.record(session, actor.id, "supervisor.leader", "project", project.id, deputy_id=deputy_id)


async def remove_member(session: AsyncSession, actor: Actor, project_id: int, deputy_id: int) -> None:
    """The leader leaving hands the lead to the next member by name."""
    project = await project_to_manage(session, actor, project_id)
    removed = await session.execute(delete(ProjectSupervisor).where(
        ProjectSupervisor.project_id == project.id, ProjectSupervisor.deputy_id == deputy_id)
        .returning(ProjectSupervisor.leader))
    was_leader = removed.scalar()
    if was_leader is None:
        raise NotFound()
    rest = await group(session, project.id)
    if was_leader and rest:
        await session.execute(update(ProjectSupervisor).where(
            ProjectSupervisor.project_id == project.id, ProjectSupervisor.deputy_id == rest[0].deputy.id)
            .values(leader=True))
    audit.record(session, actor.id, "supervisor.remove", "project", project.id, deputy_id=deputy_id)


async def candidates_page(session: AsyncSession, actor: Actor, project_id: int, page: int) -> directory.Page[Deputy]:
    """Deputies staff may add: those of the stations they serve (the project's own station first)."""
    project = await project_to_manage(session, actor, project_id)
    in_group = select(ProjectSupervisor.deputy_id).where(ProjectSupervisor.project_id == project.id)
    query = select(Deputy).where(Deputy.active.is_(True), Deputy.id.not_in(in_group)).order_by(
        (Deputy.station_id == project.station_id).desc() if project.station_id else Deputy.name, Deputy.name,
        Deputy.id)
    if actor.stations is not None:
        query = query.where(Deputy.station_id.in_(actor.stations))
    return await directory.paginate(session, query, page)


async def supervised(session: AsyncSession, actor: Actor) -> list[tuple[Project, bool]]:
    """A deputy's supervised projects (with whether they lead the group), not completed first."""
    require(actor, Role.deputy)
    if actor.deputy_id is None:
        return []
    rows = await session.execute(select(Project, ProjectSupervisor.leader).join(
        ProjectSupervisor, ProjectSupervisor.project_id == Project.id).where(
        ProjectSupervisor.deputy_id == actor.deputy_id).order_by(
        Project.status == ProjectStatus.completed, Project.year, Project.seq))
    return [(project, leader) for project, leader in rows.all()]


async def in_group(session: AsyncSession, actor: Actor, project_id: int) -> bool:
    if actor.deputy_id is None:
        return False
    return bool(await session.scalar(select(func.count()).where(
        ProjectSupervisor.project_id == project_id, ProjectSupervisor.deputy_id == actor.deputy_id)))


async def reportable(session: AsyncSession, actor: Actor, page: int = 0) -> tuple[list[Project], bool]:
    """Any project a deputy may report on: those not completed, and completed ones (a look back)."""
    require(actor, Role.deputy)
    rows = list(await session.scalars(select(Project).order_by(
        Project.status == ProjectStatus.completed, Project.year.desc(), Project.seq)
        .offset(max(page, 0) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


# --- site-visit reports ---------------------------------------------------------------------------------------


async def begin_visit(session: AsyncSession, actor: Actor, project_id: int) -> Project:
    """A deputy on record (joined through an invite) may report on any project."""
    require(actor, Role.deputy)
    if actor.deputy_id is None:
        raise PermissionDenied()
    return await projects.get(session, project_id)


def check_photos(photos: list[tuple[str, str]]) -> list[dict[str, str]]:
    if not PHOTOS_MIN <= len(photos) <= PHOTOS_MAX:
        raise InvalidInput(N_("A site-visit report has 1 to {max} photos."), max=PHOTOS_MAX)
    return [{"file_id": str(file_id)[:255], "caption": clean_caption(caption)} for file_id, caption in photos]


async def submit_visit(session: AsyncSession, actor: Actor, project_id: int, draft: VisitDraft, now: datetime,
                       rules: Rules) -> SiteVisit:
    project = await begin_visit(session, actor, project_id)
    deputy = await session.get(Deputy, actor.deputy_id)
    visit = SiteVisit(project_id=project.id, deputy_id=deputy.id, filed_by=actor.id,
                      quarter=quarter_of(now.astimezone(rules.tz).date()), photos=check_photos(draft.photos),
                      findings=clean_findings(draft.findings), assessment=clean_assessment(draft.assessment),
                      issues=clean_issues(draft.issues), created_at=now)
    if draft.latitude is not None and draft.longitude is not None:
        visit.latitude, visit.longitude = clean_location(draft.latitude, draft.longitude)
        distance = _distance(project, visit.latitude, visit.longitude, rules)
        if distance is not None:
            visit.distance_m, visit.far = distance.metres, distance.far
    session.add(visit)
    await session.flush()
    audit.record(session, actor.id, "visit.file", "sitevisit", visit.id, project_id=project.id,
                 assessment=visit.assessment, far=visit.far, issues=bool(visit.issues))
    if await in_group(session, actor, project.id):
        await _visited(session, project.id, visit, now)
    due = None
    if visit.issues:
        period = period_end(now, days=rules.answer_days, tz=rules.tz, calendar=rules.calendar)
        await deadlines.open_period(session, kind=ISSUE_DEADLINE, subject_id=visit.id, period=period,
                                    remind_days=rules.remind_days, tz=rules.tz, calendar=rules.calendar,
                                    station_id=project.station_id)
        due = period.last_day.isoformat()
    await _tell_filed(session, project, deputy, visit, due)
    return visit


FILED_GROUP = N_("Deputy {name} filed a site-visit report on project {number} «{title}»: {assessment}.")
FILED_DEPARTMENT = N_("Deputy {name} inspected project {number} «{title}» and raises these issues:\n{issues}\n"
                      "Please answer in the bot by {due}.")
FILED_STAFF = N_("Site-visit report on project {number} «{title}» by deputy {name}: {assessment}.{issues}")


async def _tell_filed(session: AsyncSession, project: Project, deputy: Deputy, visit: SiteVisit,
                      due: str | None) -> None:
    params = dict(name=_h(deputy.name), number=project.number, title=_h(project.title))
    button = ((N_("Open the report"), visit_data(visit.id)),)
    letters = [outbox.Letter(user_id, lambda: _(FILED_GROUP, assessment=assessment_label(visit.assessment), **params),
                             key=f"visit-{visit.id}-group-{user_id}", buttons=button)
               for user_id in await _group_users(session, project.id) if user_id != visit.filed_by]
    if visit.issues:
        letters += [outbox.Letter(user_id, lambda: _(FILED_DEPARTMENT, issues=_h(visit.issues[:1500]), due=due,
                                                     **params),
                                  key=f"visit-{visit.id}-department-{user_id}", buttons=button)
                    for user_id in await directory.department_user_ids(session, project.department_id)]
    if visit.issues or visit.assessment == Assessment.problem:
        staff = await liaison_map(session)

        def staff_text() -> str:
            issues = "\n" + _("Issues raised: {issues}", issues=_h(visit.issues[:1000])) if visit.issues else ""
            return _(FILED_STAFF, assessment=assessment_label(visit.assessment), issues=issues, **params)

        letters += [outbox.Letter(user_id, staff_text, key=f"visit-{visit.id}-staff-{user_id}", buttons=button)
                    for user_id in staff(project.station_id)]
    await outbox.tell_many(session, letters)


async def _group_users(session: AsyncSession, project_id: int) -> list[int]:
    return list(await session.scalars(select(Deputy.user_id).join(
        ProjectSupervisor, ProjectSupervisor.deputy_id == Deputy.id).where(
        ProjectSupervisor.project_id == project_id, Deputy.user_id.is_not(None), Deputy.active.is_(True))))


async def may_read(session: AsyncSession, actor: Actor, project: Project) -> bool:
    """A project's reports are the group's, the department's and the station staff's to read."""
    return (actor.serves(project.station_id) or project.department_id in actor.department_ids
            or await in_group(session, actor, project.id))


@dataclass
class VisitView:
    visit: SiteVisit
    project: Project
    deputy: str
    answerable: bool = False  # the actor is a clerk of the department and it is not answered yet


async def visit_for(session: AsyncSession, actor: Actor, visit_id: int) -> VisitView:
    visit = await session.get(SiteVisit, visit_id)
    if visit is None:
        raise NotFound()
    project = await projects.get(session, visit.project_id)
    if visit.filed_by != actor.id and not await may_read(session, actor, project):
        raise PermissionDenied()
    deputy = await session.get(Deputy, visit.deputy_id)
    answerable = (bool(visit.issues) and not visit.answered_at and actor.has(Role.department)
                  and project.department_id in actor.department_ids)
    return VisitView(visit, project, _h(deputy.name if deputy else "-"), answerable)


async def visits_of(session: AsyncSession, actor: Actor, project_id: int) -> tuple[Project, list[SiteVisit]]:
    """Every report on the project, the latest first, for those who may read them."""
    project = await projects.get(session, project_id)
    if not await may_read(session, actor, project):
        raise PermissionDenied(N_("Site-visit reports are read by the project's supervising group, its department "
                                  "and the station's staff."))
    return project, list(await session.scalars(select(SiteVisit).where(SiteVisit.project_id == project.id)
                                               .order_by(SiteVisit.created_at.desc(), SiteVisit.id.desc()).limit(20)))


@dataclass(frozen=True)
class Summary:
    """What anyone may read of a project's inspections: counts and the latest, no location, no names."""

    count: int
    latest: SiteVisit | None
    problems: int


async def public_summary(session: AsyncSession, project_id: int) -> Summary:
    count, problems = (await session.execute(select(
        func.count(SiteVisit.id), func.count(SiteVisit.id).filter(SiteVisit.assessment == Assessment.problem))
        .where(SiteVisit.project_id == project_id))).one()
    latest = await session.scalar(select(SiteVisit).where(SiteVisit.project_id == project_id)
                                  .order_by(SiteVisit.created_at.desc(), SiteVisit.id.desc()).limit(1))
    return Summary(count, latest, problems)


ANSWERED = N_("{department} answered the issues raised on project {number} «{title}»:\n{answer}")


async def answer_issues(session: AsyncSession, actor: Actor, visit_id: int, text: str | None,
                        now: datetime) -> SiteVisit:
    """The department's clerk answers a report's issues, once; the deputy, the group and staff hear it."""
    view = await visit_for(session, actor, visit_id)
    visit, project = view.visit, view.project
    if not actor.has(Role.department) or project.department_id not in actor.department_ids:
        raise PermissionDenied(N_("This project is not implemented by your department."))
    if not visit.issues:
        raise DomainError(N_("This report raises no issues to answer."))
    if visit.answered_at is not None:
        raise DomainError(N_("These issues were answered already."))
    answer = tidy(text)
    if not answer:
        raise InvalidInput(N_("The text cannot be empty."))
    fit(answer, ANSWER_MAX)
    visit.answer, visit.answered_by, visit.answered_at = answer, actor.id, now
    await deadlines.close_deadline(session, ISSUE_DEADLINE, visit.id, now)
    audit.record(session, actor.id, "visit.answer", "sitevisit", visit.id, project_id=project.id)
    department = await _department_name(session, project)
    staff = await liaison_map(session)
    recipients = {*await _group_users(session, project.id), *staff(project.station_id)}
    if visit.filed_by is not None:
        recipients.add(visit.filed_by)
    recipients.discard(actor.id)
    await outbox.tell_many(session, [outbox.Letter(
        user_id, lambda: _(ANSWERED, department=department, number=project.number, title=_h(project.title),
                           answer=_h(answer[:1500])),
        key=f"visit-{visit.id}-answer-{user_id}", buttons=((N_("Open the report"), visit_data(visit.id)),))
        for user_id in sorted(recipients)])
    return visit


# --- the department's answer: its deadline -----------------------------------------------------------------

ISSUE_TEXT = {
    Stage.remind: N_("Reminder: the issues deputy {name} raised on project {number} «{title}» await your answer "
                     "by {due}."),
    Stage.due_day: N_("Today is the last day to answer the issues deputy {name} raised on project {number} "
                      "«{title}»."),
    Stage.escalate: N_("The issues deputy {name} raised on project {number} «{title}» are unanswered (the answer was "
                       "due {due}). Please answer now; the congress office has been told."),
}
STAFF_UNANSWERED = N_("Overdue: {department} has not answered the issues deputy {name} raised on project {number} "
                      "«{title}» (due {due}).")


async def _subjects(session: AsyncSession, model: type[SiteVisit] | type[InspectionDuty],
                    due: list[Row]) -> list[tuple[Row, Any, Project]]:
    """A batch's deadlines with their subjects (reports or duties) and projects, read in bulk; those
    whose subject is gone are left out."""
    rows = {r.id: r for r in await session.scalars(select(model).where(model.id.in_([d.subject_id for d in due])))}
    found = {p.id: p for p in await session.scalars(select(Project).where(
        Project.id.in_({r.project_id for r in rows.values()})))}
    return [(d, rows[d.subject_id], found[rows[d.subject_id].project_id]) for d in due
            if d.subject_id in rows and rows[d.subject_id].project_id in found]


async def _on_stage(session: AsyncSession, due: list[Row], stage: Stage, now: datetime) -> None:
    subjects = await _subjects(session, SiteVisit, due)
    names = dict((await session.execute(select(Deputy.id, Deputy.name).where(
        Deputy.id.in_({visit.deputy_id for _d, visit, _p in subjects})))).all())
    staff = await liaison_map(session) if stage == Stage.escalate else None
    letters: list[outbox.Letter] = []
    for deadline, visit, project in subjects:
        params = dict(name=_h(names.get(visit.deputy_id, "-")), number=project.number, title=_h(project.title),
                      due=_last_day(deadline.due_at).isoformat())
        button = ((N_("Open the report"), visit_data(visit.id)),)
        for user_id in await directory.department_user_ids(session, project.department_id):
            letters.append(outbox.Letter(user_id, partial(_, ISSUE_TEXT[stage], **params),
                                         key=f"deadline-{deadline.id}-{stage}-{user_id}", buttons=button))
        if staff is not None:
            department = await _department_name(session, project)
            for user_id in staff(deadline.station_id):
                letters.append(outbox.Letter(user_id, partial(_, STAFF_UNANSWERED, department=department, **params),
                                             key=f"deadline-{deadline.id}-{stage}-{user_id}", buttons=button))
    await outbox.tell_many(session, letters)


async def _describe(session: AsyncSession, deadline: Deadline) -> str:
    visit = await session.get(SiteVisit, deadline.subject_id)
    project = await session.get(Project, visit.project_id) if visit else None
    if project is None:
        return f"{deadline.kind} #{deadline.subject_id}"
    return _("Project {number} «{title}» · answer to a site-visit report · {department}", number=project.number,
             title=_h(project.title), department=await _department_name(session, project))


async def _locate(session: AsyncSession, deadline: Deadline) -> deadlines.Place:
    """Owned by the department that answers; a report that found a problem comes first."""
    visit = await session.get(SiteVisit, deadline.subject_id)
    project = await session.get(Project, visit.project_id) if visit else None
    if project is None:
        return deadlines.Place("")
    return deadlines.Place(await directory.department_name(session, project.department_id), visit_data(visit.id),
                           flagged=visit.assessment == Assessment.problem)


deadlines.register_kind(
    ISSUE_DEADLINE, _on_stage, _describe, locate=_locate,
    owner=deadlines.Owner(select(Department.name).join(Project, Project.department_id == Department.id)
                          .join(SiteVisit, SiteVisit.project_id == Project.id)
                          .where(SiteVisit.id == Deadline.subject_id).scalar_subquery()),
    flag=exists().where(SiteVisit.id == Deadline.subject_id, SiteVisit.assessment == Assessment.problem))


# --- the quarterly inspection campaign -------------------------------------------------------------------------

CAMPAIGN = N_("The liaison station's inspection of {quarter} has begun: please visit the projects you supervise "
              "and file a site-visit report on each by {due}.\n{projects}")
VISIT_TEXT = {
    Stage.remind: N_("Reminder: project {number} «{title}» has no site-visit report from its supervising group for "
                     "{quarter} yet; it is due by {due}."),
    Stage.due_day: N_("Today is the last day for the supervising group's site-visit report on project {number} "
                      "«{title}» for {quarter}."),
}
STAFF_NO_VISIT = N_("Overdue: the supervising group of project {number} «{title}» ({names}) filed no site-visit report "
                    "for {quarter}; it was due {due}.")


def visit_due_day(quarter: str, rules: Rules) -> datetime:
    """The last day of a quarter's site visit (local date as a datetime at 00:00 local)."""
    return datetime.combine(quarter_last_day(quarter) - timedelta(days=rules.visit_due_days_before),
                            datetime.min.time(), tzinfo=rules.tz)


async def open_inspection_round(session: AsyncSession, now: datetime, rules: Rules) -> InspectionRound | None:
    """Open the quarter's campaign, once: every supervising deputy gets one reminder with the projects
    they supervise (a button to file a report on each), and each supervised project owes a site
    visit by `rules.visit_due_days_before` days before the quarter ends (a deadline). Returns the
    round if this call opened it, None if it was open already (another run, another process)."""
    quarter = quarter_of(now.astimezone(rules.tz).date())
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    claimed = await session.execute(insert(InspectionRound.__table__).values(
        quarter=quarter, opened_at=now, reminded=0, duties=0).on_conflict_do_nothing(
        index_elements=["quarter"]).returning(InspectionRound.__table__.c.quarter))
    if claimed.scalar() is None:
        return None
    rows = (await session.execute(select(ProjectSupervisor.deputy_id, Deputy.user_id, Project).join(
        Deputy, Deputy.id == ProjectSupervisor.deputy_id).join(Project, Project.id == ProjectSupervisor.project_id)
        .where(Project.status != ProjectStatus.completed).order_by(ProjectSupervisor.deputy_id, Project.year,
                                                                   Project.seq))).all()
    last_day = visit_due_day(quarter, rules).date()
    due = local_day_start(last_day + timedelta(days=1), rules.tz)
    projects = {project.id: project for _d, _u, project in rows}
    duties = 0
    if due > now:
        for project in projects.values():
            duty = InspectionDuty(project_id=project.id, quarter=quarter)
            session.add(duty)
            await session.flush()
            await deadlines.open_period(session, kind=VISIT_DEADLINE, subject_id=duty.id,
                                        period=Period(now, last_day, due, False, ()), remind_days=rules.remind_days,
                                        tz=rules.tz, calendar=rules.calendar, station_id=project.station_id)
            duties += 1
    by_deputy: dict[int, tuple[int | None, list[Project]]] = {}
    for deputy_id, user_id, project in rows:
        by_deputy.setdefault(deputy_id, (user_id, []))[1].append(project)
    active = set(await session.scalars(select(Deputy.id).where(Deputy.active.is_(True), Deputy.id.in_(by_deputy))))

    def letter(deputy_id: int, user_id: int, supervised_here: list[Project]) -> outbox.Letter:
        return outbox.Letter(user_id, lambda: _(CAMPAIGN, quarter=quarter_label(quarter), due=last_day.isoformat(),
                                                projects="\n".join("• " + project_label(p) for p in supervised_here)),
                             key=f"inspection-{quarter}-{deputy_id}",
                             buttons=tuple((f"📝 {p.number} {p.title}"[:60], file_data(p.id)) for p in supervised_here))

    reminded = await outbox.tell_many(session, (letter(deputy_id, user_id, supervised_here)
                                                for deputy_id, (user_id, supervised_here) in by_deputy.items()
                                                if user_id is not None and deputy_id in active))
    await session.execute(update(InspectionRound).where(InspectionRound.quarter == quarter)
                          .values(reminded=reminded, duties=duties))
    audit.record(session, None, "inspection.open", "quarter", quarter, reminded=reminded, duties=duties)
    return InspectionRound(quarter=quarter, opened_at=now, reminded=reminded, duties=duties)


async def _visited(session: AsyncSession, project_id: int, visit: SiteVisit, now: datetime) -> None:
    """A group member's report meets the quarter's duty and stops its clock."""
    duty = await session.scalar(select(InspectionDuty).where(InspectionDuty.project_id == project_id,
                                                             InspectionDuty.quarter == visit.quarter,
                                                             InspectionDuty.visit_id.is_(None)))
    if duty is not None:
        duty.visit_id = visit.id
        await deadlines.close_deadline(session, VISIT_DEADLINE, duty.id, now)


async def _on_visit_stage(session: AsyncSession, due: list[Row], stage: Stage, now: datetime) -> None:
    """Before and on the last day, the group is reminded; after it, the station's staff are alerted."""
    staff = await liaison_map(session) if stage == Stage.escalate else None
    letters: list[outbox.Letter] = []
    for deadline, duty, project in await _subjects(session, InspectionDuty, due):
        params = dict(number=project.number, title=_h(project.title), due=_last_day(deadline.due_at).isoformat())
        if staff is None:
            for user_id in await _group_users(session, project.id):
                letters.append(outbox.Letter(
                    user_id, partial(_quarter_text, VISIT_TEXT[stage], duty.quarter, **params),
                    key=f"deadline-{deadline.id}-{stage}-{user_id}",
                    buttons=((N_("File a site-visit report"), file_data(project.id)),)))
            continue
        names = ", ".join(_h(m.deputy.name) for m in await group(session, project.id)) or "-"
        for user_id in staff(deadline.station_id):
            letters.append(outbox.Letter(user_id, partial(_quarter_text, STAFF_NO_VISIT, duty.quarter, names=names,
                                                          **params),
                                         key=f"deadline-{deadline.id}-{stage}-{user_id}"))
    await outbox.tell_many(session, letters)


def _quarter_text(message: str, quarter: str, **params: object) -> str:
    return _(message, quarter=quarter_label(quarter), **params)


async def _describe_visit(session: AsyncSession, deadline: Deadline) -> str:
    duty = await session.get(InspectionDuty, deadline.subject_id)
    project = await session.get(Project, duty.project_id) if duty else None
    if project is None:
        return f"{deadline.kind} #{deadline.subject_id}"
    return _("Project {number} «{title}» · site visit for {quarter} · its supervising group", number=project.number,
             title=_h(project.title), quarter=quarter_label(duty.quarter))


async def _locate_visit(session: AsyncSession, deadline: Deadline) -> deadlines.Place:
    """Owned by the project's supervising group, named by its leader."""
    duty = await session.get(InspectionDuty, deadline.subject_id)
    if duty is None:
        return deadlines.Place("")
    leader = await session.scalar(select(Deputy.name).join(ProjectSupervisor, ProjectSupervisor.deputy_id == Deputy.id)
                                  .where(ProjectSupervisor.project_id == duty.project_id, ProjectSupervisor.leader.is_(True)))
    return deadlines.Place(_group_label(leader), projects.open_data(duty.project_id))


def _group_label(leader: str | None) -> str:
    return _("Group of {leader}", leader=leader) if leader else _("Supervising group")


deadlines.register_kind(VISIT_DEADLINE, _on_visit_stage, _describe_visit, locate=_locate_visit, owner=deadlines.Owner(
    select(Deputy.name).join(ProjectSupervisor, ProjectSupervisor.deputy_id == Deputy.id)
    .join(InspectionDuty, InspectionDuty.project_id == ProjectSupervisor.project_id)
    .where(InspectionDuty.id == Deadline.subject_id, ProjectSupervisor.leader.is_(True))
    .limit(1).scalar_subquery(), _group_label))
