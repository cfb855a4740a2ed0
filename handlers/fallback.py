"""Everything no other handler took: a short answer in the user's language and the way back.

This router is included last. Stale buttons (from before a restart, or from a form that
was left) and forged callback data land here too, because no typed filter accepts them.
"""
from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, ErrorEvent, Message

from bot.menu import back_to_menu_markup
from bot.text import MESSAGE_LIMIT
from services.i18n import _, locale_from_telegram, locale_known, set_locale

router = Router(name="fallback")
log = logging.getLogger(__name__)


@router.errors()
async def unexpected_error(event: ErrorEvent) -> None:
    """Log it with the update id; tell the person, in their language, that nothing went through."""
    log.error("update %s failed", event.update.update_id, exc_info=event.exception)
    update = event.update
    person = getattr(update.event, "from_user", None)
    if not locale_known() and person is not None:  # it failed before the stored language was read
        set_locale(locale_from_telegram(person.language_code))
    text = _("Something went wrong on our side and nothing was saved. Please try again in a moment.")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.message is not None and update.message.chat.type == "private":
            await update.message.answer(text)
    except TelegramAPIError:  # the apology itself could not go out; the log has the error
        pass


@router.edited_message()
async def edited(message: Message, state: FSMContext) -> None:
    """Telegram tells the bot when a message is edited; the first version was already taken."""
    if await state.get_state() is not None:
        await message.answer(_("I took your message as you first sent it; I do not read edits. To change an "
                               "answer, use the edit buttons on the summary before sending, or send /cancel "
                               "and start again."))
        return
    await message.answer(_("I took your message as you first sent it; I do not read edits. "
                           "Send the corrected text as a new message."), reply_markup=back_to_menu_markup())


@router.callback_query()
async def stale_button(query: CallbackQuery) -> None:
    await query.answer(_("This button is no longer valid. Open the menu again with /menu."), show_alert=True)


@router.message(F.text.startswith("/"))
async def unknown_command(message: Message) -> None:
    await message.answer(_("I do not know that command. Send /help to see what I can do."),
                         reply_markup=back_to_menu_markup())


@router.message(F.text.len() >= MESSAGE_LIMIT)
async def too_long(message: Message) -> None:
    await message.answer(_("That message is too long for me. Please send a shorter text."),
                         reply_markup=back_to_menu_markup())


@router.message(F.text)
async def unexpected_text(message: Message, state: FSMContext) -> None:
    if await state.get_state() is not None:
        await message.answer(_("I did not expect that here. Follow the last question, or send /cancel to leave the form."))
        return
    await message.answer(_("I did not understand. Use the menu below, or send /help."),
                         reply_markup=back_to_menu_markup())


@router.message()
async def unsupported_media(message: Message) -> None:
    await message.answer(_("I cannot use this kind of message here. Please use the buttons or send text."),
                         reply_markup=back_to_menu_markup())
