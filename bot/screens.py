"""Answering a pressed button: show the next screen in its place, or take its buttons away."""
from __future__ import annotations

import contextlib

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.text import clip


async def replace(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Show the next screen in place of the pressed message (a new message if it cannot be edited)."""
    await query.answer()
    try:
        await query.message.edit_text(clip(text), reply_markup=markup)
    except TelegramBadRequest as error:
        if "not modified" not in str(error):
            await query.message.answer(clip(text), reply_markup=markup)


async def show(where: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """A screen reached by a command or by a button: a new message for the one, the pressed message
    changed in place for the other."""
    if isinstance(where, CallbackQuery):
        await replace(where, text, markup)
    else:
        await where.answer(clip(text), reply_markup=markup)


async def close_keyboard(query: CallbackQuery) -> None:
    """The question was answered: take its buttons away so they cannot be pressed twice."""
    await query.answer()
    with contextlib.suppress(TelegramBadRequest):
        await query.message.edit_reply_markup(reply_markup=None)
