"""What every FSM form shares: entering it, the filters for typed answers, texts that
Telegram clients split into parts, and whether leaving it would lose anything.

Commands are never taken as a form's answer: they pass on to the core handlers (/cancel,
/menu) that come after the feature routers. /cancel discards a form at once when nothing
was entered yet, and asks first when something was (`has_answers`, `CancelCb`).

A text over a step's limit (`services.text.TooLong`, whatever the form) is kept in the form's
data by `KeepLongText`; its buttons (`LongTextCb`, handled in handlers.start) take the first
part, or what fits up to a sentence's end with the rest given back for a second message, and
hand it to the step as if it had been typed so.
"""
from __future__ import annotations

import contextlib
from typing import Any, Awaitable, Callable, Mapping

from aiogram import BaseMiddleware, Bot, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject

from bot.keyboards import button, markup
from bot.text import MESSAGE_LIMIT
from services.i18n import _
from services.text import TooLong

NOT_COMMAND = ~F.text.startswith("/")
TYPED = F.text & NOT_COMMAND
SPLIT_WINDOW_SECONDS = 3  # parts of one over-long text arrive within this time of each other
SPLIT_PART_MIN = MESSAGE_LIMIT - 100  # clients cut at a word boundary just below the limit
LONG = "_long"  # a text over the limit, kept until one of its buttons is pressed
ENTERED = "_entered"  # something the person sent (a text, a photo, a place) is in the form
LIVE = "_live"  # the message id of the step's question whose buttons are still live
BOOKKEEPING = frozenset({LONG, ENTERED, LIVE, "split_at", "editing"})


class CancelCb(CallbackData, prefix="fc"):
    """/cancel's question when the form holds answers: discard them, or go on with the form."""

    step: str  # discard | keep


class LongTextCb(CallbackData, prefix="lt"):
    """A kept over-long text: take the first `limit` characters, or what fits and the rest back."""

    how: str  # cut | split


class FormMessages(BaseMiddleware):
    """Around every message handler. A message whose content a form step kept marks the form as
    holding answers (for /cancel). A step refusing a text as too long keeps it and offers to take
    what fits, instead of asking for it to be typed again."""

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        state: FSMContext | None = data.get("state")
        if state is None or not isinstance(event, Message) or await state.get_state() is None:
            return await handler(event, data)
        before = _answers(await state.get_data())
        try:
            result = await handler(event, data)
        except TooLong as error:
            await state.update_data(**{LONG: {"text": error.text, "limit": error.limit,
                                               "step": await state.get_state()}})
            await event.answer(
                error.localized() + "\n" + _("I have kept your text. Shall I take the first {max} characters, or "
                                            "what fits up to the end of a sentence, and give you the rest to send "
                                            "in a second message?", max=f"{error.limit:,}"),
                reply_markup=markup([button(_("Take the first {max} characters", max=f"{error.limit:,}"),
                                            LongTextCb(how="cut"))],
                                    [button(_("Go on in a second message"), LongTextCb(how="split"))]))
            return None
        if await state.get_state() is not None and not (event.text or "").startswith("/"):
            after = await state.get_data()
            if not after.get(ENTERED) and _answers(after) != before:
                await state.update_data(**{ENTERED: True})
        return result


async def enter_form(state: FSMContext, form_state: State, **data: object) -> None:
    """Start a form afresh: whatever form was open is left, `data` is what the steps need."""
    await state.clear()
    await state.set_state(form_state)
    if data:
        await state.update_data(**data)


def has_answers(data: Mapping[str, Any]) -> bool:
    """Whether leaving the form loses something the person sent (a choice on a button is not counted)."""
    return bool(data.get(ENTERED) or data.get(LONG))


def _answers(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in BOOKKEEPING}


async def ask(query: CallbackQuery, state: FSMContext, form_state: State, prompt: str,
              markup: InlineKeyboardMarkup | None = None, **data: object) -> Message:
    """A button opens a form: enter it (stored, so it survives a restart) and ask the first question."""
    await enter_form(state, form_state, **data)
    await query.answer()
    return await query.message.answer(prompt, reply_markup=markup)


async def live_prompt(bot: Bot, state: FSMContext, sent: Message) -> None:
    """A step that asks again after each answer (a photo step): only its newest question keeps its buttons."""
    if (await state.get_data()).get(LIVE) != sent.message_id:
        await retire_prompt(bot, state)
    await state.update_data(**{LIVE: sent.message_id})


async def retire_prompt(bot: Bot, state: FSMContext) -> None:
    """The form moved on: the step's last question loses its buttons, so none is left to press."""
    message_id = (await state.get_data()).get(LIVE)
    if message_id is None:
        return
    await state.update_data(**{LIVE: None})
    with contextlib.suppress(TelegramBadRequest):  # already without buttons, or deleted
        await bot.edit_message_reply_markup(chat_id=state.key.chat_id, message_id=message_id, reply_markup=None)


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
