"""Webhook mode: Telegram's secret-token header is checked on every update."""
from __future__ import annotations

import asyncio
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


async def test_an_update_delivered_three_times_is_handled_once_and_garbage_gets_400(tg, start_bot, db, caplog):
    port = _free_port()
    await start_bot(webhook_url="https://bot.example.org/base", webhook_secret="s3cret-Token_1234",
                    webhook_host="127.0.0.1", webhook_port=port)
    user = tg.user(language_code="en")
    url = f"http://127.0.0.1:{port}/telegram"
    signed = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1234"}
    async with aiohttp.ClientSession() as http:
        # Telegram re-delivers an update whose answer timed out: the same update_id, three times.
        for _ in range(3):
            async with http.post(url, json=_update(41, user.id), headers=signed) as answer:
                assert answer.status == 200
        for body in (b"{not json", b"[1, 2]", b'{"update_id": "x"}', b'{"message": {}}', b"\xff\xfe"):
            async with http.post(url, data=body, headers={**signed, "Content-Type": "application/json"}) as bad:
                assert bad.status == 400, body
    await eventually(lambda: any("Welcome" in (m.text or "") for m in tg.delivered_messages(user.id)))
    await asyncio.sleep(0.5)
    assert sum("Welcome" in (m.text or "") for m in tg.delivered_messages(user.id)) == 1
    assert "Traceback" not in caplog.text and "Task exception was never retrieved" not in caplog.text


async def test_two_instances_share_the_ledger(tg, start_bot):
    """A second instance behind the same proxy (same database, or same Redis) drops what the first took."""
    ports = [_free_port(), _free_port()]
    for port in ports:
        await start_bot(webhook_url="https://bot.example.org/base", webhook_secret="s3cret-Token_1234",
                        webhook_host="127.0.0.1", webhook_port=port)
    user = tg.user(language_code="en")
    signed = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1234"}
    async with aiohttp.ClientSession() as http:
        for port in ports * 2:
            async with http.post(f"http://127.0.0.1:{port}/telegram", json=_update(77, user.id),
                                 headers=signed) as answer:
                assert answer.status == 200
    await eventually(lambda: any("Welcome" in (m.text or "") for m in tg.delivered_messages(user.id)))
    await asyncio.sleep(0.5)
    assert sum("Welcome" in (m.text or "") for m in tg.delivered_messages(user.id)) == 1


async def test_health_and_metrics_are_served_where_an_operator_looks(tg, start_bot):
    port = _free_port()
    await start_bot(webhook_url="https://bot.example.org/base", webhook_secret="s3cret-Token_1234",
                    webhook_host="127.0.0.1", webhook_port=port)
    user = tg.user(language_code="en")
    signed = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-Token_1234"}
    async with aiohttp.ClientSession() as http:
        async with http.post(f"http://127.0.0.1:{port}/telegram", json=_update(901, user.id), headers=signed) as ok:
            assert ok.status == 200
        await eventually(lambda: tg.delivered_messages(user.id))
        async with http.get(f"http://127.0.0.1:{port}/health") as health:
            assert health.status == 200 and (await health.text()).strip() == "ok"
        async with http.get(f"http://127.0.0.1:{port}/metrics") as metrics:
            body = await metrics.text()
    assert metrics.status == 200 and metrics.content_type == "text/plain"
    assert 'minsheng_updates_total{outcome="handled",type="message"}' in body
    assert "minsheng_handler_seconds_bucket" in body and 'minsheng_outbox_depth{status="pending"}' in body
    assert 'minsheng_deadlines_open{state="overdue"} 0.0' in body


async def test_a_worker_serves_health_on_its_own_port(tg, start_bot):
    port = _free_port()
    await start_bot(health_port=port)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}/health") as health:
            assert health.status == 200
        async with http.get(f"http://127.0.0.1:{port}/metrics") as metrics:
            assert "minsheng_sweep_seconds_count" in await metrics.text()
