"""The one cross-cutting seam: each update gets a unit of work, its user, roles and language.

Handlers receive `session`, `actor` and `ctx`; a DomainError raised by a service is
answered here in the user's language, so handlers never repeat that code.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Awaitable, Callable

from aiogram import BaseMiddleware
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject, Update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics, storage, welcome
from bot.context import AppContext
from bot.menu import back_to_menu_markup
from services import people
from services.auth import Actor
from services.errors import DomainError
from services.i18n import _, locale_from_telegram, set_locale

log = logging.getLogger(__name__)
_REFUSED = object()  # a service said no, and the person was told why
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UnitOfWork(BaseMiddleware):
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        started, outcome = time.perf_counter(), "failed"
        try:
            result = await self._handle(handler, event, data)
            outcome = "refused" if result is _REFUSED else "handled"
            return None if result is _REFUSED else result
        finally:
            metrics.observe_update(event.event_type, outcome, started)

    async def _handle(self, handler: Handler, event: Update, data: dict[str, Any]) -> Any:
        tg_user = data.get("event_from_user")
        chat = data.get("event_chat")
        if tg_user is None or tg_user.is_bot:
            return None
        # Telegram's language until the stored one is read: an apology when the database is down
        # speaks the person's language too.
        set_locale(locale_from_telegram(tg_user.language_code))
        if chat is not None and chat.type != "private":
            return await _refuse_group(event)
        try:
            async with self.ctx.db.session() as session:
                actor, created = await _arrive(
                    session, people.Contact(tg_user.id, tg_user.first_name, tg_user.username, tg_user.language_code)
                )
                if created or session.info.get("outbox_dirty"):
                    # A first contact or a return from blocking must stick even if the
                    # handler then fails and its transaction is rolled back.
                    await session.commit()
                set_locale(actor.locale)
                data.update(session=session, user=actor.user, first_contact=created, ctx=self.ctx, actor=actor)
                if created and event.message is not None:
                    # Whatever the first message is (a QR scan, a share link, a command, a text),
                    # the privacy notice comes first, once.
                    await welcome.greet(data["bot"], actor)
                with storage.within(session):
                    result = await handler(event, data)
                # A button is a first contact only for someone who erased their data and pressed
                # an old one: greet them after it, unless that button erased them again.
                if created and event.callback_query is not None and await people.still_known(session, actor.id):
                    await welcome.greet(data["bot"], actor)
        except DomainError as error:
            await _answer(event, error, await _way_on(data))
            return _REFUSED
        if session.info.pop("outbox_dirty", False):
            self.ctx.ring_outbox()
        return result


async def _arrive(session: AsyncSession, contact: people.Contact) -> tuple[Actor, bool]:
    """The update's first query. Connections are not pinged before use (a round trip per update),
    so a connection the database dropped (a restart) shows here first: take a fresh one, once."""
    try:
        return await people.arrive(session, contact)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        await session.rollback()
        return await people.arrive(session, contact)


async def _way_on(data: dict[str, Any]) -> InlineKeyboardMarkup | None:
    """What a refusal sent as a message offers: the main menu, unless a form is open (there the
    refusal asks for another answer, and leaving for the menu would drop the answers so far)."""
    state: FSMContext | None = data.get("state")
    if state is not None and await state.get_state() is not None:
        return None
    return back_to_menu_markup()


async def _answer(update: Update, error: DomainError, way_on: InlineKeyboardMarkup | None) -> None:
    """An alert on the button; a message if the button was already answered (Telegram takes one answer)."""
    query = update.callback_query
    if query is not None:
        try:
            await query.answer(error.localized(), show_alert=True)
            return
        except TelegramBadRequest:
            if query.message is None:
                return
            await query.message.answer(error.localized(html=True), reply_markup=way_on)
    elif update.message is not None:
        await update.message.answer(error.localized(html=True), reply_markup=way_on)


async def _refuse_group(update: Update) -> None:
    message: Message | None = update.message
    if message is not None and message.text and message.text.startswith("/"):
        await message.answer(_("I work in private chats only. Open a private chat with me to continue."))
    elif isinstance(update.callback_query, CallbackQuery):
        await update.callback_query.answer(_("I work in private chats only."), show_alert=True)
