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
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import menu
from bot.context import AppContext
from bot.forms import NOT_COMMAND, TYPED, ask, split_text
from bot.keyboards import Row, button, markup
from bot.menu import MenuCb
from bot.text import clip, h
from handlers.views.inquiries import thread_text
from models.contact import Inquiry, InquiryKind, InquiryStatus
from services import contact_stats, inquiries, meetings
from services.auth import Actor
from services.calendar import days_left
from services.errors import InvalidInput, PermissionDenied
from services.i18n import N_, _
from services.inquiries import Rules

router = Router(name="inbox")
menu.register("inbox", N_("My inbox"), "office", ("deputy",), order=5)
menu.register("reception", N_("Reception hours and slots"), "office", ("deputy",), order=6)

class InboxCb(CallbackData, prefix=inquiries.INBOX_PREFIX):
    action: str  # open | reply | resolve | refer | accept | decline | move
    inquiry_id: int


class ReferCb(CallbackData, prefix="ibr"):
    inquiry_id: int
    platform: str


class ReceptionCb(CallbackData, prefix="ibs"):
    action: str  # hours | add | remove
    slot_id: int = 0


class InboxForm(StatesGroup):
    reply = State()
    refer_note = State()
    decline = State()
    move = State()
    hours = State()
    slot = State()


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
    await query.answer()
    if not items:
        await query.message.answer(_("Your inbox is empty: no message from residents is waiting."),
                                   reply_markup=menu.back_to_menu_markup())
        return
    rows = []
    for item in items:
        inquiry = item.inquiry
        state_text = _when_due(ctx, item.due_at) if item.due_at else inquiries.status_label(inquiry)
        rows.append([button(f"{inquiry.number} · {inquiries.resident_name(inquiry)} · {state_text}",
                            InboxCb(action="open", inquiry_id=inquiry.id))])
    await query.message.answer(_("Messages from residents, the most urgent first:"), reply_markup=markup(*rows))


def _actions(inquiry: Inquiry) -> InlineKeyboardMarkup:
    def act(label: str, action: str) -> InlineKeyboardButton:
        return button(label, InboxCb(action=action, inquiry_id=inquiry.id))

    rows = [[act(_("Reply"), "reply")]]
    if inquiry.kind == InquiryKind.meeting and inquiry.status in meetings.MEETING_PENDING:
        rows.append([act(_("Accept"), "accept"), act(_("Decline"), "decline"), act(_("Move"), "move")])
    if inquiry.status not in (InquiryStatus.referred, InquiryStatus.declined):
        rows.append([act(_("Refer to a platform"), "refer")])
    if inquiry.status != InquiryStatus.resolved:
        rows.append([act(_("Mark resolved"), "resolve")])
    return markup(*rows, _inbox_row())


@router.callback_query(InboxCb.filter(F.action == "open"))
async def open_from_inbox(query: CallbackQuery, callback_data: InboxCb, session: AsyncSession, actor: Actor,
                          ctx: AppContext, state: FSMContext) -> None:
    inquiry = await inquiries.deputy_inquiry(session, actor, callback_data.inquiry_id)
    view = await inquiries.thread(session, actor, inquiry.id)
    await state.clear()
    await query.answer()
    for file_id in inquiry.photos:
        await query.message.answer_photo(file_id)
    await query.message.answer(thread_text(view, Rules.of(ctx.settings), "deputy"), reply_markup=_actions(inquiry))


# --- actions -----------------------------------------------------------------------------------

PROMPTS = {
    "reply": (InboxForm.reply, N_("Write your answer to {resident}. The bot passes it on without revealing who "
                                  "either of you is on Telegram.")),
    "decline": (InboxForm.decline, N_("Why can you not meet {resident}? Write a short reason; it is passed on.")),
    "move": (InboxForm.move, N_("Write the new date and time for the meeting with {resident}, like 2026-03-05 14:00.")),
}


@router.callback_query(InboxCb.filter(F.action.in_(PROMPTS)))
async def ask_text(query: CallbackQuery, callback_data: InboxCb, session: AsyncSession, actor: Actor,
                   state: FSMContext) -> None:
    inquiry = await inquiries.deputy_inquiry(session, actor, callback_data.inquiry_id)
    form_state, prompt = PROMPTS[callback_data.action]
    text = _(prompt, resident=inquiries.resident_name(inquiry)) + "\n" + _("Send /cancel to stop.")
    await ask(query, state, form_state, text, inquiry_id=inquiry.id)


@router.message(StateFilter(InboxForm.reply, InboxForm.decline, InboxForm.move), TYPED)
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
    else:
        rules = Rules.of(ctx.settings)
        inquiry = await meetings.move(session, actor, inquiry_id, message.text, ctx.now(), rules)
        done = _("The meeting was moved to {when}; the resident has been told.", when=rules.local(inquiry.meeting_at))
    await _done(message, state, done)


TEXT_LIMITS = {
    InboxForm.reply.state: inquiries.TEXT_MAX,
    InboxForm.decline.state: inquiries.NOTE_MAX,
    InboxForm.move.state: meetings.WHEN_MAX,
}


async def _done(message: Message, state: FSMContext, text: str) -> None:
    await state.clear()
    await message.answer(text, reply_markup=markup(_inbox_row()))


@router.callback_query(InboxCb.filter(F.action == "accept"))
async def accept_meeting(query: CallbackQuery, callback_data: InboxCb, session: AsyncSession, actor: Actor,
                         ctx: AppContext) -> None:
    rules = Rules.of(ctx.settings)
    inquiry = await meetings.accept(session, actor, callback_data.inquiry_id, ctx.now(), rules)
    await query.answer()
    await query.message.answer(_("Meeting on {when} confirmed; the resident has been told.",
                                 when=rules.local(inquiry.meeting_at)))


@router.callback_query(InboxCb.filter(F.action == "resolve"))
async def resolve(query: CallbackQuery, callback_data: InboxCb, session: AsyncSession, actor: Actor,
                  ctx: AppContext) -> None:
    inquiry = await inquiries.resolve(session, actor, callback_data.inquiry_id, ctx.now())
    await query.answer()
    await query.message.answer(_("{number} is marked resolved.", number=inquiry.number))


@router.callback_query(InboxCb.filter(F.action == "refer"))
async def choose_platform(query: CallbackQuery, callback_data: InboxCb, session: AsyncSession,
                          actor: Actor) -> None:
    inquiry = await inquiries.deputy_inquiry(session, actor, callback_data.inquiry_id)
    await query.answer()
    await query.message.answer(
        _("Which of the four platforms should handle {number}?", number=inquiry.number),
        reply_markup=markup(*([button(_(label), ReferCb(inquiry_id=inquiry.id, platform=key))]
                              for key, label in inquiries.PLATFORMS.items())))


@router.callback_query(ReferCb.filter())
async def ask_referral_note(query: CallbackQuery, callback_data: ReferCb, session: AsyncSession, actor: Actor,
                            state: FSMContext) -> None:
    inquiry = await inquiries.deputy_inquiry(session, actor, callback_data.inquiry_id)
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
    await _done(message, state, _("{number} was referred to the {platform} platform; the resident has been told.",
                                  number=inquiry.number, platform=inquiries.platform_label(inquiry.referral_platform)))


# --- reception hours and slots -----------------------------------------------------------------


@router.callback_query(MenuCb.filter(F.key == "reception"))
async def show_reception(query: CallbackQuery, session: AsyncSession, actor: Actor, ctx: AppContext,
                         state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    await _reception(query.message, session, actor, ctx)


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
async def ask_reception(query: CallbackQuery, callback_data: ReceptionCb, actor: Actor, state: FSMContext) -> None:
    if actor.deputy_id is None:
        raise PermissionDenied()
    hours = callback_data.action == "hours"
    await ask(query, state, InboxForm.hours if hours else InboxForm.slot,
              _("Write your reception hours as residents should read them, e.g. every Wednesday 9:00-11:30 at the "
                "station.") if hours else
              _("Write the date and time of the slot, and the place if you like: 2026-03-05 14:00 Station hall."))


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
    InboxForm.move.state: meetings.HINT,
    InboxForm.hours.state: N_("Please write the reception hours as text."),
    InboxForm.slot.state: meetings.HINT,
}


@router.message(StateFilter(*HINTS), NOT_COMMAND)
async def form_hint(message: Message, state: FSMContext) -> None:
    await message.answer(_(HINTS[await state.get_state()]) + "\n" + _("Send /cancel to stop."))
