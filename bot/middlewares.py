"""The one cross-cutting seam: each update gets a unit of work, its user, roles and language.

Handlers receive `session`, `actor` and `ctx`; a DomainError raised by a service is
answered here in the user's language, so handlers never repeat that code.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message, TelegramObject, Update

from bot import storage
from bot.context import AppContext
from services import people
from services.auth import load_actor
from services.errors import DomainError
from services.i18n import _, locale_from_telegram, set_locale

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UnitOfWork(BaseMiddleware):
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        tg_user = data.get("event_from_user")
        chat = data.get("event_chat")
        if tg_user is None or tg_user.is_bot:
            return None
        if chat is not None and chat.type != "private":
            set_locale(locale_from_telegram(tg_user.language_code))
            return await _refuse_group(event)
        try:
            async with self.ctx.db.session() as session:
                user, created = await people.ensure_user(
                    session, people.Contact(tg_user.id, tg_user.first_name, tg_user.username, tg_user.language_code)
                )
                if created or session.info.get("outbox_dirty"):
                    # A first contact or a return from blocking must stick even if the
                    # handler then fails and its transaction is rolled back.
                    await session.commit()
                set_locale(user.locale)
                data.update(session=session, user=user, first_contact=created, ctx=self.ctx,
                            actor=await load_actor(session, user))
                with storage.within(session):
                    result = await handler(event, data)
        except DomainError as error:
            await _answer(event, error)
            return None
        if session.info.pop("outbox_dirty", False):
            self.ctx.ring_outbox()
        return result


async def _answer(update: Update, error: DomainError) -> None:
    """An alert on the button; a message if the button was already answered (Telegram takes one answer)."""
    query = update.callback_query
    if query is not None:
        try:
            await query.answer(error.localized(), show_alert=True)
            return
        except TelegramBadRequest:
            if query.message is None:
                return
            await query.message.answer(error.localized(html=True))
    elif update.message is not None:
        await update.message.answer(error.localized(html=True))


async def _refuse_group(update: Update) -> None:
    message: Message | None = update.message
    if message is not None and message.text and message.text.startswith("/"):
        await message.answer(_("I work in private chats only. Open a private chat with me to continue."))
    elif isinstance(update.callback_query, CallbackQuery):
        await update.callback_query.answer(_("I work in private chats only."), show_alert=True)
