"""Webhook mode: Telegram's secret-token header is checked on every update."""
from __future__ import annotations

import socket

import aiohttp

from tests.support.waiting import eventually


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _update(update_id: int, user_id: int) -> dict:
    user = {"id": user_id, "is_bot": False, "first_name": "Wu", "language_code": "en"}
    return {"update_id": update_id, "message": {
        "message_id": 1, "date": 1767225600, "chat": {"id": user_id, "type": "private", "first_name": "Wu"},
        "from": user, "text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}


async def test_webhook_accepts_only_signed_updates(tg, start_bot):
    port = _free_port()
    await start_bot(webhook_url="https://bot.example.org/base", webhook_secret="s3cret-Token_1234",
                    webhook_host="127.0.0.1", webhook_port=port)
    assert tg.webhook_url == "https://bot.example.org/base/telegram"
    user = tg.user(language_code="en")
    url = f"http://127.0.0.1:{port}/telegram"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json=_update(1, user.id)) as unsigned:
            assert unsigned.status == 401
        async with http.post(url, json=_update(2, user.id),
                             headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}) as forged:
            assert forged.status == 401
        assert tg.delivered_messages(user.id) == []
        async with http.post(url, json=_update(3, user.id),
                             headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1234"}) as signed:
            assert signed.status == 200
    await eventually(lambda: any("Welcome" in (m.text or "") for m in tg.delivered_messages(user.id)))
