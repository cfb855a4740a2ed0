"""Small text helpers for rendering: Telegram's limits and HTML escaping."""
from __future__ import annotations

import re
from html import escape

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024


def clip(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Cut a rendered message to Telegram's limit, on a line boundary when one is near,
    marking the cut and closing the tags it left open."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 2)
    if cut <= limit // 2:
        cut = limit - 2
        # never split an HTML entity (&amp;) or a tag: Telegram would refuse the message
        for opener, closer in (("&", ";"), ("<", ">")):
            start = text.rfind(opener, 0, cut)
            if start != -1 and text.find(closer, start, cut) == -1:
                cut = start
    kept = text[:cut]
    return kept + "".join(f"</{tag}>" for tag in reversed(_open_tags(kept))) + "\n…"


_TAG = re.compile(r"<(/?)([a-z][a-z0-9-]*)[^>]*>")


def _open_tags(html: str) -> list[str]:
    """Tags opened and not yet closed in `html`, outermost first."""
    stack: list[str] = []
    for closing, name in _TAG.findall(html):
        if not closing:
            stack.append(name)
        elif name in stack:
            del stack[len(stack) - 1 - stack[::-1].index(name):]
    return stack


def h(value: object) -> str:
    """Escape user-provided text for parse_mode=HTML."""
    return escape(str(value), quote=False)
