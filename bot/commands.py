"""The command menu (setMyCommands) per language and per role.

Telegram takes two-letter language codes for the default scope, so zh_TW users get
their commands through the chat scope, set when they start, switch language or gain a role.
A failure here is logged, never fatal: the commands are a convenience.
"""
from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.menu import SECTION_COMMANDS, sections_for
from models import User
from services.auth import Actor
from services.i18n import N_, use_locale, _

log = logging.getLogger(__name__)

BEFORE = [("menu", N_("Main menu"))]
AFTER = [
    ("help", N_("What this bot does")),
    ("language", N_("Change language")),
    ("mydata", N_("My data and deleting it")),
    ("cancel", N_("Leave the current form")),
]


def commands_for(actor: Actor) -> list[BotCommand]:
    """The main menu, one command per part of the menu this user may open, then the settings."""
    sections = [(name, SECTION_COMMANDS[name]) for name in sections_for(actor) if name in SECTION_COMMANDS]
    return [BotCommand(command=name, description=_(text)) for name, text in (*BEFORE, *sections, *AFTER)]


def _anyone() -> Actor:
    return Actor(user=User(id=0), roles=frozenset({"resident"}))


async def publish_defaults(bot: Bot) -> None:
    for language_code, locale in (("", "zh_CN"), ("zh", "zh_CN"), ("en", "en")):
        try:
            with use_locale(locale):
                await bot.set_my_commands(commands_for(_anyone()), scope=BotCommandScopeDefault(),
                                          language_code=language_code or None)
        except Exception as exc:  # never fatal
            log.warning("setMyCommands (%s) failed: %s", language_code or "default", exc)


async def publish_for(bot: Bot, actor: Actor) -> None:
    try:
        with use_locale(actor.locale):
            await bot.set_my_commands(commands_for(actor), scope=BotCommandScopeChat(chat_id=actor.id))
    except Exception as exc:  # never fatal
        log.warning("setMyCommands for chat %s failed: %s", actor.id, exc)
