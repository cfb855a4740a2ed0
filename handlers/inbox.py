"""The deputy's side of the direct line: the inbox ordered by deadline, each inquiry's
actions (reply, resolve, refer to a platform, accept, decline or move a meeting), and
the reception hours and slots residents can book.

The buttons carry an inquiry id only; the services check that the presser is the
deputy who owns it.
"""
from __future__ import annotations

from datetime import datetime

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import menu
from bot.context import AppContext
from bot.forms import NOT_COMMAND, TYPED, ask, split_text
from bot.keyboards import Id, Row, button, markup
from bot.menu import MenuCb, home_row
from bot.screens import close_keyboard, replace
from bot.text import clip, h
from handlers.views.inquiries import InboxCb, actions_markup, thread_text
from services import contact_stats, inquiries, meetings
from services.auth import Actor
from services.calendar import days_left
from services.errors import InvalidInput, PermissionDenied
from services.i18n import N_, _
from services.inquiries import Rules

router = Router(name="inbox")
menu.register("inbox", N_("My inbox"), "office", ("deputy",), order=5)
menu.register("reception", N_("Reception hours and slots"), "office", ("deputy",), order=6)

class ReferCb(CallbackData, prefix="ibr"):
    inquiry_id: Id
    platform: str


class ReceptionCb(CallbackData, prefix="ibs"):
    action: str  # hours | add | remove
    slot_id: Id = 0


class InboxForm(StatesGroup):
    reply = State()
    refer_note = State()
    decline = State()
    move = State()
    hours = State()
    slot = State()
    place = State()
    cancel = State()


# The forms of one typed answer about an inquiry, and the longest answer each takes.
TEXT_LIMITS = {
    InboxForm.reply.state: inquiries.TEXT_MAX,
    InboxForm.decline.state: inquiries.NOTE_MAX,
    InboxForm.move.state: meetings.WHEN_MAX,
    InboxForm.place.state: meetings.PLACE_MAX,
    InboxForm.cancel.state: inquiries.NOTE_MAX,
}
TEXT_FORMS = (InboxForm.reply, InboxForm.decline, InboxForm.move, InboxForm.place, InboxForm.cancel)


def _inbox_row() -> Row:
    return [button(_("« My inbox"), MenuCb(key="inbox"))]


def _when_due(ctx: AppContext, due_at: datetime) -> str:
    return contact_stats.due_phrase(days_left(ctx.now(), due_at, ctx.settings.tz))


# --- the inbox ---------------------------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "inbox"))
async def show_inbox(query: CallbackQuery, session: AsyncSession, actor: Actor, ctx: AppContext,
                     state: FSMContext) -> None:
    await state.clear()
    items = await inquiries.inbox(session, actor)
    if not items:
        await replace(query, _("Your inbox is empty: no message from residents is waiting."),
                      menu.back_to_menu_markup())
        return
    rows = []
    for item in items:
        inquiry = item.inquiry
        state_text = _when_due(ctx, item.due_at) if item.due_at else inquiries.status_label(inquiry)
        rows.append([button(f"{inquiry.number} · {inquiries.resident_name(inquiry)} · {state_text}",
                            InboxCb(action="open", inquiry_id=inquiry.id))])
    await replace(query, _("Messages from residents, the most urgent first:"), markup(*rows, home_row()))


@router.callback_query(InboxCb.filter(F.action == "open"))
async def open_from_inbox(query: CallbackQuery, callback_data: InboxCb, session: AsyncSession, actor: Actor,
                          ctx: AppContext, state: FSMContext) -> None:
    inquiry = await inquiries.deputy_inquiry(session, actor, callback_data.inquiry_id)
    view = await inquiries.thread(session, actor, inquiry.id)
    await state.clear()
    await query.answer()
    for file_id in inquiry.photos:
        await query.message.answer_photo(file_id)
    await query.message.answer(thread_text(view, Rules.of(ctx.settings), "deputy"),
                               reply_markup=actions_markup(inquiry, ctx.now(), _inbox_row()))


# --- actions -----------------------------------------------------------------------------------

PROMPTS = {
    "reply": (InboxForm.reply, N_("Write your answer to {resident}. The bot passes it on without revealing who "
                                  "either of you is on Telegram.")),
    "decline": (InboxForm.decline, N_("Why can you not meet {resident}? Write a short reason; it is passed on.")),
    "move": (InboxForm.move, N_("Write the new date and time for the meeting with {resident}, for example {iso} or "
                                "tomorrow {hour}:00.")),
    "place": (InboxForm.place, N_("Where will you meet {resident}? Write the place (up to {max} characters); the "
                                  "resident is told.")),
    "cancel": (InboxForm.cancel, N_("Why is the meeting with {resident} cancelled, or why did it not take place? "
                                    "Write a short reason; it is passed on.")),
}


@router.callback_query(InboxCb.filter(F.action.in_(PROMPTS)))
async def ask_text(query: CallbackQuery, callback_data: InboxCb, session: AsyncSession, actor: Actor,
                   ctx: AppContext, state: FSMContext) -> None:
    if callback_data.action in meetings.ACTIONS:  # refused now, not after the answer is typed
        inquiry = (await meetings.check(session, actor, callback_data.inquiry_id, callback_data.action)).inquiry
    else:
        inquiry = (await inquiries.handled_inquiry(session, actor, callback_data.inquiry_id)).inquiry
    form_state, prompt = PROMPTS[callback_data.action]
    text = _(prompt, resident=inquiries.resident_name(inquiry), max=meetings.PLACE_MAX,
             **meetings.example(Rules.of(ctx.settings), ctx.now())) + "\n" + _("Send /cancel to stop.")
    await ask(query, state, form_state, text, inquiry_id=inquiry.id)


@router.message(StateFilter(*TEXT_FORMS), TYPED)
async def send_text(message: Message, session: AsyncSession, actor: Actor, ctx: AppContext,
                    state: FSMContext) -> None:
    inquiry_id, form = (await state.get_data())["inquiry_id"], await state.get_state()
    if await split_text(message, state, TEXT_LIMITS[form]):
        return
    if form == InboxForm.reply.state:
        await inquiries.answer(session, actor, inquiry_id, message.text, ctx.now())
        done = _("Your answer was passed on to the resident.")
    elif form == InboxForm.decline.state:
        await meetings.decline(session, actor, inquiry_id, message.text, ctx.now())
        done = _("The meeting was declined; the resident has been told why.")
    elif form == InboxForm.cancel.state:
        await meetings.cancel(session, actor, inquiry_id, message.text, ctx.now())
        done = _("The meeting was cancelled; the resident has been told why.")
    elif form == InboxForm.place.state:
        inquiry = await meetings.set_place(session, actor, inquiry_id, message.text, ctx.now(), Rules.of(ctx.settings))
        done = _("The place of the meeting is now: {place}. The resident has been told.", place=h(inquiry.meeting_place))
    else:
        rules = Rules.of(ctx.settings)
        inquiry = await meetings.move(session, actor, inquiry_id, message.text, ctx.now(), rules)
        done = _("The meeting was moved to {when}; the resident has been told.", when=rules.local(inquiry.meeting_at))
    await _done(message, state, actor, done)


async def _done(message: Message, state: FSMContext, actor: Actor, text: str) -> None:
    await state.clear()
    await message.answer(text, reply_markup=markup(_back_row(actor)))


def _back_row(actor: Actor) -> Row:
    """A deputy goes back to the inbox; staff acting for a deputy not on the bot, to the menu."""
    return _inbox_row() if actor.deputy_id is not None else menu.home_row()


@router.callback_query(InboxCb.filter(F.action == "accept"))
async def accept_meeting(query: CallbackQuery, callback_data: InboxCb, session: AsyncSession, actor: Actor,
                         ctx: AppContext) -> None:
    rules = Rules.of(ctx.settings)
    inquiry = await meetings.accept(session, actor, callback_data.inquiry_id, ctx.now(), rules)
    await query.answer()
    await query.message.answer(_("Meeting on {when} confirmed; the resident has been told.",
                                 when=rules.local(inquiry.meeting_at)), reply_markup=markup(_back_row(actor)))


@router.callback_query(InboxCb.filter(F.action == "held"))
async def meeting_held(query: CallbackQuery, callback_data: InboxCb, session: AsyncSession, actor: Actor,
                       ctx: AppContext) -> None:
    inquiry = await meetings.mark_held(session, actor, callback_data.inquiry_id, ctx.now(), Rules.of(ctx.settings))
    await close_keyboard(query)
    await query.message.answer(_("{number}: the meeting is recorded as held.", number=inquiry.number),
                               reply_markup=markup(_back_row(actor)))


@router.callback_query(InboxCb.filter(F.action == "resolve"))
async def resolve(query: CallbackQuery, callback_data: InboxCb, session: AsyncSession, actor: Actor,
                  ctx: AppContext) -> None:
    inquiry = await inquiries.resolve(session, actor, callback_data.inquiry_id, ctx.now())
    await query.answer()
    await query.message.answer(_("{number} is marked resolved.", number=inquiry.number))


@router.callback_query(InboxCb.filter(F.action == "refer"))
async def choose_platform(query: CallbackQuery, callback_data: InboxCb, session: AsyncSession,
                          actor: Actor) -> None:
    inquiry = (await inquiries.handled_inquiry(session, actor, callback_data.inquiry_id)).inquiry
    await query.answer()
    await query.message.answer(
        _("Which of the four platforms should handle {number}?", number=inquiry.number),
        reply_markup=markup(*([button(_(label), ReferCb(inquiry_id=inquiry.id, platform=key))]
                              for key, label in inquiries.PLATFORMS.items())))


@router.callback_query(ReferCb.filter())
async def ask_referral_note(query: CallbackQuery, callback_data: ReferCb, session: AsyncSession, actor: Actor,
                            state: FSMContext) -> None:
    inquiry = (await inquiries.handled_inquiry(session, actor, callback_data.inquiry_id)).inquiry
    if callback_data.platform not in inquiries.PLATFORMS:
        raise InvalidInput()
    await ask(query, state, InboxForm.refer_note,
              _("Write a short note for the resident: what you passed on to the {platform} platform, and whom "
                "they can ask.", platform=inquiries.platform_label(callback_data.platform)),
              inquiry_id=inquiry.id, platform=callback_data.platform)


@router.message(InboxForm.refer_note, TYPED)
async def send_referral(message: Message, session: AsyncSession, actor: Actor, ctx: AppContext,
                        state: FSMContext) -> None:
    if await split_text(message, state, inquiries.NOTE_MAX):
        return
    data = await state.get_data()
    inquiry = await inquiries.refer(session, actor, data["inquiry_id"], data["platform"], message.text, ctx.now())
    await _done(message, state, actor, _("{number} was referred to the {platform} platform; the resident has been told.",
                                  number=inquiry.number, platform=inquiries.platform_label(inquiry.referral_platform)))


# --- reception hours and slots -----------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "reception"))
async def show_reception(query: CallbackQuery, session: AsyncSession, actor: Actor, ctx: AppContext,
                         state: FSMContext) -> None:
    await state.clear()
    await _reception(query.message, session, actor, ctx)  # refused on the button to anyone but a deputy
    await query.answer()


async def _reception(message: Message, session: AsyncSession, actor: Actor, ctx: AppContext) -> None:
    slots = await meetings.own_slots(session, actor, ctx.now())
    deputy = await inquiries.reachable_deputy(session, actor.deputy_id)
    rules = Rules.of(ctx.settings)
    lines = [_("Reception hours: {hours}", hours=h(deputy.reception_hours) or _("not set")),
             _("Slots residents can book:") if slots else _("You offer no slots residents can book.")]
    rows = [[button(_("Set reception hours"), ReceptionCb(action="hours")),
             button(_("Add a slot"), ReceptionCb(action="add"))]]
    for slot, booked in slots:
        label = rules.local(slot.starts_at) + (f" · {h(slot.place)}" if slot.place else "")
        lines.append(f"• {label}" + (" · " + _("booked") if booked else ""))
        if not booked:
            rows.append([button(_("Remove {slot}", slot=rules.local(slot.starts_at)),
                                ReceptionCb(action="remove", slot_id=slot.id))])
    await message.answer(clip("\n".join(lines)), reply_markup=markup(*rows))


@router.callback_query(ReceptionCb.filter(F.action.in_({"hours", "add"})))
async def ask_reception(query: CallbackQuery, callback_data: ReceptionCb, actor: Actor, ctx: AppContext,
                        state: FSMContext) -> None:
    if actor.deputy_id is None:
        raise PermissionDenied()
    hours = callback_data.action == "hours"
    await ask(query, state, InboxForm.hours if hours else InboxForm.slot,
              _("Write your reception hours as residents should read them, e.g. every Wednesday 9:00-11:30 at the "
                "station.") if hours else
              _("Write the date and time of the slot, and the place if you like, e.g. {iso} Station hall.",
                **meetings.example(Rules.of(ctx.settings), ctx.now())))


@router.message(InboxForm.hours, TYPED)
async def save_hours(message: Message, session: AsyncSession, actor: Actor, ctx: AppContext,
                     state: FSMContext) -> None:
    if await split_text(message, state, meetings.HOURS_MAX):
        return
    await meetings.set_hours(session, actor, message.text)
    await state.clear()
    await _reception(message, session, actor, ctx)


@router.message(InboxForm.slot, TYPED)
async def save_slot(message: Message, session: AsyncSession, actor: Actor, ctx: AppContext,
                    state: FSMContext) -> None:
    if await split_text(message, state, meetings.WHEN_MAX + meetings.PLACE_MAX):
        return
    await meetings.add_slot(session, actor, message.text, ctx.now(), Rules.of(ctx.settings))
    await state.clear()
    await _reception(message, session, actor, ctx)


@router.callback_query(ReceptionCb.filter(F.action == "remove"))
async def remove_slot(query: CallbackQuery, callback_data: ReceptionCb, session: AsyncSession, actor: Actor,
                      ctx: AppContext) -> None:
    await meetings.remove_slot(session, actor, callback_data.slot_id)
    await query.answer(_("Slot removed."))
    await _reception(query.message, session, actor, ctx)


HINTS = {
    InboxForm.reply.state: N_("Please write your answer as text."),
    InboxForm.refer_note.state: N_("Please write the note as text."),
    InboxForm.decline.state: N_("Please write the reason as text."),
    InboxForm.place.state: N_("Please write the place as text."),
    InboxForm.cancel.state: N_("Please write the reason as text."),
    InboxForm.hours.state: N_("Please write the reception hours as text."),
}
TIME_FORMS = (InboxForm.move.state, InboxForm.slot.state)  # answered with an example from the coming week


@router.message(StateFilter(*HINTS, *TIME_FORMS), NOT_COMMAND)
async def form_hint(message: Message, state: FSMContext, ctx: AppContext) -> None:
    form = await state.get_state()
    hint = meetings.time_hint(Rules.of(ctx.settings), ctx.now()) if form in TIME_FORMS else _(HINTS[form])
    await message.answer(hint + "\n" + _("Send /cancel to stop."))
