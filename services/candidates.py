"""The candidate pool (houxuan xiangmu ku): staff turn suggestions into candidate projects for the vote.

A candidate starts from one accepted suggestion; similar suggestions are merged into it,
so the pool shows how many residents stand behind each project.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Department, Role
from models.suggestions import Candidate, Suggestion, SuggestionStatus, Support
from services import audit, directory, money, suggestions
from services.auth import Actor, require
from services.directory import Page, paginate
from services.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from services.i18n import N_, _
from services.text import one_line, tidy

S = SuggestionStatus
TITLE_MAX = 120
SUMMARY_MAX = 2000
COST_MAX = money.MAX_YUAN
POOL_PAGE = 5
MERGE_CHOICES = 10

IN_POOL = "pool"
STAGES = {  # candidate status → the statuses it may move to (the vote and delivery orders drive these)
    IN_POOL: (S.voted, S.not_adopted),
    S.voted: (S.in_progress, S.completed),
    S.in_progress: (S.completed,),
}
EDITABLE = ("title", "summary", "cost", "unit")


@dataclass
class CandidateFields:
    title: str
    summary: str = ""
    estimated_cost: int | None = None
    department_id: int | None = None


@dataclass(frozen=True)
class Backing:
    """Who stands behind a candidate: its suggestions, their supporters, residents counted on visits."""

    suggestions: int = 0
    supporters: int = 0
    residents: int = 0


def clean_title(text: str | None) -> str:
    text = one_line(text)
    if not 2 <= len(text) <= TITLE_MAX:
        raise InvalidInput(N_("A title is 2 to {max} characters."), max=TITLE_MAX)
    return text


def clean_summary(text: str | None) -> str:
    text = tidy(text)
    if not 5 <= len(text) <= SUMMARY_MAX:
        raise InvalidInput(N_("A summary is 5 to {max} characters."), max=SUMMARY_MAX)
    return text


def parse_cost(text: str | None) -> int:
    """A cost in yuan as people write it: 400000, 40,000, 15万, 15.5万元 (see services.money)."""
    try:
        return money.parse_yuan(text)
    except money.NotAnAmount:
        raise InvalidInput(N_("Send the estimated cost in yuan as a number, for example 400000.")) from None


def format_cost(amount: int | None) -> str:
    return _("{amount} yuan", amount=f"{amount:,}") if amount is not None else _("not estimated")


def status_label(status: str) -> str:
    return _("in the candidate pool") if status == IN_POOL else suggestions.status_label(status)


async def get(session: AsyncSession, actor: Actor, candidate_id: int) -> Candidate:
    require(actor, Role.staff)
    candidate = await session.get(Candidate, candidate_id)
    if candidate is None:
        raise NotFound()
    return candidate


async def _department(session: AsyncSession, department_id: int | None) -> int | None:
    if department_id is not None and await session.get(Department, department_id) is None:
        raise NotFound()
    return department_id


async def accept_into_pool(session: AsyncSession, actor: Actor, suggestion_id: int, fields: CandidateFields,
                           now: datetime) -> Candidate:
    """A new candidate from this suggestion; the author and supporters are told."""
    suggestion = await suggestions.for_triage(session, actor, suggestion_id)
    candidate = Candidate(
        title=clean_title(fields.title), summary=clean_summary(fields.summary),
        estimated_cost=fields.estimated_cost, department_id=await _department(session, fields.department_id),
        created_by=actor.id, created_at=now, updated_at=now,
    )
    session.add(candidate)
    await session.flush()
    suggestion.candidate_id = candidate.id
    await suggestions.record_status(session, suggestion, S.accepted, actor_id=actor.id, now=now)
    audit.record(session, actor.id, "candidate.create", "candidate", candidate.id, suggestion=suggestion.number)
    audit.record(session, actor.id, "suggestion.accept", "suggestion", suggestion.id, candidate_id=candidate.id)
    return candidate


async def merge_into(session: AsyncSession, actor: Actor, suggestion_id: int, candidate_id: int,
                     now: datetime) -> Candidate:
    """Add a suggestion to an existing candidate; everyone behind the suggestion is told."""
    candidate = await get(session, actor, candidate_id)
    if candidate.status != IN_POOL:
        raise DomainError(N_("The candidate «{title}» has left the pool; choose another."),
                          title=candidate.title)
    suggestion = await suggestions.for_triage(session, actor, suggestion_id)
    suggestion.candidate_id = candidate.id
    candidate.updated_at = now
    await suggestions.record_status(session, suggestion, S.merged, actor_id=actor.id, now=now)
    audit.record(session, actor.id, "suggestion.merge", "suggestion", suggestion.id, candidate_id=candidate.id)
    return candidate


async def pool_page(session: AsyncSession, actor: Actor, number: int, size: int = POOL_PAGE) -> Page[Candidate]:
    """Candidates still in the pool first, then the ones that moved on; newest first within each."""
    require(actor, Role.staff)
    query = select(Candidate).order_by((Candidate.status != IN_POOL), Candidate.created_at.desc(), Candidate.id.desc())
    return await paginate(session, query, number, size)


async def merge_choices(session: AsyncSession, actor: Actor) -> list[Candidate]:
    require(actor, Role.staff)
    return list(await session.scalars(
        select(Candidate).where(Candidate.status == IN_POOL)
        .order_by(Candidate.updated_at.desc(), Candidate.id.desc()).limit(MERGE_CHOICES)
    ))


async def everything(session: AsyncSession) -> list[Candidate]:
    return list(await session.scalars(select(Candidate).order_by(Candidate.created_at, Candidate.id)))


async def behind(session: AsyncSession, candidate_id: int) -> list[Suggestion]:
    return list(await session.scalars(
        select(Suggestion).where(Suggestion.candidate_id == candidate_id).order_by(Suggestion.created_at, Suggestion.id)
    ))


async def backing(session: AsyncSession, candidate_ids: list[int]) -> dict[int, Backing]:
    if not candidate_ids:
        return {}
    counted = await session.execute(
        select(Suggestion.candidate_id, func.count(), func.sum(Suggestion.raised_by))
        .where(Suggestion.candidate_id.in_(candidate_ids)).group_by(Suggestion.candidate_id)
    )
    supporters = dict((await session.execute(
        select(Suggestion.candidate_id, func.count(Support.id))
        .join(Support, Support.suggestion_id == Suggestion.id)
        .where(Suggestion.candidate_id.in_(candidate_ids)).group_by(Suggestion.candidate_id)
    )).all())
    return {cid: Backing(count, supporters.get(cid, 0), int(raised or 0)) for cid, count, raised in counted}


async def to_edit(session: AsyncSession, actor: Actor, candidate_id: int) -> Candidate:
    """A candidate the staff member may edit: a station's clerk only those wholly from their stations'
    suggestions (the pool as a whole is the congress office's)."""
    candidate = await get(session, actor, candidate_id)
    if not actor.serves_all_stations:
        stations = {s.station_id for s in await behind(session, candidate.id)}
        if not stations or not all(actor.serves(station) for station in stations):
            raise PermissionDenied()
    return candidate


async def edit(session: AsyncSession, actor: Actor, candidate_id: int, field: str, now: datetime, *,
               text: str | None = None, department_id: int | None = None) -> Candidate:
    """Change one field: title, summary, cost (typed), unit (a department id, or a typed name)."""
    candidate = await to_edit(session, actor, candidate_id)
    if field == "title":
        candidate.title = clean_title(text)
    elif field == "summary":
        candidate.summary = clean_summary(text)
    elif field == "cost":
        candidate.estimated_cost = parse_cost(text)
    elif field == "unit":
        if department_id is None:
            department_id = (await directory.ensure_department(session, actor, text or "")).id
        candidate.department_id = await _department(session, department_id)
    else:
        raise InvalidInput()
    candidate.updated_at = now
    audit.record(session, actor.id, "candidate.edit", "candidate", candidate.id, field=field)
    return candidate


async def set_stage(session: AsyncSession, actor: Actor, candidate_id: int, status: str, now: datetime,
                    reason: str = "") -> Candidate:
    """The vote and delivery orders move a candidate on; every suggestion behind it follows."""
    candidate = await get(session, actor, candidate_id)
    previous = candidate.status
    # Compare and set in the UPDATE itself: of two closes racing on one candidate, the second is refused.
    moved = status in STAGES.get(previous, ()) and (await session.execute(
        update(Candidate).where(Candidate.id == candidate.id, Candidate.status == previous)
        .values(status=status, updated_at=now).execution_options(synchronize_session=False))).rowcount == 1
    if not moved:
        await session.refresh(candidate, ["status"])
        raise DomainError(N_("The candidate «{title}» is {status}; that step does not apply."),
                          title=candidate.title, status=status_label(candidate.status))
    candidate.status = status
    candidate.updated_at = now
    for suggestion in await behind(session, candidate.id):
        if status in suggestions.NEXT.get(suggestion.status, ()):
            await suggestions.record_status(session, suggestion, status, actor_id=actor.id, now=now, reason=reason)
    audit.record(session, actor.id, "candidate.stage", "candidate", candidate.id, status=status)
    return candidate
