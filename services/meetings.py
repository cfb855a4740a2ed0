"""Meeting a deputy (seed 003: scan the code to book a meeting): reception slots and hours,
meeting requests, and what the deputy does with them.

A meeting request is an inquiry of kind "meeting": the same 7-day clock runs until the
deputy accepts, declines or moves it. Its states: requested (open, or answered in the
thread) → confirmed (accepted) / declined / moved → held / cancelled. A meeting is never
confirmed or moved into the past, nor declined once confirmed (it is cancelled, with a
reason). It has a place: the slot's, else the deputy's station, which the deputy may
change. A confirmed meeting has a timer (a deadline of kind "meeting", not on staff's
lists): the resident is reminded at 09:00 the day before, and some hours after its start
the deputy is asked whether it took place. A slot is held by one request at a time; a
declined, moved or cancelled request frees it.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from html import escape

from sqlalchemy import Row, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import Deadline, Deputy, Station
from models.contact import MEETING_DEADLINE, Inquiry, InquiryKind, InquiryStatus, ReceptionSlot
from services import audit, deadlines, when
from services import calendar
from services.calendar import local_day_start
from services.deadlines import Stage
from services.auth import Actor
from services.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from services.i18n import N_, _
from services.inquiries import (
    INBOX_PREFIX, NOTE_MAX, OVERSIGHT_PREFIX, TEXT_MAX, Handling, Receipt, Rules, add_message, button,
    deputy_recipients, handled_inquiry, on_bot, open_inquiry, reply_button, require_resident, respond, status_label,
)
from services.outbox import tell
from services.text import one_line, tidy

HOURS_MAX = 255
PLACE_MAX = 120
WHEN_MAX = 40  # a typed date and time ("2026-03-05 14:00", with CJK date words): for the over-long hint
HORIZON = timedelta(days=180)  # no bookings further ahead than this
SLOTS_SHOWN = 8
# A meeting still to take place: it holds its slot (a reply in the thread does not settle it).
MEETING_PENDING = (InquiryStatus.open, InquiryStatus.answered, InquiryStatus.accepted, InquiryStatus.moved)
# The deputy accepts, declines or moves a request; a confirmed or moved meeting is held or cancelled.
REQUESTED = (InquiryStatus.open, InquiryStatus.answered)
CONFIRMED = (InquiryStatus.accepted, InquiryStatus.moved)
HINT = N_("Please write the date and time, for example {iso}, {month}/{day} {hour12} pm, or tomorrow {hour}:00.")
REMIND_AT = timedelta(hours=9)  # the resident's reminder: 09:00 on the day before
FOLLOW_UP = timedelta(hours=3)  # after the meeting's start, its deputy is asked whether it took place


def example(rules: Rules, now: datetime) -> dict[str, object]:
    """A time in the coming week to show in the hint: the day after tomorrow at 15:00."""
    day = now.astimezone(rules.tz).date() + timedelta(days=2)
    return dict(iso=f"{day.isoformat()} 15:00", month=day.month, day=day.day, hour=15, hour12=3)


def time_hint(rules: Rules, now: datetime) -> str:
    return _(HINT, **example(rules, now))


def parse_when(text: str, rules: Rules, now: datetime, *, allow_rest: bool = False) -> tuple[datetime, str]:
    """A local date and time typed by a person -> (aware UTC datetime, the rest of the text).

    The forms are services.when's ("2026-03-05 14:00", "3/5 15:00", "12月3日 下午3点", "明天 15:00",
    "周三 下午3点"...). Raises InvalidInput with an example from the coming week.
    """
    try:
        typed = when.parse(text, now, rules.tz)
    except when.NotUnderstood:
        raise InvalidInput(HINT, **example(rules, now)) from None
    if typed.rest and not allow_rest:
        raise InvalidInput(HINT, **example(rules, now))
    at = typed.at.astimezone(now.tzinfo)
    if at <= now:
        raise InvalidInput(N_("That time has already passed. Please choose a time in the future."))
    if at > now + HORIZON:
        raise InvalidInput(N_("Please choose a time within the next {days} days."), days=HORIZON.days)
    return at, typed.rest


PICKED_HOURS = (9, 10, 11, 14, 15, 16, 17)  # the times offered as buttons once a day is chosen
PICKED_DAYS = 7


def days_offered(rules: Rules, now: datetime) -> list[date]:
    """The days a resident picks from: the coming week, from tomorrow."""
    today = now.astimezone(rules.tz).date()
    return [today + timedelta(days=n) for n in range(1, PICKED_DAYS + 1)]


def hours_offered(day: date, rules: Rules, now: datetime) -> list[int]:
    return [hour for hour in PICKED_HOURS if picked_time(day, hour * 60, rules, now, strict=False) is not None]


def picked_time(day: date, minute: int, rules: Rules, now: datetime, *, strict: bool = True) -> datetime | None:
    """The moment of a day and time picked with buttons, if it is still to come and within the horizon."""
    at = None
    if 0 <= minute < 24 * 60:
        at = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=rules.tz).astimezone(now.tzinfo)
    if at is None or not now < at <= now + HORIZON:
        if strict:
            raise InvalidInput(N_("That time has already passed. Please choose a time in the future."))
        return None
    return at


# --- reception hours and slots (the deputy) ----------------------------------------------------


def _own_deputy_id(actor: Actor) -> int:
    if actor.deputy_id is None:
        raise PermissionDenied()
    return actor.deputy_id


async def set_hours(session: AsyncSession, actor: Actor, text: str) -> Deputy:
    """The reception hours shown on the deputy's card and poster, e.g. "every Wednesday 9:00-11:30"."""
    deputy = await session.get(Deputy, _own_deputy_id(actor))
    text = one_line(text)
    if len(text) > HOURS_MAX:
        raise InvalidInput(N_("Please write between 1 and {max} characters."), max=HOURS_MAX)
    deputy.reception_hours = text
    audit.record(session, actor.id, "deputy.reception_hours", "deputy", deputy.id)
    return deputy


async def add_slot(session: AsyncSession, actor: Actor, text: str, now: datetime, rules: Rules,
                   minutes: int = 60) -> ReceptionSlot:
    """A slot from "2026-03-05 14:00 Station hall": the date and time, then optionally the place."""
    deputy_id = _own_deputy_id(actor)
    starts_at, place = parse_when(text, rules, now, allow_rest=True)
    if len(place) > PLACE_MAX:
        raise InvalidInput(N_("The place is at most {max} characters."), max=PLACE_MAX)
    clash = await session.scalar(select(ReceptionSlot.id).where(
        ReceptionSlot.deputy_id == deputy_id, ReceptionSlot.starts_at == starts_at))
    if clash is not None:
        raise InvalidInput(N_("You already offer a slot at that time."))
    slot = ReceptionSlot(deputy_id=deputy_id, starts_at=starts_at, minutes=minutes, place=place, created_at=now)
    session.add(slot)
    await session.flush()
    audit.record(session, actor.id, "slot.add", "receptionslot", slot.id)
    return slot


async def _holder(session: AsyncSession, slot_id: int) -> Inquiry | None:
    return await session.scalar(select(Inquiry).where(
        Inquiry.slot_id == slot_id, Inquiry.status.in_(MEETING_PENDING)))


async def remove_slot(session: AsyncSession, actor: Actor, slot_id: int) -> None:
    slot = await session.get(ReceptionSlot, slot_id)
    if slot is None:
        raise NotFound()
    if slot.deputy_id != _own_deputy_id(actor):
        raise PermissionDenied()
    if await _holder(session, slot.id) is not None:
        raise DomainError(N_("A resident has booked this slot. Move or decline that meeting instead."))
    await session.delete(slot)
    audit.record(session, actor.id, "slot.remove", "receptionslot", slot_id)


async def free_slots(session: AsyncSession, deputy_id: int, now: datetime) -> list[ReceptionSlot]:
    """The deputy's future slots nobody holds, soonest first."""
    held = select(Inquiry.slot_id).where(
        Inquiry.slot_id.is_not(None), Inquiry.status.in_(MEETING_PENDING))
    return list(await session.scalars(
        select(ReceptionSlot)
        .where(ReceptionSlot.deputy_id == deputy_id, ReceptionSlot.starts_at > now, ReceptionSlot.id.not_in(held))
        .order_by(ReceptionSlot.starts_at).limit(SLOTS_SHOWN)))


async def own_slots(session: AsyncSession, actor: Actor, now: datetime) -> list[tuple[ReceptionSlot, bool]]:
    """The deputy's future slots and whether each is booked."""
    deputy_id = _own_deputy_id(actor)
    slots = list(await session.scalars(select(ReceptionSlot).where(
        ReceptionSlot.deputy_id == deputy_id, ReceptionSlot.starts_at > now).order_by(ReceptionSlot.starts_at)))
    return [(slot, await _holder(session, slot.id) is not None) for slot in slots]


# --- meeting requests (residents) and answers (the deputy) -------------------------------------


def clean_topic(text: str | None) -> str:
    topic = tidy(text)
    if len(topic) > TEXT_MAX:
        raise InvalidInput(N_("Please write between 1 and {max} characters."), max=TEXT_MAX)
    return topic


async def request(session: AsyncSession, actor: Actor, deputy_id: int, now: datetime, rules: Rules, *,
                  slot_id: int | None = None, proposed_at: datetime | None = None, topic: str = "") -> Receipt:
    """Ask to meet a deputy in one of their free slots, or at a proposed time; the place is the slot's,
    else the deputy's station."""
    if (slot_id is None) == (proposed_at is None):
        raise InvalidInput()
    place = ""
    if slot_id is not None:
        # On PostgreSQL the row lock makes a second booking wait and then see the first; on
        # SQLite the unique index on held slots refuses it at insert (see models.contact).
        slot = await session.get(ReceptionSlot, slot_id, with_for_update=True)
        if slot is None or slot.deputy_id != deputy_id or slot.starts_at <= now:
            raise NotFound(N_("This slot is no longer offered. Please choose another one."))
        if await _holder(session, slot.id) is not None:
            raise DomainError(N_("Someone has just booked this slot. Please choose another one."))
        proposed_at, place = slot.starts_at, slot.place
    elif not now < proposed_at <= now + HORIZON:
        raise InvalidInput(HINT, **example(rules, now))
    try:
        receipt = await open_inquiry(session, actor, deputy_id, now, rules, kind=InquiryKind.meeting,
                                     text=clean_topic(topic), meeting_at=proposed_at, slot_id=slot_id)
    except IntegrityError:
        raise DomainError(N_("Someone has just booked this slot. Please choose another one.")) from None
    receipt.inquiry.meeting_place = place or await _station_place(session, receipt.deputy)
    return receipt


async def _station_place(session: AsyncSession, deputy: Deputy) -> str:
    station = await session.get(Station, deputy.station_id) if deputy.station_id is not None else None
    if station is None:
        return ""
    return " · ".join(part for part in (station.name, station.address) if part)[:PLACE_MAX]


# What may be done to a meeting in which states, and what the refusal says otherwise.
ACTIONS = {
    "accept": (REQUESTED, N_("This meeting request is settled ({status}); it can no longer be accepted.")),
    "decline": (REQUESTED, N_("This meeting request is settled ({status}); it can no longer be declined.")),
    "move": (REQUESTED + CONFIRMED, N_("This meeting request is settled ({status}); it can no longer be accepted, "
                                       "declined or moved.")),
    "place": (REQUESTED + CONFIRMED, N_("This meeting is {status}; its place can no longer be changed.")),
    "cancel": (CONFIRMED, N_("This meeting is {status}; only a confirmed or moved meeting can be cancelled.")),
    "held": (CONFIRMED, N_("This meeting is {status}; only a confirmed or moved meeting can be marked held.")),
}


async def check(session: AsyncSession, actor: Actor, inquiry_id: int, action: str) -> Handling:
    """The meeting, if `actor` handles it and it is in a state where `action` can be done."""
    allowed, refusal = ACTIONS[action]
    handling = await handled_inquiry(session, actor, inquiry_id)
    inquiry = handling.inquiry
    if inquiry.kind != InquiryKind.meeting:
        raise InvalidInput()
    if inquiry.status not in allowed:
        if action == "decline" and inquiry.status in CONFIRMED:
            refusal = N_("This meeting is {status}; it can no longer be declined. Cancel it instead, with a reason.")
        raise DomainError(refusal, status=status_label(inquiry))
    return handling


def place_line(inquiry: Inquiry) -> str:
    return _("Place: {place}", place=escape(inquiry.meeting_place)) if inquiry.meeting_place else ""


async def accept(session: AsyncSession, actor: Actor, inquiry_id: int, now: datetime, rules: Rules) -> Inquiry:
    handling = await check(session, actor, inquiry_id, "accept")
    inquiry = handling.inquiry
    resident_id = require_resident(inquiry)
    if inquiry.meeting_at <= now:
        raise DomainError(N_("The time asked for, {when}, has passed: the meeting can no longer be confirmed. "
                             "Move it to a new time, or decline it."), when=rules.local(inquiry.meeting_at))
    await respond(session, inquiry, InquiryStatus.accepted, now)
    await _start_timer(session, inquiry, now, rules)
    audit.record(session, actor.id, "meeting.accept", "inquiry", inquiry.id, author=handling.author)
    await tell(session, resident_id, lambda: "\n".join(filter(None, [_(
        "{who} confirmed your meeting ({number}) on {when}.", who=handling.who(),
        number=inquiry.number, when=rules.local(inquiry.meeting_at)), place_line(inquiry)])),
        key=f"inquiry:{inquiry.id}:accepted:{inquiry.meeting_at.isoformat()}", buttons=reply_button(inquiry))
    return inquiry


async def decline(session: AsyncSession, actor: Actor, inquiry_id: int, reason: str, now: datetime) -> Inquiry:
    handling = await check(session, actor, inquiry_id, "decline")
    return await _call_off(session, actor, handling, reason, now, InquiryStatus.declined, N_(
        "Deputy {deputy} cannot meet you as requested ({number})."))


async def cancel(session: AsyncSession, actor: Actor, inquiry_id: int, reason: str, now: datetime) -> Inquiry:
    """A confirmed or moved meeting is called off (or did not take place), with a reason for the resident."""
    handling = await check(session, actor, inquiry_id, "cancel")
    return await _call_off(session, actor, handling, reason, now, InquiryStatus.cancelled, N_(
        "Your meeting with deputy {deputy} ({number}) is cancelled."))


async def _call_off(session: AsyncSession, actor: Actor, handling: Handling, reason: str, now: datetime,
                    status: InquiryStatus, told: str) -> Inquiry:
    inquiry = handling.inquiry
    resident_id = require_resident(inquiry)
    reason = tidy(reason)
    if not reason or len(reason) > NOTE_MAX:
        raise InvalidInput(N_("Please write between 1 and {max} characters."), max=NOTE_MAX)
    inquiry.slot_id = None
    add_message(session, inquiry, handling.author, actor.id, reason, now)
    await respond(session, inquiry, status, now)
    await deadlines.close_deadline(session, MEETING_DEADLINE, inquiry.id, now)
    audit.record(session, actor.id, f"meeting.{'decline' if status == InquiryStatus.declined else 'cancel'}",
                 "inquiry", inquiry.id, author=handling.author)
    deputy = handling.deputy
    await tell(session, resident_id, lambda: "\n\n".join([
        _(told, deputy=escape(deputy.name), number=inquiry.number), _("Reason: {reason}", reason=escape(reason))]),
        key=f"inquiry:{inquiry.id}:{status}", buttons=reply_button(inquiry))
    return inquiry


async def move(session: AsyncSession, actor: Actor, inquiry_id: int, text: str, now: datetime,
               rules: Rules) -> Inquiry:
    """The deputy proposes another time; the meeting stands at that time unless the resident replies."""
    handling = await check(session, actor, inquiry_id, "move")
    inquiry = handling.inquiry
    resident_id = require_resident(inquiry)
    new_time, _rest = parse_when(text, rules, now)
    if new_time == inquiry.meeting_at:
        raise InvalidInput(N_("That is the time already agreed."))
    inquiry.meeting_at, inquiry.slot_id = new_time, None
    await respond(session, inquiry, InquiryStatus.moved, now)
    await _start_timer(session, inquiry, now, rules)
    audit.record(session, actor.id, "meeting.move", "inquiry", inquiry.id, to=new_time.isoformat())
    await tell(session, resident_id, lambda: "\n".join(filter(None, [_(
        "{who} moved your meeting ({number}) to {when}. If that time does not suit you, reply here.",
        who=handling.who(), number=inquiry.number, when=rules.local(new_time)), place_line(inquiry)])),
        key=f"inquiry:{inquiry.id}:moved:{new_time.isoformat()}", buttons=reply_button(inquiry))
    return inquiry


async def set_place(session: AsyncSession, actor: Actor, inquiry_id: int, text: str, now: datetime,
                    rules: Rules) -> Inquiry:
    """Where the meeting is, as the deputy says; the resident is told of a change once it is confirmed."""
    handling = await check(session, actor, inquiry_id, "place")
    inquiry = handling.inquiry
    place = one_line(text)
    if not place or len(place) > PLACE_MAX:
        raise InvalidInput(N_("Please write between 1 and {max} characters."), max=PLACE_MAX)
    if place == inquiry.meeting_place:
        return inquiry
    inquiry.meeting_place, inquiry.updated_at = place, now
    event = audit.record(session, actor.id, "meeting.place", "inquiry", inquiry.id)
    await session.flush()
    if inquiry.resident_id is not None:
        await tell(session, inquiry.resident_id, lambda: "\n".join([
            _("{who} changed the place of your meeting ({number}) on {when}.", who=handling.who(),
              number=inquiry.number, when=rules.local(inquiry.meeting_at)), place_line(inquiry)]),
            key=f"inquiry:{inquiry.id}:place:{event.id}", buttons=reply_button(inquiry))
    return inquiry


async def mark_held(session: AsyncSession, actor: Actor, inquiry_id: int, now: datetime, rules: Rules) -> Inquiry:
    handling = await check(session, actor, inquiry_id, "held")
    inquiry = handling.inquiry
    if inquiry.meeting_at > now:
        raise DomainError(N_("The meeting is on {when}: mark it held once it has taken place."),
                          when=rules.local(inquiry.meeting_at))
    inquiry.status, inquiry.updated_at = InquiryStatus.held, now
    await deadlines.close_deadline(session, MEETING_DEADLINE, inquiry.id, now)
    audit.record(session, actor.id, "meeting.held", "inquiry", inquiry.id, author=handling.author)
    return inquiry


# --- the meeting's timer -----------------------------------------------------------------------


async def _start_timer(session: AsyncSession, inquiry: Inquiry, now: datetime, rules: Rules) -> None:
    """The reminder the day before and the question afterwards, for the meeting's time as it is now
    (a moved meeting gets a new timer)."""
    await session.execute(delete(Deadline).where(Deadline.kind == MEETING_DEADLINE, Deadline.subject_id == inquiry.id))
    day_before = inquiry.meeting_at.astimezone(rules.tz).date() - timedelta(days=1)
    await deadlines.open_deadline(
        session, kind=MEETING_DEADLINE, subject_id=inquiry.id, started_at=now, due_at=inquiry.meeting_at + FOLLOW_UP,
        owner_id=inquiry.resident_id, station_id=inquiry.station_id,
        remind_at=local_day_start(day_before, rules.tz) + REMIND_AT)


async def _on_timer(session: AsyncSession, due: list[Row], stage: Stage, now: datetime) -> None:
    """The day before, the resident is reminded; after the meeting its deputy (or the staff handling it
    for them) is asked whether it took place."""
    found = {i.id: i for i in await session.scalars(select(Inquiry).where(
        Inquiry.id.in_([d.subject_id for d in due]), Inquiry.status.in_(CONFIRMED)))}
    tz = calendar.zone()
    for deadline in due:
        inquiry = found.get(deadline.subject_id)
        if inquiry is None:
            continue
        deputy = await session.get(Deputy, inquiry.deputy_id)
        when_text = inquiry.meeting_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
        if stage == Stage.remind and inquiry.resident_id is not None:
            await tell(session, inquiry.resident_id, lambda inquiry=inquiry, deputy=deputy, when_text=when_text:
                       "\n".join(filter(None, [_(
                           "Reminder: tomorrow, {when}, you meet deputy {deputy} ({number}). If you cannot come, "
                           "reply here.", when=when_text, deputy=escape(deputy.name), number=inquiry.number),
                           place_line(inquiry)])),
                       key=f"meeting:{deadline.id}:remind", buttons=reply_button(inquiry))
        elif stage == Stage.escalate:
            prefix = INBOX_PREFIX if on_bot(deputy) else OVERSIGHT_PREFIX
            for user_id in await deputy_recipients(session, deputy):
                await tell(session, user_id, lambda inquiry=inquiry, when_text=when_text: _(
                    "Did the meeting {number} with Resident #{alias} on {when} take place? Mark it held, or "
                    "cancel it with a reason.", number=inquiry.number, alias=inquiry.resident_alias,
                    when=when_text),
                    key=f"meeting:{deadline.id}:held?:{user_id}",
                    buttons=[(N_("Mark held"), button(INBOX_PREFIX, "held", inquiry.id)),
                             (N_("Cancel the meeting"), button(INBOX_PREFIX, "cancel", inquiry.id)),
                             (N_("Open"), button(prefix, "open", inquiry.id))])


async def _describe_timer(session: AsyncSession, deadline: Deadline) -> str:
    inquiry = await session.get(Inquiry, deadline.subject_id)
    return _("Meeting {number}", number=inquiry.number if inquiry else f"#{deadline.subject_id}")


deadlines.register_kind(MEETING_DEADLINE, _on_timer, _describe_timer, watched=False)
