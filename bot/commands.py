"""The command menu (setMyCommands) per language and per role.

Telegram takes two-letter language codes for the default scope, so zh_TW users get
their commands through the chat scope, set when they start, switch language or gain a role.
A failure here is logged, never fatal: the commands are a convenience.
"""
from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from services.auth import Actor
from services.i18n import N_, use_locale, _

log = logging.getLogger(__name__)

COMMANDS: list[tuple[str, str, tuple[str, ...]]] = [
    ("menu", N_("Main menu"), ("resident",)),
    ("help", N_("What this bot does"), ("resident",)),
    ("language", N_("Change language"), ("resident",)),
    ("mydata", N_("My data and deleting it"), ("resident",)),
    ("cancel", N_("Leave the current form"), ("resident",)),
]


def register(command: str, description: str, roles: tuple[str, ...]) -> None:
    if all(c != command for c, _d, _r in COMMANDS):
        COMMANDS.insert(-1, (command, description, roles))


def commands_for(actor: Actor | None) -> list[BotCommand]:
    return [
        BotCommand(command=name, description=_(text))
        for name, text, roles in COMMANDS
        if actor is None and "resident" in roles or actor is not None and actor.has(*roles)
    ]


async def publish_defaults(bot: Bot) -> None:
    for language_code, locale in (("", "zh_CN"), ("zh", "zh_CN"), ("en", "en")):
        try:
            with use_locale(locale):
                await bot.set_my_commands(commands_for(None), scope=BotCommandScopeDefault(),
                                          language_code=language_code or None)
        except Exception as exc:  # never fatal
            log.warning("setMyCommands (%s) failed: %s", language_code or "default", exc)


async def publish_for(bot: Bot, actor: Actor) -> None:
    try:
        with use_locale(actor.locale):
            await bot.set_my_commands(commands_for(actor), scope=BotCommandScopeChat(chat_id=actor.id))
    except Exception as exc:  # never fatal
        log.warning("setMyCommands for chat %s failed: %s", actor.id, exc)
