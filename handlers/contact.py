"""Residents and their deputies: scanning a code, the deputy's card, writing an opinion,
booking a meeting, following one's threads and replying, sharing a phone number.

Every button names a deputy or an inquiry; the services check the presser against the
row (a resident may write to any active deputy, but only read and reply to their own
threads).
"""
from __future__ import annotations

import contextlib
from datetime import date, datetime

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import CommandObject, CommandStart, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery, InlineKeyboardMarkup, KeyboardButton, Message, ReplyKeyboardMarkup, ReplyKeyboardRemove,
)
from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from bot import menu
from bot.context import AppContext
from bot.forms import NOT_COMMAND, TYPED, ask, enter_form, live_prompt, retire_prompt, split_text
from bot.keyboards import Id, button, markup, pairs
from bot.menu import MenuCb, home_row
from bot.screens import close_keyboard, replace, show
from bot.text import h
from handlers.views.inquiries import stations_markup, thread_text
from models import Deputy, Station
from services import deputy_codes, directory, inquiries, meetings
from services.auth import Actor
from services.errors import InvalidInput, NotFound
from services.i18n import N_, _, current_locale
from services.inquiries import Draft, Rules

router = Router(name="contact")
menu.register("find_deputy", N_("Find my deputy"), "suggest", ("resident",), order=30)
menu.register("my_threads", N_("My messages to deputies"), "suggest", ("resident",), order=31)


class CardCb(CallbackData, prefix="dc"):
    action: str  # card | write | book | slot | propose
    deputy_id: Id
    slot_id: Id = 0


class StationPickCb(CallbackData, prefix="dcs"):
    station_id: Id


class StationPageCb(CallbackData, prefix="dcp"):
    page: Id


class ThreadCb(CallbackData, prefix=inquiries.THREAD_PREFIX):
    action: str  # view | reply | phone | rate
    inquiry_id: Id


class RateCb(CallbackData, prefix="dcr"):
    inquiry_id: Id
    verdict: str  # resolved | partly | not_resolved | "" (no comment)


class DayCb(CallbackData, prefix="dcd"):
    """A day picked for a meeting (its proleptic ordinal), then a time (minutes after midnight)."""

    deputy_id: Id
    day: Id = 0  # 0: back to the days
    minute: Id = -1  # -1: no time yet


class StepCb(CallbackData, prefix="dcf"):
    step: str  # photos_done | no_location | no_topic


class OpinionForm(StatesGroup):
    text = State()
    photos = State()
    location = State()


class MeetingForm(StatesGroup):
    time = State()
    topic = State()


class ThreadForm(StatesGroup):
    reply = State()
    phone = State()
    rating_comment = State()


def _rules(ctx: AppContext) -> Rules:
    return Rules.of(ctx.settings)


# --- scanning and finding a deputy -------------------------------------------------------------


@router.message(CommandStart(deep_link=True, magic=F.args.regexp(r"^(d|st)_")))
async def scan(message: Message, command: CommandObject, session: AsyncSession, ctx: AppContext,
               state: FSMContext) -> None:
    await state.clear()
    found = await deputy_codes.resolve(session, command.args)
    if found.problem:
        lines = [_(found.problem)]
        if found.station_now:
            station, payload = found.station_now
            lines.append(_("The deputies of {station} can be reached here: {link}", station=h(station.name),
                           link=ctx.deep_link(payload)))
        await message.answer("\n\n".join(lines),
                             reply_markup=markup([button(_("Find my deputy"), MenuCb(key="find_deputy"))], home_row()))
    elif found.deputy is not None:
        await _show_card(message, session, ctx, found.deputy.id)
    else:
        await _show_station(message, session, found.station.id)


async def _show_card(where: Message | CallbackQuery, session: AsyncSession, ctx: AppContext, deputy_id: int) -> None:
    card = await inquiries.deputy_card(session, deputy_id, ctx.now())
    deputy = card.deputy
    lines = [f"<b>{h(deputy.name)}</b>",
             _("{level} people's congress deputy", level=directory.level_label(deputy.level))
             + (f" · {h(card.station.name)}" if card.station else "")]
    if deputy.reception_hours:
        lines.append(_("Reception hours: {hours}", hours=h(deputy.reception_hours)))
    if card.promptness is None:
        lines.append(_("New deputy: no answers on record yet."))
    else:
        share = round(card.promptness.in_time_share * 100)
        median_days = card.promptness.median_days
        lines.append(_("Answered in time over the last 12 months: {share}%.", share=share)
                     + ("" if median_days is None else " " + (
                         _("Median time to answer: the same day.") if median_days < 1
                         else _("Median time to answer: {days} days.", days=f"{median_days:g}"))))
    if not card.on_bot:
        lines.append(_("This deputy has not joined the bot yet. Until they do, the liaison staff of {station} read "
                       "and answer what you write to them, within the same time.",
                       station=h(card.station.name) if card.station else _("the congress office")))
    lines.append(_("You can write to this deputy or ask to meet them. The deputy will not see your Telegram "
                   "name or account."))
    await show(where, "\n".join(lines), markup(
        [button(_("Write to this deputy"), CardCb(action="write", deputy_id=deputy.id))],
        [button(_("Book a meeting"), CardCb(action="book", deputy_id=deputy.id))],
        [button(_("Find another deputy"), MenuCb(key="find_deputy"))], home_row(),
    ))


async def _show_station(where: Message | CallbackQuery, session: AsyncSession, station_id: int) -> None:
    deputies = await directory.deputies(session, station_id)
    station = await session.get(Station, station_id)
    if not deputies:
        await show(where, _("No deputy of {station} can be reached through the bot yet.", station=h(station.name)),
                   markup([button(_("Find my deputy"), MenuCb(key="find_deputy"))], home_row()))
        return
    await show(where, _("Deputies of {station}. Whom would you like to contact?", station=h(station.name)),
               markup(*([button(d.name, CardCb(action="card", deputy_id=d.id))] for d in deputies[:90]), home_row()))


@router.callback_query(MenuCb.filter(F.key == "find_deputy"))
async def find_deputy(query: CallbackQuery, session: AsyncSession, state: FSMContext) -> None:
    await state.clear()
    stations = await directory.stations(session)
    if not stations:
        await replace(query, _("No liaison station has been set up yet."), markup(home_row()))
        return
    await replace(query, _("Choose your liaison station:"), _stations_markup(stations, 0))


def _stations_markup(stations: list[Station], page: int) -> InlineKeyboardMarkup:
    return stations_markup(stations, page, lambda s: StationPickCb(station_id=s.id), lambda n: StationPageCb(page=n),
                           home_row())


@router.callback_query(StationPageCb.filter())
async def station_page(query: CallbackQuery, callback_data: StationPageCb, session: AsyncSession) -> None:
    await query.answer()
    with contextlib.suppress(TelegramBadRequest):  # pressed twice: the keyboard is already this page
        await query.message.edit_reply_markup(
            reply_markup=_stations_markup(await directory.stations(session), callback_data.page))


@router.callback_query(StationPickCb.filter())
async def pick_station(query: CallbackQuery, callback_data: StationPickCb, session: AsyncSession) -> None:
    if await session.get(Station, callback_data.station_id) is None:
        raise NotFound()
    await _show_station(query, session, callback_data.station_id)


@router.callback_query(CardCb.filter(F.action == "card"))
async def open_card(query: CallbackQuery, callback_data: CardCb, session: AsyncSession, ctx: AppContext,
                    state: FSMContext) -> None:
    await state.clear()
    await _show_card(query, session, ctx, callback_data.deputy_id)


# --- writing an opinion ------------------------------------------------------------------------


@router.callback_query(CardCb.filter(F.action == "write"))
async def start_opinion(query: CallbackQuery, callback_data: CardCb, session: AsyncSession,
                        state: FSMContext) -> None:
    deputy = await inquiries.reachable_deputy(session, callback_data.deputy_id)
    prompt = _("Write your opinion to deputy {deputy} in one message (up to {max} characters). Send /cancel to stop.",
               deputy=h(deputy.name), max=inquiries.TEXT_MAX)
    await ask(query, state, OpinionForm.text, prompt, deputy_id=deputy.id, photos=[])


def _continue_markup() -> InlineKeyboardMarkup:
    return markup([button(_("Continue"), StepCb(step="photos_done"))])


@router.message(OpinionForm.text, TYPED)
async def opinion_text(message: Message, state: FSMContext) -> None:
    if await split_text(message, state, inquiries.TEXT_MAX):
        return
    await state.update_data(text=inquiries.clean_text(message.text))
    await state.set_state(OpinionForm.photos)
    await live_prompt(message.bot, state, await message.answer(
        _("You can add up to {max} photos now, one by one or as an album. Press Continue when you are done, or if "
          "you have none.", max=inquiries.PHOTOS_MAX), reply_markup=_continue_markup()))


@router.message(OpinionForm.photos, F.photo)
async def opinion_photo(message: Message, state: FSMContext) -> None:
    photos = list((await state.get_data()).get("photos", []))
    if len(photos) >= inquiries.PHOTOS_MAX:
        text = _("You have already attached {max} photos; this one was not added.", max=inquiries.PHOTOS_MAX)
    else:
        photos.append(message.photo[-1].file_id)
        await state.update_data(photos=photos)
        text = _("Photo {n} of {max} added.", n=len(photos), max=inquiries.PHOTOS_MAX)
    await live_prompt(message.bot, state, await message.answer(text, reply_markup=_continue_markup()))


@router.callback_query(OpinionForm.photos, StepCb.filter(F.step == "photos_done"))
async def photos_done(query: CallbackQuery, state: FSMContext) -> None:
    await state.set_state(OpinionForm.location)
    await close_keyboard(query)
    await live_prompt(query.bot, state, await query.message.answer(
        _("If a place matters, send its location (paperclip → Location). Otherwise press Send without location."),
        reply_markup=markup([button(_("Send without location"), StepCb(step="no_location"))])))


@router.message(OpinionForm.location, F.location)
async def opinion_location(message: Message, session: AsyncSession, actor: Actor, ctx: AppContext,
                           state: FSMContext) -> None:
    location = (message.location.latitude, message.location.longitude)
    await _submit_opinion(message, session, actor, ctx, state, location)


@router.callback_query(OpinionForm.location, StepCb.filter(F.step == "no_location"))
async def opinion_without_location(query: CallbackQuery, session: AsyncSession, actor: Actor, ctx: AppContext,
                                   state: FSMContext) -> None:
    await close_keyboard(query)
    await _submit_opinion(query.message, session, actor, ctx, state, None)


async def _submit_opinion(message: Message, session: AsyncSession, actor: Actor, ctx: AppContext,
                          state: FSMContext, location: tuple[float, float] | None) -> None:
    data = await state.get_data()
    receipt = await inquiries.submit_opinion(
        session, actor, data["deputy_id"], Draft(data["text"], tuple(data.get("photos", [])), location),
        ctx.now(), _rules(ctx))
    await retire_prompt(message.bot, state)  # a location was sent: "Send without location" goes
    await state.clear()
    inquiry = receipt.inquiry
    lines = [_("Sent to deputy {deputy}. Your tracking number is {number}; an answer is due by {due}. The answer "
               "will arrive in this chat.", deputy=h(receipt.deputy.name), number=inquiry.number,
               due=inquiry.due_on.isoformat())]
    await message.answer("\n\n".join(lines + _handled_by(receipt)), reply_markup=_thread_markup(inquiry.id))


def _handled_by(receipt: inquiries.Receipt) -> list[str]:
    """Honestly, who reads it: while the deputy is not on the bot, the station's liaison staff."""
    if not receipt.by_staff:
        return []
    return [_("Deputy {deputy} has not joined the bot yet, so the liaison staff of {station} are handling your "
              "message until they do. If it is still unanswered on {due}, the congress office takes it over and "
              "answers you by {office_due}.", deputy=h(receipt.deputy.name),
              station=h(receipt.station.name) if receipt.station else _("the congress office"),
              due=receipt.inquiry.due_on.isoformat(), office_due=receipt.inquiry.office_due_on.isoformat())]


def _thread_markup(inquiry_id: int) -> InlineKeyboardMarkup:
    return markup([button(_("Share my phone number with the deputy"), ThreadCb(action="phone", inquiry_id=inquiry_id))],
                  [button(_("My messages to deputies"), MenuCb(key="my_threads"))])


# --- booking a meeting -------------------------------------------------------------------------


@router.callback_query(CardCb.filter(F.action == "book"))
async def start_meeting(query: CallbackQuery, callback_data: CardCb, session: AsyncSession, ctx: AppContext,
                        state: FSMContext) -> None:
    deputy = await inquiries.reachable_deputy(session, callback_data.deputy_id)
    slots = await meetings.free_slots(session, deputy.id, ctx.now())
    await state.clear()
    await query.answer()
    if not slots:
        await _ask_time(query.message, state, deputy, ctx)
        return
    rules = _rules(ctx)
    await query.message.answer(
        _("Choose a time deputy {deputy} offers, or propose your own:", deputy=h(deputy.name)),
        reply_markup=markup(
            *([button(rules.local(s.starts_at) + (f" · {s.place}" if s.place else ""),
                      CardCb(action="slot", deputy_id=deputy.id, slot_id=s.id))] for s in slots),
            [button(_("Propose another time"), CardCb(action="propose", deputy_id=deputy.id))]))


def _days_screen(deputy: Deputy, ctx: AppContext) -> tuple[str, InlineKeyboardMarkup]:
    rules, now = _rules(ctx), ctx.now()
    days = [button(format_date(day, "EEE M/d", locale=current_locale()),
                   DayCb(deputy_id=deputy.id, day=day.toordinal())) for day in meetings.days_offered(rules, now)]
    text = _("When would you like to meet deputy {deputy}? Choose a day, or write the date and time.",
             deputy=h(deputy.name)) + "\n" + meetings.time_hint(rules, now)
    return text, markup(*pairs(days))


async def _ask_time(message: Message, state: FSMContext, deputy: Deputy, ctx: AppContext) -> None:
    await enter_form(state, MeetingForm.time, deputy_id=deputy.id)
    text, keyboard = _days_screen(deputy, ctx)
    await message.answer(text, reply_markup=keyboard)


@router.callback_query(CardCb.filter(F.action == "propose"))
async def propose_time(query: CallbackQuery, callback_data: CardCb, session: AsyncSession, ctx: AppContext,
                       state: FSMContext) -> None:
    deputy = await inquiries.reachable_deputy(session, callback_data.deputy_id)
    await close_keyboard(query)
    await _ask_time(query.message, state, deputy, ctx)


@router.callback_query(MeetingForm.time, DayCb.filter(F.minute == -1))
async def pick_day(query: CallbackQuery, callback_data: DayCb, session: AsyncSession, ctx: AppContext,
                   state: FSMContext) -> None:
    """A day pressed: its times, in place of the days (and back); a typed time still works."""
    deputy = await inquiries.reachable_deputy(session, callback_data.deputy_id)
    await state.update_data(day=callback_data.day)
    if not callback_data.day:
        await replace(query, *_days_screen(deputy, ctx))
        return
    day = date.fromordinal(max(callback_data.day, 1))
    hours = meetings.hours_offered(day, _rules(ctx), ctx.now())
    times = [button(f"{hour}:00", DayCb(deputy_id=deputy.id, day=callback_data.day, minute=hour * 60))
             for hour in hours]
    await replace(query, _("Meeting deputy {deputy} on {day}: choose a time, or write one (like 15:30).",
                           deputy=h(deputy.name), day=format_date(day, "EEE M/d", locale=current_locale()))
                  if hours else _("No time is left on that day. Please choose another day."),
                  markup(*pairs(times), [button(_("‹ Other days"), DayCb(deputy_id=deputy.id))]))


@router.callback_query(MeetingForm.time, DayCb.filter(F.minute >= 0))
async def pick_hour(query: CallbackQuery, callback_data: DayCb, session: AsyncSession, ctx: AppContext,
                    state: FSMContext) -> None:
    deputy = await inquiries.reachable_deputy(session, callback_data.deputy_id)
    rules = _rules(ctx)
    when = meetings.picked_time(date.fromordinal(max(callback_data.day, 1)), callback_data.minute, rules, ctx.now())
    await _time_chosen(query.message, state, when, deputy_id=deputy.id)
    await replace(query, _("Meeting time: {when}", when=rules.local(when)))
    await _ask_topic(query.message)


async def _time_chosen(message: Message, state: FSMContext, when: datetime, **data: object) -> None:
    await state.update_data(proposed_at=when.isoformat(), slot_id=None, **data)
    await state.set_state(MeetingForm.topic)


@router.message(MeetingForm.time, TYPED)
async def meeting_time(message: Message, ctx: AppContext, state: FSMContext) -> None:
    if await split_text(message, state, meetings.WHEN_MAX):
        return
    day = (await state.get_data()).get("day")
    rules, now = _rules(ctx), ctx.now()
    try:
        when, _rest = meetings.parse_when(message.text, rules, now)
    except InvalidInput:
        if not day:
            raise
        # After a day was picked, a time alone ("15:30", "下午3点") is read on that day.
        when, _rest = meetings.parse_when(f"{date.fromordinal(day).isoformat()} {message.text}", rules, now)
    await _time_chosen(message, state, when)
    await _ask_topic(message)


@router.callback_query(CardCb.filter(F.action == "slot"))
async def pick_slot(query: CallbackQuery, callback_data: CardCb, session: AsyncSession, state: FSMContext) -> None:
    deputy = await inquiries.reachable_deputy(session, callback_data.deputy_id)
    await enter_form(state, MeetingForm.topic, deputy_id=deputy.id, slot_id=callback_data.slot_id, proposed_at=None)
    await query.answer()
    await _ask_topic(query.message)


async def _ask_topic(message: Message) -> None:
    await message.answer(_("What would you like to talk about? Write a short line, or press Skip."),
                         reply_markup=markup([button(_("Skip"), StepCb(step="no_topic"))]))


@router.message(MeetingForm.topic, TYPED)
async def meeting_topic(message: Message, session: AsyncSession, actor: Actor, ctx: AppContext,
                        state: FSMContext) -> None:
    if await split_text(message, state, inquiries.TEXT_MAX):
        return
    await _submit_meeting(message, session, actor, ctx, state, message.text)


@router.callback_query(MeetingForm.topic, StepCb.filter(F.step == "no_topic"))
async def meeting_without_topic(query: CallbackQuery, session: AsyncSession, actor: Actor, ctx: AppContext,
                                state: FSMContext) -> None:
    await query.answer()
    await _submit_meeting(query.message, session, actor, ctx, state, "")


async def _submit_meeting(message: Message, session: AsyncSession, actor: Actor, ctx: AppContext,
                          state: FSMContext, topic: str) -> None:
    data = await state.get_data()
    rules = _rules(ctx)
    proposed = datetime.fromisoformat(data["proposed_at"]) if data.get("proposed_at") else None
    receipt = await meetings.request(session, actor, data["deputy_id"], ctx.now(), rules,
                                     slot_id=data.get("slot_id"), proposed_at=proposed, topic=topic)
    await state.clear()
    inquiry = receipt.inquiry
    lines = [_("Your meeting request {number} for {when} was sent to deputy {deputy}. The deputy will confirm it, "
               "decline it or propose another time by {due}.", number=inquiry.number,
               when=rules.local(inquiry.meeting_at), deputy=h(receipt.deputy.name), due=inquiry.due_on.isoformat()),
             meetings.place_line(inquiry)]
    await message.answer("\n\n".join(filter(None, lines + _handled_by(receipt))),
                         reply_markup=_thread_markup(inquiry.id))


# --- my threads, replies, phone ----------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "my_threads"))
async def my_threads(query: CallbackQuery, session: AsyncSession, actor: Actor, state: FSMContext) -> None:
    await state.clear()
    rows = await inquiries.residents_inquiries(session, actor)
    if not rows:
        await replace(query, _("You have not written to a deputy yet. Scan a deputy's QR code, or use "
                               "Find my deputy."), menu.back_to_menu_markup())
        return
    await replace(query, _("Your messages to deputies, newest first:"), markup(
        *([button(f"{inquiry.number} · {deputy.name} · {inquiries.status_label(inquiry)}",
                  ThreadCb(action="view", inquiry_id=inquiry.id))] for inquiry, deputy in rows), home_row()))


@router.callback_query(ThreadCb.filter(F.action == "view"))
async def view_thread(query: CallbackQuery, callback_data: ThreadCb, session: AsyncSession, actor: Actor,
                      ctx: AppContext) -> None:
    inquiry = await inquiries.resident_inquiry(session, actor, callback_data.inquiry_id)
    view = await inquiries.thread(session, actor, inquiry.id)
    await query.answer()
    await query.message.answer(thread_text(view, _rules(ctx), "resident"), reply_markup=markup(
        [button(_("Reply"), ThreadCb(action="reply", inquiry_id=inquiry.id))],
        [button(_(label), ThreadCb(action="rate", inquiry_id=inquiry.id))
         for label, _data in inquiries.rate_buttons(inquiry)] if inquiry.status in inquiries.RATEABLE else [],
        [] if inquiry.shared_phone else [button(_("Share my phone number with the deputy"),
                                                ThreadCb(action="phone", inquiry_id=inquiry.id))],
        [button(_("« My messages to deputies"), MenuCb(key="my_threads"))]))


# --- rating an answer --------------------------------------------------------------------------


@router.callback_query(ThreadCb.filter(F.action == "rate"))
async def ask_rating(query: CallbackQuery, callback_data: ThreadCb, session: AsyncSession, actor: Actor) -> None:
    inquiry = await inquiries.resident_inquiry(session, actor, callback_data.inquiry_id)
    if inquiry.rating:
        await query.answer(_("You have already rated this answer. Thank you."), show_alert=True)
        return
    await query.answer()
    await query.message.answer(
        _("Did the answer to {number} solve the matter?", number=inquiry.number),
        reply_markup=markup(*([button(_(label), RateCb(inquiry_id=inquiry.id, verdict=key))]
                              for key, label in inquiries.RATINGS.items())))


@router.callback_query(RateCb.filter(F.verdict != ""))
async def rated(query: CallbackQuery, callback_data: RateCb, session: AsyncSession, actor: Actor, ctx: AppContext,
                state: FSMContext) -> None:
    inquiry = await inquiries.rate(session, actor, callback_data.inquiry_id, callback_data.verdict, ctx.now())
    await enter_form(state, ThreadForm.rating_comment, inquiry_id=inquiry.id, prompt_id=query.message.message_id)
    await replace(query, _("Thank you. Your rating of {number}: {rating}.", number=inquiry.number,
                           rating=inquiries.rating_label(inquiry.rating)) + "\n\n"
                  + _("If you like, write a comment in one message (up to {max} characters), or press No comment.",
                      max=inquiries.NOTE_MAX),
                  markup([button(_("No comment"), RateCb(inquiry_id=inquiry.id, verdict=""))]))


@router.callback_query(RateCb.filter(F.verdict == ""))
async def no_rating_comment(query: CallbackQuery, callback_data: RateCb, session: AsyncSession, actor: Actor,
                            state: FSMContext) -> None:
    await inquiries.resident_inquiry(session, actor, callback_data.inquiry_id)
    await state.clear()
    await close_keyboard(query)
    await query.message.answer(_("Thank you for your rating."), reply_markup=menu.back_to_menu_markup())


@router.message(ThreadForm.rating_comment, TYPED)
async def rating_comment(message: Message, session: AsyncSession, actor: Actor, state: FSMContext) -> None:
    if await split_text(message, state, inquiries.NOTE_MAX):
        return
    data = await state.get_data()
    await inquiries.comment_rating(session, actor, data["inquiry_id"], message.text)
    await state.clear()
    with contextlib.suppress(TelegramBadRequest):  # the form moved on: its No comment button goes
        await message.bot.edit_message_reply_markup(chat_id=message.chat.id, message_id=data["prompt_id"])
    await message.answer(_("Thank you: your comment was passed on with your rating."),
                         reply_markup=menu.back_to_menu_markup())


@router.callback_query(ThreadCb.filter(F.action.in_({"reply", "phone"})))
async def start_thread_form(query: CallbackQuery, callback_data: ThreadCb, session: AsyncSession, actor: Actor,
                            state: FSMContext) -> None:
    inquiry = await inquiries.resident_inquiry(session, actor, callback_data.inquiry_id)
    replying = callback_data.action == "reply"
    await enter_form(state, ThreadForm.reply if replying else ThreadForm.phone, inquiry_id=inquiry.id)
    await query.answer()
    if replying:
        await query.message.answer(_("Write your reply about {number} (up to {max} characters).",
                                     number=inquiry.number, max=inquiries.TEXT_MAX))
        return
    await query.message.answer(
        _("Only the deputy handling {number} will see your phone number. Press the button below to share it.",
          number=inquiry.number),
        reply_markup=ReplyKeyboardMarkup(keyboard=[
            [KeyboardButton(text=_("Share my phone number"), request_contact=True)],
            [KeyboardButton(text=_("Do not share"))],
        ], resize_keyboard=True, one_time_keyboard=True))


@router.message(ThreadForm.reply, TYPED)
async def send_reply(message: Message, session: AsyncSession, actor: Actor, ctx: AppContext,
                     state: FSMContext) -> None:
    if await split_text(message, state, inquiries.TEXT_MAX):
        return
    data = await state.get_data()
    await inquiries.resident_reply(session, actor, data["inquiry_id"], message.text, ctx.now(), _rules(ctx))
    await state.clear()
    await message.answer(_("Your reply was passed on to the deputy."), reply_markup=menu.back_to_menu_markup())


@router.message(ThreadForm.phone, F.contact)
async def got_phone(message: Message, session: AsyncSession, actor: Actor, state: FSMContext) -> None:
    data = await state.get_data()
    await inquiries.share_phone(session, actor, data["inquiry_id"], message.contact.phone_number,
                                message.contact.user_id)
    await state.clear()
    await message.answer(_("Your phone number was shared with the deputy."), reply_markup=ReplyKeyboardRemove())


@router.message(ThreadForm.phone, TYPED)
async def keep_phone(message: Message, state: FSMContext) -> None:
    if message.text != _("Do not share"):
        await message.answer(_(HINTS[ThreadForm.phone.state]))
        return
    await state.clear()
    await message.answer(_("Your phone number was not shared."), reply_markup=ReplyKeyboardRemove())


# --- anything else inside these forms ----------------------------------------------------------

HINTS = {
    OpinionForm.text.state: N_("Please write your opinion as text. You can add photos in the next step."),
    OpinionForm.photos.state: N_("Send a photo, or press Continue."),
    OpinionForm.location.state: N_("Send a location, or press Send without location."),
    MeetingForm.topic.state: N_("Write a short line about the topic, or press Skip."),
    ThreadForm.reply.state: N_("Please write your reply as text."),
    ThreadForm.phone.state: N_("Press Share my phone number below, or Do not share."),
    ThreadForm.rating_comment.state: N_("Please write your comment as text, or press No comment."),
}


@router.message(StateFilter(*HINTS, MeetingForm.time), NOT_COMMAND)
async def form_hint(message: Message, state: FSMContext, ctx: AppContext) -> None:
    form = await state.get_state()
    hint = meetings.time_hint(_rules(ctx), ctx.now()) if form == MeetingForm.time.state else _(HINTS[form])
    await message.answer(hint + "\n" + _("Send /cancel to stop."))
