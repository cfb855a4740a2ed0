"""Deliver (zhengfu maidan): what the implementing department files on a voted project, and
how staff review it (seed 000).

Two filings, one mechanism. The implementation plan is due `Rules.plan_months` after the
vote (its clock is opened with the project, services.projects); once staff accept it the
project is in progress and owes a progress report for every quarter, due
`Rules.report_days` after the quarter ends. A quarter's report is opened at the plan's
acceptance and by a daily job at each quarter's start (`open_quarter_reports`), each with
its own deadline (reminders, then an alert to the station's staff). Staff accept a filing
or send it back with a comment: the department is told why and the clock keeps running.
A report filed again for a quarter already reported is a correction of it, audited with
what it replaced. Staff close a project with its completion report, which stops the
quarterly clocks.

Deputies comment on, or ask about, any accepted filing (seed 004); the department's clerks
answer in the bot, and the answer reaches the deputy and stays on the project's page.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import partial
from html import escape
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from models import Deadline, Department, Deputy, Role
from models.delivery import REPORT_DEADLINE, Filing, FilingComment, FilingKind, FilingStatus, ProjectFollower
from models.projects import PLAN_DEADLINE, Milestone, Project, ProjectStatus
from services import audit, candidates, deadlines, directory, outbox, privacy, projects
from services.auth import Actor, require, require_station
from services.calendar import local_day_start, period_end, zone
from services.deadlines import Stage
from services.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from services.i18n import N_, _
from services.inquiries import liaison_map
from services.projects import Rules, audience, open_data
from services.text import fit, one_line, tidy

TEXT_MAX = 3000
PERSON_MAX = 100
REASON_MAX = 500
COMMENT_MAX = 1000
MILESTONES_MAX = 12
MILESTONE_TITLE_MAX = 120
PHOTOS_MAX = 10  # one Telegram album
DOCUMENTS_MAX = 5
PDF_MAX_BYTES = 20 * 1024 * 1024  # what a bot can download from Telegram
PAGE_SIZE = 10
OPEN = (ProjectStatus.in_progress, ProjectStatus.delayed)  # projects that report every quarter

STATUS_LABELS = {
    ProjectStatus.plan_due: N_("plan due"),
    ProjectStatus.in_progress: N_("in progress"),
    ProjectStatus.delayed: N_("delayed"),
    ProjectStatus.suspended: N_("suspended"),
    ProjectStatus.completed: N_("completed"),
}
FILING_LABELS = {
    FilingStatus.due: N_("not filed yet"),
    FilingStatus.submitted: N_("waiting for the congress office"),
    FilingStatus.returned: N_("sent back"),
    FilingStatus.accepted: N_("accepted"),
}


@dataclass(frozen=True)
class PlanDraft:
    text: str
    person_in_charge: str
    milestones: list[tuple[str, date]]
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class MilestoneMove:
    milestone_id: int
    due_on: date
    reason: str


@dataclass(frozen=True)
class ReportDraft:
    percent: int
    text: str
    problems: str = ""
    percent_reason: str = ""
    photos: list[dict[str, Any]] = field(default_factory=list)
    moves: list[MilestoneMove] = field(default_factory=list)


@dataclass(frozen=True)
class Comment:
    row: FilingComment
    deputy: str  # the deputy's name
    filing: Filing


@dataclass
class Card:
    """A project with what its pages show."""

    project: Project
    department: str
    milestones: list[Milestone]
    plan: Filing | None
    reports: list[Filing]  # accepted reports, the latest first
    completion: Filing | None = None
    comments: list[Comment] = field(default_factory=list)  # the latest first
    suggestions: list[str] = field(default_factory=list)  # the numbers of the residents' suggestions behind it


def _h(value: str) -> str:
    return escape(value, quote=False)


def answer_data(comment_id: int) -> str:
    """Callback data of the department's "Answer" button on a deputy's comment (handlers.deliver.CommentCb)."""
    return f"dq:answer:{comment_id}"


def review_data(filing_id: int) -> str:
    """Callback data of the "review" button staff get (handlers.views.delivery.FilingCb)."""
    return f"df:show:{filing_id}"


# --- quarters -----------------------------------------------------------------------------------


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_last_day(quarter: str) -> date:
    year, number = int(quarter[:4]), int(quarter[5])
    if number == 4:
        return date(year, 12, 31)
    return date(year, number * 3 + 1, 1) - timedelta(days=1)


def quarter_label(quarter: str) -> str:
    return _("Q{number} {year}", number=quarter[5], year=quarter[:4])


# --- typed input ----------------------------------------------------------------------------------


def clean_text(value: str | None, limit: int = TEXT_MAX) -> str:
    text = tidy(value)
    if not text:
        raise InvalidInput(N_("The text cannot be empty."))
    return fit(text, limit)


def clean_person(value: str | None) -> str:
    person = one_line(value)
    if not person:
        raise InvalidInput(N_("Please name the person in charge."))
    if len(person) > PERSON_MAX:
        raise InvalidInput(N_("The name is at most {max} characters; yours has {n}."), max=PERSON_MAX, n=len(person))
    return person


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(one_line(value).replace("/", "-"))
    except ValueError:
        raise InvalidInput(N_("«{value}» is not a date; write it as 2026-09-30."), value=one_line(value)[:20]) from None


def not_past(day: date, today: date) -> date:
    if day < today:
        raise InvalidInput(N_("The date {day} is in the past; a plan's dates are from today on."), day=day.isoformat())
    return day


def parse_milestones(value: str | None, today: date) -> list[tuple[str, date]]:
    """One milestone a line: a date, then what is done by then ("2026-06-30 Poles installed")."""
    lines = [line for line in tidy(value).splitlines() if line.strip()]
    if not lines:
        raise InvalidInput(N_("Send at least one milestone: a date, then what is done by then."))
    if len(lines) > MILESTONES_MAX:
        raise InvalidInput(N_("A plan has at most {max} milestones; you sent {n}."), max=MILESTONES_MAX, n=len(lines))
    milestones = []
    for number, line in enumerate(lines, 1):
        day, _space, title = line.strip().partition(" ")
        title = one_line(title)
        if not title:
            raise InvalidInput(N_("Line {line}: write a date, a space, then the milestone."), line=number)
        if len(title) > MILESTONE_TITLE_MAX:
            raise InvalidInput(N_("Line {line}: a milestone is at most {max} characters."), line=number,
                               max=MILESTONE_TITLE_MAX)
        milestones.append((title, not_past(parse_date(day), today)))
    return sorted(milestones, key=lambda m: m[1])


def parse_moves(value: str | None, milestone_ids: list[int], today: date) -> list[MilestoneMove]:
    """Milestone dates moved, one a line: the milestone's number as listed, the new date, the reason."""
    moves = []
    for line in (line for line in tidy(value).splitlines() if line.strip()):
        number, _space, rest = line.strip().partition(" ")
        day, _space, reason = rest.strip().partition(" ")
        if not number.isdigit() or not 1 <= int(number) <= len(milestone_ids):
            raise InvalidInput(N_("«{number}» is not the number of a milestone above."), number=number[:10])
        if not one_line(reason):
            raise InvalidInput(N_("Moving a milestone's date needs a reason."))
        moves.append(MilestoneMove(milestone_ids[int(number) - 1], not_past(parse_date(day), today),
                                   one_line(reason)[:REASON_MAX]))
    return moves


def check_document(file_name: str | None, mime_type: str | None, size: int | None) -> dict[str, Any]:
    """An attachment to a plan: a PDF, at most 20 MB (a bot cannot fetch more from Telegram)."""
    name = (file_name or "").strip()[:200]
    if mime_type != "application/pdf" and not name.lower().endswith(".pdf"):
        raise InvalidInput(N_("Please attach the plan as a PDF; other files are not accepted."))
    if size is not None and size > PDF_MAX_BYTES:
        raise InvalidInput(N_("That PDF is {size} MB; the limit is {max} MB. Please send a smaller file "
                              "(for example, scanned at a lower resolution)."),
                           size=round(size / 1024 / 1024, 1), max=PDF_MAX_BYTES // 1024 // 1024)
    return {"kind": "document", "name": name or "plan.pdf"}


def check_percent(value: str | int) -> int:
    text = one_line(str(value)).rstrip("%％").strip()
    if not text.isascii() or not text.isdigit() or int(text) > 100:
        raise InvalidInput(N_("Send the percent done as a whole number from 0 to 100."))
    return int(text)


def _check_attachments(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    photos = [a for a in items if a.get("kind") == "photo"]
    documents = [a for a in items if a.get("kind") == "document"]
    if len(photos) > PHOTOS_MAX or len(documents) > DOCUMENTS_MAX or len(photos) + len(documents) != len(items):
        raise InvalidInput()
    return [{"kind": a["kind"], "file_id": str(a["file_id"])[:255], "name": str(a.get("name", ""))[:200]}
            for a in items]


# --- the department --------------------------------------------------------------------------------


async def own_project(session: AsyncSession, actor: Actor, project_id: int) -> Project:
    """The project, if the actor is a clerk of its implementing department."""
    project = await projects.get(session, project_id)
    if not actor.has(Role.department) or project.department_id not in actor.department_ids:
        raise PermissionDenied(N_("This project is not implemented by your department."))
    return project


async def my_projects(session: AsyncSession, actor: Actor) -> list[Project]:
    """The projects of the actor's departments that are not completed, plans due first."""
    require(actor, Role.department)
    if not actor.department_ids:
        return []
    return list(await session.scalars(select(Project).where(
        Project.department_id.in_(actor.department_ids), Project.status != ProjectStatus.completed)
        .order_by(Project.status != ProjectStatus.plan_due, Project.year, Project.seq)))


async def begin_plan(session: AsyncSession, actor: Actor, project_id: int) -> Project:
    project = await own_project(session, actor, project_id)
    if project.status != ProjectStatus.plan_due:
        raise DomainError(N_("The plan of project {number} was accepted already."), number=project.number)
    return project


async def submit_plan(session: AsyncSession, actor: Actor, project_id: int, draft: PlanDraft, now: datetime,
                      rules: Rules) -> Filing:
    """The department files (or files again, after it was sent back) the implementation plan."""
    project = await begin_plan(session, actor, project_id)
    today = now.astimezone(rules.tz).date()
    milestones = [(one_line(title)[:MILESTONE_TITLE_MAX], not_past(day, today)) for title, day in draft.milestones]
    if not milestones or len(milestones) > MILESTONES_MAX:
        raise InvalidInput(N_("Send at least one milestone: a date, then what is done by then."))
    filing = await _filing(session, project.id, FilingKind.plan, "") or Filing(
        project_id=project.id, kind=FilingKind.plan, opened_at=project.voted_at)
    again = filing.status != FilingStatus.due
    filing.text, filing.person_in_charge = clean_text(draft.text), clean_person(draft.person_in_charge)
    filing.milestones = [{"title": title, "due_on": day.isoformat()} for title, day in milestones]
    filing.attachments = _check_attachments(draft.attachments)
    await _filed(session, actor, project, filing, now, again=again)
    return filing


async def begin_report(session: AsyncSession, actor: Actor, project_id: int) -> tuple[Project, Filing, list[Milestone]]:
    """The report the department owes now (the oldest quarter not yet filed or sent back), or the
    last one filed, which a new report corrects."""
    project = await own_project(session, actor, project_id)
    if project.status not in OPEN:
        raise DomainError(N_("Project {number} is not in progress, so no progress report is due."),
                          number=project.number)
    reports = list(await session.scalars(select(Filing).where(
        Filing.project_id == project.id, Filing.kind == FilingKind.progress).order_by(Filing.quarter)))
    owed = [f for f in reports if f.status in (FilingStatus.due, FilingStatus.returned)]
    filing = owed[0] if owed else (reports[-1] if reports else None)
    if filing is None:
        raise DomainError(N_("No progress report is due for project {number} yet."), number=project.number)
    return project, filing, await milestones_of(session, project.id)


async def submit_report(session: AsyncSession, actor: Actor, project_id: int, draft: ReportDraft, now: datetime,
                        rules: Rules) -> Filing:
    project, filing, milestones = await begin_report(session, actor, project_id)
    today = now.astimezone(rules.tz).date()
    percent = check_percent(draft.percent)
    reason = one_line(draft.percent_reason)[:REASON_MAX]
    if percent < project.progress and not reason:
        raise InvalidInput(N_("The percent done was {before}; going down to {after} needs a reason."),
                           before=project.progress, after=percent)
    known = {m.id for m in milestones}
    moves = []
    for move in draft.moves:
        if move.milestone_id not in known:
            raise NotFound()
        why = one_line(move.reason)[:REASON_MAX]
        if not why:
            raise InvalidInput(N_("Moving a milestone's date needs a reason."))
        moves.append({"milestone_id": move.milestone_id, "due_on": not_past(move.due_on, today).isoformat(),
                      "reason": why})
    correction = filing.status in (FilingStatus.submitted, FilingStatus.accepted)
    if correction:
        filing.corrections += 1
        audit.record(session, actor.id, "filing.correct", "filing", filing.id, quarter=filing.quarter,
                     previous={"text": filing.text, "percent": filing.percent, "problems": filing.problems,
                               "status": filing.status})
    filing.percent, filing.percent_reason = percent, reason if percent < project.progress else ""
    filing.text = clean_text(draft.text)
    filing.problems = tidy(draft.problems)[:TEXT_MAX]
    filing.attachments = _check_attachments(draft.photos)
    filing.milestones = moves
    await _filed(session, actor, project, filing, now, again=correction or filing.status == FilingStatus.returned)
    return filing


async def _filed(session: AsyncSession, actor: Actor, project: Project, filing: Filing, now: datetime, *,
                 again: bool) -> None:
    filing.status, filing.filed_by, filing.filed_at = FilingStatus.submitted, actor.id, now
    filing.reviewed_by, filing.reviewed_at = None, None
    session.add(filing)
    await session.flush()
    event = audit.record(session, actor.id, f"filing.{filing.kind}", "filing", filing.id, project_id=project.id,
                         quarter=filing.quarter, again=again)
    await session.flush()
    department = await _department_name(session, project)
    message = (N_("The implementation plan of project {number} «{title}» from {department} is waiting for "
                  "your review.") if filing.kind == FilingKind.plan else
               N_("The progress report for {quarter} on project {number} «{title}» from {department} is waiting "
                  "for your review."))
    staff = (await liaison_map(session))(project.station_id)
    await outbox.tell_many(session, [outbox.Letter(
        user_id, partial(_project_text, message, project, filing, department=department),
        key=f"filing-{filing.id}-event-{event.id}-{user_id}", buttons=((N_("Review"), review_data(filing.id)),))
        for user_id in staff if user_id != actor.id])


# --- staff review -------------------------------------------------------------------------------------


async def to_review(session: AsyncSession, actor: Actor) -> list[tuple[Filing, Project]]:
    """Filings waiting for staff, the oldest first, of the projects of the stations the actor serves."""
    require(actor, Role.staff)
    query = (select(Filing, Project).join(Project, Project.id == Filing.project_id)
             .where(Filing.status == FilingStatus.submitted).order_by(Filing.filed_at, Filing.id).limit(50))
    if actor.stations is not None:
        query = query.where(Project.station_id.in_(actor.stations))
    return [tuple(row) for row in await session.execute(query)]


async def filing_to_review(session: AsyncSession, actor: Actor, filing_id: int) -> tuple[Filing, Project]:
    require(actor, Role.staff)
    filing = await session.get(Filing, filing_id)
    if filing is None:
        raise NotFound()
    project = await projects.get(session, filing.project_id)
    require_station(actor, project.station_id)
    return filing, project


async def review(session: AsyncSession, actor: Actor, filing_id: int, accept: bool, now: datetime, rules: Rules,
                 comment: str = "") -> Filing:
    """Staff accept a filing, or send it back with a comment (its clock keeps running)."""
    filing, project = await filing_to_review(session, actor, filing_id)
    if not accept:
        comment = clean_text(comment, COMMENT_MAX)
    status = FilingStatus.accepted if accept else FilingStatus.returned
    moved = await session.execute(update(Filing).where(Filing.id == filing.id, Filing.status == FilingStatus.submitted)
                                  .values(status=status, reviewed_by=actor.id, reviewed_at=now,
                                          review_comment="" if accept else comment))
    if moved.rowcount != 1:
        raise DomainError(N_("This filing is not waiting for review."))
    await session.refresh(filing)
    event = audit.record(session, actor.id, "filing.accept" if accept else "filing.return", "filing", filing.id,
                         project_id=project.id, quarter=filing.quarter, comment=comment)
    await session.flush()
    if accept:
        await (_accept_plan if filing.kind == FilingKind.plan else _accept_report)(session, project, filing, now, rules)
        await _tell_followers(session, project, filing, event.id)
    clerks = await directory.department_user_ids(session, project.department_id)
    if accept:
        message = (N_("The congress office accepted the implementation plan of project {number} «{title}». "
                      "Progress is now reported every quarter.") if filing.kind == FilingKind.plan else
                   N_("The congress office accepted the progress report for {quarter} on project {number} «{title}»."))
    else:
        message = N_("The congress office sent back the {filing} of project {number} «{title}»: {comment}\n"
                     "Please file it again; the due date stays as it was.")
    await outbox.tell_many(session, [outbox.Letter(
        user_id, partial(_project_text, message, project, filing, comment=_h(comment)),
        key=f"filing-{filing.id}-event-{event.id}-{user_id}", buttons=((N_("Open the project"),
                                                                             open_data(project.id)),))
        for user_id in clerks])
    return filing


async def _accept_plan(session: AsyncSession, project: Project, filing: Filing, now: datetime, rules: Rules) -> None:
    await session.execute(delete(Milestone).where(Milestone.project_id == project.id))
    for position, item in enumerate(filing.milestones):
        session.add(Milestone(project_id=project.id, position=position, title=item["title"],
                              due_on=date.fromisoformat(item["due_on"])))
    if filing.milestones:
        project.planned_completion = max(date.fromisoformat(m["due_on"]) for m in filing.milestones)
    project.status, project.updated_at = ProjectStatus.in_progress, now
    await deadlines.close_deadline(session, PLAN_DEADLINE, project.id, now)
    await open_report(session, project, quarter_of(now.astimezone(rules.tz).date()), now, rules)


async def _accept_report(session: AsyncSession, project: Project, filing: Filing, now: datetime,
                         rules: Rules) -> None:
    project.progress, project.updated_at = filing.percent or 0, now
    for move in filing.milestones:
        milestone = await session.get(Milestone, move["milestone_id"])
        if milestone is not None and milestone.project_id == project.id:
            milestone.due_on = date.fromisoformat(move["due_on"])
    await deadlines.close_deadline(session, REPORT_DEADLINE, filing.id, now)


# --- the completion report -------------------------------------------------------------------------

COMPLETION_NOTICE = N_("Project {number} «{title}» is completed.\n{text}")


async def begin_completion(session: AsyncSession, actor: Actor, project_id: int) -> Project:
    project = await projects.to_keep(session, actor, project_id)
    if project.status not in OPEN:
        raise DomainError(N_("Project {number} is not in progress, so it cannot be closed as completed."),
                          number=project.number)
    return project


async def complete(session: AsyncSession, actor: Actor, project_id: int, text: str | None,
                   attachments: list[dict[str, Any]], now: datetime) -> Filing:
    """Staff close a project in progress with its completion report: the quarterly clocks stop,
    and everyone who follows it, its deputies and its department are told."""
    project = await begin_completion(session, actor, project_id)
    filing = Filing(project_id=project.id, kind=FilingKind.completion, status=FilingStatus.accepted,
                    text=clean_text(text), attachments=_check_attachments(attachments), opened_at=now,
                    filed_by=actor.id, filed_at=now, reviewed_by=actor.id, reviewed_at=now)
    closed = await session.execute(update(Project).where(Project.id == project.id, Project.status.in_(OPEN))
                                   .values(status=ProjectStatus.completed, progress=100, completed_at=now,
                                           updated_at=now))
    if closed.rowcount != 1:
        raise DomainError(N_("Project {number} is not in progress, so it cannot be closed as completed."),
                          number=project.number)
    await session.refresh(project)
    session.add(filing)
    await session.flush()
    for filing_id in await session.scalars(select(Filing.id).where(
            Filing.project_id == project.id, Filing.kind == FilingKind.progress,
            Filing.status != FilingStatus.accepted)):
        await deadlines.close_deadline(session, REPORT_DEADLINE, filing_id, now)
    event = audit.record(session, actor.id, "project.complete", "project", project.id, filing_id=filing.id)
    await session.flush()
    render = partial(_project_text, COMPLETION_NOTICE, project, filing, text=_h(filing.text[:600]))
    recipients = set(await audience(session, project)) | set(
        await directory.department_user_ids(session, project.department_id))
    await outbox.tell_many(session, [outbox.Letter(
        user_id, render, key=f"filing-{filing.id}-event-{event.id}-{user_id}",
        buttons=((N_("Open the project"), open_data(project.id)),)) for user_id in sorted(recipients - {actor.id})])
    return filing


# --- deputies' comments and the department's answers ---------------------------------------------------

COMMENTS_WAITING_MAX = 3  # unanswered comments one deputy may have on one project


async def commentable(session: AsyncSession, actor: Actor, project_id: int) -> tuple[Project, list[Filing]]:
    """What a deputy may comment on: the project's accepted filings, the latest first."""
    require(actor, Role.deputy)
    project = await projects.get(session, project_id)
    filings = list(await session.scalars(select(Filing).where(
        Filing.project_id == project.id, Filing.status == FilingStatus.accepted)
        .order_by(Filing.kind == FilingKind.plan, Filing.quarter.desc()).limit(8)))
    if not filings:
        raise DomainError(N_("Nothing has been filed on project {number} yet: you can comment once its plan is "
                             "accepted."), number=project.number)
    return project, filings


async def filing_to_comment(session: AsyncSession, actor: Actor, filing_id: int) -> tuple[Project, Filing]:
    require(actor, Role.deputy)
    filing = await session.get(Filing, filing_id)
    if filing is None or filing.status != FilingStatus.accepted:
        raise NotFound()
    return await projects.get(session, filing.project_id), filing


async def comment(session: AsyncSession, actor: Actor, filing_id: int, text: str | None,
                  now: datetime) -> FilingComment:
    """A deputy comments on, or asks about, an accepted filing; the department's clerks are asked to answer."""
    project, filing = await filing_to_comment(session, actor, filing_id)
    body = clean_text(text, COMMENT_MAX)
    waiting = await session.scalar(select(func.count()).select_from(FilingComment).where(
        FilingComment.project_id == project.id, FilingComment.author_id == actor.id,
        FilingComment.answer.is_(None)))
    if waiting >= COMMENTS_WAITING_MAX:
        raise DomainError(N_("You have {n} questions on project {number} waiting for an answer; please wait for "
                             "them first."), n=waiting, number=project.number)
    row = FilingComment(filing_id=filing.id, project_id=project.id, author_id=actor.id, deputy_id=actor.deputy_id,
                        text=body, created_at=now)
    session.add(row)
    await session.flush()
    audit.record(session, actor.id, "filing.comment", "filing", filing.id, comment_id=row.id)
    deputy = await session.get(Deputy, actor.deputy_id) if actor.deputy_id else None
    render = partial(_project_text, N_("Deputy {deputy} on the {filing} of project {number} «{title}»:\n{text}"),
                     project, filing, deputy=_h(deputy.name if deputy else actor.user.first_name), text=_h(body))
    await outbox.tell_many(session, [outbox.Letter(
        user_id, render, key=f"comment-{row.id}-{user_id}", buttons=((N_("Answer"), answer_data(row.id)),))
        for user_id in await directory.department_user_ids(session, project.department_id)])
    return row


async def comment_to_answer(session: AsyncSession, actor: Actor, comment_id: int) -> tuple[FilingComment, Project]:
    row = await session.get(FilingComment, comment_id)
    if row is None:
        raise NotFound()
    project = await own_project(session, actor, row.project_id)
    if row.answer is not None:
        raise DomainError(N_("This comment has been answered already."))
    return row, project


async def answer(session: AsyncSession, actor: Actor, comment_id: int, text: str | None,
                 now: datetime) -> FilingComment:
    """The department answers a deputy's comment, once; the deputy is told."""
    row, project = await comment_to_answer(session, actor, comment_id)
    body = clean_text(text, COMMENT_MAX)
    moved = await session.execute(update(FilingComment).where(
        FilingComment.id == row.id, FilingComment.answer.is_(None)).values(
        answer=body, answered_by=actor.id, answered_at=now))
    if moved.rowcount != 1:
        raise DomainError(N_("This comment has been answered already."))
    await session.refresh(row)
    audit.record(session, actor.id, "filing.answer", "filing", row.filing_id, comment_id=row.id)
    filing = await session.get(Filing, row.filing_id)
    render = partial(_project_text, N_("{department} answered your comment on the {filing} of project {number} "
                                       "«{title}»:\n{text}"), project, filing,
                     department=await _department_name(session, project), text=_h(body))
    await outbox.tell_many(session, [outbox.Letter(row.author_id, render, key=f"comment-{row.id}-answer",
                                                   buttons=((N_("Open the project"), open_data(project.id)),))])
    return row


async def comments_of(session: AsyncSession, project_id: int, limit: int = 5) -> list[Comment]:
    rows = (await session.execute(select(FilingComment, Deputy.name, Filing).join(
        Filing, Filing.id == FilingComment.filing_id).outerjoin(Deputy, Deputy.id == FilingComment.deputy_id)
        .where(FilingComment.project_id == project_id).order_by(FilingComment.id.desc()).limit(limit))).all()
    return [Comment(row, _h(name or "-"), filing) for row, name, filing in rows]


async def _describe_comments(session: AsyncSession, user_id: int) -> list[str]:
    count = await session.scalar(select(func.count()).select_from(FilingComment).where(
        FilingComment.author_id == user_id))
    return [_("Your comments on projects' filings: {n}.", n=count)] if count else []


async def _erase_comments(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(FilingComment).where(FilingComment.author_id == user_id))


privacy.register(privacy.DataSection("comments on filings", _describe_comments, _erase_comments))


# --- followers ------------------------------------------------------------------------------------------

PLAN_NOTICE = N_("Project {number} «{title}» has its implementation plan: {milestones} milestones, completion "
                 "planned by {day}.")
REPORT_NOTICE = N_("Progress of project {number} «{title}» in {quarter}: {percent}% done.\n{text}")


async def is_following(session: AsyncSession, actor: Actor, project_id: int) -> bool:
    return bool(await session.scalar(select(ProjectFollower.active).where(
        ProjectFollower.project_id == project_id, ProjectFollower.user_id == actor.id)))


async def follow(session: AsyncSession, actor: Actor, project_id: int, on: bool, now: datetime) -> bool:
    """Anyone follows a project, or stops (an automatic follow too); returns whether they follow now."""
    project = await projects.get(session, project_id)
    row = await session.scalar(select(ProjectFollower).where(
        ProjectFollower.project_id == project.id, ProjectFollower.user_id == actor.id))
    if row is None:
        if not on:
            return False
        row = ProjectFollower(project_id=project.id, user_id=actor.id, created_at=now)
        session.add(row)
    row.active = on
    await session.flush()
    audit.record(session, actor.id, "project.follow" if on else "project.unfollow", "project", project.id)
    return on


async def _tell_followers(session: AsyncSession, project: Project, filing: Filing, event_id: int) -> None:
    if filing.kind == FilingKind.plan:
        render = partial(_project_text, PLAN_NOTICE, project, filing, milestones=len(filing.milestones),
                         day=project.planned_completion.isoformat() if project.planned_completion else "-")
    else:
        render = partial(_project_text, REPORT_NOTICE, project, filing, percent=filing.percent or 0,
                         text=_h(filing.text[:600]))
    await outbox.tell_many(session, [outbox.Letter(
        user_id, render, key=f"filing-{filing.id}-event-{event_id}-{user_id}",
        buttons=((N_("Open the project"), open_data(project.id)),)) for user_id in await audience(session, project)])


async def _describe_followed(session: AsyncSession, user_id: int) -> list[str]:
    rows = await session.execute(select(Project).join(ProjectFollower, ProjectFollower.project_id == Project.id)
                                 .where(ProjectFollower.user_id == user_id, ProjectFollower.active.is_(True))
                                 .order_by(Project.year, Project.seq))
    return [_("You follow project {number} «{title}».", number=p.number, title=_h(p.title)) for p in rows.scalars()]


async def _erase_followed(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(ProjectFollower).where(ProjectFollower.user_id == user_id))


privacy.register(privacy.DataSection("projects followed", _describe_followed, _erase_followed))


# --- quarterly reports ------------------------------------------------------------------------------------


async def open_report(session: AsyncSession, project: Project, quarter: str, now: datetime, rules: Rules) -> bool:
    """Owe the report of `quarter` (once: a second call, or a racing job, is a no-op), due
    `rules.report_days` after the quarter's last day."""
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    made = await session.execute(insert(Filing.__table__).values(
        project_id=project.id, kind=FilingKind.progress, quarter=quarter, status=FilingStatus.due, text="",
        person_in_charge="", percent_reason="", problems="", milestones=[], attachments=[], corrections=0,
        opened_at=now, review_comment="").on_conflict_do_nothing(
        index_elements=["project_id", "kind", "quarter"]).returning(Filing.__table__.c.id))
    filing_id = made.scalar()
    if filing_id is None:
        return False
    last = quarter_last_day(quarter)
    period = replace(period_end(local_day_start(last, rules.tz), days=rules.report_days, tz=rules.tz,
                                calendar=rules.calendar), start=now)
    await deadlines.open_period(session, kind=REPORT_DEADLINE, subject_id=filing_id, period=period,
                                remind_days=rules.remind_days, tz=rules.tz, calendar=rules.calendar,
                                station_id=project.station_id)
    return True


async def open_quarter_reports(session: AsyncSession, now: datetime, rules: Rules) -> int:
    """Every project in progress owes the report of the quarter under way (the hourly job quarter_reports)."""
    quarter = quarter_of(now.astimezone(rules.tz).date())
    reported = select(Filing.project_id).where(Filing.kind == FilingKind.progress, Filing.quarter == quarter)
    opened = 0
    for project in await session.scalars(select(Project).where(Project.status.in_(OPEN),
                                                               Project.id.not_in(reported))):
        opened += await open_report(session, project, quarter, now, rules)
    return opened


async def due_on(session: AsyncSession, kind: str, subject_id: int) -> date | None:
    """The last day of the filing's open clock (local), for what the department sees."""
    due_at = await session.scalar(select(Deadline.due_at).where(
        Deadline.kind == kind, Deadline.subject_id == subject_id, Deadline.closed_at.is_(None)))
    return _last_day(due_at) if due_at else None


def _last_day(due_at: datetime) -> date:
    return (due_at - timedelta(microseconds=1)).astimezone(zone()).date()


# --- reading -------------------------------------------------------------------------------------------


async def milestones_of(session: AsyncSession, project_id: int) -> list[Milestone]:
    return list(await session.scalars(select(Milestone).where(Milestone.project_id == project_id)
                                      .order_by(Milestone.due_on, Milestone.position)))


async def _filing(session: AsyncSession, project_id: int, kind: str, quarter: str) -> Filing | None:
    return await session.scalar(select(Filing).where(Filing.project_id == project_id, Filing.kind == kind,
                                                     Filing.quarter == quarter))


async def card(session: AsyncSession, project_id: int) -> Card:
    """What anyone may read of a project (projects are public): the accepted plan and reports."""
    project = await projects.get(session, project_id)
    plan = await _filing(session, project.id, FilingKind.plan, "")
    reports = list(await session.scalars(select(Filing).where(
        Filing.project_id == project.id, Filing.kind == FilingKind.progress,
        Filing.status == FilingStatus.accepted).order_by(Filing.quarter.desc()).limit(4)))
    return Card(project, await _department_name(session, project), await milestones_of(session, project.id),
                plan, reports, await _filing(session, project.id, FilingKind.completion, ""),
                await comments_of(session, project.id),
                [s.number for s in await candidates.behind(session, project.candidate_id) if s.number])


@dataclass(frozen=True)
class Listed:
    project: Project
    department: str
    last_report: datetime | None


async def this_years(session: AsyncSession, now: datetime, rules: Rules, page: int = 0) -> tuple[list[Listed], bool]:
    """Public: one page of the projects voted for this year, with their last accepted report."""
    year = now.astimezone(rules.tz).year
    rows = list(await session.scalars(select(Project).where(Project.year == year).order_by(Project.seq)
                                      .offset(max(page, 0) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
    shown = rows[:PAGE_SIZE]
    ids = [p.id for p in shown]
    last = dict((await session.execute(select(Filing.project_id, func.max(Filing.filed_at)).where(
        Filing.project_id.in_(ids), Filing.kind == FilingKind.progress, Filing.status == FilingStatus.accepted)
        .group_by(Filing.project_id))).all()) if ids else {}
    names = dict((await session.execute(select(Department.id, Department.name).where(
        Department.id.in_({p.department_id for p in shown} - {None})))).all())
    return [Listed(p, _h(names.get(p.department_id, "-")), last.get(p.id)) for p in shown], len(rows) > PAGE_SIZE


async def _department_name(session: AsyncSession, project: Project) -> str:
    department = await session.get(Department, project.department_id) if project.department_id else None
    return _h(department.name) if department else "-"


def status_label(project: Project) -> str:
    return _(STATUS_LABELS[ProjectStatus(project.status)])


def filing_name(filing: Filing) -> str:
    if filing.kind == FilingKind.plan:
        return _("implementation plan")
    if filing.kind == FilingKind.completion:
        return _("completion report")
    return _("progress report for {quarter}", quarter=quarter_label(filing.quarter))


def _project_text(message: str, project: Project, filing: Filing | None = None, **params: object) -> str:
    extra = {"quarter": quarter_label(filing.quarter), "filing": filing_name(filing)} if filing and filing.quarter \
        else {"filing": filing_name(filing)} if filing else {}
    return _(message, number=project.number, title=_h(project.title), **extra, **params)


# --- deadlines -----------------------------------------------------------------------------------------

DEPARTMENT_TEXT = {
    PLAN_DEADLINE: {
        Stage.remind: N_("Reminder: the implementation plan of project {number} «{title}» is due by {due}."),
        Stage.due_day: N_("Today is the last day to file the implementation plan of project {number} «{title}»."),
        Stage.escalate: N_("The implementation plan of project {number} «{title}» is overdue (it was due {due}). "
                           "Please file it now; the congress office has been told."),
    },
    REPORT_DEADLINE: {
        Stage.remind: N_("Reminder: the progress report for {quarter} on project {number} «{title}» is due by {due}."),
        Stage.due_day: N_("Today is the last day to file the progress report for {quarter} on project {number} "
                          "«{title}»."),
        Stage.escalate: N_("The progress report for {quarter} on project {number} «{title}» is overdue (it was due "
                           "{due}). Please file it now; the congress office has been told."),
    },
}
STAFF_OVERDUE = N_("Overdue: {department} has not filed the {filing} of project {number} «{title}», due {due}.")


async def _on_stage(session: AsyncSession, due: list[Row], stage: Stage, now: datetime) -> None:
    """Remind the department's clerks before and on the last day; when overdue, tell them and the
    staff of the project's station. Projects are few (tens a year): read per batch, in bulk."""
    kind = due[0].kind
    if kind == REPORT_DEADLINE:
        filings = {f.id: f for f in await session.scalars(select(Filing).where(
            Filing.id.in_([d.subject_id for d in due])))}
        project_ids = {f.project_id for f in filings.values()}
    else:
        filings, project_ids = {}, {d.subject_id for d in due}
    found = {p.id: p for p in await session.scalars(select(Project).where(Project.id.in_(project_ids)))}
    names = dict((await session.execute(select(Department.id, Department.name).where(
        Department.id.in_({p.department_id for p in found.values()} - {None})))).all())
    staff = await liaison_map(session) if stage == Stage.escalate else None
    letters: list[outbox.Letter] = []
    for deadline in due:
        filing = filings.get(deadline.subject_id)
        project = found.get(filing.project_id if filing else deadline.subject_id)
        if project is None or (kind == REPORT_DEADLINE and filing is None):
            continue
        params = dict(due=_last_day(deadline.due_at).isoformat())
        button = ((N_("Open the project"), open_data(project.id)),)
        for user_id in await directory.department_user_ids(session, project.department_id):
            letters.append(outbox.Letter(user_id, partial(_project_text, DEPARTMENT_TEXT[kind][stage], project, filing,
                                                          **params),
                                         key=f"deadline-{deadline.id}-{stage}-{user_id}", buttons=button))
        if staff is None:
            continue
        department = _h(names.get(project.department_id, "-"))
        plan = Filing(project_id=project.id, kind=FilingKind.plan)
        for user_id in staff(deadline.station_id):
            letters.append(outbox.Letter(user_id, partial(_project_text, STAFF_OVERDUE, project, filing or plan,
                                                          department=department, **params),
                                         key=f"deadline-{deadline.id}-{stage}-{user_id}", buttons=button))
    await outbox.tell_many(session, letters)


async def _describe(session: AsyncSession, deadline: Deadline) -> str:
    filing = await session.get(Filing, deadline.subject_id) if deadline.kind == REPORT_DEADLINE else None
    project = await session.get(Project, filing.project_id if filing else deadline.subject_id)
    if project is None:
        return f"{deadline.kind} #{deadline.subject_id}"
    return _("Project {number} «{title}» · {filing} · {department}", number=project.number, title=_h(project.title),
             filing=filing_name(filing or Filing(project_id=project.id, kind=FilingKind.plan)),
             department=await _department_name(session, project))


async def _locate(session: AsyncSession, deadline: Deadline) -> deadlines.Place:
    """Owned by the project's implementing department; staff open the project's card."""
    filing = await session.get(Filing, deadline.subject_id) if deadline.kind == REPORT_DEADLINE else None
    project = await session.get(Project, filing.project_id if filing else deadline.subject_id)
    if project is None:
        return deadlines.Place("")
    return deadlines.Place(await directory.department_name(session, project.department_id), open_data(project.id))


deadlines.register_kind(PLAN_DEADLINE, _on_stage, _describe, locate=_locate, owner=deadlines.Owner(
    select(Department.name).join(Project, Project.department_id == Department.id)
    .where(Project.id == Deadline.subject_id).scalar_subquery()))
deadlines.register_kind(REPORT_DEADLINE, _on_stage, _describe, locate=_locate, owner=deadlines.Owner(
    select(Department.name).join(Project, Project.department_id == Department.id)
    .join(Filing, Filing.project_id == Project.id).where(Filing.id == Deadline.subject_id).scalar_subquery()))
