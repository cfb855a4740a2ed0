"""An inquiry's thread as its resident (handlers.contact), its deputy (handlers.inbox) or
staff (handlers.oversight) read it."""
from __future__ import annotations

from bot.text import clip, h
from models.contact import InquiryKind, InquiryStatus
from services import inquiries
from services.i18n import _
from services.inquiries import Rules, ThreadView


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
    if inquiry.referral_platform:
        heading.append(_("Referred to: {platform}", platform=inquiries.platform_label(inquiry.referral_platform))
                       + "\n" + _("Note from the deputy: {note}", note=h(inquiry.referral_note)))
    if inquiry.latitude is not None:
        heading.append(_("Location: {place}", place=inquiries.location_link(inquiry.latitude, inquiry.longitude)))
    if inquiry.shared_phone and viewer != "resident":
        heading.append(_("Phone shared by the resident: {phone}", phone=h(inquiry.shared_phone)))

    def author(who: str) -> str:
        if who == "resident":
            return _("You") if viewer == "resident" else inquiries.resident_name(inquiry)
        return _("You") if viewer == "deputy" else _("Deputy {deputy}", deputy=deputy)

    first = h(inquiry.text) if inquiry.text else _("(no text)")
    said = [f"{author('resident')}, {rules.local(inquiry.created_at)}:\n{first}"]
    said += [f"{author(m.author)}, {rules.local(m.created_at)}:\n{h(m.text)}" for m in view.messages]
    return clip("\n\n".join(["\n".join(heading), *said]))
