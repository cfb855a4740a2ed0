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
from functools import partial
from html import escape
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from models import Deadline, Deputy, Role, RoleGrant, Station, utcnow
from models.contact import INQUIRY_DEADLINE, Inquiry, InquiryKind, InquiryMessage, InquiryRating, InquiryStatus
from services import audit, contact_stats, deadlines, outbox, privacy
from services.outbox import tell
from services.auth import Actor, require
from services import calendar
from services.calendar import DEFAULT_TZ, HolidayCalendar, get_calendar, local_day_start, period_end
from services.deadlines import Stage
from services.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from services.i18n import N_, _
from services.text import fit, tidy

KIND = INQUIRY_DEADLINE
TEXT_MAX = 2000
NOTE_MAX = 500
PHOTOS_MAX = 3

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
    InquiryStatus.moved: N_("meeting moved"),
    InquiryStatus.held: N_("meeting held"),
    InquiryStatus.cancelled: N_("meeting cancelled"),
}
# Statuses in which the deputy still has something to do or follow.
ACTIVE = (InquiryStatus.open, InquiryStatus.answered, InquiryStatus.accepted, InquiryStatus.moved)
# After an answer or a referral the resident may rate it, once.
RATEABLE = (InquiryStatus.answered, InquiryStatus.referred, InquiryStatus.resolved)
RATINGS = {
    InquiryRating.resolved: N_("Resolved"),
    InquiryRating.partly: N_("Partly resolved"),
    InquiryRating.not_resolved: N_("Not resolved"),
}

# Buttons inside notifications. handlers/contact.py and handlers/inbox.py declare
# CallbackData classes with these prefixes and the fields (action, inquiry_id).
THREAD_PREFIX = "thr"
INBOX_PREFIX = "ibx"
OVERSIGHT_PREFIX = "ovi"
INBOX_MENU = "menu:inbox"  # bot.menu.MenuCb(key="inbox"), the deputy's inbox (handlers/inbox.py)
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
    office_days: int = 5  # the congress office answers an overdue letter within this many days

    @classmethod
    def of(cls, settings: Any) -> Rules:
        """From bot.settings.Settings (duck-typed, so services never import the bot)."""
        return cls(settings.inquiry_reply_days, settings.reminder_days_before, settings.count_working_days,
                   settings.tz, get_calendar(settings.holidays_file), settings.inquiries_per_day,
                   settings.inquiry_office_reply_days)

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
    by_staff: bool = False  # the deputy is not on the bot: the station's liaison staff handle it meanwhile
    station: Station | None = None


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

    @property
    def on_bot(self) -> bool:
        return on_bot(self.deputy)


def on_bot(deputy: Deputy) -> bool:
    """Whether the deputy reads the bot; until then their station's liaison staff handle their letters."""
    return deputy.user_id is not None and deputy.active


def clean_text(text: str | None, limit: int = TEXT_MAX) -> str:
    text = tidy(text)
    if not text:
        raise InvalidInput(N_("Please write between 1 and {max} characters."), max=limit)
    return fit(text, limit)


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
    return (await liaison_map(session))(station_id)


async def liaison_map(session: AsyncSession) -> Callable[[int | None], list[int]]:
    """Every station's liaison staff from one query, for a batch that touches many stations."""
    by_station: dict[int | None, list[int]] = {}
    for user_id, station_id in await session.execute(
            select(RoleGrant.user_id, RoleGrant.station_id).where(RoleGrant.role == Role.staff)):
        by_station.setdefault(station_id, []).append(user_id)
    return lambda station_id: sorted(by_station.get(station_id) or by_station.get(None, []))


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
    inquiry.office_due_on = period_end(period.due_at, days=rules.office_days, tz=rules.tz, calendar=rules.calendar,
                                       working_days=rules.working_days).last_day
    owners = await deputy_recipients(session, deputy)
    await deadlines.open_period(session, kind=KIND, subject_id=inquiry.id, period=period,
                                remind_days=rules.remind_days_before, tz=rules.tz, calendar=rules.calendar,
                                owner_id=owners[0] if owners else None, station_id=deputy.station_id)
    audit.record(session, actor.id, "inquiry.create", "inquiry", inquiry.id, deputy_id=deputy.id, kind=str(kind))
    await _tell_deputy(session, inquiry, deputy, "new", lambda: _new_inquiry_text(inquiry, rules))
    for index, file_id in enumerate(inquiry.photos):
        for user_id in owners:
            await outbox.enqueue(session, user_id, "", key=f"inquiry:{inquiry.id}:photo:{index}:{user_id}",
                                 kind="photo", payload={"photo": file_id}, concerns=actor.id)
    station = await session.get(Station, deputy.station_id) if deputy.station_id is not None else None
    return Receipt(inquiry, deputy, not on_bot(deputy), station)


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
    audit.record(session, actor.id, "inquiry.reply", "inquiry", inquiry.id, message_id=message.id)
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


@dataclass(frozen=True)
class Handling:
    """An inquiry in the hands of whoever may answer it now, and as whom they answer."""

    inquiry: Inquiry
    deputy: Deputy
    author: str  # deputy | staff
    station: Station | None = None

    def who(self) -> str:
        """Who answers, as the resident reads it: "Deputy 王芳", or the liaison staff for them."""
        return responder(self.author, self.deputy, self.station)


def responder(author: str, deputy: Deputy, station: Station | None) -> str:
    if author == "deputy":
        return _("Deputy {deputy}", deputy=escape(deputy.name))
    if station is None:
        return _("The congress office, for deputy {deputy},", deputy=escape(deputy.name))
    return _("The liaison staff of {station}, for deputy {deputy},", station=escape(station.name),
             deputy=escape(deputy.name))


async def handled_inquiry(session: AsyncSession, actor: Actor, inquiry_id: int) -> Handling:
    """The inquiry, if `actor` may answer it: the deputy who owns it, or, while that deputy is not on
    the bot, liaison staff serving its station (first-contact responsibility is theirs meanwhile)."""
    inquiry = await session.get(Inquiry, inquiry_id)
    if inquiry is None:
        raise NotFound()
    deputy = await session.get(Deputy, inquiry.deputy_id)
    if actor.deputy_id is not None and inquiry.deputy_id == actor.deputy_id:
        return Handling(inquiry, deputy, "deputy")
    if not on_bot(deputy) and actor.serves(inquiry.station_id):
        station = await session.get(Station, inquiry.station_id) if inquiry.station_id is not None else None
        return Handling(inquiry, deputy, "staff", station)
    raise PermissionDenied()


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
    handling = await handled_inquiry(session, actor, inquiry_id)
    inquiry = handling.inquiry
    resident_id = require_resident(inquiry)
    message = add_message(session, inquiry, handling.author, actor.id, clean_text(text), now)
    await session.flush()
    await respond(session, inquiry, InquiryStatus.answered if inquiry.status == InquiryStatus.open
                  else InquiryStatus(inquiry.status), now)
    audit.record(session, actor.id, "inquiry.answer", "inquiry", inquiry.id, author=handling.author)
    await tell(session, resident_id, lambda: "\n\n".join([
        _("{who} answered your message {number}:", who=handling.who(), number=inquiry.number),
        escape(message.text)]), key=f"inquiry-msg:{message.id}", buttons=reply_button(inquiry) + rate_buttons(inquiry))
    return message


async def resolve(session: AsyncSession, actor: Actor, inquiry_id: int, now: datetime) -> Inquiry:
    handling = await handled_inquiry(session, actor, inquiry_id)
    inquiry = handling.inquiry
    if inquiry.status == InquiryStatus.resolved:
        return inquiry
    await respond(session, inquiry, InquiryStatus.resolved, now)
    audit.record(session, actor.id, "inquiry.resolve", "inquiry", inquiry.id, author=handling.author)
    if inquiry.resident_id is not None:
        await tell(session, inquiry.resident_id, lambda: _(
            "{who} marked your message {number} as resolved. If it is not, reply here.",
            who=handling.who(), number=inquiry.number),
            key=f"inquiry:{inquiry.id}:resolved", buttons=reply_button(inquiry) + rate_buttons(inquiry))
    return inquiry


async def refer(session: AsyncSession, actor: Actor, inquiry_id: int, platform: str, note: str,
                now: datetime) -> Inquiry:
    """Hand the matter to one of the four platforms; the resident is told where it went."""
    handling = await handled_inquiry(session, actor, inquiry_id)
    inquiry = handling.inquiry
    if platform not in PLATFORMS:
        raise InvalidInput()
    if inquiry.status == InquiryStatus.referred:
        raise DomainError(N_("This message has already been referred."))
    resident_id = require_resident(inquiry)
    inquiry.referral_platform, inquiry.referral_note = platform, clean_text(note, NOTE_MAX)
    await respond(session, inquiry, InquiryStatus.referred, now)
    audit.record(session, actor.id, "inquiry.refer", "inquiry", inquiry.id, platform=platform,
                 author=handling.author)
    await tell(session, resident_id, lambda: "\n\n".join([
        _("{who} referred your message {number} to the {platform} platform, which will handle it.",
          who=handling.who(), number=inquiry.number, platform=platform_label(platform)),
        _("Note: {note}", note=escape(inquiry.referral_note))]),
        key=f"inquiry:{inquiry.id}:referred", buttons=reply_button(inquiry) + rate_buttons(inquiry))
    return inquiry


def rating_label(key: str) -> str:
    return _(RATINGS[InquiryRating(key)])


async def rate(session: AsyncSession, actor: Actor, inquiry_id: int, verdict: str, now: datetime) -> Inquiry:
    """The resident says whether the answer or referral solved the matter: once, and only after one."""
    inquiry = await resident_inquiry(session, actor, inquiry_id)
    if verdict not in RATINGS:
        raise InvalidInput()
    if inquiry.status not in RATEABLE:
        raise DomainError(N_("You can rate an answer once it has been answered or referred."))
    # Conditional, so two presses at once cannot both count.
    rated = await session.execute(
        update(Inquiry).where(Inquiry.id == inquiry.id, Inquiry.rating == "")
        .values(rating=verdict, rated_at=now).execution_options(synchronize_session=False))
    if rated.rowcount != 1:
        raise DomainError(N_("You have already rated this answer. Thank you."))
    await session.refresh(inquiry)
    audit.record(session, actor.id, "inquiry.rate", "inquiry", inquiry.id, rating=verdict)
    deputy = await session.get(Deputy, inquiry.deputy_id)
    await _tell_deputy(session, inquiry, deputy, "rated", lambda: _(
        "Resident #{alias} rated the answer to {number}: {rating}.", alias=inquiry.resident_alias,
        number=inquiry.number, rating=rating_label(verdict)))
    return inquiry


async def comment_rating(session: AsyncSession, actor: Actor, inquiry_id: int, text: str) -> Inquiry:
    """An optional comment with the rating, given once after it."""
    inquiry = await resident_inquiry(session, actor, inquiry_id)
    if not inquiry.rating:
        raise DomainError(N_("Please choose a rating first."))
    if inquiry.rating_comment:
        raise DomainError(N_("You have already rated this answer. Thank you."))
    inquiry.rating_comment = clean_text(text, NOTE_MAX)
    audit.record(session, actor.id, "inquiry.rate_comment", "inquiry", inquiry.id)
    deputy = await session.get(Deputy, inquiry.deputy_id)
    await _tell_deputy(session, inquiry, deputy, "rating-comment", lambda: "\n\n".join([
        _("Resident #{alias} commented on their rating of {number}:", alias=inquiry.resident_alias,
          number=inquiry.number), escape(inquiry.rating_comment)]))
    return inquiry


def reply_button(inquiry: Inquiry) -> list[tuple[str, str]]:
    return reply_button_for(inquiry.id)


def reply_button_for(inquiry_id: int) -> list[tuple[str, str]]:
    return [(N_("Reply"), button(THREAD_PREFIX, "reply", inquiry_id))]


def rate_buttons(inquiry: Inquiry) -> list[tuple[str, str]]:
    """After an answer or a referral the resident may say whether it solved the matter, once."""
    return [] if inquiry.rating else [(N_("Rate this answer"), button(THREAD_PREFIX, "rate", inquiry.id))]


def add_message(session: AsyncSession, inquiry: Inquiry, author: str, author_id: int, text: str,
                 now: datetime) -> InquiryMessage:
    message = InquiryMessage(inquiry_id=inquiry.id, author=author, author_id=author_id, text=text, created_at=now)
    session.add(message)
    inquiry.updated_at = now
    return message


async def deputy_recipients(session: AsyncSession, deputy: Deputy) -> list[int]:
    """The deputy; while they have not joined the bot, their station's liaison staff."""
    return [deputy.user_id] if on_bot(deputy) else await liaison_staff(session, deputy.station_id)


async def _tell_deputy(session: AsyncSession, inquiry: Inquiry, deputy: Deputy, what: str,
                       render: Callable[[], str]) -> None:
    if on_bot(deputy):
        await tell(session, deputy.user_id, render, key=f"inquiry:{inquiry.id}:{what}",
                   buttons=[(N_("Open"), button(INBOX_PREFIX, "open", inquiry.id))], concerns=inquiry.resident_id)
        return
    for user_id in await liaison_staff(session, deputy.station_id):
        await tell(session, user_id, lambda: "\n\n".join([
            _("Deputy {deputy} has not joined the bot yet, so this message is yours to handle until they do: "
              "answer it, refer it, or reassign it. The resident has been told so.", deputy=escape(deputy.name)),
            render()]),
            key=f"inquiry:{inquiry.id}:{what}:{user_id}",
            buttons=[(N_("Open"), button(OVERSIGHT_PREFIX, "open", inquiry.id))], concerns=inquiry.resident_id)


# --- staff -------------------------------------------------------------------------------------


async def export_rows(session: AsyncSession, actor: Actor, now: datetime, tz: ZoneInfo) -> list[list[object]]:
    """One row per letter of the last 12 months in the staff member's stations, with the resident's
    rating (contact_stats.LETTER_COLUMNS): what the statistics count, letter by letter, and no
    resident's identity."""
    require(actor, Role.staff)
    query = (
        select(Inquiry, Deputy.name, Station.name, Deadline.closed_in_time)
        .join(Deputy, Deputy.id == Inquiry.deputy_id).outerjoin(Station, Station.id == Inquiry.station_id)
        .outerjoin(Deadline, (Deadline.kind == INQUIRY_DEADLINE) & (Deadline.subject_id == Inquiry.id))
        .where(Inquiry.created_at >= now - contact_stats.WINDOW).order_by(Inquiry.id)
    )
    scope = await contact_stats.station_scope(session, actor)
    if scope is not None:
        query = query.where(Inquiry.station_id.in_(scope))

    def moment(at: datetime | None) -> str:
        return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else ""

    return [[inquiry.number, moment(inquiry.created_at), deputy, station or "", status_label(inquiry),
             inquiry.due_on.isoformat() if inquiry.due_on else "", moment(inquiry.responded_at),
             "" if in_time is None else (_("yes") if in_time else _("no")),
             rating_label(inquiry.rating) if inquiry.rating else "", inquiry.rating_comment]
            for inquiry, deputy, station, in_time in await session.execute(query)]


async def serves_station(session: AsyncSession, actor: Actor, station_id: int | None) -> bool:
    """Whether `actor` is staff serving this station (staff without a station and admins serve all)."""
    return actor.serves(station_id)


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
    owners = await deputy_recipients(session, deputy)
    await session.execute(
        update(Deadline).where(Deadline.kind == KIND, Deadline.subject_id == inquiry.id)
        .values(owner_id=owners[0] if owners else None, station_id=deputy.station_id)
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


async def hand_over(session: AsyncSession, deputy: Deputy, now: datetime) -> int:
    """The deputy has joined the bot: the letters still waiting, which their station's staff held for
    them, are theirs now (answered ones simply show in their inbox). The clocks keep running; the
    deputy, the staff and each resident are told. Returns how many."""
    held = list(await session.scalars(select(Inquiry).where(
        Inquiry.deputy_id == deputy.id, Inquiry.status == InquiryStatus.open).order_by(Inquiry.id)))
    if not held or not on_bot(deputy):
        return 0
    ids = [inquiry.id for inquiry in held]
    await session.execute(update(Deadline).where(Deadline.kind == KIND, Deadline.subject_id.in_(ids),
                                                 Deadline.closed_at.is_(None)).values(owner_id=deputy.user_id))
    audit.record(session, None, "inquiry.hand_over", "deputy", deputy.id, inquiries=ids)
    numbers = ", ".join(inquiry.number for inquiry in held)
    await tell(session, deputy.user_id, lambda: _(
        "Residents' messages to you waited while you were not on the bot; your station's liaison staff looked "
        "after them. They are yours now, in My inbox: {numbers}.", numbers=numbers),
        key=f"inquiry-handover:{deputy.id}:{ids[-1]}", buttons=[(N_("My inbox"), INBOX_MENU)])
    for user_id in await liaison_staff(session, deputy.station_id):
        await tell(session, user_id, lambda: _(
            "Deputy {deputy} has joined the bot and now handles their messages themselves: {numbers}.",
            deputy=escape(deputy.name), numbers=numbers), key=f"inquiry-handover:{deputy.id}:{ids[-1]}:{user_id}")
    for inquiry in held:
        if inquiry.resident_id is not None:
            await tell(session, inquiry.resident_id, lambda inquiry=inquiry: _(
                "Deputy {deputy} has joined the bot and now handles your message {number} in person.",
                deputy=escape(deputy.name), number=inquiry.number),
                key=f"inquiry:{inquiry.id}:handed-over:{deputy.user_id}", buttons=reply_button(inquiry))
    return len(held)


# --- the deadline kind -------------------------------------------------------------------------


OWNER_TEXT = {
    Stage.remind: N_("Reminder: message {number} from Resident #{alias} is still waiting. Answer it, or refer "
                     "it to one of the four platforms, by {due}."),
    Stage.due_day: N_("Today is the last day to answer message {number} from Resident #{alias}, or to refer "
                      "it (due {due})."),
    Stage.escalate: N_("Message {number} from Resident #{alias} is overdue (it was due {due}). Please answer "
                       "or refer it now; the congress office has been told."),
}
FOR_DEPUTY = N_("You handle it for deputy {deputy}, who has not joined the bot yet.")
STAFF_OVERDUE = N_("Overdue: message {number} to deputy {deputy} ({station}), received {received}, was due {due} "
                   "and has been neither answered nor referred.")
RESIDENT_OVERDUE = N_("Your message {number} to deputy {deputy} was not answered by its due date, {due}. It has "
                      "now been passed to the congress office, which will answer you by {office_due}. You do not "
                      "need to write again.")
OFFICE_PROMISE = N_("The resident was told the congress office answers by {office_due}.")


async def _on_stage(session: AsyncSession, due: list[Row], stage: Stage, now: datetime) -> None:
    """Remind the owner: the deputy's account now, not when the clock started (a deputy who joined
    since is reminded, one who left is not), or, while the deputy is not on the bot, the station's
    liaison staff. When overdue, alert the station's liaison staff too (the whole office when those
    staff were the owners) and tell the resident the congress office has it now.
    Read as plain rows, in bulk: a sweep after downtime may bring thousands at once."""
    found = {row.id: row for row in await session.execute(
        select(Inquiry.id, Inquiry.number, Inquiry.resident_alias, Inquiry.due_on, Inquiry.deputy_id,
               Inquiry.created_at, Inquiry.resident_id, Inquiry.office_due_on)
        .where(Inquiry.id.in_([d.subject_id for d in due])))}
    deputies = {row.id: row for row in await session.execute(
        select(Deputy.id, Deputy.user_id, Deputy.active, Deputy.name).where(
            Deputy.id.in_({i.deputy_id for i in found.values()})))}
    stations = dict((await session.execute(select(Station.id, Station.name).where(
        Station.id.in_({d.station_id for d in due if d.station_id is not None})))).all())
    staff = await liaison_map(session)
    letters: list[outbox.Letter] = []
    for deadline in due:
        inquiry = found.get(deadline.subject_id)
        if inquiry is None:
            continue
        deputy = deputies.get(inquiry.deputy_id)
        joined = deputy is not None and on_bot(deputy)
        owners = [deputy.user_id] if joined else staff(deadline.station_id)
        owner_id = owners[0] if owners else None
        if deadline.owner_id != owner_id:
            await deadlines.set_owner(session, deadline, owner_id)
        deputy_name = escape(deputy.name) if deputy else "-"
        params = dict(number=inquiry.number, alias=inquiry.resident_alias, due=inquiry.due_on.isoformat())
        office = dict(office_due=inquiry.office_due_on.isoformat() if inquiry.office_due_on else "-")
        for user_id in owners:
            if joined:
                letters.append(outbox.Letter(user_id, partial(_, OWNER_TEXT[stage], **params),
                                             key=f"inquiry:{inquiry.id}:{stage}",
                                             buttons=((N_("Open"), button(INBOX_PREFIX, "open", inquiry.id)),)))
            else:
                letters.append(outbox.Letter(user_id, partial(_joined_lines, (OWNER_TEXT[stage], params),
                                                              (FOR_DEPUTY, dict(deputy=deputy_name))),
                                             key=f"inquiry:{inquiry.id}:{stage}:{user_id}",
                                             buttons=((N_("Open"), button(OVERSIGHT_PREFIX, "open", inquiry.id)),)))
        if stage != Stage.escalate:
            continue
        if inquiry.resident_id is not None:
            letters.append(outbox.Letter(inquiry.resident_id, partial(
                _, RESIDENT_OVERDUE, number=inquiry.number, deputy=deputy_name, due=params["due"], **office),
                key=f"inquiry:{inquiry.id}:escalate:resident", buttons=tuple(reply_button_for(inquiry.id))))
        station = stations.get(deadline.station_id)
        alerted = staff(deadline.station_id) if joined else [u for u in staff(None) if u not in owners]
        for user_id in alerted:
            if user_id != owner_id:
                letters.append(outbox.Letter(user_id, partial(
                    _joined_lines,
                    (STAFF_OVERDUE, dict(deputy=deputy_name, station=escape(station) if station else "-",
                                         received=local_day(inquiry.created_at), **params)),
                    (OFFICE_PROMISE, office)),
                    key=f"inquiry:{inquiry.id}:escalate:{user_id}",
                    buttons=((N_("Open"), button(OVERSIGHT_PREFIX, "open", inquiry.id)),)))
    await outbox.tell_many(session, letters)


def _joined_lines(*parts: tuple[str, dict[str, Any]]) -> str:
    """Sentences rendered in the recipient's language, one paragraph each."""
    return "\n\n".join(_(message, **params) for message, params in parts)


async def _describe(session: AsyncSession, deadline: Deadline) -> str:
    inquiry = await session.get(Inquiry, deadline.subject_id)
    if inquiry is None:
        return _("Message #{id} (deleted)", id=deadline.subject_id)
    deputy = await session.get(Deputy, inquiry.deputy_id)
    line = _("Message {number} to deputy {deputy}", number=inquiry.number, deputy=escape(deputy.name))
    if deadline.calendar_note:
        line += " · " + _("holidays for {years} unknown, counted with weekends only", years=deadline.calendar_note)
    return line


async def _locate(session: AsyncSession, deadline: Deadline) -> deadlines.Place:
    """Owned by the deputy the message was written to; staff open it in oversight."""
    inquiry = await session.get(Inquiry, deadline.subject_id)
    if inquiry is None:
        return deadlines.Place("")
    deputy = await session.get(Deputy, inquiry.deputy_id)
    return deadlines.Place(deputy.name if deputy else "", button(OVERSIGHT_PREFIX, "open", inquiry.id))


deadlines.register_kind(KIND, _on_stage, _describe, locate=_locate, owner=deadlines.Owner(
    select(Deputy.name).join(Inquiry, Inquiry.deputy_id == Deputy.id)
    .where(Inquiry.id == Deadline.subject_id).scalar_subquery()))


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
            # No actor: the audit keeps no trace of who erased their data.
            audit.record(session, None, "inquiry.withdraw", "inquiry", inquiry.id, reason="erasure")
        inquiry.resident_id, inquiry.text, inquiry.photos = None, "", []  # first: the notice below carries none
        if pending_meeting:
            deputy = await session.get(Deputy, inquiry.deputy_id)
            await _tell_deputy(session, inquiry, deputy, "withdrawn", lambda inquiry=inquiry: _(
                "Resident #{alias} withdrew meeting request {number}; the meeting will not take place.",
                alias=inquiry.resident_alias, number=inquiry.number))
        inquiry.latitude = inquiry.longitude = inquiry.shared_phone = None
        inquiry.rating_comment = ""
    await session.execute(delete(InquiryMessage).where(InquiryMessage.inquiry_id.in_([i.id for i in inquiries])))


privacy.register(privacy.DataSection("inquiries", _describe_data, _erase_data))
