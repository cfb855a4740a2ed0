"""The suggestion form's states, buttons and step screens.

Residents fill it in (handlers.suggest); deputies enter it after two steps of their own
(handlers.visits) with a source and a head count already in the data, and edit those two
from the same preview. Everything lives in FSM data, so the form survives a restart.
"""
from __future__ import annotations

from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, Message, ReplyKeyboardMarkup,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.forms import live_prompt
from bot.keyboards import button, markup, pager_row, pairs
from bot.screens import show
from bot.text import clip, h
from handlers.views.suggestions import detail_lines, place_line, station_name
from models import Station, User
from models.suggestions import SuggestionSource
from services import suggestions
from services.i18n import _
from services.suggestions import MAX_PHOTOS, Draft

RESIDENT = SuggestionSource.resident.value
STEPS = ("category", "description", "photos", "station", "place", "name")
STATIONS_PER_PAGE = 8


class FormCb(CallbackData, prefix="sf"):
    act: str  # cat | station | stpage | photos | nophotos | name | edit | confirm | drop
    value: str = ""


class SuggestForm(StatesGroup):
    category = State()
    description = State()
    photos = State()
    station = State()
    place = State()
    name = State()
    preview = State()


async def start_form(where: Message | CallbackQuery, state: FSMContext, ctx: AppContext,
                     data: dict[str, Any]) -> None:
    """Begin at the category step with `data` (the source, and for deputies the head count); a button
    that opened the form shows the question in its own message."""
    await state.set_data({**data, "photos": []})
    await state.set_state(SuggestForm.category)
    await show(where, *category_question(ctx))


def category_question(ctx: AppContext) -> tuple[str, InlineKeyboardMarkup]:
    choices = [button(suggestions.category_label(key), FormCb(act="cat", value=str(i)))
               for i, key in enumerate(ctx.settings.suggestion_categories)]
    return _("Which kind of project do you suggest?"), markup(*pairs(choices))


async def ask_step(step: str, message: Message, state: FSMContext, session: AsyncSession, ctx: AppContext,
                   user: User) -> None:
    data = await state.get_data()
    await state.set_state(getattr(SuggestForm, step))
    if step == "category":
        text, keyboard = category_question(ctx)
        await message.answer(text, reply_markup=keyboard)
    elif step == "description":
        await message.answer(_("Describe what is needed and why, in your own words ({min} to {max} characters). "
                               "You may send a photo with the description as its caption.",
                               min=suggestions.DESCRIPTION_MIN, max=suggestions.DESCRIPTION_MAX))
    elif step == "photos":
        await live_prompt(message.bot, state, await message.answer(photos_prompt(len(data.get("photos", []))),
                                                                   reply_markup=photos_keyboard(data)))
    elif step == "station":
        await message.answer(_("Which liaison station's area is it in?"),
                             reply_markup=await stations_keyboard(session, 0))
    elif step == "place":
        location = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text=_("📍 Send my location"), request_location=True)]],
                                       resize_keyboard=True, one_time_keyboard=True)
        await message.answer(_("Where exactly? Send the location (📎 → Location, or the button below), "
                               "or type the village and street."), reply_markup=location)
    elif step == "name":
        await message.answer(
            _("May we show your first name ({name}) with the suggestion when it is shared? "
              "If not, it appears without a name.", name=h(user.first_name or "-")),
            reply_markup=markup([button(_("Yes, show my name"), FormCb(act="name", value="1")),
                                 button(_("No, without my name"), FormCb(act="name", value="0"))]))


def draft_from(data: dict[str, Any]) -> Draft:
    return Draft(
        category=data.get("category", ""), description=data.get("description", ""),
        photos=[(*p, "")[:3] for p in data.get("photos", [])], station_id=data.get("station_id"),
        place_text=data.get("place", ""), latitude=data.get("lat"), longitude=data.get("lon"),
        show_name=bool(data.get("show_name")), source=data.get("source", RESIDENT),
        raised_by=int(data.get("raised_by", 1)),
    )


async def show_preview(message: Message, state: FSMContext, session: AsyncSession) -> None:
    data = await state.get_data()
    await state.set_state(SuggestForm.preview)
    await state.update_data(editing=False)
    draft = draft_from(data)
    resident = draft.source == RESIDENT
    lines = [_("<b>Please check your suggestion before sending it.</b>"), ""]
    if not resident:
        lines.append(_("Source: {source}, raised by {count} residents",
                       source=suggestions.source_label(draft.source), count=draft.raised_by))
    lines += detail_lines(draft.category, draft.description, await station_name(session, draft.station_id),
                          place_line(draft.place_text, draft.latitude, draft.longitude),
                          [caption for _file, _unique, caption in draft.photos])
    if resident:
        lines += ["", _("Your name is shown with it.") if draft.show_name else _("It is shown without your name.")]

    def edit(label: str, step: str) -> InlineKeyboardButton:
        return button(label, FormCb(act="edit", value=step))

    own_rows = ([edit(_("Edit name choice"), "name")] if resident
                else [edit(_("Edit source"), "source"), edit(_("Edit number of residents"), "count")])
    await message.answer(clip("\n".join(lines)), reply_markup=markup(
        [edit(_("Edit category"), "category"), edit(_("Edit description"), "description")],
        [edit(_("Edit photos"), "photos"), edit(_("Edit place"), "station")],
        own_rows,
        [button(_("✅ Send"), FormCb(act="confirm"))],
        [button(_("Discard"), FormCb(act="drop"))],
    ))


def photos_prompt(count: int) -> str:
    return _("Send photos of the place, one by one or as an album: up to {max}, you have {count}. "
             "Press Done when you have finished; photos are optional.", max=MAX_PHOTOS, count=count)


def photos_keyboard(data: dict[str, Any]) -> InlineKeyboardMarkup:
    remove = [button(_("Remove the photos"), FormCb(act="nophotos"))] if data.get("photos") else []
    return markup([button(_("Done"), FormCb(act="photos"))], remove)


async def has_stations(session: AsyncSession) -> bool:
    return await session.scalar(select(Station.id).limit(1)) is not None


async def stations_keyboard(session: AsyncSession, page: int) -> InlineKeyboardMarkup:
    stations = list(await session.scalars(select(Station).order_by(Station.name, Station.id)))
    pages = max(1, -(-len(stations) // STATIONS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = stations[page * STATIONS_PER_PAGE:(page + 1) * STATIONS_PER_PAGE]
    return markup(
        *([button(f"{s.name} · {s.area}" if s.area else s.name, FormCb(act="station", value=str(s.id)))]
          for s in shown),
        pager_row(page, page + 1 < pages, lambda n: FormCb(act="stpage", value=str(n))),
        [button(_("Other / not sure"), FormCb(act="station", value="0"))])
