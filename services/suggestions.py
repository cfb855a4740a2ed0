"""Suggest (dian dan): residents (and deputies for them) suggest projects; staff review them; others add support.

Status changes go through `record_status`, which writes the history row and tells the
author (and, for the outcomes, the supporters) through the outbox in their own language.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from html import escape
from typing import Iterable

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from models import Deputy, Role, User, utcnow
from models.suggestions import (
    Candidate,
    InfoRequest,
    ReasonTemplate,
    Suggestion,
    SuggestionEvent,
    SuggestionPhoto,
    SuggestionSource,
    SuggestionStatus,
    Support,
)
from services import audit, outbox, privacy
from services.auth import Actor, require, require_station
from services.directory import Page, paginate
from services.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from services.i18n import N_, _
from services.text import clean_caption, fit, one_line, tidy

S = SuggestionStatus

CATEGORY_LABELS = {
    "roads": N_("Roads and transport"),
    "bridges_water": N_("Bridges and water works"),
    "drinking_water": N_("Safe drinking water"),
    "environment": N_("Living environment"),
    "culture_sports": N_("Culture and sports"),
    "education": N_("Basic education"),
    "health": N_("Basic health care"),
    "elderly_care": N_("Elderly care"),
    "other": N_("Other"),
}
STATUS_LABELS = {
    S.received: N_("received"),
    S.under_review: N_("under review"),
    S.info_requested: N_("more information asked"),
    S.accepted: N_("accepted into the candidate pool"),
    S.merged: N_("merged into a candidate project"),
    S.not_adopted: N_("not adopted"),
    S.voted: N_("voted by the deputies"),
    S.in_progress: N_("in progress"),
    S.completed: N_("completed"),
}
SOURCE_LABELS = {
    SuggestionSource.resident: N_("sent by a resident"),
    SuggestionSource.visit: N_("collected by a deputy on a visit"),
    SuggestionSource.station: N_("collected by a deputy at a liaison station"),
}

DESCRIPTION_MIN = 5
DESCRIPTION_MAX = 2000
PLACE_MAX = 200
MAX_PHOTOS = 5
RAISED_BY_MAX = 100_000
QUESTION_MAX = 1000
ANSWER_MAX = 2000
NOTE_MAX = 2000
REASON_MAX = 500

OPEN = (S.received, S.under_review, S.info_requested)
# Which status may follow which; the later orders (vote, delivery) use the last rows.
NEXT: dict[str, frozenset[str]] = {
    S.received: frozenset({S.under_review, S.info_requested, S.accepted, S.merged, S.not_adopted}),
    S.under_review: frozenset({S.info_requested, S.accepted, S.merged, S.not_adopted}),
    S.info_requested: frozenset({S.under_review, S.info_requested, S.accepted, S.merged, S.not_adopted}),
    S.accepted: frozenset({S.voted, S.not_adopted}),
    S.merged: frozenset({S.voted, S.not_adopted}),
    S.voted: frozenset({S.in_progress, S.completed}),
    S.in_progress: frozenset({S.completed}),
    S.not_adopted: frozenset(),
    S.completed: frozenset(),
}

# What the author is told when their suggestion reaches a status. {title} is the candidate's.
AUTHOR_NOTICES = {
    S.under_review: N_("Your suggestion {number} is now being reviewed by the congress office."),
    S.accepted: N_("Good news: your suggestion {number} has been accepted into the candidate pool as the project "
                   "«{title}». Deputies will consider it when they vote on the livelihood projects."),
    S.merged: N_("Your suggestion {number} has been merged with similar suggestions into the candidate project "
                 "«{title}». Deputies will consider it when they vote on the livelihood projects."),
    S.not_adopted: N_("Your suggestion {number} was not adopted.\nReason: {reason}"),
    S.voted: N_("The deputies voted the project «{title}», which includes your suggestion {number}, "
                "into the livelihood projects."),
    S.in_progress: N_("Work has started on the project «{title}», which includes your suggestion {number}."),
    S.completed: N_("The project «{title}», which includes your suggestion {number}, has been completed. "
                    "Thank you for suggesting it."),
}
SUPPORTER_NOTICE = N_("Update on suggestion {number}, which you support: {status}.")

# Reasons every congress office needs; created on first use, translated when shown.
DEFAULT_REASONS = {
    "budget": N_("The estimated cost is beyond what can be funded this year."),
    "planned": N_("It is already planned or under way by the responsible department."),
    "competence": N_("It is outside the responsibilities of this level of government."),
    "small": N_("It concerns only a few households; the village or community committee will handle it directly."),
    "unclear": N_("The suggestion is not clear enough to assess, and no further information came."),
    "done": N_("A similar project has recently been completed."),
}


@dataclass(frozen=True)
class Rules:
    """The settings that govern suggestions, handed in by the caller."""

    categories: tuple[str, ...]
    per_day: int
    tz: tzinfo


@dataclass
class Draft:
    """A suggestion being written; handlers keep it in the form's state until it is confirmed."""

    category: str
    description: str
    photos: list[tuple[str, ...]] = field(default_factory=list)  # (file_id, file_unique_id[, caption])
    station_id: int | None = None
    place_text: str = ""
    latitude: float | None = None
    longitude: float | None = None
    show_name: bool = False
    source: str = SuggestionSource.resident
    raised_by: int = 1


def category_label(key: str) -> str:
    return _(CATEGORY_LABELS[key]) if key in CATEGORY_LABELS else key


def status_label(status: str) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def source_label(source: str) -> str:
    return _(SOURCE_LABELS[source]) if source in SOURCE_LABELS else source


# --- validation, step by step -----------------------------------------------------------------


def clean_category(rules: Rules, key: str) -> str:
    if key not in rules.categories:
        raise InvalidInput(N_("That category is not offered. Please choose one of the buttons."))
    return key


def clean_description(text: str | None) -> str:
    text = tidy(text)
    if len(text) < DESCRIPTION_MIN:
        raise InvalidInput(N_("Please describe the need in at least {min} characters."), min=DESCRIPTION_MIN)
    return fit(text, DESCRIPTION_MAX)


def clean_place(text: str | None) -> str:
    text = one_line(text)
    if len(text) < 2 or len(text) > PLACE_MAX:
        raise InvalidInput(N_("Type the village and street in 2 to {max} characters, or send a location."),
                           max=PLACE_MAX)
    return text


def clean_location(latitude: float, longitude: float) -> tuple[float, float]:
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput(N_("That location is not valid."))
    return latitude, longitude


def clean_raised_by(text: str | None) -> int:
    digits = (text or "").strip()
    if not digits.isdigit() or not 1 <= int(digits) <= RAISED_BY_MAX:
        raise InvalidInput(N_("Send the number of residents as digits, from 1 to {max}."), max=RAISED_BY_MAX)
    return int(digits)


def _clean_text(text: str | None, limit: int) -> str:
    text = tidy(text)
    if not text:
        raise InvalidInput(N_("Please send it as text."))
    return fit(text, limit)


# --- the daily limit --------------------------------------------------------------------------


def _day_start(now: datetime, tz: tzinfo) -> datetime:
    local = now.astimezone(tz)
    return datetime.combine(local.date(), time(0), tzinfo=tz)


async def sent_today(session: AsyncSession, user_id: int, rules: Rules, now: datetime) -> int:
    return await session.scalar(
        select(func.count()).select_from(Suggestion).where(
            Suggestion.author_id == user_id,
            Suggestion.source == SuggestionSource.resident,
            Suggestion.created_at >= _day_start(now, rules.tz),
        )
    ) or 0


async def check_daily_limit(session: AsyncSession, actor: Actor, rules: Rules, now: datetime) -> None:
    """Refuse politely, naming the moment the resident may suggest again."""
    if await sent_today(session, actor.id, rules, now) >= rules.per_day:
        again = _day_start(now, rules.tz) + timedelta(days=1)
        raise DomainError(
            N_("Thank you for your suggestions! You have sent {count} today, the most for one day. "
               "You can send more from {when}."),
            count=rules.per_day, when=again.strftime("%Y-%m-%d %H:%M"),
        )


# --- submitting -------------------------------------------------------------------------------


def validate(rules: Rules, draft: Draft) -> Draft:
    """The whole draft, checked again at confirmation: the form may have been edited or replayed."""
    clean_category(rules, draft.category)
    draft.description = clean_description(draft.description)
    if len(draft.photos) > MAX_PHOTOS:
        raise InvalidInput(N_("A suggestion holds at most {max} photos."), max=MAX_PHOTOS)
    if draft.latitude is not None and draft.longitude is not None:
        clean_location(draft.latitude, draft.longitude)
        draft.place_text = one_line(draft.place_text)[:PLACE_MAX]
    else:
        draft.place_text = clean_place(draft.place_text)
    if not 1 <= draft.raised_by <= RAISED_BY_MAX:
        raise InvalidInput(N_("Send the number of residents as digits, from 1 to {max}."), max=RAISED_BY_MAX)
    return draft


async def default_station(session: AsyncSession, actor: Actor, source: str) -> int | None:
    """Where a deputy's suggestion comes from when not told otherwise: one raised at the deputy's own
    liaison station belongs to that station's area; one from a visit is placed by the form."""
    require(actor, Role.deputy)
    if actor.deputy_id is None:
        raise PermissionDenied()
    if source != SuggestionSource.station:
        return None
    deputy = await session.get(Deputy, actor.deputy_id)
    return deputy.station_id if deputy else None


async def submit(session: AsyncSession, actor: Actor, rules: Rules, draft: Draft, now: datetime) -> Suggestion:
    """Create the suggestion with its tracking number. Deputies log visit/station ones for residents."""
    draft = validate(rules, draft)
    deputy_id = None
    if draft.source == SuggestionSource.resident:
        # Lock the author's row (PostgreSQL) so two confirmations cannot both pass the limit.
        await session.scalar(select(User.id).where(User.id == actor.id).with_for_update())
        await check_daily_limit(session, actor, rules, now)
    elif draft.source in (SuggestionSource.visit, SuggestionSource.station):
        require(actor, Role.deputy)
        if actor.deputy_id is None:
            raise PermissionDenied()
        deputy_id = actor.deputy_id
    else:
        raise InvalidInput()
    suggestion = Suggestion(
        author_id=actor.id, show_name=draft.show_name and draft.source == SuggestionSource.resident,
        source=draft.source, deputy_id=deputy_id, raised_by=draft.raised_by if deputy_id else 1,
        category=draft.category, description=draft.description, station_id=draft.station_id,
        place_text=draft.place_text, latitude=draft.latitude, longitude=draft.longitude,
        share_code=secrets.token_urlsafe(12), created_at=now, updated_at=now,
    )
    session.add(suggestion)
    await session.flush()
    suggestion.number = f"MS-{now.astimezone(rules.tz).year}-{suggestion.id:06d}"
    for position, (file_id, unique_id, *caption) in enumerate(draft.photos):  # forms begun before captions: none
        session.add(SuggestionPhoto(suggestion_id=suggestion.id, position=position, file_id=file_id[:255],
                                    file_unique_id=unique_id[:64], caption=clean_caption(caption[0] if caption else "")))
    session.add(SuggestionEvent(suggestion_id=suggestion.id, at=now, actor_id=actor.id, status=S.received))
    audit.record(session, actor.id, "suggestion.create", "suggestion", suggestion.id,
                 number=suggestion.number, source=draft.source, raised_by=suggestion.raised_by)
    return suggestion


# --- status history and notices ---------------------------------------------------------------


async def record_status(
    session: AsyncSession, suggestion: Suggestion, status: str, *, actor_id: int | None, now: datetime,
    reason: str = "", reason_is_msgid: bool = False, notify: bool = True,
) -> SuggestionEvent:
    """Move a suggestion to `status`, keep the history, and tell the people behind it.

    The move is checked in the UPDATE itself (compare and set on the status read): of two clerks
    accepting, merging or closing the same suggestion at once, the second is refused."""
    previous = suggestion.status
    if status not in NEXT.get(previous, frozenset()):
        raise _step_gone(suggestion)
    moved = await session.execute(
        update(Suggestion).where(Suggestion.id == suggestion.id, Suggestion.status == previous)
        .values(status=status, updated_at=now).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        await session.refresh(suggestion, ["status"])
        raise _step_gone(suggestion)
    suggestion.status = status
    suggestion.updated_at = now
    event = SuggestionEvent(suggestion_id=suggestion.id, at=now, actor_id=actor_id, status=status,
                            text=reason, text_is_msgid=reason_is_msgid)
    session.add(event)
    await session.flush()
    if notify:
        await _announce(session, suggestion, event)
    return event


def event_text(event: SuggestionEvent) -> str:
    """The event's reason or note in the current language (built-in reasons are gettext ids)."""
    return _(event.text) if event.text_is_msgid else event.text


async def _announce(session: AsyncSession, suggestion: Suggestion, event: SuggestionEvent) -> None:
    message = AUTHOR_NOTICES.get(event.status or "")
    if message is None:
        return
    candidate = await session.get(Candidate, suggestion.candidate_id) if suggestion.candidate_id else None
    title = candidate.title if candidate else ""
    if suggestion.author_id is not None:  # erasing their data detaches the author
        await outbox.tell(session, suggestion.author_id,  # a template reason reads in the author's language
                          lambda: _(message, number=suggestion.number, title=escape(title),
                                    reason=escape(event_text(event))),
                          key=f"suggestion-event:{event.id}:{suggestion.author_id}")
    if event.status == S.under_review:
        return
    supporters = await session.scalars(
        select(User).join(Support, Support.user_id == User.id).where(Support.suggestion_id == suggestion.id)
    )
    for supporter in supporters:
        await outbox.tell(session, supporter.id,
                          lambda: _(SUPPORTER_NOTICE, number=suggestion.number, status=status_label(event.status or "")),
                          key=f"suggestion-event:{event.id}:{supporter.id}")


async def set_status(session: AsyncSession, actor: Actor, suggestion_id: int, status: str, *, now: datetime,
                     reason: str = "") -> Suggestion:
    """Staff (or the later orders acting for staff) move a suggestion on; the people behind it are told."""
    suggestion = await for_staff(session, actor, suggestion_id)
    await record_status(session, suggestion, status, actor_id=actor.id, now=now, reason=reason)
    audit.record(session, actor.id, "suggestion.status", "suggestion", suggestion.id, status=status)
    return suggestion


# --- reading ----------------------------------------------------------------------------------


async def get(session: AsyncSession, suggestion_id: int) -> Suggestion:
    suggestion = await session.get(Suggestion, suggestion_id)
    if suggestion is None:
        raise NotFound()
    return suggestion


async def for_staff(session: AsyncSession, actor: Actor, suggestion_id: int) -> Suggestion:
    """A suggestion from the area of a station the staff member serves (see the staff queue)."""
    require(actor, Role.staff)
    suggestion = await get(session, suggestion_id)
    require_station(actor, suggestion.station_id)
    return suggestion


async def own(session: AsyncSession, actor: Actor, suggestion_id: int) -> Suggestion:
    """The actor's own suggestion; someone else's reads as not found."""
    suggestion = await session.get(Suggestion, suggestion_id)
    if suggestion is None or suggestion.author_id != actor.id:
        raise NotFound()
    return suggestion


async def mine(session: AsyncSession, actor: Actor, limit: int = 20) -> list[Suggestion]:
    return list(await session.scalars(
        select(Suggestion).where(Suggestion.author_id == actor.id)
        .order_by(Suggestion.created_at.desc(), Suggestion.id.desc()).limit(limit)
    ))


async def history(session: AsyncSession, suggestion_id: int, *, internal: bool = False) -> list[SuggestionEvent]:
    """Status changes (and, for staff, internal notes), oldest first."""
    query = select(SuggestionEvent).where(SuggestionEvent.suggestion_id == suggestion_id)
    if not internal:
        query = query.where(SuggestionEvent.kind == "status")
    return list(await session.scalars(query.order_by(SuggestionEvent.at, SuggestionEvent.id)))


async def photos(session: AsyncSession, suggestion_id: int) -> list[SuggestionPhoto]:
    return list(await session.scalars(
        select(SuggestionPhoto).where(SuggestionPhoto.suggestion_id == suggestion_id).order_by(SuggestionPhoto.position)
    ))


async def support_counts(session: AsyncSession, suggestion_ids: list[int]) -> dict[int, int]:
    if not suggestion_ids:
        return {}
    rows = await session.execute(
        select(Support.suggestion_id, func.count()).where(Support.suggestion_id.in_(suggestion_ids))
        .group_by(Support.suggestion_id)
    )
    return {sid: count for sid, count in rows}


async def support_count(session: AsyncSession, suggestion_id: int) -> int:
    return (await support_counts(session, [suggestion_id])).get(suggestion_id, 0)


async def names_by_id(session: AsyncSession, column: InstrumentedAttribute[str],
                      ids: Iterable[int | None]) -> dict[int, str]:
    """`column` (a name or title) of the rows with these ids, for labelling lists in one query."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    model = column.class_
    return dict((await session.execute(select(model.id, column).where(model.id.in_(wanted)))).all())


async def rejections(session: AsyncSession, suggestion_ids: list[int]) -> dict[int, SuggestionEvent]:
    """The not-adopted event (with its reason) of each suggestion that has one."""
    if not suggestion_ids:
        return {}
    events = await session.scalars(
        select(SuggestionEvent).where(SuggestionEvent.suggestion_id.in_(suggestion_ids),
                                      SuggestionEvent.status == S.not_adopted).order_by(SuggestionEvent.id)
    )
    return {event.suggestion_id: event for event in events}


async def open_question(session: AsyncSession, suggestion_id: int) -> InfoRequest | None:
    """The latest unanswered question staff asked about this suggestion."""
    return await session.scalar(
        select(InfoRequest).where(InfoRequest.suggestion_id == suggestion_id, InfoRequest.answered_at.is_(None))
        .order_by(InfoRequest.id.desc()).limit(1)
    )


async def questions(session: AsyncSession, suggestion_id: int) -> list[InfoRequest]:
    return list(await session.scalars(
        select(InfoRequest).where(InfoRequest.suggestion_id == suggestion_id).order_by(InfoRequest.id)
    ))


async def author_name(session: AsyncSession, suggestion: Suggestion) -> str | None:
    """The author's first name, only when they allowed it to be shown."""
    if not suggestion.show_name or suggestion.author_id is None:
        return None
    author = await session.get(User, suggestion.author_id)
    return author.first_name if author and author.first_name else None


# --- the staff queue --------------------------------------------------------------------------
# A station's liaison clerk sees and triages the suggestions from their station's area; those of
# no station (the resident did not know, or it spans areas) and all others are the whole
# congress office's, as with residents' letters (services.inquiries.liaison_staff).

ALL_STATUSES = "all"
QUEUE_PAGE = 5
OPEN_STATUSES = "open"


@dataclass(frozen=True)
class QueueFilter:
    category: str | None = None
    station_id: int | None = None
    status: str = OPEN_STATUSES  # open | all | one status


def _filtered(query, flt: QueueFilter, actor: Actor | None = None):  # noqa: ANN001, ANN202
    if actor is not None and actor.stations is not None:
        query = query.where(Suggestion.station_id.in_(actor.stations))
    if flt.category:
        query = query.where(Suggestion.category == flt.category)
    if flt.station_id is not None:
        query = query.where(Suggestion.station_id == flt.station_id)
    if flt.status == OPEN_STATUSES:
        query = query.where(Suggestion.status.in_(OPEN))
    elif flt.status != ALL_STATUSES:
        query = query.where(Suggestion.status == flt.status)
    return query


async def queue(session: AsyncSession, actor: Actor, flt: QueueFilter, page: int = 0,
                per_page: int = QUEUE_PAGE) -> Page[Suggestion]:
    """One page of the queue, oldest first."""
    require(actor, Role.staff)
    query = _filtered(select(Suggestion), flt, actor).order_by(Suggestion.created_at, Suggestion.id)
    return await paginate(session, query, page, per_page)


async def matching(session: AsyncSession, flt: QueueFilter, actor: Actor | None = None) -> list[Suggestion]:
    """Every suggestion the filter matches (and the staff member serves), oldest first (for exports)."""
    query = _filtered(select(Suggestion), flt, actor).order_by(Suggestion.created_at, Suggestion.id)
    return list(await session.scalars(query))


async def open_for_review(session: AsyncSession, actor: Actor, suggestion_id: int, now: datetime) -> Suggestion:
    """Staff open a suggestion; the first look moves it from received to under review."""
    suggestion = await for_staff(session, actor, suggestion_id)
    if suggestion.status == S.received:
        await record_status(session, suggestion, S.under_review, actor_id=actor.id, now=now)
        audit.record(session, actor.id, "suggestion.review", "suggestion", suggestion.id)
    return suggestion


async def for_triage(session: AsyncSession, actor: Actor, suggestion_id: int) -> Suggestion:
    """A suggestion staff are about to accept, merge, question or close: it must still be open."""
    suggestion = await for_staff(session, actor, suggestion_id)
    require_open(suggestion)
    return suggestion


def _step_gone(suggestion: Suggestion) -> DomainError:
    return DomainError(N_("Suggestion {number} is already {status}; that step no longer applies."),
                       number=suggestion.number, status=status_label(suggestion.status))


def require_open(suggestion: Suggestion) -> None:
    """Triage (accept, merge, ask, not adopt) only applies to suggestions still waiting for it."""
    if suggestion.status not in OPEN:
        raise _step_gone(suggestion)


# --- asking the author for more information ----------------------------------------------------


async def ask_for_information(session: AsyncSession, actor: Actor, suggestion_id: int, question: str,
                              now: datetime, answer_button: str) -> InfoRequest:
    """Relay staff's question to the author, who answers with `answer_button` (callback data)."""
    suggestion = await for_triage(session, actor, suggestion_id)
    question = _clean_text(question, QUESTION_MAX)
    if suggestion.author_id is None:
        raise DomainError(N_("The author of this suggestion has deleted their data and cannot be asked."))
    request = InfoRequest(suggestion_id=suggestion.id, asked_by=actor.id, question=question, asked_at=now)
    session.add(request)
    event = await record_status(session, suggestion, S.info_requested, actor_id=actor.id, now=now, notify=False)
    await outbox.notify(session, suggestion.author_id,
                        N_("The congress office has a question about your suggestion {number}:\n\n{question}\n\n"
                           "Press the button below to answer."),
                        key=f"suggestion-event:{event.id}:{suggestion.author_id}",
                        buttons=[(N_("Answer the question"), answer_button)],
                        number=suggestion.number, question=escape(question))
    audit.record(session, actor.id, "suggestion.ask", "suggestion", suggestion.id)
    return request


async def question_for_author(session: AsyncSession, actor: Actor,
                              suggestion_id: int) -> tuple[Suggestion, InfoRequest]:
    """The author's own suggestion and the question waiting for their answer."""
    suggestion = await own(session, actor, suggestion_id)
    request = await open_question(session, suggestion.id)
    if request is None or suggestion.status != S.info_requested:
        raise DomainError(N_("There is no open question about this suggestion any more."))
    return suggestion, request


async def answer_information(session: AsyncSession, actor: Actor, suggestion_id: int, answer: str,
                             now: datetime, open_button: str) -> Suggestion:
    """The author answers; the answer goes to the staff member who asked, back under review."""
    suggestion, request = await question_for_author(session, actor, suggestion_id)
    request.answer = _clean_text(answer, ANSWER_MAX)
    request.answered_at = now
    await record_status(session, suggestion, S.under_review, actor_id=actor.id, now=now, notify=False)
    if request.asked_by is not None:
        await outbox.notify(session, request.asked_by, N_("Answer about suggestion {number}:\n\n<i>{question}</i>\n\n{answer}"),
                            key=f"suggestion-answer:{request.id}", buttons=[(N_("Open the suggestion"), open_button)],
                            concerns=actor.id, number=suggestion.number, question=escape(request.question),
                            answer=escape(request.answer))
    audit.record(session, actor.id, "suggestion.answer", "suggestion", suggestion.id)
    return suggestion


# --- not adopting, and the reason templates ----------------------------------------------------


async def reason_templates(session: AsyncSession, actor: Actor) -> list[ReasonTemplate]:
    """Built-in reasons (created on first use) and the ones staff added, oldest first."""
    require(actor, Role.staff)
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    for key, text in DEFAULT_REASONS.items():
        await session.execute(insert(ReasonTemplate).values(key=key, text=text, created_at=utcnow())
                              .on_conflict_do_nothing(index_elements=["key"]))
    return list(await session.scalars(select(ReasonTemplate).order_by(ReasonTemplate.id)))


def clean_reason(text: str | None) -> str:
    return _clean_text(text, REASON_MAX)


def template_text(template: ReasonTemplate) -> str:
    return _(template.text) if template.key else template.text


async def add_reason_template(session: AsyncSession, actor: Actor, text: str) -> ReasonTemplate:
    require(actor, Role.staff)
    text = clean_reason(text)
    template = ReasonTemplate(text=text, created_by=actor.id)
    session.add(template)
    await session.flush()
    audit.record(session, actor.id, "reason.add", "reasontemplate", template.id)
    return template


async def not_adopt(session: AsyncSession, actor: Actor, suggestion_id: int, now: datetime, *,
                    template_id: int | None = None, reason: str | None = None) -> Suggestion:
    """Close a suggestion with a reason: a template's, or one typed for this case."""
    suggestion = await for_triage(session, actor, suggestion_id)
    if template_id is not None:
        template = await session.get(ReasonTemplate, template_id)
        if template is None:
            raise NotFound()
        text, is_msgid = template.text, template.key is not None
    else:
        text, is_msgid = clean_reason(reason), False
    await record_status(session, suggestion, S.not_adopted, actor_id=actor.id, now=now, reason=text,
                        reason_is_msgid=is_msgid)
    audit.record(session, actor.id, "suggestion.reject", "suggestion", suggestion.id, template_id=template_id)
    return suggestion


async def add_note(session: AsyncSession, actor: Actor, suggestion_id: int, text: str,
                   now: datetime) -> SuggestionEvent:
    """An internal note: staff see it in the history; the resident never does."""
    suggestion = await for_staff(session, actor, suggestion_id)
    note = SuggestionEvent(suggestion_id=suggestion.id, at=now, actor_id=actor.id, kind="note",
                           text=_clean_text(text, NOTE_MAX))
    session.add(note)
    await session.flush()
    audit.record(session, actor.id, "suggestion.note", "suggestion", suggestion.id)
    return note


# --- support ----------------------------------------------------------------------------------

SHARE_PREFIX = "s_"


async def by_share_code(session: AsyncSession, code: str) -> Suggestion:
    suggestion = None
    if 8 <= len(code) <= 32:
        suggestion = await session.scalar(select(Suggestion).where(Suggestion.share_code == code))
    if suggestion is None:
        raise NotFound(N_("This share link is not valid. Check that it was copied completely."))
    return suggestion


def supportable(suggestion: Suggestion) -> bool:
    return suggestion.status not in (S.not_adopted, S.completed)


async def support(session: AsyncSession, actor: Actor, code: str, now: datetime) -> int:
    """Add the actor's support, once. Returns the new count."""
    suggestion = await by_share_code(session, code)
    if suggestion.author_id == actor.id:
        raise DomainError(N_("This is your own suggestion; share the link so that others can support it."))
    if not supportable(suggestion):
        raise DomainError(N_("Suggestion {number} is {status} and no longer collects support."),
                          number=suggestion.number, status=status_label(suggestion.status))
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    result = await session.execute(
        insert(Support).values(suggestion_id=suggestion.id, user_id=actor.id, created_at=now)
        .on_conflict_do_nothing(index_elements=["suggestion_id", "user_id"])
    )
    if not result.rowcount:
        raise DomainError(N_("You already support this suggestion. Thank you!"))
    audit.record(session, actor.id, "suggestion.support", "suggestion", suggestion.id)
    return await support_count(session, suggestion.id)


async def supports(session: AsyncSession, actor: Actor, suggestion_id: int) -> bool:
    return await session.scalar(
        select(Support.id).where(Support.suggestion_id == suggestion_id, Support.user_id == actor.id)
    ) is not None


# --- privacy ----------------------------------------------------------------------------------


async def _describe_mine(session: AsyncSession, user_id: int) -> list[str]:
    numbers = list(await session.scalars(
        select(Suggestion.number).where(Suggestion.author_id == user_id).order_by(Suggestion.id)
    ))
    supported = await session.scalar(select(func.count()).select_from(Support).where(Support.user_id == user_id)) or 0
    lines = []
    if numbers:
        lines.append(_("Suggestions you sent ({count}), with their text, photos and place: {numbers}",
                       count=len(numbers), numbers=", ".join(numbers)))
    if supported:
        lines.append(_("Suggestions you support: {count}", count=supported))
    return lines


async def _erase_mine(session: AsyncSession, user_id: int) -> None:
    """Delete what is only the resident's; what grew into a candidate stays, without its author."""
    await session.execute(delete(Support).where(Support.user_id == user_id))
    await session.execute(delete(Suggestion).where(Suggestion.author_id == user_id, Suggestion.candidate_id.is_(None)))
    kept = select(Suggestion.id).where(Suggestion.author_id == user_id)
    await session.execute(update(SuggestionEvent).where(SuggestionEvent.suggestion_id.in_(kept),
                                                        SuggestionEvent.actor_id == user_id).values(actor_id=None))
    await session.execute(update(Suggestion).where(Suggestion.author_id == user_id)
                          .values(author_id=None, show_name=False))


privacy.register(privacy.DataSection("suggestions", _describe_mine, _erase_mine))

