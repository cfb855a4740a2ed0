"""The welcome and privacy notice, shown once: at a person's first contact, whatever it was.

Most residents arrive through a deputy's QR code (`/start d_…`) or a share link, some with
a command or a plain message; the unit of work greets each of them before their first
update is handled, and sets their chat's command menu in their language (a zh_TW client
has no default menu of its own). A later /start is "welcome back".
"""
from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot import commands
from services.auth import Actor
from services.i18n import _

log = logging.getLogger(__name__)


def welcome_text() -> str:
    return "\n\n".join([
        _("Welcome to Minsheng bot, the direct line between residents, deputies and the people's congress."),
        _("Here you can suggest livelihood projects, write to your deputy and follow what the congress decides and delivers."),
        _("Privacy: we keep your Telegram id, name and language, and what you send us. Deputies never see your Telegram identity unless you choose to share contact details. /mydata shows everything and lets you delete it."),
    ])


async def greet(bot: Bot, actor: Actor) -> None:
    """The notice, then the per-chat command menu. A failure is logged: the update is still handled."""
    try:
        await bot.send_message(actor.id, welcome_text())
    except TelegramAPIError as exc:
        log.warning("the welcome to chat %s failed: %s", actor.id, exc)
    await commands.publish_for(bot, actor)
