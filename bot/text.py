"""Small text helpers for rendering: Telegram's limits and HTML escaping."""
from __future__ import annotations

from html import escape

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024


def clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Cut a rendered message to Telegram's limit on a line boundary, marking the cut."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 2)
    return text[: cut if cut > limit // 2 else limit - 2] + "\n…"


def h(value: object) -> str:
    """Escape user-provided text for parse_mode=HTML."""
    return escape(str(value), quote=False)
