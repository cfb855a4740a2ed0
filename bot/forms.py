"""What every FSM form shares: entering it, the filters for typed answers, and texts that
Telegram clients split into parts.

Commands are never taken as a form's answer: they pass on to the core handlers (/cancel,
/menu) that come after the feature routers.
"""
from __future__ import annotations

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.text import MESSAGE_LIMIT
from services.i18n import _

NOT_COMMAND = ~F.text.startswith("/")
TYPED = F.text & NOT_COMMAND
SPLIT_WINDOW_SECONDS = 3  # parts of one over-long text arrive within this time of each other
SPLIT_PART_MIN = MESSAGE_LIMIT - 100  # clients cut at a word boundary just below the limit


async def enter_form(state: FSMContext, form_state: State, **data: object) -> None:
    """Start a form afresh: whatever form was open is left, `data` is what the steps need."""
    await state.clear()
    await state.set_state(form_state)
    if data:
        await state.update_data(**data)


async def ask(query: CallbackQuery, state: FSMContext, form_state: State, prompt: str,
              markup: InlineKeyboardMarkup | None = None, **data: object) -> None:
    """A button opens a form: enter it (stored, so it survives a restart) and ask the first question."""
    await enter_form(state, form_state, **data)
    await query.answer()
    await query.message.answer(prompt, reply_markup=markup)


async def split_text(message: Message, state: FSMContext, limit: int) -> bool:
    """Telegram clients cut a text over 4096 characters into full parts and a shorter last one,
    sent together (and handled in order). Answer the first part once and drop the others, so no
    fragment is taken as the answer."""
    split_at = (await state.get_data()).get("split_at")
    sent = message.date.timestamp()
    full_part = len(message.text or "") >= SPLIT_PART_MIN
    if split_at is not None and sent - split_at <= SPLIT_WINDOW_SECONDS:
        await state.update_data(split_at=sent if full_part else None)  # the short part is the last
        return True
    if full_part:
        await state.update_data(split_at=sent)
        await message.answer(_("That text is longer than one Telegram message, so it arrived in parts. "
                               "The limit here is {max} characters: please shorten it and send it again.", max=limit))
        return True
    return False
