"""Deputies log what residents raised on a visit or at a liaison station.

Two steps of their own (where it was raised, and by how many residents), then the
residents' form (`handlers.views.suggestion_form`); the result joins the same staff queue,
marked with its source and head count.
"""
from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import menu
from bot.context import AppContext
from bot.forms import NOT_COMMAND, TYPED, split_text
from bot.keyboards import button, markup
from bot.menu import MenuCb
from bot.screens import close_keyboard
from handlers.views.suggestion_form import FormCb, SuggestForm, show_preview, start_form
from models import Role
from models.suggestions import SuggestionSource
from services import suggestions
from services.auth import Actor, require
from services.errors import PermissionDenied
from services.i18n import N_, _

router = Router(name="visits")
menu.register("visit_log", N_("Log a visit suggestion"), "suggest", ("deputy",), order=30)

SOURCES = (SuggestionSource.visit.value, SuggestionSource.station.value)


class SourceCb(CallbackData, prefix="vs"):
    source: str


class VisitForm(StatesGroup):
    source = State()
    count = State()


def require_deputy(actor: Actor) -> None:
    require(actor, Role.deputy)
    if actor.deputy_id is None:
        raise PermissionDenied()


async def ask_source(message: Message, state: FSMContext) -> None:
    await state.set_state(VisitForm.source)
    await message.answer(_("Where did residents raise it?"), reply_markup=markup(
        [button(_("On a visit to residents"), SourceCb(source=SuggestionSource.visit))],
        [button(_("At the liaison station"), SourceCb(source=SuggestionSource.station))]))


async def ask_count(message: Message, state: FSMContext) -> None:
    await state.set_state(VisitForm.count)
    await message.answer(_("How many residents raised it? Send a number."))


@router.callback_query(MenuCb.filter(F.key == "visit_log"))
async def begin(query: CallbackQuery, actor: Actor, state: FSMContext) -> None:
    require_deputy(actor)
    await state.clear()
    await query.answer()
    await ask_source(query.message, state)


@router.callback_query(VisitForm.source, SourceCb.filter(F.source.in_(SOURCES)))
async def chose_source(query: CallbackQuery, callback_data: SourceCb, actor: Actor, state: FSMContext,
                       session: AsyncSession) -> None:
    require_deputy(actor)
    await state.update_data(source=callback_data.source)
    await close_keyboard(query)
    await query.message.answer(_("Source: {source}", source=suggestions.source_label(callback_data.source)))
    if (await state.get_data()).get("editing"):
        await show_preview(query.message, state, session)
    else:
        await ask_count(query.message, state)


@router.message(VisitForm.count, TYPED)
async def counted(message: Message, state: FSMContext, session: AsyncSession, actor: Actor,
                  ctx: AppContext) -> None:
    if await split_text(message, state, len(str(suggestions.RAISED_BY_MAX))):
        return
    raised_by = suggestions.clean_raised_by(message.text)
    data = await state.get_data()
    if data.get("editing"):
        await state.update_data(raised_by=raised_by)
        await show_preview(message, state, session)
        return
    start = {"source": data.get("source"), "raised_by": raised_by}
    station_id = await suggestions.default_station(session, actor, data.get("source") or "")
    if station_id:
        start["station_id"] = station_id
    await start_form(message, state, ctx, start)


@router.callback_query(SuggestForm.preview, FormCb.filter((F.act == "edit") & F.value.in_({"source", "count"})))
async def edit_step(query: CallbackQuery, callback_data: FormCb, state: FSMContext) -> None:
    await close_keyboard(query)
    await state.update_data(editing=True)
    if callback_data.value == "source":
        await ask_source(query.message, state)
    else:
        await ask_count(query.message, state)


@router.message(StateFilter(VisitForm), NOT_COMMAND)
async def unexpected(message: Message, state: FSMContext) -> None:
    if await state.get_state() == VisitForm.count.state:
        await message.answer(_("Please send the number of residents as digits, or send /cancel."))
    else:
        await message.answer(_("Please choose with the buttons above, or send /cancel."))
