"""Inline keyboards, written one way everywhere: a button, a keyboard of rows, a pager.

Rows are plain lists, so a screen builds its keyboard from conditional parts; an empty
row (an option that does not apply) is simply left out.
"""
from __future__ import annotations

from typing import Annotated, Any, Callable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from pydantic import Field

from services.directory import Page
from services.i18n import _

Row = list[InlineKeyboardButton]

# Every integer in callback data is bounded, so a forged button with a huge number fails to
# parse (and gets the stale-button answer) instead of overflowing a database column.
# Row ids and page numbers fit PostgreSQL's integer; Telegram user ids take up to 52 bits.
Id = Annotated[int, Field(ge=-1, le=2**31 - 1)]  # -1: "any" in a filter
UserId = Annotated[int, Field(ge=0, le=2**52)]


def button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def markup(*rows: Row) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[row for row in rows if row])


def pairs(buttons: Row) -> list[Row]:
    """Buttons two to a row: short labels (numbers, names) fit side by side."""
    return [buttons[i:i + 2] for i in range(0, len(buttons), 2)]


def pager_row(number: int, has_next: bool, turn: Callable[[int], CallbackData],
              labels: tuple[str, str] | None = None) -> Row:
    """The buttons that turn from page `number` (counted from 0); empty on a single page.

    `turn(n)` is the callback data that shows page n; `labels` replaces ‹ Previous / Next ›.
    """
    previous, following = labels or (_("‹ Previous"), _("Next ›"))
    row = []
    if number > 0:
        row.append(button(previous, turn(number - 1)))
    if has_next:
        row.append(button(following, turn(number + 1)))
    return row


def page_line(page: Page[Any]) -> str:
    """Where the pager stands, for the text above it; empty when there is one page only."""
    return _("Page {page} of {pages}.", page=page.number + 1, pages=page.pages) if page.pages > 1 else ""
