"""Free text as people type it, brought to one normal form before any rule looks at it.

Every service that keeps text a person typed (a suggestion, a message to a deputy, a
title, a name, a reason) passes it through `tidy` or `one_line` first, so a text made
only of zero-width spaces, braille blanks or bidirectional controls is empty everywhere,
and a length limit counts what a reader sees.

- NFC, so a character typed precomposed or decomposed is stored alike;
- format characters (zero-width space and joiners, bidi controls, the BOM, soft hyphens),
  control characters other than the line break, and characters that render as nothing
  (braille blank, Hangul fillers) are removed — except a zero-width joiner inside an
  emoji sequence, which keeps 👨‍👩‍👧 one picture;
- other spaces (ideographic, no-break, thin) become a plain space;
- `tidy` keeps line breaks (at most one blank line in a row) and strips each line's end;
  `one_line` folds every run of white space into one space.

A text over its limit raises `TooLong` (from `fit`), which carries the text: the bot keeps it
and offers to take what fits (bot.forms), so nobody types a long letter twice.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable, Sequence

from services.errors import InvalidInput
from services.i18n import N_

ZWJ = "\u200d"
# Letters and symbols that render as nothing, though Unicode does not class them as format characters.
BLANKS = frozenset("\u2800\u3164\u115f\u1160\uffa0\u17b4\u17b5\u180e")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def _kept(text: str) -> str:
    out: list[str] = []
    for index, char in enumerate(text):
        if char in "\n\t":
            out.append(char)
            continue
        category = unicodedata.category(char)
        if char == ZWJ and 0 < index < len(text) - 1 and _visible(text[index - 1]) and _visible(text[index + 1]):
            out.append(char)
        elif category in ("Cf", "Cc", "Cs", "Co", "Cn") or char in BLANKS:
            continue
        elif category in ("Zs", "Zl", "Zp"):
            out.append("\n" if category in ("Zl", "Zp") else " ")
        else:
            out.append(char)
    return "".join(out)


def _visible(char: str) -> bool:
    return not (char.isspace() or char in BLANKS or unicodedata.category(char)[0] in "CZ")


def tidy(text: str | None) -> str:
    """A multi-line text in normal form; "" when nothing visible is left."""
    text = _kept(unicodedata.normalize("NFC", (text or "").replace("\r\n", "\n").replace("\r", "\n")))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    return text if any(_visible(char) for char in text) else ""


def one_line(text: str | None) -> str:
    """A name, title or place: normal form on a single line; "" when nothing visible is left."""
    return " ".join(tidy(text).split())


CAPTION_MAX = 200


def clean_caption(text: str | None) -> str:
    """A photo's caption: one line, cut to what a card has room for."""
    return one_line(text)[:CAPTION_MAX]


class TooLong(InvalidInput):
    """A typed text over its limit, kept whole (in normal form) for the offer to cut it."""

    def __init__(self, text: str, limit: int) -> None:
        super().__init__(N_("That text has {length} characters; the limit is {max}."),
                         length=f"{len(text):,}", max=f"{limit:,}")
        self.text, self.limit = text, limit


def fit(text: str, limit: int) -> str:
    """`text` if it is at most `limit` characters long; TooLong otherwise."""
    if len(text) > limit:
        raise TooLong(text, limit)
    return text


_BREAKS = re.compile(r"[\n。！？!?；;…]|\.(?=\s)")


def split_at_sentence(text: str, limit: int) -> tuple[str, str]:
    """What fits in `limit` characters, ending at the last line or sentence end that keeps at least
    half of it (at the limit itself when there is none), and the rest."""
    head = text[:limit]
    ends = [match.end() for match in _BREAKS.finditer(head) if match.end() >= limit // 2]
    cut = ends[-1] if ends and len(text) > limit else limit
    return text[:cut].rstrip(), text[cut:].strip()


def display_width(text: str) -> int:
    """Columns `text` takes in a monospace font: wide (CJK) characters count double."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def plain_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Left-aligned columns for a terminal or a monospace block, whatever the script of the cells."""
    cells = [[str(value) for value in row] for row in [headers, *rows]]
    widths = [max(display_width(row[column]) for row in cells) for column in range(len(headers))]
    return "\n".join("  ".join(value + " " * (width - display_width(value)) for value, width in zip(row, widths)).rstrip()
                     for row in cells)
