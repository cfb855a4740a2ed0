"""Verify: the year-end satisfaction evaluation (seed 000: "a year-end completion report and a
satisfaction evaluation, results published"; seed 002: satisfaction above 90 %).

Staff of the whole office open the evaluation of one year's projects with a close day. Every
deputy, and if staff choose, every resident following a project, rates each project once:
satisfied, basically satisfied or dissatisfied, with an optional comment. A second rating of
the same project is refused; a change before the close replaces the first and is audited. At
the end of the close day the sweep (a deadline kind with its escalation only) closes it and
publishes per project: the rate = (satisfied + basically satisfied) / ratings, the counts per
answer, deputies and residents apart, and the comments, to every deputy and every follower.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from sqlalchemy import Row, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Deadline, Deputy
from models.delivery import ProjectFollower
from models.evaluations import CLOSE_DEADLINE, Answer, Evaluation, Rating
from models.projects import Project
from services import audit, deadlines, outbox, privacy
from services.auth import Actor, require_whole_office
from services.calendar import local_day_start
from services.deadlines import Stage
from services.delivery import _last_day
from services.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from services.i18n import N_, _
from services.text import fit, tidy

COMMENT_MAX = 500
ANSWER_LABELS = {
    Answer.satisfied: N_("satisfied"),
    Answer.basic: N_("basically satisfied"),
    Answer.dissatisfied: N_("dissatisfied"),
}


def _h(value: str) -> str:
    return escape(value, quote=False)


def answer_label(value: str) -> str:
    return _(ANSWER_LABELS[Answer(value)])


def rate_data(evaluation_id: int) -> str:
    """Callback data of the "rate the projects" button (handlers.evaluation.EvalCb)."""
    return f"ve:list:{evaluation_id}:0:"


def close_day(evaluation: Evaluation) -> date:
    """The last local day people may rate."""
    return _last_day(evaluation.closes_at)


def clean_answer(value: str) -> str:
    if value not in Answer.__members__:
        raise InvalidInput()
    return value


def clean_comment(value: str | None) -> str:
    text = tidy(value)
    return fit(text, COMMENT_MAX)


# --- staff ---------------------------------------------------------------------------------------------------


async def current(session: AsyncSession, year: int) -> Evaluation | None:
    return await session.scalar(select(Evaluation).where(Evaluation.year == year))


OPENED = N_("The year-end evaluation of {year}'s livelihood projects is open until {day}: please rate each project "
            "(satisfied, basically satisfied or dissatisfied).")


async def open_evaluation(session: AsyncSession, actor: Actor, year: int, close_day: date, residents: bool,
                          now: datetime, tz: ZoneInfo) -> Evaluation:
    """Staff of the whole office open a year's evaluation, once, until the end of `close_day`."""
    require_whole_office(actor)
    if await current(session, year) is not None:
        raise DomainError(N_("The evaluation of {year} was opened already."), year=year)
    if close_day <= now.astimezone(tz).date():
        raise InvalidInput(N_("The close day must be after today."))
    projects = await _projects(session, year)
    if not projects:
        raise DomainError(N_("No project was voted for {year}; there is nothing to evaluate."), year=year)
    closes_at = local_day_start(close_day + timedelta(days=1), tz)
    evaluation = Evaluation(year=year, residents=residents, opened_by=actor.id, opened_at=now, closes_at=closes_at)
    session.add(evaluation)
    await session.flush()
    await deadlines.open_deadline(session, kind=CLOSE_DEADLINE, subject_id=evaluation.id, started_at=now,
                                  due_at=closes_at, owner_id=None)
    audit.record(session, actor.id, "evaluation.open", "evaluation", evaluation.id, year=year, residents=residents,
                 close_day=close_day.isoformat())
    await outbox.tell_many(session, [outbox.Letter(
        user_id, lambda: _(OPENED, year=year, day=close_day.isoformat()), key=f"evaluation-{evaluation.id}-open-{user_id}",
        buttons=((N_("Rate the projects"), rate_data(evaluation.id)),))
        for user_id in await _raters(session, evaluation, [p.id for p in projects])])
    return evaluation


async def _projects(session: AsyncSession, year: int) -> list[Project]:
    return list(await session.scalars(select(Project).where(Project.year == year).order_by(Project.seq)))


async def _deputy_users(session: AsyncSession) -> set[int]:
    return set(await session.scalars(select(Deputy.user_id).where(Deputy.active.is_(True),
                                                                  Deputy.user_id.is_not(None))))


async def _followers(session: AsyncSession, project_ids: list[int]) -> dict[int, set[int]]:
    """Each follower's followed projects among these."""
    found: dict[int, set[int]] = {}
    for user_id, project_id in await session.execute(select(ProjectFollower.user_id, ProjectFollower.project_id).where(
            ProjectFollower.project_id.in_(project_ids), ProjectFollower.active.is_(True))):
        found.setdefault(user_id, set()).add(project_id)
    return found


async def _raters(session: AsyncSession, evaluation: Evaluation, project_ids: list[int]) -> list[int]:
    raters = await _deputy_users(session)
    if evaluation.residents:
        raters |= set(await _followers(session, project_ids))
    return sorted(raters)


# --- rating ---------------------------------------------------------------------------------------------------


@dataclass
class Rateable:
    evaluation: Evaluation
    projects: list[Project]
    mine: dict[int, Rating]  # project id → the actor's rating
    as_deputy: bool


async def _open(session: AsyncSession, evaluation_id: int, now: datetime) -> Evaluation:
    evaluation = await session.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise NotFound()
    if evaluation.closed_at is not None or now >= evaluation.closes_at:
        raise DomainError(N_("The evaluation of {year} is closed."), year=evaluation.year)
    return evaluation


async def rateable(session: AsyncSession, actor: Actor, evaluation_id: int, now: datetime) -> Rateable:
    """What the actor may rate: every project as a deputy; as a resident, those they follow (if staff allowed)."""
    evaluation = await _open(session, evaluation_id, now)
    projects = await _projects(session, evaluation.year)
    as_deputy = actor.deputy_id is not None
    if not as_deputy:
        followed = (await _followers(session, [p.id for p in projects])).get(actor.id, set()) \
            if evaluation.residents else set()
        projects = [p for p in projects if p.id in followed]
        if not projects:
            raise PermissionDenied(N_("This evaluation is for deputies and for residents following a project."))
    mine = {r.project_id: r for r in await session.scalars(select(Rating).where(
        Rating.evaluation_id == evaluation.id, Rating.user_id == actor.id))}
    return Rateable(evaluation, projects, mine, as_deputy)


async def rate(session: AsyncSession, actor: Actor, evaluation_id: int, project_id: int, answer: str, now: datetime,
               *, change: bool = False) -> Rating:
    """One rating per person and project: a second is refused; `change` replaces the first (audited)."""
    allowed = await rateable(session, actor, evaluation_id, now)
    if project_id not in {p.id for p in allowed.projects}:
        raise PermissionDenied()
    answer = clean_answer(answer)
    rating = allowed.mine.get(project_id)
    if rating is not None and not change:
        raise DomainError(N_("You rated this project already ({answer}). To change it, press «Change my rating»."),
                          answer=answer_label(rating.answer))
    if rating is None:
        rating = Rating(evaluation_id=evaluation_id, project_id=project_id, user_id=actor.id,
                        as_deputy=allowed.as_deputy, answer=answer, created_at=now, updated_at=now)
        session.add(rating)
        await session.flush()
        audit.record(session, actor.id, "rating.add", "rating", rating.id, project_id=project_id, answer=answer)
        return rating
    audit.record(session, actor.id, "rating.change", "rating", rating.id, project_id=project_id,
                 previous={"answer": rating.answer, "comment": rating.comment}, answer=answer)
    rating.answer, rating.updated_at = answer, now
    return rating


async def comment(session: AsyncSession, actor: Actor, evaluation_id: int, project_id: int, text: str | None,
                  now: datetime) -> Rating:
    """The optional comment of one's own rating, while the evaluation is open."""
    await _open(session, evaluation_id, now)
    rating = await session.scalar(select(Rating).where(Rating.evaluation_id == evaluation_id,
                                                       Rating.project_id == project_id, Rating.user_id == actor.id))
    if rating is None:
        raise NotFound()
    if rating.comment:
        audit.record(session, actor.id, "rating.comment", "rating", rating.id, previous=rating.comment)
    rating.comment, rating.updated_at = clean_comment(text), now
    return rating


# --- results ------------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    counts: dict[str, int] = field(default_factory=lambda: {a.value: 0 for a in Answer})

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def rate(self) -> float | None:
        """(satisfied + basically satisfied) / ratings, in percent; None without ratings."""
        if not self.total:
            return None
        return 100 * (self.counts[Answer.satisfied] + self.counts[Answer.basic]) / self.total


@dataclass
class ProjectResult:
    project: Project
    deputies: Tally
    residents: Tally
    comments: list[str]

    @property
    def overall(self) -> Tally:
        both = Tally()
        for tally in (self.deputies, self.residents):
            for answer, n in tally.counts.items():
                both.counts[answer] += n
        return both


async def results(session: AsyncSession, evaluation: Evaluation) -> list[ProjectResult]:
    projects = await _projects(session, evaluation.year)
    found = {p.id: ProjectResult(p, Tally(), Tally(), []) for p in projects}
    for rating in await session.scalars(select(Rating).where(Rating.evaluation_id == evaluation.id)
                                        .order_by(Rating.created_at, Rating.id)):
        result = found.get(rating.project_id)
        if result is None:
            continue
        (result.deputies if rating.as_deputy else result.residents).counts[rating.answer] += 1
        if rating.comment:
            result.comments.append(rating.comment)
    return list(found.values())


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def tally_line(tally: Tally) -> str:
    return _("{rate} ({n} ratings: {satisfied} satisfied, {basic} basically satisfied, {dissatisfied} dissatisfied)",
             rate=percent(tally.rate), n=tally.total, satisfied=tally.counts[Answer.satisfied],
             basic=tally.counts[Answer.basic], dissatisfied=tally.counts[Answer.dissatisfied])


def render_results(evaluation: Evaluation, found: list[ProjectResult], comments: int = 3) -> str:
    """The published results, in the current language (HTML)."""
    lines = [_("<b>Year-end evaluation of {year}'s projects: results</b>", year=evaluation.year)]
    for result in found:
        p = result.project
        lines += ["", _("<b>{number} «{title}»</b>: {rate} satisfied", number=p.number, title=_h(p.title),
                        rate=percent(result.overall.rate)),
                  _("Deputies: {line}", line=tally_line(result.deputies)),
                  _("Residents: {line}", line=tally_line(result.residents))]
        lines += [f"  “{_h(text[:200])}”" for text in result.comments[:comments]]
    return "\n".join(lines)


def _fitting(evaluation: Evaluation, found: list[ProjectResult]) -> str:
    """The results in one Telegram message: with fewer comments when they do not fit."""
    for comments in (3, 1, 0):
        text = render_results(evaluation, found, comments)
        if len(text) <= 4000:
            return text
    return text[:4000]


async def close(session: AsyncSession, evaluation: Evaluation, now: datetime) -> int:
    """Close and publish to every deputy and follower of the year's projects; returns how many were told."""
    if evaluation.closed_at is not None:
        return 0
    evaluation.closed_at = now
    found = await results(session, evaluation)
    audit.record(session, None, "evaluation.close", "evaluation", evaluation.id, rates={
        r.project.number: r.overall.rate for r in found})
    audience = (await _deputy_users(session)) | set(await _followers(session, [r.project.id for r in found]))
    return await outbox.tell_many(session, [outbox.Letter(
        user_id, lambda: _fitting(evaluation, found), key=f"evaluation-{evaluation.id}-results-{user_id}")
        for user_id in sorted(audience)])


async def close_now(session: AsyncSession, actor: Actor, evaluation_id: int, now: datetime) -> Evaluation:
    """Staff close before the close day (e.g. every rating is in)."""
    require_whole_office(actor)
    evaluation = await _open(session, evaluation_id, now)
    await deadlines.close_deadline(session, CLOSE_DEADLINE, evaluation.id, now)
    audit.record(session, actor.id, "evaluation.close_now", "evaluation", evaluation.id)
    await close(session, evaluation, now)
    return evaluation


async def counted(session: AsyncSession, evaluation_id: int) -> int:
    return await session.scalar(select(func.count(Rating.id)).where(Rating.evaluation_id == evaluation_id)) or 0


async def _on_close(session: AsyncSession, due: list[Row], stage: Stage, now: datetime) -> None:
    """The close day is over: close and publish (the escalation is the only stage of this kind)."""
    for evaluation in await session.scalars(select(Evaluation).where(Evaluation.id.in_([d.subject_id for d in due]))):
        await close(session, evaluation, now)


async def _describe(session: AsyncSession, deadline: Deadline) -> str:
    evaluation = await session.get(Evaluation, deadline.subject_id)
    return _("Year-end evaluation of {year}: closes", year=evaluation.year) if evaluation else \
        f"{deadline.kind} #{deadline.subject_id}"


async def _locate(session: AsyncSession, deadline: Deadline) -> deadlines.Place:
    return deadlines.Place(_("Congress office"))


deadlines.register_kind(CLOSE_DEADLINE, _on_close, _describe, locate=_locate,
                        owner=deadlines.Owner(label=lambda _name: _("Congress office")))


async def _describe_ratings(session: AsyncSession, user_id: int) -> list[str]:
    rows = await session.execute(select(Project, Rating).join(Rating, Rating.project_id == Project.id)
                                 .where(Rating.user_id == user_id).order_by(Project.year, Project.seq))
    return [_("You rated project {number} «{title}»: {answer}.", number=p.number, title=_h(p.title),
              answer=answer_label(r.answer)) for p, r in rows.all()]


async def _erase_ratings(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(Rating).where(Rating.user_id == user_id))


privacy.register(privacy.DataSection("project ratings", _describe_ratings, _erase_ratings))
