"""An inquiry's thread as its resident (handlers.contact), its deputy (handlers.inbox) or
staff (handlers.oversight) read it."""
from __future__ import annotations

from datetime import datetime
from typing import Callable, Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.keyboards import Id, Row, button, markup, pager_row
from bot.text import MESSAGE_LIMIT, clip, h
from models import Station
from models.contact import Inquiry, InquiryKind, InquiryStatus
from services import inquiries, meetings
from services.i18n import _, ngettext
from services.inquiries import Rules, ThreadView

STATIONS_PER_PAGE = 10


class InboxCb(CallbackData, prefix=inquiries.INBOX_PREFIX):
    """What whoever handles an inquiry does with it: its deputy (handlers.inbox), or the station's
    staff while the deputy is not on the bot (handlers.oversight shows the same buttons)."""

    action: str  # open | reply | resolve | refer | accept | decline | move | place | held | cancel
    inquiry_id: Id


def actions_markup(inquiry: Inquiry, now: datetime, *rows: Row) -> InlineKeyboardMarkup:
    """What may be done with it now: a meeting requested is accepted, declined or moved; a confirmed one
    moved or cancelled, and marked held once its time has come."""
    def act(label: str, action: str) -> InlineKeyboardButton:
        return button(label, InboxCb(action=action, inquiry_id=inquiry.id))

    actions = [[act(_("Reply"), "reply")]]
    meeting = inquiry.kind == InquiryKind.meeting
    if meeting and inquiry.status in meetings.REQUESTED:
        actions.append([act(_("Accept"), "accept"), act(_("Decline"), "decline"), act(_("Move"), "move")])
    if meeting and inquiry.status in meetings.CONFIRMED:
        actions.append([act(_("Move"), "move"), act(_("Cancel the meeting"), "cancel")]
                       + ([act(_("Mark held"), "held")] if inquiry.meeting_at <= now else []))
    if meeting and inquiry.status in meetings.MEETING_PENDING:
        actions.append([act(_("Change the place"), "place")])
    if not meeting and inquiry.status != InquiryStatus.referred:
        actions.append([act(_("Refer to a platform"), "refer")])
    if not meeting and inquiry.status != InquiryStatus.resolved:
        actions.append([act(_("Mark resolved"), "resolve")])
    return markup(*actions, *rows)


def stations_markup(stations: Sequence[Station], page: int, pick: Callable[[Station], CallbackData],
                    turn: Callable[[int], CallbackData], *rows: Row) -> InlineKeyboardMarkup:
    """One page of a station picker (residents finding their deputy, staff reassigning or printing)."""
    pages = max(1, -(-len(stations) // STATIONS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = stations[page * STATIONS_PER_PAGE:(page + 1) * STATIONS_PER_PAGE]
    return markup(*([button(s.name, pick(s))] for s in shown), pager_row(page, page + 1 < pages, turn), *rows)


def thread_text(view: ThreadView, rules: Rules, viewer: str) -> str:
    """An inquiry and its thread as `viewer` (resident | deputy | staff) reads it.

    Only the resident's alias is shown, never who they are on Telegram.
    """
    inquiry = view.inquiry
    deputy = h(view.deputy.name)
    kind = _("meeting request") if inquiry.kind == InquiryKind.meeting else _("opinion")
    heading = [_("<b>{number}</b> to deputy {deputy} · {status}", number=inquiry.number, deputy=deputy,
                 status=inquiries.status_label(inquiry)),
               kind + " · " + _("Received {day}", day=rules.local(inquiry.created_at))
               + (" · " + _("due {day}", day=inquiry.due_on.isoformat())
                  if inquiry.status == InquiryStatus.open and inquiry.due_on else "")]
    if inquiry.meeting_at is not None:
        heading.append(_("Meeting time: {when}", when=rules.local(inquiry.meeting_at)))
        if inquiry.meeting_place:
            heading.append(meetings.place_line(inquiry))
    if inquiry.referral_platform:
        heading.append(_("Referred to: {platform}", platform=inquiries.platform_label(inquiry.referral_platform))
                       + "\n" + _("Note: {note}", note=h(inquiry.referral_note)))
    if not inquiries.on_bot(view.deputy) and inquiry.status in inquiries.ACTIVE:
        heading.append(_("Deputy {deputy} has not joined the bot yet: the station's liaison staff handle this "
                         "message until they do.", deputy=deputy))
    if inquiry.latitude is not None:
        heading.append(_("Location: {place}", place=inquiries.location_link(inquiry.latitude, inquiry.longitude)))
    if inquiry.rating:
        heading.append(_("The resident's rating: {rating}", rating=inquiries.rating_label(inquiry.rating))
                       + (f" · {h(inquiry.rating_comment)}" if inquiry.rating_comment else ""))
    if inquiry.shared_phone and viewer != "resident":
        heading.append(_("Phone shared by the resident: {phone}", phone=h(inquiry.shared_phone)))

    def author(who: str) -> str:
        if who == "resident":
            return _("You") if viewer == "resident" else inquiries.resident_name(inquiry)
        if who == "staff":
            return _("Liaison staff")
        return _("You") if viewer == "deputy" else _("Deputy {deputy}", deputy=deputy)

    first = h(inquiry.text) if inquiry.text else _("(no text)")
    said = [f"{author('resident')}, {rules.local(inquiry.created_at)}:\n{first}"]
    said += [f"{author(m.author)}, {rules.local(m.created_at)}:\n{h(m.text)}" for m in view.messages]
    head = "\n".join(heading)
    return clip("\n\n".join([head, *_latest(said, MESSAGE_LIMIT - len(head) - 100)]))


def _latest(said: list[str], budget: int) -> list[str]:
    """The newest messages that fit beside the heading, oldest first; the newest always (it is what a
    notification was about), and a line saying when earlier ones are left out."""
    kept: list[str] = []
    used = 0
    for part in reversed(said):
        if kept and used + len(part) + 2 > budget:
            break
        kept.insert(0, part)
        used += len(part) + 2
    if len(kept) < len(said):
        kept.insert(0, "<i>" + ngettext("{n} earlier message is not shown.", "{n} earlier messages are not shown.",
                                         len(said) - len(kept)) + "</i>")
    return kept
