"""A bare aiogram echo bot: the baseline the fake's self-check and benchmarks run."""

from __future__ import annotations

from aiogram import Dispatcher, F
from aiogram.types import Message


def build_echo_dispatcher() -> Dispatcher:
    """A Dispatcher whose only handler replies to every text message with the same text."""
    dispatcher = Dispatcher()

    @dispatcher.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    return dispatcher
