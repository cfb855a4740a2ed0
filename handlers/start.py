"""First contact, help, the main menu, /cancel, language and the invite deep link."""
from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import commands, forms, menu
from bot.context import AppContext
from bot.keyboards import button, markup
from bot.menu import MenuCb, menu_markup, menu_text
from bot.screens import close_keyboard, replace
from bot.text import clip, h
from models import Department, User
from services import invites, people
from services.auth import Actor, load_actor
from services.i18n import N_, _, translate, use_locale
from services.people import ROLE_NAMES
from services.text import split_at_sentence

router = Router(name="start")

# Each button names its language in that language (the catalogues hold the names), so a
# reader finds their own whatever language the bot speaks now.
LANGUAGE_NAMES = {"zh_CN": N_("Simplified Chinese"), "zh_TW": N_("Traditional Chinese"), "en": N_("English")}


class LanguageCb(CallbackData, prefix="lang"):
    locale: str


@router.message(CommandStart(deep_link=True, magic=F.args.startswith(invites.PREFIX)))
async def start_invite(message: Message, command: CommandObject, session: AsyncSession, user: User,
                       bot: Bot, state: FSMContext, ctx: AppContext) -> None:
    await state.clear()
    invite = await invites.accept(session, user, command.args.removeprefix(invites.PREFIX), now=ctx.now())
    actor = await load_actor(session, user)
    role = _(ROLE_NAMES[invite.role])
    department = await session.get(Department, invite.department_id) if invite.department_id else None
    if department is not None:  # a clerk reads which department they answer for
        role = _("{role}: {department}", role=role, department=h(department.name))
    await message.answer(_("Welcome aboard. You now hold the role: {role}.", role=role))
    await message.answer(menu_text(actor), reply_markup=menu_markup(actor))
    await commands.publish_for(bot, actor)


@router.message(CommandStart())
async def start(message: Message, command: CommandObject, actor: Actor, first_contact: bool,
                state: FSMContext) -> None:
    """The welcome and privacy notice of a first contact went out before this (bot.welcome)."""
    await state.clear()
    if command.args:
        await message.answer(_("That link is not valid or has expired. Here is the main menu instead."))
    elif not first_contact:
        await message.answer(_("Welcome back."))
    await message.answer(menu_text(actor), reply_markup=menu_markup(actor))


@router.message(Command("menu"))
async def show_menu(message: Message, actor: Actor, state: FSMContext) -> None:
    await state.clear()
    await message.answer(menu_text(actor), reply_markup=menu_markup(actor))


@router.message(Command(*menu.SECTION_COMMANDS))
async def show_section(message: Message, command: CommandObject, actor: Actor, state: FSMContext) -> None:
    await state.clear()
    if command.command not in menu.sections_for(actor):
        await message.answer(_("Nothing here is open to you yet."), reply_markup=menu_markup(actor))
        return
    await message.answer(f"<b>{_(menu.SECTIONS[command.command])}</b>",
                         reply_markup=menu_markup(actor, command.command))


@router.callback_query(MenuCb.filter(F.key == "home"))
async def home(query: CallbackQuery, actor: Actor, state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    await query.message.answer(menu_text(actor), reply_markup=menu_markup(actor))


@router.message(Command("help"))
async def show_help(message: Message) -> None:
    await message.answer("\n\n".join([
        _("Minsheng bot follows the four orders of livelihood projects voted by deputies:"),
        _("<b>Suggest</b>: residents and deputies propose what the village or street needs."),
        _("<b>Decide</b>: staff build the candidate pool and deputies vote at the congress by secret ballot."),
        _("<b>Deliver</b>: the implementing departments file plans and report progress every quarter."),
        _("<b>Verify</b>: deputies inspect the projects and residents rate them at the year end."),
        _("Commands: /menu main menu, /language change language, /mydata your data, /cancel leave a form."),
    ]))


@router.message(Command("cancel"))
async def cancel(message: Message, state: FSMContext, actor: Actor) -> None:
    if await state.get_state() is None:
        await message.answer(_("There is nothing to cancel."), reply_markup=menu_markup(actor))
        return
    if forms.has_answers(await state.get_data()):
        await message.answer(_("Leave this form? What you have entered so far will be lost."), reply_markup=markup(
            [button(_("Yes, discard it"), forms.CancelCb(step="discard")),
             button(_("No, go on"), forms.CancelCb(step="keep"))]))
        return
    await state.clear()
    await message.answer(_("Cancelled. Nothing was saved."), reply_markup=menu_markup(actor))


@router.callback_query(forms.CancelCb.filter(F.step == "discard"))
async def discard_form(query: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    if await state.get_state() is None:  # already left (another /cancel, /menu, or the form was sent)
        await replace(query, _("There is nothing to cancel."), menu_markup(actor))
        return
    await state.clear()
    await replace(query, _("Cancelled. Nothing was saved."), menu_markup(actor))


@router.callback_query(forms.CancelCb.filter(F.step == "keep"))
async def keep_form(query: CallbackQuery, state: FSMContext, actor: Actor) -> None:
    if await state.get_state() is None:
        await replace(query, _("There is nothing to cancel."), menu_markup(actor))
        return
    await replace(query, _("Good, the form is still open: answer its last question to go on."))


@router.callback_query(forms.LongTextCb.filter())
async def take_long_text(query: CallbackQuery, callback_data: forms.LongTextCb, state: FSMContext, bot: Bot,
                         dispatcher: Dispatcher, **data: Any) -> None:
    """Hand what fits of a kept over-long text to the form's step, as if it had been typed so."""
    kept = (await state.get_data()).get(forms.LONG)
    if not kept or kept.get("step") != await state.get_state():
        await query.answer(_("This button is no longer valid. Open the menu again with /menu."), show_alert=True)
        return
    await state.update_data(**{forms.LONG: None})
    if callback_data.how == "split":
        taken, rest = split_at_sentence(kept["text"], kept["limit"])
    else:
        taken, rest = kept["text"][:kept["limit"]], ""
    await close_keyboard(query)
    typed = Message(message_id=query.message.message_id, date=query.message.date, chat=query.message.chat,
                    from_user=query.from_user, text=taken).as_(bot)
    await dispatcher.propagate_event("message", typed, state=state, bot=bot, dispatcher=dispatcher, **data)
    if rest:
        await query.message.answer(clip(_("Here is the rest ({length} characters), to copy into a second message:",
                                          length=f"{len(rest):,}") + "\n\n" + h(rest)))


def language_markup() -> InlineKeyboardMarkup:
    return markup(*([button(translate(code, name), LanguageCb(locale=code))] for code, name in LANGUAGE_NAMES.items()))


@router.message(Command("language"))
async def ask_language(message: Message) -> None:
    await message.answer(_("Choose your language:"), reply_markup=language_markup())


@router.callback_query(MenuCb.filter(F.key == "language"))
async def ask_language_from_menu(query: CallbackQuery) -> None:
    await query.answer()
    await query.message.answer(_("Choose your language:"), reply_markup=language_markup())


@router.callback_query(LanguageCb.filter())
async def choose_language(query: CallbackQuery, callback_data: LanguageCb, session: AsyncSession, user: User,
                          bot: Bot) -> None:
    await people.set_locale(session, user, callback_data.locale)
    actor = await load_actor(session, user)
    with use_locale(user.locale):
        await query.answer()
        await query.message.edit_text(_("Language set to English."))
        await query.message.answer(menu_text(actor), reply_markup=menu_markup(actor))
    await commands.publish_for(bot, actor)


menu.register("language", N_("Language"), "settings", ("resident",), order=90)
