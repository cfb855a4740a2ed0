"""A broadcast through the outbox (the quarterly campaign's shape): thousands of messages queued at
once, delivered by the paced sender to a fake Telegram that enforces Telegram's per-chat limit.

Measured at the fake, on the moments requests arrive: the mean rate against the cap, the most
messages in any one-second window, the closest two messages to one chat, any 429, and the
process's memory before queueing, after queueing and after delivery.
"""
from __future__ import annotations

import time
from bisect import bisect_right
from pathlib import Path

from bench.common import TOKEN, Row, database, running_bot
from bench.conversation import rss_mib
from fakebot import FakeTelegram
from services import outbox
from services.i18n import N_, _


class TimedTelegram(FakeTelegram):
    """The fake, noting when each sendMessage arrived."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.arrivals: list[tuple[float, int]] = []

    async def _answer(self, spec, params):  # noqa: ANN001, ANN202
        if spec.name == "sendMessage":
            self.arrivals.append((time.monotonic(), int(params.get("chat_id", 0))))
        return await super()._answer(spec, params)


def busiest_window(times: list[float], width: float = 1.0) -> int:
    ordered = sorted(times)
    return max((bisect_right(ordered, t + width - 1e-9) - i for i, t in enumerate(ordered)), default=0)


async def broadcast(backend: str, workdir: Path, count: int, rate: float) -> list[Row]:
    message = N_("The quarterly liaison-station activity is next week.")
    async with TimedTelegram(token=TOKEN) as tg, database(backend, workdir) as (url, redis_url), \
            running_bot(tg.base_url, url, redis_url, send_rate_global=rate, outbox_interval_seconds=3600,
                        sweep_interval_seconds=3600) as app:
        tg.enforce_chat_rate = True
        chats = [tg.user(language_code="zh-hans").id for _ in range(count // 2)]
        before = rss_mib()
        letters = (outbox.Letter(chats[n % len(chats)], lambda: _(message), key=f"bench:{n}") for n in range(count))
        async with app.ctx.db.session() as session:
            await outbox.tell_many(session, letters)
        queued = rss_mib()
        started = time.monotonic()
        sent = 0
        while sent < count and time.monotonic() - started < count / rate * 2 + 60:
            sent += await app.sender.drain(max_seconds=30)
        elapsed = time.monotonic() - started
        after = rss_mib()
        times = [t for t, _chat in tg.arrivals]
        per_chat: dict[int, list[float]] = {}
        for t, chat in tg.arrivals:
            per_chat.setdefault(chat, []).append(t)
        closest = min((b - a for ts in per_chat.values() for a, b in zip(ts, ts[1:])), default=float("inf"))
        too_many = len([e for e in tg.errors if e.status == 429])
    mean = len(times) / (max(times) - min(times)) if len(times) > 1 else 0.0
    window = busiest_window(times)
    return [
        Row(f"broadcast of {count:,} at {rate:g}/s: mean rate", backend, f"{mean:.2f}/s ({elapsed:.0f} s)",
            f"within 1% of {rate:g}/s", abs(mean - rate) <= rate / 100, {"mean": mean, "sent": sent}),
        Row("broadcast: most messages in any 1-s window", backend, str(window), f"≤ {rate:g}", window <= rate,
            {"window": window}),
        Row("broadcast: closest two messages to one chat / 429 answers", backend,
            f"{closest:.2f} s / {too_many}", "≥ 1 s / 0", closest >= 1.0 and too_many == 0,
            {"closest": closest, "429": too_many}),
        Row("broadcast: memory before queueing / queued / delivered", backend,
            f"{before:.0f} / {queued:.0f} / {after:.0f} MiB", "flat", after - before < 40,
            {"before": before, "queued": queued, "after": after}),
    ]
