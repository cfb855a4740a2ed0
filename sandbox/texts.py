"""The page's sentences, by the key the page asks for; translated through the catalogues like the bot's."""
from __future__ import annotations

from services.i18n import N_, translate
from services.people import ROLE_NAMES

EVERY_STATION = N_("serves every station")

PAGE = {
    "title": N_("Minsheng bot sandbox"),
    "tagline": N_("A throwaway township on this computer: play any role and talk to the real bot. "
                  "Nothing reaches Telegram."),
    "language": N_("Page language"),
    "clock": N_("Bot clock"),
    "real_time": N_("on time"),
    "ahead": N_("{days} d {hours} h ahead"),
    "plus_hour": N_("+1 hour"),
    "plus_day": N_("+1 day"),
    "plus_week": N_("+1 week"),
    "choose_persona": N_("Who are you?"),
    "residents": N_("Residents"),
    "deputies": N_("Deputies"),
    "staff": N_("Congress office"),
    "departments": N_("Implementing departments"),
    "message": N_("Message"),
    "send": N_("Send"),
    "commands": N_("Commands"),
    "attach": N_("Attach"),
    "photo_from_disk": N_("Photo or file from disk…"),
    "sample_photo": N_("Sample photo"),
    "location": N_("Location…"),
    "choose_place": N_("Share a place in the township"),
    "cancel": N_("Cancel"),
    "ok": N_("OK"),
    "scan_title": N_("Scan a code"),
    "scan_hint": N_("Click a QR code to scan it as {name}, as a phone camera would."),
    "station_code": N_("station code"),
    "poster_pdf": N_("Poster (PDF)"),
    "edited": N_("edited"),
    "empty_chat": N_("No messages yet. Send /start to begin."),
    "failed": N_("That did not work: {reason}"),
    "offline": N_("The sandbox is not answering. Is it still running?"),
    "unsupported_button": N_("The sandbox cannot open this kind of button."),
    **{f"role_{role}": ROLE_NAMES[role] for role in ("resident", "deputy", "staff", "department")},
}


def page_texts(locale: str) -> dict[str, str]:
    return {key: translate(locale, message) for key, message in PAGE.items()}
