"""Playing a user in a chat where notifications arrive in their own time, beside the answers."""
from __future__ import annotations


async def open_menu(user, entry: str) -> None:  # noqa: ANN001
    user.drain()
    await user.send("/menu")
    menu = await user.wait_for(lambda m: entry in m.button_texts)
    user.drain()
    await user.press(entry, menu)


async def notice(user, text: str):  # noqa: ANN001, ANN201
    """The latest unread message containing `text` (notifications arrive from the outbox, in their own time)."""
    return await user.wait_for(lambda m: m in user.unread and text in (m.text or ""))


async def press_for(user, button, message, starts: str):  # noqa: ANN001, ANN201
    """Press `button` and wait for the new message whose text starts with `starts`."""
    seen = len(user._messages)
    await user.press(button, message)
    found = await user.wait_for(lambda m: m in user._messages[seen:] and (m.text or "").startswith(starts))
    user.drain()
    return found


def count(user, text: str) -> int:  # noqa: ANN001
    return sum(text in (m.text or "") for m in user._messages)


async def in_place(user, button, message, contains: str):  # noqa: ANN001, ANN201
    """Press `button` on `message` and wait for that same message to show `contains` (edited in place)."""
    await user.press(button, message)
    return await user.wait_for(lambda m: m is message and contains in (m.text or ""))
