"""Meeting a deputy (seed 003: scan the code to book a meeting): reception slots and hours,
meeting requests, and the deputy's accept, decline or move.

A meeting request is an inquiry of kind "meeting": the same 7-day clock runs until the
deputy accepts, declines or moves it. A slot is held by one request at a time; a
declined or moved request frees it.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from html import escape

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from models import Deputy
from models.contact import Inquiry, InquiryKind, InquiryStatus, ReceptionSlot
from services import audit
from services.auth import Actor
from services.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from services.i18n import N_, _
from services.inquiries import (
    NOTE_MAX, TEXT_MAX, Receipt, Rules, add_message, deputy_inquiry, open_inquiry, reply_button, require_resident,
    respond, status_label,
)
from services.outbox import tell

HOURS_MAX = 255
PLACE_MAX = 120
WHEN_MAX = 40  # a typed date and time ("2026-03-05 14:00", with CJK date words): for the over-long hint
HORIZON = timedelta(days=180)  # no bookings further ahead than this
SLOTS_SHOWN = 8
# A meeting the deputy can still accept, decline or move (a reply in the thread does not settle it).
MEETING_PENDING = (InquiryStatus.open, InquiryStatus.answered, InquiryStatus.accepted)
# After NFKC (full-width digits and colons become ASCII) the CJK date words are accepted
# as separators: year/month (\u5e74 \u6708), day (\u65e5 \u53f7), hour (\u70b9 \u65f6 \u6642), minute (\u5206).
_WHEN = re.compile(
    r"(?:(\d{4})[-/.\u5e74])?(\d{1,2})[-/.\u6708](\d{1,2})(?:[\u65e5\u53f7]\s*|[\sT]+)"
    r"(\d{1,2})(?:[:\u70b9\u65f6\u6642](\d{2})?\u5206?)?(?:\s+(.*))?",
    re.DOTALL,
)
HINT = N_("Write the date and time like 2026-03-05 14:00.")


def parse_when(text: str, rules: Rules, now: datetime, *, allow_rest: bool = False) -> tuple[datetime, str]:
    """A local date and time typed by a person -> (aware UTC datetime, the rest of the text).

    Accepts "2026-03-05 14:00", "2026/3/5 9:30", "3-5 14:00" (the next such date), and
    the same with CJK date words or full-width digits. Raises InvalidInput with a hint.
    """
    normal = unicodedata.normalize("NFKC", text or "").strip()
    match = _WHEN.fullmatch(normal)
    if not match or (match.group(6) and not allow_rest):
        raise InvalidInput(HINT)
    year, month, day, hour, minute, rest = match.groups()
    today = now.astimezone(rules.tz)
    try:
        local = datetime(int(year or today.year), int(month), int(day), int(hour), int(minute or 0),
                         tzinfo=rules.tz)
        if year is None and local < today:
            local = local.replace(year=today.year + 1)
    except ValueError:
        raise InvalidInput(HINT) from None
    at = local.astimezone(now.tzinfo)
    if at <= now:
        raise InvalidInput(N_("That time has already passed. Please choose a time in the future."))
    if at > now + HORIZON:
        raise InvalidInput(N_("Please choose a time within the next {days} days."), days=HORIZON.days)
    return at, (rest or "").strip()


# --- reception hours and slots (the deputy) ----------------------------------------------------


def _own_deputy_id(actor: Actor) -> int:
    if actor.deputy_id is None:
        raise PermissionDenied()
    return actor.deputy_id


async def set_hours(session: AsyncSession, actor: Actor, text: str) -> Deputy:
    """The reception hours shown on the deputy's card and poster, e.g. "every Wednesday 9:00-11:30"."""
    deputy = await session.get(Deputy, _own_deputy_id(actor))
    text = " ".join((text or "").split())
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
    topic = (text or "").strip()
    if len(topic) > TEXT_MAX:
        raise InvalidInput(N_("Please write between 1 and {max} characters."), max=TEXT_MAX)
    return topic


async def request(session: AsyncSession, actor: Actor, deputy_id: int, now: datetime, rules: Rules, *,
                  slot_id: int | None = None, proposed_at: datetime | None = None, topic: str = "") -> Receipt:
    """Ask to meet a deputy in one of their free slots, or at a proposed time."""
    if (slot_id is None) == (proposed_at is None):
        raise InvalidInput()
    if slot_id is not None:
        # On PostgreSQL the row lock makes a second booking wait and then see the first; on
        # SQLite the unique index on held slots refuses it at insert (see models.contact).
        slot = await session.get(ReceptionSlot, slot_id, with_for_update=True)
        if slot is None or slot.deputy_id != deputy_id or slot.starts_at <= now:
            raise NotFound(N_("This slot is no longer offered. Please choose another one."))
        if await _holder(session, slot.id) is not None:
            raise DomainError(N_("Someone has just booked this slot. Please choose another one."))
        proposed_at = slot.starts_at
    elif not now < proposed_at <= now + HORIZON:
        raise InvalidInput(HINT)
    try:
        return await open_inquiry(session, actor, deputy_id, now, rules, kind=InquiryKind.meeting,
                                  text=clean_topic(topic), meeting_at=proposed_at, slot_id=slot_id)
    except IntegrityError:
        raise DomainError(N_("Someone has just booked this slot. Please choose another one.")) from None


async def _meeting(session: AsyncSession, actor: Actor, inquiry_id: int) -> Inquiry:
    inquiry = await deputy_inquiry(session, actor, inquiry_id)
    if inquiry.kind != InquiryKind.meeting:
        raise InvalidInput()
    if inquiry.status not in MEETING_PENDING:
        raise DomainError(N_("This meeting request is settled ({status}); it can no longer be accepted, declined "
                             "or moved."), status=status_label(inquiry))
    return inquiry


async def _place(session: AsyncSession, inquiry: Inquiry) -> str:
    slot = await session.get(ReceptionSlot, inquiry.slot_id) if inquiry.slot_id is not None else None
    return escape(slot.place) if slot is not None and slot.place else ""


async def accept(session: AsyncSession, actor: Actor, inquiry_id: int, now: datetime, rules: Rules) -> Inquiry:
    inquiry = await _meeting(session, actor, inquiry_id)
    resident_id = require_resident(inquiry)
    await respond(session, inquiry, InquiryStatus.accepted, now)
    audit.record(session, actor.id, "meeting.accept", "inquiry", inquiry.id)
    deputy = await session.get(Deputy, inquiry.deputy_id)
    place = await _place(session, inquiry)
    await tell(session, resident_id, lambda: _(
        "Deputy {deputy} confirmed your meeting ({number}) on {when}.", deputy=escape(deputy.name),
        number=inquiry.number, when=rules.local(inquiry.meeting_at)) + (f"\n{place}" if place else ""),
        key=f"inquiry:{inquiry.id}:accepted:{inquiry.meeting_at.isoformat()}", buttons=reply_button(inquiry))
    return inquiry


async def decline(session: AsyncSession, actor: Actor, inquiry_id: int, reason: str, now: datetime) -> Inquiry:
    inquiry = await _meeting(session, actor, inquiry_id)
    resident_id = require_resident(inquiry)
    reason = (reason or "").strip()
    if not reason or len(reason) > NOTE_MAX:
        raise InvalidInput(N_("Please write between 1 and {max} characters."), max=NOTE_MAX)
    inquiry.slot_id = None
    add_message(session, inquiry, "deputy", actor.id, reason, now)
    await respond(session, inquiry, InquiryStatus.declined, now)
    audit.record(session, actor.id, "meeting.decline", "inquiry", inquiry.id)
    deputy = await session.get(Deputy, inquiry.deputy_id)
    await tell(session, resident_id, lambda: "\n\n".join([
        _("Deputy {deputy} cannot meet you as requested ({number}).", deputy=escape(deputy.name),
          number=inquiry.number),
        _("Reason: {reason}", reason=escape(reason))]),
        key=f"inquiry:{inquiry.id}:declined", buttons=reply_button(inquiry))
    return inquiry


async def move(session: AsyncSession, actor: Actor, inquiry_id: int, text: str, now: datetime,
               rules: Rules) -> Inquiry:
    """The deputy proposes another time; the meeting stands at that time unless the resident replies."""
    inquiry = await _meeting(session, actor, inquiry_id)
    resident_id = require_resident(inquiry)
    new_time, _rest = parse_when(text, rules, now)
    if new_time == inquiry.meeting_at:
        raise InvalidInput(N_("That is the time already agreed."))
    inquiry.meeting_at, inquiry.slot_id = new_time, None
    await respond(session, inquiry, InquiryStatus.accepted, now)
    audit.record(session, actor.id, "meeting.move", "inquiry", inquiry.id, to=new_time.isoformat())
    deputy = await session.get(Deputy, inquiry.deputy_id)
    await tell(session, resident_id, lambda: _(
        "Deputy {deputy} moved your meeting ({number}) to {when}. If that time does not suit you, reply here.",
        deputy=escape(deputy.name), number=inquiry.number, when=rules.local(new_time)),
        key=f"inquiry:{inquiry.id}:moved:{new_time.isoformat()}", buttons=reply_button(inquiry))
    return inquiry
