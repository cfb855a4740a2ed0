"""Deliver (zhengfu maidan): the livelihood projects the deputies voted, from the vote on.

A project is made from a candidate of the pool, by the vote (services.votes at close) or
by staff for a project voted on paper before the bot was used. Making it moves the
candidate and every suggestion behind it to "voted" (their authors are told), and starts
the department's clock: the implementation plan is due `Rules.plan_months` after the vote
(seed 000: within one month), counted as the Civil Code counts periods.

Staff of the project's station keep its record: its title, summary, budget and planned
completion, its status (delayed or suspended with a reason), and its department. Every
change is audited with what it replaced. A project's deadlines name no clerk: each stage
finds the clerks of the department at the moment it fires, so a new department inherits
the clock where it stands.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import partial
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import false as sa_false, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Department, Deputy, Role
from models.delivery import ProjectFollower
from models.projects import PLAN_DEADLINE, Project, ProjectStatus, ProjectSupervisor
from models.suggestions import Candidate, SuggestionStatus
from services import audit, candidates, deadlines, directory, money, numbering, outbox
from services.auth import Actor, require, require_station
from services.calendar import HolidayCalendar, get_calendar, period_end
from services.errors import DomainError, InvalidInput, NotFound
from services.i18n import N_, _
from services.text import one_line, tidy

TITLE_MAX = 120
SUMMARY_MAX = 3000
REASON_MAX = 500
EDITABLE = ("title", "summary", "budget", "completion")
# Staff set these by hand; "completed" is reached by the completion report only.
SET_BY_STAFF = (ProjectStatus.in_progress, ProjectStatus.delayed, ProjectStatus.suspended)
STATUS_NOTICES = {
    ProjectStatus.in_progress: N_("Project {number} «{title}» is in progress again."),
    ProjectStatus.delayed: N_("Project {number} «{title}» is delayed: {reason}"),
    ProjectStatus.suspended: N_("Project {number} «{title}» is suspended: {reason}"),
}


@dataclass(frozen=True)
class Rules:
    """The settings the delivery clocks need (services do not read bot settings themselves)."""

    plan_months: int
    remind_days: int
    tz: ZoneInfo
    calendar: HolidayCalendar
    report_days: int = 10  # a quarter's progress report is due this many days after the quarter ends

    @classmethod
    def from_settings(cls, settings: Any) -> Rules:
        return cls(settings.plan_due_months, settings.plan_reminder_days_before, settings.tz,
                   get_calendar(settings.holidays_file), settings.report_due_days_after_quarter)


def open_data(project_id: int) -> str:
    """Callback data of the "open the project" button in notifications (handlers.deliver.ProjectCb)."""
    return f"dp:open:{project_id}"


async def create_from_candidate(session: AsyncSession, actor: Actor, candidate_id: int, now: datetime,
                                rules: Rules, *, voted_at: datetime | None = None,
                                vote_session_id: int | None = None, department_id: int | None = None,
                                budget: int | None = None) -> Project:
    """The project a voted candidate becomes, with its implementation-plan clock running from the vote.

    `department_id` and `budget` default to the candidate's; a vote passes those of the ballot's explanation."""
    require(actor, Role.staff)
    candidate = await session.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound()
    if candidate.status != candidates.IN_POOL:
        raise DomainError(N_("The candidate «{title}» has left the pool; it cannot become a project again."),
                          title=candidate.title)
    voted_at = voted_at or now
    if voted_at > now:
        raise InvalidInput(N_("The day of the vote cannot be in the future."))
    await candidates.set_stage(session, actor, candidate.id, SuggestionStatus.voted, now)
    behind = await candidates.behind(session, candidate.id)
    stations = {s.station_id for s in behind}
    sited = next((s for s in behind if s.latitude is not None), None)
    year = voted_at.astimezone(rules.tz).year
    project = Project(
        year=year, seq=await numbering.next_in_year(session, Project, year), title=candidate.title,
        summary=candidate.summary, candidate_id=candidate.id, vote_session_id=vote_session_id,
        department_id=department_id or candidate.department_id, station_id=stations.pop() if len(stations) == 1 else None,
        budget=budget if budget is not None else candidate.estimated_cost, place_text=behind[0].place_text if behind else "",
        latitude=sited.latitude if sited else None, longitude=sited.longitude if sited else None,
        voted_at=voted_at, created_by=actor.id, created_at=now, updated_at=now,
    )
    session.add(project)
    await session.flush()
    # Residents whose suggestions became the project follow it from the start (and may stop).
    for author_id in sorted({s.author_id for s in behind if s.author_id is not None}):
        session.add(ProjectFollower(project_id=project.id, user_id=author_id, automatic=True, created_at=now))
    period = period_end(voted_at, months=rules.plan_months, tz=rules.tz, calendar=rules.calendar)
    await deadlines.open_period(session, kind=PLAN_DEADLINE, subject_id=project.id, period=period,
                                remind_days=rules.remind_days, tz=rules.tz, calendar=rules.calendar,
                                station_id=project.station_id)
    event = audit.record(session, actor.id, "project.create", "project", project.id, number=project.number,
                         candidate_id=candidate.id, vote_session_id=vote_session_id)
    await session.flush()
    render = partial(_notice, N_("Project {number} «{title}» was voted, and your department implements it. Its "
                                 "implementation plan is due by {due}: open the project to file it."),
                     project, due=period.last_day.isoformat())
    await outbox.tell_many(session, [outbox.Letter(
        user_id, render, key=f"project-{project.id}-event-{event.id}-{user_id}",
        buttons=((N_("Open the project"), open_data(project.id)),))
        for user_id in await directory.department_user_ids(session, project.department_id)])
    return project


async def create_voted_on_paper(session: AsyncSession, actor: Actor, candidate_id: int, voted_on: date,
                                now: datetime, rules: Rules) -> Project:
    """Staff record a candidate the congress voted on paper, before the bot was used: the plan's
    month runs from the day of that vote."""
    candidate = await candidates.get(session, actor, candidate_id)
    if candidate.department_id is None:
        raise DomainError(N_("Set the implementing unit of «{title}» first: its department files the plan."),
                          title=candidate.title)
    today = now.astimezone(rules.tz).date()
    voted_at = now if voted_on == today else datetime.combine(voted_on, time(12), tzinfo=rules.tz)
    return await create_from_candidate(session, actor, candidate.id, now, rules, voted_at=voted_at)


async def audience(session: AsyncSession, project: Project) -> list[int]:
    """Who hears of a project's news: its followers, the deputies of its station and its supervising group."""
    followers = select(ProjectFollower.user_id).where(ProjectFollower.project_id == project.id,
                                                      ProjectFollower.active.is_(True))
    deputies = select(Deputy.user_id).where(Deputy.active.is_(True), Deputy.user_id.is_not(None), (
        Deputy.station_id == project.station_id if project.station_id is not None else sa_false()) | Deputy.id.in_(
        select(ProjectSupervisor.deputy_id).where(ProjectSupervisor.project_id == project.id)))
    return sorted(set(await session.scalars(followers)) | set(await session.scalars(deputies)))


# --- staff keep the record ------------------------------------------------------------------------


async def get(session: AsyncSession, project_id: int) -> Project:
    """Projects are public: anyone may read one."""
    project = await session.get(Project, project_id)
    if project is None:
        raise NotFound()
    return project


async def to_keep(session: AsyncSession, actor: Actor, project_id: int) -> Project:
    """The project, for staff serving its station; a completed project's record is closed."""
    require(actor, Role.staff)
    project = await get(session, project_id)
    require_station(actor, project.station_id)
    if project.status == ProjectStatus.completed:
        raise DomainError(N_("Project {number} is completed; its record is closed."), number=project.number)
    return project


def _clean(field: str, value: str | None, project: Project) -> Any:
    if field == "title":
        title = one_line(value)
        if not title or len(title) > TITLE_MAX:
            raise InvalidInput(N_("A title has 1 to {max} characters."), max=TITLE_MAX)
        return title
    if field == "summary":
        summary = tidy(value)
        if not summary or len(summary) > SUMMARY_MAX:
            raise InvalidInput(N_("A summary has 1 to {max} characters."), max=SUMMARY_MAX)
        return summary
    if field == "budget":
        try:
            return money.parse_yuan(value)
        except money.NotAnAmount:
            raise InvalidInput(N_("Write the budget in yuan, for example 400000."))
    try:
        day = date.fromisoformat(one_line(value).replace("/", "-"))
    except ValueError:
        raise InvalidInput(N_("«{value}» is not a date; write it as 2026-09-30."), value=one_line(value)[:20]) from None
    if day < project.voted_at.date():
        raise InvalidInput(N_("The planned completion cannot be before the vote ({day})."),
                           day=project.voted_at.date().isoformat())
    return day


COLUMNS = {"title": "title", "summary": "summary", "budget": "budget", "completion": "planned_completion"}


async def begin_edit(session: AsyncSession, actor: Actor, project_id: int, field: str) -> Project:
    project = await to_keep(session, actor, project_id)
    if field not in EDITABLE:
        raise NotFound()
    return project


async def edit(session: AsyncSession, actor: Actor, project_id: int, field: str, value: str | None,
               now: datetime) -> Project:
    """Staff correct one field of the record; the audit keeps what it was."""
    project = await begin_edit(session, actor, project_id, field)
    new = _clean(field, value, project)
    column = COLUMNS[field]
    before = getattr(project, column)
    if new == before:
        return project
    setattr(project, column, new)
    project.updated_at = now
    audit.record(session, actor.id, "project.edit", "project", project.id, field=field,
                 before=before.isoformat() if isinstance(before, date) else before,
                 after=new.isoformat() if isinstance(new, date) else new)
    return project


def _notice(message: str, project: Project, **params: object) -> str:
    return _(message, number=project.number, title=escape(project.title, quote=False), **params)


async def begin_status(session: AsyncSession, actor: Actor, project_id: int, status: str) -> Project:
    project = await to_keep(session, actor, project_id)
    if status not in SET_BY_STAFF:
        raise NotFound()
    if project.status == ProjectStatus.plan_due:
        raise DomainError(N_("Project {number} has no accepted plan yet; its status follows the plan."),
                          number=project.number)
    return project


async def set_status(session: AsyncSession, actor: Actor, project_id: int, status: str, reason: str | None,
                     now: datetime) -> Project:
    """Staff mark a project delayed or suspended (with the reason), or in progress again; everyone
    who follows it is told."""
    project = await begin_status(session, actor, project_id, status)
    reason = one_line(reason)[:REASON_MAX] if status != ProjectStatus.in_progress else ""
    if status != ProjectStatus.in_progress and not reason:
        raise InvalidInput(N_("Say why: the reason is shown to everyone who follows the project."))
    if status == project.status and reason == project.status_reason:
        return project
    before = (project.status, project.status_reason)
    project.status, project.status_reason, project.updated_at = status, reason, now
    event = audit.record(session, actor.id, "project.status", "project", project.id, before=before[0],
                         reason_before=before[1], after=status, reason=reason)
    await session.flush()
    render = partial(_notice, STATUS_NOTICES[ProjectStatus(status)], project, reason=escape(reason, quote=False))
    await outbox.tell_many(session, [outbox.Letter(
        user_id, render, key=f"project-{project.id}-event-{event.id}-{user_id}",
        buttons=((N_("Open the project"), open_data(project.id)),))
        for user_id in sorted(set(await audience(session, project))
                              | set(await directory.department_user_ids(session, project.department_id)))])
    return project


async def change_department(session: AsyncSession, actor: Actor, project_id: int, department_id: int,
                            now: datetime) -> Project:
    """Another department implements the project from now on: it owes what the first one owed,
    on the same clock; both are told."""
    project = await to_keep(session, actor, project_id)
    department = await session.get(Department, department_id)
    if department is None:
        raise NotFound()
    if department.id == project.department_id:
        return project
    before = project.department_id
    old = await session.get(Department, before) if before else None
    project.department_id, project.updated_at = department.id, now
    event = audit.record(session, actor.id, "project.department", "project", project.id, before=before,
                         after=department.id)
    await session.flush()
    letters = [outbox.Letter(user_id, partial(_notice, N_(
        "Project {number} «{title}» is now implemented by your department ({department}), on the clock it had: "
        "open it to see what is due."), project, department=escape(department.name, quote=False)),
        key=f"project-{project.id}-event-{event.id}-{user_id}", buttons=((N_("Open the project"),
                                                                           open_data(project.id)),))
        for user_id in await directory.department_user_ids(session, department.id)]
    letters += [outbox.Letter(user_id, partial(_notice, N_(
        "Project {number} «{title}» is now implemented by {department}: your department no longer files on it."),
        project, department=escape(department.name, quote=False)),
        key=f"project-{project.id}-event-{event.id}-{user_id}")
        for user_id in await directory.department_user_ids(session, old.id if old else None)]
    await outbox.tell_many(session, letters)
    return project
