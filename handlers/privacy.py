"""/mydata: what the bot stores about me, and deleting it."""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import menu
from bot.keyboards import button, markup
from bot.menu import MenuCb, back_to_menu_markup, home_row
from bot.screens import replace
from bot.text import clip
from models import User
from services import privacy
from services.i18n import N_, _

router = Router(name="privacy")


class EraseCb(CallbackData, prefix="erase"):
    step: str  # ask | confirm | keep


async def _show(message: Message, session: AsyncSession, user: User) -> None:
    lines = await privacy.describe(session, user)
    text = "\n".join([_("This is what Minsheng bot stores about you:"), "", *("• " + line for line in lines)])
    await message.answer(clip(text), reply_markup=markup([button(_("Delete my data"), EraseCb(step="ask"))],
                                                         home_row()))


@router.message(Command("mydata"))
async def mydata(message: Message, session: AsyncSession, user: User, state: FSMContext) -> None:
    await state.clear()
    await _show(message, session, user)


@router.callback_query(MenuCb.filter(F.key == "mydata"))
async def mydata_from_menu(query: CallbackQuery, session: AsyncSession, user: User) -> None:
    await query.answer()
    await _show(query.message, session, user)


@router.callback_query(EraseCb.filter(F.step == "ask"))
async def ask_erase(query: CallbackQuery) -> None:
    await query.answer()
    await query.message.answer(
        _("Delete everything the bot stores about you? Your suggestions and messages are removed and cannot be restored."),
        reply_markup=markup([button(_("Yes, delete"), EraseCb(step="confirm")),
                             button(_("No, keep"), EraseCb(step="keep"))]),
    )


@router.callback_query(EraseCb.filter(F.step == "confirm"))
async def erase(query: CallbackQuery, session: AsyncSession, user: User, state: FSMContext) -> None:
    # A second press (a double tap, or the button pressed again later) comes from someone
    # already erased: the row the middleware just made for them goes too, so pressing
    # "delete" never stores the person again.
    try:
        await privacy.erase(session, user)
    except privacy.HoldsOffice:
        await replace(query, _("You hold an office in the bot (deputy, staff or department). "
                               "Ask the congress office to remove the role first."))
        return
    await state.clear()
    await replace(query, _("Your data has been deleted. Send /start if you want to use the bot again."))


@router.callback_query(EraseCb.filter(F.step == "keep"))
async def keep(query: CallbackQuery) -> None:
    await query.answer()
    await query.message.edit_text(_("Nothing was deleted."), reply_markup=back_to_menu_markup())


menu.register("mydata", N_("My data"), "settings", ("resident",), order=95)
