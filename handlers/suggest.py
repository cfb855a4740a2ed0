"""Suggest (dian dan, "residents place the order"): the suggestion form, "My suggestions",
and support through a share link.

The form's steps and screens are in `handlers.views.suggestion_form` (deputies logging a
visit use them too); this router moves between them and handles the answers. Its steps:
category, description, photos, station area, place, whether the name may be shown, then a
preview with an edit button per step.

Albums arrive as one update per photo; the first five are kept, and one summary answers
the whole album once it has stopped arriving (`bot.albums`).
"""
from __future__ import annotations

import contextlib
from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import CommandObject, CommandStart, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, ReplyKeyboardRemove
from sqlalchemy.ext.asyncio import AsyncSession

from bot import menu
from bot.albums import chat_turn, tally_album
from bot.context import AppContext
from bot.forms import NOT_COMMAND, TYPED, live_prompt, retire_prompt, split_text
from bot.keyboards import Id, button, markup
from bot.menu import MenuCb, back_to_menu_markup, home_row
from bot.screens import close_keyboard, replace
from bot.text import clip, h
from handlers.views.suggestion_form import (
    RESIDENT,
    STEPS,
    FormCb,
    SuggestForm,
    ask_step,
    draft_from,
    has_stations,
    photos_keyboard,
    photos_prompt,
    show_preview,
    start_form,
    stations_keyboard,
)
from handlers.views.suggestions import detail_lines, origin_line, place_line, send_media, station_name
from models import Station, User
from models.suggestions import Suggestion
from services import suggestions
from services.auth import Actor
from services.errors import InvalidInput
from services.i18n import N_, _, use_locale
from services.suggestions import MAX_PHOTOS, Rules
from services.text import clean_caption

router = Router(name="suggest")
menu.register("suggest", N_("Suggest a project"), "suggest", ("resident",), order=10)
menu.register("my_suggestions", N_("My suggestions"), "suggest", ("resident",), order=20)

MINE_SHOWN = 20


class MineCb(CallbackData, prefix="sm"):
    id: Id = 0  # 0: the list


class SupportCb(CallbackData, prefix="sp"):
    code: str


def rules(ctx: AppContext) -> Rules:
    settings = ctx.settings
    return Rules(tuple(settings.suggestion_categories), settings.suggestions_per_day, settings.tz)


# --- the form: entering and moving between steps ------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "suggest"))
async def begin(query: CallbackQuery, session: AsyncSession, actor: Actor, ctx: AppContext,
                state: FSMContext) -> None:
    await suggestions.check_daily_limit(session, actor, rules(ctx), ctx.now())
    await start_form(query, state, ctx, {"source": RESIDENT})


async def advance(done: str, message: Message, state: FSMContext, session: AsyncSession, ctx: AppContext,
                  user: User) -> None:
    """The step after `done`, or the preview when a single step was being edited."""
    data = await state.get_data()
    if data.get("editing") and done != "station":  # the station area and the place are edited together
        await show_preview(message, state, session)
        return
    for step in STEPS[STEPS.index(done) + 1:] if done in STEPS else STEPS:
        if step == "station" and ("station_id" in data or not await has_stations(session)):
            continue
        if step == "name" and data.get("source", RESIDENT) != RESIDENT:
            continue
        await ask_step(step, message, state, session, ctx, user)
        return
    await show_preview(message, state, session)


@router.callback_query(SuggestForm.preview, FormCb.filter((F.act == "edit") & F.value.in_(STEPS)))
async def edit_step(query: CallbackQuery, callback_data: FormCb, state: FSMContext, session: AsyncSession,
                    ctx: AppContext, user: User) -> None:
    await close_keyboard(query)
    await state.update_data(editing=True)
    step = callback_data.value
    if step == "station" and not await has_stations(session):
        step = "place"
    await ask_step(step, query.message, state, session, ctx, user)


@router.callback_query(SuggestForm.preview, FormCb.filter(F.act == "confirm"))
async def confirm(query: CallbackQuery, state: FSMContext, session: AsyncSession, actor: Actor,
                  ctx: AppContext) -> None:
    made = await suggestions.submit(session, actor, rules(ctx), draft_from(await state.get_data()), ctx.now())
    await state.clear()
    await close_keyboard(query)
    if made.source == RESIDENT:
        text = _("Thank you! Your suggestion is registered as <b>{number}</b>.\n\n"
                 "What happens next: the congress office reviews the suggestions, merges similar ones and builds "
                 "the candidate pool; the deputies then vote on the livelihood projects at the people's congress. "
                 "You will get a message here at every step.\n\n"
                 "Ask your neighbours to support it with this link:\n{link}",
                 number=made.number, link=ctx.deep_link(suggestions.SHARE_PREFIX + made.share_code))
    else:
        text = _("Logged as <b>{number}</b> ({source}, raised by {count} residents). It is in the staff queue now; "
                 "you will get a message here at every step.", number=made.number,
                 source=suggestions.source_label(made.source), count=made.raised_by)
    await query.message.answer(text, reply_markup=back_to_menu_markup())


@router.callback_query(SuggestForm.preview, FormCb.filter(F.act == "drop"))
async def discard(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await close_keyboard(query)
    await query.message.answer(_("Cancelled. Nothing was saved."), reply_markup=back_to_menu_markup())


# --- category and description ----------------------------------------------------------------


@router.callback_query(SuggestForm.category, FormCb.filter(F.act == "cat"))
async def chose_category(query: CallbackQuery, callback_data: FormCb, state: FSMContext, session: AsyncSession,
                         ctx: AppContext, user: User) -> None:
    categories = ctx.settings.suggestion_categories
    index = int(callback_data.value) if callback_data.value.isdigit() else len(categories)
    category = suggestions.clean_category(rules(ctx), categories[index] if index < len(categories) else "")
    await state.update_data(category=category)
    await close_keyboard(query)
    await query.message.answer(_("Category: {category}", category=h(suggestions.category_label(category))))
    await advance("category", query.message, state, session, ctx, user)


@router.message(SuggestForm.description, TYPED)
async def described(message: Message, state: FSMContext, session: AsyncSession, ctx: AppContext, user: User) -> None:
    if await split_text(message, state, suggestions.DESCRIPTION_MAX):
        return
    await state.update_data(description=suggestions.clean_description(message.text))
    await advance("description", message, state, session, ctx, user)


# --- photos ------------------------------------------------------------------------------------


@router.message(StateFilter(SuggestForm.description, SuggestForm.photos), F.photo)
async def photo(message: Message, state: FSMContext, bot: Bot, user: User,
                dispatcher: Dispatcher) -> None:
    best = message.photo[-1]
    caption_error = None
    data = await state.get_data()
    photos = data.get("photos", [])
    kept = len(photos) < MAX_PHOTOS
    changes: dict[str, Any] = {"photos": photos}
    at_description = await state.get_state() == SuggestForm.description.state
    caption = message.caption or ""
    if at_description and caption:
        try:
            changes["description"] = suggestions.clean_description(caption)
            caption = ""  # it answered the description step; the photo itself has none
        except InvalidInput as error:
            caption_error = error.localized()
    if kept:
        photos.append([best.file_id, best.file_unique_id, clean_caption(caption)])
    await state.update_data(**changes)
    if at_description and "description" in changes:
        await state.set_state(SuggestForm.photos)  # the caption answered the description step
    if caption_error:
        await message.answer(caption_error)

    async def report(kept_count: int, refused: int) -> None:
        with use_locale(user.locale):
            await report_photos(bot, message.chat.id, state, kept_count, refused)

    if message.media_group_id:
        tally_album((message.chat.id, message.media_group_id), kept, report, chat_turn(dispatcher, state))
    else:
        await report(int(kept), int(not kept))


async def report_photos(bot: Bot, chat_id: int, state: FSMContext, kept: int, refused: int) -> None:
    """One answer for one photo or a whole album: what was kept, what was refused, and the way on."""
    data = await state.get_data()
    current = await state.get_state()
    count = len(data.get("photos", []))
    lines = [_("Photos saved: {count} of {max}.", count=count, max=MAX_PHOTOS)] if kept else []
    if refused:
        lines.append(_("{refused} more photos were not added: a suggestion holds at most {max}.",
                       refused=refused, max=MAX_PHOTOS))
    if current == SuggestForm.description.state:
        lines.append(_("Now please describe the need in words."))
    elif current == SuggestForm.photos.state:
        lines.append(photos_prompt(count))
        await live_prompt(bot, state, await bot.send_message(chat_id, "\n".join(lines),
                                                             reply_markup=photos_keyboard(data)))
        return
    await bot.send_message(chat_id, "\n".join(lines))


@router.callback_query(SuggestForm.photos, FormCb.filter(F.act == "photos"))
async def photos_done(query: CallbackQuery, state: FSMContext, session: AsyncSession, ctx: AppContext,
                      user: User, bot: Bot) -> None:
    await close_keyboard(query)
    await retire_prompt(bot, state)  # an earlier photo's answer may have been pressed: the newest goes too
    await advance("photos", query.message, state, session, ctx, user)


@router.callback_query(SuggestForm.photos, FormCb.filter(F.act == "nophotos"))
async def photos_removed(query: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    await state.update_data(photos=[])
    await replace(query, _("The photos were removed.") + "\n" + photos_prompt(0), photos_keyboard({}))
    await live_prompt(bot, state, query.message)


@router.message(SuggestForm.photos, F.document.mime_type.startswith("image/"))
async def photo_as_file(message: Message) -> None:
    await message.answer(_("Please send the picture as a photo, not as a file."))


@router.message(SuggestForm.photos, NOT_COMMAND)
async def not_a_photo(message: Message, state: FSMContext, bot: Bot) -> None:
    await live_prompt(bot, state, await message.answer(_("That is not a photo. Send a photo, or press Done to go on."),
                                                       reply_markup=photos_keyboard(await state.get_data())))


# --- station area and place ---------------------------------------------------------------------


@router.callback_query(SuggestForm.station, FormCb.filter(F.act == "stpage"))
async def station_page(query: CallbackQuery, callback_data: FormCb, session: AsyncSession) -> None:
    await query.answer()
    page = int(callback_data.value) if callback_data.value.isdigit() else 0
    with contextlib.suppress(TelegramBadRequest):
        await query.message.edit_reply_markup(reply_markup=await stations_keyboard(session, page))


@router.callback_query(SuggestForm.station, FormCb.filter(F.act == "station"))
async def chose_station(query: CallbackQuery, callback_data: FormCb, state: FSMContext, session: AsyncSession,
                        ctx: AppContext, user: User) -> None:
    station_id = int(callback_data.value) if callback_data.value.isdigit() else 0
    station = await session.get(Station, station_id) if station_id else None
    await state.update_data(station_id=station.id if station else None)
    await close_keyboard(query)
    await query.message.answer(_("Station area: {station}", station=h(station.name) if station else _("not chosen")))
    await advance("station", query.message, state, session, ctx, user)


@router.message(SuggestForm.place, F.location)
async def located(message: Message, state: FSMContext, session: AsyncSession, ctx: AppContext, user: User) -> None:
    latitude, longitude = suggestions.clean_location(message.location.latitude, message.location.longitude)
    place = message.venue.title if message.venue else ""
    await state.update_data(lat=latitude, lon=longitude, place=place)
    await placed(message, state, session, ctx, user)


@router.message(SuggestForm.place, TYPED)
async def typed_place(message: Message, state: FSMContext, session: AsyncSession, ctx: AppContext, user: User) -> None:
    if await split_text(message, state, suggestions.PLACE_MAX):
        return
    await state.update_data(place=suggestions.clean_place(message.text), lat=None, lon=None)
    await placed(message, state, session, ctx, user)


async def placed(message: Message, state: FSMContext, session: AsyncSession, ctx: AppContext, user: User) -> None:
    data = await state.get_data()
    await message.answer(_("Place: {place}", place=place_line(data.get("place", ""), data.get("lat"), data.get("lon"))),
                         reply_markup=ReplyKeyboardRemove())
    await advance("place", message, state, session, ctx, user)


# --- name -------------------------------------------------------------------------------------


@router.callback_query(SuggestForm.name, FormCb.filter(F.act == "name"))
async def chose_name(query: CallbackQuery, callback_data: FormCb, state: FSMContext, session: AsyncSession,
                     ctx: AppContext, user: User) -> None:
    await state.update_data(show_name=callback_data.value == "1")
    await close_keyboard(query)
    await advance("name", query.message, state, session, ctx, user)


# --- whatever else arrives inside the form -----------------------------------------------------

HINTS = {
    SuggestForm.category.state: N_("Please choose a category with the buttons above, or send /cancel."),
    SuggestForm.description.state: N_("Please describe the need as a text message, or send /cancel."),
    SuggestForm.station.state: N_("Please choose the station area with the buttons above, or send /cancel."),
    SuggestForm.place.state: N_("Please send a location or type the village and street, or send /cancel."),
    SuggestForm.name.state: N_("Please answer with the buttons above, or send /cancel."),
    SuggestForm.preview.state: N_("Please use the buttons under the preview: send it, edit a step or discard it."),
}


@router.message(StateFilter(SuggestForm), NOT_COMMAND)
async def unexpected(message: Message, state: FSMContext) -> None:
    await message.answer(_(HINTS.get(await state.get_state() or "", HINTS[SuggestForm.preview.state])))


# --- my suggestions ----------------------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "my_suggestions"))
@router.callback_query(MineCb.filter(F.id == 0))
async def my_list(query: CallbackQuery, session: AsyncSession, actor: Actor) -> None:
    mine = await suggestions.mine(session, actor, MINE_SHOWN)
    if not mine:
        await replace(query, _("You have not sent any suggestions yet."),
                      markup([button(_("Suggest a project"), MenuCb(key="suggest"))], home_row()))
        return
    counts = await suggestions.support_counts(session, [s.id for s in mine])
    lines = [_("<b>My suggestions</b> (newest first)"), ""]
    for s in mine:
        lines.append(_("{number} · {category} · {status} · supporters: {supporters}", number=s.number,
                       category=h(suggestions.category_label(s.category)), status=suggestions.status_label(s.status),
                       supporters=counts.get(s.id, 0)))
    rows = [[button(s.number or "", MineCb(id=s.id))] for s in mine]
    await replace(query, "\n".join(lines), markup(*rows, home_row()))


@router.callback_query(MineCb.filter(F.id > 0))
async def my_one(query: CallbackQuery, callback_data: MineCb, session: AsyncSession, actor: Actor,
                 ctx: AppContext) -> None:
    s = await suggestions.own(session, actor, callback_data.id)
    history = await suggestions.history(session, s.id)
    photos = await suggestions.photos(session, s.id)
    lines = [_("<b>{number}</b> · {status}", number=s.number, status=suggestions.status_label(s.status)),
             _("Supporters: {count}", count=await suggestions.support_count(session, s.id)),
             await origin_line(session, s)]
    lines += detail_lines(s.category, s.description, await station_name(session, s.station_id),
                          place_line(s.place_text, s.latitude, s.longitude), [p.caption for p in photos])
    lines += ["", _("<b>History</b>")]
    for event in history:
        line = f"{ctx.local_time(event.at)} · {suggestions.status_label(event.status or '')}"
        lines.append(line + (f": {h(suggestions.event_text(event))}" if event.text else ""))
    question = await suggestions.open_question(session, s.id)
    if question is not None:
        lines += ["", _("<b>Question from the congress office:</b> {question}\n"
                        "Answer it with the button under the question message.", question=h(question.question))]
    if suggestions.supportable(s):
        lines += ["", _("Share link for support: {link}", link=ctx.deep_link(suggestions.SHARE_PREFIX + s.share_code))]
    await replace(query, "\n".join(lines), markup([button(_("« My suggestions"), MineCb(id=0))], home_row()))


# --- support through a share link ----------------------------------------------------------------


async def shared_card(session: AsyncSession, actor: Actor, s: Suggestion) -> tuple[str, InlineKeyboardMarkup]:
    photos = await suggestions.photos(session, s.id)
    count = await suggestions.support_count(session, s.id)
    lines = [_("<b>Suggestion {number}</b> · {status}", number=s.number, status=suggestions.status_label(s.status)),
             await origin_line(session, s), _("Supporters: {count}", count=count)]
    lines += detail_lines(s.category, s.description, await station_name(session, s.station_id),
                          place_line(s.place_text, s.latitude, s.longitude), [p.caption for p in photos])
    rows = []
    if s.author_id == actor.id:
        lines += ["", _("This is your own suggestion. Share the link so that neighbours can support it.")]
    elif await suggestions.supports(session, actor, s.id):
        lines += ["", _("You support this suggestion. Thank you!")]
    elif suggestions.supportable(s):
        rows.append([button(_("👍 Support this suggestion"), SupportCb(code=s.share_code))])
    return clip("\n".join(lines)), markup(*rows, home_row())


@router.message(CommandStart(deep_link=True, magic=F.args.startswith(suggestions.SHARE_PREFIX)))
async def open_shared(message: Message, command: CommandObject, session: AsyncSession, actor: Actor,
                      bot: Bot) -> None:
    s = await suggestions.by_share_code(session, command.args.removeprefix(suggestions.SHARE_PREFIX))
    await send_media(bot, message.chat.id, session, s)  # what is being supported: the photos and the place
    text, markup = await shared_card(session, actor, s)
    await message.answer(text, reply_markup=markup)


@router.callback_query(SupportCb.filter())
async def add_support(query: CallbackQuery, callback_data: SupportCb, session: AsyncSession, actor: Actor,
                      ctx: AppContext) -> None:
    await suggestions.support(session, actor, callback_data.code, ctx.now())
    s = await suggestions.by_share_code(session, callback_data.code)
    text, markup = await shared_card(session, actor, s)
    await replace(query, text, markup)
