"""Decide (daibiao dingdan): the vote on the candidate projects at the congress (seeds 000, 002).

The four gates of seed 000, in the bot: staff prepare a session (candidates with their
explanation, slots, eligible deputies) and send the briefing (the report and the
explanation); deputies ask questions on a candidate and the department answers for all
to read (deliberation); in the hall deputies check in with a rotating code and vote by
secret ballot; staff close, reconcile with the paper tally and confirm, and the result
is announced at once (seed 002) and each adopted candidate becomes a project.

Secrecy, as built here:
- a deputy's marks live only in the ballot message's own button data until they submit;
- submitting sets the deputy's register row (voted in this round) and inserts a ballot row
  with the marks only, a random key, no time, no voter — one UPDATE and one INSERT;
- when voting closes the ballot table is rewritten in one shuffled batch in the closing
  transaction (TRUNCATE on PostgreSQL, so no dead tuple and no old `xmin` stays in the
  table; a secure DELETE on SQLite, whose ballot table has no rowid), after which no row
  carries anything that follows the order or the transaction of submission.
- results are computed only when staff confirm; no log line, audit event or message
  holds a choice.

Only staff of the whole congress (no station scope) run a session: a vote belongs to the
congress, not to one station.
"""
from __future__ import annotations

import hashlib
import hmac
import random
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Callable, Iterable

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Deputy, Department, Role, RoleGrant
from models.suggestions import Candidate, Suggestion
from models.votes import (SessionStatus, VoteBallot, VoteCount, VoteItem, VoteQuestion, VoteRegister, VoteRound,
                          VoteSession)
from services import audit, candidates, counting, directory, outbox, privacy, projects
from services.auth import Actor, require
from services.directory import Page, paginate
from services.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from services.i18n import N_, _, use_locale
from services.text import one_line, tidy

S = SessionStatus
ITEMS_MAX = 30  # the marks travel in the ballot's button data, which Telegram caps at 64 bytes
MEETING_MAX = 200
PLACE_MAX = 200
DEADLINE_MAX = 120
EXPLANATION_MAX = 2000
QUESTION_MAX = 1000
ANSWER_MAX = 2000
CODE_DIGITS = 6
ANNOUNCEMENT_MAX = 4000  # below Telegram's 4096, leaving room for the HTML tags
SHORT_TITLE = 30
SESSIONS_SHOWN = 20
PREPARING = (S.draft,)
NOT_OVER = (S.draft, S.checkin, S.voting, S.counting, S.tied)
ITEM_TEXTS = {"content": EXPLANATION_MAX, "plan": EXPLANATION_MAX, "safeguards": EXPLANATION_MAX,
              "deadline": DEADLINE_MAX}
ITEM_FIELDS = (*ITEM_TEXTS, "cost", "unit")

STATUS_LABELS = {
    S.draft: N_("in preparation"),
    S.checkin: N_("check-in open"),
    S.voting: N_("voting"),
    S.counting: N_("voting closed, counting"),
    S.tied: N_("tied at the last slot"),
    S.closed: N_("results announced"),
}
PROBLEMS = {
    "electronic_over_issued": N_("More ballots in the bot than ballots issued."),
    "cast_over_present": N_("More ballots cast than deputies present."),
    "paper_blank_over_paper": N_("More blank and invalid paper ballots than paper ballots."),
    "paper_marks_over_ballots": N_("A candidate has more paper votes than valid paper ballots."),
}


@dataclass(frozen=True)
class Rules:
    """The settings the vote needs (services do not read bot settings themselves)."""

    quorum_percent: int
    code_seconds: int
    code_attempts: int
    announce_chat_id: int | None
    default_locale: str
    projects: projects.Rules

    @classmethod
    def from_settings(cls, settings: Any) -> Rules:
        return cls(settings.vote_quorum_percent, settings.checkin_code_seconds, settings.checkin_code_attempts,
                   settings.announce_chat_id, settings.default_locale, projects.Rules.from_settings(settings))


@dataclass(frozen=True)
class Presence:
    eligible: int
    present: int
    paper: int
    voted: int  # in the current round


@dataclass(frozen=True)
class Seat:
    """A deputy's place in a session, as the deputy sees it."""

    session: VoteSession
    register: VoteRegister

    @property
    def may_check_in(self) -> bool:
        return self.session.status == S.checkin and self.register.checked_in_at is None

    @property
    def may_vote(self) -> bool:
        return (self.session.status == S.voting and self.register.checked_in_at is not None
                and not self.register.paper and self.register.voted_round < self.session.round)


class CheckIn(StrEnum):
    done = "done"
    already = "already"
    wrong = "wrong"
    locked = "locked"


@dataclass(frozen=True)
class Ballot:
    """What a deputy's ballot shows: the candidates of this round, in ballot order."""

    session: VoteSession
    round: int
    items: list[tuple[VoteItem, str]]  # (item, title)
    slots: int | None


@dataclass(frozen=True)
class Line:
    """One candidate's line of the result sheet."""

    position: int
    title: str
    unit: str
    tally: counting.Tally
    passed: bool
    rank: int | None
    adopted: bool
    tied: bool
    runoff: counting.Tally | None  # its run-off votes, if it was in one


@dataclass(frozen=True)
class Sheet:
    session: VoteSession
    present: int
    threshold: int
    lines: list[Line]
    rounds: list[VoteRound]

    @property
    def adopted(self) -> int:
        return sum(1 for line in self.lines if line.adopted)


def status_label(status: str) -> str:
    return _(STATUS_LABELS.get(status, status))


# --- who may do what ---------------------------------------------------------------------------


async def require_office(session: AsyncSession, actor: Actor | None) -> None:
    """Staff of the whole congress; None is the operator at the command line."""
    if actor is None:
        return
    require(actor, Role.staff)
    if not actor.serves_all_stations:
        raise PermissionDenied(N_("Only the congress office runs a vote session; staff of one station cannot."))


async def get(session: AsyncSession, actor: Actor | None, session_id: int, *, lock: bool = False) -> VoteSession:
    await require_office(session, actor)
    found = await session.get(VoteSession, session_id, with_for_update=lock or None, populate_existing=lock)
    if found is None:
        raise NotFound()
    return found


def _expect(vote: VoteSession, *statuses: str) -> None:
    if vote.status not in statuses:
        raise DomainError(N_("The session is {status}; that step does not apply now."),
                          status=status_label(vote.status))


def _changed(session: AsyncSession, vote: VoteSession, actor: Actor, now: datetime, action: str,
             **detail: object) -> None:
    vote.updated_at = now
    audit.record(session, actor.id, action, "vote_session", vote.id, **detail)


# --- preparing a session -----------------------------------------------------------------------


def clean_meeting(value: str | None) -> str:
    value = one_line(value)
    if not 2 <= len(value) <= MEETING_MAX:
        raise InvalidInput(N_("The meeting's name is 2 to {max} characters."), max=MEETING_MAX)
    return value


def clean_place(value: str | None) -> str:
    value = one_line(value)
    if not 1 <= len(value) <= PLACE_MAX:
        raise InvalidInput(N_("The place is 1 to {max} characters."), max=PLACE_MAX)
    return value


def parse_day(value: str | None) -> date:
    try:
        return date.fromisoformat(one_line(value).replace("/", "-").replace(".", "-"))
    except ValueError:
        raise InvalidInput(N_("Send the date as year-month-day, for example 2027-01-15.")) from None


async def create(session: AsyncSession, actor: Actor, meeting: str, held_on: date, place: str,
                 now: datetime) -> VoteSession:
    await require_office(session, actor)
    vote = VoteSession(meeting=clean_meeting(meeting), held_on=held_on, place=clean_place(place),
                       code_key=secrets.token_hex(32), created_by=actor.id, created_at=now, updated_at=now)
    session.add(vote)
    await session.flush()
    audit.record(session, actor.id, "vote.create", "vote_session", vote.id)
    return vote


async def recent(session: AsyncSession, actor: Actor) -> list[VoteSession]:
    await require_office(session, actor)
    return list(await session.scalars(
        select(VoteSession).order_by((VoteSession.status == S.closed), VoteSession.held_on.desc(),
                                     VoteSession.id.desc()).limit(SESSIONS_SHOWN)))


async def edit(session: AsyncSession, actor: Actor, session_id: int, field: str, value: str | None,
               now: datetime) -> VoteSession:
    """Meeting, date, place or slots; only while the session is in preparation (frozen from check-in on)."""
    vote = await get(session, actor, session_id, lock=True)
    _expect(vote, *PREPARING)
    if field == "meeting":
        vote.meeting = clean_meeting(value)
    elif field == "date":
        vote.held_on = parse_day(value)
    elif field == "place":
        vote.place = clean_place(value)
    elif field == "slots":
        vote.slots = _slots(value)
        vote.rule = counting.MAJORITY if vote.slots is None else counting.RANKED
    else:
        raise InvalidInput()
    _changed(session, vote, actor, now, "vote.edit", field=field)
    return vote


def _slots(value: str | None) -> int | None:
    value = one_line(value)
    if value in ("", "0", "-"):
        return None
    if not value.isdigit() or not 1 <= int(value) <= ITEMS_MAX:
        raise InvalidInput(N_("Send the number of slots, 1 to {max}, or 0 for no limit."), max=ITEMS_MAX)
    return int(value)


async def items(session: AsyncSession, session_id: int) -> list[tuple[VoteItem, Candidate]]:
    rows = await session.execute(
        select(VoteItem, Candidate).join(Candidate, Candidate.id == VoteItem.candidate_id)
        .where(VoteItem.session_id == session_id).order_by(VoteItem.position))
    return [(item, candidate) for item, candidate in rows]


async def pool_choices(session: AsyncSession, actor: Actor, session_id: int) -> list[Candidate]:
    """Candidates of the pool on no other session still under way, nor on this one."""
    await get(session, actor, session_id)
    busy = (select(VoteItem.candidate_id).join(VoteSession, VoteSession.id == VoteItem.session_id)
            .where((VoteSession.status != S.closed) | (VoteSession.id == session_id)))
    return list(await session.scalars(
        select(Candidate).where(Candidate.status == candidates.IN_POOL, Candidate.id.not_in(busy))
        .order_by(Candidate.created_at, Candidate.id).limit(ITEMS_MAX * 2)))


async def add_item(session: AsyncSession, actor: Actor, session_id: int, candidate_id: int,
                   now: datetime) -> VoteItem:
    vote = await get(session, actor, session_id, lock=True)
    _expect(vote, *PREPARING)
    candidate = await session.get(Candidate, candidate_id)
    if candidate is None or candidate.status != candidates.IN_POOL:
        raise DomainError(N_("That candidate is no longer in the pool."))
    if candidate.id not in {c.id for c in await pool_choices(session, actor, session_id)}:
        raise DomainError(N_("«{title}» is already on a vote session."), title=candidate.title)
    count = await session.scalar(select(func.count()).where(VoteItem.session_id == vote.id))
    if count >= ITEMS_MAX:
        raise DomainError(N_("A ballot holds at most {max} candidates."), max=ITEMS_MAX)
    item = VoteItem(session_id=vote.id, candidate_id=candidate.id, position=count, content=candidate.summary,
                    department_id=candidate.department_id, cost=candidate.estimated_cost)
    session.add(item)
    await session.flush()
    _changed(session, vote, actor, now, "vote.item_add", candidate_id=candidate.id)
    return item


async def get_item(session: AsyncSession, actor: Actor, item_id: int) -> tuple[VoteSession, VoteItem]:
    item = await session.get(VoteItem, item_id)
    if item is None:
        raise NotFound()
    return await get(session, actor, item.session_id), item


async def remove_item(session: AsyncSession, actor: Actor, item_id: int, now: datetime) -> VoteSession:
    vote, item = await get_item(session, actor, item_id)
    _expect(vote, *PREPARING)
    await session.delete(item)
    await session.flush()
    for position, (other, _candidate) in enumerate(await items(session, vote.id)):
        other.position = position
    _changed(session, vote, actor, now, "vote.item_remove", candidate_id=item.candidate_id)
    return vote


async def edit_item(session: AsyncSession, actor: Actor, item_id: int, field: str, now: datetime, *,
                    value: str | None = None, department_id: int | None = None) -> VoteItem:
    """One part of the explanation (content, plan, deadline, safeguards), the cost or the unit."""
    vote, item = await get_item(session, actor, item_id)
    _expect(vote, *PREPARING)
    if field in ITEM_TEXTS:
        cleaned = tidy(value) if field != "deadline" else one_line(value)
        if not 1 <= len(cleaned) <= ITEM_TEXTS[field]:
            raise InvalidInput(N_("This is 1 to {max} characters."), max=ITEM_TEXTS[field])
        setattr(item, field, cleaned)
    elif field == "cost":
        item.cost = candidates.parse_cost(value)
    elif field == "unit":
        if department_id is None:
            department_id = (await directory.ensure_department(session, actor, value or "")).id
        elif await session.get(Department, department_id) is None:
            raise NotFound()
        item.department_id = department_id
    else:
        raise InvalidInput()
    _changed(session, vote, actor, now, "vote.item_edit", item_id=item.id, field=field)
    return item


async def add_eligible(session: AsyncSession, actor: Actor, session_id: int, now: datetime, *,
                       everyone: bool = False, station_id: int | None = None, level: str | None = None,
                       deputy_id: int | None = None) -> int:
    """Make active deputies eligible: all, those of a station or a level, or one. Returns how many were added."""
    vote = await get(session, actor, session_id, lock=True)
    _expect(vote, *PREPARING)
    query = select(Deputy.id).where(Deputy.active.is_(True),
                                    Deputy.id.not_in(select(VoteRegister.deputy_id)
                                                     .where(VoteRegister.session_id == vote.id)))
    if station_id is not None:
        query = query.where(Deputy.station_id == station_id)
    elif level is not None:
        query = query.where(Deputy.level == level)
    elif deputy_id is not None:
        query = query.where(Deputy.id == deputy_id)
    elif not everyone:
        raise InvalidInput()
    added = list(await session.scalars(query))
    session.add_all(VoteRegister(session_id=vote.id, deputy_id=deputy) for deputy in added)
    _changed(session, vote, actor, now, "vote.eligible_add", added=len(added), station_id=station_id, level=level,
             deputy_id=deputy_id)
    return len(added)


async def toggle_eligible(session: AsyncSession, actor: Actor, session_id: int, deputy_id: int,
                          now: datetime) -> bool:
    """Add or remove one deputy; True when the deputy is eligible afterwards."""
    if await session.scalar(select(VoteRegister.id).where(VoteRegister.session_id == session_id,
                                                          VoteRegister.deputy_id == deputy_id)) is None:
        return await add_eligible(session, actor, session_id, now, deputy_id=deputy_id) == 1
    await remove_eligible(session, actor, session_id, deputy_id, now)
    return False


async def remove_eligible(session: AsyncSession, actor: Actor, session_id: int, deputy_id: int,
                          now: datetime) -> None:
    vote = await get(session, actor, session_id, lock=True)
    _expect(vote, *PREPARING)
    await session.execute(delete(VoteRegister).where(VoteRegister.session_id == vote.id,
                                                     VoteRegister.deputy_id == deputy_id))
    _changed(session, vote, actor, now, "vote.eligible_remove", deputy_id=deputy_id)


async def deputies_page(session: AsyncSession, actor: Actor, session_id: int, number: int, *,
                        eligible_only: bool) -> tuple[Page[Deputy], dict[int, VoteRegister]]:
    """A page of active deputies (or of the eligible ones) with their register rows, for picking and check-in."""
    await get(session, actor, session_id)
    query = select(Deputy).where(Deputy.active.is_(True)).order_by(Deputy.name, Deputy.id)
    if eligible_only:
        query = query.where(Deputy.id.in_(select(VoteRegister.deputy_id)
                                          .where(VoteRegister.session_id == session_id)))
    page = await paginate(session, query, number)
    entries = await session.scalars(select(VoteRegister).where(
        VoteRegister.session_id == session_id, VoteRegister.deputy_id.in_([d.id for d in page.items])))
    return page, {entry.deputy_id: entry for entry in entries}


async def presence(session: AsyncSession, session_id: int) -> Presence:
    """Eligible, present, on paper, voted in the current round: one query, for the live screen."""
    vote_round = select(VoteSession.round).where(VoteSession.id == session_id).scalar_subquery()
    row = (await session.execute(
        select(func.count(), func.count(VoteRegister.checked_in_at),
               func.count().filter(VoteRegister.paper.is_(True)),
               func.count().filter(VoteRegister.voted_round == vote_round))
        .where(VoteRegister.session_id == session_id))).one()
    return Presence(*row)


async def _eligible_users(session: AsyncSession, session_id: int, *, present_only: bool = False,
                          electronic_only: bool = False) -> list[int]:
    query = (select(Deputy.user_id).join(VoteRegister, VoteRegister.deputy_id == Deputy.id)
             .where(VoteRegister.session_id == session_id, Deputy.user_id.is_not(None)))
    if present_only:
        query = query.where(VoteRegister.checked_in_at.is_not(None))
    if electronic_only:
        query = query.where(VoteRegister.paper.is_(False))
    return list(await session.scalars(query.order_by(Deputy.id)))


# --- the briefing and the deliberation ---------------------------------------------------------


async def unit_names(session: AsyncSession, department_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {d for d in department_ids if d is not None}
    if not wanted:
        return {}
    return dict((await session.execute(select(Department.id, Department.name)
                                       .where(Department.id.in_(wanted)))).all())


def explanation(vote: VoteSession, item: VoteItem, title: str, unit: str | None) -> str:
    """The explanation of one candidate (seed 000: name, content, unit, plan, deadline, safeguards), HTML."""
    from html import escape

    def h(value: object) -> str:
        return escape(str(value), quote=False)

    lines = [_("<b>{meeting}</b> · candidate {number}", meeting=h(vote.meeting), number=item.position + 1),
             f"<b>{h(title)}</b>",
             _("Content: {text}", text=h(item.content or "-")),
             _("Implementing unit: {unit}", unit=h(unit or _("not decided yet"))),
             _("Plan: {text}", text=h(item.plan or "-")),
             _("Deadline: {text}", text=h(item.deadline or "-")),
             _("Estimated cost: {cost}", cost=candidates.format_cost(item.cost)),
             _("Safeguards: {text}", text=h(item.safeguards or "-"))]
    return "\n".join(lines)


async def send_briefing(session: AsyncSession, actor: Actor, session_id: int, now: datetime,
                        ask_button: Callable[[int], str]) -> int:
    """Every eligible deputy gets the explanation of each candidate, in their language, with a
    button to ask a question. Sent again after a change, it goes out again. Returns the messages queued."""
    vote = await get(session, actor, session_id, lock=True)
    _expect(vote, S.draft, S.checkin)
    listed = await items(session, vote.id)
    users = await _eligible_users(session, vote.id)
    if not listed or not users:
        raise DomainError(N_("Add candidates and eligible deputies first."))
    units = await unit_names(session, (item.department_id for item, _c in listed))
    vote.briefed_at = now
    edition = int(now.timestamp())

    def letters() -> Iterable[outbox.Letter]:
        for user_id in users:
            for item, candidate in listed:
                yield outbox.Letter(
                    user_id, lambda item=item, candidate=candidate: explanation(
                        vote, item, candidate.title, units.get(item.department_id)),
                    key=f"vote-brief-{vote.id}-{edition}-{item.id}-{user_id}",
                    buttons=((N_("Ask a question"), ask_button(item.id)),))

    queued = await outbox.tell_many(session, letters())
    _changed(session, vote, actor, now, "vote.briefing", messages=queued)
    return queued


async def deputy_seat(session: AsyncSession, actor: Actor, session_id: int) -> Seat:
    """The acting deputy's place in the session; anyone else is refused."""
    require(actor, Role.deputy)
    row = (await session.execute(
        select(VoteSession, VoteRegister).join(VoteRegister, VoteRegister.session_id == VoteSession.id)
        .where(VoteSession.id == session_id, VoteRegister.deputy_id == actor.deputy_id))).first()
    if row is None:
        raise PermissionDenied(N_("You are not on the list of deputies for this vote."))
    return Seat(*row)


async def my_sessions(session: AsyncSession, actor: Actor) -> list[Seat]:
    """The sessions this deputy is eligible for that have been briefed or opened, newest first."""
    require(actor, Role.deputy)
    rows = await session.execute(
        select(VoteSession, VoteRegister).join(VoteRegister, VoteRegister.session_id == VoteSession.id)
        .where(VoteRegister.deputy_id == actor.deputy_id,
               (VoteSession.status != S.draft) | VoteSession.briefed_at.is_not(None))
        .order_by(VoteSession.held_on.desc(), VoteSession.id.desc()).limit(SESSIONS_SHOWN))
    return [Seat(vote, entry) for vote, entry in rows]


async def item_for_question(session: AsyncSession, actor: Actor, item_id: int) -> tuple[VoteItem, str]:
    item = await session.get(VoteItem, item_id)
    if item is None:
        raise NotFound()
    seat = await deputy_seat(session, actor, item.session_id)
    if seat.session.status not in (S.draft, S.checkin):
        raise DomainError(N_("Questions are taken until voting opens."))
    return item, (await session.get(Candidate, item.candidate_id)).title


async def ask(session: AsyncSession, actor: Actor, item_id: int, question: str, now: datetime,
              answer_button: Callable[[int], str]) -> VoteQuestion:
    """A deputy's question on a candidate; the implementing unit (or, without one, the office) is asked to answer."""
    item, title = await item_for_question(session, actor, item_id)
    question = tidy(question)
    if not 2 <= len(question) <= QUESTION_MAX:
        raise InvalidInput(N_("A question is 2 to {max} characters."), max=QUESTION_MAX)
    asked = VoteQuestion(session_id=item.session_id, item_id=item.id, asked_by=actor.id, question=question,
                         asked_at=now)
    session.add(asked)
    await session.flush()
    answerers = await _answerers(session, item.department_id)
    await outbox.tell_many(session, (outbox.Letter(
        user_id, lambda: _("A deputy asks about the candidate «{title}»:\n{question}",
                           title=title, question=question),
        key=f"vote-question-{asked.id}-{user_id}", buttons=((N_("Answer"), answer_button(asked.id)),))
        for user_id in answerers))
    audit.record(session, actor.id, "vote.question", "vote_session", item.session_id, question_id=asked.id)
    return asked


async def _answerers(session: AsyncSession, department_id: int | None) -> list[int]:
    if department_id is not None:
        unit = list(await session.scalars(select(RoleGrant.user_id).where(
            RoleGrant.role == Role.department, RoleGrant.department_id == department_id)))
        if unit:
            return unit
    return list(await session.scalars(select(RoleGrant.user_id).where(
        RoleGrant.role.in_((Role.staff, Role.admin)), RoleGrant.station_id.is_(None)).distinct()))


async def question_to_answer(session: AsyncSession, actor: Actor, question_id: int) -> tuple[VoteQuestion, str]:
    """Staff of the congress, or a user of the candidate's implementing unit."""
    asked = await session.get(VoteQuestion, question_id)
    if asked is None:
        raise NotFound()
    item = await session.get(VoteItem, asked.item_id)
    if item.department_id is None or item.department_id not in actor.department_ids \
            or not actor.has(Role.department):
        await require_office(session, actor)
    vote = await session.get(VoteSession, asked.session_id)
    if vote.status not in (S.draft, S.checkin):
        raise DomainError(N_("Questions are answered until voting opens."))
    return asked, (await session.get(Candidate, item.candidate_id)).title


async def answer(session: AsyncSession, actor: Actor, question_id: int, text_: str, now: datetime) -> VoteQuestion:
    """The answer goes, with the question, to every eligible deputy (the deliberation is shared)."""
    asked, title = await question_to_answer(session, actor, question_id)
    reply = tidy(text_)
    if not 1 <= len(reply) <= ANSWER_MAX:
        raise InvalidInput(N_("An answer is 1 to {max} characters."), max=ANSWER_MAX)
    asked.answer, asked.answered_by, asked.answered_at = reply, actor.id, now
    edition = int(now.timestamp())
    await outbox.tell_many(session, (outbox.Letter(
        user_id, lambda: _("Question and answer on the candidate «{title}»\n<b>Question:</b> {question}\n"
                           "<b>Answer:</b> {answer}", title=title, question=asked.question, answer=reply),
        key=f"vote-answer-{asked.id}-{edition}-{user_id}")
        for user_id in await _eligible_users(session, asked.session_id)))
    audit.record(session, actor.id, "vote.answer", "vote_session", asked.session_id, question_id=asked.id)
    return asked


async def questions(session: AsyncSession, actor: Actor, session_id: int) -> list[tuple[VoteQuestion, str]]:
    await get(session, actor, session_id)
    rows = await session.execute(
        select(VoteQuestion, Candidate.title).join(VoteItem, VoteItem.id == VoteQuestion.item_id)
        .join(Candidate, Candidate.id == VoteItem.candidate_id)
        .where(VoteQuestion.session_id == session_id).order_by(VoteQuestion.asked_at, VoteQuestion.id))
    return [(asked, title) for asked, title in rows]


# --- check-in in the hall ----------------------------------------------------------------------


def code_at(key: str, window: int) -> str:
    digest = hmac.new(bytes.fromhex(key), window.to_bytes(8, "big"), hashlib.sha256).digest()
    return str(int.from_bytes(digest[:8], "big") % 10 ** CODE_DIGITS).zfill(CODE_DIGITS)


def _window(now: datetime, seconds: int) -> int:
    return int(now.timestamp()) // seconds


async def open_checkin(session: AsyncSession, actor: Actor, session_id: int, now: datetime,
                       checkin_button: Callable[[int], str]) -> VoteSession:
    """From here the session is frozen; eligible deputies are told to check in in the hall."""
    vote = await get(session, actor, session_id, lock=True)
    _expect(vote, S.draft)
    count = len(await items(session, vote.id))
    if count == 0 or (await presence(session, vote.id)).eligible == 0:
        raise DomainError(N_("Add candidates and eligible deputies first."))
    if vote.slots is not None and vote.slots >= count:
        raise DomainError(N_("With {slots} slots there must be more candidates than slots; "
                             "there are {count}. Change the slots or add candidates."), slots=vote.slots, count=count)
    vote.status = S.checkin
    await outbox.tell_many(session, (outbox.Letter(
        user_id, lambda: _("Check-in is open for {meeting}. In the hall, press the button and type the "
                           "code shown on the screen.", meeting=vote.meeting),
        key=f"vote-checkin-{vote.id}-{user_id}", buttons=((N_("Check in"), checkin_button(vote.id)),))
        for user_id in await _eligible_users(session, vote.id)))
    _changed(session, vote, actor, now, "vote.checkin_open")
    return vote


async def current_code(session: AsyncSession, actor: Actor, session_id: int, now: datetime,
                       rules: Rules) -> tuple[str, datetime]:
    """The code to show in the hall and when it changes."""
    vote = await get(session, actor, session_id)
    _expect(vote, S.checkin)
    window = _window(now, rules.code_seconds)
    changes = datetime.fromtimestamp((window + 1) * rules.code_seconds, tz=now.tzinfo)
    return code_at(vote.code_key, window), changes


async def check_in(session: AsyncSession, actor: Actor, session_id: int, code: str, now: datetime,
                   rules: Rules) -> tuple[CheckIn, int]:
    """A deputy types the hall's code. Returns the outcome and the attempts left; a wrong code is
    counted (and kept: the caller commits) so nobody can guess from home."""
    seat = await deputy_seat(session, actor, session_id)
    if seat.register.checked_in_at is not None:
        return CheckIn.already, 0
    _expect(seat.session, S.checkin)
    left = rules.code_attempts - seat.register.code_failures
    if left <= 0:
        return CheckIn.locked, 0
    window = _window(now, rules.code_seconds)
    typed = "".join(ch for ch in unicodedata.normalize("NFKC", code or "") if not ch.isspace())
    typed = typed if typed.isascii() else ""  # full-width digits are digits; anything else is simply wrong
    if any(hmac.compare_digest(typed, code_at(seat.session.code_key, w)) for w in (window, window - 1)):
        seat.register.checked_in_at = now
        audit.record(session, actor.id, "vote.checkin", "vote_session", session_id)
        return CheckIn.done, left
    seat.register.code_failures += 1
    audit.record(session, actor.id, "vote.checkin_wrong_code", "vote_session", session_id)
    return (CheckIn.wrong if left > 1 else CheckIn.locked), left - 1


async def staff_check_in(session: AsyncSession, actor: Actor, session_id: int, deputy_id: int, now: datetime, *,
                         present: bool = True, paper: bool | None = None) -> VoteRegister:
    """Staff mark a deputy present (one without a phone), absent again, or voting on paper."""
    vote = await get(session, actor, session_id, lock=True)
    _expect(vote, S.checkin)
    entry = await session.scalar(select(VoteRegister).where(VoteRegister.session_id == vote.id,
                                                            VoteRegister.deputy_id == deputy_id))
    if entry is None:
        raise NotFound()
    if present and entry.checked_in_at is None:
        entry.checked_in_at, entry.checked_in_by = now, actor.id
    elif not present:
        entry.checked_in_at = entry.checked_in_by = None
    if paper is not None:
        entry.paper = paper
    _changed(session, vote, actor, now, "vote.register", deputy_id=deputy_id, present=present, paper=entry.paper)
    return entry


# --- voting ------------------------------------------------------------------------------------


async def _round_positions(session: AsyncSession, vote: VoteSession, number: int) -> list[int]:
    row = await session.scalar(select(VoteRound.positions).where(VoteRound.session_id == vote.id,
                                                                  VoteRound.round == number))
    return [int(p) for p in row.split(",")] if row else []


async def open_voting(session: AsyncSession, actor: Actor, session_id: int, now: datetime, rules: Rules,
                      ballot_button: Callable[[int, int], str]) -> VoteSession:
    """Freeze the number present (it is part of the result) and give each deputy present a ballot."""
    vote = await get(session, actor, session_id, lock=True)
    _expect(vote, S.checkin)
    counts = await presence(session, vote.id)
    needed = counts.eligible * rules.quorum_percent // 100 + 1
    if counts.present < needed:
        raise DomainError(N_("Only {present} of {eligible} deputies are present; voting needs {needed}."),
                          present=counts.present, eligible=counts.eligible, needed=needed)
    vote.present, vote.quorum, vote.status, vote.opened_at = counts.present, needed, S.voting, now
    positions = [item.position for item, _c in await items(session, vote.id)]
    session.add(VoteRound(session_id=vote.id, round=1, positions=",".join(map(str, positions)), slots=vote.slots,
                          issued=counts.present - counts.paper))
    await _deal_ballots(session, vote, ballot_button(vote.id, vote.round))
    _changed(session, vote, actor, now, "vote.voting_open", present=counts.present, eligible=counts.eligible)
    return vote


async def _deal_ballots(session: AsyncSession, vote: VoteSession, button: str) -> None:
    round_ = vote.round
    await outbox.tell_many(session, (outbox.Letter(
        user_id, lambda: _("Voting is open: {meeting}, round {round}. Press the button for your secret ballot.",
                           meeting=vote.meeting, round=round_),
        key=f"vote-ballot-{vote.id}-{round_}-{user_id}", buttons=((N_("Open my ballot"), button),))
        for user_id in await _eligible_users(session, vote.id, present_only=True, electronic_only=True)))



async def _round(session: AsyncSession, vote: VoteSession, number: int | None = None) -> VoteRound:
    return await session.scalar(select(VoteRound).where(VoteRound.session_id == vote.id,
                                                        VoteRound.round == (number or vote.round)))


def _refuse_ballot(seat: Seat, round_: int) -> None:
    """Why this deputy has no ballot for `round_` now, if they have none."""
    vote, entry = seat.session, seat.register
    if vote.status != S.voting or vote.round != round_:
        raise DomainError(N_("This ballot is no longer open: voting in that round has closed."))
    if entry.checked_in_at is None:
        raise DomainError(N_("You did not check in before voting opened, so the bot has no ballot for you."))
    if entry.paper:
        raise DomainError(N_("You vote on paper at this session; the bot gives you no ballot."))
    if entry.voted_round >= round_:
        raise DomainError(N_("Your ballot has already been counted; it cannot be cast again or changed."))


async def ballot(session: AsyncSession, actor: Actor, session_id: int, round_: int) -> Ballot:
    seat = await deputy_seat(session, actor, session_id)
    _refuse_ballot(seat, round_)
    this_round = await _round(session, seat.session, round_)
    positions = {int(p) for p in this_round.positions.split(",")}
    listed = [(item, candidate.title) for item, candidate in await items(session, session_id)
              if item.position in positions]
    return Ballot(seat.session, round_, listed, this_round.slots)


async def submit(session: AsyncSession, actor: Actor, session_id: int, round_: int, marks: str) -> None:
    """Cast a ballot: a constant handful of statements whatever the size of the congress.

    The register row is claimed first with a conditional UPDATE, so of two submissions racing
    exactly one gets it (SQLite: the write lock; PostgreSQL: the row lock, the loser re-checks
    and finds it taken). The session row is then read under a shared lock, so closing waits for
    a ballot in flight and a ballot after closing is refused. The ballot row carries the marks
    only. Nothing here logs or records the marks."""
    require(actor, Role.deputy)
    claimed = (await session.execute(
        update(VoteRegister)
        .where(VoteRegister.session_id == session_id, VoteRegister.deputy_id == actor.deputy_id,
               VoteRegister.checked_in_at.is_not(None), VoteRegister.paper.is_(False),
               VoteRegister.voted_round < round_)
        .values(voted_round=round_).execution_options(synchronize_session=False))).rowcount == 1
    vote = await session.scalar(select(VoteSession).where(VoteSession.id == session_id)
                                .with_for_update(read=True).execution_options(populate_existing=True))
    if vote is None:
        raise NotFound()
    if not claimed or vote.status != S.voting or vote.round != round_:
        _refuse_ballot(await deputy_seat(session, actor, session_id), round_)
        raise DomainError(N_("This ballot is no longer open: voting in that round has closed."))
    this_round = await _round(session, vote, round_)
    try:
        counting.check_ballot(marks, len(this_round.positions.split(",")), this_round.slots)
    except counting.BallotError:
        raise InvalidInput(N_("This ballot does not match the candidates. Open your ballot again.")) from None
    await session.execute(insert(VoteBallot), [dict(id=secrets.token_hex(16), session_id=session_id, round=round_,
                                                 marks=marks)])
    audit.record(session, actor.id, "vote.cast", "vote_session", session_id, round=round_)


async def _shuffle_ballots(session: AsyncSession) -> None:
    """Re-write every ballot in one shuffled batch with new random keys and remove the originals.

    On PostgreSQL TRUNCATE gives the table a new, empty file in this transaction: no dead
    tuple of the originals (with the `xmin` they shared with their register row) is left in
    the table for VACUUM to find, and the new rows all carry this transaction's `xmin` and lie
    in the heap in shuffled order. On SQLite the table has no rowid (rows sit in random-key
    order) and `secure_delete` overwrites the deleted cells."""
    rows = [dict(id=secrets.token_hex(16), session_id=sid, round=number, marks=marks)
            for sid, number, marks in (await session.execute(
                select(VoteBallot.session_id, VoteBallot.round, VoteBallot.marks))).all()]
    random.SystemRandom().shuffle(rows)
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("TRUNCATE voteballot"))
    else:
        await session.execute(text("PRAGMA secure_delete = ON"))
        await session.execute(delete(VoteBallot))
    if rows:
        await session.execute(insert(VoteBallot), rows)


async def scrub(engine: Any) -> None:
    """After the closing commit: on SQLite, fold the write-ahead log (which holds the pages as
    they were written, in submission order) back into the database and truncate it. Best effort:
    a reader holding the log open makes SQLite leave it for the next checkpoint."""
    if engine.dialect.name == "sqlite":
        async with engine.connect() as connection:
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


async def close_voting(session: AsyncSession, actor: Actor, session_id: int, now: datetime) -> VoteSession:
    """No more ballots in this round; the ballots lose their order. Call `scrub` after the commit."""
    vote = await get(session, actor, session_id, lock=True)
    _expect(vote, S.voting)
    vote.status = S.counting
    await session.flush()
    await _shuffle_ballots(session)
    _changed(session, vote, actor, now, "vote.voting_close", round=vote.round)
    return vote


async def _paper_counts(session: AsyncSession, vote: VoteSession) -> dict[int, VoteCount]:
    return {row.item_id: row for row in await session.scalars(
        select(VoteCount).where(VoteCount.session_id == vote.id, VoteCount.round == vote.round))}


async def round_items(session: AsyncSession, vote: VoteSession, number: int | None = None) -> list[tuple[VoteItem, str]]:
    positions = set(await _round_positions(session, vote, number or vote.round))
    return [(item, c.title) for item, c in await items(session, vote.id) if item.position in positions]


def _numbers(line: str, count: int) -> list[int]:
    parts = line.replace(",", " ").replace("，", " ").split()
    if len(parts) != count or not all(p.isdigit() and len(p) <= 6 for p in parts):
        raise ValueError
    return [int(p) for p in parts]


async def enter_paper(session: AsyncSession, actor: Actor, session_id: int, typed: str, now: datetime) -> VoteRound:
    """The paper tally as staff type it: a first line "ballots blank invalid", then one line
    "yes no" per candidate in ballot order (abstentions are the rest)."""
    vote = await get(session, actor, session_id, lock=True)
    _expect(vote, S.counting)
    listed = await round_items(session, vote)
    lines = [line for line in tidy(typed).split("\n") if line.strip()]
    try:
        if len(lines) != 1 + len(listed):
            raise ValueError
        cast, blank, invalid = _numbers(lines[0], 3)
        votes = [_numbers(line, 2) for line in lines[1:]]
    except ValueError:
        raise InvalidInput(N_("Send {lines} lines: first “ballots blank invalid”, then “yes no” for each "
                              "candidate in ballot order."), lines=1 + len(listed)) from None
    valid = cast - blank - invalid
    if cast > vote.present or valid < 0 or any(yes + no > valid for yes, no in votes):
        raise InvalidInput(N_("These numbers do not add up: each candidate's yes and no together cannot "
                              "exceed the valid paper ballots, nor the ballots the deputies present."))
    this_round = await _round(session, vote)
    this_round.paper, this_round.paper_blank, this_round.paper_invalid = cast, blank, invalid
    this_round.paper_entered = True
    existing = await _paper_counts(session, vote)
    for (item, _title), (yes, no) in zip(listed, votes):
        row = existing.get(item.id) or VoteCount(session_id=vote.id, round=vote.round, item_id=item.id)
        row.paper_yes, row.paper_no = yes, no
        session.add(row)
    _changed(session, vote, actor, now, "vote.paper_tally", round=vote.round, ballots=cast)
    return this_round


async def reconciliation(session: AsyncSession, actor: Actor, session_id: int) -> counting.Reconciliation:
    """Present, ballots issued, ballots cast (bot and paper), blank and invalid — no tally per candidate."""
    vote = await get(session, actor, session_id)
    _expect(vote, S.counting)
    this_round = await _round(session, vote)
    electronic, blank = (await session.execute(
        select(func.count(), func.count().filter(func.replace(VoteBallot.marks, counting.UNMARKED, "") == ""))
        .where(VoteBallot.session_id == vote.id, VoteBallot.round == vote.round))).one()
    valid = this_round.paper - this_round.paper_blank - this_round.paper_invalid
    tallies = [counting.Tally(row.paper_yes, row.paper_no, valid - row.paper_yes - row.paper_no)
               for row in (await _paper_counts(session, vote)).values()]
    return counting.reconcile(vote.present or 0, this_round.issued, electronic, blank, this_round.paper,
                              this_round.paper_blank, this_round.paper_invalid, tallies)


def problems_text(reconciled: counting.Reconciliation) -> str:
    return " ".join(_(PROBLEMS[p]) for p in reconciled.problems)


async def confirm(session: AsyncSession, actor: Actor, session_id: int, now: datetime, rules: Rules) -> VoteSession:
    """Count this round, record it and, unless a tie at the last slot needs a run-off, announce the result."""
    vote = await get(session, actor, session_id, lock=True)
    _expect(vote, S.counting)
    this_round = await _round(session, vote)
    paper_voters = await session.scalar(select(func.count()).where(
        VoteRegister.session_id == vote.id, VoteRegister.paper.is_(True), VoteRegister.checked_in_at.is_not(None)))
    if paper_voters and not this_round.paper_entered:
        raise DomainError(N_("{count} deputies vote on paper: enter the paper tally first."), count=paper_voters)
    reconciled = await reconciliation(session, actor, session_id)
    if not reconciled.ok:
        raise DomainError(N_("The numbers do not add up: {problems}"), problems=problems_text(reconciled))
    listed = await round_items(session, vote)
    marks = list(await session.scalars(select(VoteBallot.marks).where(VoteBallot.session_id == vote.id,
                                                                      VoteBallot.round == vote.round)))
    electronic = counting.tally(marks, len(listed))
    counts = await _paper_counts(session, vote)
    valid_paper = this_round.paper - this_round.paper_blank - this_round.paper_invalid
    tallies = {}
    for (item, _title), tally in zip(listed, electronic):
        row = counts.get(item.id) or VoteCount(session_id=vote.id, round=vote.round, item_id=item.id)
        counts[item.id] = row
        paper = counting.Tally(row.paper_yes, row.paper_no, valid_paper - row.paper_yes - row.paper_no)
        tallies[item.id] = tally + paper
    result = counting.decide(tallies, vote.present, this_round.slots, majority=vote.round == 1)
    for outcome in result.outcomes:
        row = counts[outcome.key]
        row.yes, row.no, row.abstain = outcome.tally.yes, outcome.tally.no, outcome.tally.abstain
        row.passed, row.rank, row.adopted, row.tied = outcome.passed, outcome.rank, outcome.adopted, outcome.tied
        session.add(row)
    this_round.electronic, this_round.electronic_blank = reconciled.electronic, reconciled.blank - this_round.paper_blank
    this_round.confirmed_at = now
    _changed(session, vote, actor, now, "vote.confirm", round=vote.round, tied=len(result.tied))
    if result.tied:
        vote.status = S.tied
        return vote
    await _finish(session, actor, vote, now, rules)
    return vote


async def runoff(session: AsyncSession, actor: Actor, session_id: int, now: datetime,
                 ballot_button: Callable[[int, int], str]) -> VoteSession:
    """A run-off between the candidates tied at the last slot, among the same deputies present."""
    vote = await get(session, actor, session_id, lock=True)
    _expect(vote, S.tied)
    last = await _round(session, vote)
    rows = list(await session.scalars(select(VoteCount).where(VoteCount.session_id == vote.id,
                                                              VoteCount.round == vote.round)))
    tied_ids = {row.item_id for row in rows if row.tied}
    open_slots = last.slots - sum(1 for row in rows if row.adopted)
    positions = [item.position for item, _c in await items(session, vote.id) if item.id in tied_ids]
    vote.round += 1
    vote.status = S.voting
    present = await presence(session, vote.id)
    session.add(VoteRound(session_id=vote.id, round=vote.round, positions=",".join(map(str, positions)),
                          slots=open_slots, issued=present.present - present.paper))
    await session.flush()
    await _deal_ballots(session, vote, ballot_button(vote.id, vote.round))
    _changed(session, vote, actor, now, "vote.runoff", round=vote.round, candidates=len(positions))
    return vote


async def finish_unfilled(session: AsyncSession, actor: Actor, session_id: int, now: datetime,
                          rules: Rules) -> VoteSession:
    """End a tied session without a run-off: the tied candidates are not adopted, their slots stay empty."""
    vote = await get(session, actor, session_id, lock=True)
    _expect(vote, S.tied)
    await _finish(session, actor, vote, now, rules)
    return vote


async def _finish(session: AsyncSession, actor: Actor, vote: VoteSession, now: datetime, rules: Rules) -> None:
    vote.status, vote.closed_at = S.closed, now
    await session.flush()
    result = await sheet(session, actor, vote.id)
    for line, (item, _c) in zip(result.lines, await items(session, vote.id)):
        if line.adopted:
            # The explanation the deputies voted on decides the unit and the budget, not the pool's draft.
            await projects.create_from_candidate(session, actor, item.candidate_id, now, rules.projects,
                                                 voted_at=now, vote_session_id=vote.id,
                                                 department_id=item.department_id, budget=item.cost)
    await _announce(session, result, rules)
    _changed(session, vote, actor, now, "vote.close", adopted=result.adopted)


# --- results -----------------------------------------------------------------------------------


async def sheet(session: AsyncSession, actor: Actor | None, session_id: int) -> Sheet:
    """The result: office staff (or the CLI) once a round is confirmed; an eligible deputy once announced."""
    vote = await session.get(VoteSession, session_id)
    if vote is None:
        raise NotFound()
    if actor is None or actor.is_staff:
        await require_office(session, actor)
        shown = (S.tied, S.closed)
    else:
        await deputy_seat(session, actor, session_id)
        shown = (S.closed,)
    if vote.status not in shown:
        raise DomainError(N_("The results are shown once staff confirm the count."))
    listed = await items(session, vote.id)
    units = await unit_names(session, (item.department_id for item, _c in listed))
    rows = list(await session.scalars(select(VoteCount).where(VoteCount.session_id == vote.id)
                                      .order_by(VoteCount.round)))
    first = {row.item_id: row for row in rows if row.round == 1}
    last = {row.item_id: row for row in rows}
    lines = []
    for item, candidate in listed:
        row, final = first.get(item.id), last.get(item.id)
        if row is None:
            continue
        later = final if final is not row else None
        lines.append(Line(item.position + 1, candidate.title, units.get(item.department_id, ""),
                          counting.Tally(row.yes, row.no, row.abstain), row.passed, row.rank, final.adopted,
                          final.tied, counting.Tally(later.yes, later.no, later.abstain) if later else None))
    rounds = list(await session.scalars(select(VoteRound).where(VoteRound.session_id == vote.id)
                                        .order_by(VoteRound.round)))
    return Sheet(vote, vote.present or 0, counting.threshold(vote.present or 0), lines, rounds)


def verdict(line: Line) -> str:
    if line.adopted:
        return _("adopted")
    if line.tied:
        return _("tied at the last slot")
    return _("passed, outside the slots") if line.passed else _("not passed")


def summary(result: Sheet) -> str:
    """The announcement, HTML, in the current language; within one Telegram message (4096
    characters) even for a full ballot of long titles, which are shortened only if needed."""
    text_ = _summary(result, None)
    return text_ if len(text_) <= ANNOUNCEMENT_MAX else _summary(result, SHORT_TITLE)


def _summary(result: Sheet, title_max: int | None) -> str:
    from html import escape

    def title(line: Line) -> str:
        cut = line.title if title_max is None or len(line.title) <= title_max else line.title[:title_max - 1] + "…"
        return escape(cut, quote=False)

    vote = result.session
    head = [_("<b>Result of the vote on livelihood projects</b>\n{meeting}, {day}",
              meeting=escape(vote.meeting, quote=False), day=vote.held_on.isoformat()),
            _("Deputies present: {present}. A project needs more than half of them: {threshold} yes votes.",
              present=result.present, threshold=result.threshold)]
    if vote.slots is not None:
        head.append(_("Slots: {slots}, filled: {filled}.", slots=vote.slots, filled=result.adopted))
    body = []
    for line in result.lines:
        text_ = _("{number}. {title}: yes {yes}, no {no}, abstain {abstain} — {verdict}",
                  number=line.position, title=title(line), yes=line.tally.yes,
                  no=line.tally.no, abstain=line.tally.abstain, verdict=verdict(line))
        if line.runoff is not None:
            text_ += " " + _("(run-off: yes {yes})", yes=line.runoff.yes)
        body.append(text_)
    return "\n".join(head) + "\n\n" + "\n".join(body)


async def _announce(session: AsyncSession, result: Sheet, rules: Rules) -> None:
    """At once, to every eligible deputy, every resident behind a candidate, and the public channel."""
    vote = result.session
    letters = [outbox.Letter(user_id, lambda: summary(result), key=f"vote-result-{vote.id}-{user_id}")
               for user_id in await _eligible_users(session, vote.id)]
    by_candidate = {item.candidate_id: line for line, (item, _c) in zip(result.lines, await items(session, vote.id))}
    behind = await session.execute(
        select(Suggestion.author_id, Suggestion.number, Suggestion.candidate_id)
        .where(Suggestion.candidate_id.in_(by_candidate), Suggestion.author_id.is_not(None))
        .order_by(Suggestion.id))
    for author, number, candidate_id in behind:
        line = by_candidate[candidate_id]
        letters.append(outbox.Letter(
            author, lambda line=line, number=number: _(
                "The congress has voted on «{title}», the project your suggestion {number} is behind: {verdict}. "
                "Yes {yes} of {present} deputies present.", title=line.title, number=number, verdict=verdict(line),
                yes=line.tally.yes, present=result.present),
            key=f"vote-result-{vote.id}-{author}-{number}"))
    await outbox.tell_many(session, letters)
    if rules.announce_chat_id is not None:
        with use_locale(rules.default_locale):
            await outbox.enqueue(session, rules.announce_chat_id, summary(result),
                                 key=f"vote-result-{vote.id}-channel")


# --- what the vote keeps about a person ---------------------------------------------------------


async def _describe_data(session: AsyncSession, user_id: int) -> list[str]:
    """Questions asked before a vote; the register and ballots are official records of the congress
    (and the ballots name nobody), so they are not personal data of the voter."""
    asked = await session.scalar(select(func.count()).where(VoteQuestion.asked_by == user_id))
    return [_("Questions you asked on candidates before a vote: {count}", count=asked)] if asked else []


async def _erase_data(session: AsyncSession, user_id: int) -> None:
    await session.execute(update(VoteQuestion).where(VoteQuestion.asked_by == user_id).values(asked_by=None))
    await session.execute(update(VoteQuestion).where(VoteQuestion.answered_by == user_id).values(answered_by=None))


privacy.register(privacy.DataSection("votes", _describe_data, _erase_data))
