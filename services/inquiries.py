"""Residents' inquiries to deputies and the 7-day rule (seed 004).

A resident writes to a deputy (an opinion) or asks to meet them (services.meetings)
through the deputy's code. The receiving deputy owns the inquiry (first-contact
responsibility) and must answer it, or refer it to one of the four platforms of
grassroots governance, within `Rules.reply_days` days; either stops the clock.

A deadline of kind "inquiry" reminds the owner before and on the last day, and alerts
the owner and the station's liaison staff once it is overdue, each exactly once. The
reminder goes out at 09:00 local time `remind_days_before` days before the last day,
the due-day reminder at 09:00 on the last day (people read them in the morning, not
at midnight), and the alert when the last day ends at 24:00 (`due_at`, counted by
services.calendar).

Deputies see a resident only as "Resident #<alias>", an alias drawn per inquiry,
never their Telegram identity, unless the resident shares a phone number.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Deadline, Deputy, Role, RoleGrant, Station, utcnow
from models.contact import INQUIRY_DEADLINE, Inquiry, InquiryKind, InquiryMessage, InquiryStatus
from services import audit, contact_stats, deadlines, outbox, privacy
from services.outbox import tell
from services.auth import Actor, require
from services import calendar
from services.calendar import DEFAULT_TZ, HolidayCalendar, get_calendar, local_day_start, period_end, remind_before
from services.deadlines import Stage
from services.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from services.i18n import N_, _

KIND = INQUIRY_DEADLINE
TEXT_MAX = 2000
NOTE_MAX = 500
PHOTOS_MAX = 3
MORNING = timedelta(hours=9)  # reminders go out at 09:00 local time, not at midnight

PLATFORMS = {  # the four platforms of grassroots governance (seed 004)
    "governance": N_("Comprehensive governance"),
    "market": N_("Market supervision"),
    "enforcement": N_("Comprehensive law enforcement"),
    "services": N_("Convenience services"),
}
STATUS_LABELS = {
    InquiryStatus.open: N_("waiting for an answer"),
    InquiryStatus.answered: N_("answered"),
    InquiryStatus.referred: N_("referred"),
    InquiryStatus.accepted: N_("meeting confirmed"),
    InquiryStatus.declined: N_("meeting declined"),
    InquiryStatus.resolved: N_("resolved"),
    InquiryStatus.withdrawn: N_("withdrawn"),
}
# Statuses in which the deputy still has something to do or follow.
ACTIVE = (InquiryStatus.open, InquiryStatus.answered, InquiryStatus.accepted)

# Buttons inside notifications. handlers/contact.py and handlers/inbox.py declare
# CallbackData classes with these prefixes and the fields (action, inquiry_id).
THREAD_PREFIX = "thr"
INBOX_PREFIX = "ibx"
OVERSIGHT_PREFIX = "ovi"
_NUMBER = re.compile(r"DB-(\d{4})-(\d{1,9})", re.IGNORECASE)


def button(prefix: str, action: str, inquiry_id: int) -> str:
    return f"{prefix}:{action}:{inquiry_id}"


@dataclass(frozen=True)
class Rules:
    """The 7-day rule's settings; the caller passes them in (services do not read settings)."""

    reply_days: int = 7
    remind_days_before: int = 2
    working_days: bool = False
    tz: ZoneInfo = DEFAULT_TZ
    calendar: HolidayCalendar = field(default_factory=HolidayCalendar)
    per_day: int = 10

    @classmethod
    def of(cls, settings: Any) -> Rules:
        """From bot.settings.Settings (duck-typed, so services never import the bot)."""
        return cls(settings.inquiry_reply_days, settings.reminder_days_before, settings.count_working_days,
                   settings.tz, get_calendar(settings.holidays_file), settings.inquiries_per_day)

    def local(self, at: datetime) -> str:
        return at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class Draft:
    """What a resident typed and attached, before it becomes an inquiry."""

    text: str
    photos: tuple[str, ...] = ()
    location: tuple[float, float] | None = None  # latitude, longitude


@dataclass(frozen=True)
class Receipt:
    inquiry: Inquiry
    deputy: Deputy


@dataclass(frozen=True)
class ThreadView:
    inquiry: Inquiry
    deputy: Deputy
    messages: list[InquiryMessage]
    as_resident: bool


@dataclass(frozen=True)
class InboxItem:
    inquiry: Inquiry
    due_at: datetime | None  # None once the clock has stopped


@dataclass(frozen=True)
class DeputyCard:
    deputy: Deputy
    station: Station | None
    promptness: contact_stats.Promptness | None


def clean_text(text: str | None, limit: int = TEXT_MAX) -> str:
    text = (text or "").strip()
    if not text or len(text) > limit:
        raise InvalidInput(N_("Please write between 1 and {max} characters."), max=limit)
    return text


def local_day(moment: datetime) -> str:
    """The congress's local date of a stored (UTC) moment."""
    return moment.astimezone(calendar.zone()).date().isoformat()


def status_label(inquiry: Inquiry) -> str:
    return _(STATUS_LABELS[InquiryStatus(inquiry.status)])


def platform_label(key: str) -> str:
    return _(PLATFORMS[key])


def resident_name(inquiry: Inquiry) -> str:
    return _("Resident #{alias}", alias=inquiry.resident_alias)


async def liaison_staff(session: AsyncSession, station_id: int | None) -> list[int]:
    """Staff of the station; if it has none, the staff who serve every station."""
    staff = select(RoleGrant.user_id).where(RoleGrant.role == Role.staff)
    if station_id is not None:
        found = list(await session.scalars(staff.where(RoleGrant.station_id == station_id)))
        if found:
            return sorted(found)
    return sorted(await session.scalars(staff.where(RoleGrant.station_id.is_(None))))


async def reachable_deputy(session: AsyncSession, deputy_id: int) -> Deputy:
    deputy = await session.get(Deputy, deputy_id)
    if deputy is None or not deputy.active:
        raise NotFound(N_("This deputy can no longer be reached through the bot."))
    return deputy


async def deputy_card(session: AsyncSession, deputy_id: int, now: datetime) -> DeputyCard:
    deputy = await reachable_deputy(session, deputy_id)
    station = await session.get(Station, deputy.station_id) if deputy.station_id is not None else None
    return DeputyCard(deputy, station, await contact_stats.promptness(session, deputy.id, now))


# --- residents ---------------------------------------------------------------------------------


async def submit_opinion(session: AsyncSession, actor: Actor, deputy_id: int, draft: Draft, now: datetime,
                         rules: Rules) -> Receipt:
    if len(draft.photos) > PHOTOS_MAX:
        raise InvalidInput(N_("At most {max} photos can be attached."), max=PHOTOS_MAX)
    if draft.location is not None and not (-90 <= draft.location[0] <= 90 and -180 <= draft.location[1] <= 180):
        raise InvalidInput()
    return await open_inquiry(session, actor, deputy_id, now, rules, kind=InquiryKind.opinion,
                              text=clean_text(draft.text), photos=draft.photos, location=draft.location)


async def open_inquiry(session: AsyncSession, actor: Actor, deputy_id: int, now: datetime, rules: Rules, *,
                       kind: InquiryKind, text: str, photos: Iterable[str] = (),
                       location: tuple[float, float] | None = None, meeting_at: datetime | None = None,
                       slot_id: int | None = None) -> Receipt:
    """Record an inquiry, start its clock and tell the deputy (shared by opinions and meetings)."""
    deputy = await reachable_deputy(session, deputy_id)
    await _check_daily_limit(session, actor, now, rules)
    latitude, longitude = location if location else (None, None)
    inquiry = Inquiry(
        kind=kind, resident_id=actor.id, resident_alias=1000 + secrets.randbelow(9000), deputy_id=deputy.id,
        received_by_deputy_id=deputy.id, station_id=deputy.station_id, text=text, photos=list(photos),
        latitude=latitude, longitude=longitude, meeting_at=meeting_at, slot_id=slot_id,
        created_at=now, updated_at=now,
    )
    session.add(inquiry)
    await session.flush()
    inquiry.number = f"DB-{now.astimezone(rules.tz).year}-{inquiry.id:06d}"
    period = period_end(now, days=rules.reply_days, tz=rules.tz, calendar=rules.calendar,
                        working_days=rules.working_days)
    inquiry.due_on = period.last_day
    remind = remind_before(period, rules.remind_days_before, rules.tz) if rules.remind_days_before else None
    await deadlines.open_deadline(
        session, kind=KIND, subject_id=inquiry.id, started_at=now, due_at=period.due_at,
        owner_id=deputy.user_id, station_id=deputy.station_id,
        remind_at=remind + MORNING if remind else None,
        due_day_at=local_day_start(period.last_day, rules.tz) + MORNING,
        calendar_note=",".join(str(year) for year in period.uncertain_years),
    )
    audit.record(session, actor.id, "inquiry.create", "inquiry", inquiry.id, deputy_id=deputy.id, kind=str(kind))
    await _tell_deputy(session, inquiry, deputy, "new", lambda: _new_inquiry_text(inquiry, rules))
    for index, file_id in enumerate(inquiry.photos):
        for user_id in await _deputy_recipients(session, deputy):
            await outbox.enqueue(session, user_id, "", key=f"inquiry:{inquiry.id}:photo:{index}:{user_id}",
                                 kind="photo", payload={"photo": file_id})
    return Receipt(inquiry, deputy)


async def _check_daily_limit(session: AsyncSession, actor: Actor, now: datetime, rules: Rules) -> None:
    """A deputy's time is scarce: one resident may write at most `per_day` times a local day,
    new threads and replies together."""
    today = local_day_start(now.astimezone(rules.tz).date(), rules.tz)
    opened = await session.scalar(
        select(func.count()).select_from(Inquiry)
        .where(Inquiry.resident_id == actor.id, Inquiry.created_at >= today)
    ) or 0
    replied = await session.scalar(
        select(func.count()).select_from(InquiryMessage)
        .where(InquiryMessage.author == "resident", InquiryMessage.author_id == actor.id,
               InquiryMessage.created_at >= today)
    ) or 0
    sent = opened + replied
    if sent >= rules.per_day:
        raise DomainError(N_("You have written {count} times today, the most for one day. "
                             "You can write again from {when}."),
                          count=rules.per_day, when=rules.local(today + timedelta(days=1)))


def _new_inquiry_text(inquiry: Inquiry, rules: Rules) -> str:
    params = dict(number=inquiry.number, alias=inquiry.resident_alias, due=inquiry.due_on.isoformat())
    if inquiry.kind == InquiryKind.meeting:
        lines = [_("Meeting request {number} from Resident #{alias} for {when}. Accept, decline or move it by {due}.",
                   when=rules.local(inquiry.meeting_at), **params)]
    else:
        lines = [_("New message {number} from Resident #{alias}. Answer it, or refer it to one of the four "
                   "platforms, by {due}.", **params)]
    if inquiry.text:
        lines.append(escape(inquiry.text))
    if inquiry.latitude is not None:
        lines.append(_("Location: {place}", place=location_link(inquiry.latitude, inquiry.longitude)))
    if inquiry.photos:
        lines.append(_("Photos: {count} (sent below).", count=len(inquiry.photos)))
    return "\n\n".join(lines)


def location_link(latitude: float, longitude: float) -> str:
    return (f'<a href="https://uri.amap.com/marker?position={longitude:.6f},{latitude:.6f}">'
            f"{latitude:.5f}, {longitude:.5f}</a>")


async def resident_inquiry(session: AsyncSession, actor: Actor, inquiry_id: int) -> Inquiry:
    """The inquiry, if `actor` is the resident who wrote it."""
    inquiry = await session.get(Inquiry, inquiry_id)
    if inquiry is None:
        raise NotFound()
    if inquiry.resident_id != actor.id:
        raise PermissionDenied()
    return inquiry


async def residents_inquiries(session: AsyncSession, actor: Actor, limit: int = 20) -> list[tuple[Inquiry, Deputy]]:
    rows = await session.execute(
        select(Inquiry, Deputy).join(Deputy, Deputy.id == Inquiry.deputy_id)
        .where(Inquiry.resident_id == actor.id).order_by(Inquiry.updated_at.desc(), Inquiry.id.desc()).limit(limit)
    )
    return [(inquiry, deputy) for inquiry, deputy in rows]


async def resident_reply(session: AsyncSession, actor: Actor, inquiry_id: int, text: str,
                         now: datetime, rules: Rules) -> InquiryMessage:
    inquiry = await resident_inquiry(session, actor, inquiry_id)
    await _check_daily_limit(session, actor, now, rules)
    message = add_message(session, inquiry, "resident", actor.id, clean_text(text), now)
    await session.flush()
    deputy = await session.get(Deputy, inquiry.deputy_id)
    await _tell_deputy(session, inquiry, deputy, f"msg:{message.id}", lambda: "\n\n".join([
        _("Resident #{alias} wrote again about {number}:", alias=inquiry.resident_alias, number=inquiry.number),
        escape(message.text)]))
    return message


async def share_phone(session: AsyncSession, actor: Actor, inquiry_id: int, phone: str,
                      contact_user_id: int | None) -> Inquiry:
    """Give the deputy the resident's own phone number (Telegram's contact button) for one inquiry."""
    inquiry = await resident_inquiry(session, actor, inquiry_id)
    if contact_user_id != actor.id:
        raise InvalidInput(N_("Please share your own phone number with the button below."))
    digits = "".join(c for c in phone if c.isdigit())
    if not 5 <= len(digits) <= 20:
        raise InvalidInput(N_("That phone number does not look right."))
    inquiry.shared_phone = ("+" if phone.strip().startswith("+") else "") + digits
    audit.record(session, actor.id, "inquiry.share_phone", "inquiry", inquiry.id)
    deputy = await session.get(Deputy, inquiry.deputy_id)
    await _tell_deputy(session, inquiry, deputy, "phone", lambda: _(
        "Resident #{alias} shared their phone number for {number}: {phone}",
        alias=inquiry.resident_alias, number=inquiry.number, phone=inquiry.shared_phone))
    return inquiry


async def thread(session: AsyncSession, actor: Actor, inquiry_id: int) -> ThreadView:
    """An inquiry and its messages, for its resident, its deputy or staff."""
    inquiry = await session.get(Inquiry, inquiry_id)
    if inquiry is None:
        raise NotFound()
    as_resident = inquiry.resident_id == actor.id
    owns = actor.deputy_id is not None and inquiry.deputy_id == actor.deputy_id
    if not (as_resident or owns or await serves_station(session, actor, inquiry.station_id)):
        raise PermissionDenied()
    messages = list(await session.scalars(
        select(InquiryMessage).where(InquiryMessage.inquiry_id == inquiry.id).order_by(InquiryMessage.id)))
    return ThreadView(inquiry, await session.get(Deputy, inquiry.deputy_id), messages, as_resident)


# --- deputies ----------------------------------------------------------------------------------


async def deputy_inquiry(session: AsyncSession, actor: Actor, inquiry_id: int) -> Inquiry:
    """The inquiry, if `actor` is the deputy who owns it."""
    inquiry = await session.get(Inquiry, inquiry_id)
    if inquiry is None:
        raise NotFound()
    if actor.deputy_id is None or inquiry.deputy_id != actor.deputy_id:
        raise PermissionDenied()
    return inquiry


async def inbox(session: AsyncSession, actor: Actor, limit: int = 30) -> list[InboxItem]:
    """The deputy's inquiries still in hand: running clocks first (soonest due, then oldest), then the
    answered ones still being followed, most recent first."""
    if actor.deputy_id is None:
        raise PermissionDenied()
    rows = await session.execute(
        select(Inquiry, Deadline.due_at, Deadline.closed_at)
        .outerjoin(Deadline, (Deadline.kind == KIND) & (Deadline.subject_id == Inquiry.id))
        .where(Inquiry.deputy_id == actor.deputy_id, Inquiry.status.in_(ACTIVE))
    )
    items = [InboxItem(inquiry, due_at if closed_at is None else None) for inquiry, due_at, closed_at in rows]
    running = sorted((i for i in items if i.due_at), key=lambda i: (i.due_at, i.inquiry.id))
    answered = sorted((i for i in items if not i.due_at), key=lambda i: i.inquiry.updated_at, reverse=True)
    return (running + answered)[:limit]


def require_resident(inquiry: Inquiry) -> int:
    if inquiry.resident_id is None:
        raise DomainError(N_("The resident has deleted their data; nothing can be relayed to them."))
    return inquiry.resident_id


async def respond(session: AsyncSession, inquiry: Inquiry, status: InquiryStatus, now: datetime) -> None:
    """Record a deputy's response; the first one stops the clock (in time if before the due time)."""
    inquiry.status = status
    inquiry.updated_at = now
    if inquiry.responded_at is None:
        inquiry.responded_at = now
    await deadlines.close_deadline(session, KIND, inquiry.id, now)


async def answer(session: AsyncSession, actor: Actor, inquiry_id: int, text: str, now: datetime) -> InquiryMessage:
    inquiry = await deputy_inquiry(session, actor, inquiry_id)
    resident_id = require_resident(inquiry)
    message = add_message(session, inquiry, "deputy", actor.id, clean_text(text), now)
    await session.flush()
    await respond(session, inquiry, InquiryStatus.answered if inquiry.status == InquiryStatus.open
                  else InquiryStatus(inquiry.status), now)
    audit.record(session, actor.id, "inquiry.answer", "inquiry", inquiry.id)
    deputy = await session.get(Deputy, inquiry.deputy_id)
    await tell(session, resident_id, lambda: "\n\n".join([
        _("Deputy {deputy} answered your message {number}:", deputy=escape(deputy.name), number=inquiry.number),
        escape(message.text)]), key=f"inquiry-msg:{message.id}", buttons=reply_button(inquiry))
    return message


async def resolve(session: AsyncSession, actor: Actor, inquiry_id: int, now: datetime) -> Inquiry:
    inquiry = await deputy_inquiry(session, actor, inquiry_id)
    if inquiry.status == InquiryStatus.resolved:
        return inquiry
    await respond(session, inquiry, InquiryStatus.resolved, now)
    audit.record(session, actor.id, "inquiry.resolve", "inquiry", inquiry.id)
    if inquiry.resident_id is not None:
        deputy = await session.get(Deputy, inquiry.deputy_id)
        await tell(session, inquiry.resident_id, lambda: _(
            "Deputy {deputy} marked your message {number} as resolved. If it is not, reply here.",
            deputy=escape(deputy.name), number=inquiry.number),
            key=f"inquiry:{inquiry.id}:resolved", buttons=reply_button(inquiry))
    return inquiry


async def refer(session: AsyncSession, actor: Actor, inquiry_id: int, platform: str, note: str,
                now: datetime) -> Inquiry:
    """Hand the matter to one of the four platforms; the resident is told where it went."""
    inquiry = await deputy_inquiry(session, actor, inquiry_id)
    if platform not in PLATFORMS:
        raise InvalidInput()
    if inquiry.status == InquiryStatus.referred:
        raise DomainError(N_("This message has already been referred."))
    resident_id = require_resident(inquiry)
    inquiry.referral_platform, inquiry.referral_note = platform, clean_text(note, NOTE_MAX)
    await respond(session, inquiry, InquiryStatus.referred, now)
    audit.record(session, actor.id, "inquiry.refer", "inquiry", inquiry.id, platform=platform)
    await tell(session, resident_id, lambda: "\n\n".join([
        _("Your message {number} was referred to the {platform} platform, which will handle it.",
          number=inquiry.number, platform=platform_label(platform)),
        _("Note from the deputy: {note}", note=escape(inquiry.referral_note))]),
        key=f"inquiry:{inquiry.id}:referred", buttons=reply_button(inquiry))
    return inquiry


def reply_button(inquiry: Inquiry) -> list[tuple[str, str]]:
    return [(N_("Reply"), button(THREAD_PREFIX, "reply", inquiry.id))]


def add_message(session: AsyncSession, inquiry: Inquiry, author: str, author_id: int, text: str,
                 now: datetime) -> InquiryMessage:
    message = InquiryMessage(inquiry_id=inquiry.id, author=author, author_id=author_id, text=text, created_at=now)
    session.add(message)
    inquiry.updated_at = now
    return message


async def _deputy_recipients(session: AsyncSession, deputy: Deputy) -> list[int]:
    """The deputy; while they have not joined the bot, their station's liaison staff."""
    return [deputy.user_id] if deputy.user_id is not None else await liaison_staff(session, deputy.station_id)


async def _tell_deputy(session: AsyncSession, inquiry: Inquiry, deputy: Deputy, what: str,
                       render: Callable[[], str]) -> None:
    if deputy.user_id is not None:
        await tell(session, deputy.user_id, render, key=f"inquiry:{inquiry.id}:{what}",
                   buttons=[(N_("Open"), button(INBOX_PREFIX, "open", inquiry.id))])
        return
    for user_id in await liaison_staff(session, deputy.station_id):
        await tell(session, user_id, lambda: "\n\n".join([
            _("Deputy {deputy} has not joined the bot yet. Contact them, or reassign the message.",
              deputy=escape(deputy.name)), render()]),
            key=f"inquiry:{inquiry.id}:{what}:{user_id}",
            buttons=[(N_("Open"), button(OVERSIGHT_PREFIX, "open", inquiry.id))])


# --- staff -------------------------------------------------------------------------------------


async def serves_station(session: AsyncSession, actor: Actor, station_id: int | None) -> bool:
    """Whether `actor` is staff serving this station (staff without a station and admins serve all)."""
    if not actor.is_staff:
        return False
    scope = await contact_stats.station_scope(session, actor)
    return scope is None or station_id in scope


async def find(session: AsyncSession, actor: Actor, number: str) -> Inquiry:
    """Staff look an inquiry up by its tracking number (DB-2026-000123)."""
    require(actor, Role.staff)
    match = _NUMBER.fullmatch(number.strip())
    inquiry = await session.get(Inquiry, int(match.group(2))) if match else None
    if (inquiry is None or inquiry.number.upper() != f"DB-{match.group(1)}-{int(match.group(2)):06d}"
            or not await serves_station(session, actor, inquiry.station_id)):
        raise NotFound(N_("No message has the tracking number {number}."), number=number.strip()[:40])
    return inquiry


async def reassign(session: AsyncSession, actor: Actor, inquiry_id: int, deputy_id: int, now: datetime) -> Inquiry:
    """Staff hand an inquiry still in hand to another deputy of their stations; the deadline and its
    alerts follow the new owner, and the previous owner is told to let go."""
    require(actor, Role.staff)
    inquiry = await session.get(Inquiry, inquiry_id)
    if inquiry is None:
        raise NotFound()
    if not await serves_station(session, actor, inquiry.station_id):
        raise PermissionDenied()
    if inquiry.status not in ACTIVE:
        raise DomainError(N_("This message is closed ({status}); it can no longer be reassigned."),
                          status=status_label(inquiry))
    deputy = await reachable_deputy(session, deputy_id)
    if not await serves_station(session, actor, deputy.station_id):
        raise PermissionDenied()
    if deputy.id == inquiry.deputy_id:
        raise InvalidInput(N_("This deputy already owns this message."))
    previous = await session.get(Deputy, inquiry.deputy_id)
    inquiry.deputy_id, inquiry.station_id, inquiry.updated_at = deputy.id, deputy.station_id, now
    await session.execute(
        update(Deadline).where(Deadline.kind == KIND, Deadline.subject_id == inquiry.id)
        .values(owner_id=deputy.user_id, station_id=deputy.station_id)
    )
    event = audit.record(session, actor.id, "inquiry.reassign", "inquiry", inquiry.id, previous=previous.id,
                         deputy_id=deputy.id)
    await session.flush()  # the event's id keys the notices: a B→A→B reassignment tells B twice
    if previous.active and previous.user_id is not None and previous.user_id != deputy.user_id:
        await tell(session, previous.user_id, lambda: _(
            "The congress office has passed message {number} from Resident #{alias} to deputy {deputy}; "
            "you no longer need to handle it.", number=inquiry.number, alias=inquiry.resident_alias,
            deputy=escape(deputy.name)), key=f"inquiry:{inquiry.id}:reassigned-away:{event.id}")
    await _tell_deputy(session, inquiry, deputy, f"reassigned:{event.id}", lambda: "\n\n".join([
        _("The congress office has passed message {number} from Resident #{alias} to you. "
          "Answer it, or refer it, by {due}.", number=inquiry.number, alias=inquiry.resident_alias,
          due=inquiry.due_on.isoformat()),
        escape(inquiry.text)]))
    return inquiry


# --- the deadline kind -------------------------------------------------------------------------


async def _on_stage(session: AsyncSession, deadline: Deadline, stage: Stage, now: datetime) -> None:
    inquiry = await session.get(Inquiry, deadline.subject_id)
    if inquiry is None:
        return
    deputy = await session.get(Deputy, inquiry.deputy_id)
    # The owner is the deputy's account now, not when the clock started: a deputy who joined
    # since is reminded, one who left is not.
    owner_id = deputy.user_id if deputy is not None and deputy.active else None
    deadline.owner_id = owner_id
    params = dict(number=inquiry.number, alias=inquiry.resident_alias, due=inquiry.due_on.isoformat())
    owner_text = {
        Stage.remind: N_("Reminder: message {number} from Resident #{alias} is still waiting. Answer it, or refer "
                         "it to one of the four platforms, by {due}."),
        Stage.due_day: N_("Today is the last day to answer message {number} from Resident #{alias}, or to refer "
                          "it (due {due})."),
        Stage.escalate: N_("Message {number} from Resident #{alias} is overdue (it was due {due}). Please answer "
                           "or refer it now; the congress office has been told."),
    }[stage]
    if owner_id is not None:
        await tell(session, owner_id, lambda: _(owner_text, **params), key=f"inquiry:{inquiry.id}:{stage}",
                   buttons=[(N_("Open"), button(INBOX_PREFIX, "open", inquiry.id))])
    if stage != Stage.escalate:
        return
    station = await session.get(Station, deadline.station_id) if deadline.station_id is not None else None
    for user_id in await liaison_staff(session, deadline.station_id):
        if user_id == owner_id:
            continue
        await tell(session, user_id, lambda: _(
            "Overdue: message {number} to deputy {deputy} ({station}), received {received}, was due {due} and has "
            "been neither answered nor referred.", deputy=escape(deputy.name),
            station=escape(station.name) if station else "-",
            received=local_day(inquiry.created_at), **params),
            key=f"inquiry:{inquiry.id}:escalate:{user_id}",
            buttons=[(N_("Open"), button(OVERSIGHT_PREFIX, "open", inquiry.id))])


async def _describe(session: AsyncSession, deadline: Deadline) -> str:
    inquiry = await session.get(Inquiry, deadline.subject_id)
    if inquiry is None:
        return _("Message #{id} (deleted)", id=deadline.subject_id)
    deputy = await session.get(Deputy, inquiry.deputy_id)
    line = _("Message {number} to deputy {deputy}", number=inquiry.number, deputy=escape(deputy.name))
    if deadline.calendar_note:
        line += " · " + _("holidays for {years} unknown, counted with weekends only", years=deadline.calendar_note)
    return line


deadlines.register_kind(KIND, _on_stage, _describe)


# --- privacy -----------------------------------------------------------------------------------


async def _describe_data(session: AsyncSession, user_id: int) -> list[str]:
    rows = await session.execute(
        select(Inquiry, Deputy.name).join(Deputy, Deputy.id == Inquiry.deputy_id)
        .where(Inquiry.resident_id == user_id).order_by(Inquiry.id)
    )
    return [
        _("Message {number} to deputy {deputy} on {day}: {status}", number=inquiry.number, deputy=escape(name),
          day=local_day(inquiry.created_at), status=status_label(inquiry))
        + (" · " + _("phone shared") if inquiry.shared_phone else "")
        for inquiry, name in rows
    ]


async def _erase_data(session: AsyncSession, user_id: int) -> None:
    """Empty the resident's inquiries but keep the rows, so the deputies' statistics stay true.

    An inquiry still waiting is withdrawn: nobody can answer it any more, and its
    deadline is closed without a verdict, counting neither in time nor overdue. So is a
    meeting still to come (answered or confirmed): nobody will attend it, so its slot is
    freed and the deputy told.
    """
    now = utcnow()
    inquiries = list(await session.scalars(select(Inquiry).where(Inquiry.resident_id == user_id)))
    for inquiry in inquiries:
        pending_meeting = inquiry.kind == InquiryKind.meeting and inquiry.status in ACTIVE
        if inquiry.status == InquiryStatus.open or pending_meeting:
            inquiry.status, inquiry.slot_id = InquiryStatus.withdrawn, None
            closed = await deadlines.close_deadline(session, KIND, inquiry.id, now)
            if closed is not None:
                closed.closed_in_time = None
        if pending_meeting:
            deputy = await session.get(Deputy, inquiry.deputy_id)
            await _tell_deputy(session, inquiry, deputy, "withdrawn", lambda inquiry=inquiry: _(
                "Resident #{alias} withdrew meeting request {number}; the meeting will not take place.",
                alias=inquiry.resident_alias, number=inquiry.number))
        inquiry.resident_id, inquiry.text, inquiry.photos = None, "", []
        inquiry.latitude = inquiry.longitude = inquiry.shared_phone = None
    await session.execute(delete(InquiryMessage).where(InquiryMessage.inquiry_id.in_([i.id for i in inquiries])))


privacy.register(privacy.DataSection("inquiries", _describe_data, _erase_data))
