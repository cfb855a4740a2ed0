"""First contact, help, the main menu, /cancel, language and the invite deep link."""
from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot import commands, menu
from bot.context import AppContext
from bot.keyboards import button, markup
from bot.menu import MenuCb, menu_markup, menu_text
from models import User
from services import invites, people
from services.auth import Actor, load_actor
from services.i18n import N_, _, translate, use_locale
from services.people import ROLE_NAMES

router = Router(name="start")

# Each button names its language in that language (the catalogues hold the names), so a
# reader finds their own whatever language the bot speaks now.
LANGUAGE_NAMES = {"zh_CN": N_("Simplified Chinese"), "zh_TW": N_("Traditional Chinese"), "en": N_("English")}


class LanguageCb(CallbackData, prefix="lang"):
    locale: str


def welcome_text(first_contact: bool) -> str:
    if first_contact:
        return "\n\n".join([
            _("Welcome to Minsheng bot, the direct line between residents, deputies and the people's congress."),
            _("Here you can suggest livelihood projects, write to your deputy and follow what the congress decides and delivers."),
            _("Privacy: we keep your Telegram id, name and language, and what you send us. Deputies never see your Telegram identity unless you choose to share contact details. /mydata shows everything and lets you delete it."),
        ])
    return _("Welcome back.")


@router.message(CommandStart(deep_link=True, magic=F.args.startswith(invites.PREFIX)))
async def start_invite(message: Message, command: CommandObject, session: AsyncSession, user: User,
                       bot: Bot, state: FSMContext, ctx: AppContext) -> None:
    await state.clear()
    invite = await invites.accept(session, user, command.args.removeprefix(invites.PREFIX), now=ctx.now())
    actor = await load_actor(session, user)
    await message.answer(_("Welcome aboard. You now hold the role: {role}.", role=_(ROLE_NAMES[invite.role])))
    await message.answer(menu_text(actor), reply_markup=menu_markup(actor))
    await commands.publish_for(bot, actor)


@router.message(CommandStart())
async def start(message: Message, command: CommandObject, actor: Actor, first_contact: bool, bot: Bot,
                state: FSMContext) -> None:
    await state.clear()
    if command.args:
        await message.answer(_("That link is not valid or has expired. Here is the main menu instead."))
    else:
        await message.answer(welcome_text(first_contact))
    await message.answer(menu_text(actor), reply_markup=menu_markup(actor))
    if first_contact:
        await commands.publish_for(bot, actor)


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
    await state.clear()
    await message.answer(_("Cancelled. Nothing was saved."), reply_markup=menu_markup(actor))


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
